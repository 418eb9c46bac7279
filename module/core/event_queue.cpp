#include "event_queue.hpp"

#include "utf8.hpp"

#include <algorithm>
#include <cerrno>
#include <iterator>
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

// Force a byte onto the doorbell even if one was written before this drain: events were
// left behind, and the main thread must come back for them.
void EventQueue::ring_again_locked() {
  bell_pending_ = false;
  ring_locked();
}

// The payload bytes an event holds (what the backlog and drain byte budgets count).
std::size_t EventQueue::weight(const Event& e) {
  return e.record.data.size() + e.record.type.size() + e.error.message.size() + e.error.body.size() +
         (e.result ? e.result->text.size() + e.result->reasoning.size() : 0);
}

void EventQueue::push(Event&& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (event.terminal()) {
    auto it = streams_.find(event.id);
    if (it != streams_.end()) {
      Stream& s = it->second;
      // Held text goes ahead of the end, so the last partial callback has it all.
      if (s.held) {
        s.held = false;
        --held_;
        mark_locked(event.id, s);
      }
      if (s.marked) {
        s.ended = true;  // the drain of its marker drops it
      } else {
        streams_.erase(it);
      }
    }
  }
  const std::size_t bytes = weight(event);
  events_.push_back(std::move(event));
  queued_events_.fetch_add(1, std::memory_order_relaxed);
  queued_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  ring_locked();
}

void EventQueue::mark_locked(RequestId id, Stream& s) {
  Event marker;
  marker.id = id;
  marker.kind = EventKind::Progress;
  events_.push_back(std::move(marker));
  queued_events_.fetch_add(1, std::memory_order_relaxed);
  s.marked = true;
  ring_locked();
}

void EventQueue::push_progress(RequestId id, const char* text, size_t text_len, const char* reasoning,
                               size_t reasoning_len, Clock::duration interval, Clock::time_point now) {
  if (text_len == 0 && reasoning_len == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, first] = streams_.try_emplace(id);
  Stream& s = it->second;
  s.text.append(text, text_len);
  s.reasoning.append(reasoning, reasoning_len);
  queued_bytes_.fetch_add(text_len + reasoning_len, std::memory_order_relaxed);
  if (s.marked || s.held) return;  // joins the queued marker, or the held text
  s.interval = interval;
  if (!first && interval > Clock::duration::zero() && now - s.last_mark < interval) {
    s.held = true;
    ++held_;
    return;
  }
  s.last_mark = now;
  mark_locked(id, s);
}

EventQueue::Clock::time_point EventQueue::release_held(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  Clock::time_point next = Clock::time_point::max();
  if (held_ == 0) return next;
  for (auto& [id, s] : streams_) {
    if (!s.held) continue;
    Clock::time_point due = s.last_mark + s.interval;
    if (now >= due) {
      s.held = false;
      --held_;
      s.last_mark = now;
      mark_locked(id, s);
    } else {
      next = std::min(next, due);
    }
  }
  return next;
}

std::vector<Event> EventQueue::drain() {
  std::vector<Event> out;
  std::size_t taken_bytes = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // One batch from the front: at least one event, then up to the drain limits.
    std::size_t n = 0;
    for (; n < events_.size(); ++n) {
      const Event& e = events_[n];
      std::size_t bytes = weight(e);
      if (e.kind == EventKind::Progress) {
        auto p = streams_.find(e.id);
        if (p != streams_.end()) bytes += p->second.text.size() + p->second.reasoning.size();
      }
      if (n > 0 && (n >= limits_.drain_events || taken_bytes + bytes > limits_.drain_bytes)) break;
      taken_bytes += bytes;
    }
    if (n == events_.size()) {
      out.swap(events_);
    } else {
      out.assign(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.begin() + n));
      events_.erase(events_.begin(), events_.begin() + n);
    }
    // Each drained marker takes its request's pending deltas; deltas that arrive after
    // this point queue a new marker (or wait for the interval).
    for (Event& e : out) {
      if (e.kind != EventKind::Progress) continue;
      auto p = streams_.find(e.id);
      if (p == streams_.end()) continue;
      Stream& st = p->second;
      e.text = std::move(st.text);
      e.reasoning = std::move(st.reasoning);
      st.text.clear();
      st.reasoning.clear();
      st.marked = false;
      if (st.ended) streams_.erase(p);
    }
    queued_events_.fetch_sub(out.size(), std::memory_order_relaxed);
    queued_bytes_.fetch_sub(std::min(taken_bytes, queued_bytes_.load(std::memory_order_relaxed)),
                            std::memory_order_relaxed);
    if (events_.empty()) {
      bell_pending_ = false;
    } else {
      ring_again_locked();
    }
  }
  std::vector<Event> kept;
  kept.reserve(out.size());
  for (Event& e : out) {
    if (forgotten_.count(e.id)) {
      if (e.terminal()) forgotten_.erase(e.id);
      continue;
    }
    kept.push_back(std::move(e));
  }
  fold_final_progress(kept);
  return kept;
}

// A request that ends in the batch its last Progress event is in: the Done event carries
// the whole text instead of that delta (Lisp makes it the last partial), when that costs
// Emacs less. Otherwise Lisp gets the delta and joins a copy of everything to it: D + T
// bytes for a delta of D and a text of T. The whole text is T bytes if it is ASCII (a
// unibyte string), else 2T (Emacs's make_string allocates twice), so it wins for ASCII
// always, and otherwise when the delta is at least half the text. On a burst of short
// answers that is most of what they cost.
void EventQueue::fold_final_progress(std::vector<Event>& events) {
  auto whole_is_cheaper = [](const std::string& delta, const std::string& whole) {
    return !delta.empty() && (2 * delta.size() >= whole.size() || utf8::is_ascii(whole));
  };
  // One pass: a request has at most one Progress event in a batch (one marker per drain).
  std::unordered_map<RequestId, std::size_t> progress_at;
  bool emptied = false;
  for (std::size_t i = 0; i < events.size(); ++i) {
    Event& done = events[i];
    if (done.kind == EventKind::Progress) {
      progress_at[done.id] = i;
      continue;
    }
    if (done.kind != EventKind::Done || !done.result) continue;
    auto found = progress_at.find(done.id);
    if (found == progress_at.end()) continue;
    Event& progress = events[found->second];
    if (done.text_delivered && whole_is_cheaper(progress.text, done.result->text)) {
      progress.text.clear();
      done.text_delivered = false;
    }
    if (done.reasoning_delivered && whole_is_cheaper(progress.reasoning, done.result->reasoning)) {
      progress.reasoning.clear();
      done.reasoning_delivered = false;
    }
    emptied = emptied || (progress.text.empty() && progress.reasoning.empty());
  }
  if (emptied)
    events.erase(std::remove_if(events.begin(), events.end(),
                                [](const Event& e) {
                                  return e.kind == EventKind::Progress && e.text.empty() && e.reasoning.empty();
                                }),
                 events.end());
}

void EventQueue::forget(RequestId id) { forgotten_.insert(id); }

void EventQueue::disconnect_doorbell() {
  std::lock_guard<std::mutex> lock(mutex_);
  fd_ = -1;
}

}  // namespace llm_native
