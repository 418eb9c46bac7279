// Small RapidJSON helpers shared by the dialects and the framers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace llm_native::json {

using Value = rapidjson::Value;
using Document = rapidjson::Document;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Parses text (full precision, UTF-8 validated). Returns false and sets *error to a short
// message ("Missing a name for object member. at offset 5") on failure.
bool parse(Document& doc, std::string_view text, std::string* error = nullptr);

// Member lookups that tolerate a missing key, a null, or a value of another type.
const Value* member(const Value& obj, const char* key);            // any non-null value
const Value* object_member(const Value& obj, const char* key);     // objects only
const Value* array_member(const Value& obj, const char* key);      // arrays only
std::string_view string_member(const Value& obj, const char* key); // "" unless a string
bool has_string(const Value& obj, const char* key);
int64_t int_member(const Value& obj, const char* key, int64_t fallback = -1);
bool bool_member(const Value& obj, const char* key, bool fallback = false);

// Serializes a value to compact JSON text.
std::string to_string(const Value& v);

using Alloc = Document::AllocatorType;

// A JSON string value holding a copy of s.
inline Value string_value(std::string_view s, Alloc& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

// Sets obj[key] = v, replacing an existing member so the output never has duplicate keys.
void put(Value& obj, std::string_view key, Value&& v, Alloc& a);

// Parses the canonical prompt; throws std::invalid_argument unless it is a JSON object.
void parse_prompt(Document& prompt, const std::string& text);

// text without leading and trailing blanks (space, tab, CR, LF).
std::string_view trim(std::string_view text);

// The fallback error message of an error body that is not the provider's error shape.
inline std::string trimmed_body(std::string_view body) { return std::string(trim(body)); }

// The message of an HTTP error body: describe() of its "error" member (also when the body
// is an array whose first element holds it, as gateways and Vertex send), else the
// trimmed body.
std::string error_body_message(std::string_view body, std::string (*describe)(const Value&));

// Writes s as a JSON string value.
inline void write_string(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void write_key(Writer& w, std::string_view s) {
  w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace llm_native::json
