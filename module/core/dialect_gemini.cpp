// Google Gemini / Vertex AI generateContent (doc/providers.md, Gemini and Vertex; doc/streams.md, Gemini).
// Both services share this wire format; Lisp builds the URL (model, key, region).
//
// Deliberate fixes over the incumbent (doc/providers.md, Differences from llm): usageMetadata is cumulative,
// so the last one wins instead of being summed; reasoning (thought parts) is streamed;
// thinkingConfig is built fresh for every request.
//
// Canonical option this dialect reads (computed by Lisp from the model registry):
//   "gemini_thinking": {"thinking_level": "high"} or {"thinkingBudget": 1024}
//     -> generationConfig.thinkingConfig = that object plus includeThoughts:true
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dialect.hpp"
#include "json_util.hpp"

namespace llm_native {
namespace {

using json::Alloc;
using json::Document;
using json::Value;
using rapidjson::SizeType;

// What Google documents for a function call whose signature was lost.
constexpr const char* kMissingThoughtSignature = "context_engineering_is_the_way_to_go";

using json::put;
using json::string_value;

Value text_part(std::string_view text, Alloc& a) {
  Value part(rapidjson::kObjectType);
  part.AddMember("text", string_value(text, a), a);
  return part;
}

void append_parts(const Value& content, Value& parts, Alloc& a) {
  if (content.IsString()) {
    parts.PushBack(text_part({content.GetString(), content.GetStringLength()}, a), a);
    return;
  }
  if (!content.IsArray())
    throw std::invalid_argument("gemini: interaction content must be a string or an array of parts");
  for (const Value& part : content.GetArray()) {
    std::string_view type = json::string_member(part, "type");
    if (type == "text") {
      parts.PushBack(text_part(json::string_member(part, "text"), a), a);
    } else if (type == "media") {
      Value inline_data(rapidjson::kObjectType);
      inline_data.AddMember("mime_type", string_value(json::string_member(part, "mime_type"), a), a);
      inline_data.AddMember("data", string_value(json::string_member(part, "data"), a), a);
      Value p(rapidjson::kObjectType);
      p.AddMember("inline_data", inline_data, a);
      parts.PushBack(p, a);
    } else {
      throw std::invalid_argument("gemini: unknown content part type '" + std::string(type) + "'");
    }
  }
}

// One turn's parts (dialect::TurnItems).
const char* turn_parts(const Value& turn, std::string_view role, const Value* content, Value& parts, Alloc& a) {
  if (role == "tool_results") {
    if (const Value* results = json::array_member(turn, "tool_results")) {
      for (const Value& r : results->GetArray()) {
        Value response(rapidjson::kObjectType);
        response.AddMember("output", string_value(json::string_member(r, "result"), a), a);
        Value fr(rapidjson::kObjectType);
        fr.AddMember("name", string_value(json::string_member(r, "name"), a), a);
        fr.AddMember("response", response, a);
        Value part(rapidjson::kObjectType);
        part.AddMember("functionResponse", fr, a);
        parts.PushBack(part, a);
      }
    }
    return "user";
  }
  if (role == "user" || role == "assistant") {
    size_t first_new = parts.Size();
    if (content) append_parts(*content, parts, a);
    // A text part's signature from the earlier answer goes back on its last text part.
    if (const Value* multi_turn = json::object_member(turn, "multi_turn")) {
      std::string_view signature = json::string_member(*multi_turn, "gemini-thought-signature");
      if (!signature.empty()) {
        if (parts.Size() == first_new) parts.PushBack(text_part("", a), a);
        put(parts[parts.Size() - 1], "thoughtSignature", string_value(signature, a), a);
      }
    }
    if (const Value* uses = json::array_member(turn, "tool_uses")) {
      for (const Value& use : uses->GetArray()) {
        Value call(rapidjson::kObjectType);
        call.AddMember("name", string_value(json::string_member(use, "name"), a), a);
        const Value* args = json::object_member(use, "args");
        call.AddMember("args", args ? Value(*args, a) : Value(rapidjson::kObjectType), a);
        Value part(rapidjson::kObjectType);
        part.AddMember("functionCall", call, a);
        std::string_view signature = json::string_member(use, "thought_signature");
        part.AddMember("thoughtSignature", string_value(signature.empty() ? kMissingThoughtSignature : signature, a),
                       a);
        parts.PushBack(part, a);
      }
    }
    return role == "user" ? "user" : "model";
  }
  throw std::invalid_argument("gemini: unknown interaction role '" + std::string(role) + "'");
}

// Gemini's response_schema takes an OpenAPI subset; other keys are dropped, recursively
// through properties and items, as llm does for Vertex.
Value filter_schema(const Value& schema, Alloc& a) {
  static const char* const kAllowed[] = {"type",     "format",   "description", "nullable",        "enum",
                                         "maxItems", "minItems", "required",    "propertyOrdering"};
  Value out(rapidjson::kObjectType);
  if (!schema.IsObject()) return out;
  for (const char* key : kAllowed) {
    if (const Value* v = json::member(schema, key)) out.AddMember(rapidjson::StringRef(key), Value(*v, a), a);
  }
  if (const Value* props = json::object_member(schema, "properties")) {
    Value filtered(rapidjson::kObjectType);
    for (const auto& m : props->GetObject()) filtered.AddMember(Value(m.name, a), filter_schema(m.value, a), a);
    out.AddMember("properties", filtered, a);
  }
  if (const Value* items = json::object_member(schema, "items")) out.AddMember("items", filter_schema(*items, a), a);
  return out;
}

Value build_tool_config(const Value& choice, Alloc& a) {
  Value config(rapidjson::kObjectType);
  if (choice.IsString()) {
    std::string_view c(choice.GetString(), choice.GetStringLength());
    const char* mode = c == "auto" ? "AUTO" : c == "none" ? "NONE" : c == "any" ? "ANY" : nullptr;
    if (!mode) throw std::invalid_argument("gemini: unsupported tool_choice '" + std::string(c) + "'");
    config.AddMember("mode", rapidjson::StringRef(mode), a);
  } else if (json::has_string(choice, "name")) {
    config.AddMember("mode", "ANY", a);
    Value names(rapidjson::kArrayType);
    names.PushBack(string_value(json::string_member(choice, "name"), a), a);
    config.AddMember("allowedFunctionNames", names, a);
  } else {
    throw std::invalid_argument("gemini: unsupported tool_choice " + json::to_string(choice));
  }
  Value tool_config(rapidjson::kObjectType);
  tool_config.AddMember("functionCallingConfig", config, a);
  return tool_config;
}

std::string build_gemini_body(const std::string& canonical) {
  Document prompt;
  json::parse_prompt(prompt, canonical);

  Document body(rapidjson::kObjectType);
  Alloc& a = body.GetAllocator();
  std::string system(json::string_member(prompt, "system"));
  Value contents(rapidjson::kArrayType);
  if (const Value* interactions = json::array_member(prompt, "interactions"))
    contents = dialect::turn_messages(*interactions, system, "parts", turn_parts, a);
  body.AddMember("contents", contents, a);
  if (!system.empty()) {
    // parts is a single object here, not an array, as llm sends it.
    Value parts(rapidjson::kObjectType);
    parts.AddMember("text", string_value(system, a), a);
    Value instruction(rapidjson::kObjectType);
    instruction.AddMember("parts", parts, a);
    body.AddMember("system_instruction", instruction, a);
  }

  {
    dialect::ToolShape shape;
    shape.missing_schema = dialect::ToolShape::Missing::Omit;
    Value declarations = dialect::tools_array(prompt, shape, a);
    if (!declarations.Empty()) {
      Value entry(rapidjson::kObjectType);
      entry.AddMember("function_declarations", declarations, a);
      Value list(rapidjson::kArrayType);
      list.PushBack(entry, a);
      body.AddMember("tools", list, a);
    }
  }
  if (const Value* choice = json::member(prompt, "tool_choice"))
    body.AddMember("toolConfig", build_tool_config(*choice, a), a);

  Value generation(rapidjson::kObjectType);
  if (const Value* t = json::member(prompt, "temperature"))
    generation.AddMember("temperature", dialect::scaled_temperature(*t), a);
  int64_t max_tokens = json::int_member(prompt, "max_tokens");
  if (max_tokens >= 0) generation.AddMember("maxOutputTokens", max_tokens, a);
  if (const Value* format = json::member(prompt, "response_format")) {
    generation.AddMember("response_mime_type", "application/json", a);
    if (format->IsObject()) generation.AddMember("response_schema", filter_schema(*format, a), a);
  }
  if (const Value* options = json::object_member(prompt, "options")) {
    if (const Value* thinking = json::object_member(*options, "gemini_thinking")) {
      Value config(rapidjson::kObjectType);
      config.AddMember("includeThoughts", true, a);
      for (const auto& m : thinking->GetObject())
        put(config, {m.name.GetString(), m.name.GetStringLength()}, Value(m.value, a), a);
      generation.AddMember("thinkingConfig", config, a);
    }
  }
  // Non-standard params belong in generationConfig and win over the fields above.
  dialect::merge_extra_params(prompt, generation, a);
  if (generation.MemberCount() > 0) body.AddMember("generationConfig", generation, a);
  return json::to_string(body);
}

// "Gemini error 429 RESOURCE_EXHAUSTED: Resource exhausted..." from a google.rpc.Status.
std::string describe_error(const Value& error) {
  if (error.IsString()) return "Gemini error: " + std::string(error.GetString(), error.GetStringLength());
  std::string out = "Gemini error";
  int64_t code = json::int_member(error, "code");
  if (code >= 0) out += " " + std::to_string(code);
  std::string_view status = json::string_member(error, "status");
  if (!status.empty()) out.append(" ").append(status);
  std::string_view message = json::string_member(error, "message");
  out += ": ";
  out += message.empty() ? json::to_string(error) : std::string(message);
  return out;
}

// Finish reasons that mean the answer was withheld, not completed.
bool is_blocking_finish(std::string_view reason) {
  return reason == "SAFETY" || reason == "RECITATION" || reason == "BLOCKLIST" || reason == "PROHIBITED_CONTENT" ||
         reason == "SPII" || reason == "IMAGE_SAFETY" || reason == "IMAGE_PROHIBITED_CONTENT" || reason == "LANGUAGE" ||
         reason == "MALFORMED_FUNCTION_CALL" || reason == "UNEXPECTED_TOOL_CALL";
}

// One argument value streamed by Gemini 3 as partialArgs, keyed by its jsonPath.
struct PartialArg {
  std::string path;
  bool is_string = false;
  std::string text;  // the string's contents when is_string, else the value as JSON text
};

// A path step: an object key or an array index.
struct PathStep {
  std::string key;
  long index = -1;  // >= 0 for an array index
};

// Parses "$.a.b[0]['c d']" into steps; false when the path has another shape.
bool parse_json_path(std::string_view path, std::vector<PathStep>& steps) {
  if (path.empty() || path[0] != '$') return false;
  size_t i = 1;
  while (i < path.size()) {
    if (path[i] == '.') {
      size_t end = path.find_first_of(".[", i + 1);
      if (end == std::string_view::npos) end = path.size();
      if (end == i + 1) return false;
      steps.push_back({std::string(path.substr(i + 1, end - i - 1)), -1});
      i = end;
    } else if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string_view::npos) return false;
      std::string_view inner = path.substr(i + 1, close - i - 1);
      if (inner.size() >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner.back() == inner[0]) {
        steps.push_back({std::string(inner.substr(1, inner.size() - 2)), -1});
      } else {
        // Bounded so a hostile index cannot make us allocate a huge array.
        if (inner.empty() || inner.size() > 5 || inner.find_first_not_of("0123456789") != std::string_view::npos)
          return false;
        steps.push_back({"", std::stol(std::string(inner))});
      }
      i = close + 1;
    } else {
      return false;
    }
  }
  return !steps.empty();
}

// Places value at steps under root, creating objects and arrays on the way.
bool place_value(Value& root, const std::vector<PathStep>& steps, Value&& value, Alloc& a) {
  Value* node = &root;
  for (size_t i = 0; i < steps.size(); ++i) {
    const PathStep& step = steps[i];
    bool last = i + 1 == steps.size();
    bool next_is_index = !last && steps[i + 1].index >= 0;
    Value child = last ? std::move(value) : Value(next_is_index ? rapidjson::kArrayType : rapidjson::kObjectType);
    if (step.index >= 0) {
      if (!node->IsArray()) return false;
      while (node->Size() <= static_cast<SizeType>(step.index)) node->PushBack(Value(), a);
      Value& slot = (*node)[static_cast<SizeType>(step.index)];
      if (last || slot.IsNull()) slot = std::move(child);
      node = &slot;
    } else {
      if (!node->IsObject()) return false;
      auto it = node->FindMember(step.key.c_str());
      if (it == node->MemberEnd()) {
        node->AddMember(string_value(step.key, a), std::move(child), a);
        it = node->FindMember(step.key.c_str());
      } else if (last) {
        it->value = std::move(child);
      }
      node = &it->value;
    }
  }
  return true;
}

// {key: signature} as JSON text, or "" when there is no signature.
std::string signature_object(std::string_view key, std::string_view signature) {
  if (signature.empty()) return "";
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::write_key(w, key);
  json::write_string(w, signature);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

class GeminiDecoder : public Decoder {
 public:
  void on_record(const Record& record) override {
    if (error_ || record.data.empty()) return;
    std::string parse_error;
    const Value* root = parse_record(record, &parse_error);
    if (!root) {
      fail(ErrorCode::Protocol, "Gemini sent invalid JSON: " + parse_error, record.data);
      return;
    }
    const Value& doc = *root;
    // A non-streaming body may be an array of chunks (Vertex wraps errors that way).
    if (doc.IsArray()) {
      for (const Value& chunk : doc.GetArray()) {
        on_chunk(chunk, record.data);
        if (error_) return;
      }
    } else if (doc.IsObject()) {
      on_chunk(doc, record.data);
    } else {
      fail(ErrorCode::Protocol, "Gemini sent a record that is not a JSON object", record.data);
    }
  }

  void finish() override {
    if (error_) return;
    close_pending_call();
    if (!complete_ && !error_) fail(ErrorCode::Truncated, "Gemini stream ended without a finishReason");
  }

 private:
  void on_chunk(const Value& chunk, const std::string& raw) {
    if (const Value* error = json::member(chunk, "error")) {
      fail(ErrorCode::Provider, describe_error(*error), raw);
      return;
    }
    if (const Value* usage = json::object_member(chunk, "usageMetadata")) {
      // Cumulative on every chunk: the last one is the total.
      record_usage(json::int_member(*usage, "promptTokenCount"), json::int_member(*usage, "candidatesTokenCount"));
    }
    const Value* candidates = json::array_member(chunk, "candidates");
    if (!candidates || candidates->Empty()) {
      if (const Value* feedback = json::object_member(chunk, "promptFeedback")) {
        std::string_view reason = json::string_member(*feedback, "blockReason");
        if (!reason.empty()) {
          std::string message = "Gemini blocked the prompt: " + std::string(reason);
          std::string_view detail = json::string_member(*feedback, "blockReasonMessage");
          if (!detail.empty()) message.append(" (").append(detail).append(")");
          fail(ErrorCode::Provider, message, raw);
        }
      }
      return;
    }
    const Value& candidate = (*candidates)[0];
    if (const Value* content = json::object_member(candidate, "content")) {
      if (const Value* parts = json::array_member(*content, "parts")) {
        for (const Value& part : parts->GetArray()) {
          on_part(part);
          if (error_) return;
        }
      }
    }
    std::string_view reason = json::string_member(candidate, "finishReason");
    if (reason.empty()) return;
    close_pending_call();
    if (error_) return;
    result_.finish_reason.assign(reason);
    if (is_blocking_finish(reason)) {
      std::string message = "Gemini stopped the answer: finishReason " + std::string(reason);
      std::string_view detail = json::string_member(candidate, "finishMessage");
      if (!detail.empty()) message.append(" (").append(detail).append(")");
      if (const Value* ratings = json::array_member(candidate, "safetyRatings"))
        message += "; safety ratings: " + json::to_string(*ratings);
      fail(ErrorCode::Provider, message, raw);
      return;
    }
    complete_ = true;
  }

  void on_part(const Value& part) {
    std::string_view signature = json::string_member(part, "thoughtSignature");
    if (const Value* call = json::object_member(part, "functionCall")) {
      on_function_call(*call, signature);
      return;
    }
    if (const Value* text = json::member(part, "text"); text && text->IsString()) {
      std::string& target = json::bool_member(part, "thought") ? result_.reasoning : result_.text;
      target.append(text->GetString(), text->GetStringLength());
    }
    if (!signature.empty()) result_.multi_turn_json = signature_object("gemini-thought-signature", signature);
  }

  void on_function_call(const Value& call, std::string_view signature) {
    std::string_view name = json::string_member(call, "name");
    const Value* partial = json::array_member(call, "partialArgs");
    bool will_continue = json::bool_member(call, "willContinue");
    if (!name.empty()) {
      close_pending_call();
      if (error_) return;
      if (will_continue && !json::member(call, "args")) {
        // Gemini 3 streams this call's arguments in the parts that follow.
        pending_open_ = true;
        pending_name_.assign(name);
        pending_signature_.assign(signature);
        pending_args_.clear();
        if (partial) add_partial_args(*partial);
        return;
      }
      const Value* args = json::object_member(call, "args");
      result_.tool_calls.push_back(ToolCall{"", std::string(name), args ? json::to_string(*args) : "{}",
                                            signature_object("thought_signature", signature)});
      return;
    }
    if (!pending_open_) return;
    if (partial) add_partial_args(*partial);
    // An empty functionCall {} (or one that stops continuing) closes the streamed call.
    if (!will_continue || !partial) close_pending_call();
  }

  void add_partial_args(const Value& partial) {
    for (const Value& piece : partial.GetArray()) {
      std::string_view path = json::string_member(piece, "jsonPath");
      if (const Value* s = json::member(piece, "stringValue"); s && s->IsString()) {
        // A string may arrive in several pieces under the same path.
        if (!pending_args_.empty() && pending_args_.back().is_string && pending_args_.back().path == path) {
          pending_args_.back().text.append(s->GetString(), s->GetStringLength());
        } else {
          pending_args_.push_back({std::string(path), true, std::string(s->GetString(), s->GetStringLength())});
        }
        continue;
      }
      static const char* const kValueKeys[] = {"numberValue", "boolValue", "structValue", "listValue"};
      bool found = false;
      for (const char* key : kValueKeys) {
        if (const Value* v = json::member(piece, key)) {
          pending_args_.push_back({std::string(path), false, json::to_string(*v)});
          found = true;
          break;
        }
      }
      if (!found && piece.IsObject() && piece.HasMember("nullValue"))
        pending_args_.push_back({std::string(path), false, "null"});
    }
  }

  void close_pending_call() {
    if (!pending_open_) return;
    pending_open_ = false;
    Document args(rapidjson::kObjectType);
    Alloc& a = args.GetAllocator();
    for (PartialArg& arg : pending_args_) {
      std::vector<PathStep> steps;
      Value value;
      if (arg.is_string) {
        value = string_value(arg.text, a);
      } else {
        Document parsed(&a);
        json::parse(parsed, arg.text);
        value.CopyFrom(parsed, a);
      }
      if (!parse_json_path(arg.path, steps) || !place_value(args, steps, std::move(value), a)) {
        fail(ErrorCode::Protocol,
             "Gemini streamed an argument of tool " + pending_name_ + " at an unusable jsonPath '" + arg.path + "'",
             "");
        return;
      }
    }
    result_.tool_calls.push_back(ToolCall{"", std::move(pending_name_), json::to_string(args),
                                          signature_object("thought_signature", pending_signature_)});
    pending_name_.clear();
    pending_signature_.clear();
    pending_args_.clear();
  }

  bool pending_open_ = false;
  std::string pending_name_;
  std::string pending_signature_;
  std::vector<PartialArg> pending_args_;
};

}  // namespace

const Dialect& gemini_dialect() {
  static const PartsDialect instance(
      DialectParts
      // The body is the same for generateContent and streamGenerateContent, which is
      // asked for without alt=sse, as llm does (the decoder takes Sse records too).
      {[](const std::string& prompt, bool) { return build_gemini_body(prompt); }, Format::JsonArray,
       make_decoder_of<GeminiDecoder>,
       [](const std::string& body) { return dialect::error_body_message(body, describe_error); }});
  return instance;
}

}  // namespace llm_native
