// OpenAI Responses ("openai-responses"): the wire protocol of llm-openai. Bodies follow
// doc/providers.md (OpenAI Responses) with its fixes over llm (max_output_tokens, reasoning sent back as its
// own input item, the Responses tool_choice shape); streams follow doc/streams.md.
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

Value responses_content_part(const Value& part, bool assistant, json::Document& body) {
  auto& alloc = body.GetAllocator();
  const char* text_type = assistant ? "output_text" : "input_text";
  Value out(rapidjson::kObjectType);
  if (part.IsString()) {
    out.AddMember("type", rapidjson::StringRef(text_type), alloc);
    out.AddMember("text", copy(part, body), alloc);
    return out;
  }
  std::string_view type = json::string_member(part, "type");
  if (type == "text") {
    out.AddMember("type", rapidjson::StringRef(text_type), alloc);
    out.AddMember("text", string_value(json::string_member(part, "text"), body), alloc);
    return out;
  }
  if (type != "media") throw std::invalid_argument("unknown content part type: " + std::string(type));
  std::string_view mime = json::string_member(part, "mime_type");
  std::string url = openai::data_url(mime, json::string_member(part, "data"));
  if (mime.substr(0, 6) == "image/") {
    out.AddMember("type", "input_image", alloc);
    out.AddMember("image_url", string_value(url, body), alloc);
    return out;
  }
  if (mime == "application/pdf") {
    out.AddMember("type", "input_file", alloc);
    out.AddMember("filename", "document.pdf", alloc);
    out.AddMember("file_data", string_value(url, body), alloc);
    return out;
  }
  throw std::invalid_argument("media type not supported by the OpenAI Responses API: " + std::string(mime));
}

Value responses_content(const Value& content, bool assistant, json::Document& body) {
  if (content.IsString()) return copy(content, body);
  if (!content.IsArray()) throw std::invalid_argument("interaction content must be a string or an array");
  Value parts(rapidjson::kArrayType);
  for (const auto& part : content.GetArray())
    parts.PushBack(responses_content_part(part, assistant, body), body.GetAllocator());
  return parts;
}

void push_reasoning_item(std::string_view id, std::string_view encrypted, Value& input, json::Document& body) {
  if (encrypted.empty()) return;
  auto& alloc = body.GetAllocator();
  Value item(rapidjson::kObjectType);
  item.AddMember("type", "reasoning", alloc);
  if (!id.empty()) item.AddMember("id", string_value(id, body), alloc);
  item.AddMember("encrypted_content", string_value(encrypted, body), alloc);
  item.AddMember("summary", Value(rapidjson::kArrayType), alloc);
  input.PushBack(item, alloc);
}

// The reasoning items a previous turn returned, sent back before that turn's output so a
// stateless (store:false) conversation keeps its reasoning (doc/providers.md, Differences from llm: llm put it
// inside the message object, where the API does not read it). All of them, in order, when
// the turn had several ("openai-reasoning-items"); else llm's single pair of keys.
void add_reasoning_items(const Value& turn, Value& input, json::Document& body) {
  const Value* multi_turn = json::object_member(turn, "multi_turn");
  if (!multi_turn) return;
  if (const Value* items = json::array_member(*multi_turn, "openai-reasoning-items")) {
    for (const auto& item : items->GetArray())
      push_reasoning_item(json::string_member(item, "id"), json::string_member(item, "encrypted_content"), input, body);
    return;
  }
  push_reasoning_item(json::string_member(*multi_turn, "openai-reasoning-id"),
                      json::string_member(*multi_turn, "openai-encrypted-reasoning"), input, body);
}

Value responses_input(const Value& prompt, json::Document& body) {
  auto& alloc = body.GetAllocator();
  Value input(rapidjson::kArrayType);
  const Value* interactions = json::array_member(prompt, "interactions");
  if (!interactions) return input;
  for (const auto& turn : interactions->GetArray()) {
    std::string_view role = json::string_member(turn, "role");
    if (role == "tool_results") {
      const Value* results = json::array_member(turn, "tool_results");
      if (!results) continue;
      for (const auto& result : results->GetArray()) {
        const Value* value = json::member(result, "result");
        std::string output;
        if (value && value->IsString())
          output.assign(value->GetString(), value->GetStringLength());
        else if (value)
          output = json::to_string(*value);
        Value item(rapidjson::kObjectType);
        item.AddMember("type", "function_call_output", alloc);
        item.AddMember("call_id", string_value(json::string_member(result, "call_id"), body), alloc);
        item.AddMember("output", string_value(output, body), alloc);
        input.PushBack(item, alloc);
      }
      continue;
    }
    if (role != "user" && role != "assistant" && role != "system")
      throw std::invalid_argument("unknown interaction role: " + std::string(role));
    bool assistant = role == "assistant";
    if (assistant) add_reasoning_items(turn, input, body);
    const Value* content = json::member(turn, "content");
    const Value* tool_uses = json::array_member(turn, "tool_uses");
    bool has_tool_uses = tool_uses && tool_uses->Size() > 0;
    if (content || !has_tool_uses) {
      Value msg(rapidjson::kObjectType);
      msg.AddMember("role", string_value(role, body), alloc);
      if (content)
        msg.AddMember("content", responses_content(*content, assistant, body), alloc);
      else
        msg.AddMember("content", "", alloc);
      input.PushBack(msg, alloc);
    }
    if (has_tool_uses) {
      for (const auto& use : tool_uses->GetArray()) {
        const Value* args = json::member(use, "args");
        Value item(rapidjson::kObjectType);
        item.AddMember("type", "function_call", alloc);
        // llm stores the output item's id and sends it back as call_id; the matching
        // function_call_output carries the same id, so the pair stays consistent.
        item.AddMember("call_id", string_value(json::string_member(use, "id"), body), alloc);
        item.AddMember("name", string_value(json::string_member(use, "name"), body), alloc);
        item.AddMember("arguments", string_value(args ? json::to_string(*args) : "{}", body), alloc);
        input.PushBack(item, alloc);
      }
    }
  }
  return input;
}

std::string build_responses_body(const std::string& canonical_prompt, bool streaming) {
  json::Document prompt;
  json::parse_prompt(prompt, canonical_prompt);
  json::Document body;
  body.SetObject();
  auto& alloc = body.GetAllocator();

  if (json::has_string(prompt, "model"))
    body.AddMember("model", string_value(json::string_member(prompt, "model"), body), alloc);
  if (json::has_string(prompt, "reasoning")) {
    Value reasoning(rapidjson::kObjectType);
    reasoning.AddMember("summary", "auto", alloc);
    reasoning.AddMember("effort",
                        rapidjson::StringRef(dialect::reasoning_effort(json::string_member(prompt, "reasoning"),
                                                                       dialect::Effort::OpenAi)),
                        alloc);
    body.AddMember("reasoning", reasoning, alloc);
  }
  if (const Value* temperature = json::member(prompt, "temperature"))
    body.AddMember("temperature", dialect::scaled_temperature(*temperature), alloc);
  // The Responses API name; llm sent max_tokens, which the API rejects.
  if (const Value* max_tokens = json::member(prompt, "max_tokens"))
    body.AddMember("max_output_tokens", copy(*max_tokens, body), alloc);

  if (const Value* format = json::member(prompt, "response_format")) {
    Value fmt(rapidjson::kObjectType);
    if (format->IsString() && std::string_view(format->GetString()) == "json") {
      fmt.AddMember("type", "json_object", alloc);
    } else if (format->IsObject()) {
      fmt.AddMember("type", "json_schema", alloc);
      fmt.AddMember("name", "response", alloc);
      fmt.AddMember("strict", true, alloc);
      fmt.AddMember("schema", openai::strict_schema(*format, body), alloc);
    } else {
      throw std::invalid_argument("response_format must be \"json\" or a JSON schema object");
    }
    Value text(rapidjson::kObjectType);
    text.AddMember("format", fmt, alloc);
    body.AddMember("text", text, alloc);
  }

  openai::add_tools(prompt, dialect::ToolShape::Wrap::TypeFunction, body);

  body.AddMember("input", responses_input(prompt, body), alloc);
  std::string_view system = json::string_member(prompt, "system");
  if (!system.empty()) body.AddMember("instructions", string_value(system, body), alloc);
  body.AddMember("store", false, alloc);
  body.AddMember("stream", streaming, alloc);
  Value include(rapidjson::kArrayType);
  include.PushBack("reasoning.encrypted_content", alloc);
  body.AddMember("include", include, alloc);
  dialect::merge_extra_params(prompt, body, alloc);
  return openai::serialize(body);
}

// ---- decoding ----

// The reasoning items of one answer, kept for the next turn.
struct ReasoningItem {
  std::string id;
  std::string encrypted;
};

void add_reasoning(const Value& item, std::vector<ReasoningItem>& items) {
  items.push_back(
      {std::string(json::string_member(item, "id")), std::string(json::string_member(item, "encrypted_content"))});
}

// {"openai-reasoning-id": id, "openai-encrypted-reasoning": enc}, the keys llm stores, for
// the first item (as llm reads it); with several items, all of them in order under
// "openai-reasoning-items" as [{"id", "encrypted_content"}], which the body sends back.
// The item's id and encrypted content under the given keys, each only when it is set.
void write_reasoning_item(json::Writer& w, const ReasoningItem& item, std::string_view id_key,
                          std::string_view encrypted_key) {
  if (!item.id.empty()) {
    json::write_key(w, id_key);
    json::write_string(w, item.id);
  }
  if (!item.encrypted.empty()) {
    json::write_key(w, encrypted_key);
    json::write_string(w, item.encrypted);
  }
}

std::string reasoning_multi_turn(const std::vector<ReasoningItem>& items) {
  if (items.empty()) return {};
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  write_reasoning_item(w, items.front(), "openai-reasoning-id", "openai-encrypted-reasoning");
  if (items.size() > 1) {
    json::write_key(w, "openai-reasoning-items");
    w.StartArray();
    for (const ReasoningItem& item : items) {
      w.StartObject();
      write_reasoning_item(w, item, "id", "encrypted_content");
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

// A refusal content part's text ({"type":"refusal","refusal":"..."}), or "".
std::string_view refusal_of(const Value& part) {
  return json::string_member(part, "type") == "refusal" ? json::string_member(part, "refusal") : std::string_view();
}

// An incomplete response whose reason is content_filter was withheld, not answered.
bool content_filtered(const Value& response) {
  const Value* details = json::object_member(response, "incomplete_details");
  return details && json::string_member(*details, "reason") == "content_filter";
}

std::string call_id_extra(std::string_view call_id) {
  if (call_id.empty()) return {};
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::write_key(w, "call_id");
  json::write_string(w, call_id);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

// Summary parts joined by a blank line (llm joined them with a space, which runs the
// bold summary titles into the text).
void append_summary(const Value& reasoning_item, std::string& out) {
  const Value* summary = json::array_member(reasoning_item, "summary");
  if (!summary) return;
  for (const auto& part : summary->GetArray()) {
    std::string_view text = json::string_member(part, "text");
    if (text.empty()) continue;
    if (!out.empty()) out += "\n\n";
    out.append(text);
  }
}

// Status -> finish reason: incomplete_details.reason for an incomplete response,
// otherwise the status itself ("completed").
std::string finish_reason_of(const Value& response) {
  if (const Value* details = json::object_member(response, "incomplete_details")) {
    std::string_view reason = json::string_member(*details, "reason");
    if (!reason.empty()) return std::string(reason);
  }
  return std::string(json::string_member(response, "status"));
}

void read_usage(const Value& response, ChatResult& result) {
  if (const Value* usage = json::object_member(response, "usage")) {
    result.input_tokens = json::int_member(*usage, "input_tokens");
    result.output_tokens = json::int_member(*usage, "output_tokens");
  }
}

// The error of a failed response, or of an `error` event in either shape: nested
// {"error":{...}} or the reference form with code/message at the top level.
Error failure(const Value& holder, std::string_view raw, const char* fallback) {
  if (const Value* error = json::member(holder, "error"); dialect::truthy(error))
    return openai::provider_error(*error, raw);
  if (json::has_string(holder, "message")) return openai::provider_error(holder, raw);
  Error e;
  e.code = ErrorCode::Provider;
  e.message = fallback;
  e.body.assign(raw.data(), raw.size());
  return e;
}

// A function call being streamed, keyed by its output item.
struct PendingCall {
  int64_t output_index = -1;
  std::string item_id;
  std::string call_id;
  ToolCall call;
  bool arguments_final = false;  // the .done string arrived; later deltas are ignored
};

class ResponsesStreamDecoder : public Decoder {
 public:
  void on_record(const Record& record) override {
    if (error_ || complete_) return;
    std::string parse_error;
    const Value* root = parse_record(record, &parse_error);
    if (!root) {
      // A gateway may send a plain-text error event.
      if (record.type == "error")
        fail(ErrorCode::Provider, std::string(json::trim(record.data)), record.data);
      else
        fail(ErrorCode::Protocol, "malformed Responses stream event: " + parse_error, record.data);
      return;
    }
    if (!root->IsObject()) {
      fail(ErrorCode::Protocol, "Responses stream event is not a JSON object", record.data);
      return;
    }
    std::string_view type = json::string_member(*root, "type");
    if (type.empty()) type = record.type;

    if (type == "response.output_text.delta") {
      result_.text.append(json::string_member(*root, "delta"));
    } else if (type == "response.refusal.delta") {
      refusal_.append(json::string_member(*root, "delta"));
    } else if (type == "response.refusal.done") {
      if (json::has_string(*root, "refusal")) refusal_.assign(json::string_member(*root, "refusal"));
    } else if (type == "response.reasoning_summary_text.delta") {
      on_summary_delta(*root);
    } else if (type == "response.output_item.added") {
      if (const Value* item = json::object_member(*root, "item");
          item && json::string_member(*item, "type") == "function_call")
        pending_for(*root, item).call.name.assign(json::string_member(*item, "name"));
    } else if (type == "response.function_call_arguments.delta") {
      PendingCall& p = pending_for(*root, nullptr);
      if (!p.arguments_final) p.call.args_json.append(json::string_member(*root, "delta"));
    } else if (type == "response.function_call_arguments.done") {
      PendingCall& p = pending_for(*root, nullptr);
      if (json::has_string(*root, "arguments")) p.call.args_json.assign(json::string_member(*root, "arguments"));
      p.arguments_final = true;
    } else if (type == "response.output_item.done") {
      on_item_done(*root);
    } else if (type == "response.completed" || type == "response.incomplete" || type == "response.done") {
      on_terminal(*root);
    } else if (type == "response.failed") {
      const Value* response = json::object_member(*root, "response");
      error_ = failure(response ? *response : *root, record.data, "the response failed");
    } else if (type == "error") {
      error_ = failure(*root, record.data, "the Responses stream reported an error");
    }
  }

  void finish() override { fail_unless_complete("the Responses stream ended before its terminal event"); }

 private:
  void on_summary_delta(const Value& event) {
    std::string_view item_id = json::string_member(event, "item_id");
    int64_t summary_index = json::int_member(event, "summary_index", 0);
    // A new summary part (or reasoning item) starts a new paragraph.
    if (item_id != summary_item_ || summary_index != summary_index_) {
      if (!result_.reasoning.empty()) result_.reasoning += "\n\n";
      summary_item_.assign(item_id);
      summary_index_ = summary_index;
    }
    result_.reasoning.append(json::string_member(event, "delta"));
    saw_summary_delta_ = true;
  }

  // The pending call an event refers to, by item id, else by output index; created
  // when the event is the first one seen for it.
  PendingCall& pending_for(const Value& event, const Value* item) {
    std::string_view item_id = item ? json::string_member(*item, "id") : json::string_member(event, "item_id");
    int64_t output_index = json::int_member(event, "output_index", -1);
    for (auto& p : pending_) {
      if (!item_id.empty() && p.item_id == item_id) return p;
      if (item_id.empty() && output_index >= 0 && p.output_index == output_index) return p;
    }
    pending_.emplace_back();
    PendingCall& p = pending_.back();
    p.item_id.assign(item_id);
    p.output_index = output_index;
    if (item) p.call_id.assign(json::string_member(*item, "call_id"));
    return p;
  }

  void on_item_done(const Value& event) {
    const Value* item = json::object_member(event, "item");
    if (!item) return;
    std::string_view item_type = json::string_member(*item, "type");
    if (item_type == "reasoning") {
      add_reasoning(*item, reasoning_items_);
      result_.multi_turn_json = reasoning_multi_turn(reasoning_items_);
      if (!saw_summary_delta_) append_summary(*item, result_.reasoning);
      return;
    }
    if (item_type == "message" && refusal_.empty()) {
      // A refusal part may come only in the finished item (no refusal events).
      if (const Value* content = json::array_member(*item, "content"))
        for (const auto& part : content->GetArray()) refusal_.append(refusal_of(part));
      return;
    }
    if (item_type != "function_call") return;
    PendingCall& p = pending_for(event, item);
    if (json::has_string(*item, "name")) p.call.name.assign(json::string_member(*item, "name"));
    if (json::has_string(*item, "call_id")) p.call_id.assign(json::string_member(*item, "call_id"));
    if (json::has_string(*item, "arguments")) p.call.args_json.assign(json::string_member(*item, "arguments"));
    std::size_t index = static_cast<std::size_t>(&p - pending_.data());
    complete_call(index);
  }

  void complete_call(std::size_t index) {
    PendingCall p = std::move(pending_[index]);
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(index));
    p.call.id = p.item_id.empty() ? p.call_id : p.item_id;
    p.call.extra_json = call_id_extra(p.call_id);
    accept_tool_call(std::move(p.call), false);
  }

  void on_terminal(const Value& event) {
    const Value* response = json::object_member(event, "response");
    // Calls whose output_item.done never came (some gateways) are completed from what
    // the arguments events carried.
    while (!pending_.empty() && !error_) complete_call(0);
    if (error_) return;
    if (response) {
      read_usage(*response, result_);
      result_.finish_reason = finish_reason_of(*response);
      if (content_filtered(*response)) {
        error_ = openai::content_filter_error();
        return;
      }
    }
    if (!refusal_.empty()) {
      error_ = openai::refusal_error(refusal_);
      return;
    }
    complete_ = true;
  }

  std::vector<PendingCall> pending_;
  std::vector<ReasoningItem> reasoning_items_;
  std::string refusal_;
  std::string summary_item_;
  int64_t summary_index_ = -1;
  bool saw_summary_delta_ = false;
};

// A whole response object (non-streaming, collecting every text
// output and both token counts).
class ResponsesBodyDecoder : public Decoder {
 public:
  void on_record(const Record& record) override {
    if (error_ || complete_) return;
    const Value* root = parse_object(record, "malformed Responses body: ", "Responses body is not a JSON object");
    if (!root) return;
    const Value& doc = *root;
    if (dialect::truthy(json::member(doc, "error")) || json::string_member(doc, "status") == "failed") {
      error_ = failure(doc, record.data, "the response failed");
      return;
    }
    if (content_filtered(doc)) {
      error_ = openai::content_filter_error();
      return;
    }
    std::vector<ReasoningItem> reasoning_items;
    std::string refusal;
    if (const Value* output = json::array_member(doc, "output")) {
      for (const auto& item : output->GetArray()) {
        std::string_view type = json::string_member(item, "type");
        if (type == "message") {
          if (const Value* content = json::array_member(item, "content"))
            for (const auto& part : content->GetArray()) {
              if (json::string_member(part, "type") == "output_text")
                result_.text.append(json::string_member(part, "text"));
              refusal.append(refusal_of(part));
            }
        } else if (type == "reasoning") {
          append_summary(item, result_.reasoning);
          add_reasoning(item, reasoning_items);
        } else if (type == "function_call") {
          ToolCall call;
          std::string_view call_id = json::string_member(item, "call_id");
          call.id.assign(json::has_string(item, "id") ? json::string_member(item, "id") : call_id);
          call.name.assign(json::string_member(item, "name"));
          call.args_json.assign(json::string_member(item, "arguments"));
          call.extra_json = call_id_extra(call_id);
          if (!accept_tool_call(std::move(call), false)) return;
        }
      }
    }
    if (!refusal.empty()) {
      error_ = openai::refusal_error(refusal);
      return;
    }
    result_.multi_turn_json = reasoning_multi_turn(reasoning_items);
    read_usage(doc, result_);
    result_.finish_reason = finish_reason_of(doc);
    complete_ = true;
  }

  void finish() override { fail_unless_complete("the Responses body was empty"); }
};

}  // namespace

const Dialect& openai_responses_dialect() {
  static const PartsDialect instance(DialectParts{build_responses_body, Format::Sse,
                                                  make_decoder_of<ResponsesStreamDecoder, ResponsesBodyDecoder>,
                                                  openai::error_message});
  return instance;
}

}  // namespace llm_native
