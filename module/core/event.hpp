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
  Progress,   // a chat request's accumulated text or reasoning grew (payload filled at drain)
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
  // Progress, filled in by EventQueue::drain: the accumulated text and reasoning.
  std::string text;
  std::string reasoning;
  // Done of a chat request, set by EventQueue::drain: the result's text (reasoning) is the
  // one the request's last Progress event already handed over, so it need not be copied
  // into Lisp again.
  bool text_delivered = false;
  bool reasoning_delivered = false;

  bool terminal() const {
    return kind == EventKind::Done || kind == EventKind::Error || kind == EventKind::Cancelled;
  }
};

}  // namespace llm_native
