// The engine: one worker thread that owns a libcurl multi handle and runs every request.
//
// Threads: start/cancel/drain/close are called from one thread (Emacs's main thread); the
// worker thread does all network I/O, framing and decoding, and talks back only through
// the EventQueue. Every request ends with exactly one terminal event (Done, Error or
// Cancelled), queued after all its other events.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dialect.hpp"
#include "event.hpp"
#include "event_queue.hpp"
#include "framing.hpp"
#include "meter.hpp"

namespace llm_native {

// Bytes one response may decode to (after gzip/br/zstd), by default.
constexpr std::size_t kDefaultMaxResponse = 256u << 20;
// A response header line longer than this, or a response's headers all together longer
// than four times it, fail the request (a protocol error).
constexpr std::size_t kMaxHeaderLine = 64u << 10;

// Which redirects are followed; every hop is checked, and none goes from https to http.
enum class RedirectPolicy {
  None,         // a 3xx is an HTTP error
  SameOrigin,   // the same scheme, host and port as the request (the default)
  CrossOrigin,  // any http(s) origin, without credential headers or a request body
};
// Parses "none", "same-origin", "cross-origin"; throws std::invalid_argument otherwise.
RedirectPolicy parse_redirect_policy(const std::string& name);

struct RequestSpec {
  std::string method = "GET";
  std::string url;                   // http:// or https:// only
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  Format format = Format::Json;      // how a 2xx body is framed (plain requests)
  const Dialect* dialect = nullptr;  // set for chat requests: records go to its decoder
  bool streaming = false;            // chat requests: streamed or whole response
  long connect_timeout_ms = 10000;
  long idle_timeout_ms = 60000;  // no body bytes for this long -> Timeout; 0 = none
  long total_timeout_ms = 0;     // 0 = none
  std::string proxy;             // "" = libcurl's default (the environment's proxies)
  bool insecure = false;         // skip TLS verification (never the default)
  std::size_t max_record = kDefaultMaxRecord;
  std::size_t max_response = kDefaultMaxResponse;  // decoded bytes; past it: TooLarge
  RedirectPolicy redirects = RedirectPolicy::SameOrigin;
  // Header names (any case) dropped, like Authorization and the API-key headers, when a
  // redirect leaves the request's origin.
  std::vector<std::string> secret_headers;
  // Chat requests: the least time between two Progress events (0 = one per drain).
  long progress_interval_ms = 0;
};

struct EngineStats {
  uint64_t started = 0, active = 0, rings = 0, paused = 0;
};

class Engine {
 public:
  // doorbell_fd: written when events are queued (not owned); < 0 for none. limits: the
  // backlog that pauses transfers and the batch one drain() returns.
  explicit Engine(int doorbell_fd, QueueLimits limits = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Validates the spec (std::invalid_argument with a clear message) and queues the request.
  RequestId start(RequestSpec spec);
  // Opens a connection to spec.url's host ahead of requests (a HEAD request whose answer is
  // dropped), so that the first request finds it warm. Only the URL and the connection
  // options of spec count. No event ever comes of it.
  void preconnect(RequestSpec spec);
  // Stops the transfer; the request's later events are dropped and its Cancelled
  // terminal event is swallowed, so the caller sees nothing more from it.
  void cancel(RequestId id);
  // The oldest queued events, at most one batch (see QueueLimits); more may remain.
  std::vector<Event> drain();
  // Stops the worker, cancelling every request; waits at most `wait` for it. Returns false if
  // the worker had to be left to finish on its own. Idempotent.
  bool close(std::chrono::milliseconds wait = std::chrono::milliseconds(2000));
  bool closed() const;
  EngineStats stats() const;
  // The figures of a request not yet drained to its terminal event (else null). The
  // caller may keep the pointer as long as it likes.
  std::shared_ptr<Meter> meter(RequestId id) const;
  // Requests started from now on keep up to `bytes` raw response bytes in their Meter
  // (the debug log); 0 keeps none. Any thread.
  static void set_capture_limit(std::size_t bytes);

 private:
  struct Worker;
  std::shared_ptr<Worker> worker_;
  std::unordered_set<RequestId> live_;                            // started and not yet drained to their terminal event
  std::unordered_map<RequestId, std::shared_ptr<Meter>> meters_;  // of the live_ requests
  uint64_t started_ = 0;
  uint64_t preconnects_ = 0;
  bool closed_ = false;
};

}  // namespace llm_native
