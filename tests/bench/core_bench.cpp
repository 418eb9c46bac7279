// core_bench: fetch one streamed chat through the core engine alone, no Emacs, to show what
// the transport and decoding cost by themselves (benchmark scenario 8, "the limit").
//
// Usage: core_bench --url URL [--runs N] [--dialect openai-chat] [--out FILE]
//
// Each run starts one streaming chat request and polls Engine::drain() (doorbell fd -1, so
// nothing rings) until its terminal event. Prints one JSON line per run on stdout:
//   {"run":0,"ok":true,"wall_s":..,"cpu_s":..,"main_cpu_s":..,"text_bytes":..,"progress":..}
// cpu_s is the whole process (worker thread included, from getrusage); main_cpu_s is the
// polling thread alone. --out writes the last run's final text, for a byte-exact check.
// Exit status 0 when every run ended with Done, 1 otherwise.

#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>

#include "dialect.hpp"
#include "engine.hpp"

namespace llm_native {
namespace {

struct Options {
  std::string url;
  std::string dialect = "openai-chat";
  std::string out;
  int runs = 1;
};

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--url") options.url = value();
    else if (arg == "--runs") options.runs = std::max(1, std::atoi(value().c_str()));
    else if (arg == "--dialect") options.dialect = value();
    else if (arg == "--out") options.out = value();
    else throw std::invalid_argument("unknown argument: " + arg);
  }
  if (options.url.empty()) throw std::invalid_argument("--url is required");
  return options;
}

double seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

// CPU seconds of the whole process: every thread, the engine's worker included.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU seconds of the calling thread alone (the thread that plays Emacs's main thread).
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// JSON string escaping for error messages.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

struct RunResult {
  bool ok = false;
  std::string text;
  std::string error;
  uint64_t progress_events = 0;
};

RunResult fetch_once(Engine& engine, const RequestSpec& prototype) {
  RunResult result;
  RequestId id = engine.start(prototype);
  for (;;) {
    std::vector<Event> events = engine.drain();
    for (Event& event : events) {
      if (event.id != id) continue;
      if (event.kind == EventKind::Progress) ++result.progress_events;
      if (!event.terminal()) continue;
      if (event.kind == EventKind::Done && event.result) {
        result.ok = true;
        result.text = std::move(event.result->text);
      } else if (event.kind == EventKind::Error) {
        result.error = event.error.message;
      } else {
        result.error = "request ended without a result";
      }
      return result;
    }
    // Polling stands in for the doorbell; 1 ms keeps the added latency small.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

int run(const Options& options) {
  const Dialect& dialect = find_dialect(options.dialect);
  RequestSpec spec;
  spec.method = "POST";
  spec.url = options.url;
  spec.headers = {"Content-Type: application/json", "Authorization: Bearer bench-key"};
  spec.body = dialect.build_body(
      R"({"model":"bench-model","interactions":[{"role":"user","content":"Go"}]})", true);
  spec.dialect = &dialect;
  spec.streaming = true;
  spec.idle_timeout_ms = 60000;

  Engine engine(-1);
  bool all_ok = true;
  std::string last_text;
  for (int run_index = 0; run_index < options.runs; ++run_index) {
    auto wall_start = std::chrono::steady_clock::now();
    double cpu_start = process_cpu_seconds();
    double main_start = thread_cpu_seconds();
    RunResult result = fetch_once(engine, spec);
    double main_cpu = thread_cpu_seconds() - main_start;
    double cpu = process_cpu_seconds() - cpu_start;
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    all_ok = all_ok && result.ok;
    std::printf("{\"run\":%d,\"ok\":%s,\"wall_s\":%.6f,\"cpu_s\":%.6f,\"main_cpu_s\":%.6f,"
                "\"text_bytes\":%zu,\"progress\":%llu%s%s}\n",
                run_index, result.ok ? "true" : "false", wall, cpu, main_cpu, result.text.size(),
                static_cast<unsigned long long>(result.progress_events),
                result.error.empty() ? "" : ",\"error\":",
                result.error.empty() ? "" : quoted(result.error).c_str());
    std::fflush(stdout);
    last_text = std::move(result.text);
  }
  engine.close();
  if (!options.out.empty()) {
    std::ofstream file(options.out, std::ios::binary);
    file.write(last_text.data(), static_cast<std::streamsize>(last_text.size()));
    if (!file) {
      std::fprintf(stderr, "core_bench: cannot write %s\n", options.out.c_str());
      return 1;
    }
  }
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace llm_native

int main(int argc, char** argv) {
  try {
    return llm_native::run(llm_native::parse_options(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "core_bench: %s\n", e.what());
    return 2;
  }
}
