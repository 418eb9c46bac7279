// Ollama /api/chat (doc/providers.md and doc/streams.md, Ollama). The decoder also reads
// /api/generate lines (top-level "response" and "thinking").
//
// Deliberate fixes over the incumbent (doc/providers.md, Differences from llm): the "json" format is sent as
// the string "json"; tool calls are read by key (function.name, function.arguments), every
// call of every line is kept, with its id; an in-stream {"error": ...} line is an error.
//
// Canonical options this dialect reads (set by Lisp):
//   "think": true/false or "low"/"medium"/"high"  -> top-level think
//   "keep_alive": "5m" or seconds                 -> top-level keep_alive
#include <stdexcept>
#include <string>
#include <string_view>

#include "dialect.hpp"
#include "json_util.hpp"

namespace llm_native {
namespace {

using json::Alloc;
using json::Document;
using json::Value;

using json::put;
using json::string_value;

// Non-standard params that Ollama takes at the top level of the body, not in options.
bool is_top_level_param(std::string_view key) {
  return key == "keep_alive" || key == "think" || key == "format" || key == "raw" || key == "template";
}

Value message(const char* role, std::string_view content, Alloc& a) {
  Value m(rapidjson::kObjectType);
  m.AddMember("role", rapidjson::StringRef(role), a);
  m.AddMember("content", string_value(content, a), a);
  return m;
}

// Sets content (text parts joined with no separator) and images (all media) on msg.
void set_content(const Value& content, Value& msg, Alloc& a) {
  if (content.IsString()) {
    msg.AddMember("content", Value(content, a), a);
    return;
  }
  if (!content.IsArray())
    throw std::invalid_argument("ollama: interaction content must be a string or an array of parts");
  std::string text;
  Value images(rapidjson::kArrayType);
  for (const Value& part : content.GetArray()) {
    std::string_view type = json::string_member(part, "type");
    if (type == "text") {
      text += json::string_member(part, "text");
    } else if (type == "media") {
      images.PushBack(string_value(json::string_member(part, "data"), a), a);
    } else {
      throw std::invalid_argument("ollama: unknown content part type '" + std::string(type) + "'");
    }
  }
  msg.AddMember("content", string_value(text, a), a);
  if (!images.Empty()) msg.AddMember("images", images, a);
}

Value build_messages(const Value& prompt, Alloc& a) {
  Value messages(rapidjson::kArrayType);
  std::string_view system = json::string_member(prompt, "system");
  if (!system.empty()) messages.PushBack(message("system", system, a), a);
  const Value* interactions = json::array_member(prompt, "interactions");
  if (!interactions) return messages;
  for (const Value& turn : interactions->GetArray()) {
    std::string_view role = json::string_member(turn, "role");
    const Value* content = json::member(turn, "content");
    if (role == "tool_results") {
      // One message per result (doc/providers.md, Tool use).
      if (const Value* results = json::array_member(turn, "tool_results")) {
        for (const Value& r : results->GetArray()) {
          Value m(rapidjson::kObjectType);
          m.AddMember("role", "tool", a);
          m.AddMember("tool_name", string_value(json::string_member(r, "name"), a), a);
          m.AddMember("content", string_value(json::string_member(r, "result"), a), a);
          messages.PushBack(m, a);
        }
      }
      continue;
    }
    const char* wire_role = role == "user"        ? "user"
                            : role == "assistant" ? "assistant"
                            : role == "system"    ? "system"
                                                  : nullptr;
    if (!wire_role) throw std::invalid_argument("ollama: unknown interaction role '" + std::string(role) + "'");
    Value m(rapidjson::kObjectType);
    m.AddMember("role", rapidjson::StringRef(wire_role), a);
    const Value* uses = json::array_member(turn, "tool_uses");
    if (content) {
      set_content(*content, m, a);
    } else if (!uses) {
      m.AddMember("content", "", a);
    }
    if (uses) {
      Value calls(rapidjson::kArrayType);
      int index = 0;
      for (const Value& use : uses->GetArray()) {
        Value function(rapidjson::kObjectType);
        function.AddMember("index", index++, a);
        function.AddMember("name", string_value(json::string_member(use, "name"), a), a);
        const Value* args = json::object_member(use, "args");
        function.AddMember("arguments", args ? Value(*args, a) : Value(rapidjson::kObjectType), a);
        Value call(rapidjson::kObjectType);
        call.AddMember("type", "function", a);
        call.AddMember("function", function, a);
        calls.PushBack(call, a);
      }
      m.AddMember("tool_calls", calls, a);
    }
    messages.PushBack(m, a);
  }
  return messages;
}

std::string build_ollama_body(const std::string& canonical, bool streaming) {
  Document prompt;
  json::parse_prompt(prompt, canonical);

  Document body(rapidjson::kObjectType);
  Alloc& a = body.GetAllocator();
  body.AddMember("model", string_value(json::string_member(prompt, "model"), a), a);
  body.AddMember("messages", build_messages(prompt, a), a);
  body.AddMember("stream", streaming, a);

  dialect::ToolShape tool_shape;
  tool_shape.wrap = dialect::ToolShape::Wrap::FunctionObject;
  Value tools = dialect::tools_array(prompt, tool_shape, a);
  if (!tools.Empty()) body.AddMember("tools", tools, a);
  // tool_choice has no Ollama equivalent and is ignored, as llm does.

  if (const Value* format = json::member(prompt, "response_format")) {
    if (format->IsObject()) {
      body.AddMember("format", Value(*format, a), a);
    } else if (format->IsString() && std::string_view(format->GetString()) == "json") {
      body.AddMember("format", "json", a);
    } else {
      throw std::invalid_argument("ollama: response_format must be \"json\" or a JSON Schema object");
    }
  }

  if (const Value* options = json::object_member(prompt, "options")) {
    if (const Value* think = json::member(*options, "think")) body.AddMember("think", Value(*think, a), a);
    if (const Value* keep = json::member(*options, "keep_alive")) body.AddMember("keep_alive", Value(*keep, a), a);
  }

  Value model_options(rapidjson::kObjectType);
  if (const Value* t = json::member(prompt, "temperature"))
    model_options.AddMember("temperature", Value(*t, a), a);  // Ollama uses llm's scale
  int64_t max_tokens = json::int_member(prompt, "max_tokens");
  if (max_tokens >= 0) model_options.AddMember("num_predict", max_tokens, a);
  dialect::merge_extra_params(prompt, model_options, a, is_top_level_param, &body);
  if (model_options.MemberCount() > 0) body.AddMember("options", model_options, a);
  return json::to_string(body);
}

std::string describe_error(const Value& error) {
  if (error.IsString()) return "Ollama error: " + std::string(error.GetString(), error.GetStringLength());
  std::string_view message = json::string_member(error, "message");
  return "Ollama error: " + (message.empty() ? json::to_string(error) : std::string(message));
}

// One decoder for NDJSON lines and the non-streaming body: both are the same objects.
class OllamaDecoder : public Decoder {
 public:
  void on_record(const Record& record) override {
    if (error_ || complete_ || record.data.empty()) return;
    const Value* root =
        parse_object(record, "Ollama sent an invalid line: ", "Ollama sent an invalid line: not a JSON object");
    if (!root) return;
    const Value& doc = *root;
    if (const Value* error = json::member(doc, "error")) {
      fail(ErrorCode::Provider, describe_error(*error), record.data);
      return;
    }
    if (const Value* msg = json::object_member(doc, "message")) {
      result_.text += json::string_member(*msg, "content");
      result_.reasoning += json::string_member(*msg, "thinking");
      if (const Value* calls = json::array_member(*msg, "tool_calls")) {
        for (const Value& call : calls->GetArray()) {
          if (!add_tool_call(call, record.data)) return;
        }
      }
    } else {
      // /api/generate
      result_.text += json::string_member(doc, "response");
      result_.reasoning += json::string_member(doc, "thinking");
    }
    if (json::bool_member(doc, "done")) {
      result_.finish_reason = json::string_member(doc, "done_reason");
      record_usage(json::int_member(doc, "prompt_eval_count"), json::int_member(doc, "eval_count"));
      complete_ = true;
    }
  }

  void finish() override { fail_unless_complete("Ollama stream ended without done:true"); }

 private:
  bool add_tool_call(const Value& call, const std::string& raw) {
    const Value* function = json::object_member(call, "function");
    if (!function) return true;
    ToolCall out;
    out.id = json::string_member(call, "id");
    out.name = json::string_member(*function, "name");
    const Value* args = json::member(*function, "arguments");
    if (!args) {
      out.args_json = "{}";
    } else if (args->IsObject()) {
      out.args_json = json::to_string(*args);
    } else if (args->IsString()) {
      // Some OpenAI-style templates hand arguments over as JSON text.
      out.args_json.assign(args->GetString(), args->GetStringLength());
    } else {
      fail(ErrorCode::Protocol, "Ollama sent non-object arguments for tool " + out.name, raw);
      return false;
    }
    return accept_tool_call(std::move(out), true);
  }
};

}  // namespace

const Dialect& ollama_dialect() {
  static const PartsDialect instance(
      DialectParts{build_ollama_body, Format::Ndjson, make_decoder_of<OllamaDecoder>,
                   [](const std::string& body) { return dialect::error_body_message(body, describe_error); }});
  return instance;
}

}  // namespace llm_native
