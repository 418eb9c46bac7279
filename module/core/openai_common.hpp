// Helpers shared by the two OpenAI dialects (Chat Completions and Responses): provider
// error text and the small pieces of body JSON both APIs spell the same way. What every
// dialect shares is in dialect_common.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dialect.hpp"
#include "dialect_common.hpp"
#include "json_util.hpp"

namespace llm_native::openai {

// A readable message from an OpenAI error value: the object {"message","type","code"}
// (or a bare string). Always starts with the provider's own message text.
std::string describe_error(const json::Value& error);

// Dialect::error_message of both OpenAI dialects: an HTTP error body's error object, or
// a bare {"message"} object (the Responses API's shape), described.
std::string error_message(const std::string& body);

// Builds the Provider error for an error value found inside a 2xx response.
Error provider_error(const json::Value& error, std::string_view raw_record);

// A refusal (the message's or delta's "refusal" text) as a Provider error naming it.
Error refusal_error(std::string_view refusal);

// finish_reason / incomplete reason content_filter: the answer was withheld.
Error content_filter_error();

// ---- request bodies ----

// Deep copy of v into the body's allocator.
json::Value copy(const json::Value& v, json::Document& body);
json::Value string_value(std::string_view s, json::Document& body);

// Sets (or replaces) body[key] = value.
void set_member(json::Value& obj, std::string_view key, json::Value value, json::Document& body);

// "data:<mime>;base64,<data>".
std::string data_url(std::string_view mime, std::string_view base64);

// The schema with additionalProperties:false at its top level (strict mode needs it).
json::Value strict_schema(const json::Value& schema, json::Document& body);

std::string serialize(const json::Document& body);

// Adds the prompt's "tools" and "tool_choice" to the body as both APIs spell them: a
// tool's description only when given, an empty object schema when it has no parameters;
// wrap says where a tool's name (and a named tool_choice's) goes: FunctionObject for Chat
// Completions, TypeFunction for Responses. Throws std::invalid_argument on a tool_choice
// neither API has.
void add_tools(const json::Value& prompt, dialect::ToolShape::Wrap wrap, json::Document& body);

}  // namespace llm_native::openai
