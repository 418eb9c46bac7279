#include "event_queue.hpp"

#include <cerrno>
#include <unistd.h>

namespace llm_native {

void EventQueue::ring_locked() {
  if (bell_pending_ || fd_ < 0) return;
  bell_pending_ = true;
  const char byte = '!';
  // SIGPIPE is blocked in every thread the module creates, so a deleted pipe gives EPIPE.
  // A failed write is harmless: the next drain still finds every event.
  ssize_t n;
  do {
    n = ::write(fd_, &byte, 1);
  } while (n < 0 && errno == EINTR);
  rings_.fetch_add(1, std::memory_order_relaxed);
}

void EventQueue::push(Event&& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  events_.push_back(std::move(event));
  ring_locked();
}

void EventQueue::push_progress(RequestId id, const char* text, size_t text_len,
                               const char* reasoning, size_t reasoning_len) {
  if (text_len == 0 && reasoning_len == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, first] = pending_.try_emplace(id);
  it->second.text.append(text, text_len);
  it->second.reasoning.append(reasoning, reasoning_len);
  if (first) {  // one marker per request until the next drain
    Event marker;
    marker.id = id;
    marker.kind = EventKind::Progress;
    events_.push_back(std::move(marker));
    ring_locked();
  }
}

std::vector<Event> EventQueue::drain() {
  std::vector<Event> out;
  std::unordered_map<RequestId, Pending> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    out.swap(events_);
    // Every pending delta has its marker in `out`; deltas that arrive after this point
    // queue a new marker.
    pending.swap(pending_);
    bell_pending_ = false;
  }
  std::vector<Event> kept;
  kept.reserve(out.size());
  for (Event& e : out) {
    if (forgotten_.count(e.id)) {
      if (e.terminal()) forgotten_.erase(e.id);
      continue;
    }
    if (e.kind == EventKind::Progress) {
      auto p = pending.find(e.id);
      if (p == pending.end()) continue;
      e.text = std::move(p->second.text);
      e.reasoning = std::move(p->second.reasoning);
    }
    kept.push_back(std::move(e));
  }
  return kept;
}

void EventQueue::forget(RequestId id) { forgotten_.insert(id); }

void EventQueue::disconnect_doorbell() {
  std::lock_guard<std::mutex> lock(mutex_);
  fd_ = -1;
}

}  // namespace llm_native
