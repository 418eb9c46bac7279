// Anthropic dialect: fixtures decoded at every split against EXPECTED.json, decoding details, request bodies.
#include <doctest/doctest.h>

#include "dialect_test_util.hpp"

namespace llm_native {
namespace {

using namespace dialect_test;

// --- Fixtures ------------------------------------------------------------------------

TEST_CASE("anthropic fixtures decode as EXPECTED.json at every split") {
  check_fixture_folder("anthropic", anthropic(), {"input_tokens", "output_tokens", "finish_reason"}, 4);
}

// --- Anthropic decoding details ------------------------------------------------------

TEST_CASE("anthropic streamed thinking keeps its signature as multi-turn state") {
  Outcome out = decode(anthropic(), Format::Sse, true, test::read_fixture("anthropic/thinking.sse"), {});
  REQUIRE_FALSE(out.error);
  CHECK(test::json_text_equal(
      out.result.multi_turn_json,
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
       R"({"type":"brand_new_event"})", R"({"type":"content_block_stop","index":1})",
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

  // Streamed arguments are handed on as compact JSON; an empty input is {}.
  Outcome spaced = decode_records(
      anthropic(), true,
      {R"({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"get_weather","input":{}}})",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"city\": "}})",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\"Paris\" }"}})",
       R"({"type":"content_block_stop","index":0})",
       R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t2","name":"now","input":{}}})",
       R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}})",
       R"({"type":"content_block_stop","index":1})", R"({"type":"message_stop"})"});
  REQUIRE_FALSE(spaced.error);
  REQUIRE(spaced.result.tool_calls.size() == 2);
  CHECK(spaced.result.tool_calls[0].args_json == R"({"city":"Paris"})");
  CHECK(spaced.result.tool_calls[1].args_json == "{}");

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
  // Only an "error" member is Anthropic's error shape; another body is quoted as it is.
  CHECK(anthropic().error_message(R"({"message":"not the error shape"})") == R"({"message":"not the error shape"})");
}

TEST_CASE("anthropic request bodies") {
  check_bodies(
      anthropic(),
      {
          {"simple, default max_tokens by model name",
           R"({"model":"claude-sonnet-4-6","interactions":[{"role":"user","content":"Hi"}]})", true,
           R"({"model":"claude-sonnet-4-6","stream":true,"max_tokens":64000,
         "messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]})"},
          {"a turn with no blocks is left out (Anthropic rejects an empty message)",
           R"({"model":"claude-3-5-haiku","interactions":[{"role":"user","content":"Hi"},
         {"role":"assistant","content":[]}]})",
           false,
           R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,
         "messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]})"},
          {"max_tokens defaults: opus-4-0, 3-7, opus, other", R"({"model":"claude-opus-4-0","interactions":[]})", false,
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
         "temperature":0.3,"max_tokens":100})",
           true,
           R"({"model":"claude-3-5-haiku","stream":true,"max_tokens":100,"temperature":0.3,
         "system":"Be terse.\nHere is an example of how to respond:\n\nUser: a\nAssistant: b\n",
         "messages":[{"role":"user","content":[{"type":"text","text":"Capital of France?"}]},
                     {"role":"assistant","content":[{"type":"text","text":"Paris"}]},
                     {"role":"user","content":[{"type":"text","text":"And Italy?"}]}]})"},
          {"image and pdf",
           R"({"model":"claude-3-5-haiku","interactions":[{"role":"user","content":[
         {"type":"text","text":"What is this?"},{"type":"media","mime_type":"image/png","data":"iVBOR"},
         {"type":"media","mime_type":"application/pdf","data":"JVBER"}]}]})",
           false,
           R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[{"role":"user","content":[
         {"type":"text","text":"What is this?"},
         {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},
         {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBER"}}]}]})"},
          {"non-standard params at top level, winning",
           R"({"model":"claude-3-5-haiku","interactions":[],"temperature":0.5,"non_standard":{"top_k":5,"temperature":0.9}})",
           false,
           R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[],"top_k":5,"temperature":0.9})"},
          {"adaptive thinking and effort",
           R"({"model":"claude-sonnet-4-6","interactions":[],"reasoning":"maximum","options":{"anthropic_thinking":"adaptive"}})",
           false,
           R"({"model":"claude-sonnet-4-6","stream":false,"max_tokens":64000,"messages":[],
         "thinking":{"type":"adaptive"},"output_config":{"effort":"max"}})"},
          {"adaptive thinking disabled by reasoning none",
           R"({"model":"claude-sonnet-4-6","interactions":[],"reasoning":"none","options":{"anthropic_thinking":"adaptive"}})",
           false,
           R"({"model":"claude-sonnet-4-6","stream":false,"max_tokens":64000,"messages":[],"thinking":{"type":"disabled"}})"},
          {"adaptive thinking without reasoning level",
           R"({"model":"claude-opus-4-6","interactions":[],"options":{"anthropic_thinking":"adaptive"}})", false,
           R"({"model":"claude-opus-4-6","stream":false,"max_tokens":64000,"messages":[],"thinking":{"type":"adaptive"}})"},
          {"effort without adaptive thinking", R"({"model":"claude-opus-4-5","interactions":[],"reasoning":"light"})",
           false,
           R"({"model":"claude-opus-4-5","stream":false,"max_tokens":64000,"messages":[],"output_config":{"effort":"low"}})"},
          {"budgeted thinking",
           R"({"model":"claude-sonnet-4-5","interactions":[],"reasoning":"medium","max_tokens":4000,"options":{"thinking_budget":2048}})",
           false,
           R"({"model":"claude-sonnet-4-5","stream":false,"max_tokens":4000,"messages":[],
         "thinking":{"type":"enabled","budget_tokens":2048},"output_config":{"effort":"medium"}})"},
          {"json schema output format",
           R"({"model":"claude-sonnet-4-6","interactions":[],"response_format":{"type":"object","properties":{"a":{"type":"string"}}}})",
           false,
           R"({"model":"claude-sonnet-4-6","stream":false,"max_tokens":64000,"messages":[],
         "output_format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}}})"},
          {"bare json format sends nothing",
           R"({"model":"claude-3-5-haiku","interactions":[],"response_format":"json"})", false,
           R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[]})"},
          {"tools, forced tool choice suppresses adaptive thinking",
           R"({"model":"claude-sonnet-4-6","interactions":[],"options":{"anthropic_thinking":"adaptive"},"tool_choice":"any",
         "tools":[{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]})",
           false,
           R"({"model":"claude-sonnet-4-6","stream":false,"max_tokens":64000,"messages":[],"tool_choice":{"type":"any"},
         "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]})"},
          {"a tool without parameters or description",
           R"({"model":"claude-3-5-haiku","interactions":[],"tools":[{"name":"now"}]})", false,
           R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[],
         "tools":[{"name":"now","description":"","input_schema":{}}]})"},
          {"tool choice by name",
           R"({"model":"claude-3-5-haiku","interactions":[],"tool_choice":{"name":"get_weather"}})", false,
           R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[],"tool_choice":{"type":"tool","name":"get_weather"}})"},
          {"tool choice auto and none", R"({"model":"claude-3-5-haiku","interactions":[],"tool_choice":"none"})", false,
           R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"messages":[],"tool_choice":{"type":"none"}})"},
          {"tool use and tool result turns",
           R"({"model":"claude-3-5-haiku","interactions":[{"role":"user","content":"Weather?"},
         {"role":"assistant","tool_uses":[{"id":"toolu_1","name":"get_weather","args":{"city":"Paris"}},
                                          {"id":"toolu_2","name":"get_time","args":{}}]},
         {"role":"tool_results","tool_results":[{"call_id":"toolu_1","name":"get_weather","result":"sunny"},
                                                {"call_id":"toolu_2","name":"get_time","result":"noon"}]}]})",
           false,
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
         {"role":"user","content":"Thanks"}]})",
           true,
           R"({"model":"claude-sonnet-4-6","stream":true,"max_tokens":64000,"messages":[
         {"role":"user","content":[{"type":"text","text":"Hi"}]},
         {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"SIG"},{"type":"text","text":"Paris"}]},
         {"role":"user","content":[{"type":"text","text":"More"}]},
         {"role":"assistant","content":[{"type":"redacted_thinking","data":"OPAQUE"},{"type":"text","text":"Rome"}]},
         {"role":"user","content":[{"type":"text","text":"Thanks"}]}]})"},
          {"system interactions join the system text",
           R"({"model":"claude-3-5-haiku","system":"ctx\n","interactions":[{"role":"system","content":"more"},{"role":"user","content":"Hi"}]})",
           false,
           R"({"model":"claude-3-5-haiku","stream":false,"max_tokens":8192,"system":"ctx\nmore",
         "messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]})"},
      });
  CHECK_THROWS_AS(anthropic().build_body(R"({"model":"m","interactions":[],"tool_choice":"sometimes"})", false),
                  std::invalid_argument);
  CHECK_THROWS_AS(anthropic().build_body("not json", false), std::invalid_argument);
}

}  // namespace
}  // namespace llm_native
