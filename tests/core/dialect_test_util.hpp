// Helpers of the Anthropic, Gemini and Ollama dialect tests: fixtures decoded at every split and compared with
// EXPECTED.json, request bodies compared as JSON.
#pragma once
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "dialect.hpp"
#include "framing.hpp"
#include "json_util.hpp"
#include "test_util.hpp"

namespace llm_native {
namespace dialect_test {

using json::Document;
using json::Value;

// Feeds framed records to a decoder and remembers the framer's first error.
class DecoderSink : public RecordSink {
 public:
  explicit DecoderSink(Decoder& decoder) : decoder_(decoder) {}
  void on_record(Record&& record) override { decoder_.on_record(record); }
  void on_error(Error&& error) override {
    if (!framing_error) framing_error = std::move(error);
  }
  std::optional<Error> framing_error;

 private:
  Decoder& decoder_;
};

struct Outcome {
  ChatResult result;
  std::optional<Error> error;  // the decoder's error, else the framer's
  bool complete = false;
};

// Decodes body cut into the given pieces (cut offsets, ascending).
inline Outcome decode(const Dialect& dialect, Format format, bool streaming, const std::string& body,
                      const std::vector<size_t>& cuts) {
  auto decoder = dialect.make_decoder(streaming);
  auto framer = make_framer(format);
  DecoderSink sink(*decoder);
  test::feed_in_pieces(*framer, body, cuts, sink);
  framer->finish(sink);
  decoder->finish();
  Outcome out;
  out.result = decoder->result();
  out.error = decoder->error() ? decoder->error() : sink.framing_error;
  out.complete = decoder->complete();
  return out;
}

struct UsageKeys {
  const char* input;
  const char* output;
  const char* finish;  // EXPECTED.json's key for the finish reason
};

// Compares one decode with the fixture's EXPECTED semantics; returns "" or what differs.
inline std::string mismatch(const Outcome& out, const Value& semantics, const UsageKeys& keys) {
  auto str = [&](const char* key) { return std::string(json::string_member(semantics, key)); };
  if (out.result.text != str("text")) return "text: got '" + out.result.text + "'";
  if (out.result.reasoning != str("reasoning")) return "reasoning: got '" + out.result.reasoning + "'";

  const Value& calls = semantics["tool_calls"];
  if (out.result.tool_calls.size() != calls.Size())
    return "tool call count: got " + std::to_string(out.result.tool_calls.size());
  for (rapidjson::SizeType i = 0; i < calls.Size(); ++i) {
    const ToolCall& got = out.result.tool_calls[i];
    if (got.name != json::string_member(calls[i], "name")) return "tool name: got " + got.name;
    if (json::has_string(calls[i], "id") && got.id != json::string_member(calls[i], "id"))
      return "tool id: got " + got.id;
    Document args;
    if (!json::parse(args, got.args_json)) return "tool args not JSON: " + got.args_json;
    if (!test::json_equal(args, calls[i]["arguments"])) return "tool args: got " + got.args_json;
  }

  const Value* usage = json::object_member(semantics, "usage");
  int64_t want_in = usage ? json::int_member(*usage, keys.input) : -1;
  int64_t want_out = usage ? json::int_member(*usage, keys.output) : -1;
  if (out.result.input_tokens != want_in) return "input tokens: got " + std::to_string(out.result.input_tokens);
  if (out.result.output_tokens != want_out) return "output tokens: got " + std::to_string(out.result.output_tokens);

  std::string want_finish = str(keys.finish);
  if (!want_finish.empty() && out.result.finish_reason != want_finish)
    return "finish reason: got " + out.result.finish_reason;

  // The expected error: a provider error naming the provider's text, a blocked prompt, a
  // truncation, or none.
  const Value* error = json::member(semantics, "error");
  std::string blocked = str("prompt_blocked");
  bool truncated = json::bool_member(semantics, "truncated");
  if (error) {
    std::string text = error->IsString() ? error->GetString() : std::string(json::string_member(*error, "message"));
    if (!out.error || out.error->code != ErrorCode::Provider) return "expected a provider error";
    if (out.error->message.find(text) == std::string::npos) return "error message: " + out.error->message;
  } else if (!blocked.empty()) {
    if (!out.error || out.error->code != ErrorCode::Provider) return "expected a blocked-prompt error";
    if (out.error->message.find(blocked) == std::string::npos) return "error message: " + out.error->message;
  } else if (truncated) {
    if (!out.error || out.error->code != ErrorCode::Truncated) return "expected truncation";
  } else {
    if (out.error) return "unexpected error: " + out.error->message;
    if (!out.complete) return "not complete";
  }
  return "";
}

// Runs one provider folder: every fixture whole, byte by byte and at every split point.
inline void check_fixture_folder(const std::string& folder, const Dialect& dialect, const UsageKeys& keys,
                                 size_t expected_count) {
  Document expected;
  test::load_expected(expected, folder);
  size_t checked = 0;
  for (const auto& entry : expected.GetObject()) {
    std::string name = entry.name.GetString();
    const Value* semantics = json::object_member(entry.value, "semantics");
    if (!semantics) continue;  // an error body, not a stream: tested separately
    std::string framing(json::string_member(entry.value, "framing"));
    Format format = parse_format(framing);
    std::string body = test::read_fixture(name);
    CAPTURE(name);

    std::string whole = mismatch(decode(dialect, format, true, body, {}), *semantics, keys);
    CHECK_MESSAGE(whole.empty(), name << " whole: " << whole);

    std::vector<size_t> every_byte;
    for (size_t i = 1; i < body.size(); ++i) every_byte.push_back(i);
    std::string bytewise = mismatch(decode(dialect, format, true, body, every_byte), *semantics, keys);
    CHECK_MESSAGE(bytewise.empty(), name << " byte by byte: " << bytewise);

    size_t failures = 0;
    std::string first_failure;
    for (size_t cut = 1; cut < body.size(); ++cut) {
      std::string m = mismatch(decode(dialect, format, true, body, {cut}), *semantics, keys);
      if (!m.empty() && failures++ == 0) first_failure = "split at " + std::to_string(cut) + ": " + m;
    }
    CHECK_MESSAGE(failures == 0, name << " " << first_failure);
    ++checked;
  }
  CHECK(checked == expected_count);
}

inline const Dialect& anthropic() { return find_dialect("anthropic"); }
inline const Dialect& gemini() { return find_dialect("gemini"); }
inline const Dialect& ollama() { return find_dialect("ollama"); }

inline Outcome decode_records(const Dialect& dialect, bool streaming, const std::vector<std::string>& datas) {
  auto decoder = dialect.make_decoder(streaming);
  for (const std::string& data : datas) decoder->on_record(Record{"message", data, ""});
  decoder->finish();
  return Outcome{decoder->result(), decoder->error(), decoder->complete()};
}

// --- Request bodies ------------------------------------------------------------------

struct BodyCase {
  const char* name;
  const char* prompt;
  bool streaming;
  const char* expected;
};

inline void check_bodies(const Dialect& dialect, const std::vector<BodyCase>& cases) {
  for (const BodyCase& c : cases) {
    CAPTURE(c.name);
    std::string body = dialect.build_body(c.prompt, c.streaming);
    CHECK_MESSAGE(test::json_text_equal(body, c.expected), c.name << "\n got:  " << body << "\n want: " << c.expected);
  }
}

}  // namespace dialect_test
}  // namespace llm_native
