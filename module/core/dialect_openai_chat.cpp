// OpenAI Chat Completions ("openai-chat"): the wire protocol of the openai-compatible
// family (OpenAI-compatible servers, Azure, GitHub Models, DeepSeek, OpenRouter,
// llama.cpp, GPT4All). Bodies follow doc/providers.md (OpenAI Chat Completions, DeepSeek);
// streams follow doc/streams.md.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "dialect.hpp"
#include "openai_common.hpp"

namespace llm_native {
namespace {

using json::Value;
using openai::copy;
using openai::string_value;

// ---- request body ----

Value chat_content_part(const Value& part, json::Document& body) {
  auto& alloc = body.GetAllocator();
  Value out(rapidjson::kObjectType);
  if (part.IsString()) {
    out.AddMember("type", "text", alloc);
    out.AddMember("text", copy(part, body), alloc);
    return out;
  }
  std::string_view type = json::string_member(part, "type");
  if (type == "text") {
    out.AddMember("type", "text", alloc);
    out.AddMember("text", string_value(json::string_member(part, "text"), body), alloc);
    return out;
  }
  if (type != "media") throw std::invalid_argument("unknown content part type: " + std::string(type));
  std::string_view mime = json::string_member(part, "mime_type");
  std::string_view data = json::string_member(part, "data");
  if (mime.substr(0, 6) == "image/") {
    Value image(rapidjson::kObjectType);
    image.AddMember("url", string_value(openai::data_url(mime, data), body), alloc);
    out.AddMember("type", "image_url", alloc);
    out.AddMember("image_url", image, alloc);
    return out;
  }
  const char* audio_format = nullptr;
  if (mime == "audio/wav" || mime == "audio/x-wav")
    audio_format = "wav";
  else if (mime == "audio/mpeg")
    audio_format = "mp3";
  if (!audio_format) throw std::invalid_argument("media type not supported by OpenAI chat: " + std::string(mime));
  Value audio(rapidjson::kObjectType);
  audio.AddMember("data", string_value(data, body), alloc);
  audio.AddMember("format", rapidjson::StringRef(audio_format), alloc);
  out.AddMember("type", "input_audio", alloc);
  out.AddMember("input_audio", audio, alloc);
  return out;
}

Value chat_content(const Value& content, json::Document& body) {
  if (content.IsString()) return copy(content, body);
  if (!content.IsArray()) throw std::invalid_argument("interaction content must be a string or an array");
  Value parts(rapidjson::kArrayType);
  for (const auto& part : content.GetArray()) parts.PushBack(chat_content_part(part, body), body.GetAllocator());
  return parts;
}

Value chat_tool_calls(const Value& tool_uses, json::Document& body) {
  auto& alloc = body.GetAllocator();
  Value calls(rapidjson::kArrayType);
  for (const auto& use : tool_uses.GetArray()) {
    Value function(rapidjson::kObjectType);
    function.AddMember("name", string_value(json::string_member(use, "name"), body), alloc);
    const Value* args = json::member(use, "args");
    std::string args_text = args ? json::to_string(*args) : "{}";
    function.AddMember("arguments", string_value(args_text, body), alloc);
    Value call(rapidjson::kObjectType);
    call.AddMember("id", string_value(json::string_member(use, "id"), body), alloc);
    call.AddMember("type", "function", alloc);
    call.AddMember("function", function, alloc);
    calls.PushBack(call, alloc);
  }
  return calls;
}

// One "tool" message per result, as llm sends them (doc/providers.md, Tool use).
void add_tool_result_messages(const Value& results, Value& messages, json::Document& body) {
  auto& alloc = body.GetAllocator();
  for (const auto& result : results.GetArray()) {
    const Value* value = json::member(result, "result");
    std::string text = "Result of tool call is ";
    if (value && value->IsString())
      text.append(value->GetString(), value->GetStringLength());
    else if (value)
      text += json::to_string(*value);
    Value msg(rapidjson::kObjectType);
    msg.AddMember("role", "tool", alloc);
    if (json::has_string(result, "name"))
      msg.AddMember("name", string_value(json::string_member(result, "name"), body), alloc);
    msg.AddMember("content", string_value(text, body), alloc);
    std::string_view call_id = json::string_member(result, "call_id");
    if (!call_id.empty()) msg.AddMember("tool_call_id", string_value(call_id, body), alloc);
    messages.PushBack(msg, alloc);
  }
}

Value chat_messages(const Value& prompt, json::Document& body) {
  auto& alloc = body.GetAllocator();
  Value messages(rapidjson::kArrayType);
  std::string_view system = json::string_member(prompt, "system");
  if (!system.empty()) {
    Value msg(rapidjson::kObjectType);
    msg.AddMember("role", "system", alloc);
    msg.AddMember("content", string_value(system, body), alloc);
    messages.PushBack(msg, alloc);
  }
  const Value* interactions = json::array_member(prompt, "interactions");
  if (!interactions) return messages;
  for (const auto& turn : interactions->GetArray()) {
    std::string_view role = json::string_member(turn, "role");
    if (role == "tool_results") {
      if (const Value* results = json::array_member(turn, "tool_results"))
        add_tool_result_messages(*results, messages, body);
      continue;
    }
    if (role != "user" && role != "assistant" && role != "system")
      throw std::invalid_argument("unknown interaction role: " + std::string(role));
    Value msg(rapidjson::kObjectType);
    msg.AddMember("role", string_value(role, body), alloc);
    const Value* content = json::member(turn, "content");
    const Value* tool_uses = json::array_member(turn, "tool_uses");
    bool has_tool_uses = tool_uses && tool_uses->Size() > 0;
    if (content)
      msg.AddMember("content", chat_content(*content, body), alloc);
    else if (!has_tool_uses)
      msg.AddMember("content", "", alloc);
    if (has_tool_uses) msg.AddMember("tool_calls", chat_tool_calls(*tool_uses, body), alloc);
    messages.PushBack(msg, alloc);
  }
  return messages;
}

// DeepSeek's reasoning switch (doc/providers.md, DeepSeek), chosen by options.reasoning_style.
void add_deepseek_reasoning(std::string_view level, json::Document& body) {
  auto& alloc = body.GetAllocator();
  Value thinking(rapidjson::kObjectType);
  if (level == "none") {
    thinking.AddMember("type", "disabled", alloc);
    body.AddMember("thinking", thinking, alloc);
    return;
  }
  const char* effort = dialect::reasoning_effort(level, dialect::Effort::DeepSeek);
  thinking.AddMember("type", "enabled", alloc);
  body.AddMember("thinking", thinking, alloc);
  body.AddMember("reasoning_effort", rapidjson::StringRef(effort), alloc);
}

std::string build_chat_body(const std::string& canonical_prompt, bool streaming) {
  json::Document prompt;
  json::parse_prompt(prompt, canonical_prompt);
  json::Document body;
  body.SetObject();
  auto& alloc = body.GetAllocator();
  const Value* options = json::object_member(prompt, "options");
  Value no_options(rapidjson::kObjectType);
  if (!options) options = &no_options;

  // OpenRouter takes a list of models in place of one.
  if (const Value* models = json::array_member(*options, "models"))
    body.AddMember("models", copy(*models, body), alloc);
  else if (json::has_string(prompt, "model"))
    body.AddMember("model", string_value(json::string_member(prompt, "model"), body), alloc);

  if (streaming) {
    body.AddMember("stream", true, alloc);
    // options.stream_options replaces the default; false leaves it out for servers that
    // reject the field.
    const Value* stream_options = json::member(*options, "stream_options");
    if (stream_options && stream_options->IsObject()) {
      body.AddMember("stream_options", copy(*stream_options, body), alloc);
    } else if (!(stream_options && stream_options->IsBool() && !stream_options->GetBool())) {
      Value include(rapidjson::kObjectType);
      include.AddMember("include_usage", true, alloc);
      body.AddMember("stream_options", include, alloc);
    }
  }

  if (json::has_string(prompt, "reasoning")) {
    std::string_view level = json::string_member(prompt, "reasoning");
    if (json::string_member(*options, "reasoning_style") == "deepseek") {
      add_deepseek_reasoning(level, body);
    } else {
      Value reasoning(rapidjson::kObjectType);
      reasoning.AddMember("summary", "auto", alloc);
      reasoning.AddMember("effort", rapidjson::StringRef(dialect::reasoning_effort(level, dialect::Effort::OpenAi)),
                          alloc);
      body.AddMember("reasoning", reasoning, alloc);
    }
  }

  if (const Value* temperature = json::member(prompt, "temperature"))
    body.AddMember("temperature", dialect::scaled_temperature(*temperature), alloc);
  if (const Value* max_tokens = json::member(prompt, "max_tokens"))
    body.AddMember("max_tokens", copy(*max_tokens, body), alloc);

  if (const Value* format = json::member(prompt, "response_format")) {
    Value response_format(rapidjson::kObjectType);
    if (format->IsString() && std::string_view(format->GetString()) == "json") {
      response_format.AddMember("type", "json_object", alloc);
    } else if (format->IsObject()) {
      Value schema(rapidjson::kObjectType);
      schema.AddMember("name", "response", alloc);
      schema.AddMember("strict", true, alloc);
      schema.AddMember("schema", openai::strict_schema(*format, body), alloc);
      response_format.AddMember("type", "json_schema", alloc);
      response_format.AddMember("json_schema", schema, alloc);
    } else {
      throw std::invalid_argument("response_format must be \"json\" or a JSON schema object");
    }
    body.AddMember("response_format", response_format, alloc);
  }

  openai::add_tools(prompt, dialect::ToolShape::Wrap::FunctionObject, body);

  body.AddMember("messages", chat_messages(prompt, body), alloc);
  dialect::merge_extra_params(prompt, body, alloc);
  return openai::serialize(body);
}

// ---- decoding ----

// Tool-call fragments of one streamed call, keyed by the provider's index.
struct PendingToolCall {
  int64_t index = 0;
  ToolCall call;
};

class ChatStreamDecoder : public Decoder {
 public:
  void on_record(const Record& record) override {
    if (error_ || done_) return;
    std::string_view data = record.data;
    if (json::trim(data) == "[DONE]") {
      done_ = true;
      complete_ = true;
      return;
    }
    std::string parse_error;
    const Value* root = parse_record(record, &parse_error);
    if (!root) {
      // Some servers name an error event and send plain text in it.
      if (record.type == "error")
        fail(ErrorCode::Provider, std::string(json::trim(data)), record.data);
      else
        fail(ErrorCode::Protocol, "malformed chat stream event: " + parse_error, record.data);
      return;
    }
    if (!root->IsObject()) {
      fail(ErrorCode::Protocol, "chat stream event is not a JSON object", record.data);
      return;
    }
    if (const Value* error = json::member(*root, "error"); dialect::truthy(error)) {
      error_ = openai::provider_error(*error, record.data);
      return;
    }
    if (const Value* choices = json::array_member(*root, "choices")) {
      for (const auto& choice : choices->GetArray()) {
        // Only the first choice is assembled (llm never asks for n > 1).
        if (json::int_member(choice, "index", 0) != 0) continue;
        on_choice(choice);
      }
    }
    if (const Value* usage = json::object_member(*root, "usage"))
      record_usage(json::int_member(*usage, "prompt_tokens"), json::int_member(*usage, "completion_tokens"));
  }

  // [DONE] or a finish_reason shows the answer complete; tool calls are parsed here.
  void finish() override {
    if (error_ || finished_) return;
    finished_ = true;
    if (!complete_) {
      fail(ErrorCode::Truncated, "the chat stream ended before [DONE] or a finish_reason");
      return;
    }
    if (!refusal_.empty()) {
      error_ = openai::refusal_error(refusal_);
      return;
    }
    finish_tool_calls();
  }

 private:
  void on_choice(const Value& choice) {
    if (const Value* delta = json::object_member(choice, "delta")) {
      result_.text.append(json::string_member(*delta, "content"));
      refusal_.append(json::string_member(*delta, "refusal"));
      std::string_view reasoning = json::string_member(*delta, "reasoning_content");
      if (reasoning.empty()) reasoning = json::string_member(*delta, "reasoning");
      result_.reasoning.append(reasoning);
      if (const Value* fragments = json::array_member(*delta, "tool_calls"))
        for (const auto& fragment : fragments->GetArray()) on_tool_fragment(fragment);
    }
    std::string_view finish_reason = json::string_member(choice, "finish_reason");
    if (!finish_reason.empty()) {
      result_.finish_reason.assign(finish_reason);
      complete_ = true;
      if (finish_reason == "content_filter") error_ = openai::content_filter_error();
    }
  }

  void on_tool_fragment(const Value& fragment) {
    if (!fragment.IsObject()) return;
    int64_t index = json::int_member(fragment, "index", 0);
    PendingToolCall* pending = nullptr;
    for (auto& p : pending_)
      if (p.index == index) pending = &p;
    if (!pending) {
      pending_.push_back(PendingToolCall{index, {}});
      pending = &pending_.back();
    }
    ToolCall& call = pending->call;
    if (call.id.empty()) call.id.assign(json::string_member(fragment, "id"));
    const Value* function = json::object_member(fragment, "function");
    if (!function) return;
    if (call.name.empty()) call.name.assign(json::string_member(*function, "name"));
    if (const Value* args = json::member(*function, "arguments")) {
      if (args->IsString())
        call.args_json.append(args->GetString(), args->GetStringLength());
      else if (args->IsObject())
        call.args_json = json::to_string(*args);  // whole object at once
    }
  }

  void finish_tool_calls() {
    std::stable_sort(pending_.begin(), pending_.end(),
                     [](const PendingToolCall& a, const PendingToolCall& b) { return a.index < b.index; });
    for (auto& p : pending_)
      if (!accept_tool_call(std::move(p.call), false)) return;
    pending_.clear();
  }

  std::vector<PendingToolCall> pending_;
  std::string refusal_;  // delta.refusal fragments, joined
  bool done_ = false;    // [DONE] seen: later records are ignored
  bool finished_ = false;
};

// A whole chat.completion body (non-streaming).
class ChatBodyDecoder : public Decoder {
 public:
  void on_record(const Record& record) override {
    if (error_ || complete_) return;
    const Value* root = parse_object(record, "malformed chat response: ", "chat response is not a JSON object");
    if (!root) return;
    const Value& doc = *root;
    if (const Value* error = json::member(doc, "error"); dialect::truthy(error)) {
      error_ = openai::provider_error(*error, record.data);
      return;
    }
    if (const Value* choices = json::array_member(doc, "choices"); choices && choices->Size() > 0) {
      const Value& choice = (*choices)[0];
      if (const Value* message = json::object_member(choice, "message")) {
        if (const Value* content = json::member(*message, "content")) result_.text = dialect::content_text(*content);
        std::string_view reasoning = json::string_member(*message, "reasoning_content");
        if (reasoning.empty()) reasoning = json::string_member(*message, "reasoning");
        result_.reasoning.assign(reasoning);
        std::string_view refusal = json::string_member(*message, "refusal");
        if (!refusal.empty()) {
          error_ = openai::refusal_error(refusal);
          return;
        }
        if (const Value* calls = json::array_member(*message, "tool_calls")) {
          for (const auto& c : calls->GetArray()) {
            ToolCall call;
            call.id.assign(json::string_member(c, "id"));
            if (const Value* function = json::object_member(c, "function")) {
              call.name.assign(json::string_member(*function, "name"));
              if (const Value* args = json::member(*function, "arguments")) {
                if (args->IsString())
                  call.args_json.assign(args->GetString(), args->GetStringLength());
                else
                  call.args_json = json::to_string(*args);
              }
            }
            if (!accept_tool_call(std::move(call), false)) return;
          }
        }
      }
      result_.finish_reason.assign(json::string_member(choice, "finish_reason"));
      if (result_.finish_reason == "content_filter") {
        error_ = openai::content_filter_error();
        return;
      }
    }
    if (const Value* usage = json::object_member(doc, "usage"))
      record_usage(json::int_member(*usage, "prompt_tokens"), json::int_member(*usage, "completion_tokens"));
    complete_ = true;
  }

  void finish() override { fail_unless_complete("the chat response body was empty"); }
};

}  // namespace

const Dialect& openai_chat_dialect() {
  static const PartsDialect instance(DialectParts{
      build_chat_body, Format::Sse, make_decoder_of<ChatStreamDecoder, ChatBodyDecoder>, openai::error_message});
  return instance;
}

}  // namespace llm_native
