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
  return parser_.parse(record.data, error);
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

DialectKind parse_dialect(const std::string& name) {
  if (name == "openai-chat") return DialectKind::OpenAiChat;
  if (name == "openai-responses") return DialectKind::OpenAiResponses;
  if (name == "anthropic") return DialectKind::Anthropic;
  if (name == "gemini") return DialectKind::Gemini;
  if (name == "ollama") return DialectKind::Ollama;
  throw std::invalid_argument("unknown dialect: " + name);
}

const Dialect& dialect_for(DialectKind kind) {
  switch (kind) {
    case DialectKind::OpenAiChat: return openai_chat_dialect();
    case DialectKind::OpenAiResponses: return openai_responses_dialect();
    case DialectKind::Anthropic: return anthropic_dialect();
    case DialectKind::Gemini: return gemini_dialect();
    case DialectKind::Ollama: return ollama_dialect();
  }
  throw std::invalid_argument("unknown dialect");
}

}  // namespace llm_native
