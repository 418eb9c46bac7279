#include "dialect.hpp"

#include <stdexcept>

namespace llm_native {

// Defined in the dialect_*.cpp files, one per wire protocol.
const Dialect& openai_chat_dialect();
const Dialect& openai_responses_dialect();
const Dialect& anthropic_dialect();
const Dialect& gemini_dialect();
const Dialect& ollama_dialect();

const json::Value* Decoder::parse_record(const Record& record, std::string* error) {
  if (record.parsed) return record.parsed;
  return parser_.parse(record.data, error);
}

const json::Value* Decoder::parse_object(const Record& record, std::string_view malformed,
                                         std::string_view not_object) {
  std::string parse_error;
  const json::Value* root = parse_record(record, &parse_error);
  if (root && root->IsObject()) return root;
  fail(ErrorCode::Protocol, root ? std::string(not_object) : std::string(malformed) + parse_error, record.data);
  return nullptr;
}

void Decoder::fail_unless_complete(std::string_view message) {
  if (!error_ && !complete_) fail(ErrorCode::Truncated, std::string(message));
}

void Decoder::fail(ErrorCode code, std::string message, std::string body) {
  error_ = make_error(code, std::move(message), std::move(body));
}

void Decoder::record_usage(int64_t input, int64_t output) {
  if (input >= 0) result_.input_tokens = input;
  if (output >= 0) result_.output_tokens = output;
}

bool Decoder::accept_tool_call(ToolCall call, bool compact) {
  std::string why;
  if (!dialect::normalize_tool_arguments(call.args_json, compact, &why)) {
    fail(ErrorCode::Protocol, "invalid JSON arguments for tool call '" + call.name + "': " + why, call.args_json);
    return false;
  }
  result_.tool_calls.push_back(std::move(call));
  return true;
}

namespace {

// The registry: one line per dialect.
struct Registration {
  std::string_view name;
  const Dialect& (*dialect)();
};
constexpr Registration kDialects[] = {
    {"openai-chat", openai_chat_dialect}, {"openai-responses", openai_responses_dialect},
    {"anthropic", anthropic_dialect},     {"gemini", gemini_dialect},
    {"ollama", ollama_dialect},
};

}  // namespace

const Dialect& find_dialect(std::string_view name) {
  for (const Registration& r : kDialects)
    if (r.name == name) return r.dialect();
  std::string known;
  for (const Registration& r : kDialects) known.append(known.empty() ? "" : ", ").append(r.name);
  throw std::invalid_argument("unknown dialect: " + std::string(name) + " (known: " + known + ")");
}

std::vector<std::string_view> dialect_names() {
  std::vector<std::string_view> names;
  for (const Registration& r : kDialects) names.push_back(r.name);
  return names;
}

}  // namespace llm_native
