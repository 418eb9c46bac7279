// Events: what a request produces for the main thread. Plain data only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dialect.hpp"
#include "record.hpp"

namespace llm_native {

using RequestId = uint64_t;

enum class EventKind {
  Record,     // one framed record of a plain request
  Progress,   // a chat request's text or reasoning grew (the delta is filled in at drain)
  Done,       // terminal: success
  Error,      // terminal: failure
  Cancelled,  // terminal: cancelled by the caller
};

struct Event {
  RequestId id = 0;
  EventKind kind = EventKind::Record;
  Record record;                     // Record
  long status = 0;                   // Done: the HTTP status
  Error error;                       // Error
  std::optional<ChatResult> result;  // Done of a chat request
  // Progress, filled in by EventQueue::drain: the text and reasoning that arrived since
  // the request's previous Progress event.
  std::string text;
  std::string reasoning;
  // Done of a chat request: every byte of the result's text (reasoning) was already
  // handed over by Progress events, so it need not be copied into Lisp again.
  bool text_delivered = false;
  bool reasoning_delivered = false;

  bool terminal() const { return kind == EventKind::Done || kind == EventKind::Error || kind == EventKind::Cancelled; }
};

}  // namespace llm_native
