// Incremental framers: bytes in arbitrary chunks -> complete records.
// One framer per response; used only by the worker thread that owns the transfer.
// The records produced never depend on how the input was chunked.
#pragma once

#include <cstddef>
#include <memory>

#include "json_util.hpp"
#include "record.hpp"

namespace llm_native {

constexpr std::size_t kDefaultMaxRecord = 64u << 20;  // 64 MiB

// Receives what a framer produces. on_error reports a problem in the stream
// (Protocol, TooLarge or Truncated); the framer keeps going where it can, and the
// caller decides whether the first error ends the request.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void on_record(Record&& record) = 0;
  virtual void on_error(Error&& error) = 0;
  // A sink that will parse the JSON records anyway returns its parser: the framer then
  // checks each record by parsing it there (the same limits as json::validate) and hands
  // the result over in Record::parsed, so a record is parsed once, not twice.
  virtual json::RecordParser* json_parser() { return nullptr; }
};

class Framer {
 public:
  virtual ~Framer() = default;
  // Feed the next chunk of the body.
  virtual void feed(const char* data, std::size_t size, RecordSink& sink) = 0;
  // End of body. Emits what a complete body still owes (the Json record, the last
  // NDJSON line) and reports truncation (partial SSE event or line, unclosed array).
  virtual void finish(RecordSink& sink) = 0;
  // After finish(): true when the framing itself proved the body whole (a JSON array
  // closed by its ']', a whole JSON document parsed), a sign that the answer is complete.
  virtual bool body_complete() const { return false; }
};

// max_record bounds one record's size in bytes (a line, an event's data, an element,
// the whole Json body); a breach is a TooLarge error and that record is dropped.
std::unique_ptr<Framer> make_framer(Format format, std::size_t max_record = kDefaultMaxRecord);

// For a stream that should be a JSON array but may come as one whole JSON document (a
// server that ignored the streaming request): frames as JsonArray when the first
// significant byte is '[', else as Json.
std::unique_ptr<Framer> make_json_array_or_document_framer(std::size_t max_record = kDefaultMaxRecord);

}  // namespace llm_native
