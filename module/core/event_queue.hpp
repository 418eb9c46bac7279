// The queue between the worker and Emacs's main thread, with its doorbell.
//
// Workers push; the main thread drains. The doorbell is a file descriptor (in Emacs, the
// one `open_channel` returns): one byte is written to it only when no wake-up is pending,
// so at most one byte is ever outstanding per drain and a worker never blocks on it.
//
// Chat progress is coalesced: a worker appends text deltas to the request's pending
// buffer and queues one Progress marker until the next drain, so a drain hands each
// request one delta (all the text since the previous drain), whatever the number of
// tokens that arrived. Only new bytes cross into Lisp, which appends them to the text
// it holds: a long answer is never decoded into a Lisp string twice.
//
// When a request ends in the same drain as its last delta, the Done event may carry the
// whole text instead and the delta is dropped, whichever costs Emacs fewer bytes (see
// fold_final_progress): Lisp then gets one string rather than the delta plus a joined copy
// (it makes that text the last partial).
//
// Progress can also be paced: with an interval, a request's marker is queued at most once
// per interval. Text that comes sooner is held (the main thread is not woken for it) until
// the worker's release_held() finds the interval over, or the request's terminal event is
// pushed, which queues the held text's marker first. Each partial callback hands Lisp the
// whole text so far, so fewer of them cons far less on a fast stream.
//
// The queue is bounded from both ends: drain() hands over at most a batch (the rest stays
// queued, and the doorbell rings again), and backlogged() tells the worker to pause its
// transfers while more than a budget of events or bytes waits for the main thread.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "event.hpp"

namespace llm_native {

// How much the queue holds before the worker pauses, and hands over per drain.
struct QueueLimits {
  std::size_t backlog_events = 10000;
  std::size_t backlog_bytes = 32u << 20;
  std::size_t drain_events = 1024;
  std::size_t drain_bytes = 4u << 20;
};

class EventQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // doorbell_fd < 0: no doorbell (tests poll drain instead). The queue does not own the fd.
  explicit EventQueue(int doorbell_fd, QueueLimits limits = {}) : fd_(doorbell_fd), limits_(limits) {}

  // Any thread.
  void push(Event&& event);
  // Any thread: append streamed text and reasoning for a chat request. With a non-zero
  // interval, its marker is queued at most once per interval (the first text never waits);
  // now is the time of the push.
  void push_progress(RequestId id, const char* text, size_t text_len, const char* reasoning, size_t reasoning_len,
                     Clock::duration interval = {}, Clock::time_point now = {});
  // Worker: queue the markers of held text whose interval is over by now. Returns when the
  // next held text falls due, or Clock::time_point::max() when none is held.
  Clock::time_point release_held(Clock::time_point now);
  // Main thread: the oldest queued events, in order, at most a batch of the limits' drain
  // size (always at least one event); Progress events carry the text and reasoning that
  // arrived since the request's previous Progress event. When events are left behind the
  // doorbell rings again, so the next drain comes from the event loop.
  std::vector<Event> drain();
  // Any thread: more than the backlog budget waits to be drained.
  bool backlogged() const {
    return queued_events_.load(std::memory_order_relaxed) > limits_.backlog_events ||
           queued_bytes_.load(std::memory_order_relaxed) > limits_.backlog_bytes;
  }
  // Drops every later event of this request (main thread, after a cancel).
  void forget(RequestId id);
  // Stops ringing (the fd is about to be closed).
  void disconnect_doorbell();
  // Number of doorbell bytes written; for tests and stats.
  uint64_t rings() const { return rings_.load(); }

 private:
  // A chat request's progress, from its first delta to the drain after its terminal event.
  struct Stream {
    std::string text, reasoning;  // not drained yet
    bool marked = false;          // its Progress marker is in events_
    bool held = false;            // text waits for the interval to pass
    bool ended = false;           // its terminal event is queued
    Clock::duration interval{};
    Clock::time_point last_mark{};  // when its marker was last queued
  };
  void mark_locked(RequestId id, Stream& s);  // queue its Progress marker
  static void fold_final_progress(std::vector<Event>& events);
  void ring_locked();
  void ring_again_locked();
  static std::size_t weight(const Event& e);

  std::mutex mutex_;
  std::vector<Event> events_;
  std::unordered_map<RequestId, Stream> streams_;
  std::size_t held_ = 0;  // streams with held text
  bool bell_pending_ = false;
  int fd_;
  QueueLimits limits_;
  std::atomic<uint64_t> rings_{0};
  // Events and payload bytes queued and not yet drained (pending and held deltas included).
  std::atomic<std::size_t> queued_events_{0}, queued_bytes_{0};
  // Main thread only: cancelled requests whose terminal event has not been drained yet.
  std::unordered_set<RequestId> forgotten_;
};

}  // namespace llm_native
