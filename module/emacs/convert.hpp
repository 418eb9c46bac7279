// Conversions between Lisp values and the core's plain data (main thread only).
#pragma once

#include "engine.hpp"
#include "env.hpp"

namespace llm_native::emacs {

// Reads a request plist: :method :url :headers (list of "Name: value") :body :format
// (symbol) :dialect (string) :streaming :connect-timeout :idle-timeout :timeout (seconds,
// nil for none) :proxy :insecure :max-record-size, and :prompt (canonical prompt JSON: the
// :dialect builds the body from it). Throws std::invalid_argument on a bad value.
RequestSpec spec_from_plist(const Env& env, emacs_value plist);

// DIALECT's request body for the canonical PROMPT JSON. What the protocol cannot carry
// (a PDF to an OpenAI-compatible server, say) signals llm-native-unsupported.
std::string build_body(const Dialect& dialect, const std::string& prompt, bool streaming);

// One event as a list:
//   (ID record TYPE DATA EVENT-ID)      TYPE and EVENT-ID nil unless SSE
//   (ID progress TEXT REASONING)       what arrived since the previous progress event
//   (ID done STATUS RESULT)             RESULT nil, or for chat requests
//       [TEXT REASONING TOOL-CALLS INPUT-TOKENS OUTPUT-TOKENS FINISH-REASON MULTI-TURN-JSON]
//       with TOOL-CALLS a list of [ID NAME ARGS-JSON EXTRA-JSON]; absent values are nil;
//       TEXT or REASONING is t when the progress events already carried all of it
//   (ID error CODE MESSAGE STATUS BODY) CODE a symbol: connection timeout http protocol
//       too-large truncated provider cancelled internal
//   (ID cancelled)
emacs_value event_to_lisp(const Env& env, const Event& event);

}  // namespace llm_native::emacs
