// Anthropic, Gemini and Ollama dialects: every provider fixture decoded whole, byte by byte
// and at every 2-way split point, compared with its EXPECTED.json; request bodies built from
// canonical prompts compared as JSON with the bodies llm sends (doc/providers.md).
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "dialect.hpp"
#include "framing.hpp"
#include "json_util.hpp"
#include "test_util.hpp"

namespace llm_native {
namespace {

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
Outcome decode(const Dialect& dialect, Format format, bool streaming, const std::string& body,
               const std::vector<size_t>& cuts) {
  auto decoder = dialect.make_decoder(streaming);
  auto framer = make_framer(format);
  DecoderSink sink(*decoder);
  size_t start = 0;
  for (size_t cut : cuts) {
    framer->feed(body.data() + start, cut - start, sink);
    start = cut;
  }
  framer->feed(body.data() + start, body.size() - start, sink);
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
std::string mismatch(const Outcome& out, const Value& semantics, const UsageKeys& keys) {
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
  if (out.result.output_tokens != want_out)
    return "output tokens: got " + std::to_string(out.result.output_tokens);

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
void check_fixture_folder(const std::string& folder, const Dialect& dialect, const UsageKeys& keys,
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

const Dialect& anthropic() { return find_dialect("anthropic"); }
const Dialect& gemini() { return find_dialect("gemini"); }
const Dialect& ollama() { return find_dialect("ollama"); }

Outcome decode_records(const Dialect& dialect, bool streaming, const std::vector<std::string>& datas) {
  auto decoder = dialect.make_decoder(streaming);
  for (const std::string& data : datas) decoder->on_record(Record{"message", data, ""});
  decoder->finish();
  return Outcome{decoder->result(), decoder->error(), decoder->complete()};
}

// --- Fixtures ------------------------------------------------------------------------

TEST_CASE("anthropic fixtures decode as EXPECTED.json at every split") {
  check_fixture_folder("anthropic", anthropic(), {"input_tokens", "output_tokens", "finish_reason"}, 4);
}

TEST_CASE("gemini fixtures decode as EXPECTED.json at every split") {
  check_fixture_folder("gemini", gemini(), {"promptTokenCount", "candidatesTokenCount", "finish_reason"}, 8);
}

TEST_CASE("ollama fixtures decode as EXPECTED.json at every split") {
  check_fixture_folder("ollama", ollama(), {"prompt_eval_count", "eval_count", "terminal"}, 5);
}

// --- Anthropic decoding details ------------------------------------------------------

TEST_CASE("anthropic streamed thinking keeps its signature as multi-turn state") {
  Outcome out = decode(anthropic(), Format::Sse, true, test::read_fixture("anthropic/thinking.sse"), {});
  REQUIRE_FALSE(out.error);
  CHECK(test::json_text_equal(out.result.multi_turn_json,
                              R"({"claude-thinking":"The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185",
                                  "claude-reasoning-signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds6sYwDJfG7Ys6Oq5sQBWgH0mLrL6fyMVRUBKzFY3MnQqi8Ykjtvm1LiePNiGqBgB"})"));
}

TEST_CASE("anthropic redacted thinking and invalid tool input") {
  Outcome redacted = decode_records(
      anthropic(), true,
      {R"({"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":1}}})",
       R"({"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"OPAQUE"}})",
       R"({"type":"content_block_stop","index":0})",
       R"({"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})",
       R"({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"ok"}})",
       R"({"type":"content_block_delta","index":1,"delta":{"type":"citations_delta","citation":{}}})",
       R"({"type":"brand_new_event"})",
       R"({"type":"content_block_stop","index":1})",
       R"({"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":7}})",
       R"({"type":"message_stop"})"});
  REQUIRE_FALSE(redacted.error);
  CHECK(redacted.result.text == "ok");
  CHECK(redacted.result.finish_reason == "max_tokens");
  CHECK(redacted.result.input_tokens == 5);
  CHECK(redacted.result.output_tokens == 7);
  CHECK(test::json_text_equal(redacted.result.multi_turn_json, R"({"claude-redacted-thinking":"OPAQUE"})"));

  Outcome bad = decode_records(
      anthropic(), true,
      {R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"get_weather","input":{}}})",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Par"}})",
       R"({"type":"content_block_stop","index":0})"});
  REQUIRE(bad.error);
  CHECK(bad.error->code == ErrorCode::Protocol);
  CHECK(bad.error->message.find("get_weather") != std::string::npos);

  Outcome far = decode_records(
      anthropic(), true,
      {R"({"type":"content_block_start","index":99999999999,"content_block":{"type":"text","text":""}})"});
  REQUIRE(far.error);
  CHECK(far.error->code == ErrorCode::Protocol);

  Outcome garbage = decode_records(anthropic(), true, {"{not json"});
  REQUIRE(garbage.error);
  CHECK(garbage.error->code == ErrorCode::Protocol);
}

TEST_CASE("anthropic non-streaming body") {
  Outcome out = decode_records(anthropic(), false, {R"({
    "id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5",
    "content":[{"type":"thinking","thinking":"hmm","signature":"SIG"},
               {"type":"text","text":"Let me look."},
               {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],
    "stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":20}})"});
  REQUIRE_FALSE(out.error);
  CHECK(out.complete);
  CHECK(out.result.text == "Let me look.");
  CHECK(out.result.reasoning == "hmm");
  REQUIRE(out.result.tool_calls.size() == 1);
  CHECK(out.result.tool_calls[0].id == "toolu_1");
  CHECK(test::json_text_equal(out.result.tool_calls[0].args_json, R"({"city":"Paris"})"));
  CHECK(out.result.input_tokens == 10);
  CHECK(out.result.output_tokens == 20);
  CHECK(out.result.finish_reason == "tool_use");
  CHECK(test::json_text_equal(out.result.multi_turn_json,
                              R"({"claude-thinking":"hmm","claude-reasoning-signature":"SIG"})"));

  Outcome error = decode_records(anthropic(), false,
                                 {R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"});
  REQUIRE(error.error);
  CHECK(error.error->code == ErrorCode::Provider);
  CHECK(error.error->message.find("Overloaded") != std::string::npos);
}

TEST_CASE("anthropic error_message") {
  std::string http = test::read_fixture("http/anthropic-529-json-not-sse.http");
  std::string body = http.substr(http.find("\r\n\r\n") + 4);
  std::string message = anthropic().error_message(body);
  CHECK(message.find("overloaded_error") != std::string::npos);
  CHECK(message.find("Overloaded") != std::string::npos);
  CHECK(anthropic().error_message("  <html>Bad gateway</html>\n") == "<html>Bad gateway</html>");
}

// --- Gemini decoding details ---------------------------------------------------------

TEST_CASE("gemini tool calls carry their thought signature") {
  Outcome out = decode(gemini(), Format::JsonArray, true, test::read_fixture("gemini/function-call.json"), {});
  REQUIRE(out.result.tool_calls.size() == 2);
  CHECK(test::json_text_equal(out.result.tool_calls[0].extra_json,
                              R"({"thought_signature":"EqUCCqICAb4+9vsh8Pd5taZVoPzSvjWWwzBrvhEQWBLCGa7IdY8F"})"));
  CHECK(out.result.tool_calls[1].extra_json.empty());

  Outcome partial = decode(gemini(), Format::Sse, true,
                           test::read_fixture("gemini/function-call-partial-args-alt-sse.sse"), {});
  REQUIRE(partial.result.tool_calls.size() == 1);
  CHECK(test::json_text_equal(partial.result.tool_calls[0].extra_json,
                              R"({"thought_signature":"CiMBjz1rX25KieIB4d4AwFn8"})"));
}

TEST_CASE("gemini text-part signature becomes multi-turn state") {
  Outcome out = decode(gemini(), Format::Sse, true, test::read_fixture("gemini/thinking-alt-sse.sse"), {});
  CHECK(test::json_text_equal(out.result.multi_turn_json,
                              R"({"gemini-thought-signature":"Eo0HCooHAb4+9vutXdtKMt+r7Z3gLh52ZQ3RKYDzp4A6PHh0dLuvI1Kw"})"));
}

TEST_CASE("gemini streamed partial args with nested paths and numbers") {
  Outcome out = decode_records(
      gemini(), true,
      {R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"plan","willContinue":true}}]}}]})",
       R"({"candidates":[{"content":{"parts":[{"functionCall":{"partialArgs":[
           {"jsonPath":"$.trip.city","stringValue":"Os","willContinue":true}],"willContinue":true}}]}}]})",
       R"({"candidates":[{"content":{"parts":[{"functionCall":{"partialArgs":[
           {"jsonPath":"$.trip.city","stringValue":"lo"},
           {"jsonPath":"$.trip.days","numberValue":3},
           {"jsonPath":"$.stops[1]","stringValue":"Bergen"},
           {"jsonPath":"$['dry run']","boolValue":false}],"willContinue":true}}]}}]})",
       R"({"candidates":[{"content":{"parts":[{"functionCall":{}}]},"finishReason":"STOP"}],
           "usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":4}})"});
  REQUIRE_FALSE(out.error);
  REQUIRE(out.result.tool_calls.size() == 1);
  CHECK(out.result.tool_calls[0].name == "plan");
  CHECK(test::json_text_equal(out.result.tool_calls[0].args_json,
                              R"({"trip":{"city":"Oslo","days":3},"stops":[null,"Bergen"],"dry run":false})"));
}

TEST_CASE("gemini streamed partial args at an unusable path are a protocol error") {
  for (const char* path : {"$[99999999999]", "location", "$..x", "$[abc]"}) {
    CAPTURE(path);
    std::string piece = std::string(R"({"candidates":[{"content":{"parts":[{"functionCall":{"partialArgs":[{"jsonPath":")") +
                        path + R"(","stringValue":"v"}]}}]}}]})";
    Outcome out = decode_records(
        gemini(), true,
        {R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","willContinue":true}}]}}]})", piece});
    REQUIRE(out.error);
    CHECK(out.error->code == ErrorCode::Protocol);
    CHECK(out.error->message.find("tool f") != std::string::npos);
  }
}

TEST_CASE("gemini usage is the last cumulative report, not a sum") {
  Outcome out = decode_records(
      gemini(), true,
      {R"({"candidates":[{"content":{"parts":[{"text":"a"}]}}],"usageMetadata":{"promptTokenCount":6,"candidatesTokenCount":1}})",
       R"({"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":6,"candidatesTokenCount":2}})"});
  CHECK(out.result.input_tokens == 6);
  CHECK(out.result.output_tokens == 2);
  CHECK(out.complete);
}

TEST_CASE("gemini safety stop is a provider error, MAX_TOKENS completes") {
  Outcome safety = decode_records(
      gemini(), true,
      {R"({"candidates":[{"content":{"parts":[{"text":"Once"}]},"finishReason":"SAFETY",
           "safetyRatings":[{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH"}]}]})"});
  REQUIRE(safety.error);
  CHECK(safety.error->code == ErrorCode::Provider);
  CHECK(safety.error->message.find("SAFETY") != std::string::npos);
  CHECK(safety.error->message.find("HARM_CATEGORY_DANGEROUS_CONTENT") != std::string::npos);

  Outcome cut = decode_records(
      gemini(), false,
      {R"({"candidates":[{"content":{"parts":[{"text":"Once"}]},"finishReason":"MAX_TOKENS"}]})"});
  CHECK_FALSE(cut.error);
  CHECK(cut.result.finish_reason == "MAX_TOKENS");
}

TEST_CASE("gemini non-streaming bodies, plain and array-wrapped") {
  std::string body = R"({"candidates":[{"content":{"parts":[{"text":"thinking...","thought":true},{"text":"Paris"}],
      "role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":1}})";
  Outcome out = decode(gemini(), Format::Json, false, body, {});
  REQUIRE_FALSE(out.error);
  CHECK(out.result.text == "Paris");
  CHECK(out.result.reasoning == "thinking...");
  CHECK(out.result.output_tokens == 1);

  Outcome wrapped = decode(gemini(), Format::Json, false, test::read_fixture("gemini/error-429-body.json"), {});
  REQUIRE(wrapped.error);
  CHECK(wrapped.error->code == ErrorCode::Provider);
  CHECK(wrapped.error->message.find("RESOURCE_EXHAUSTED") != std::string::npos);

  Outcome plain =
      decode(gemini(), Format::Json, false, test::read_fixture("gemini/error-429-body-alt-sse.json"), {});
  REQUIRE(plain.error);
  CHECK(plain.error->message.find("Resource exhausted") != std::string::npos);
}

TEST_CASE("gemini error_message reads plain, array-wrapped and pretty-printed errors") {
  for (const char* name : {"gemini/error-429-body.json", "gemini/error-429-body-alt-sse.json"}) {
    std::string message = gemini().error_message(test::read_fixture(name));
    CAPTURE(name);
    CHECK(message.find("429") != std::string::npos);
    CHECK(message.find("RESOURCE_EXHAUSTED") != std::string::npos);
    CHECK(message.find("Resource exhausted. Please try again later.") != std::string::npos);
  }
  CHECK(gemini().error_message("\n Service Unavailable \n") == "Service Unavailable");
}

// --- Ollama decoding details ---------------------------------------------------------

TEST_CASE("ollama non-streaming body and error_message") {
  Outcome out = decode(ollama(), Format::Json, false, R"({"model":"qwen3","message":{"role":"assistant",
      "content":"","thinking":"t","tool_calls":[{"function":{"name":"get_time","arguments":{}}},
      {"function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
      "done":true,"done_reason":"stop","prompt_eval_count":3,"eval_count":4})", {});
  REQUIRE_FALSE(out.error);
  CHECK(out.result.reasoning == "t");
  REQUIRE(out.result.tool_calls.size() == 2);
  CHECK(out.result.tool_calls[0].id.empty());
  CHECK(out.result.tool_calls[0].args_json == "{}");
  CHECK(test::json_text_equal(out.result.tool_calls[1].args_json, R"({"city":"Oslo"})"));
  CHECK(out.result.input_tokens == 3);

  CHECK(ollama().error_message(R"({"error":"model \"llama9\" not found, try pulling it first"})")
            .find("model \"llama9\" not found, try pulling it first") != std::string::npos);
  CHECK(ollama().error_message("404 page not found\n") == "404 page not found");
}

// --- Request bodies ------------------------------------------------------------------

struct BodyCase {
  const char* name;
  const char* prompt;
  bool streaming;
  const char* expected;
};

void check_bodies(const Dialect& dialect, const std::vector<BodyCase>& cases) {
  for (const BodyCase& c : cases) {
    CAPTURE(c.name);
    std::string body = dialect.build_body(c.prompt, c.streaming);
    CHECK_MESSAGE(test::json_text_equal(body, c.expected), c.name << "\n got:  " << body
                                                                  << "\n want: " << c.expected);
  }
}

TEST_CASE("anthropic request bodies") {
  check_bodies(anthropic(), {
    {"simple, default max_tokens by model name",
     R"({"model":"claude-sonnet-4-6","interactions":[{"role":"user","content":"Hi"}]})", true,
     R"({"model":"claude-sonnet-4-6","stream":true,"max_tokens":64000,
         "messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]})"},
    {"max_tokens defaults: opus-4-0, 3-7, opus, other",
     R"({"model":"claude-opus-4-0","interactions":[]})", false,
     R"({"model":"claude-opus-4-0","stream":false,"max_tokens":32000,"messages":[]})"},
    {"3-7", R"({"model":"claude-3-7-sonnet","interactions":[]})", false,
     R"({"model":"claude-3-7-sonnet","stream":false,"max_tokens":64000,"messages":[]})"},
    {"old opus", R"({"model":"claude-3-opus","interactions":[]})", false,
     R"({"model":"claude-3-opus","stream":false,"max_tokens":4096,"messages":[]})"},
    {"other", R"({"model":"claude-3-5-haiku","interactions":[]})", false,
     R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[]})"},
    {"context and examples as system, conversation, temperature not rescaled",
     R"({"model":"claude-3-5-haiku","system":"Be terse.\nHere is an example of how to respond:\n\nUser: a\nAssistant: b\n",
         "interactions":[{"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris"},
                         {"role":"user","content":"And Italy?"}],
         "temperature":0.3,"max_tokens":100})", true,
     R"({"model":"claude-3-5-haiku","stream":true,"max_tokens":100,"temperature":0.3,
         "system":"Be terse.\nHere is an example of how to respond:\n\nUser: a\nAssistant: b\n",
         "messages":[{"role":"user","content":[{"type":"text","text":"Capital of France?"}]},
                     {"role":"assistant","content":[{"type":"text","text":"Paris"}]},
                     {"role":"user","content":[{"type":"text","text":"And Italy?"}]}]})"},
    {"image and pdf",
     R"({"model":"claude-3-5-haiku","interactions":[{"role":"user","content":[
         {"type":"text","text":"What is this?"},{"type":"media","mime_type":"image/png","data":"iVBOR"},
         {"type":"media","mime_type":"application/pdf","data":"JVBER"}]}]})", false,
     R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[{"role":"user","content":[
         {"type":"text","text":"What is this?"},
         {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},
         {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBER"}}]}]})"},
    {"non-standard params at top level, winning",
     R"({"model":"claude-3-5-haiku","interactions":[],"temperature":0.5,"non_standard":{"top_k":5,"temperature":0.9}})", false,
     R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[],"top_k":5,"temperature":0.9})"},
    {"adaptive thinking and effort",
     R"({"model":"claude-sonnet-4-6","interactions":[],"reasoning":"maximum","options":{"anthropic_thinking":"adaptive"}})", false,
     R"({"model":"claude-sonnet-4-6","stream":false,"max_tokens":64000,"messages":[],
         "thinking":{"type":"adaptive"},"output_config":{"effort":"max"}})"},
    {"adaptive thinking disabled by reasoning none",
     R"({"model":"claude-sonnet-4-6","interactions":[],"reasoning":"none","options":{"anthropic_thinking":"adaptive"}})", false,
     R"({"model":"claude-sonnet-4-6","stream":false,"max_tokens":64000,"messages":[],"thinking":{"type":"disabled"}})"},
    {"adaptive thinking without reasoning level",
     R"({"model":"claude-opus-4-6","interactions":[],"options":{"anthropic_thinking":"adaptive"}})", false,
     R"({"model":"claude-opus-4-6","stream":false,"max_tokens":64000,"messages":[],"thinking":{"type":"adaptive"}})"},
    {"effort without adaptive thinking",
     R"({"model":"claude-opus-4-5","interactions":[],"reasoning":"light"})", false,
     R"({"model":"claude-opus-4-5","stream":false,"max_tokens":64000,"messages":[],"output_config":{"effort":"low"}})"},
    {"budgeted thinking",
     R"({"model":"claude-sonnet-4-5","interactions":[],"reasoning":"medium","max_tokens":4000,"options":{"thinking_budget":2048}})", false,
     R"({"model":"claude-sonnet-4-5","stream":false,"max_tokens":4000,"messages":[],
         "thinking":{"type":"enabled","budget_tokens":2048},"output_config":{"effort":"medium"}})"},
    {"json schema output format",
     R"({"model":"claude-sonnet-4-6","interactions":[],"response_format":{"type":"object","properties":{"a":{"type":"string"}}}})", false,
     R"({"model":"claude-sonnet-4-6","stream":false,"max_tokens":64000,"messages":[],
         "output_format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}}})"},
    {"bare json format sends nothing",
     R"({"model":"claude-3-5-haiku","interactions":[],"response_format":"json"})", false,
     R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[]})"},
    {"tools, forced tool choice suppresses adaptive thinking",
     R"({"model":"claude-sonnet-4-6","interactions":[],"options":{"anthropic_thinking":"adaptive"},"tool_choice":"any",
         "tools":[{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]})", false,
     R"({"model":"claude-sonnet-4-6","stream":false,"max_tokens":64000,"messages":[],"tool_choice":{"type":"any"},
         "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]})"},
    {"tool choice by name",
     R"({"model":"claude-3-5-haiku","interactions":[],"tool_choice":{"name":"get_weather"}})", false,
     R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[],"tool_choice":{"type":"tool","name":"get_weather"}})"},
    {"tool choice auto and none",
     R"({"model":"claude-3-5-haiku","interactions":[],"tool_choice":"none"})", false,
     R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[],"tool_choice":{"type":"none"}})"},
    {"tool use and tool result turns",
     R"({"model":"claude-3-5-haiku","interactions":[{"role":"user","content":"Weather?"},
         {"role":"assistant","tool_uses":[{"id":"toolu_1","name":"get_weather","args":{"city":"Paris"}},
                                          {"id":"toolu_2","name":"get_time","args":{}}]},
         {"role":"tool_results","tool_results":[{"call_id":"toolu_1","name":"get_weather","result":"sunny"},
                                                {"call_id":"toolu_2","name":"get_time","result":"noon"}]}]})", false,
     R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[
         {"role":"user","content":[{"type":"text","text":"Weather?"}]},
         {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}},
                                        {"type":"tool_use","id":"toolu_2","name":"get_time","input":{}}]},
         {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"sunny"},
                                   {"type":"tool_result","tool_use_id":"toolu_2","content":"noon"}]}]})"},
    {"multi-turn thinking and redacted thinking go back first",
     R"({"model":"claude-sonnet-4-6","interactions":[{"role":"user","content":"Hi"},
         {"role":"assistant","content":"Paris","multi_turn":{"claude-thinking":"hmm","claude-reasoning-signature":"SIG"}},
         {"role":"user","content":"More"},
         {"role":"assistant","content":"Rome","multi_turn":{"claude-redacted-thinking":"OPAQUE"}},
         {"role":"user","content":"Thanks"}]})", true,
     R"({"model":"claude-sonnet-4-6","stream":true,"max_tokens":64000,"messages":[
         {"role":"user","content":[{"type":"text","text":"Hi"}]},
         {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"SIG"},{"type":"text","text":"Paris"}]},
         {"role":"user","content":[{"type":"text","text":"More"}]},
         {"role":"assistant","content":[{"type":"redacted_thinking","data":"OPAQUE"},{"type":"text","text":"Rome"}]},
         {"role":"user","content":[{"type":"text","text":"Thanks"}]}]})"},
    {"system interactions join the system text",
     R"({"model":"claude-3-5-haiku","system":"ctx\n","interactions":[{"role":"system","content":"more"},{"role":"user","content":"Hi"}]})", false,
     R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"system":"ctx\nmore",
         "messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]})"},
  });
  CHECK_THROWS_AS(anthropic().build_body(R"({"model":"m","interactions":[],"tool_choice":"sometimes"})", false),
                  std::invalid_argument);
  CHECK_THROWS_AS(anthropic().build_body("not json", false), std::invalid_argument);
}

TEST_CASE("gemini request bodies") {
  check_bodies(gemini(), {
    {"simple",
     R"({"model":"gemini-2.5-flash","interactions":[{"role":"user","content":"Hi"}]})", true,
     R"({"contents":[{"role":"user","parts":[{"text":"Hi"}]}]})"},
    {"system instruction, conversation, temperature x2, max tokens",
     R"({"model":"gemini-2.5-flash","system":"Be terse.\n","interactions":[{"role":"user","content":"Capital of France?"},
         {"role":"assistant","content":"Paris"},{"role":"user","content":"And Italy?"}],"temperature":0.25,"max_tokens":50})", false,
     R"({"system_instruction":{"parts":{"text":"Be terse.\n"}},
         "contents":[{"role":"user","parts":[{"text":"Capital of France?"}]},{"role":"model","parts":[{"text":"Paris"}]},
                     {"role":"user","parts":[{"text":"And Italy?"}]}],
         "generationConfig":{"temperature":0.5,"maxOutputTokens":50}})"},
    {"system interactions merge into system_instruction",
     R"({"model":"gemini-2.5-flash","interactions":[{"role":"system","content":"ctx"},{"role":"user","content":"Hi"}]})", false,
     R"({"system_instruction":{"parts":{"text":"ctx"}},"contents":[{"role":"user","parts":[{"text":"Hi"}]}]})"},
    {"image",
     R"({"model":"gemini-2.5-flash","interactions":[{"role":"user","content":[{"type":"text","text":"What?"},
         {"type":"media","mime_type":"image/jpeg","data":"/9j/"}]}]})", false,
     R"({"contents":[{"role":"user","parts":[{"text":"What?"},{"inline_data":{"mime_type":"image/jpeg","data":"/9j/"}}]}]})"},
    {"non-standard params in generationConfig, winning",
     R"({"model":"gemini-2.5-flash","interactions":[],"temperature":0.5,"non_standard":{"topK":3,"temperature":0.1}})", false,
     R"({"contents":[],"generationConfig":{"temperature":0.1,"topK":3}})"},
    {"thinking level",
     R"({"model":"gemini-3-flash","interactions":[],"reasoning":"medium","options":{"gemini_thinking":{"thinking_level":"high"}}})", false,
     R"({"contents":[],"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinking_level":"high"}}})"},
    {"thinking budget",
     R"({"model":"gemini-2.5-flash","interactions":[],"reasoning":"light","options":{"gemini_thinking":{"thinkingBudget":1024}}})", false,
     R"({"contents":[],"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingBudget":1024}}})"},
    {"json",
     R"({"model":"gemini-2.5-flash","interactions":[],"response_format":"json"})", false,
     R"({"contents":[],"generationConfig":{"response_mime_type":"application/json"}})"},
    {"schema filtered recursively",
     R"({"model":"gemini-2.5-flash","interactions":[],"response_format":{"type":"object","additionalProperties":false,
         "$schema":"x","properties":{"names":{"type":"array","title":"T","items":{"type":"string","pattern":"^a","enum":["a","b"]},
         "minItems":1},"n":{"type":"integer","default":3,"description":"count","nullable":true}},"required":["names"]}})", false,
     R"({"contents":[],"generationConfig":{"response_mime_type":"application/json","response_schema":{"type":"object",
         "properties":{"names":{"type":"array","items":{"type":"string","enum":["a","b"]},"minItems":1},
                       "n":{"type":"integer","description":"count","nullable":true}},"required":["names"]}}})"},
    {"tools and auto",
     R"({"model":"gemini-2.5-flash","interactions":[],"tool_choice":"auto","tools":[{"name":"get_weather","description":"Weather",
         "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]})", false,
     R"({"contents":[],"tools":[{"function_declarations":[{"name":"get_weather","description":"Weather",
         "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}],
         "toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}})"},
    {"tool choice none", R"({"model":"g","interactions":[],"tool_choice":"none"})", false,
     R"({"contents":[],"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}})"},
    {"tool choice any", R"({"model":"g","interactions":[],"tool_choice":"any"})", false,
     R"({"contents":[],"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}})"},
    {"tool choice by name", R"({"model":"g","interactions":[],"tool_choice":{"name":"get_weather"}})", false,
     R"({"contents":[],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}}})"},
    {"tool use with and without signature, tool results",
     R"({"model":"g","interactions":[{"role":"user","content":"Weather?"},
         {"role":"assistant","tool_uses":[{"id":"","name":"get_weather","args":{"city":"Paris"},"thought_signature":"SIG"},
                                          {"name":"get_time","args":{}}]},
         {"role":"tool_results","tool_results":[{"name":"get_weather","result":"sunny"},{"name":"get_time","result":"noon"}]}]})", false,
     R"({"contents":[{"role":"user","parts":[{"text":"Weather?"}]},
         {"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"SIG"},
                                  {"functionCall":{"name":"get_time","args":{}},"thoughtSignature":"context_engineering_is_the_way_to_go"}]},
         {"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":"sunny"}}},
                                 {"functionResponse":{"name":"get_time","response":{"output":"noon"}}}]}]})"},
    {"text signature goes back on the text part",
     R"({"model":"g","interactions":[{"role":"user","content":"Hi"},
         {"role":"assistant","content":"Hello","multi_turn":{"gemini-thought-signature":"TS"}}]})", false,
     R"({"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Hello","thoughtSignature":"TS"}]}]})"},
  });
  CHECK_THROWS_AS(gemini().build_body(R"({"model":"g","interactions":[{"role":"robot","content":"x"}]})", false),
                  std::invalid_argument);
}

TEST_CASE("ollama request bodies") {
  check_bodies(ollama(), {
    {"simple",
     R"({"model":"qwen3:8b","interactions":[{"role":"user","content":"Hi"}]})", true,
     R"({"model":"qwen3:8b","stream":true,"messages":[{"role":"user","content":"Hi"}]})"},
    {"system message, conversation, temperature not rescaled, num_predict",
     R"({"model":"qwen3:8b","system":"Be terse.\nExamples of how you should respond follow.\nUser: a\nAssistant: b\n",
         "interactions":[{"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris"},
                         {"role":"user","content":"And Italy?"}],"temperature":0.4,"max_tokens":64})", false,
     R"({"model":"qwen3:8b","stream":false,"messages":[
         {"role":"system","content":"Be terse.\nExamples of how you should respond follow.\nUser: a\nAssistant: b\n"},
         {"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris"},
         {"role":"user","content":"And Italy?"}],"options":{"temperature":0.4,"num_predict":64}})"},
    {"system interaction",
     R"({"model":"m","interactions":[{"role":"system","content":"ctx"},{"role":"user","content":"Hi"}]})", true,
     R"({"model":"m","stream":true,"messages":[{"role":"system","content":"ctx"},{"role":"user","content":"Hi"}]})"},
    {"images",
     R"({"model":"llava","interactions":[{"role":"user","content":[{"type":"text","text":"What "},{"type":"text","text":"is this?"},
         {"type":"media","mime_type":"image/png","data":"iVBOR"},{"type":"media","mime_type":"audio/wav","data":"UklG"}]}]})", true,
     R"({"model":"llava","stream":true,"messages":[{"role":"user","content":"What is this?","images":["iVBOR","UklG"]}]})"},
    {"non-standard params in options, top-level keys at top level",
     R"({"model":"m","interactions":[],"temperature":0.5,"non_standard":{"top_p":0.9,"num_ctx":8192,"keep_alive":"10m"}})", true,
     R"({"model":"m","stream":true,"messages":[],"keep_alive":"10m","options":{"temperature":0.5,"top_p":0.9,"num_ctx":8192}})"},
    {"think and keep_alive from options",
     R"({"model":"gpt-oss:20b","interactions":[],"reasoning":"maximum","options":{"think":"high","keep_alive":"5m"}})", true,
     R"({"model":"gpt-oss:20b","stream":true,"messages":[],"think":"high","keep_alive":"5m"})"},
    {"think false",
     R"({"model":"qwen3","interactions":[],"reasoning":"none","options":{"think":false}})", true,
     R"({"model":"qwen3","stream":true,"messages":[],"think":false})"},
    {"json format is the string json",
     R"({"model":"m","interactions":[],"response_format":"json"})", false,
     R"({"model":"m","stream":false,"messages":[],"format":"json"})"},
    {"schema format",
     R"({"model":"m","interactions":[],"response_format":{"type":"object","properties":{"a":{"type":"string"}}}})", false,
     R"({"model":"m","stream":false,"messages":[],"format":{"type":"object","properties":{"a":{"type":"string"}}}})"},
    {"tools in chat completions shape, tool_choice ignored",
     R"({"model":"m","interactions":[],"tool_choice":"any","tools":[{"name":"get_weather","description":"Weather",
         "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]})", true,
     R"({"model":"m","stream":true,"messages":[],"tools":[{"type":"function","function":{"name":"get_weather",
         "description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]})"},
    {"tool use and tool result turns",
     R"({"model":"m","interactions":[{"role":"user","content":"Weather?"},
         {"role":"assistant","tool_uses":[{"id":"call_1","name":"get_weather","args":{"city":"Paris"}},
                                          {"id":"call_2","name":"get_time","args":{}}]},
         {"role":"tool_results","tool_results":[{"call_id":"call_1","name":"get_weather","result":"sunny"},
                                                {"call_id":"call_2","name":"get_time","result":"noon"}]}]})", true,
     R"({"model":"m","stream":true,"messages":[{"role":"user","content":"Weather?"},
         {"role":"assistant","tool_calls":[{"type":"function","function":{"index":0,"name":"get_weather","arguments":{"city":"Paris"}}},
                                           {"type":"function","function":{"index":1,"name":"get_time","arguments":{}}}]},
         {"role":"tool","tool_name":"get_weather","content":"sunny"},
         {"role":"tool","tool_name":"get_time","content":"noon"}]})"},
  });
  CHECK_THROWS_AS(ollama().build_body(R"({"model":"m","interactions":[],"response_format":"yaml"})", false),
                  std::invalid_argument);
}

}  // namespace
}  // namespace llm_native
