// Helpers of the OpenAI dialect tests (Chat Completions and Responses): fixtures decoded whole and at every split
// against EXPECTED.json, bodies compared as JSON.
#pragma once
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dialect.hpp"
#include "framing.hpp"
#include "json_util.hpp"
#include "test_util.hpp"

using namespace llm_native;
using llm_native::test::json_equal;
using llm_native::test::json_text_equal;

namespace dialect_test {

struct CollectingSink : RecordSink {
  std::vector<Record> records;
  std::vector<Error> errors;
  void on_record(Record&& r) override { records.push_back(std::move(r)); }
  void on_error(Error&& e) override { errors.push_back(std::move(e)); }
};

// Frames bytes with the SSE framer, fed as the given parts, then decodes the records.
inline std::unique_ptr<Decoder> decode_parts(const Dialect& dialect, const std::vector<std::string>& parts,
                                             std::vector<Error>* framing_errors = nullptr) {
  auto framer = make_framer(Format::Sse);
  CollectingSink sink;
  for (const auto& p : parts) framer->feed(p.data(), p.size(), sink);
  framer->finish(sink);
  if (framing_errors) *framing_errors = sink.errors;
  auto decoder = dialect.make_decoder(true);
  for (const auto& r : sink.records) decoder->on_record(r);
  decoder->finish();
  return decoder;
}

inline std::unique_ptr<Decoder> decode_sse(const Dialect& dialect, const std::string& bytes) {
  return decode_parts(dialect, {bytes});
}

// Feeds records directly (data only, or event name + data).
inline std::unique_ptr<Decoder> decode_records(const Dialect& dialect, bool streaming,
                                               const std::vector<Record>& records) {
  auto decoder = dialect.make_decoder(streaming);
  for (const auto& r : records) decoder->on_record(r);
  decoder->finish();
  return decoder;
}

inline Record data_record(std::string data) { return Record{"message", std::move(data), ""}; }
inline Record event_record(std::string type, std::string data) { return Record{std::move(type), std::move(data), ""}; }

inline std::string text_of(const json::Value& v) {
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string();
}

// Compares a decoder's outcome with a fixture's EXPECTED "semantics"; "" when they agree.
inline std::string mismatch(const Decoder& d, const json::Value& sem, bool responses) {
  const ChatResult& r = d.result();
  if (r.text != text_of(sem["text"])) return "text: got '" + r.text + "'";
  if (r.reasoning != text_of(sem["reasoning"])) return "reasoning: got '" + r.reasoning + "'";
  const json::Value& calls = sem["tool_calls"];
  if (r.tool_calls.size() != calls.Size()) return "tool call count: got " + std::to_string(r.tool_calls.size());
  for (rapidjson::SizeType i = 0; i < calls.Size(); ++i) {
    const ToolCall& got = r.tool_calls[i];
    const json::Value& want = calls[i];
    if (got.name != text_of(want["name"])) return "tool name: got " + got.name;
    json::Document args;
    if (!json::parse(args, got.args_json) || !json_equal(args, want["arguments"]))
      return "tool args: got " + got.args_json;
    if (responses) {
      json::Document extra;
      if (!json::parse(extra, got.extra_json) || !extra.IsObject() ||
          text_of(extra["call_id"]) != text_of(want["call_id"]))
        return "tool call_id: got extra " + got.extra_json;
      if (got.id.rfind("fc_", 0) != 0) return "tool id is not the item id: " + got.id;
    } else if (got.id != text_of(want["id"])) {
      return "tool id: got " + got.id;
    }
  }
  const json::Value& usage = sem["usage"];
  int64_t in = -1, out = -1;
  if (usage.IsObject()) {
    in = json::int_member(usage, responses ? "input_tokens" : "prompt_tokens");
    out = json::int_member(usage, responses ? "output_tokens" : "completion_tokens");
  }
  if (r.input_tokens != in || r.output_tokens != out)
    return "usage: got " + std::to_string(r.input_tokens) + "/" + std::to_string(r.output_tokens);
  if (!responses) {
    std::string want_reason = text_of(sem["finish_reason"]);
    if (r.finish_reason != want_reason) return "finish_reason: got " + r.finish_reason;
  }
  const json::Value& error = sem["error"];
  if (error.IsObject()) {
    if (!d.error() || d.error()->code != ErrorCode::Provider) return "expected a provider error";
    if (d.error()->message.find(text_of(error["message"])) == std::string::npos)
      return "error message: got " + d.error()->message;
  } else if (json::bool_member(sem, "truncated")) {
    if (!d.error() || d.error()->code != ErrorCode::Truncated) return "expected truncation";
  } else {
    if (d.error()) return "unexpected error: " + d.error()->message;
    if (!d.complete()) return "not complete";
  }
  return "";
}

inline void check_fixture_folder(const std::string& folder, const Dialect& dialect, bool responses) {
  json::Document expected;
  test::load_expected(expected, folder);
  REQUIRE(expected.MemberCount() > 0);
  for (auto& entry : expected.GetObject()) {
    std::string name = entry.name.GetString();
    INFO("fixture ", name);
    const json::Value& sem = entry.value["semantics"];
    std::string bytes = test::read_fixture(name);
    std::vector<Error> framing_errors;
    auto whole = decode_parts(dialect, {bytes}, &framing_errors);
    CHECK(framing_errors.empty());
    CHECK(mismatch(*whole, sem, responses) == "");
    // Every 2-way split of the raw bytes must give the same outcome.
    std::size_t failures = 0;
    std::string first_failure;
    for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
      auto d = decode_parts(dialect, {bytes.substr(0, cut), bytes.substr(cut)});
      std::string m = mismatch(*d, sem, responses);
      if (!m.empty() && failures++ == 0) first_failure = "cut " + std::to_string(cut) + ": " + m;
    }
    CHECK_MESSAGE(failures == 0, first_failure);
  }
}

inline void check_body(const Dialect& dialect, const std::string& prompt, bool streaming, const std::string& want) {
  std::string got = dialect.build_body(prompt, streaming);
  INFO("prompt: ", prompt);
  INFO("got:    ", got);
  INFO("want:   ", want);
  CHECK(json_text_equal(got, want));
}

}  // namespace dialect_test

// ---------------------------------------------------------------------------------------
// Request bodies

struct BodyCase {
  const char* name;
  const char* prompt;
  bool streaming;
  const char* body;
};