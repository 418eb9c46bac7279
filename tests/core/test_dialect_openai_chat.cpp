// OpenAI Chat Completions dialect: fixtures, decoding details, error messages and request bodies (with the tests both
// OpenAI dialects share).
#include <doctest/doctest.h>

#include "openai_test_util.hpp"

using namespace dialect_test;

// ---------------------------------------------------------------------------------------
// Fixtures

TEST_CASE("openai-chat fixtures decode to EXPECTED, whole and at every split") {
  check_fixture_folder("openai-chat", find_dialect("openai-chat"), false);
}

// ---------------------------------------------------------------------------------------
// Chat Completions stream edge cases

TEST_CASE("openai-chat: tool fragments without index, arguments as object, interleaved") {
  const Dialect& chat = find_dialect("openai-chat");
  SUBCASE("missing index means call 0") {
    auto d = decode_records(
        chat, true,
        {data_record(
             R"({"choices":[{"delta":{"tool_calls":[{"id":"c1","function":{"name":"f","arguments":"{\"a\""}}]}}]})"),
         data_record(R"({"choices":[{"delta":{"tool_calls":[{"function":{"arguments":":1}"}}]}}]})"),
         data_record("[DONE]")});
    REQUIRE_FALSE(d->error());
    REQUIRE(d->result().tool_calls.size() == 1);
    CHECK(d->result().tool_calls[0].id == "c1");
    CHECK(d->result().tool_calls[0].name == "f");
    CHECK(json_text_equal(d->result().tool_calls[0].args_json, R"({"a":1})"));
  }
  SUBCASE("arguments given as an object") {
    auto d = decode_records(
        chat, true,
        {data_record(
             R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":{"x":"y"}}}]}}]})"),
         data_record("[DONE]")});
    REQUIRE(d->result().tool_calls.size() == 1);
    CHECK(json_text_equal(d->result().tool_calls[0].args_json, R"({"x":"y"})"));
  }
  SUBCASE("interleaved calls are kept apart and ordered by index") {
    auto d = decode_records(
        chat, true,
        {data_record(
             R"({"choices":[{"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"g","arguments":"{\"q\":"}}]}}]})"),
         data_record(
             R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":""}}]}}]})"),
         data_record(
             R"({"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"arguments":"2}"}},{"index":0,"id":"","function":{"name":"","arguments":"{\"p\":1}"}}]}}]})"),
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
    auto d = decode_records(
        chat, true,
        {data_record(
             R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"now","arguments":""}}]}}]})"),
         data_record("[DONE]")});
    REQUIRE(d->result().tool_calls.size() == 1);
    CHECK(d->result().tool_calls[0].args_json == "{}");
  }
  SUBCASE("invalid arguments are a protocol error naming the tool") {
    auto d = decode_records(
        chat, true,
        {data_record(
             R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"lookup","arguments":"{\"a\":"}}]}}]})"),
         data_record("[DONE]")});
    REQUIRE(d->error());
    CHECK(d->error()->code == ErrorCode::Protocol);
    CHECK(d->error()->message.find("lookup") != std::string::npos);
  }
}

TEST_CASE("openai-chat: choices null or missing, reasoning field, usage, errors, truncation") {
  const Dialect& chat = find_dialect("openai-chat");
  SUBCASE("choices null / missing / empty are tolerated; delta.reasoning is reasoning") {
    auto d = decode_records(
        chat, true,
        {data_record(R"({"choices":null})"), data_record(R"({"id":"x"})"),
         data_record(R"({"choices":[{"delta":{"reasoning":"think"}}]})"),
         data_record(R"({"choices":[{"delta":{"content":"ok"},"finish_reason":"length"}]})"),
         data_record(R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}})"), data_record("[DONE]")});
    REQUIRE_FALSE(d->error());
    CHECK(d->complete());
    CHECK(d->result().reasoning == "think");
    CHECK(d->result().text == "ok");
    CHECK(d->result().finish_reason == "length");
    CHECK(d->result().input_tokens == 3);
    CHECK(d->result().output_tokens == 4);
  }
  SUBCASE("an error event (named error) stops processing with the provider's message") {
    auto d = decode_records(
        chat, true,
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
    auto d =
        decode_records(chat, true, {data_record(R"({"choices":[{"delta":{"content":"A"},"finish_reason":"stop"}]})")});
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
  for (const Dialect* d : {&find_dialect("openai-chat"), &find_dialect("openai-responses")}) {
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
  auto d = decode_records(find_dialect("openai-chat"), true, records);
  REQUIRE_FALSE(d->error());
  CHECK(d->result().text.size() == 5 * (big.size() + 1));
  CHECK(d->result().text.substr(big.size(), 1) == "y");
}

TEST_CASE("openai-chat: a keep-alive comment split anywhere never reaches the decoder") {
  std::string bytes =
      ": OPENROUTER PROCESSING\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n";
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    auto d = decode_parts(find_dialect("openai-chat"), {bytes.substr(0, cut), bytes.substr(cut)});
    CHECK(d->result().text == "hi");
    CHECK_FALSE(d->error());
  }
}

TEST_CASE("openai-chat: non-streaming body") {
  const Dialect& chat = find_dialect("openai-chat");
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
    auto d =
        decode_records(chat, false, {data_record(R"({"choices":[{"message":{"content":null,"reasoning":"r"}}]})")});
    CHECK(d->result().text.empty());
    CHECK(d->result().reasoning == "r");
  }
  SUBCASE("error body") {
    auto d = decode_records(
        chat, false,
        {data_record(
            R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}})")});
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
  for (const Dialect* d : {&find_dialect("openai-chat"), &find_dialect("openai-responses")}) {
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

TEST_CASE("openai-chat request bodies") {
  const BodyCase cases[] = {
      {"simple, not streaming: no stream field", R"({"model":"m","interactions":[{"role":"user","content":"Hi"}]})",
       false, R"({"model":"m","messages":[{"role":"user","content":"Hi"}]})"},
      {"simple, streaming: stream and include_usage",
       R"({"model":"m","interactions":[{"role":"user","content":"Hi"}]})", true,
       R"({"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]})"},
      {"options.stream_options replaces the default",
       R"({"model":"m","interactions":[{"role":"user","content":"Hi"}],"options":{"stream_options":{"include_usage":false}}})",
       true,
       R"({"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"Hi"}]})"},
      {"options.stream_options false leaves it out",
       R"({"model":"m","interactions":[{"role":"user","content":"Hi"}],"options":{"stream_options":false}})", true,
       R"({"model":"m","stream":true,"messages":[{"role":"user","content":"Hi"}]})"},
      {"context and examples as the system message",
       R"({"model":"m","system":"ctx\nExamples of how you should respond follow.\nUser: a\nAssistant: b","interactions":[{"role":"user","content":"Q"}]})",
       false,
       R"({"model":"m","messages":[{"role":"system","content":"ctx\nExamples of how you should respond follow.\nUser: a\nAssistant: b"},{"role":"user","content":"Q"}]})"},
      {"system interaction moved by Lisp stays a system message",
       R"({"model":"m","interactions":[{"role":"system","content":"be brief"},{"role":"user","content":"Q"}]})", false,
       R"({"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"Q"}]})"},
      {"conversation; multi_turn state is not sent",
       R"({"model":"m","interactions":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello","multi_turn":{"openai-reasoning-id":"rs"}},{"role":"user","content":"Bye"}]})",
       false,
       R"({"model":"m","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"Bye"}]})"},
      {"image and audio multipart content",
       R"({"model":"m","interactions":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"media","mime_type":"image/png","data":"iVBO"},{"type":"media","mime_type":"audio/x-wav","data":"UklG"},{"type":"media","mime_type":"audio/mpeg","data":"SUQz"}]}]})",
       false,
       R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}},{"type":"input_audio","input_audio":{"data":"UklG","format":"wav"}},{"type":"input_audio","input_audio":{"data":"SUQz","format":"mp3"}}]}]})"},
      {"temperature doubled and max_tokens",
       R"({"model":"m","temperature":0.25,"max_tokens":200,"interactions":[{"role":"user","content":"Hi"}]})", false,
       R"({"model":"m","temperature":0.5,"max_tokens":200,"messages":[{"role":"user","content":"Hi"}]})"},
      {"non-standard params at the top level, overriding",
       R"({"model":"m","temperature":0.5,"non_standard":{"top_p":0.9,"temperature":0.1,"logit_bias":{"50256":-100}},"interactions":[{"role":"user","content":"Hi"}]})",
       false,
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
       R"({"model":"deepseek-chat","reasoning":"none","options":{"reasoning_style":"deepseek"},"interactions":[]})",
       false, R"({"model":"deepseek-chat","thinking":{"type":"disabled"},"messages":[]})"},
      {"DeepSeek reasoning light",
       R"({"model":"deepseek-chat","reasoning":"light","options":{"reasoning_style":"deepseek"},"interactions":[]})",
       false, R"({"model":"deepseek-chat","thinking":{"type":"enabled"},"reasoning_effort":"low","messages":[]})"},
      {"DeepSeek reasoning medium",
       R"({"model":"deepseek-chat","reasoning":"medium","options":{"reasoning_style":"deepseek"},"interactions":[]})",
       false, R"({"model":"deepseek-chat","thinking":{"type":"enabled"},"reasoning_effort":"medium","messages":[]})"},
      {"DeepSeek reasoning maximum",
       R"({"model":"deepseek-chat","reasoning":"maximum","options":{"reasoning_style":"deepseek"},"interactions":[]})",
       false, R"({"model":"deepseek-chat","thinking":{"type":"enabled"},"reasoning_effort":"high","messages":[]})"},
      {"JSON response format", R"({"model":"m","response_format":"json","interactions":[]})", false,
       R"({"model":"m","response_format":{"type":"json_object"},"messages":[]})"},
      {"JSON schema response format",
       R"({"model":"m","response_format":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]},"interactions":[]})",
       false,
       R"({"model":"m","response_format":{"type":"json_schema","json_schema":{"name":"response","strict":true,"schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}}},"messages":[]})"},
      {"tools with tool_choice auto",
       R"({"model":"m","tools":[{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],"tool_choice":"auto","interactions":[]})",
       false,
       R"({"model":"m","tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],"tool_choice":"auto","messages":[]})"},
      {"tool_choice none", R"({"model":"m","tool_choice":"none","interactions":[]})", false,
       R"({"model":"m","tool_choice":"none","messages":[]})"},
      {"tool_choice any is required", R"({"model":"m","tool_choice":"any","interactions":[]})", false,
       R"({"model":"m","tool_choice":"required","messages":[]})"},
      {"tool_choice by name", R"({"model":"m","tool_choice":{"name":"get_weather"},"interactions":[]})", false,
       R"({"model":"m","tool_choice":{"type":"function","function":{"name":"get_weather"}},"messages":[]})"},
      {"tool without parameters gets an empty object schema",
       R"({"model":"m","tools":[{"name":"now","description":"Time"}],"interactions":[]})", false,
       R"({"model":"m","tools":[{"type":"function","function":{"name":"now","description":"Time","parameters":{"type":"object","properties":{}}}}],"messages":[]})"},
      {"tool-use and tool-result turns",
       R"({"model":"m","interactions":[{"role":"user","content":"Weather?"},
           {"role":"assistant","tool_uses":[{"id":"call_1","name":"get_weather","args":{"city":"Paris"}},{"id":"call_2","name":"now","args":{}}]},
           {"role":"tool_results","tool_results":[{"call_id":"call_1","name":"get_weather","result":"sunny"},{"name":"now","result":"noon"}]}]})",
       false,
       R"({"model":"m","messages":[{"role":"user","content":"Weather?"},
           {"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_2","type":"function","function":{"name":"now","arguments":"{}"}}]},
           {"role":"tool","name":"get_weather","content":"Result of tool call is sunny","tool_call_id":"call_1"},
           {"role":"tool","name":"now","content":"Result of tool call is noon"}]})"},
      // llm's observed full Chat Completions request (context "ctx" and one example
      // rendered by Lisp into the system text; provider default top_p merged by Lisp).
      {"observed full Chat Completions request",
       R"({"model":"gpt-4o-mini","system":"ctx\nExamples of how you should respond follow.\nUser: a\nAssistant: b","interactions":[{"role":"user","content":"Q"}],"temperature":0.5,"max_tokens":100,"tool_choice":"any","non_standard":{"seed":1,"stop":["x","y"],"top_p":0.9}})",
       false,
       R"({"model":"gpt-4o-mini","temperature":1.0,"max_tokens":100,"tool_choice":"required","messages":[{"role":"system","content":"ctx\nExamples of how you should respond follow.\nUser: a\nAssistant: b"},{"role":"user","content":"Q"}],"seed":1,"stop":["x","y"],"top_p":0.9})"},
  };
  for (const auto& c : cases) {
    INFO("case: ", c.name);
    check_body(find_dialect("openai-chat"), c.prompt, c.streaming, c.body);
  }
}

TEST_CASE("openai bodies: prompts the API cannot express are rejected") {
  for (const Dialect* d : {&find_dialect("openai-chat"), &find_dialect("openai-responses")}) {
    CHECK_THROWS_AS(d->build_body("not json", false), std::invalid_argument);
    CHECK_THROWS_AS(d->build_body(R"({"model":"m","interactions":[{"role":"robot","content":"x"}]})", false),
                    std::invalid_argument);
    CHECK_THROWS_AS(
        d->build_body(
            R"({"model":"m","interactions":[{"role":"user","content":[{"type":"media","mime_type":"video/mp4","data":"AA"}]}]})",
            false),
        std::invalid_argument);
    CHECK_THROWS_AS(d->build_body(R"({"model":"m","tool_choice":"sometimes","interactions":[]})", false),
                    std::invalid_argument);
    CHECK_THROWS_AS(d->build_body(R"({"model":"m","reasoning":"extreme","interactions":[]})", false),
                    std::invalid_argument);
  }
}
