// Small RapidJSON helpers shared by the dialects and the framers.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace llm_native::json {

using Value = rapidjson::Value;
using Document = rapidjson::Document;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// What Emacs can represent when Lisp parses a record again with `json-parse-string'
// (Emacs 28, jansson): nesting up to 2048 levels but also within `max-lisp-eval-depth'
// (800 by default) minus the depth the caller already runs at, integers in the int64
// range, no U+0000 in strings. Every parse here enforces these limits, so whatever C++
// accepts Lisp can read, and a hostile record fails its request instead of the parser
// recursing off the worker thread's stack.
constexpr int kMaxDepth = 512;

// The RapidJSON flags of every parse: full precision, UTF-8 validated.
constexpr unsigned kParseFlags = rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag;

// A raw NUL is never valid JSON, but RapidJSON reads it as the end of the document and
// would accept whatever follows it. True (with *error set) when text has one.
bool refuse_nul(std::string_view text, std::string* error);

// Parses text iteratively (full precision, UTF-8 validated, the limits above). Returns
// false and sets *error to a short message ("Missing a name for object member. at offset
// 5", "JSON nested deeper than 512 levels at offset 512") on failure.
bool parse(Document& doc, std::string_view text, std::string* error = nullptr);

// The same checks without building a document (the framers only validate).
bool validate(std::string_view text, std::string* error = nullptr);

// Checks the limits on the SAX events of one parse and forwards them to Inner (a
// document, or a handler that ignores them). Stream gives the offset for messages and
// for telling an integer literal from a float one.
template <class Inner, class Stream>
class LimitChecker {
 public:
  using Ch = char;
  LimitChecker(Inner& inner, Stream& stream, std::string_view source)
      : inner_(inner), stream_(stream), source_(source) {}

  bool Null() { return inner_.Null(); }
  bool Bool(bool b) { return inner_.Bool(b); }
  bool Int(int i) { return inner_.Int(i); }
  bool Uint(unsigned u) { return inner_.Uint(u); }
  bool Int64(int64_t i) { return inner_.Int64(i); }
  bool Uint64(uint64_t u) {
    if (u > static_cast<uint64_t>(INT64_MAX))
      return violate("integer outside the 64-bit range Emacs reads", number_end());
    return inner_.Uint64(u);
  }
  bool Double(double d) {
    // RapidJSON hands an integer literal too large for 64 bits over as a double; Emacs
    // 28 refuses it ("too big integer"). A float literal has '.', 'e' or 'E'.
    if (integer_literal()) return violate("integer outside the 64-bit range Emacs reads", number_end());
    return inner_.Double(d);
  }
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool copy) { return inner_.RawNumber(s, n, copy); }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) {
    if (n && std::memchr(s, 0, n)) return violate("\\u0000 in a string", string_end());
    return inner_.String(s, n, copy);
  }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) {
    if (n && std::memchr(s, 0, n)) return violate("\\u0000 in an object key", string_end());
    return inner_.Key(s, n, copy);
  }
  bool StartObject() { return enter() && inner_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return inner_.EndObject(n);
  }
  bool StartArray() { return enter() && inner_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return inner_.EndArray(n);
  }

  // Why the handler stopped the parse; nullptr when it did not.
  const char* violation() const { return violation_; }
  std::size_t violation_offset() const { return offset_; }

 private:
  bool enter() {
    if (++depth_ > kMaxDepth) return violate("JSON nested deeper than 512 levels");
    return true;
  }
  bool violate(const char* what) { return violate(what, stream_.Tell()); }
  bool violate(const char* what, std::size_t offset) {
    violation_ = what;
    offset_ = offset;
    return false;
  }
  // Where the string just read ends: an in-situ stream still stands at its opening quote,
  // a copying one after its closing quote (never followed by another quote).
  std::size_t string_end() {
    std::size_t at = stream_.Tell();
    if (at >= source_.size() || source_[at] != '"') return at;
    for (++at; at < source_.size() && source_[at] != '"'; ++at)
      if (source_[at] == '\\') ++at;
    return at + 1;
  }
  // Where the number just read ends, whichever side of it the stream stands (see below):
  // the same offset for every kind of stream.
  std::size_t number_end() {
    std::size_t at = stream_.Tell();
    auto number_byte = [](char c) {
      return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
    };
    if (at < source_.size() && ((source_[at] >= '0' && source_[at] <= '9') || source_[at] == '-'))
      while (at < source_.size() && number_byte(source_[at])) ++at;
    return at;
  }
  // The stream stands after the number, or (for string streams, which RapidJSON copies
  // while it reads a number) still at its start: a number is never followed by a digit
  // or '-', so the byte at Tell() says which.
  bool integer_literal() {
    std::size_t at = stream_.Tell();
    if (at > source_.size()) return false;
    auto number_byte = [](char c) {
      return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
    };
    auto fraction = [](char c) { return c == '.' || c == 'e' || c == 'E'; };
    if (at < source_.size() && ((source_[at] >= '0' && source_[at] <= '9') || source_[at] == '-')) {
      for (std::size_t i = at; i < source_.size() && number_byte(source_[i]); ++i)
        if (fraction(source_[i])) return false;
      return true;
    }
    for (std::size_t i = at; i > 0 && number_byte(source_[i - 1]); --i)
      if (fraction(source_[i - 1])) return false;
    return true;
  }

  Inner& inner_;
  Stream& stream_;
  std::string_view source_;
  int depth_ = 0;
  const char* violation_ = nullptr;
  std::size_t offset_ = 0;
};

// Parses stream (whose bytes are source) into doc under the limits, iteratively.
// Flags are RapidJSON parse flags (kParseIterativeFlag is always added).
template <unsigned Flags, class Doc, class Stream>
bool parse_limited(Doc& doc, Stream& stream, std::string_view source, std::string* error) {
  rapidjson::ParseResult result;
  const char* violation = nullptr;
  std::size_t violation_offset = 0;
  auto generate = [&](Doc& handler) {
    LimitChecker<Doc, Stream> checker(handler, stream, source);
    rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>> reader;
    result = reader.template Parse<Flags | rapidjson::kParseIterativeFlag>(stream, checker);
    violation = checker.violation();
    violation_offset = checker.violation_offset();
    return !result.IsError();
  };
  doc.SetNull();
  doc.Populate(generate);
  if (!result.IsError()) return true;
  doc.SetNull();
  if (error) {
    *error = std::string(violation ? violation : rapidjson::GetParseError_En(result.Code())) + " at offset " +
             std::to_string(violation ? violation_offset : result.Offset());
  }
  return false;
}

// The pooled parser of every record: parses one at a time without a fresh heap allocation per record: the text is
// copied into a reused buffer and parsed in place, values live in a pool that is reset
// before each parse. The parsed root stays valid until the next parse() call. The limits
// are json::parse's (json_util.hpp), UTF-8 validated, with the same messages.
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

// Member lookups that tolerate a missing key, a null, or a value of another type.
const Value* member(const Value& obj, const char* key);             // any non-null value
const Value* object_member(const Value& obj, const char* key);      // objects only
const Value* array_member(const Value& obj, const char* key);       // arrays only
std::string_view string_member(const Value& obj, const char* key);  // "" unless a string
bool has_string(const Value& obj, const char* key);
int64_t int_member(const Value& obj, const char* key, int64_t fallback = -1);
bool bool_member(const Value& obj, const char* key, bool fallback = false);

// Serializes a value to compact JSON text.
std::string to_string(const Value& v);

using Alloc = Document::AllocatorType;

// A JSON string value holding a copy of s. An empty view may have no data pointer, which
// RapidJSON refuses (it asserts), hence "" for it.
inline Value string_value(std::string_view s, Alloc& a) {
  return Value(s.empty() ? "" : s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

// Sets obj[key] = v, replacing an existing member so the output never has duplicate keys.
void put(Value& obj, std::string_view key, Value&& v, Alloc& a);

// Parses the canonical prompt; throws std::invalid_argument unless it is a JSON object.
void parse_prompt(Document& prompt, const std::string& text);

// text without leading and trailing blanks (space, tab, CR, LF).
std::string_view trim(std::string_view text);

// Writes s as a JSON string value.
inline void write_string(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
inline void write_key(Writer& w, std::string_view s) { w.Key(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

}  // namespace llm_native::json
