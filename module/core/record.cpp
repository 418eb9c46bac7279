#include "record.hpp"

#include <stdexcept>

#include "utf8.hpp"

namespace llm_native {

Format parse_format(const std::string& name) {
  if (name == "sse") return Format::Sse;
  if (name == "ndjson") return Format::Ndjson;
  if (name == "json-array") return Format::JsonArray;
  if (name == "json") return Format::Json;
  if (name == "raw") return Format::Raw;
  throw std::invalid_argument("unknown stream format: " + name + " (expected sse, ndjson, json-array, json or raw)");
}

const char* error_code_name(ErrorCode c) {
  switch (c) {
    case ErrorCode::Connection: return "connection";
    case ErrorCode::Timeout: return "timeout";
    case ErrorCode::Http: return "http";
    case ErrorCode::Protocol: return "protocol";
    case ErrorCode::TooLarge: return "too-large";
    case ErrorCode::Truncated: return "truncated";
    case ErrorCode::Provider: return "provider";
    case ErrorCode::Internal: return "internal";
  }
  return "internal";
}

Error make_error(ErrorCode code, std::string message, std::string body) {
  Error error;
  error.code = code;
  error.message = std::move(message);
  error.body = std::move(body);
  return error;
}

std::string excerpt(std::string_view text, std::size_t limit) {
  bool cut = text.size() > limit;
  if (cut) {
    std::size_t end = limit;
    // Back off to the start of the character the limit falls in.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text = text.substr(0, end);
  }
  std::string s = utf8::sanitized(text);
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  std::size_t start = s.find_first_not_of(' ');
  s.erase(0, start == std::string::npos ? s.size() : start);
  if (cut) s += "...";
  return s;
}

}  // namespace llm_native
