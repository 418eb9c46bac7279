#include "json_util.hpp"

#include <rapidjson/error/en.h>

namespace llm_native::json {

bool parse(Document& doc, std::string_view text, std::string* error) {
  doc.Parse<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    if (error) {
      *error = std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " at offset " +
               std::to_string(doc.GetErrorOffset());
    }
    return false;
  }
  return true;
}

const Value* member(const Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

const Value* object_member(const Value& obj, const char* key) {
  const Value* v = member(obj, key);
  return v && v->IsObject() ? v : nullptr;
}

const Value* array_member(const Value& obj, const char* key) {
  const Value* v = member(obj, key);
  return v && v->IsArray() ? v : nullptr;
}

std::string_view string_member(const Value& obj, const char* key) {
  const Value* v = member(obj, key);
  if (!v || !v->IsString()) return {};
  return {v->GetString(), v->GetStringLength()};
}

bool has_string(const Value& obj, const char* key) {
  const Value* v = member(obj, key);
  return v && v->IsString();
}

int64_t int_member(const Value& obj, const char* key, int64_t fallback) {
  const Value* v = member(obj, key);
  if (!v) return fallback;
  if (v->IsInt64()) return v->GetInt64();
  if (v->IsNumber()) return static_cast<int64_t>(v->GetDouble());
  return fallback;
}

bool bool_member(const Value& obj, const char* key, bool fallback) {
  const Value* v = member(obj, key);
  return v && v->IsBool() ? v->GetBool() : fallback;
}

std::string to_string(const Value& v) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace llm_native::json
