// Records: what the framing layer hands on, and the error type every core layer reports.
// Plain data only; built and consumed on the worker thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/fwd.h>

namespace llm_native {

// How a response body is cut into records.
enum class Format {
  Sse,        // text/event-stream: one record per dispatched event
  Ndjson,     // one record per non-blank line (a JSON text)
  JsonArray,  // one record per element of a top-level JSON array
  Json,       // the whole body is one JSON text, one record at the end
  Raw,        // decoded text as it arrives, one record per chunk
};

// Parses "sse", "ndjson", "json-array", "json", "raw"; throws std::invalid_argument otherwise.
Format parse_format(const std::string& name);

// One framed record. For Sse: type (default "message"), data, id (last event id).
// For the JSON formats and Raw: only data, which is valid UTF-8 (JSON formats: one
// complete JSON text, not yet parsed).
struct Record {
  std::string type;
  std::string data;
  std::string id;
  // For a JSON format whose sink asked for it (RecordSink::json_parser): data, parsed.
  // Owned by the sink's parser and valid only during on_record; nullptr otherwise.
  const rapidjson::Value* parsed = nullptr;
};

// Error categories. The names are what Lisp sees as the error symbol suffix.
enum class ErrorCode {
  Connection,  // could not connect, DNS, TLS, reset
  Timeout,     // connect, idle or total timeout
  Http,        // non-2xx status (body carried)
  Protocol,    // malformed record, trailing garbage, not the expected format
  TooLarge,    // a record over the size limit
  Truncated,   // the stream ended before its end signal
  Provider,    // an error the provider reported inside a 2xx stream or body
  Internal,    // a bug or resource failure in llm-native
};
const char* error_code_name(ErrorCode c);  // "connection", "timeout", "http", ...
// (A cancelled request ends with EventKind::Cancelled, not an error.)

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;   // names the cause, human readable
  long http_status = 0;  // 0 when not an HTTP error
  std::string body;      // the server's body for HTTP/provider errors (valid UTF-8), else ""
};

Error make_error(ErrorCode code, std::string message, std::string body = {});

// A short piece of text for an error message: valid UTF-8 (never a character cut in
// two), on one line (CR, LF and TAB become spaces), leading blanks dropped, at most limit
// bytes of text followed by "..." when it was cut.
std::string excerpt(std::string_view text, std::size_t limit);

}  // namespace llm_native
