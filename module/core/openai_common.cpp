#include "openai_common.hpp"

#include <stdexcept>

#include <rapidjson/error/en.h>

namespace llm_native::openai {

RecordParser::RecordParser()
    : pool_(pool_buffer_, kPoolBufferSize), doc_(&pool_, 1024, &pool_) {}

const json::Value* RecordParser::parse(std::string_view text, std::string* error) {
  // The pool serves both the values and the parse stack; nothing from the previous
  // record is referenced any more, so resetting it reuses the same memory.
  pool_.Clear();
  // RapidJSON would stop at a raw NUL and accept what precedes it; JSON never has one.
  if (text.find('\0') != std::string_view::npos) {
    if (error) *error = "NUL byte in JSON text";
    return nullptr;
  }
  scratch_.assign(text.data(), text.size());
  // Iterative and within the limits Emacs can read (json_util.hpp).
  rapidjson::InsituStringStream stream(&scratch_[0]);
  if (!json::parse_limited<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseInsituFlag>(doc_, stream, text,
                                                                                            error))
    return nullptr;
  return &doc_;
}

bool truthy(const json::Value* v) {
  if (!v || v->IsNull()) return false;
  if (v->IsBool()) return v->GetBool();
  if (v->IsString()) return v->GetStringLength() > 0;
  if (v->IsObject()) return v->MemberCount() > 0;
  if (v->IsArray()) return v->Size() > 0;
  if (v->IsNumber()) return v->GetDouble() != 0;
  return true;
}

namespace {

std::string scalar_text(const json::Value* v) {
  if (!v) return {};
  if (v->IsString()) return {v->GetString(), v->GetStringLength()};
  if (v->IsNumber() || v->IsBool()) return json::to_string(*v);
  return {};
}

}  // namespace

std::string describe_error(const json::Value& error) {
  if (error.IsString()) return {error.GetString(), error.GetStringLength()};
  if (!error.IsObject()) return json::to_string(error);
  std::string message = scalar_text(json::member(error, "message"));
  std::string type = scalar_text(json::member(error, "type"));
  if (type == "error") type.clear();  // the Responses event type, not an error category
  std::string code = scalar_text(json::member(error, "code"));
  if (message.empty()) message = json::to_string(error);
  std::string details;
  if (!type.empty()) details += "type: " + type;
  if (!code.empty() && code != type) {
    if (!details.empty()) details += ", ";
    details += "code: " + code;
  }
  if (!details.empty()) message += " (" + details + ")";
  return message;
}

Error provider_error(const json::Value& error, std::string_view raw_record) {
  Error e;
  e.code = ErrorCode::Provider;
  e.message = describe_error(error);
  e.body.assign(raw_record.data(), raw_record.size());
  return e;
}

Error refusal_error(std::string_view refusal) {
  Error e;
  e.code = ErrorCode::Provider;
  e.message = "the model refused to answer (refusal): " + std::string(json::trim(refusal));
  return e;
}

Error content_filter_error() {
  Error e;
  e.code = ErrorCode::Provider;
  e.message = "the provider's content filter withheld the answer (content_filter)";
  return e;
}

std::string error_message_from_body(const std::string& body) {
  json::Document doc;
  if (json::parse(doc, body)) {
    const json::Value* root = &doc;
    // Some gateways wrap the error object in a one-element array.
    if (root->IsArray() && root->Size() > 0) root = &(*root)[0];
    if (root->IsObject()) {
      if (const json::Value* error = json::member(*root, "error"); truthy(error))
        return describe_error(*error);
      // The Responses API reference shape: {"type":"error","code","message"}.
      if (json::has_string(*root, "message")) return describe_error(*root);
    }
  }
  return json::trimmed_body(body);
}

bool normalize_tool_arguments(std::string& args, std::string* error) {
  std::string_view trimmed = json::trim(args);
  if (trimmed.empty()) {
    args = "{}";
    return true;
  }
  json::Document doc;
  std::string parse_error;
  if (!json::parse(doc, trimmed, &parse_error)) {
    if (error) *error = parse_error;
    return false;
  }
  if (!doc.IsObject()) {
    if (error) *error = "arguments are not a JSON object";
    return false;
  }
  if (trimmed.size() != args.size()) args.assign(trimmed.data(), trimmed.size());
  return true;
}

bool finish_tool_call(ToolCall& call, std::optional<Error>& error_out) {
  std::string why;
  if (normalize_tool_arguments(call.args_json, &why)) return true;
  Error e;
  e.code = ErrorCode::Protocol;
  e.message = "invalid JSON arguments for tool call '" + call.name + "': " + why;
  e.body = call.args_json;
  error_out = std::move(e);
  return false;
}

json::Value copy(const json::Value& v, json::Document& body) {
  return json::Value(v, body.GetAllocator());
}

json::Value string_value(std::string_view s, json::Document& body) {
  return json::string_value(s, body.GetAllocator());
}

void set_member(json::Value& obj, std::string_view key, json::Value value, json::Document& body) {
  json::put(obj, key, std::move(value), body.GetAllocator());
}

std::string data_url(std::string_view mime, std::string_view base64) {
  std::string url;
  url.reserve(mime.size() + base64.size() + 13);
  url.append("data:").append(mime).append(";base64,").append(base64);
  return url;
}

std::string content_text(const json::Value& content) {
  if (content.IsString()) return {content.GetString(), content.GetStringLength()};
  std::string text;
  if (content.IsArray()) {
    for (const auto& part : content.GetArray()) {
      if (part.IsString()) text.append(part.GetString(), part.GetStringLength());
      else if (part.IsObject()) text.append(json::string_member(part, "text"));
    }
  }
  return text;
}

json::Value strict_schema(const json::Value& schema, json::Document& body) {
  json::Value result = copy(schema, body);
  if (result.IsObject() && !result.HasMember("additionalProperties"))
    result.AddMember("additionalProperties", false, body.GetAllocator());
  return result;
}

double openai_temperature(const json::Value& temperature) {
  if (!temperature.IsNumber()) throw std::invalid_argument("temperature must be a number");
  return temperature.GetDouble() * 2.0;
}

const char* openai_reasoning_effort(std::string_view level) {
  if (level == "none") return "none";
  if (level == "light") return "low";
  if (level == "medium") return "medium";
  if (level == "maximum") return "xhigh";
  throw std::invalid_argument("unknown reasoning level: " + std::string(level));
}

json::Value tool_parameters(const json::Value& tool, json::Document& body) {
  if (const json::Value* params = json::object_member(tool, "parameters"))
    return copy(*params, body);
  auto& alloc = body.GetAllocator();
  json::Value params(rapidjson::kObjectType);
  params.AddMember("type", "object", alloc);
  params.AddMember("properties", json::Value(rapidjson::kObjectType), alloc);
  return params;
}

void merge_non_standard(const json::Value& prompt, json::Document& body) {
  const json::Value* extra = json::object_member(prompt, "non_standard");
  if (!extra) return;
  for (const auto& m : extra->GetObject())
    set_member(body, {m.name.GetString(), m.name.GetStringLength()}, copy(m.value, body), body);
}

std::string serialize(const json::Document& body) { return json::to_string(body); }

}  // namespace llm_native::openai
