#include "json_util.hpp"

#include <stdexcept>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>

namespace llm_native::json {

bool refuse_nul(std::string_view text, std::string* error) {
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    if (error) *error = "NUL byte in JSON text at offset " + std::to_string(nul);
    return true;
  }
  return false;
}

namespace {

// Accepts every SAX event: validate() needs the checks, not the values.
struct Ignore : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Ignore> {
  bool Default() { return true; }
};

}  // namespace

bool parse(Document& doc, std::string_view text, std::string* error) {
  if (refuse_nul(text, error)) {
    doc.SetNull();
    return false;
  }
  // A plain MemoryStream: Parse(str, length) wraps it in an EncodedInputStream, which
  // silently skips any of the bytes EF, BB, BF at the start ("\xBF2" would parse as 2).
  rapidjson::MemoryStream stream(text.data(), text.size());
  return parse_limited<kParseFlags>(doc, stream, text, error);
}

bool validate(std::string_view text, std::string* error) {
  if (refuse_nul(text, error)) return false;
  rapidjson::MemoryStream stream(text.data(), text.size());
  Ignore ignore;
  LimitChecker<Ignore, rapidjson::MemoryStream> checker(ignore, stream, text);
  rapidjson::Reader reader;
  rapidjson::ParseResult result = reader.Parse<kParseFlags | rapidjson::kParseIterativeFlag>(stream, checker);
  if (!result.IsError()) return true;
  if (error) {
    const char* violation = checker.violation();
    *error = std::string(violation ? violation : rapidjson::GetParseError_En(result.Code())) + " at offset " +
             std::to_string(violation ? checker.violation_offset() : result.Offset());
  }
  return false;
}

RecordParser::RecordParser() : pool_(pool_buffer_, kPoolBufferSize), doc_(&pool_, 1024, &pool_) {}

const Value* RecordParser::parse(std::string_view text, std::string* error) {
  // The pool serves both the values and the parse stack; nothing from the previous
  // record is referenced any more, so resetting it reuses the same memory.
  pool_.Clear();
  if (refuse_nul(text, error)) return nullptr;
  scratch_.assign(text.data(), text.size());
  // Iterative and within the limits Emacs can read (json_util.hpp).
  rapidjson::InsituStringStream stream(&scratch_[0]);
  if (!parse_limited<kParseFlags | rapidjson::kParseInsituFlag>(doc_, stream, text, error)) return nullptr;
  return &doc_;
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

void put(Value& obj, std::string_view key, Value&& v, Alloc& a) {
  auto it = obj.FindMember(
      Value(rapidjson::StringRef(key.empty() ? "" : key.data(), static_cast<rapidjson::SizeType>(key.size()))));
  if (it != obj.MemberEnd()) {
    it->value = std::move(v);
  } else {
    obj.AddMember(string_value(key, a), std::move(v), a);
  }
}

void parse_prompt(Document& prompt, const std::string& text) {
  std::string error;
  if (!parse(prompt, text, &error)) throw std::invalid_argument("canonical prompt is not valid JSON: " + error);
  if (!prompt.IsObject()) throw std::invalid_argument("canonical prompt is not a JSON object");
}

std::string_view trim(std::string_view text) {
  const char* blanks = " \t\r\n";
  auto start = text.find_first_not_of(blanks);
  if (start == std::string_view::npos) return {};
  auto end = text.find_last_not_of(blanks);
  return text.substr(start, end - start + 1);
}

std::string to_string(const Value& v) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace llm_native::json
