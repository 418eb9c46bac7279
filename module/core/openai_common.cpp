#include "openai_common.hpp"

#include <stdexcept>

namespace llm_native::openai {

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

std::string error_message(const std::string& body) { return dialect::error_body_message(body, describe_error, true); }

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

json::Value copy(const json::Value& v, json::Document& body) { return json::Value(v, body.GetAllocator()); }

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

json::Value strict_schema(const json::Value& schema, json::Document& body) {
  json::Value result = copy(schema, body);
  if (result.IsObject() && !result.HasMember("additionalProperties"))
    result.AddMember("additionalProperties", false, body.GetAllocator());
  return result;
}

std::string serialize(const json::Document& body) { return json::to_string(body); }

namespace {

// "auto" and "none" as they are, "any" as "required", a named tool in wrap's shape.
json::Value tool_choice(const json::Value& choice, dialect::ToolShape::Wrap wrap, json::Document& body) {
  auto& alloc = body.GetAllocator();
  if (choice.IsString()) {
    std::string_view c(choice.GetString(), choice.GetStringLength());
    if (c == "auto" || c == "none") return copy(choice, body);
    if (c == "any") return json::Value(rapidjson::StringRef("required"));
    throw std::invalid_argument("unsupported tool_choice: " + std::string(c));
  }
  if (choice.IsObject() && json::has_string(choice, "name")) {
    json::Value name = string_value(json::string_member(choice, "name"), body);
    json::Value out(rapidjson::kObjectType);
    out.AddMember("type", "function", alloc);
    if (wrap == dialect::ToolShape::Wrap::FunctionObject) {
      json::Value function(rapidjson::kObjectType);
      function.AddMember("name", name, alloc);
      out.AddMember("function", function, alloc);
    } else {
      out.AddMember("name", name, alloc);
    }
    return out;
  }
  throw std::invalid_argument("unsupported tool_choice: " + json::to_string(choice));
}

}  // namespace

void add_tools(const json::Value& prompt, dialect::ToolShape::Wrap wrap, json::Document& body) {
  auto& alloc = body.GetAllocator();
  if (json::array_member(prompt, "tools")) {
    dialect::ToolShape shape;
    shape.missing_schema = dialect::ToolShape::Missing::ObjectSchema;
    shape.description_always = false;
    shape.wrap = wrap;
    body.AddMember("tools", dialect::tools_array(prompt, shape, alloc), alloc);
  }
  if (const json::Value* choice = json::member(prompt, "tool_choice"))
    body.AddMember("tool_choice", tool_choice(*choice, wrap, body), alloc);
}

}  // namespace llm_native::openai
