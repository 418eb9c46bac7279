// Anthropic Messages API (doc/providers.md and doc/streams.md, Anthropic).
//
// Deliberate fixes over the incumbent (doc/providers.md, Differences from llm): streamed thinking is read from
// delta.thinking, signature_delta's delta.signature is kept as multi-turn state, and the
// input tokens of message_start are kept.
//
// Canonical options this dialect reads (set by Lisp from the model registry):
//   "anthropic_thinking": "adaptive"  -> thinking {type:"adaptive"} (or "disabled" when
//                                        reasoning is "none"), unless tool_choice is "any"
//   "thinking_budget": N              -> thinking {type:"enabled", budget_tokens:N} for
//                                        models with budgeted extended thinking
#include <cstdint>
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

using json::put;
using json::string_value;

// Default max_tokens by model-name substring, as llm-claude does.
int64_t default_max_tokens(std::string_view model) {
  if (model.find("opus-4-0") != std::string_view::npos) return 32000;
  if (model.find('4') != std::string_view::npos || model.find("3-7") != std::string_view::npos) return 64000;
  if (model.find("opus") != std::string_view::npos) return 4096;
  return 8192;
}

Value text_block(std::string_view text, Alloc& a) {
  Value block(rapidjson::kObjectType);
  block.AddMember("type", "text", a);
  block.AddMember("text", string_value(text, a), a);
  return block;
}

// Appends the blocks for an interaction's content (string or parts) to blocks.
void append_content_blocks(const Value& content, Value& blocks, Alloc& a) {
  if (content.IsString()) {
    // Anthropic rejects empty text blocks.
    if (content.GetStringLength() > 0)
      blocks.PushBack(text_block({content.GetString(), content.GetStringLength()}, a), a);
    return;
  }
  if (!content.IsArray())
    throw std::invalid_argument("anthropic: interaction content must be a string or an array of parts");
  for (const Value& part : content.GetArray()) {
    std::string_view type = json::string_member(part, "type");
    if (type == "text") {
      std::string_view text = json::string_member(part, "text");
      if (!text.empty()) blocks.PushBack(text_block(text, a), a);
    } else if (type == "media") {
      std::string_view mime = json::string_member(part, "mime_type");
      Value source(rapidjson::kObjectType);
      source.AddMember("type", "base64", a);
      source.AddMember("media_type", string_value(mime, a), a);
      source.AddMember("data", string_value(json::string_member(part, "data"), a), a);
      Value block(rapidjson::kObjectType);
      block.AddMember("type", rapidjson::StringRef(mime == "application/pdf" ? "document" : "image"), a);
      block.AddMember("source", source, a);
      blocks.PushBack(block, a);
    } else {
      throw std::invalid_argument("anthropic: unknown content part type '" + std::string(type) + "'");
    }
  }
}

void push_thinking_block(std::string_view thinking, std::string_view signature, Value& blocks, Alloc& a) {
  Value block(rapidjson::kObjectType);
  block.AddMember("type", "thinking", a);
  block.AddMember("thinking", string_value(thinking, a), a);
  block.AddMember("signature", string_value(signature, a), a);
  blocks.PushBack(block, a);
}

void push_redacted_block(std::string_view data, Value& blocks, Alloc& a) {
  Value block(rapidjson::kObjectType);
  block.AddMember("type", "redacted_thinking", a);
  block.AddMember("data", string_value(data, a), a);
  blocks.PushBack(block, a);
}

// Thinking state from an earlier turn goes first: Anthropic wants thinking blocks to lead
// the assistant content they belong to. A turn with several thinking blocks stored them
// all, in order, under "claude-thinking-blocks"; otherwise llm's single keys hold one.
void append_thinking_blocks(const Value& multi_turn, Value& blocks, Alloc& a) {
  if (const Value* stored = json::array_member(multi_turn, "claude-thinking-blocks")) {
    for (const Value& block : stored->GetArray()) {
      std::string_view type = json::string_member(block, "type");
      if (type == "redacted_thinking") {
        push_redacted_block(json::string_member(block, "data"), blocks, a);
      } else if (type == "thinking" && json::has_string(block, "signature")) {
        push_thinking_block(json::string_member(block, "thinking"), json::string_member(block, "signature"), blocks, a);
      }
    }
    return;
  }
  std::string_view redacted = json::string_member(multi_turn, "claude-redacted-thinking");
  if (!redacted.empty()) push_redacted_block(redacted, blocks, a);
  std::string_view signature = json::string_member(multi_turn, "claude-reasoning-signature");
  if (!signature.empty()) push_thinking_block(json::string_member(multi_turn, "claude-thinking"), signature, blocks, a);
}

// One turn's blocks (dialect::TurnItems).
const char* turn_blocks(const Value& turn, std::string_view role, const Value* content, Value& blocks, Alloc& a) {
  if (role == "tool_results") {
    // llm-claude stores tool results with role user.
    if (const Value* results = json::array_member(turn, "tool_results")) {
      for (const Value& r : results->GetArray()) {
        Value block(rapidjson::kObjectType);
        block.AddMember("type", "tool_result", a);
        block.AddMember("tool_use_id", string_value(json::string_member(r, "call_id"), a), a);
        block.AddMember("content", string_value(json::string_member(r, "result"), a), a);
        blocks.PushBack(block, a);
      }
    }
    return "user";
  }
  if (role == "user" || role == "assistant") {
    if (const Value* multi_turn = json::object_member(turn, "multi_turn"))
      append_thinking_blocks(*multi_turn, blocks, a);
    if (content) append_content_blocks(*content, blocks, a);
    if (const Value* uses = json::array_member(turn, "tool_uses")) {
      for (const Value& use : uses->GetArray()) {
        Value block(rapidjson::kObjectType);
        block.AddMember("type", "tool_use", a);
        block.AddMember("id", string_value(json::string_member(use, "id"), a), a);
        block.AddMember("name", string_value(json::string_member(use, "name"), a), a);
        const Value* args = json::object_member(use, "args");
        block.AddMember("input", args ? Value(*args, a) : Value(rapidjson::kObjectType), a);
        blocks.PushBack(block, a);
      }
    }
    return role == "user" ? "user" : "assistant";
  }
  throw std::invalid_argument("anthropic: unknown interaction role '" + std::string(role) + "'");
}

Value build_tool_choice(const Value& choice, Alloc& a) {
  Value out(rapidjson::kObjectType);
  if (choice.IsString()) {
    std::string_view c(choice.GetString(), choice.GetStringLength());
    if (c == "auto" || c == "none" || c == "any") {
      out.AddMember("type", string_value(c, a), a);
      return out;
    }
  } else if (json::has_string(choice, "name")) {
    out.AddMember("type", "tool", a);
    out.AddMember("name", string_value(json::string_member(choice, "name"), a), a);
    return out;
  }
  throw std::invalid_argument("anthropic: unsupported tool_choice " + json::to_string(choice));
}

std::string build_anthropic_body(const std::string& canonical, bool streaming) {
  Document prompt;
  json::parse_prompt(prompt, canonical);

  Document body(rapidjson::kObjectType);
  Alloc& a = body.GetAllocator();
  std::string_view model = json::string_member(prompt, "model");
  body.AddMember("model", string_value(model, a), a);
  body.AddMember("stream", streaming, a);
  body.AddMember("max_tokens", json::int_member(prompt, "max_tokens", default_max_tokens(model)), a);

  std::string system(json::string_member(prompt, "system"));
  Value messages(rapidjson::kArrayType);
  if (const Value* interactions = json::array_member(prompt, "interactions"))
    messages = dialect::turn_messages(*interactions, system, "content", turn_blocks, a);
  body.AddMember("messages", messages, a);
  if (!system.empty()) body.AddMember("system", string_value(system, a), a);

  if (const Value* temperature = json::member(prompt, "temperature"))
    body.AddMember("temperature", Value(*temperature, a), a);

  dialect::ToolShape tool_shape;
  tool_shape.schema_key = "input_schema";
  Value tools = dialect::tools_array(prompt, tool_shape, a);
  if (!tools.Empty()) body.AddMember("tools", tools, a);

  const Value* tool_choice = json::member(prompt, "tool_choice");
  if (tool_choice) body.AddMember("tool_choice", build_tool_choice(*tool_choice, a), a);
  bool forced_tool = tool_choice && tool_choice->IsString() && std::string_view(tool_choice->GetString()) == "any";

  // A schema becomes output_format; the bare "json" format has no Anthropic equivalent.
  if (const Value* schema = json::object_member(prompt, "response_format")) {
    Value s(*schema, a);
    put(s, "additionalProperties", Value(false), a);
    Value format(rapidjson::kObjectType);
    format.AddMember("type", "json_schema", a);
    format.AddMember("schema", s, a);
    body.AddMember("output_format", format, a);
  }

  std::string_view reasoning = json::string_member(prompt, "reasoning");
  const Value* options = json::object_member(prompt, "options");
  std::string_view thinking_mode = options ? json::string_member(*options, "anthropic_thinking") : "";
  int64_t budget = options ? json::int_member(*options, "thinking_budget", -1) : -1;
  if (thinking_mode == "adaptive" && !forced_tool) {
    Value thinking(rapidjson::kObjectType);
    thinking.AddMember("type", rapidjson::StringRef(reasoning == "none" ? "disabled" : "adaptive"), a);
    body.AddMember("thinking", thinking, a);
  } else if (!thinking_mode.empty() && thinking_mode != "adaptive") {
    throw std::invalid_argument("anthropic: unknown anthropic_thinking option '" + std::string(thinking_mode) + "'");
  } else if (budget > 0 && reasoning != "none" && !forced_tool) {
    // Forced tool use and extended thinking are mutually exclusive at Anthropic.
    Value thinking(rapidjson::kObjectType);
    thinking.AddMember("type", "enabled", a);
    thinking.AddMember("budget_tokens", budget, a);
    body.AddMember("thinking", thinking, a);
  }
  if (!reasoning.empty() && reasoning != "none") {
    Value config(rapidjson::kObjectType);
    config.AddMember("effort", rapidjson::StringRef(dialect::reasoning_effort(reasoning, dialect::Effort::Anthropic)),
                     a);
    body.AddMember("output_config", config, a);
  }

  // Non-standard params go at the top level and win over what was built above.
  dialect::merge_extra_params(prompt, body, a);
  return json::to_string(body);
}

// "overloaded_error: Overloaded" from {"type":"error","error":{"type","message"}}.
std::string describe_error(const Value& error) {
  std::string_view type = json::string_member(error, "type");
  std::string_view message = json::string_member(error, "message");
  std::string out = "Anthropic error";
  if (!type.empty()) out.append(" ").append(type);
  out.append(": ");
  out.append(message.empty() ? json::to_string(error) : std::string(message));
  return out;
}

// One thinking or redacted_thinking block of an answer, kept for the next turn.
struct ThinkingBlock {
  bool redacted = false;
  std::string text;       // thinking text, or the redacted block's data
  std::string signature;  // thinking blocks only
};

// The multi-turn state stored on the assistant turn; "" when there is nothing that can be
// sent back (thinking without a signature is refused by Anthropic). llm's keys hold the
// first signed thinking block and the first redacted one (as llm reads a body); with
// several blocks, "claude-thinking-blocks" holds all of them in order, and that is what
// the next request sends.
std::string multi_turn_json(const std::vector<ThinkingBlock>& all) {
  std::vector<const ThinkingBlock*> blocks;
  for (const ThinkingBlock& b : all)
    if (b.redacted ? !b.text.empty() : !b.signature.empty()) blocks.push_back(&b);
  if (blocks.empty()) return "";
  const ThinkingBlock* thinking = nullptr;
  const ThinkingBlock* redacted = nullptr;
  for (const ThinkingBlock* b : blocks) {
    if (b->redacted && !redacted) redacted = b;
    if (!b->redacted && !thinking) thinking = b;
  }
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  if (thinking) {
    w.Key("claude-thinking");
    json::write_string(w, thinking->text);
    w.Key("claude-reasoning-signature");
    json::write_string(w, thinking->signature);
  }
  if (redacted) {
    w.Key("claude-redacted-thinking");
    json::write_string(w, redacted->text);
  }
  if (blocks.size() > 1) {
    w.Key("claude-thinking-blocks");
    w.StartArray();
    for (const ThinkingBlock* b : blocks) {
      w.StartObject();
      w.Key("type");
      w.String(b->redacted ? "redacted_thinking" : "thinking");
      if (b->redacted) {
        w.Key("data");
        json::write_string(w, b->text);
      } else {
        w.Key("thinking");
        json::write_string(w, b->text);
        w.Key("signature");
        json::write_string(w, b->signature);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

// stop_reason "refusal": Claude declined to answer.
Error refusal_error(std::string_view stop_reason) {
  return Error{ErrorCode::Provider, "Anthropic refused to answer (stop_reason " + std::string(stop_reason) + ")", 0,
               ""};
}

// Streaming: named SSE events whose JSON "type" equals the event name.
class AnthropicStreamDecoder : public Decoder {
 public:
  void on_record(const Record& record) override {
    if (error_ || stopped_ || record.data.empty()) return;
    std::string parse_error;
    const Value* root = parse_record(record, &parse_error);
    if (!root || !root->IsObject()) {
      fail(ErrorCode::Protocol,
           "Anthropic sent an invalid " + record.type +
               " event: " + (root ? std::string("not a JSON object") : parse_error),
           record.data);
      return;
    }
    const Value& doc = *root;
    std::string_view type = json::string_member(doc, "type");
    if (type.empty()) type = record.type;

    if (type == "content_block_delta") {
      on_delta(doc);
    } else if (type == "content_block_start") {
      on_block_start(doc);
    } else if (type == "content_block_stop") {
      on_block_stop(json::int_member(doc, "index", 0));
    } else if (type == "message_start") {
      if (const Value* message = json::object_member(doc, "message"))
        if (const Value* usage = json::object_member(*message, "usage")) read_usage(*usage);
    } else if (type == "message_delta") {
      if (const Value* usage = json::object_member(doc, "usage")) read_usage(*usage);
      if (const Value* delta = json::object_member(doc, "delta")) {
        std::string_view stop = json::string_member(*delta, "stop_reason");
        if (!stop.empty()) {
          // A stop reason shows the answer complete, even if message_stop never comes.
          result_.finish_reason.assign(stop);
          if (stop == "refusal") {
            error_ = refusal_error(stop);
            return;
          }
          complete_ = true;
        }
      }
    } else if (type == "message_stop") {
      complete_ = true;
      stopped_ = true;
    } else if (type == "error") {
      const Value* error = json::object_member(doc, "error");
      fail(ErrorCode::Provider, error ? describe_error(*error) : "Anthropic error: " + record.data, record.data);
    }
    // ping and event types added later are ignored, as Anthropic asks.
  }

  void finish() override { fail_unless_complete("Anthropic stream ended before message_stop or a stop_reason"); }

 private:
  void read_usage(const Value& usage) {
    record_usage(json::int_member(usage, "input_tokens"), json::int_member(usage, "output_tokens"));
  }

  struct Block {
    std::string type;
    std::string id;
    std::string name;
    std::string input_json;      // input_json_delta fragments, joined
    size_t thinking = SIZE_MAX;  // its entry in thinking_, for a thinking block
  };

  // Block indexes are small and dense; anything else is a malformed stream.
  static constexpr int64_t kMaxBlocks = 4096;

  Block* block_at(int64_t index) {
    if (index < 0 || index >= kMaxBlocks) {
      fail(ErrorCode::Protocol, "Anthropic sent a content block index out of range: " + std::to_string(index), "");
      return nullptr;
    }
    if (static_cast<size_t>(index) >= blocks_.size()) blocks_.resize(static_cast<size_t>(index) + 1);
    return &blocks_[static_cast<size_t>(index)];
  }

  void on_block_start(const Value& doc) {
    Block* slot = block_at(json::int_member(doc, "index", 0));
    if (!slot) return;
    Block& block = *slot;
    block = Block{};
    const Value* cb = json::object_member(doc, "content_block");
    if (!cb) return;
    block.type = json::string_member(*cb, "type");
    if (block.type == "tool_use") {
      block.id = json::string_member(*cb, "id");
      block.name = json::string_member(*cb, "name");
    } else if (block.type == "redacted_thinking") {
      thinking_.push_back({true, std::string(json::string_member(*cb, "data")), ""});
      result_.multi_turn_json = multi_turn_json(thinking_);
    } else if (block.type == "text") {
      result_.text += json::string_member(*cb, "text");  // normally "", but keep what comes
    } else if (block.type == "thinking") {
      block.thinking = thinking_.size();
      thinking_.push_back({false, std::string(json::string_member(*cb, "thinking")), ""});
      result_.reasoning += thinking_.back().text;
    }
  }

  // The thinking block a delta at this index belongs to, or nullptr.
  ThinkingBlock* thinking_at(const Value& doc) {
    Block* block = block_at(json::int_member(doc, "index", 0));
    if (!block || block->type != "thinking" || block->thinking >= thinking_.size()) return nullptr;
    return &thinking_[block->thinking];
  }

  void on_delta(const Value& doc) {
    const Value* delta = json::object_member(doc, "delta");
    if (!delta) return;
    std::string_view type = json::string_member(*delta, "type");
    if (type == "text_delta") {
      result_.text += json::string_member(*delta, "text");
    } else if (type == "thinking_delta") {
      std::string_view text = json::string_member(*delta, "thinking");
      result_.reasoning += text;
      if (ThinkingBlock* thinking = thinking_at(doc)) thinking->text += text;
    } else if (type == "input_json_delta") {
      if (Block* block = block_at(json::int_member(doc, "index", 0)))
        block->input_json += json::string_member(*delta, "partial_json");
    } else if (type == "signature_delta") {
      if (ThinkingBlock* thinking = thinking_at(doc)) thinking->signature += json::string_member(*delta, "signature");
    }
  }

  void on_block_stop(int64_t index) {
    Block* slot = block_at(index);
    if (!slot) return;
    Block& block = *slot;
    if (block.type == "tool_use") {
      ToolCall call;
      call.id = std::move(block.id);
      call.name = std::move(block.name);
      // No-argument tools stream a single "" fragment, which becomes {}.
      call.args_json = std::move(block.input_json);
      if (!accept_tool_call(std::move(call), true)) return;
    } else if (block.type == "thinking") {
      result_.multi_turn_json = multi_turn_json(thinking_);
    }
    block = Block{};
  }

  std::vector<Block> blocks_;
  std::vector<ThinkingBlock> thinking_;  // every thinking and redacted block, in order
  bool stopped_ = false;                 // message_stop seen: later events are ignored
};

// Non-streaming: one record holding the whole Message (or error) body.
class AnthropicBodyDecoder : public Decoder {
 public:
  void on_record(const Record& record) override {
    if (error_ || complete_) return;
    const Value* root = parse_object(record, "Anthropic sent an invalid response body: ",
                                     "Anthropic sent an invalid response body: not a JSON object");
    if (!root) return;
    const Value& doc = *root;
    if (const Value* error = json::object_member(doc, "error")) {
      fail(ErrorCode::Provider, describe_error(*error), record.data);
      return;
    }
    std::vector<ThinkingBlock> thinking;
    if (const Value* content = json::array_member(doc, "content")) {
      for (const Value& block : content->GetArray()) {
        std::string_view type = json::string_member(block, "type");
        if (type == "text") {
          result_.text += json::string_member(block, "text");
        } else if (type == "thinking") {
          result_.reasoning += json::string_member(block, "thinking");
          thinking.push_back({false, std::string(json::string_member(block, "thinking")),
                              std::string(json::string_member(block, "signature"))});
        } else if (type == "redacted_thinking") {
          thinking.push_back({true, std::string(json::string_member(block, "data")), ""});
        } else if (type == "tool_use") {
          const Value* input = json::object_member(block, "input");
          result_.tool_calls.push_back(ToolCall{std::string(json::string_member(block, "id")),
                                                std::string(json::string_member(block, "name")),
                                                input ? json::to_string(*input) : "{}", ""});
        }
      }
    }
    if (const Value* usage = json::object_member(doc, "usage"))
      record_usage(json::int_member(*usage, "input_tokens"), json::int_member(*usage, "output_tokens"));
    result_.finish_reason = json::string_member(doc, "stop_reason");
    if (result_.finish_reason == "refusal") {
      error_ = refusal_error(result_.finish_reason);
      return;
    }
    result_.multi_turn_json = multi_turn_json(thinking);
    complete_ = true;
  }

  void finish() override { fail_unless_complete("Anthropic response body was empty"); }
};

}  // namespace

const Dialect& anthropic_dialect() {
  static const PartsDialect instance(
      DialectParts{build_anthropic_body, Format::Sse, make_decoder_of<AnthropicStreamDecoder, AnthropicBodyDecoder>,
                   [](const std::string& body) { return dialect::error_body_message(body, describe_error); }});
  return instance;
}

}  // namespace llm_native
