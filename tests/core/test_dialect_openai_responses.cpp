// OpenAI Responses dialect: fixtures, decoding details and request bodies.
#include <doctest/doctest.h>

#include "openai_test_util.hpp"

using namespace dialect_test;

TEST_CASE("openai-responses fixtures decode to EXPECTED, whole and at every split") {
  check_fixture_folder("openai-responses", find_dialect("openai-responses"), true);
}

TEST_CASE("openai-responses incomplete fixture keeps its text and reports the reason") {
  auto d = decode_sse(find_dialect("openai-responses"), test::read_fixture("openai-responses/incomplete.sse"));
  CHECK_FALSE(d->error());
  CHECK(d->complete());
  CHECK(d->result().text == "Once upon a");
  CHECK(d->result().finish_reason == "max_output_tokens");
}

TEST_CASE("openai-responses reasoning item becomes multi-turn state") {
  auto d = decode_sse(find_dialect("openai-responses"), test::read_fixture("openai-responses/reasoning-summary.sse"));
  CHECK(json_text_equal(d->result().multi_turn_json, R"({"openai-reasoning-id":"rs_68c1a0f5aa0c8191"})"));
  CHECK(d->result().finish_reason == "completed");
}

// ---------------------------------------------------------------------------------------
// Responses stream edge cases

TEST_CASE("openai-responses: errors, truncation, tool calls, encrypted reasoning") {
  const Dialect& responses = find_dialect("openai-responses");
  SUBCASE("top-level error shape") {
    auto d = decode_records(
        responses, true,
        {event_record(
            "error",
            R"({"type":"error","code":"rate_limit_exceeded","message":"Slow down","param":null,"sequence_number":1})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Provider);
    CHECK(d->error()->message.find("Slow down") != std::string::npos);
    CHECK(d->error()->message.find("rate_limit_exceeded") != std::string::npos);
  }
  SUBCASE("response.failed alone") {
    auto d = decode_records(
        responses, true,
        {event_record("response.output_text.delta", R"({"type":"response.output_text.delta","delta":"Hi"})"),
         event_record(
             "response.failed",
             R"({"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"The model crashed"}}})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Provider);
    CHECK(d->error()->message.find("The model crashed") != std::string::npos);
    CHECK(d->result().text == "Hi");
  }
  SUBCASE("missing terminal event is truncation") {
    auto d = decode_records(
        responses, true,
        {event_record("response.output_text.delta", R"({"type":"response.output_text.delta","delta":"Hi"})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Truncated);
    CHECK(d->result().text == "Hi");
  }
  SUBCASE(".done arguments are the authority; item id is the call id, call_id in extra") {
    auto d = decode_records(
        responses, true,
        {event_record(
             "",
             R"({"type":"response.output_item.added","output_index":0,"item":{"id":"fc_1","type":"function_call","call_id":"call_A","name":"f","arguments":""}})"),
         event_record(
             "",
             R"({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"{\"garbage"})"),
         event_record(
             "",
             R"({"type":"response.function_call_arguments.done","item_id":"fc_1","output_index":0,"arguments":"{\"a\":1}"})"),
         event_record(
             "",
             R"({"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"late"})"),
         event_record(
             "",
             R"({"type":"response.output_item.done","output_index":0,"item":{"id":"fc_1","type":"function_call","call_id":"call_A","name":"f"}})"),
         event_record(
             "",
             R"({"type":"response.completed","response":{"status":"completed","usage":{"input_tokens":1,"output_tokens":2}}})")});
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
    auto d = decode_records(
        responses, true,
        {event_record(
             "",
             R"({"type":"response.output_item.added","output_index":0,"item":{"id":"fc_2","type":"function_call","call_id":"call_B","name":"g"}})"),
         event_record("", R"({"type":"response.function_call_arguments.delta","item_id":"fc_2","delta":"{}"})"),
         event_record("", R"({"type":"response.completed","response":{"status":"completed"}})")});
    REQUIRE_FALSE(d->error());
    REQUIRE(d->result().tool_calls.size() == 1);
    CHECK(d->result().tool_calls[0].name == "g");
    CHECK(d->result().tool_calls[0].args_json == "{}");
  }
  SUBCASE("invalid arguments are a protocol error naming the tool") {
    auto d = decode_records(
        responses, true,
        {event_record(
            "",
            R"({"type":"response.output_item.done","output_index":0,"item":{"id":"fc_3","type":"function_call","call_id":"c","name":"broken","arguments":"{oops"}})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Protocol);
    CHECK(d->error()->message.find("broken") != std::string::npos);
  }
  SUBCASE("encrypted reasoning and separate summary parts") {
    auto d = decode_records(
        responses, true,
        {event_record(
             "",
             R"({"type":"response.reasoning_summary_text.delta","item_id":"rs_1","summary_index":0,"delta":"One"})"),
         event_record(
             "",
             R"({"type":"response.reasoning_summary_text.delta","item_id":"rs_1","summary_index":1,"delta":"Two"})"),
         event_record(
             "",
             R"({"type":"response.output_item.done","item":{"id":"rs_1","type":"reasoning","encrypted_content":"ENC","summary":[]}})"),
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
  const Dialect& responses = find_dialect("openai-responses");
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
    auto d = decode_records(
        responses, false,
        {data_record(
            R"({"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[{"type":"message","content":[{"type":"output_text","text":"Once"}]}]})")});
    CHECK_FALSE(d->error());
    CHECK(d->result().text == "Once");
    CHECK(d->result().finish_reason == "max_output_tokens");
  }
  SUBCASE("error object") {
    auto d = decode_records(
        responses, false,
        {data_record(R"({"status":"failed","error":{"code":"server_error","message":"Something broke"}})")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Provider);
    CHECK(d->error()->message.find("Something broke") != std::string::npos);
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
       R"({"model":"m","system":"ctx\nHere is an example of how to respond:\n\nUser: a\nAssistant: b","interactions":[{"role":"user","content":"Q"}]})",
       false,
       R"({"model":"m","instructions":"ctx\nHere is an example of how to respond:\n\nUser: a\nAssistant: b","input":[{"role":"user","content":"Q"}])"},
      {"temperature doubled, max_output_tokens",
       R"({"model":"m","temperature":0.5,"max_tokens":300,"interactions":[]})", false,
       R"({"model":"m","temperature":1.0,"max_output_tokens":300,"input":[])"},
      {"image multipart",
       R"({"model":"m","interactions":[{"role":"user","content":[{"type":"text","text":"What?"},{"type":"media","mime_type":"image/jpeg","data":"/9j/"}]}]})",
       false,
       R"({"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"What?"},{"type":"input_image","image_url":"data:image/jpeg;base64,/9j/"}]}])"},
      {"non-standard params", R"({"model":"m","non_standard":{"top_p":0.5,"store":true},"interactions":[]})", false,
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
       R"({"model":"m","response_format":{"type":"object","properties":{"n":{"type":"integer"}}},"interactions":[]})",
       false,
       R"({"model":"m","text":{"format":{"type":"json_schema","name":"response","strict":true,"schema":{"type":"object","properties":{"n":{"type":"integer"}},"additionalProperties":false}}},"input":[])"},
      {"tools and a forced tool",
       R"({"model":"m","tools":[{"name":"f","description":"d","parameters":{"type":"object","properties":{}}}],"tool_choice":{"name":"f"},"interactions":[]})",
       false,
       R"({"model":"m","tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object","properties":{}}}],"tool_choice":{"type":"function","name":"f"},"input":[])"},
      {"tool_choice any", R"({"model":"m","tool_choice":"any","interactions":[]})", false,
       R"({"model":"m","tool_choice":"required","input":[])"},
      {"tool-use and tool-result turns",
       R"({"model":"m","interactions":[{"role":"user","content":"Weather?"},
           {"role":"assistant","tool_uses":[{"id":"fc_1","name":"get_weather","args":{"city":"Paris"}}]},
           {"role":"tool_results","tool_results":[{"call_id":"fc_1","name":"get_weather","result":"sunny"}]}]})",
       false,
       R"({"model":"m","input":[{"role":"user","content":"Weather?"},
           {"type":"function_call","call_id":"fc_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
           {"type":"function_call_output","call_id":"fc_1","output":"sunny"}])"},
      {"multi-turn reasoning item sent back before the assistant message",
       R"({"model":"m","interactions":[{"role":"user","content":"Hi"},
           {"role":"assistant","content":"Paris","multi_turn":{"openai-encrypted-reasoning":"ENC","openai-reasoning-id":"rs_1"}},
           {"role":"user","content":"And?"}]})",
       false,
       R"({"model":"m","input":[{"role":"user","content":"Hi"},
           {"type":"reasoning","id":"rs_1","encrypted_content":"ENC","summary":[]},
           {"role":"assistant","content":"Paris"},{"role":"user","content":"And?"}])"},
  };
  for (const auto& c : cases) {
    INFO("case: ", c.name);
    if (!c.body_head.empty())
      check_body(find_dialect("openai-responses"), c.prompt, c.streaming, with_tail(c.body_head, c.streaming));
  }
  // Non-standard params override the fixed fields too (store here).
  check_body(
      find_dialect("openai-responses"), R"({"model":"m","non_standard":{"top_p":0.5,"store":true},"interactions":[]})",
      false,
      R"({"model":"m","input":[],"store":true,"stream":false,"include":["reasoning.encrypted_content"],"top_p":0.5})");
}
