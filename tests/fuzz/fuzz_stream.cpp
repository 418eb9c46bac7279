// libFuzzer target for the stream path: framers and dialect decoders.
// Seeds: tests/fuzz/seeds (the Makefile passes them). Input: byte 0 picks the format (and so the dialects that read it), byte 1 a chunk
// size, the rest is the body. Checks that framing the body whole and in chunks gives
// identical records and errors, and that every decoder survives whatever it is fed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "dialect.hpp"
#include "framing.hpp"
#include "json_util.hpp"
#include "utf8.hpp"

using namespace llm_native;

namespace {

struct Collect final : RecordSink {
  std::vector<Record> records;
  std::vector<std::string> errors;
  void on_record(Record&& r) override { records.push_back(std::move(r)); }
  void on_error(Error&& e) override { errors.push_back(std::string(error_code_name(e.code)) + ":" + e.message); }
};

bool same(const Record& a, const Record& b) { return a.type == b.type && a.data == b.data && a.id == b.id; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Format formats[] = {Format::Sse, Format::Ndjson, Format::JsonArray, Format::Json, Format::Raw};
  Format format = formats[data[0] % 5];
  size_t chunk = 1 + data[1] % 17;
  const char* body = reinterpret_cast<const char*>(data + 2);
  size_t n = size - 2;
  const size_t limit = 4096;

  Collect whole, pieces;
  auto a = make_framer(format, limit);
  a->feed(body, n, whole);
  a->finish(whole);
  auto b = make_framer(format, limit);
  for (size_t at = 0; at < n; at += chunk) b->feed(body + at, std::min(chunk, n - at), pieces);
  b->finish(pieces);

  if (format == Format::Raw) {
    // Raw records may be cut differently; their concatenation may not.
    std::string x, y;
    for (auto& r : whole.records) x += r.data;
    for (auto& r : pieces.records) y += r.data;
    if (x != y) std::abort();
  } else {
    if (whole.records.size() != pieces.records.size() || whole.errors != pieces.errors) std::abort();
    for (size_t i = 0; i < whole.records.size(); ++i)
      if (!same(whole.records[i], pieces.records[i])) std::abort();
  }
  for (auto& r : whole.records)
    if (!utf8::is_valid(r.data) || !utf8::is_valid(r.type)) std::abort();
  // A JSON record is one Emacs can read again (depth, integer range, no \u0000).
  if (format == Format::Ndjson || format == Format::JsonArray || format == Format::Json)
    for (auto& r : whole.records)
      if (!json::validate(r.data)) std::abort();

  // Every decoder that reads this format, streaming and not, must take any record.
  for (std::string_view name : dialect_names()) {
    const Dialect& dialect = find_dialect(name);
    for (bool streaming : {true, false}) {
      Format wants = streaming ? dialect.stream_format() : Format::Json;
      if (wants != format && !(name == "gemini" && format == Format::Sse)) continue;
      auto decoder = dialect.make_decoder(streaming);
      for (auto& r : whole.records) decoder->on_record(r);
      decoder->finish();
      const ChatResult& result = decoder->result();
      if (!utf8::is_valid(result.text) || !utf8::is_valid(result.reasoning)) std::abort();
    }
    dialect.error_message(std::string(body, n));
  }
  return 0;
}
