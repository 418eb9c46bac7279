// The two OpenAI dialects: fixture streams (whole and split at every byte), hand-made
// stream edge cases, non-streaming bodies, error bodies, and request bodies compared
// as JSON with what llm sends (doc/providers.md).
#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dialect.hpp"
#include "framing.hpp"
#include "json_util.hpp"
#include "test_util.hpp"

namespace llm_native {
const Dialect& openai_chat_dialect();
const Dialect& openai_responses_dialect();
}  // namespace llm_native

using namespace llm_native;
using llm_native::test::json_equal;
using llm_native::test::json_text_equal;

namespace {

struct CollectingSink : RecordSink {
  std::vector<Record> records;
  std::vector<Error> errors;
  void on_record(Record&& r) override { records.push_back(std::move(r)); }
  void on_error(Error&& e) override { errors.push_back(std::move(e)); }
};

// Frames bytes with the SSE framer, fed as the given parts, then decodes the records.
std::unique_ptr<Decoder> decode_parts(const Dialect& dialect, const std::vector<std::string>& parts,
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

std::unique_ptr<Decoder> decode_sse(const Dialect& dialect, const std::string& bytes) {
  return decode_parts(dialect, {bytes});
}

// Feeds records directly (data only, or event name + data).
std::unique_ptr<Decoder> decode_records(const Dialect& dialect, bool streaming,
                                        const std::vector<Record>& records) {
  auto decoder = dialect.make_decoder(streaming);
  for (const auto& r : records) decoder->on_record(r);
  decoder->finish();
  return decoder;
}

Record data_record(std::string data) { return Record{"message", std::move(data), ""}; }
Record event_record(std::string type, std::string data) { return Record{std::move(type), std::move(data), ""}; }

std::string text_of(const json::Value& v) {
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string();
}

// Compares a decoder's outcome with a fixture's EXPECTED "semantics"; "" when they agree.
std::string mismatch(const Decoder& d, const json::Value& sem, bool responses) {
  const ChatResult& r = d.result();
  if (r.text != text_of(sem["text"])) return "text: got '" + r.text + "'";
  if (r.reasoning != text_of(sem["reasoning"])) return "reasoning: got '" + r.reasoning + "'";
  const json::Value& calls = sem["tool_calls"];
  if (r.tool_calls.size() != calls.Size())
    return "tool call count: got " + std::to_string(r.tool_calls.size());
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

void check_fixture_folder(const std::string& folder, const Dialect& dialect, bool responses) {
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

void check_body(const Dialect& dialect, const std::string& prompt, bool streaming, const std::string& want) {
  std::string got = dialect.build_body(prompt, streaming);
  INFO("prompt: ", prompt);
  INFO("got:    ", got);
  INFO("want:   ", want);
  CHECK(json_text_equal(got, want));
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Fixtures

TEST_CASE("openai-chat fixtures decode to EXPECTED, whole and at every split") {
  check_fixture_folder("openai-chat", openai_chat_dialect(), false);
}

TEST_CASE("openai-responses fixtures decode to EXPECTED, whole and at every split") {
  check_fixture_folder("openai-responses", openai_responses_dialect(), true);
}

TEST_CASE("openai-responses incomplete fixture keeps its text and reports the reason") {
  auto d = decode_sse(openai_responses_dialect(), test::read_fixture("openai-responses/incomplete.sse"));
  CHECK_FALSE(d->error());
  CHECK(d->complete());
  CHECK(d->result().text == "Once upon a");
  CHECK(d->result().finish_reason == "max_output_tokens");
}

TEST_CASE("openai-responses reasoning item becomes multi-turn state") {
  auto d = decode_sse(openai_responses_dialect(), test::read_fixture("openai-responses/reasoning-summary.sse"));
  CHECK(json_text_equal(d->result().multi_turn_json, R"({"openai-reasoning-id":"rs_68c1a0f5aa0c8191"})"));
  CHECK(d->result().finish_reason == "completed");
}

// ---------------------------------------------------------------------------------------
// Chat Completions stream edge cases

TEST_CASE("openai-chat: tool fragments without index, arguments as object, interleaved") {
  const Dialect& chat = openai_chat_dialect();
  SUBCASE("missing index means call 0") {
    auto d = decode_records(chat, true,
        {data_record(R"({"choices":[{"delta":{"tool_calls":[{"id":"c1","function":{"name":"f","arguments":"{\"a\""}}]}}]})"),
         data_record(R"({"choices":[{"delta":{"tool_calls":[{"function":{"arguments":":1}"}}]}}]})"),
         data_record("[DONE]")});
    REQUIRE_FALSE(d->error());
    REQUIRE(d->result().tool_calls.size() == 1);
    CHECK(d->result().tool_calls[0].id == "c1");
    CHECK(d->result().tool_calls[0].name == "f");
    CHECK(json_text_equal(d->result().tool_calls[0].args_json, R"({"a":1})"));
  }
  SUBCASE("arguments given as an object") {
    auto d = decode_records(chat, true,
        {data_record(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":{"x":"y"}}}]}}]})"),
         data_record("[DONE]")});
    REQUIRE(d->result().tool_calls.size() == 1);
    CHECK(json_text_equal(d->result().tool_calls[0].args_json, R"({"x":"y"})"));
  }
  SUBCASE("interleaved calls are kept apart and ordered by index") {
    auto d = decode_records(chat, true,
        {data_record(R"({"choices":[{"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"g","arguments":"{\"q\":"}}]}}]})"),
         data_record(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":""}}]}}]})"),
         data_record(R"({"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"2}"}},{"index":0,"id":"","function":{"name":"","arguments":"{\"p\":1}"}}]}}]})"),
         data_record("[DONE]")});
    REQUIRE_FALSE(d->error());
    REQUIRE(d->result().tool_calls.size() == 2);
    CHECK(d->result().tool_calls[0].id == "a");
    CHECK(d->result().tool_calls[0].name == "f");
    CHECK(json_text_equal(d->result().tool_calls[0].args_json, R"({"p":1})"));
    CHECK(d->result().tool_calls[1].id == "b");
    CHECK(json_text_equal(d->result().tool_calls[1].args_json, R"({"q":2})"));
  }
  SUBCASE("empty arguments become {}") {
    auto d = decode_records(chat, true,
        {data_record(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"now","arguments":""}}]}}]})"),
         data_record("[DONE]")});
    REQUIRE(d->result().tool_calls.size() == 1);
    CHECK(d->result().tool_calls[0].args_json == "{}");
  }
  SUBCASE("invalid arguments are a protocol error naming the tool") {
    auto d = decode_records(chat, true,
        {data_record(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"lookup","arguments":"{\"a\":"}}]}}]})"),
         data_record("[DONE]")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Protocol);
    CHECK(d->error()->message.find("lookup") != std::string::npos);
  }
}

TEST_CASE("openai-chat: choices null or missing, reasoning field, usage, errors, truncation") {
  const Dialect& chat = openai_chat_dialect();
  SUBCASE("choices null / missing / empty are tolerated; delta.reasoning is reasoning") {
    auto d = decode_records(chat, true,
        {data_record(R"({"choices":null})"), data_record(R"({"id":"x"})"),
         data_record(R"({"choices":[{"delta":{"reasoning":"think"}}]})"),
         data_record(R"({"choices":[{"delta":{"content":"ok"},"finish_reason":"length"}]})"),
         data_record(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}})"),
         data_record("[DONE]")});
    REQUIRE_FALSE(d->error());
    CHECK(d->complete());
    CHECK(d->result().reasoning == "think");
    CHECK(d->result().text == "ok");
    CHECK(d->result().finish_reason == "length");
    CHECK(d->result().input_tokens == 3);
    CHECK(d->result().output_tokens == 4);
  }
  SUBCASE("an error event (named error) stops processing with the provider's message") {
    auto d = decode_records(chat, true,
        {data_record(R"({"choices":[{"delta":{"content":"A"}}]})"),
         event_record("error", R"({"error":{"message":"Overloaded","type":"server_error","code":"503"}})"),
         data_record(R"({"choices":[{"delta":{"content":"B"}}]})"), data_record("[DONE]")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Provider);
    CHECK(d->error()->message.find("Overloaded") != std::string::npos);
    CHECK(d->error()->message.find("server_error") != std::string::npos);
    CHECK(d->result().text == "A");
    CHECK_FALSE(d->complete());
  }
  SUBCASE("error: null or false is not an error") {
    auto d = decode_records(chat, true,
        {data_record(R"({"error":null,"choices":[{"delta":{"content":"A"}}]})"),
         data_record(R"({"error":false})"), data_record("[DONE]")});
    CHECK_FALSE(d->error());
    CHECK(d->result().text == "A");
  }
  SUBCASE("a finish_reason without [DONE] is complete (issue 14's completion rule)") {
    auto d = decode_records(chat, true,
        {data_record(R"({"choices":[{"delta":{"content":"A"},"finish_reason":"stop"}]})")});
    CHECK_FALSE(d->error());
    CHECK(d->complete());
    CHECK(d->result().text == "A");
  }
  SUBCASE("neither [DONE] nor a finish_reason is truncation") {
    auto d = decode_records(chat, true, {data_record(R"({"choices":[{"delta":{"content":"A"}}]})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Truncated);
  }
  SUBCASE("malformed JSON is a protocol error") {
    auto d = decode_records(chat, true, {data_record(R"({"choices":[)")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Protocol);
  }
  SUBCASE("records after [DONE] are ignored") {
    auto d = decode_records(chat, true,
        {data_record("[DONE]"), data_record(R"({"choices":[{"delta":{"content":"late"}}]})")});
    CHECK_FALSE(d->error());
    CHECK(d->result().text.empty());
  }
}

TEST_CASE("openai dialects: plain-text error events are provider errors") {
  for (const Dialect* d : {&openai_chat_dialect(), &openai_responses_dialect()}) {
    auto dec = decode_records(*d, true, {event_record("error", "upstream timed out\n")});
    REQUIRE(dec->error());
    CHECK(dec->error()->code == ErrorCode::Provider);
    CHECK(dec->error()->message == "upstream timed out");
  }
}

TEST_CASE("openai-chat: records larger than the parser's pool buffer, many times over") {
  std::string big(200000, 'x');
  std::vector<Record> records;
  for (int i = 0; i < 5; ++i) {
    records.push_back(data_record(R"({"choices":[{"delta":{"content":")" + big + R"("}}]})"));
    records.push_back(data_record(R"({"choices":[{"delta":{"content":"y"}}]})"));
  }
  records.push_back(data_record("[DONE]"));
  auto d = decode_records(openai_chat_dialect(), true, records);
  REQUIRE_FALSE(d->error());
  CHECK(d->result().text.size() == 5 * (big.size() + 1));
  CHECK(d->result().text.substr(big.size(), 1) == "y");
}

TEST_CASE("openai-chat: a keep-alive comment split anywhere never reaches the decoder") {
  std::string bytes = ": OPENROUTER PROCESSING\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n";
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    auto d = decode_parts(openai_chat_dialect(), {bytes.substr(0, cut), bytes.substr(cut)});
    CHECK(d->result().text == "hi");
    CHECK_FALSE(d->error());
  }
}

TEST_CASE("openai-chat: non-streaming body") {
  const Dialect& chat = openai_chat_dialect();
  SUBCASE("text, reasoning, tool calls and both token counts") {
    auto d = decode_records(chat, false, {data_record(R"({
      "id":"x","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant",
        "content":"Paris","reasoning_content":"hmm",
        "tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}}],
      "usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}})")});
    REQUIRE_FALSE(d->error());
    CHECK(d->complete());
    CHECK(d->result().text == "Paris");
    CHECK(d->result().reasoning == "hmm");
    REQUIRE(d->result().tool_calls.size() == 1);
    CHECK(d->result().tool_calls[0].id == "call_1");
    CHECK(d->result().tool_calls[0].name == "get_weather");
    CHECK(json_text_equal(d->result().tool_calls[0].args_json, R"({"city":"Paris"})"));
    CHECK(d->result().input_tokens == 10);
    CHECK(d->result().output_tokens == 5);
    CHECK(d->result().finish_reason == "tool_calls");
  }
  SUBCASE("reasoning field and null content") {
    auto d = decode_records(chat, false,
        {data_record(R"({"choices":[{"message":{"content":null,"reasoning":"r"}}]})")});
    CHECK(d->result().text.empty());
    CHECK(d->result().reasoning == "r");
  }
  SUBCASE("error body") {
    auto d = decode_records(chat, false,
        {data_record(R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Provider);
    CHECK(d->error()->message.find("Incorrect API key provided") != std::string::npos);
  }
  SUBCASE("no body is truncation") {
    auto d = decode_records(chat, false, {});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Truncated);
  }
}

TEST_CASE("openai error_message: provider text, else the trimmed body") {
  for (const Dialect* d : {&openai_chat_dialect(), &openai_responses_dialect()}) {
    std::string m = d->error_message(R"({"error":{"message":"bad key","type":"auth","code":"invalid_api_key"}})");
    CHECK(m.find("bad key") != std::string::npos);
    CHECK(m.find("auth") != std::string::npos);
    CHECK(d->error_message(R"({"error":"plain text error"})") == "plain text error");
    CHECK(d->error_message(R"([{"error":{"message":"wrapped"}}])").find("wrapped") != std::string::npos);
    CHECK(d->error_message("  <html>Bad Gateway</html>\n") == "<html>Bad Gateway</html>");
    CHECK(d->error_message(R"({"type":"error","code":"rate_limit","message":"slow down"})").find("slow down") !=
          std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------
// Responses stream edge cases

TEST_CASE("openai-responses: errors, truncation, tool calls, encrypted reasoning") {
  const Dialect& responses = openai_responses_dialect();
  SUBCASE("top-level error shape") {
    auto d = decode_records(responses, true,
        {event_record("error", R"({"type":"error","code":"rate_limit_exceeded","message":"Slow down","param":null,"sequence_number":1})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Provider);
    CHECK(d->error()->message.find("Slow down") != std::string::npos);
    CHECK(d->error()->message.find("rate_limit_exceeded") != std::string::npos);
  }
  SUBCASE("response.failed alone") {
    auto d = decode_records(responses, true,
        {event_record("response.output_text.delta", R"({"type":"response.output_text.delta","delta":"Hi"})"),
         event_record("response.failed", R"({"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"The model crashed"}}})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Provider);
    CHECK(d->error()->message.find("The model crashed") != std::string::npos);
    CHECK(d->result().text == "Hi");
  }
  SUBCASE("missing terminal event is truncation") {
    auto d = decode_records(responses, true,
        {event_record("response.output_text.delta", R"({"type":"response.output_text.delta","delta":"Hi"})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Truncated);
    CHECK(d->result().text == "Hi");
  }
  SUBCASE(".done arguments are the authority; item id is the call id, call_id in extra") {
    auto d = decode_records(responses, true,
        {event_record("", R"({"type":"response.output_item.added","output_index":0,"item":{"id":"fc_1","type":"function_call","call_id":"call_A","name":"f","arguments":""}})"),
         event_record("", R"({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"{\"garbage"})"),
         event_record("", R"({"type":"response.function_call_arguments.done","item_id":"fc_1","output_index":0,"arguments":"{\"a\":1}"})"),
         event_record("", R"({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"late"})"),
         event_record("", R"({"type":"response.output_item.done","output_index":0,"item":{"id":"fc_1","type":"function_call","call_id":"call_A","name":"f"}})"),
         event_record("", R"({"type":"response.completed","response":{"status":"completed","usage":{"input_tokens":1,"output_tokens":2}}})")});
    REQUIRE_FALSE(d->error());
    REQUIRE(d->result().tool_calls.size() == 1);
    const ToolCall& c = d->result().tool_calls[0];
    CHECK(c.id == "fc_1");
    CHECK(c.name == "f");
    CHECK(json_text_equal(c.args_json, R"({"a":1})"));
    CHECK(json_text_equal(c.extra_json, R"({"call_id":"call_A"})"));
    CHECK(d->result().input_tokens == 1);
    CHECK(d->result().output_tokens == 2);
  }
  SUBCASE("a call never closed by output_item.done is completed at the terminal event") {
    auto d = decode_records(responses, true,
        {event_record("", R"({"type":"response.output_item.added","output_index":0,"item":{"id":"fc_2","type":"function_call","call_id":"call_B","name":"g"}})"),
         event_record("", R"({"type":"response.function_call_arguments.delta","item_id":"fc_2","delta":"{}"})"),
         event_record("", R"({"type":"response.completed","response":{"status":"completed"}})")});
    REQUIRE_FALSE(d->error());
    REQUIRE(d->result().tool_calls.size() == 1);
    CHECK(d->result().tool_calls[0].name == "g");
    CHECK(d->result().tool_calls[0].args_json == "{}");
  }
  SUBCASE("invalid arguments are a protocol error naming the tool") {
    auto d = decode_records(responses, true,
        {event_record("", R"({"type":"response.output_item.done","output_index":0,"item":{"id":"fc_3","type":"function_call","call_id":"c","name":"broken","arguments":"{oops"}})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Protocol);
    CHECK(d->error()->message.find("broken") != std::string::npos);
  }
  SUBCASE("encrypted reasoning and separate summary parts") {
    auto d = decode_records(responses, true,
        {event_record("", R"({"type":"response.reasoning_summary_text.delta","item_id":"rs_1","summary_index":0,"delta":"One"})"),
         event_record("", R"({"type":"response.reasoning_summary_text.delta","item_id":"rs_1","summary_index":1,"delta":"Two"})"),
         event_record("", R"({"type":"response.output_item.done","item":{"id":"rs_1","type":"reasoning","encrypted_content":"ENC","summary":[]}})"),
         event_record("", R"({"type":"response.output_text.delta","delta":"Answer"})"),
         event_record("", R"({"type":"response.completed","response":{"status":"completed"}})")});
    REQUIRE_FALSE(d->error());
    CHECK(d->result().reasoning == "One\n\nTwo");
    CHECK(d->result().text == "Answer");
    CHECK(json_text_equal(d->result().multi_turn_json,
                          R"({"openai-reasoning-id":"rs_1","openai-encrypted-reasoning":"ENC"})"));
  }
}

TEST_CASE("openai-responses: non-streaming body") {
  const Dialect& responses = openai_responses_dialect();
  SUBCASE("all outputs collected") {
    auto d = decode_records(responses, false, {data_record(R"({
      "id":"resp_1","status":"completed","error":null,"incomplete_details":null,
      "output":[
        {"id":"rs_1","type":"reasoning","encrypted_content":"ENC","summary":[{"type":"summary_text","text":"A"},{"type":"summary_text","text":"B"}]},
        {"id":"msg_1","type":"message","role":"assistant","content":[{"type":"output_text","text":"Hello "},{"type":"output_text","text":"world"}]},
        {"id":"fc_1","type":"function_call","call_id":"call_1","name":"f","arguments":"{\"x\":true}"}],
      "usage":{"input_tokens":7,"output_tokens":9}})")});
    REQUIRE_FALSE(d->error());
    CHECK(d->complete());
    CHECK(d->result().text == "Hello world");
    CHECK(d->result().reasoning == "A\n\nB");
    CHECK(json_text_equal(d->result().multi_turn_json,
                          R"({"openai-reasoning-id":"rs_1","openai-encrypted-reasoning":"ENC"})"));
    REQUIRE(d->result().tool_calls.size() == 1);
    CHECK(d->result().tool_calls[0].id == "fc_1");
    CHECK(json_text_equal(d->result().tool_calls[0].extra_json, R"({"call_id":"call_1"})"));
    CHECK(json_text_equal(d->result().tool_calls[0].args_json, R"({"x":true})"));
    CHECK(d->result().input_tokens == 7);
    CHECK(d->result().output_tokens == 9);
    CHECK(d->result().finish_reason == "completed");
  }
  SUBCASE("incomplete reports its reason") {
    auto d = decode_records(responses, false, {data_record(
        R"({"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[{"type":"message","content":[{"type":"output_text","text":"Once"}]}]})")});
    CHECK_FALSE(d->error());
    CHECK(d->result().text == "Once");
    CHECK(d->result().finish_reason == "max_output_tokens");
  }
  SUBCASE("error object") {
    auto d = decode_records(responses, false, {data_record(
        R"({"status":"failed","error":{"code":"server_error","message":"Something broke"}})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Provider);
    CHECK(d->error()->message.find("Something broke") != std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------
// Request bodies

struct BodyCase {
  const char* name;
  const char* prompt;
  bool streaming;
  const char* body;
};

TEST_CASE("openai-chat request bodies") {
  const BodyCase cases[] = {
      {"simple, not streaming: no stream field",
       R"({"model":"m","interactions":[{"role":"user","content":"Hi"}]})", false,
       R"({"model":"m","messages":[{"role":"user","content":"Hi"}]})"},
      {"simple, streaming: stream and include_usage",
       R"({"model":"m","interactions":[{"role":"user","content":"Hi"}]})", true,
       R"({"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]})"},
      {"options.stream_options replaces the default",
       R"({"model":"m","interactions":[{"role":"user","content":"Hi"}],"options":{"stream_options":{"include_usage":false}}})", true,
       R"({"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"Hi"}]})"},
      {"options.stream_options false leaves it out",
       R"({"model":"m","interactions":[{"role":"user","content":"Hi"}],"options":{"stream_options":false}})", true,
       R"({"model":"m","stream":true,"messages":[{"role":"user","content":"Hi"}]})"},
      {"context and examples as the system message",
       R"({"model":"m","system":"ctx\nExamples of how you should respond follow.\nUser: a\nAssistant: b","interactions":[{"role":"user","content":"Q"}]})", false,
       R"({"model":"m","messages":[{"role":"system","content":"ctx\nExamples of how you should respond follow.\nUser: a\nAssistant: b"},{"role":"user","content":"Q"}]})"},
      {"system interaction moved by Lisp stays a system message",
       R"({"model":"m","interactions":[{"role":"system","content":"be brief"},{"role":"user","content":"Q"}]})", false,
       R"({"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"Q"}]})"},
      {"conversation; multi_turn state is not sent",
       R"({"model":"m","interactions":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello","multi_turn":{"openai-reasoning-id":"rs"}},{"role":"user","content":"Bye"}]})", false,
       R"({"model":"m","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"Bye"}]})"},
      {"image and audio multipart content",
       R"({"model":"m","interactions":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"media","mime_type":"image/png","data":"iVBO"},{"type":"media","mime_type":"audio/x-wav","data":"UklG"},{"type":"media","mime_type":"audio/mpeg","data":"SUQz"}]}]})", false,
       R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}},{"type":"input_audio","input_audio":{"data":"UklG","format":"wav"}},{"type":"input_audio","input_audio":{"data":"SUQz","format":"mp3"}}]}]})"},
      {"temperature doubled and max_tokens",
       R"({"model":"m","temperature":0.25,"max_tokens":200,"interactions":[{"role":"user","content":"Hi"}]})", false,
       R"({"model":"m","temperature":0.5,"max_tokens":200,"messages":[{"role":"user","content":"Hi"}]})"},
      {"non-standard params at the top level, overriding",
       R"({"model":"m","temperature":0.5,"non_standard":{"top_p":0.9,"temperature":0.1,"logit_bias":{"50256":-100}},"interactions":[{"role":"user","content":"Hi"}]})", false,
       R"({"model":"m","temperature":0.1,"top_p":0.9,"logit_bias":{"50256":-100},"messages":[{"role":"user","content":"Hi"}]})"},
      {"OpenRouter model list",
       R"({"model":"a","options":{"models":["a","b"]},"interactions":[{"role":"user","content":"Hi"}]})", false,
       R"({"models":["a","b"],"messages":[{"role":"user","content":"Hi"}]})"},
      {"reasoning none", R"({"model":"gpt-5.2","reasoning":"none","interactions":[]})", false,
       R"({"model":"gpt-5.2","reasoning":{"summary":"auto","effort":"none"},"messages":[]})"},
      {"reasoning light", R"({"model":"gpt-5.2","reasoning":"light","interactions":[]})", false,
       R"({"model":"gpt-5.2","reasoning":{"summary":"auto","effort":"low"},"messages":[]})"},
      {"reasoning medium", R"({"model":"gpt-5.2","reasoning":"medium","interactions":[]})", false,
       R"({"model":"gpt-5.2","reasoning":{"summary":"auto","effort":"medium"},"messages":[]})"},
      {"reasoning maximum", R"({"model":"gpt-5.2","reasoning":"maximum","interactions":[]})", false,
       R"({"model":"gpt-5.2","reasoning":{"summary":"auto","effort":"xhigh"},"messages":[]})"},
      {"DeepSeek reasoning none",
       R"({"model":"deepseek-chat","reasoning":"none","options":{"reasoning_style":"deepseek"},"interactions":[]})", false,
       R"({"model":"deepseek-chat","thinking":{"type":"disabled"},"messages":[]})"},
      {"DeepSeek reasoning light",
       R"({"model":"deepseek-chat","reasoning":"light","options":{"reasoning_style":"deepseek"},"interactions":[]})", false,
       R"({"model":"deepseek-chat","thinking":{"type":"enabled"},"reasoning_effort":"low","messages":[]})"},
      {"DeepSeek reasoning medium",
       R"({"model":"deepseek-chat","reasoning":"medium","options":{"reasoning_style":"deepseek"},"interactions":[]})", false,
       R"({"model":"deepseek-chat","thinking":{"type":"enabled"},"reasoning_effort":"medium","messages":[]})"},
      {"DeepSeek reasoning maximum",
       R"({"model":"deepseek-chat","reasoning":"maximum","options":{"reasoning_style":"deepseek"},"interactions":[]})", false,
       R"({"model":"deepseek-chat","thinking":{"type":"enabled"},"reasoning_effort":"high","messages":[]})"},
      {"JSON response format",
       R"({"model":"m","response_format":"json","interactions":[]})", false,
       R"({"model":"m","response_format":{"type":"json_object"},"messages":[]})"},
      {"JSON schema response format",
       R"({"model":"m","response_format":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]},"interactions":[]})", false,
       R"({"model":"m","response_format":{"type":"json_schema","json_schema":{"name":"response","strict":true,"schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}}},"messages":[]})"},
      {"tools with tool_choice auto",
       R"({"model":"m","tools":[{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],"tool_choice":"auto","interactions":[]})", false,
       R"({"model":"m","tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],"tool_choice":"auto","messages":[]})"},
      {"tool_choice none", R"({"model":"m","tool_choice":"none","interactions":[]})", false,
       R"({"model":"m","tool_choice":"none","messages":[]})"},
      {"tool_choice any is required", R"({"model":"m","tool_choice":"any","interactions":[]})", false,
       R"({"model":"m","tool_choice":"required","messages":[]})"},
      {"tool_choice by name",
       R"({"model":"m","tool_choice":{"name":"get_weather"},"interactions":[]})", false,
       R"({"model":"m","tool_choice":{"type":"function","function":{"name":"get_weather"}},"messages":[]})"},
      {"tool without parameters gets an empty object schema",
       R"({"model":"m","tools":[{"name":"now","description":"Time"}],"interactions":[]})", false,
       R"({"model":"m","tools":[{"type":"function","function":{"name":"now","description":"Time","parameters":{"type":"object","properties":{}}}}],"messages":[]})"},
      {"tool-use and tool-result turns",
       R"({"model":"m","interactions":[{"role":"user","content":"Weather?"},
           {"role":"assistant","tool_uses":[{"id":"call_1","name":"get_weather","args":{"city":"Paris"}},{"id":"call_2","name":"now","args":{}}]},
           {"role":"tool_results","tool_results":[{"call_id":"call_1","name":"get_weather","result":"sunny"},{"name":"now","result":"noon"}]}]})", false,
       R"({"model":"m","messages":[{"role":"user","content":"Weather?"},
           {"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_2","type":"function","function":{"name":"now","arguments":"{}"}}]},
           {"role":"tool","name":"get_weather","content":"Result of tool call is sunny","tool_call_id":"call_1"},
           {"role":"tool","name":"now","content":"Result of tool call is noon"}]})"},
      // llm's observed full Chat Completions request (context "ctx" and one example
      // rendered by Lisp into the system text; provider default top_p merged by Lisp).
      {"observed full Chat Completions request",
       R"({"model":"gpt-4o-mini","system":"ctx\nExamples of how you should respond follow.\nUser: a\nAssistant: b","interactions":[{"role":"user","content":"Q"}],"temperature":0.5,"max_tokens":100,"tool_choice":"any","non_standard":{"seed":1,"stop":["x","y"],"top_p":0.9}})", false,
       R"({"model":"gpt-4o-mini","temperature":1.0,"max_tokens":100,"tool_choice":"required","messages":[{"role":"system","content":"ctx\nExamples of how you should respond follow.\nUser: a\nAssistant: b"},{"role":"user","content":"Q"}],"seed":1,"stop":["x","y"],"top_p":0.9})"},
  };
  for (const auto& c : cases) {
    INFO("case: ", c.name);
    check_body(openai_chat_dialect(), c.prompt, c.streaming, c.body);
  }
}

TEST_CASE("openai-responses request bodies") {
  const char* tail = R"("store":false,"include":["reasoning.encrypted_content"])";
  auto with_tail = [&](std::string head, bool streaming) {
    return head + "," + tail + ",\"stream\":" + (streaming ? "true" : "false") + "}";
  };
  struct Case {
    const char* name;
    const char* prompt;
    bool streaming;
    std::string body_head;  // the body without its closing brace and the fixed fields
  };
  const Case cases[] = {
      {"simple streaming", R"({"model":"gpt-5-mini","interactions":[{"role":"user","content":"Hi"}]})", true,
       R"({"model":"gpt-5-mini","input":[{"role":"user","content":"Hi"}])"},
      {"simple not streaming", R"({"model":"m","interactions":[{"role":"user","content":"Hi"}]})", false,
       R"({"model":"m","input":[{"role":"user","content":"Hi"}])"},
      {"system text as instructions",
       R"({"model":"m","system":"ctx\nHere is an example of how to respond:\n\nUser: a\nAssistant: b","interactions":[{"role":"user","content":"Q"}]})", false,
       R"({"model":"m","instructions":"ctx\nHere is an example of how to respond:\n\nUser: a\nAssistant: b","input":[{"role":"user","content":"Q"}])"},
      {"temperature doubled, max_output_tokens",
       R"({"model":"m","temperature":0.5,"max_tokens":300,"interactions":[]})", false,
       R"({"model":"m","temperature":1.0,"max_output_tokens":300,"input":[])"},
      {"image multipart",
       R"({"model":"m","interactions":[{"role":"user","content":[{"type":"text","text":"What?"},{"type":"media","mime_type":"image/jpeg","data":"/9j/"}]}]})", false,
       R"({"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"What?"},{"type":"input_image","image_url":"data:image/jpeg;base64,/9j/"}]}])"},
      {"non-standard params",
       R"({"model":"m","non_standard":{"top_p":0.5,"store":true},"interactions":[]})", false,
       ""},
      {"reasoning light", R"({"model":"gpt-5.2","reasoning":"light","interactions":[]})", false,
       R"({"model":"gpt-5.2","reasoning":{"summary":"auto","effort":"low"},"input":[])"},
      {"reasoning maximum", R"({"model":"gpt-5.2","reasoning":"maximum","interactions":[]})", false,
       R"({"model":"gpt-5.2","reasoning":{"summary":"auto","effort":"xhigh"},"input":[])"},
      {"reasoning none", R"({"model":"gpt-5.2","reasoning":"none","interactions":[]})", false,
       R"({"model":"gpt-5.2","reasoning":{"summary":"auto","effort":"none"},"input":[])"},
      {"JSON format", R"({"model":"m","response_format":"json","interactions":[]})", false,
       R"({"model":"m","text":{"format":{"type":"json_object"}},"input":[])"},
      {"JSON schema format",
       R"({"model":"m","response_format":{"type":"object","properties":{"n":{"type":"integer"}}},"interactions":[]})", false,
       R"({"model":"m","text":{"format":{"type":"json_schema","name":"response","strict":true,"schema":{"type":"object","properties":{"n":{"type":"integer"}},"additionalProperties":false}}},"input":[])"},
      {"tools and a forced tool",
       R"({"model":"m","tools":[{"name":"f","description":"d","parameters":{"type":"object","properties":{}}}],"tool_choice":{"name":"f"},"interactions":[]})", false,
       R"({"model":"m","tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object","properties":{}}}],"tool_choice":{"type":"function","name":"f"},"input":[])"},
      {"tool_choice any", R"({"model":"m","tool_choice":"any","interactions":[]})", false,
       R"({"model":"m","tool_choice":"required","input":[])"},
      {"tool-use and tool-result turns",
       R"({"model":"m","interactions":[{"role":"user","content":"Weather?"},
           {"role":"assistant","tool_uses":[{"id":"fc_1","name":"get_weather","args":{"city":"Paris"}}]},
           {"role":"tool_results","tool_results":[{"call_id":"fc_1","name":"get_weather","result":"sunny"}]}]})", false,
       R"({"model":"m","input":[{"role":"user","content":"Weather?"},
           {"type":"function_call","call_id":"fc_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
           {"type":"function_call_output","call_id":"fc_1","output":"sunny"}])"},
      {"multi-turn reasoning item sent back before the assistant message",
       R"({"model":"m","interactions":[{"role":"user","content":"Hi"},
           {"role":"assistant","content":"Paris","multi_turn":{"openai-encrypted-reasoning":"ENC","openai-reasoning-id":"rs_1"}},
           {"role":"user","content":"And?"}]})", false,
       R"({"model":"m","input":[{"role":"user","content":"Hi"},
           {"type":"reasoning","id":"rs_1","encrypted_content":"ENC","summary":[]},
           {"role":"assistant","content":"Paris"},{"role":"user","content":"And?"}])"},
  };
  for (const auto& c : cases) {
    INFO("case: ", c.name);
    if (!c.body_head.empty()) check_body(openai_responses_dialect(), c.prompt, c.streaming, with_tail(c.body_head, c.streaming));
  }
  // Non-standard params override the fixed fields too (store here).
  check_body(openai_responses_dialect(), R"({"model":"m","non_standard":{"top_p":0.5,"store":true},"interactions":[]})",
             false,
             R"({"model":"m","input":[],"store":true,"stream":false,"include":["reasoning.encrypted_content"],"top_p":0.5})");
}

TEST_CASE("openai bodies: prompts the API cannot express are rejected") {
  for (const Dialect* d : {&openai_chat_dialect(), &openai_responses_dialect()}) {
    CHECK_THROWS_AS(d->build_body("not json", false), std::invalid_argument);
    CHECK_THROWS_AS(d->build_body(R"({"model":"m","interactions":[{"role":"robot","content":"x"}]})", false),
                    std::invalid_argument);
    CHECK_THROWS_AS(d->build_body(R"({"model":"m","interactions":[{"role":"user","content":[{"type":"media","mime_type":"video/mp4","data":"AA"}]}]})", false),
                    std::invalid_argument);
    CHECK_THROWS_AS(d->build_body(R"({"model":"m","tool_choice":"sometimes","interactions":[]})", false),
                    std::invalid_argument);
    CHECK_THROWS_AS(d->build_body(R"({"model":"m","reasoning":"extreme","interactions":[]})", false),
                    std::invalid_argument);
  }
}
