// Gemini dialect: fixtures decoded at every split against EXPECTED.json, decoding details, request bodies.
#include <doctest/doctest.h>

#include "dialect_test_util.hpp"

namespace llm_native {
namespace {

using namespace dialect_test;

TEST_CASE("gemini fixtures decode as EXPECTED.json at every split") {
  check_fixture_folder("gemini", gemini(), {"promptTokenCount", "candidatesTokenCount", "finish_reason"}, 8);
}

// --- Gemini decoding details ---------------------------------------------------------

TEST_CASE("gemini tool calls carry their thought signature") {
  Outcome out = decode(gemini(), Format::JsonArray, true, test::read_fixture("gemini/function-call.json"), {});
  REQUIRE(out.result.tool_calls.size() == 2);
  CHECK(test::json_text_equal(out.result.tool_calls[0].extra_json,
                              R"({"thought_signature":"EqUCCqICAb4+9vsh8Pd5taZVoPzSvjWWwzBrvhEQWBLCGa7IdY8F"})"));
  CHECK(out.result.tool_calls[1].extra_json.empty());

  Outcome partial =
      decode(gemini(), Format::Sse, true, test::read_fixture("gemini/function-call-partial-args-alt-sse.sse"), {});
  REQUIRE(partial.result.tool_calls.size() == 1);
  CHECK(test::json_text_equal(partial.result.tool_calls[0].extra_json,
                              R"({"thought_signature":"CiMBjz1rX25KieIB4d4AwFn8"})"));
}

TEST_CASE("gemini text-part signature becomes multi-turn state") {
  Outcome out = decode(gemini(), Format::Sse, true, test::read_fixture("gemini/thinking-alt-sse.sse"), {});
  CHECK(test::json_text_equal(
      out.result.multi_turn_json,
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
    std::string piece =
        std::string(R"({"candidates":[{"content":{"parts":[{"functionCall":{"partialArgs":[{"jsonPath":")") + path +
        R"(","stringValue":"v"}]}}]}}]})";
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
  Outcome safety =
      decode_records(gemini(), true, {R"({"candidates":[{"content":{"parts":[{"text":"Once"}]},"finishReason":"SAFETY",
           "safetyRatings":[{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH"}]}]})"});
  REQUIRE(safety.error);
  CHECK(safety.error->code == ErrorCode::Provider);
  CHECK(safety.error->message.find("SAFETY") != std::string::npos);
  CHECK(safety.error->message.find("HARM_CATEGORY_DANGEROUS_CONTENT") != std::string::npos);

  Outcome cut = decode_records(
      gemini(), false, {R"({"candidates":[{"content":{"parts":[{"text":"Once"}]},"finishReason":"MAX_TOKENS"}]})"});
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

  Outcome plain = decode(gemini(), Format::Json, false, test::read_fixture("gemini/error-429-body-alt-sse.json"), {});
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

TEST_CASE("gemini request bodies") {
  check_bodies(
      gemini(),
      {
          {"simple", R"({"model":"gemini-2.5-flash","interactions":[{"role":"user","content":"Hi"}]})", true,
           R"({"contents":[{"role":"user","parts":[{"text":"Hi"}]}]})"},
          {"system instruction, conversation, temperature x2, max tokens",
           R"({"model":"gemini-2.5-flash","system":"Be terse.\n","interactions":[{"role":"user","content":"Capital of France?"},
         {"role":"assistant","content":"Paris"},{"role":"user","content":"And Italy?"}],"temperature":0.25,"max_tokens":50})",
           false,
           R"({"system_instruction":{"parts":{"text":"Be terse.\n"}},
         "contents":[{"role":"user","parts":[{"text":"Capital of France?"}]},{"role":"model","parts":[{"text":"Paris"}]},
                     {"role":"user","parts":[{"text":"And Italy?"}]}],
         "generationConfig":{"temperature":0.5,"maxOutputTokens":50}})"},
          {"system interactions merge into system_instruction",
           R"({"model":"gemini-2.5-flash","interactions":[{"role":"system","content":"ctx"},{"role":"user","content":"Hi"}]})",
           false,
           R"({"system_instruction":{"parts":{"text":"ctx"}},"contents":[{"role":"user","parts":[{"text":"Hi"}]}]})"},
          {"image",
           R"({"model":"gemini-2.5-flash","interactions":[{"role":"user","content":[{"type":"text","text":"What?"},
         {"type":"media","mime_type":"image/jpeg","data":"/9j/"}]}]})",
           false,
           R"({"contents":[{"role":"user","parts":[{"text":"What?"},{"inline_data":{"mime_type":"image/jpeg","data":"/9j/"}}]}]})"},
          {"non-standard params in generationConfig, winning",
           R"({"model":"gemini-2.5-flash","interactions":[],"temperature":0.5,"non_standard":{"topK":3,"temperature":0.1}})",
           false, R"({"contents":[],"generationConfig":{"temperature":0.1,"topK":3}})"},
          {"thinking level",
           R"({"model":"gemini-3-flash","interactions":[],"reasoning":"medium","options":{"gemini_thinking":{"thinking_level":"high"}}})",
           false,
           R"({"contents":[],"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinking_level":"high"}}})"},
          {"thinking budget",
           R"({"model":"gemini-2.5-flash","interactions":[],"reasoning":"light","options":{"gemini_thinking":{"thinkingBudget":1024}}})",
           false,
           R"({"contents":[],"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingBudget":1024}}})"},
          {"json", R"({"model":"gemini-2.5-flash","interactions":[],"response_format":"json"})", false,
           R"({"contents":[],"generationConfig":{"response_mime_type":"application/json"}})"},
          {"schema filtered recursively",
           R"({"model":"gemini-2.5-flash","interactions":[],"response_format":{"type":"object","additionalProperties":false,
         "$schema":"x","properties":{"names":{"type":"array","title":"T","items":{"type":"string","pattern":"^a","enum":["a","b"]},
         "minItems":1},"n":{"type":"integer","default":3,"description":"count","nullable":true}},"required":["names"]}})",
           false,
           R"({"contents":[],"generationConfig":{"response_mime_type":"application/json","response_schema":{"type":"object",
         "properties":{"names":{"type":"array","items":{"type":"string","enum":["a","b"]},"minItems":1},
                       "n":{"type":"integer","description":"count","nullable":true}},"required":["names"]}}})"},
          {"tools and auto",
           R"({"model":"gemini-2.5-flash","interactions":[],"tool_choice":"auto","tools":[{"name":"get_weather","description":"Weather",
         "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]})",
           false,
           R"({"contents":[],"tools":[{"function_declarations":[{"name":"get_weather","description":"Weather",
         "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}],
         "toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}})"},
          {"a tool without parameters or description", R"({"model":"g","interactions":[],"tools":[{"name":"now"}]})",
           false, R"({"contents":[],"tools":[{"function_declarations":[{"name":"now","description":""}]}]})"},
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
         {"role":"tool_results","tool_results":[{"name":"get_weather","result":"sunny"},{"name":"get_time","result":"noon"}]}]})",
           false,
           R"({"contents":[{"role":"user","parts":[{"text":"Weather?"}]},
         {"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"SIG"},
                                  {"functionCall":{"name":"get_time","args":{}},"thoughtSignature":"context_engineering_is_the_way_to_go"}]},
         {"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":"sunny"}}},
                                 {"functionResponse":{"name":"get_time","response":{"output":"noon"}}}]}]})"},
          {"text signature goes back on the text part",
           R"({"model":"g","interactions":[{"role":"user","content":"Hi"},
         {"role":"assistant","content":"Hello","multi_turn":{"gemini-thought-signature":"TS"}}]})",
           false,
           R"({"contents":[{"role":"user","parts":[{"text":"Hi"}]},{"role":"model","parts":[{"text":"Hello","thoughtSignature":"TS"}]}]})"},
      });
  CHECK_THROWS_AS(gemini().build_body(R"({"model":"g","interactions":[{"role":"robot","content":"x"}]})", false),
                  std::invalid_argument);
}

}  // namespace
}  // namespace llm_native
