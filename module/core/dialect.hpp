// Dialects: one per provider wire protocol. A dialect builds request bodies from the
// canonical prompt (doc/PROMPT.md) and decodes responses into one
// normalized ChatResult.
//
// build_body runs on the main thread; a Decoder lives on the worker thread of the
// request it decodes. Neither touches Emacs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dialect_common.hpp"
#include "record.hpp"

namespace llm_native {

struct ToolCall {
  std::string id;  // provider call id ("" when the provider has none)
  std::string name;
  std::string args_json;   // the arguments as one JSON object text ("{}" when empty)
  std::string extra_json;  // provider state for this call as a JSON object ("" if none),
                           // e.g. {"thought_signature":"..."} for Gemini
};

// Everything a chat response yields, accumulated over the stream.
struct ChatResult {
  std::string text;                  // assistant text so far
  std::string reasoning;             // reasoning / thinking text so far
  std::vector<ToolCall> tool_calls;  // complete calls only (fragments stay in the decoder)
  int64_t input_tokens = -1;         // -1: not reported
  int64_t output_tokens = -1;
  std::string finish_reason;    // as the provider names it ("" if none)
  std::string multi_turn_json;  // JSON object to store on the assistant turn, "" if none
};

// Decodes one response. A stream decoder is fed each framed record in order; a body
// decoder gets one record holding the whole JSON body.
//
// The completion rule (every dialect): a response is truncated only when nothing in it
// shows that the answer was complete. Any sign the protocol gives counts: a finish or stop
// reason, [DONE], message_stop, done:true, and the framing itself when it proves the body
// whole (a JSON array's closing bracket, a complete JSON document; see body_closed()).
class Decoder {
 public:
  virtual ~Decoder() = default;
  // Consume one record. Sets error() on a provider error (including one inside a 2xx
  // stream), a refusal or a malformed record; after an error further records are ignored.
  virtual void on_record(const Record& record) = 0;
  // The body ended (cleanly, or after a completion sign). Finishes pending tool calls and
  // sets a Truncated error when no completion sign was seen.
  virtual void finish() = 0;
  // The framing proved the body whole: a JSON array closed by its ']', or a whole JSON
  // document parsed. That is itself a sign of completion.
  void body_closed() { complete_ = true; }

  const ChatResult& result() const { return result_; }
  ChatResult& result() { return result_; }
  const std::optional<Error>& error() const { return error_; }
  // True once a sign of completion was seen.
  bool complete() const { return complete_; }
  // The parser this decoder reads records with; a framer may parse into it for it.
  json::RecordParser& parser() { return parser_; }

 protected:
  // The record's JSON root: the framer's parse when it made one (Record::parsed), else
  // parsed here with the pooled parser; valid until the next record. nullptr on
  // malformed JSON (*error says why).
  const json::Value* parse_record(const Record& record, std::string* error);
  // The record's root when it is a JSON object; otherwise nullptr after failing with a
  // Protocol error: malformed followed by the parse error, or not_object.
  const json::Value* parse_object(const Record& record, std::string_view malformed, std::string_view not_object);
  // What finish() does once nothing is pending: a response that neither failed nor showed
  // a completion sign is truncated (message says how).
  void fail_unless_complete(std::string_view message);
  // Ends the response with an error (the first one stands; later records are ignored).
  void fail(ErrorCode code, std::string message, std::string body = {});
  // Keeps the token counts a record reports; a negative count is "not reported".
  void record_usage(int64_t input, int64_t output);
  // Adds a complete tool call after checking that its arguments are one JSON object
  // (dialect::normalize_tool_arguments; compact rewrites them). On bad arguments fails
  // with a Protocol error naming the tool and returns false.
  bool accept_tool_call(ToolCall call, bool compact);

  ChatResult result_;
  std::optional<Error> error_;
  bool complete_ = false;

 private:
  json::RecordParser parser_;
};

class Dialect {
 public:
  virtual ~Dialect() = default;
  // Request body (JSON text) from the canonical prompt (JSON text).
  // Throws std::invalid_argument with a clear message on a prompt it cannot express.
  virtual std::string build_body(const std::string& canonical_prompt, bool streaming) const = 0;
  // Framing of this dialect's streamed responses (non-streaming asks for Format::Json).
  virtual Format stream_format() const = 0;
  // A decoder for a streamed response (records) or a whole body (one JSON record). The
  // engine chooses by the framing the response actually has, not by what was asked for.
  virtual std::unique_ptr<Decoder> make_decoder(bool streaming) const = 0;
  // The provider's own error text from an error body (HTTP 4xx/5xx); falls back to the
  // body itself, trimmed, when it is not the provider's error shape.
  virtual std::string error_message(const std::string& body) const = 0;
};

// A dialect made of its parts, which is all most dialects are.
struct DialectParts {
  std::string (*build_body)(const std::string& canonical_prompt, bool streaming);
  Format stream_format;
  std::unique_ptr<Decoder> (*make_decoder)(bool streaming);
  std::string (*error_message)(const std::string& body);
};

class PartsDialect final : public Dialect {
 public:
  explicit PartsDialect(DialectParts parts) : parts_(parts) {}
  std::string build_body(const std::string& canonical_prompt, bool streaming) const override {
    return parts_.build_body(canonical_prompt, streaming);
  }
  Format stream_format() const override { return parts_.stream_format; }
  std::unique_ptr<Decoder> make_decoder(bool streaming) const override { return parts_.make_decoder(streaming); }
  std::string error_message(const std::string& body) const override { return parts_.error_message(body); }

 private:
  DialectParts parts_;
};

// make_decoder for a dialect with one decoder class for streams and another for bodies
// (the same class for both when they read the same records).
template <class StreamDecoder, class BodyDecoder = StreamDecoder>
std::unique_ptr<Decoder> make_decoder_of(bool streaming) {
  if (streaming) return std::make_unique<StreamDecoder>();
  return std::make_unique<BodyDecoder>();
}

// The registry of dialects: the dialect called name ("openai-chat", "openai-responses",
// "anthropic", "gemini", "ollama"), a singleton that is stateless and safe to share
// across threads. Throws std::invalid_argument naming the known ones otherwise.
// Adding a dialect: its dialect_<name>.cpp and one line in the table in dialect.cpp.
const Dialect& find_dialect(std::string_view name);

// Every registered dialect's name, in registration order.
std::vector<std::string_view> dialect_names();

}  // namespace llm_native
