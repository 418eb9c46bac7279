#include "utf8.hpp"

#include <cstdint>
#include <cstring>

namespace llm_native::utf8 {

namespace {

enum class Sequence { Valid, Invalid, Incomplete };

// Classifies the sequence starting at p[0] (a byte >= 0x80), n >= 1 bytes available.
// Sets *length to the bytes the sequence occupies: for Invalid the maximal subpart to
// replace by one U+FFFD (at least 1), for Incomplete the valid prefix seen so far.
Sequence classify(const unsigned char* p, std::size_t n, std::size_t* length) {
  const unsigned lead = p[0];
  std::size_t continuation_count;
  unsigned lower = 0x80, upper = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuation_count = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuation_count = 2;
    if (lead == 0xE0)
      lower = 0xA0;  // overlong
    else if (lead == 0xED)
      upper = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuation_count = 3;
    if (lead == 0xF0)
      lower = 0x90;  // overlong
    else if (lead == 0xF4)
      upper = 0x8F;  // above U+10FFFF
  } else {
    *length = 1;  // continuation byte without a lead, C0, C1, F5..FF
    return Sequence::Invalid;
  }
  for (std::size_t i = 1; i <= continuation_count; ++i) {
    if (i >= n) {
      *length = i;
      return Sequence::Incomplete;
    }
    const unsigned byte = p[i];
    if (byte < lower || byte > upper) {
      *length = i;  // the offending byte starts the next sequence
      return Sequence::Invalid;
    }
    lower = 0x80;
    upper = 0xBF;
  }
  *length = continuation_count + 1;
  return Sequence::Valid;
}

// Index of the first byte >= 0x80 at or after `from`, eight bytes at a time.
inline std::size_t skip_ascii(const unsigned char* p, std::size_t n, std::size_t from) {
  std::size_t i = from;
  while (i + 8 <= n) {
    std::uint64_t word;
    std::memcpy(&word, p + i, 8);
    if (word & 0x8080808080808080ULL) break;
    i += 8;
  }
  while (i < n && p[i] < 0x80) ++i;
  return i;
}

}  // namespace

// Every text handed to Emacs is checked on the main thread: eight bytes at a time.
bool is_ascii(std::string_view text) {
  return skip_ascii(reinterpret_cast<const unsigned char*>(text.data()), text.size(), 0) == text.size();
}

std::size_t valid_prefix_length(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  for (;;) {
    i = skip_ascii(p, n, i);
    if (i >= n) return n;
    std::size_t length;
    if (classify(p + i, n - i, &length) != Sequence::Valid) return i;
    i += length;
  }
}

void append_sanitized(std::string& out, std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = valid_prefix_length(text);
  if (i == n) {
    out.append(text.data(), n);
    return;
  }
  out.reserve(out.size() + n + 8);
  out.append(text.data(), i);
  while (i < n) {
    std::size_t run_end = skip_ascii(p, n, i);
    std::size_t length = 0;
    Sequence kind = Sequence::Valid;
    // Extend the run over valid multi-byte sequences, stop at the first bad one.
    while (run_end < n) {
      kind = classify(p + run_end, n - run_end, &length);
      if (kind != Sequence::Valid) break;
      run_end = skip_ascii(p, n, run_end + length);
    }
    out.append(text.data() + i, run_end - i);
    if (run_end >= n) break;
    // Invalid, or truncated at the end of the text: one U+FFFD for the maximal subpart.
    out.append(kReplacement.data(), kReplacement.size());
    i = run_end + length;
  }
}

std::string sanitized(std::string_view text) {
  std::string out;
  append_sanitized(out, text);
  return out;
}

void sanitize_in_place(std::string& text) {
  if (is_valid(text)) return;
  std::string repaired;
  append_sanitized(repaired, text);
  text.swap(repaired);
}

std::size_t incomplete_tail_length(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    const unsigned byte = p[n - back];
    if (byte < 0x80) return 0;
    if (byte >= 0xC0) {  // a lead byte (or an invalid one): the sequence starts here
      std::size_t length;
      return classify(p + n - back, back, &length) == Sequence::Incomplete ? back : 0;
    }
  }
  return 0;
}

}  // namespace llm_native::utf8
