#include "record.hpp"

#include <stdexcept>

namespace llm_native {

Format parse_format(const std::string& name) {
  if (name == "sse") return Format::Sse;
  if (name == "ndjson") return Format::Ndjson;
  if (name == "json-array") return Format::JsonArray;
  if (name == "json") return Format::Json;
  if (name == "raw") return Format::Raw;
  throw std::invalid_argument("unknown stream format: " + name +
                              " (expected sse, ndjson, json-array, json or raw)");
}

const char* format_name(Format f) {
  switch (f) {
    case Format::Sse: return "sse";
    case Format::Ndjson: return "ndjson";
    case Format::JsonArray: return "json-array";
    case Format::Json: return "json";
    case Format::Raw: return "raw";
  }
  return "?";
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
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::Internal: return "internal";
  }
  return "internal";
}

}  // namespace llm_native
