// The engine and its event queue: coalescing, the doorbell, and whole requests against the
// fake provider server (tests/server/fake_server.py, started here on 127.0.0.1).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

#include "engine.hpp"
#include "fake_server.hpp"
#include "event_queue.hpp"
#include "json_util.hpp"
#include "utf8.hpp"

using namespace llm_native;

namespace {

// Bytes waiting in a non-blocking pipe.
int pending_bytes(int fd) {
  char buf[64];
  int total = 0;
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) total += static_cast<int>(n);
  return total;
}

// Drains until request id's terminal event; returns all of its events.
std::vector<Event> run(Engine& engine, RequestId id, double seconds = 20) {
  std::vector<Event> mine;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    for (Event& e : engine.drain()) {
      if (e.id != id) continue;
      bool end = e.terminal();
      mine.push_back(std::move(e));
      if (end) return mine;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  FAIL("request did not finish in time");
  return mine;
}

// One whole JSON answer from the server (control calls).
std::string fetch(Engine& engine, const std::string& method, const std::string& url, const std::string& body = "") {
  RequestSpec spec;
  spec.method = method;
  spec.url = url;
  spec.body = body;
  std::vector<Event> events = run(engine, engine.start(spec));
  REQUIRE(events.back().kind == EventKind::Done);
  REQUIRE(events.size() == 2);
  return events.front().record.data;
}

// Registers a scenario; returns its base URL.
std::string scenario(Engine& engine, const std::string& json) {
  json::Document doc;
  REQUIRE(json::parse(doc, fetch(engine, "POST", test::FakeServer::get().url("/_control/scenario"), json)));
  return test::FakeServer::get().url("/s/" + std::string(json::string_member(doc, "token")));
}

std::string token_of(const std::string& base) { return base.substr(base.rfind('/') + 1); }

// A chat's deltas and its end agree: the deltas add up to the text, or the end carries the
// whole text in place of a last delta (the queue's fold): of at least half of it, or of any
// size when the text is ASCII.
void check_delivery(const std::string& deltas, const Event& done) {
  REQUIRE(done.result);
  const std::string& text = done.result->text;
  if (done.text_delivered) {
    CHECK(deltas == text);
  } else {
    CHECK(text.compare(0, deltas.size(), deltas) == 0);
    CHECK(deltas.size() < text.size());
    CHECK((2 * deltas.size() <= text.size() || utf8::is_ascii(text)));
  }
}

}  // namespace

TEST_CASE("event queue: progress coalesces, the doorbell rings once per drain") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  EventQueue queue(fds[1]);
  for (int i = 0; i < 1000; ++i) queue.push_progress(7, "ab", 2, "r", i % 2);
  CHECK(pending_bytes(fds[0]) == 1);
  Event done;
  done.id = 7;
  done.kind = EventKind::Done;
  queue.push(std::move(done));
  CHECK(pending_bytes(fds[0]) == 0);  // a wake-up is already pending

  std::vector<Event> events = queue.drain();
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == EventKind::Progress);
  CHECK(events[0].text.size() == 2000);
  CHECK(events[0].reasoning.size() == 500);
  CHECK(events[1].kind == EventKind::Done);

  queue.push_progress(8, "x", 1, "", 0);
  CHECK(pending_bytes(fds[0]) == 1);  // rings again after a drain
  queue.push_progress(8, "y", 1, "", 0);
  events = queue.drain();
  REQUIRE(events.size() == 1);
  CHECK(events[0].text == "xy");
  queue.push_progress(8, "z", 1, "", 0);
  events = queue.drain();
  REQUIRE(events.size() == 1);
  CHECK(events[0].text == "z");  // only what is new since the previous drain
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("event queue: paced progress comes at once, then at most once an interval") {
  using namespace std::chrono_literals;
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  EventQueue queue(fds[1]);
  // Close to the clock's epoch, so that only the rule itself lets the first text through.
  const auto t0 = EventQueue::Clock::time_point{} + 10ms;
  const auto interval = std::chrono::duration_cast<EventQueue::Clock::duration>(50ms);

  queue.push_progress(1, "a", 1, "", 0, interval, t0);  // the first text never waits
  CHECK(pending_bytes(fds[0]) == 1);
  std::vector<Event> events = queue.drain();
  REQUIRE(events.size() == 1);
  CHECK(events[0].text == "a");

  queue.push_progress(1, "b", 1, "", 0, interval, t0 + 10ms);  // held: no marker, no wake-up
  queue.push_progress(2, "x", 1, "", 0, interval, t0 + 10ms);  // another request is not held back
  CHECK(pending_bytes(fds[0]) == 1);
  events = queue.drain();
  REQUIRE(events.size() == 1);
  CHECK(events[0].id == 2);
  CHECK(queue.release_held(t0 + 20ms) == t0 + 50ms);  // not yet
  CHECK(queue.drain().empty());
  queue.push_progress(1, "c", 1, "r", 1, interval, t0 + 30ms);  // joins the held text
  CHECK(queue.release_held(t0 + 50ms) == EventQueue::Clock::time_point::max());
  CHECK(pending_bytes(fds[0]) == 1);
  events = queue.drain();
  REQUIRE(events.size() == 1);
  CHECK(events[0].text == "bc");
  CHECK(events[0].reasoning == "r");

  // Held text goes out ahead of its request's end, whatever the interval.
  queue.push_progress(1, "d", 1, "", 0, interval, t0 + 60ms);
  CHECK(queue.release_held(t0 + 61ms) == t0 + 100ms);
  Event done;
  done.id = 1;
  done.kind = EventKind::Done;
  queue.push(std::move(done));
  CHECK(queue.release_held(t0 + 62ms) == EventQueue::Clock::time_point::max());
  events = queue.drain();
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == EventKind::Progress);
  CHECK(events[0].text == "d");
  CHECK(events[1].kind == EventKind::Done);

  // A request id seen again after its end starts afresh (the first text does not wait).
  queue.push_progress(1, "e", 1, "", 0, interval, t0 + 70ms);
  events = queue.drain();
  REQUIRE(events.size() == 1);
  CHECK(events[0].text == "e");
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_CASE("event queue: an end drained with its last delta carries the text when that is cheaper") {
  EventQueue queue(-1);
  auto done_of = [](RequestId id, const std::string& text, const std::string& reasoning) {
    Event done;
    done.id = id;
    done.kind = EventKind::Done;
    done.result = ChatResult{};
    done.result->text = text;
    done.result->reasoning = reasoning;
    done.text_delivered = !text.empty();
    done.reasoning_delivered = !reasoning.empty();
    return done;
  };
  // FIRST goes in one drain; the last delta (TEXT and REASONING) and the end in the next,
  // which is returned.
  auto end_after = [&](RequestId id, const std::string& first, const std::string& text, const std::string& reasoning) {
    queue.push_progress(id, first.data(), first.size(), "", 0);
    REQUIRE(queue.drain().size() == 1);
    queue.push_progress(id, text.data(), text.size(), reasoning.data(), reasoning.size());
    queue.push(done_of(id, first + text, reasoning));
    return queue.drain();
  };
  // Most of the text came last: the delta is dropped and the end carries it all.
  std::vector<Event> events = end_after(5, "abcdef", "ghijklmnop", "");
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == EventKind::Done);
  CHECK_FALSE(events[0].text_delivered);

  // A small last delta of text that is not all ASCII goes as before (Emacs would make the
  // whole text in two allocations), and the end refers to it.
  events = end_after(6, "\u00E9bcdefghij", "k", "r");
  REQUIRE(events.size() == 2);
  CHECK(events[0].text == "k");
  CHECK(events[1].text_delivered);
  // The reasoning, all of it in this delta, rides with the end; the text delta stays.
  CHECK(events[0].reasoning.empty());
  CHECK_FALSE(events[1].reasoning_delivered);

  // ASCII text costs Emacs one allocation whole: even a small last delta is folded.
  events = end_after(8, "abcdefghij", "k", "");
  REQUIRE(events.size() == 1);
  CHECK_FALSE(events[0].text_delivered);

  // A last delta with no text leaves the text to what was delivered (nothing to save).
  events = end_after(9, "abcdefghij", "", "r");
  REQUIRE(events.size() == 1);
  CHECK(events[0].text_delivered);
  CHECK_FALSE(events[0].reasoning_delivered);

  // Only a delta in the same drain counts: an end alone changes nothing.
  events = end_after(7, "abc", "", "");
  REQUIRE(events.size() == 1);
  CHECK(events[0].text_delivered);
}

TEST_CASE("event queue: a forgotten request's events are dropped up to its terminal event") {
  EventQueue queue(-1);
  queue.push_progress(3, "a", 1, "", 0);
  queue.forget(3);
  Event cancelled;
  cancelled.id = 3;
  cancelled.kind = EventKind::Cancelled;
  queue.push(std::move(cancelled));
  Event other;
  other.id = 4;
  other.kind = EventKind::Record;
  queue.push(std::move(other));
  std::vector<Event> events = queue.drain();
  REQUIRE(events.size() == 1);
  CHECK(events[0].id == 4);
}

TEST_CASE("engine: streamed chats decode to the exact text, concurrently") {
  Engine engine(-1);
  for (const char* dialect : {"openai-chat", "openai-responses", "anthropic", "gemini", "ollama"}) {
    CAPTURE(dialect);
    std::string base = scenario(engine, std::string(R"({"generate": {"dialect": ")") + dialect +
                                            R"(", "tokens": 3000, "reasoning_tokens": 50}, "chunk": 101})");
    std::vector<RequestId> ids;
    for (int i = 0; i < 8; ++i) {
      RequestSpec spec;
      spec.method = "POST";
      spec.url = base + "/chat";
      spec.body = "{}";
      spec.dialect = &find_dialect(dialect);
      spec.streaming = true;
      ids.push_back(engine.start(spec));
    }
    json::Document expected;
    std::map<RequestId, std::string> progress;
    std::map<RequestId, Event> done;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (done.size() < ids.size() && std::chrono::steady_clock::now() < deadline) {
      for (Event& e : engine.drain()) {
        if (e.kind == EventKind::Progress) {
          progress[e.id] += e.text;
        } else if (e.terminal()) {
          done[e.id] = std::move(e);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    REQUIRE(done.size() == ids.size());
    REQUIRE(json::parse(
        expected, fetch(engine, "GET", test::FakeServer::get().url("/_control/expected?token=" + token_of(base)))));
    for (RequestId id : ids) {
      const Event& e = done[id];
      REQUIRE(e.kind == EventKind::Done);
      REQUIRE(e.result);
      CHECK(e.result->text == json::string_member(expected, "text"));
      CHECK(e.result->reasoning == json::string_member(expected, "reasoning"));
      check_delivery(progress[id], e);
      CHECK(e.result->output_tokens > 0);
    }
  }
}

TEST_CASE("engine: a chat's progress interval spaces its Progress events; the text stays whole") {
  Engine engine(-1);
  std::string base = scenario(engine, R"({"generate": {"dialect": "openai-chat", "tokens": 60, "interval_ms": 5}})");
  RequestSpec spec;
  spec.method = "POST";
  spec.url = base + "/chat";
  spec.body = "{}";
  spec.dialect = &find_dialect("openai-chat");
  spec.streaming = true;
  spec.progress_interval_ms = 100;
  auto started = std::chrono::steady_clock::now();
  std::vector<Event> events = run(engine, engine.start(spec));
  double elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  REQUIRE(events.back().kind == EventKind::Done);
  std::string text;
  int progress = 0;
  for (const Event& e : events)
    if (e.kind == EventKind::Progress) {
      text += e.text;
      ++progress;
    }
  check_delivery(text, events.back());
  // Over about 300 ms of tokens: the first, at most one every 100 ms, and the held text the
  // end brings at once. Without the interval it would be one per drain (every 2 ms here);
  // held text must not wait for the end either.
  CHECK(progress >= 3);
  CHECK(progress <= elapsed_ms / 100 + 2);
}

TEST_CASE("engine: HTTP errors carry the provider's message and body") {
  Engine engine(-1);
  std::string body = R"({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})";
  std::string base = scenario(
      engine,
      R"({"status": 401, "body": )" +
          std::string(json::to_string(json::Value(body.c_str(), static_cast<rapidjson::SizeType>(body.size())))) + "}");
  RequestSpec spec;
  spec.method = "POST";
  spec.url = base + "/v1/chat/completions";
  spec.dialect = &find_dialect("openai-chat");
  spec.streaming = true;
  std::vector<Event> events = run(engine, engine.start(spec));
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == EventKind::Error);
  CHECK(events[0].error.code == ErrorCode::Http);
  CHECK(events[0].error.http_status == 401);
  CHECK(events[0].error.body == body);
  CHECK(events[0].error.message.find("Incorrect API key provided") != std::string::npos);
}

TEST_CASE("engine: a stream cut before its end signal is truncated") {
  Engine engine(-1);
  std::string base = scenario(engine, R"({"fixture": "anthropic/text.sse", "close_after": 700})");
  RequestSpec spec;
  spec.method = "POST";
  spec.url = base + "/v1/messages";
  spec.dialect = &find_dialect("anthropic");
  spec.streaming = true;
  std::vector<Event> events = run(engine, engine.start(spec));
  CHECK(events.back().kind == EventKind::Error);
  CHECK(events.back().error.code == ErrorCode::Truncated);
}

TEST_CASE("engine: cancel stops the request; close cancels the rest and stops the worker") {
  Engine engine(-1);
  std::string base = scenario(engine, R"({"generate": {"dialect": "ollama", "tokens": 2000, "interval_ms": 5}})");
  RequestSpec spec;
  spec.method = "POST";
  spec.url = base + "/api/chat";
  spec.dialect = &find_dialect("ollama");
  spec.streaming = true;
  RequestId cancelled = engine.start(spec);
  RequestId left = engine.start(spec);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  engine.cancel(cancelled);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (const Event& e : engine.drain()) CHECK(e.id != cancelled);
  CHECK(engine.stats().active == 1);
  CHECK(engine.close());
  bool left_cancelled = false;
  for (const Event& e : engine.drain()) {
    CHECK(e.id != cancelled);
    if (e.id == left && e.kind == EventKind::Cancelled) left_cancelled = true;
  }
  CHECK(left_cancelled);
  CHECK_THROWS_AS(engine.start(spec), std::logic_error);
}

TEST_CASE("engine: invalid specs are refused before they start") {
  Engine engine(-1);
  RequestSpec spec;
  spec.url = "file:///etc/passwd";
  CHECK_THROWS_AS(engine.start(spec), std::invalid_argument);
  spec.url = "http://127.0.0.1/";
  spec.headers = {"X-Evil: a\r\nInjected: b"};
  CHECK_THROWS_AS(engine.start(spec), std::invalid_argument);
  spec.headers = {};
  spec.method = "GE T";
  CHECK_THROWS_AS(engine.start(spec), std::invalid_argument);
}

TEST_CASE("engine: the meter counts bytes and times, and captures raw bytes only when asked") {
  Engine engine(-1);
  std::string base = scenario(engine, R"({"body": "0123456789", "content_type": "text/plain"})");
  RequestSpec spec;
  spec.url = base + "/x";
  spec.format = Format::Raw;
  RequestId quiet = engine.start(spec);
  std::shared_ptr<Meter> quiet_meter = engine.meter(quiet);
  REQUIRE(static_cast<bool>(quiet_meter));
  Engine::set_capture_limit(30);
  RequestId loud = engine.start(spec);
  Engine::set_capture_limit(0);
  std::shared_ptr<Meter> loud_meter = engine.meter(loud);
  int ended = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (ended < 2 && std::chrono::steady_clock::now() < deadline) {
    for (const Event& e : engine.drain()) ended += e.terminal();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  REQUIRE(ended == 2);
  // Drained to their ends: the engine lets go, the holders keep reading.
  CHECK(!engine.meter(quiet));
  for (const auto& m : {quiet_meter, loud_meter}) {
    CHECK(m->bytes.load() == 10);
    CHECK(m->status.load() == 200);
    CHECK(m->first_byte_us.load() >= 0);
    CHECK(m->first_token_us.load() >= m->first_byte_us.load());
    CHECK(m->end_us.load() >= m->first_token_us.load());
  }
  bool truncated = false;
  CHECK(quiet_meter->raw(&truncated).empty());
  CHECK_FALSE(truncated);
  std::string raw = loud_meter->raw(&truncated);
  CHECK(raw.size() == 30);  // the head alone is longer than the limit
  CHECK(raw.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(truncated);
}
