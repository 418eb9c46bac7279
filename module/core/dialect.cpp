#include "dialect.hpp"

#include <stdexcept>

namespace llm_native {

// Defined in the dialect_*.cpp files, one per wire protocol.
const Dialect& openai_chat_dialect();
const Dialect& openai_responses_dialect();
const Dialect& anthropic_dialect();
const Dialect& gemini_dialect();
const Dialect& ollama_dialect();

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
