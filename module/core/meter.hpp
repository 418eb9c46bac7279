// A request's figures for the request list, the status line and the wire log.
//
// The worker writes them as the transfer runs; the main thread reads them at any time,
// also after the request ended (it holds its own reference). Counters are relaxed
// atomics: a reader wants a recent value, not an ordering. The raw-bytes capture exists
// only for requests started while the debug log was on (capture_limit > 0); for every
// other request it costs one branch per write.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace llm_native {

struct Meter {
  using Clock = std::chrono::steady_clock;

  explicit Meter(std::size_t capture_limit) : capture_limit(capture_limit) {}

  const Clock::time_point started = Clock::now();
  const std::size_t capture_limit;      // raw response bytes kept at most; 0 = none
  std::atomic<uint64_t> bytes{0};       // body bytes received (after content decoding)
  std::atomic<uint64_t> text_bytes{0};  // chat: text and reasoning bytes decoded so far
  std::atomic<long> status{0};          // HTTP status once known
  // Microseconds since `started`; -1 until it happened.
  std::atomic<int64_t> first_byte_us{-1};   // first body byte
  std::atomic<int64_t> first_token_us{-1};  // first text delta or record
  std::atomic<int64_t> end_us{-1};          // terminal event queued

  int64_t elapsed_us() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count();
  }
  // Sets `at` to now unless it is set already.
  void mark(std::atomic<int64_t>& at) {
    if (at.load(std::memory_order_relaxed) < 0) at.store(elapsed_us(), std::memory_order_relaxed);
  }
  void capture(const char* data, std::size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t room = capture_limit > raw_.size() ? capture_limit - raw_.size() : 0;
    raw_.append(data, std::min(room, size));
    if (size > room) truncated_ = true;
  }
  // The captured bytes, and whether some were left out.
  std::string raw(bool* truncated) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (truncated) *truncated = truncated_;
    return raw_;
  }

 private:
  mutable std::mutex mutex_;
  std::string raw_;
  bool truncated_ = false;
};

}  // namespace llm_native
