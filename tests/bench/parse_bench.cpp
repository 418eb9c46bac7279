// parse_bench: the worker-thread CPU of framing and decoding JSON records with two parses
// (the framer validates, the decoder parses again) and with one (the framer parses into the
// decoder's parser, Record::parsed). Thread CPU time, median of 21 runs; prints a table.
// Run: build/tests/bench/parse_bench (built with the tests; `make bench' builds it too).
#include <time.h>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>
#include "dialect.hpp"
#include "framing.hpp"
using namespace llm_native;
struct Sink : RecordSink {
  Decoder* d; bool hand;
  void on_record(Record&& r) override { d->on_record(r); }
  void on_error(Error&& e) override { std::printf("framing error: %s\n", e.message.c_str()); }
  json::RecordParser* json_parser() override { return hand ? &d->parser() : nullptr; }
};
double cpu() { timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }
double run(const char* dialect, Format f, const std::string& body, bool hand, int reps) {
  std::vector<double> v;
  for (int i = 0; i < reps; ++i) {
    auto dec = find_dialect(dialect).make_decoder(true);
    Sink s; s.d = dec.get(); s.hand = hand;
    auto fr = f == Format::JsonArray ? make_json_array_or_document_framer() : make_framer(f);
    double t0 = cpu();
    for (size_t at = 0; at < body.size(); at += 16384) fr->feed(body.data() + at, std::min<size_t>(16384, body.size() - at), s);
    fr->finish(s);
    dec->finish();
    v.push_back(cpu() - t0);
    if (dec->error()) std::printf("decoder error: %s\n", dec->error()->message.c_str());
  }
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
int main() {
  // Big record: one Gemini chunk whose text is 4 MiB.
  std::string text(4 << 20, 'x');
  for (size_t i = 0; i < text.size(); i += 80) text[i] = ' ';
  std::string big = "[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"" + text +
                    "\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}]}]";
  // Throughput: 20,000 small Ollama NDJSON lines.
  std::string lines;
  for (int i = 0; i < 20000; ++i) lines += "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"tok" + std::to_string(i) + " \"},\"done\":false}\n";
  lines += "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\"}\n";
  // 20,000 Gemini array chunks.
  std::string chunks = "[";
  for (int i = 0; i < 20000; ++i) chunks += std::string(i ? "," : "") + "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"tok" + std::to_string(i) + " \"}],\"role\":\"model\"}}]}";
  chunks += ",{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}]}]";
  const int reps = 21;
  std::printf("scenario                    two parses  one parse  (worker thread CPU, median of %d)\n", reps);
  std::printf("big record (4 MiB, gemini)  %8.2f ms %8.2f ms\n", 1e3 * run("gemini", Format::JsonArray, big, false, reps), 1e3 * run("gemini", Format::JsonArray, big, true, reps));
  std::printf("20k ndjson lines (ollama)   %8.2f ms %8.2f ms\n", 1e3 * run("ollama", Format::Ndjson, lines, false, reps), 1e3 * run("ollama", Format::Ndjson, lines, true, reps));
  std::printf("20k array chunks (gemini)   %8.2f ms %8.2f ms\n", 1e3 * run("gemini", Format::JsonArray, chunks, false, reps), 1e3 * run("gemini", Format::JsonArray, chunks, true, reps));
}
