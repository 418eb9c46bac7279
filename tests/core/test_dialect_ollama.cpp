// Ollama dialect: fixtures decoded at every split against EXPECTED.json, decoding details, request bodies.
#include <doctest/doctest.h>

#include "dialect_test_util.hpp"

namespace llm_native {
namespace {

using namespace dialect_test;

TEST_CASE("ollama fixtures decode as EXPECTED.json at every split") {
  check_fixture_folder("ollama", ollama(), {"prompt_eval_count", "eval_count", "terminal"}, 5);
}

// --- Ollama decoding details ---------------------------------------------------------

TEST_CASE("ollama non-streaming body and error_message") {
  Outcome out = decode(ollama(), Format::Json, false, R"({"model":"qwen3","message":{"role":"assistant",
      "content":"","thinking":"t","tool_calls":[{"function":{"name":"get_time","arguments":{}}},
      {"function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
      "done":true,"done_reason":"stop","prompt_eval_count":3,"eval_count":4})",
                       {});
  REQUIRE_FALSE(out.error);
  CHECK(out.result.reasoning == "t");
  REQUIRE(out.result.tool_calls.size() == 2);
  CHECK(out.result.tool_calls[0].id.empty());
  CHECK(out.result.tool_calls[0].args_json == "{}");
  CHECK(test::json_text_equal(out.result.tool_calls[1].args_json, R"({"city":"Oslo"})"));
  CHECK(out.result.input_tokens == 3);

  CHECK(ollama()
            .error_message(R"({"error":"model \"llama9\" not found, try pulling it first"})")
            .find("model \"llama9\" not found, try pulling it first") != std::string::npos);
  CHECK(ollama().error_message("404 page not found\n") == "404 page not found");
}

TEST_CASE("ollama request bodies") {
  check_bodies(
      ollama(),
      {
          {"simple", R"({"model":"qwen3:8b","interactions":[{"role":"user","content":"Hi"}]})", true,
           R"({"model":"qwen3:8b","stream":true,"messages":[{"role":"user","content":"Hi"}]})"},
          {"system message, conversation, temperature not rescaled, num_predict",
           R"({"model":"qwen3:8b","system":"Be terse.\nExamples of how you should respond follow.\nUser: a\nAssistant: b\n",
         "interactions":[{"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris"},
                         {"role":"user","content":"And Italy?"}],"temperature":0.4,"max_tokens":64})",
           false,
           R"({"model":"qwen3:8b","stream":false,"messages":[
         {"role":"system","content":"Be terse.\nExamples of how you should respond follow.\nUser: a\nAssistant: b\n"},
         {"role":"user","content":"Capital of France?"},{"role":"assistant","content":"Paris"},
         {"role":"user","content":"And Italy?"}],"options":{"temperature":0.4,"num_predict":64}})"},
          {"system interaction",
           R"({"model":"m","interactions":[{"role":"system","content":"ctx"},{"role":"user","content":"Hi"}]})", true,
           R"({"model":"m","stream":true,"messages":[{"role":"system","content":"ctx"},{"role":"user","content":"Hi"}]})"},
          {"images",
           R"({"model":"llava","interactions":[{"role":"user","content":[{"type":"text","text":"What "},{"type":"text","text":"is this?"},
         {"type":"media","mime_type":"image/png","data":"iVBOR"},{"type":"media","mime_type":"audio/wav","data":"UklG"}]}]})",
           true,
           R"({"model":"llava","stream":true,"messages":[{"role":"user","content":"What is this?","images":["iVBOR","UklG"]}]})"},
          {"non-standard params in options, top-level keys at top level",
           R"({"model":"m","interactions":[],"temperature":0.5,"non_standard":{"top_p":0.9,"num_ctx":8192,"keep_alive":"10m"}})",
           true,
           R"({"model":"m","stream":true,"messages":[],"keep_alive":"10m","options":{"temperature":0.5,"top_p":0.9,"num_ctx":8192}})"},
          {"think and keep_alive from options",
           R"({"model":"gpt-oss:20b","interactions":[],"reasoning":"maximum","options":{"think":"high","keep_alive":"5m"}})",
           true, R"({"model":"gpt-oss:20b","stream":true,"messages":[],"think":"high","keep_alive":"5m"})"},
          {"think false", R"({"model":"qwen3","interactions":[],"reasoning":"none","options":{"think":false}})", true,
           R"({"model":"qwen3","stream":true,"messages":[],"think":false})"},
          {"json format is the string json", R"({"model":"m","interactions":[],"response_format":"json"})", false,
           R"({"model":"m","stream":false,"messages":[],"format":"json"})"},
          {"schema format",
           R"({"model":"m","interactions":[],"response_format":{"type":"object","properties":{"a":{"type":"string"}}}})",
           false,
           R"({"model":"m","stream":false,"messages":[],"format":{"type":"object","properties":{"a":{"type":"string"}}}})"},
          {"tools in chat completions shape, tool_choice ignored",
           R"({"model":"m","interactions":[],"tool_choice":"any","tools":[{"name":"get_weather","description":"Weather",
         "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]})",
           true,
           R"({"model":"m","stream":true,"messages":[],"tools":[{"type":"function","function":{"name":"get_weather",
         "description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]})"},
          {"a tool without parameters or description", R"({"model":"m","interactions":[],"tools":[{"name":"now"}]})",
           false,
           R"({"model":"m","stream":false,"messages":[],"tools":[{"type":"function","function":{"name":"now",
         "description":"","parameters":{}}}]})"},
          {"tool use and tool result turns",
           R"({"model":"m","interactions":[{"role":"user","content":"Weather?"},
         {"role":"assistant","tool_uses":[{"id":"call_1","name":"get_weather","args":{"city":"Paris"}},
                                          {"id":"call_2","name":"get_time","args":{}}]},
         {"role":"tool_results","tool_results":[{"call_id":"call_1","name":"get_weather","result":"sunny"},
                                                {"call_id":"call_2","name":"get_time","result":"noon"}]}]})",
           true,
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
