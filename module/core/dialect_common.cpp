#include "dialect_common.hpp"

#include <stdexcept>

namespace llm_native::dialect {

bool truthy(const json::Value* v) {
  if (!v || v->IsNull()) return false;
  if (v->IsBool()) return v->GetBool();
  if (v->IsString()) return v->GetStringLength() > 0;
  if (v->IsObject()) return v->MemberCount() > 0;
  if (v->IsArray()) return v->Size() > 0;
  if (v->IsNumber()) return v->GetDouble() != 0;
  return true;
}

std::string error_body_message(std::string_view body, std::string (*describe)(const json::Value&), bool bare_message) {
  json::Document doc;
  if (json::parse(doc, body)) {
    const json::Value* root = &doc;
    if (root->IsArray() && !root->Empty()) root = &(*root)[0];
    if (const json::Value* error = json::member(*root, "error"); truthy(error)) return describe(*error);
    if (bare_message && json::has_string(*root, "message")) return describe(*root);
  }
  return std::string(json::trim(body));
}

std::string content_text(const json::Value& content) {
  if (content.IsString()) return {content.GetString(), content.GetStringLength()};
  std::string text;
  if (content.IsArray()) {
    for (const auto& part : content.GetArray()) {
      if (part.IsString())
        text.append(part.GetString(), part.GetStringLength());
      else if (part.IsObject())
        text.append(json::string_member(part, "text"));
    }
  }
  return text;
}

void append_system_line(std::string& system, std::string_view text) {
  if (text.empty()) return;
  if (!system.empty() && system.back() != '\n') system += '\n';
  system += text;
}

json::Value turn_messages(const json::Value& interactions, std::string& system, const char* items_key,
                          TurnItems turn_items, json::Alloc& a) {
  json::Value messages(rapidjson::kArrayType);
  for (const json::Value& turn : interactions.GetArray()) {
    std::string_view role = json::string_member(turn, "role");
    const json::Value* content = json::member(turn, "content");
    if (role == "system") {
      if (content) append_system_line(system, content_text(*content));
      continue;
    }
    json::Value items(rapidjson::kArrayType);
    const char* wire_role = turn_items(turn, role, content, items, a);
    if (items.Empty()) continue;
    json::Value message(rapidjson::kObjectType);
    message.AddMember("role", rapidjson::StringRef(wire_role), a);
    message.AddMember(rapidjson::StringRef(items_key), items, a);
    messages.PushBack(message, a);
  }
  return messages;
}

json::Value tools_array(const json::Value& prompt, const ToolShape& shape, json::Alloc& a) {
  json::Value out(rapidjson::kArrayType);
  const json::Value* tools = json::array_member(prompt, "tools");
  if (!tools) return out;
  using Wrap = ToolShape::Wrap;
  using Missing = ToolShape::Missing;
  for (const json::Value& tool : tools->GetArray()) {
    json::Value entry(rapidjson::kObjectType);
    if (shape.wrap == Wrap::TypeFunction) entry.AddMember("type", "function", a);
    entry.AddMember("name", json::string_value(json::string_member(tool, "name"), a), a);
    if (shape.description_always || json::has_string(tool, "description"))
      entry.AddMember("description", json::string_value(json::string_member(tool, "description"), a), a);
    json::Value key(rapidjson::StringRef(shape.schema_key));
    if (const json::Value* params = json::object_member(tool, "parameters")) {
      entry.AddMember(key, json::Value(*params, a), a);
    } else if (shape.missing_schema == Missing::Empty) {
      entry.AddMember(key, json::Value(rapidjson::kObjectType), a);
    } else if (shape.missing_schema == Missing::ObjectSchema) {
      json::Value params(rapidjson::kObjectType);
      params.AddMember("type", "object", a);
      params.AddMember("properties", json::Value(rapidjson::kObjectType), a);
      entry.AddMember(key, params, a);
    }
    if (shape.wrap == Wrap::FunctionObject) {
      json::Value wrapped(rapidjson::kObjectType);
      wrapped.AddMember("type", "function", a);
      wrapped.AddMember("function", entry, a);
      out.PushBack(wrapped, a);
    } else {
      out.PushBack(entry, a);
    }
  }
  return out;
}

void merge_extra_params(const json::Value& prompt, json::Value& target, json::Alloc& a,
                        bool (*top_level)(std::string_view key), json::Value* top) {
  const json::Value* extra = json::object_member(prompt, "non_standard");
  if (!extra) return;
  for (const auto& m : extra->GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    json::Value& into = top_level && top && top_level(key) ? *top : target;
    json::put(into, key, json::Value(m.value, a), a);
  }
}

const char* reasoning_effort(std::string_view level, Effort dialect) {
  // One row per level: OpenAI, Anthropic, DeepSeek.
  struct Row {
    std::string_view level;
    const char* words[3];
  };
  static constexpr Row kTable[] = {
      {"none", {"none", nullptr, nullptr}},
      {"light", {"low", "low", "low"}},
      {"medium", {"medium", "medium", "medium"}},
      {"maximum", {"xhigh", "max", "high"}},
  };
  for (const Row& row : kTable)
    if (row.level == level) return row.words[static_cast<int>(dialect)];
  throw std::invalid_argument("unknown reasoning level: " + std::string(level));
}

double scaled_temperature(const json::Value& temperature) {
  if (!temperature.IsNumber()) throw std::invalid_argument("temperature must be a number");
  return temperature.GetDouble() * 2.0;
}

bool normalize_tool_arguments(std::string& args, bool compact, std::string* error) {
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
  if (compact)
    args = json::to_string(doc);
  else if (trimmed.size() != args.size())
    args.assign(trimmed.data(), trimmed.size());
  return true;
}

}  // namespace llm_native::dialect
