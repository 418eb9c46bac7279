// Wire fidelity (issues 14 and 18), per dialect: the signs that show an answer complete, an
// answer in another framing than the one asked for, refusals, and cut connections (still
// errors). Every body is decoded whole and cut at every split point, through the framer
// the engine would choose for it and the decoder that framing gets.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dialect.hpp"
#include "framing.hpp"
#include "json_util.hpp"
#include "test_util.hpp"

using namespace llm_native;
using llm_native::test::json_text_equal;

namespace {

struct Sink : RecordSink {
  explicit Sink(Decoder& d) : decoder(d) {}
  void on_record(Record&& r) override {
    if (!framing_error && !decoder.error()) decoder.on_record(r);
  }
  void on_error(Error&& e) override {
    if (!framing_error) framing_error = std::move(e);
  }
  Decoder& decoder;
  std::optional<Error> framing_error;
};

struct Outcome {
  ChatResult result;
  std::optional<Error> error;
};

// What the engine does with a 2xx body in FORMAT (the framing its Content-Type announced):
// the decoder for that framing, the JSON-array-or-document framer for JsonArray, a framed
// body that proves itself whole counts as a completion sign, and a partial record after a
// completion sign loses nothing. `cut` stands for a connection that broke after the bytes
// (the framer is not finished; only a completion sign already seen makes it a success).
Outcome decode(const Dialect& dialect, Format format, const std::string& body, const std::vector<size_t>& cuts,
               bool cut = false) {
  auto decoder = dialect.make_decoder(format != Format::Json);
  auto framer = format == Format::JsonArray ? make_json_array_or_document_framer() : make_framer(format);
  Sink sink(*decoder);
  test::feed_in_pieces(*framer, body, cuts, sink);
  Outcome out;
  if (!cut) {
    framer->finish(sink);
    if (framer->body_complete()) decoder->body_closed();
    if (sink.framing_error && sink.framing_error->code == ErrorCode::Truncated && decoder->complete() &&
        !decoder->error())
      sink.framing_error.reset();
  }
  if (!decoder->error() && !sink.framing_error && (!cut || decoder->complete())) decoder->finish();
  out.result = decoder->result();
  if (decoder->error()) {
    out.error = decoder->error();
  } else if (sink.framing_error) {
    out.error = sink.framing_error;
  } else if (cut && !decoder->complete()) {
    out.error = Error{ErrorCode::Truncated, "connection cut", 0, ""};
  }
  return out;
}

// Runs check on the body decoded whole and at every 2-way split point.
template <class Check>
void every_split(const Dialect& dialect, Format format, const std::string& body, Check check, bool cut = false) {
  {
    CAPTURE("whole");
    check(decode(dialect, format, body, {}, cut));
  }
  for (size_t i = 1; i < body.size(); ++i) {
    CAPTURE(i);
    check(decode(dialect, format, body, {i}, cut));
  }
}

void expect_text(const Dialect& dialect, Format format, const std::string& body, const std::string& text,
                 size_t tool_calls = 0) {
  every_split(dialect, format, body, [&](const Outcome& out) {
    CHECK_MESSAGE(!out.error, (out.error ? out.error->message : std::string()));
    CHECK(out.result.text == text);
    CHECK(out.result.tool_calls.size() == tool_calls);
  });
}

void expect_error(const Dialect& dialect, Format format, const std::string& body, ErrorCode code,
                  const std::string& named = "", bool cut = false) {
  every_split(
      dialect, format, body,
      [&](const Outcome& out) {
        REQUIRE(out.error);
        CHECK(out.error->code == code);
        if (!named.empty()) CHECK_MESSAGE(out.error->message.find(named) != std::string::npos, out.error->message);
      },
      cut);
}

std::string sse(const std::vector<std::string>& data) {
  std::string out;
  for (const std::string& d : data) out += "data: " + d + "\n\n";
  return out;
}

std::string named_sse(const std::vector<std::pair<std::string, std::string>>& events) {
  std::string out;
  for (const auto& [name, data] : events) out += "event: " + name + "\ndata: " + data + "\n\n";
  return out;
}

// ---- OpenAI Chat Completions ----

const std::string kChatText = R"({"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})";
const std::string kChatStop = R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})";
const std::string kChatUsage = R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1}})";
const std::string kChatToolStart =
    R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}}]})";
const std::string kChatToolEnd =
    R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"finish_reason":"tool_calls"}]})";

}  // namespace

TEST_CASE("wire openai-chat: completion signs") {
  const Dialect& chat = find_dialect("openai-chat");
  expect_text(chat, Format::Sse, sse({kChatText, kChatStop, kChatUsage, "[DONE]"}), "Hi");
  // [DONE] alone, and a finish_reason alone, each show the answer complete.
  expect_text(chat, Format::Sse, sse({kChatText, "[DONE]"}), "Hi");
  expect_text(chat, Format::Sse, sse({kChatText, kChatStop}), "Hi");
  expect_text(chat, Format::Sse, sse({kChatToolStart, kChatToolEnd}), "", 1);
  // Neither: cut off, even when the server closed cleanly.
  expect_error(chat, Format::Sse, sse({kChatText}), ErrorCode::Truncated);
  // A partial event after the finish_reason loses nothing.
  expect_text(chat, Format::Sse, sse({kChatText, kChatStop}) + "data: {\"choi", "Hi");
}

TEST_CASE("wire openai-chat: answers in another framing") {
  const Dialect& chat = find_dialect("openai-chat");
  // A whole chat.completion to a streaming request (application/json).
  expect_text(chat, Format::Json,
              R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Whole"},"finish_reason":"stop"}]})",
              "Whole");
  // A stream to a non-streaming request (text/event-stream).
  expect_text(chat, Format::Sse, sse({kChatText, kChatStop, "[DONE]"}), "Hi");
}

TEST_CASE("wire openai-chat: refusals and content filters are errors naming the reason") {
  const Dialect& chat = find_dialect("openai-chat");
  expect_error(chat, Format::Sse,
               sse({R"({"choices":[{"index":0,"delta":{"refusal":"I can't "}}]})",
                    R"({"choices":[{"index":0,"delta":{"refusal":"help with that."}}]})", kChatStop, "[DONE]"}),
               ErrorCode::Provider, "I can't help with that.");
  expect_error(chat, Format::Sse,
               sse({kChatText, R"({"choices":[{"index":0,"delta":{},"finish_reason":"content_filter"}]})"}),
               ErrorCode::Provider, "content_filter");
  expect_error(
      chat, Format::Json,
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"No."},"finish_reason":"stop"}]})",
      ErrorCode::Provider, "refus");
  expect_error(
      chat, Format::Json,
      R"({"choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"content_filter"}]})",
      ErrorCode::Provider, "content_filter");
}

TEST_CASE("wire openai-chat: a cut connection is still an error") {
  const Dialect& chat = find_dialect("openai-chat");
  expect_error(chat, Format::Sse, sse({kChatText}) + "data: {\"cho", ErrorCode::Truncated, "", true);
  expect_error(chat, Format::Sse, sse({kChatText}), ErrorCode::Truncated, "", true);
  // Cut after the finish_reason: the answer was complete.
  every_split(
      chat, Format::Sse, sse({kChatText, kChatStop}), [](const Outcome& out) { CHECK_FALSE(out.error); }, true);
  // A whole body cut short is not valid JSON: an error, never an empty success.
  std::string body = R"({"choices":[{"index":0,"message":{"content":"Whole"}}]})";
  every_split(chat, Format::Json, body.substr(0, body.size() - 5), [](const Outcome& out) { CHECK(out.error); });
}

// ---- OpenAI Responses ----

namespace {

std::string responses_event(const std::string& type, const std::string& fields) {
  return R"({"type":")" + type + "\"" + (fields.empty() ? "" : "," + fields) + "}";
}

const std::string kRespDelta = responses_event("response.output_text.delta", R"("delta":"Hi")");
const std::string kRespCompleted = responses_event(
    "response.completed", R"("response":{"status":"completed","usage":{"input_tokens":2,"output_tokens":1}})");

// An SSE stream of JSON events, each named by its own "type" (as Responses and Anthropic send).
std::string typed_sse(const std::vector<std::string>& events) {
  std::vector<std::pair<std::string, std::string>> named;
  for (const std::string& e : events) {
    json::Document doc;
    REQUIRE(json::parse(doc, e));
    named.emplace_back(std::string(json::string_member(doc, "type")), e);
  }
  return named_sse(named);
}

}  // namespace

TEST_CASE("wire openai-responses: completion signs, other framing, cut connections") {
  const Dialect& responses = find_dialect("openai-responses");
  expect_text(responses, Format::Sse, typed_sse({kRespDelta, kRespCompleted}), "Hi");
  expect_text(
      responses, Format::Sse,
      typed_sse({kRespDelta,
                 responses_event(
                     "response.incomplete",
                     R"("response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}})")}),
      "Hi");
  expect_error(responses, Format::Sse, typed_sse({kRespDelta}), ErrorCode::Truncated);
  expect_error(responses, Format::Sse, typed_sse({kRespDelta}), ErrorCode::Truncated, "", true);
  // A whole response object to a streaming request.
  expect_text(
      responses, Format::Json,
      R"({"status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"Whole"}]}]})",
      "Whole");
}

TEST_CASE("wire openai-responses: refusals and content filters are errors naming the reason") {
  const Dialect& responses = find_dialect("openai-responses");
  expect_error(responses, Format::Sse,
               typed_sse({responses_event("response.refusal.delta", R"("delta":"I won't")"),
                          responses_event("response.refusal.done", R"("refusal":"I won't do that.")"), kRespCompleted}),
               ErrorCode::Provider, "I won't do that.");
  // Only the finished message item carries it.
  expect_error(
      responses, Format::Sse,
      typed_sse({responses_event("response.output_item.done",
                                 R"("item":{"type":"message","content":[{"type":"refusal","refusal":"Nope."}]})"),
                 kRespCompleted}),
      ErrorCode::Provider, "Nope.");
  expect_error(
      responses, Format::Sse,
      typed_sse(
          {kRespDelta,
           responses_event("response.incomplete",
                           R"("response":{"status":"incomplete","incomplete_details":{"reason":"content_filter"}})")}),
      ErrorCode::Provider, "content_filter");
  expect_error(
      responses, Format::Json,
      R"({"status":"completed","output":[{"type":"message","content":[{"type":"refusal","refusal":"Nope."}]}]})",
      ErrorCode::Provider, "Nope.");
  expect_error(responses, Format::Json,
               R"({"status":"incomplete","incomplete_details":{"reason":"content_filter"},"output":[]})",
               ErrorCode::Provider, "content_filter");
}

TEST_CASE("wire openai-responses: every reasoning item of an answer is kept for the next turn") {
  const Dialect& responses = find_dialect("openai-responses");
  const std::string want =
      R"({"openai-reasoning-id":"rs_1","openai-encrypted-reasoning":"ENC1",)"
      R"("openai-reasoning-items":[{"id":"rs_1","encrypted_content":"ENC1"},{"id":"rs_2","encrypted_content":"ENC2"}]})";
  std::string stream =
      typed_sse({responses_event("response.output_item.done",
                                 R"("item":{"type":"reasoning","id":"rs_1","encrypted_content":"ENC1","summary":[]})"),
                 responses_event("response.output_item.done",
                                 R"("item":{"type":"reasoning","id":"rs_2","encrypted_content":"ENC2","summary":[]})"),
                 kRespDelta, kRespCompleted});
  every_split(responses, Format::Sse, stream, [&](const Outcome& out) {
    REQUIRE_FALSE(out.error);
    CHECK_MESSAGE(json_text_equal(out.result.multi_turn_json, want), out.result.multi_turn_json);
  });
  Outcome body = decode(responses, Format::Json,
                        R"({"status":"completed","output":[)"
                        R"({"type":"reasoning","id":"rs_1","encrypted_content":"ENC1","summary":[]},)"
                        R"({"type":"reasoning","id":"rs_2","encrypted_content":"ENC2","summary":[]},)"
                        R"({"type":"message","content":[{"type":"output_text","text":"Hi"}]}]})",
                        {});
  REQUIRE_FALSE(body.error);
  CHECK_MESSAGE(json_text_equal(body.result.multi_turn_json, want), body.result.multi_turn_json);
  // One item: llm's two keys only, as llm stores them.
  Outcome one =
      decode(responses, Format::Json,
             R"({"status":"completed","output":[{"type":"reasoning","id":"rs_1","encrypted_content":"ENC1"}]})", {});
  CHECK(json_text_equal(one.result.multi_turn_json,
                        R"({"openai-reasoning-id":"rs_1","openai-encrypted-reasoning":"ENC1"})"));

  // The next request sends every item back, in order, before the turn's output.
  std::string prompt = R"({"model":"gpt-5.2","interactions":[{"role":"user","content":"Q"},)"
                       R"({"role":"assistant","content":"Hi","multi_turn":)" +
                       want +
                       R"(},)"
                       R"({"role":"user","content":"Q2"}]})";
  json::Document sent;
  REQUIRE(json::parse(sent, responses.build_body(prompt, true)));
  const json::Value& input = sent["input"];
  REQUIRE(input.Size() == 5);
  CHECK(json_text_equal(json::to_string(input[1]),
                        R"({"type":"reasoning","id":"rs_1","encrypted_content":"ENC1","summary":[]})"));
  CHECK(json_text_equal(json::to_string(input[2]),
                        R"({"type":"reasoning","id":"rs_2","encrypted_content":"ENC2","summary":[]})"));
  CHECK(json::string_member(input[3], "role") == "assistant");
  CHECK(json::string_member(input[4], "role") == "user");
}

// ---- Anthropic ----

namespace {

const std::string kAnthStart =
    R"({"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"usage":{"input_tokens":5,"output_tokens":1}}})";
const std::string kAnthBlock = R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})";
const std::string kAnthDelta = R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}})";
const std::string kAnthBlockStop = R"({"type":"content_block_stop","index":0})";
const std::string kAnthStopReason =
    R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}})";
const std::string kAnthStop = R"({"type":"message_stop"})";

}  // namespace

TEST_CASE("wire anthropic: completion signs, other framing, cut connections") {
  const Dialect& anthropic = find_dialect("anthropic");
  expect_text(anthropic, Format::Sse,
              typed_sse({kAnthStart, kAnthBlock, kAnthDelta, kAnthBlockStop, kAnthStopReason, kAnthStop}), "Hi");
  // The stop reason alone shows the answer complete.
  expect_text(anthropic, Format::Sse, typed_sse({kAnthStart, kAnthBlock, kAnthDelta, kAnthBlockStop, kAnthStopReason}),
              "Hi");
  expect_error(anthropic, Format::Sse, typed_sse({kAnthStart, kAnthBlock, kAnthDelta}), ErrorCode::Truncated);
  expect_error(anthropic, Format::Sse, typed_sse({kAnthStart, kAnthBlock, kAnthDelta}), ErrorCode::Truncated, "", true);
  // A whole Message to a streaming request; a stream to a non-streaming one.
  expect_text(
      anthropic, Format::Json,
      R"({"type":"message","role":"assistant","content":[{"type":"text","text":"Whole"}],"stop_reason":"end_turn"})",
      "Whole");
}

TEST_CASE("wire anthropic: stop_reason refusal is an error naming it") {
  const Dialect& anthropic = find_dialect("anthropic");
  expect_error(anthropic, Format::Sse,
               typed_sse({kAnthStart, kAnthBlock, kAnthDelta, kAnthBlockStop,
                          R"({"type":"message_delta","delta":{"stop_reason":"refusal"},"usage":{"output_tokens":2}})",
                          kAnthStop}),
               ErrorCode::Provider, "refusal");
  expect_error(anthropic, Format::Json, R"({"type":"message","role":"assistant","content":[],"stop_reason":"refusal"})",
               ErrorCode::Provider, "refusal");
}

TEST_CASE("wire anthropic: every thinking block of an answer is kept for the next turn") {
  const Dialect& anthropic = find_dialect("anthropic");
  auto thinking_start = [](int i) {
    return R"({"type":"content_block_start","index":)" + std::to_string(i) +
           R"(,"content_block":{"type":"thinking","thinking":""}})";
  };
  auto thinking_delta = [](int i, const std::string& text) {
    return R"({"type":"content_block_delta","index":)" + std::to_string(i) +
           R"(,"delta":{"type":"thinking_delta","thinking":")" + text + "\"}}";
  };
  auto signature = [](int i, const std::string& sig) {
    return R"({"type":"content_block_delta","index":)" + std::to_string(i) +
           R"(,"delta":{"type":"signature_delta","signature":")" + sig + "\"}}";
  };
  auto stop = [](int i) { return R"({"type":"content_block_stop","index":)" + std::to_string(i) + "}"; };
  const std::string want =
      R"({"claude-thinking":"one","claude-reasoning-signature":"S1","claude-redacted-thinking":"R",)"
      R"("claude-thinking-blocks":[{"type":"thinking","thinking":"one","signature":"S1"},)"
      R"({"type":"redacted_thinking","data":"R"},{"type":"thinking","thinking":"two","signature":"S2"}]})";
  std::string stream =
      typed_sse({kAnthStart, thinking_start(0), thinking_delta(0, "one"), signature(0, "S1"), stop(0),
                 R"({"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"R"}})",
                 stop(1), thinking_start(2), thinking_delta(2, "two"), signature(2, "S2"), stop(2),
                 R"({"type":"content_block_start","index":3,"content_block":{"type":"text","text":""}})",
                 R"({"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"Hi"}})", stop(3),
                 kAnthStopReason, kAnthStop});
  every_split(anthropic, Format::Sse, stream, [&](const Outcome& out) {
    REQUIRE_FALSE(out.error);
    CHECK(out.result.reasoning == "onetwo");
    CHECK_MESSAGE(json_text_equal(out.result.multi_turn_json, want), out.result.multi_turn_json);
  });
  Outcome body =
      decode(anthropic, Format::Json,
             R"({"type":"message","content":[{"type":"thinking","thinking":"one","signature":"S1"},)"
             R"({"type":"redacted_thinking","data":"R"},{"type":"thinking","thinking":"two","signature":"S2"},)"
             R"({"type":"text","text":"Hi"}],"stop_reason":"end_turn"})",
             {});
  REQUIRE_FALSE(body.error);
  CHECK_MESSAGE(json_text_equal(body.result.multi_turn_json, want), body.result.multi_turn_json);
  // One block: llm's keys only, as before.
  Outcome one = decode(anthropic, Format::Json,
                       R"({"type":"message","content":[{"type":"thinking","thinking":"one","signature":"S1"},)"
                       R"({"type":"text","text":"Hi"}],"stop_reason":"end_turn"})",
                       {});
  CHECK(json_text_equal(one.result.multi_turn_json, R"({"claude-thinking":"one","claude-reasoning-signature":"S1"})"));

  // The next request sends all of them back, in order, before the turn's text.
  std::string prompt = R"({"model":"claude-sonnet-4-5","max_tokens":100,"interactions":[{"role":"user","content":"Q"},)"
                       R"({"role":"assistant","content":"Hi","multi_turn":)" +
                       want +
                       R"(},)"
                       R"({"role":"user","content":"Q2"}]})";
  json::Document sent;
  REQUIRE(json::parse(sent, anthropic.build_body(prompt, true)));
  const json::Value& content = sent["messages"][1]["content"];
  CHECK(json_text_equal(
      json::to_string(content),
      R"([{"type":"thinking","thinking":"one","signature":"S1"},{"type":"redacted_thinking","data":"R"},)"
      R"({"type":"thinking","thinking":"two","signature":"S2"},{"type":"text","text":"Hi"}])"));
}

// ---- Gemini ----

namespace {

const std::string kGemText = R"({"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]}}]})";
const std::string kGemMore = R"({"candidates":[{"content":{"role":"model","parts":[{"text":" there"}]}}]})";
const std::string kGemCall =
    R"({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_time","args":{"tz":"UTC"}}}]}}]})";
const std::string kGemStop =
    R"({"candidates":[{"content":{"role":"model","parts":[{"text":"!"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2}})";

std::string gemini_sse(const std::vector<std::string>& chunks) {
  std::string out;
  for (const std::string& c : chunks) out += "data: " + c + "\r\n\r\n";
  return out;
}

}  // namespace

TEST_CASE("wire gemini: a whole JSON document or a closed array is complete without finishReason") {
  const Dialect& gemini = find_dialect("gemini");
  // generateContent's answer (application/json), with text and with a tool call.
  expect_text(gemini, Format::Json, kGemText, "Hi");
  expect_text(gemini, Format::Json, kGemCall, "", 1);
  // The same document to streamGenerateContent (announced as application/json).
  expect_text(gemini, Format::JsonArray, kGemText, "Hi");
  expect_text(gemini, Format::JsonArray, "\xEF\xBB\xBF\r\n " + kGemCall, "", 1);
  // A closed array is complete with or without finishReason.
  expect_text(gemini, Format::JsonArray, "[" + kGemText + ",\r\n" + kGemMore + "]", "Hi there");
  expect_text(gemini, Format::JsonArray, "[" + kGemCall + "]", "", 1);
  expect_text(gemini, Format::JsonArray, "[" + kGemText + "," + kGemStop + "]", "Hi!");
}

TEST_CASE("wire gemini: an SSE stream or an unclosed array without finishReason is truncated (issue 18.3)") {
  const Dialect& gemini = find_dialect("gemini");
  expect_error(gemini, Format::Sse, gemini_sse({kGemText, kGemMore}), ErrorCode::Truncated);
  expect_error(gemini, Format::Sse, gemini_sse({kGemCall}), ErrorCode::Truncated);
  expect_error(gemini, Format::JsonArray, "[" + kGemText + ",\r\n" + kGemMore, ErrorCode::Truncated);
  expect_error(gemini, Format::JsonArray, "[" + kGemText + "," + kGemMore + ",", ErrorCode::Truncated);
  // With a finishReason they are complete, even if the ']' never came.
  expect_text(gemini, Format::Sse, gemini_sse({kGemText, kGemStop}), "Hi!");
  expect_text(gemini, Format::JsonArray, "[" + kGemText + "," + kGemStop, "Hi!");
  // A connection cut inside an element is an error, never the text so far.
  expect_error(gemini, Format::JsonArray, "[" + kGemText + "," + kGemMore.substr(0, 30), ErrorCode::Truncated);
  expect_error(gemini, Format::JsonArray, "[" + kGemText + "," + kGemMore.substr(0, 30), ErrorCode::Truncated, "",
               true);
  expect_error(gemini, Format::Sse, gemini_sse({kGemText}), ErrorCode::Truncated, "", true);
}

TEST_CASE("wire gemini: blocked prompts and withheld answers are errors naming the reason") {
  const Dialect& gemini = find_dialect("gemini");
  const std::string blocked =
      R"({"promptFeedback":{"blockReason":"PROHIBITED_CONTENT","blockReasonMessage":"not allowed"},"usageMetadata":{"promptTokenCount":4}})";
  expect_error(gemini, Format::Json, blocked, ErrorCode::Provider, "PROHIBITED_CONTENT");
  expect_error(gemini, Format::JsonArray, "[" + blocked + "]", ErrorCode::Provider, "PROHIBITED_CONTENT");
  expect_error(gemini, Format::Sse, gemini_sse({blocked}), ErrorCode::Provider, "not allowed");
  expect_error(gemini, Format::JsonArray,
               "[" + kGemText + R"(,{"candidates":[{"content":{"parts":[]},"finishReason":"SAFETY"}]}])",
               ErrorCode::Provider, "SAFETY");
}

// ---- Ollama ----

namespace {

const std::string kOllLine = R"({"model":"m","message":{"role":"assistant","content":"Hi"},"done":false})";
const std::string kOllDone =
    R"({"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":3,"eval_count":1})";

}  // namespace

TEST_CASE("wire ollama: done:true, or a whole JSON body, shows the answer complete") {
  const Dialect& ollama = find_dialect("ollama");
  expect_text(ollama, Format::Ndjson, kOllLine + "\n" + kOllDone + "\n", "Hi");
  expect_text(ollama, Format::Ndjson, kOllLine + "\n" + kOllDone, "Hi");  // no final LF
  // A whole body to a streaming request (application/json), with or without done.
  expect_text(ollama, Format::Json, R"({"model":"m","message":{"role":"assistant","content":"Whole"}})", "Whole");
  expect_text(ollama, Format::Json, "{\n  \"message\": {\"content\": \"Pretty\"},\n  \"done\": true\n}\n", "Pretty");
}

TEST_CASE("wire ollama: an NDJSON stream that ends cleanly without done:true is truncated (issue 18.2)") {
  const Dialect& ollama = find_dialect("ollama");
  expect_error(ollama, Format::Ndjson, kOllLine + "\n", ErrorCode::Truncated, "done");
  expect_error(ollama, Format::Ndjson, kOllLine + "\n" + kOllLine + "\n\n", ErrorCode::Truncated, "done");
  expect_error(ollama, Format::Ndjson, kOllLine + "\n", ErrorCode::Truncated, "", true);
  // Cut inside a line: an error too, never the text so far.
  every_split(ollama, Format::Ndjson, kOllLine + "\n" + kOllLine.substr(0, 20),
              [](const Outcome& out) { CHECK(out.error); });
  // After done:true a broken connection loses nothing.
  every_split(
      ollama, Format::Ndjson, kOllLine + "\n" + kOllDone + "\n", [](const Outcome& out) { CHECK_FALSE(out.error); },
      true);
}

// ---- Framing (issue 18.1) ----

namespace {

struct Collect : RecordSink {
  std::vector<std::string> records;
  std::vector<Error> errors;
  void on_record(Record&& r) override { records.push_back(std::move(r.data)); }
  void on_error(Error&& e) override { errors.push_back(std::move(e)); }
};

Collect frame_array(const std::string& body, size_t cut) {
  Collect out;
  auto framer = make_framer(Format::JsonArray);
  framer->feed(body.data(), cut, out);
  framer->feed(body.data() + cut, body.size() - cut, out);
  framer->finish(out);
  return out;
}

}  // namespace

TEST_CASE("framing: a backslash in a JSON-array string escapes the next byte (issue 18.1)") {
  struct Case {
    std::string body;
    std::vector<std::string> elements;
  };
  const std::vector<Case> cases = {
      // An escaped quote that would otherwise end the string, then a bracket.
      {R"(["a \" ] b"])", {R"("a \" ] b")"}},
      // The same inside objects and nested arrays, with brackets and braces after it.
      {R"([{"k":"x \" ] } y"},{"m":["\"]"]}])", {R"({"k":"x \" ] } y"})", R"({"m":["\"]"]})"}},
      // An escaped backslash right before the closing quote: the string ends there.
      {R"(["ends \\",{"p":"\\"},"\\\""])", {R"("ends \\")", R"({"p":"\\"})", R"("\\\"")"}},
      // An unpaired escaped quote before the array's own bracket.
      {R"([{"q":"\"]"}])", {R"({"q":"\"]"})"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.body);
    for (size_t cut = 0; cut <= c.body.size(); ++cut) {
      CAPTURE(cut);
      Collect out = frame_array(c.body, cut);
      CHECK(out.errors.empty());
      CHECK(out.records == c.elements);
    }
  }
}

TEST_CASE("framing: the JSON-array-or-document framer") {
  auto run = [](const std::string& body, size_t cut) {
    if (cut > body.size()) cut = body.size();
    Collect out;
    auto framer = make_json_array_or_document_framer();
    framer->feed(body.data(), cut, out);
    framer->feed(body.data() + cut, body.size() - cut, out);
    framer->finish(out);
    return std::make_pair(out, framer->body_complete());
  };
  for (size_t cut = 0; cut <= 12; ++cut) {
    CAPTURE(cut);
    auto [doc, doc_complete] = run(" \n{\"a\":[1]}\n", cut);
    CHECK(doc.records == std::vector<std::string>{" \n{\"a\":[1]}\n"});
    CHECK(doc.errors.empty());
    CHECK(doc_complete);
    auto [array, array_complete] = run("\xEF\xBB\xBF [1,{\"b\":2}]", cut);
    CHECK(array.records == std::vector<std::string>{"1", "{\"b\":2}"});
    CHECK(array.errors.empty());
    CHECK(array_complete);
    auto [open, open_complete] = run(" [1,{\"b\":2}", cut);
    CHECK(open.records.size() == 2);
    REQUIRE(open.errors.size() == 1);
    CHECK_MESSAGE(open.errors[0].code == ErrorCode::Truncated, open.errors[0].message);
    CHECK_FALSE(open_complete);
  }
  auto [empty, empty_complete] = run("  ", 1);
  REQUIRE(empty.errors.size() == 1);
  CHECK(empty.errors[0].code == ErrorCode::Truncated);
  CHECK_FALSE(empty_complete);
  auto [bad, bad_complete] = run("{\"a\":", 2);
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].code == ErrorCode::Protocol);
  CHECK_FALSE(bad_complete);
}
