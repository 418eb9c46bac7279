// Pieces every dialect shares: reading the canonical prompt (text parts, tools, extra
// parameters, reasoning levels, temperature) and the pooled per-record JSON parser.
// Builders run on the main thread, parsers on the worker thread of their request.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "json_util.hpp"

namespace llm_native::dialect {

// True when v is present and "truthy" the way openai-python checks the "error" key of a
// stream event: not null, not false, not an empty string/object/array, not 0.
bool truthy(const json::Value* v);

// The one reader of HTTP error bodies (4xx/5xx): describe() of the body's truthy "error"
// member (also when the body is an array whose first element holds it, as gateways and
// Vertex send); with bare_message, an object with a string "message" is described
// itself (the Responses API's shape). Otherwise the body, trimmed.
std::string error_body_message(std::string_view body, std::string (*describe)(const json::Value&),
                               bool bare_message = false);

// The text of a content value: the string itself, or the "text" of its parts joined with
// no separator (parts that are bare strings count as text).
std::string content_text(const json::Value& content);

// Appends text to a system prompt on a line of its own (nothing when text is empty).
void append_system_line(std::string& system, std::string_view text);

// Fills a turn's items (blocks, parts) the way its dialect spells them and returns the
// turn's wire role; throws std::invalid_argument on a role the dialect does not know.
using TurnItems = const char* (*)(const json::Value& turn, std::string_view role, const json::Value* content,
                                  json::Value& items, json::Alloc& a);

// The messages of interactions for dialects that keep the system prompt apart (Anthropic,
// Gemini): the text of each system turn goes to system on a line of its own; every other
// turn becomes {"role": wire role, items_key: items} from turn_items, and is left out when
// it has no items (both APIs reject an empty message).
json::Value turn_messages(const json::Value& interactions, std::string& system, const char* items_key,
                          TurnItems turn_items, json::Alloc& a);

// How a dialect spells one entry of its tools array.
struct ToolShape {
  enum class Missing { Empty, ObjectSchema, Omit };
  const char* schema_key = "parameters";    // "input_schema" for Anthropic
  Missing missing_schema = Missing::Empty;  // no parameters: {}, an empty object schema, or none
  bool description_always = true;           // false: only when the tool has a string one
  enum class Wrap { None, TypeFunction, FunctionObject } wrap = Wrap::None;
  // TypeFunction: {"type":"function", name, ...}; FunctionObject: {"type":"function",
  // "function":{name, ...}}.
};

// The tools array of the prompt in the dialect's shape (empty when the prompt has none).
json::Value tools_array(const json::Value& prompt, const ToolShape& shape, json::Alloc& a);

// Copies the prompt's "non_standard" object (the provider's extra parameters) into
// target, its keys replacing what is there. With top_level, the keys it picks go into
// *top instead (Ollama's options object holds the rest).
void merge_extra_params(const json::Value& prompt, json::Value& target, json::Alloc& a,
                        bool (*top_level)(std::string_view key) = nullptr, json::Value* top = nullptr);

// llm's reasoning levels and what each dialect calls them.
enum class Effort { OpenAi, Anthropic, DeepSeek };
// "none", "light", "medium", "maximum" -> the dialect's effort word (nullptr for "none"
// where the dialect has no such effort). Throws std::invalid_argument on another level.
const char* reasoning_effort(std::string_view level, Effort dialect);

// Temperature on a 0..2 scale (OpenAI, Gemini) from llm's 0..1 scale; throws
// std::invalid_argument unless it is a number.
double scaled_temperature(const json::Value& temperature);

// Checks that args is one JSON object ("" or blanks become "{}"): compact rewrites it as
// compact JSON, else it keeps its text, trimmed. On failure returns false with *error
// naming the problem.
bool normalize_tool_arguments(std::string& args, bool compact, std::string* error);

}  // namespace llm_native::dialect
