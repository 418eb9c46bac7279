// UTF-8 validation and repair, following the Encoding Standard's UTF-8 decoder: each
// maximal invalid subpart (stray continuation byte, overlong form, encoded surrogate,
// code point above U+10FFFF, truncated sequence, C0/C1/F5..FF) becomes one U+FFFD.
// The framers use this so that everything they hand on is valid UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace llm_native::utf8 {

// The replacement character U+FFFD, encoded.
inline constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the longest prefix of text that is valid UTF-8 (text.size() when all valid).
std::size_t valid_prefix_length(std::string_view text);

inline bool is_valid(std::string_view text) { return valid_prefix_length(text) == text.size(); }

// True when every byte of text is ASCII (Emacs takes such text as a unibyte string).
bool is_ascii(std::string_view text);

// Appends text to out with every invalid sequence replaced by U+FFFD. Valid input is
// appended in one piece.
void append_sanitized(std::string& out, std::string_view text);

// Returns text with every invalid sequence replaced by U+FFFD.
std::string sanitized(std::string_view text);

// Replaces invalid sequences in place; valid text is left untouched (no copy).
void sanitize_in_place(std::string& text);

// How many bytes at the end of text are the start of a multi-byte sequence that is
// still valid so far but incomplete (0 to 3). A streaming decoder holds those back
// until the next chunk.
std::size_t incomplete_tail_length(std::string_view text);

}  // namespace llm_native::utf8
