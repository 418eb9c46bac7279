// Helpers shared by the two OpenAI dialects (Chat Completions and Responses):
// a reusable per-record JSON parser, provider error text, canonical-prompt reading and
// the small pieces of body JSON both APIs spell the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dialect.hpp"
#include "json_util.hpp"

namespace llm_native::openai {

// Parses one record at a time without a fresh heap allocation per record: the text is
// copied into a reused buffer and parsed in place, values live in a pool that is reset
// before each parse. The parsed root stays valid until the next parse() call.
class RecordParser {
 public:
  RecordParser();
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  // Returns the root value, or nullptr on malformed JSON (then *error says why).
  const json::Value* parse(std::string_view text, std::string* error);

 private:
  using Pool = rapidjson::MemoryPoolAllocator<>;
  using Doc = rapidjson::GenericDocument<rapidjson::UTF8<>, Pool, Pool>;
  static constexpr std::size_t kPoolBufferSize = 16 * 1024;
  alignas(8) char pool_buffer_[kPoolBufferSize];
  Pool pool_;
  std::string scratch_;
  Doc doc_;
};

// True when v is present and "truthy" the way openai-python checks the "error" key of a
// stream event: not null, not false, not an empty string/object/array.
bool truthy(const json::Value* v);

// A readable message from an OpenAI error value: the object {"message","type","code"}
// (or a bare string). Always starts with the provider's own message text.
std::string describe_error(const json::Value& error);

// Builds the Provider error for an error value found inside a 2xx response.
Error provider_error(const json::Value& error, std::string_view raw_record);

// A refusal (the message's or delta's "refusal" text) as a Provider error naming it.
Error refusal_error(std::string_view refusal);

// finish_reason / incomplete reason content_filter: the answer was withheld.
Error content_filter_error();

// The provider's message from an error body (HTTP 4xx/5xx), or the trimmed body.
std::string error_message_from_body(const std::string& body);

// Checks that args is one JSON object ("" or blanks become "{}"). On failure returns
// false with *error naming the problem.
bool normalize_tool_arguments(std::string& args, std::string* error);

// Makes a ToolCall or reports a Protocol error naming the tool.
bool finish_tool_call(ToolCall& call, std::optional<Error>& error_out);

// ---- request bodies ----

// Deep copy of v into the body's allocator.
json::Value copy(const json::Value& v, json::Document& body);
json::Value string_value(std::string_view s, json::Document& body);

// Sets (or replaces) body[key] = value.
void set_member(json::Value& obj, std::string_view key, json::Value value, json::Document& body);

// "data:<mime>;base64,<data>".
std::string data_url(std::string_view mime, std::string_view base64);

// The text of a content value: the string itself, or its text parts joined.
std::string content_text(const json::Value& content);

// The schema with additionalProperties:false at its top level (strict mode needs it).
json::Value strict_schema(const json::Value& schema, json::Document& body);

// Temperature on OpenAI's 0..2 scale from llm's 0..1 scale.
double openai_temperature(const json::Value& temperature);

// Reasoning effort for the {summary, effort} object: none/light/medium/maximum ->
// none/low/medium/xhigh; throws std::invalid_argument otherwise.
const char* openai_reasoning_effort(std::string_view level);

// The tool's parameters schema, or an empty object schema when none was given.
json::Value tool_parameters(const json::Value& tool, json::Document& body);

// Merges the canonical "non_standard" object into the body's top level (prompt wins).
void merge_non_standard(const json::Value& prompt, json::Document& body);

std::string serialize(const json::Document& body);

}  // namespace llm_native::openai
