// Hostile input: JSON past what Emacs reads (depth, integer range, \u0000), the event
// queue's bounded drain and backlog, the per-response size budget, redirects. The engine
// cases run against tests/server/hostile_server.py on 127.0.0.1.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "dialect.hpp"
#include "engine.hpp"
#include "event_queue.hpp"
#include "fake_server.hpp"
#include "framing.hpp"
#include "json_util.hpp"

using namespace llm_native;

namespace {

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

struct Collect final : RecordSink {
  std::vector<Record> records;
  std::vector<Error> errors;
  void on_record(Record&& r) override { records.push_back(std::move(r)); }
  void on_error(Error&& e) override { errors.push_back(std::move(e)); }
};

Collect frame(Format format, const std::string& body) {
  Collect c;
  auto f = make_framer(format);
  f->feed(body.data(), body.size(), c);
  f->finish(c);
  return c;
}

bool parses(const std::string& text, std::string* why = nullptr) {
  json::Document doc;
  bool a = json::parse(doc, text, why);
  bool b = json::validate(text);
  json::RecordParser p;
  std::string ignored;
  bool c = p.parse(text, &ignored) != nullptr;
  CHECK(a == b);  // the three parse paths agree
  CHECK(a == c);
  return a;
}

// Drains engine until request id ends, pausing `pause` between drains; returns its events.
std::vector<Event> run(Engine& engine, RequestId id, std::chrono::milliseconds pause = std::chrono::milliseconds(1),
                       std::size_t* max_batch = nullptr, uint64_t* paused_seen = nullptr) {
  std::vector<Event> mine;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::vector<Event> batch = engine.drain();
    if (max_batch && batch.size() > *max_batch) *max_batch = batch.size();
    if (paused_seen) *paused_seen = std::max(*paused_seen, engine.stats().paused);
    for (Event& e : batch) {
      if (e.id != id) continue;
      bool end = e.terminal();
      mine.push_back(std::move(e));
      if (end) return mine;
    }
    std::this_thread::sleep_for(pause);
  }
  FAIL("request did not finish in time");
  return mine;
}

}  // namespace

TEST_CASE("json limits: nesting up to 512 levels, never a recursion") {
  CHECK(parses(nested(512)));
  std::string why;
  CHECK_FALSE(parses(nested(513), &why));
  CHECK(why.find("nested deeper than 512") != std::string::npos);
  CHECK_FALSE(parses(nested(1000000)));  // would overflow a recursive parser's stack
  CHECK_FALSE(parses(std::string(1000000, '{')));
  CHECK(parses("{\"a\":" + nested(511) + "}"));
  CHECK_FALSE(parses("{\"a\":" + nested(512) + "}"));
}

TEST_CASE("json limits: integers within int64, no \\u0000") {
  CHECK(parses("9223372036854775807"));
  CHECK(parses("-9223372036854775808"));
  CHECK(parses("[1e19, 1.5e300, 12345678901234567890.5, -0.0]"));  // floats are fine
  std::string why;
  CHECK_FALSE(parses("9223372036854775808", &why));
  CHECK(why.find("64-bit range") != std::string::npos);
  CHECK_FALSE(parses("{\"n\": -9223372036854775809}"));
  CHECK_FALSE(parses("[123456789012345678901234567890]"));
  CHECK_FALSE(parses("1e400"));  // a double overflow, as Emacs refuses too
  CHECK_FALSE(parses("\"a\\u0000b\"", &why));
  CHECK(why.find("u0000") != std::string::npos);
  CHECK_FALSE(parses("{\"a\\u0000\": 1}"));
  CHECK(parses("\"a\\u0001b\""));
}

TEST_CASE("framers refuse what Emacs cannot read, as protocol errors") {
  for (const std::string& bad :
       {nested(100000), std::string("{\"n\":18446744073709551615}"), std::string("[\"\\u0000\"]")}) {
    Collect nd = frame(Format::Ndjson, "{\"ok\":1}\n" + bad + "\n");
    CHECK(nd.records.size() == 1);
    REQUIRE(nd.errors.size() == 1);
    CHECK(nd.errors[0].code == ErrorCode::Protocol);
    Collect arr = frame(Format::JsonArray, "[1," + bad + "]");
    CHECK(arr.records.size() == 1);
    REQUIRE(arr.errors.size() == 1);
    CHECK(arr.errors[0].code == ErrorCode::Protocol);
    Collect whole = frame(Format::Json, bad);
    CHECK(whole.records.empty());
    REQUIRE(whole.errors.size() == 1);
    CHECK(whole.errors[0].code == ErrorCode::Protocol);
  }
}

TEST_CASE("every chat decoder fails a deeply nested record instead of crashing") {
  Record deep;
  deep.data = nested(1000000);
  for (std::string_view name : dialect_names()) {
    for (bool streaming : {true, false}) {
      auto decoder = find_dialect(name).make_decoder(streaming);
      decoder->on_record(deep);
      decoder->finish();
      REQUIRE(decoder->error());
      CHECK(decoder->error()->code == ErrorCode::Protocol);
    }
  }
}

TEST_CASE("event queue: one drain is bounded; the rest stays queued and rings again") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  QueueLimits limits;
  limits.drain_events = 100;
  limits.backlog_events = 250;
  EventQueue q(fds[1], limits);
  for (int i = 0; i < 300; ++i) {
    Event e;
    e.id = 1;
    e.record.data = std::to_string(i);
    q.push(std::move(e));
  }
  q.push_progress(2, "ab", 2, "", 0);
  CHECK(q.backlogged());
  char buf[16];
  CHECK(::read(fds[0], buf, sizeof buf) == 1);
  std::vector<Event> first = q.drain();
  REQUIRE(first.size() == 100);
  CHECK(first.front().record.data == "0");
  CHECK(first.back().record.data == "99");
  CHECK(::read(fds[0], buf, sizeof buf) == 1);  // rung again: 201 events wait
  CHECK_FALSE(q.backlogged());
  q.push_progress(2, "cd", 2, "", 0);  // joins the marker still queued
  CHECK(q.drain().size() == 100);
  std::vector<Event> third = q.drain();
  REQUIRE(third.size() == 100);
  CHECK(third.back().record.data == "299");
  std::vector<Event> last = q.drain();
  REQUIRE(last.size() == 1);
  CHECK(last.back().kind == EventKind::Progress);
  CHECK(last.back().text == "abcd");
  CHECK(q.drain().empty());
  ::close(fds[0]);
  ::close(fds[1]);

  // The byte budget bounds a drain too, but one event always goes.
  QueueLimits small;
  small.drain_bytes = 10;
  EventQueue b(-1, small);
  for (int i = 0; i < 3; ++i) {
    Event e;
    e.record.data = std::string(64, 'x');
    b.push(std::move(e));
  }
  CHECK(b.drain().size() == 1);
  CHECK(b.drain().size() == 1);
}

TEST_CASE("engine: a backlog pauses the transfer, which resumes after drains and loses nothing") {
  QueueLimits limits;
  limits.backlog_events = 500;
  limits.drain_events = 200;
  Engine engine(-1, limits);
  RequestSpec spec;
  spec.url = test::HostileServer::get().url("/flood?n=50000");
  spec.format = Format::Sse;
  std::size_t max_batch = 0;
  uint64_t paused = 0;
  std::vector<Event> events = run(engine, engine.start(spec), std::chrono::milliseconds(2), &max_batch, &paused);
  REQUIRE(events.back().kind == EventKind::Done);
  CHECK(events.size() == 50001);
  CHECK(max_batch <= 200);
  CHECK(paused > 0);
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    if (events[i].record.data != "x") {
      FAIL("record " << i << " is " << events[i].record.data);
      break;
    }
  }
}

TEST_CASE("engine: a response past its size budget is too large, gzip bombs included") {
  Engine engine(-1);
  RequestSpec spec;
  spec.url = test::HostileServer::get().url("/gzip-bomb?mb=64");
  spec.method = "POST";
  spec.body = "{}";
  spec.dialect = &find_dialect("openai-chat");
  spec.streaming = true;
  spec.max_response = 4u << 20;
  std::vector<Event> events = run(engine, engine.start(spec));
  REQUIRE(events.back().kind == EventKind::Error);
  CHECK(events.back().error.code == ErrorCode::TooLarge);
  CHECK(events.back().error.message.find("size budget") != std::string::npos);

  RequestSpec plain;
  plain.url = test::HostileServer::get().url("/flood?n=1000");
  plain.format = Format::Sse;
  plain.max_response = 9000;  // exactly the body: allowed
  CHECK(run(engine, engine.start(plain)).back().kind == EventKind::Done);
  plain.max_response = 8999;
  CHECK(run(engine, engine.start(plain)).back().error.code == ErrorCode::TooLarge);
}

TEST_CASE("engine: redirects stay on their origin unless allowed, never carry keys elsewhere") {
  Engine engine(-1);
  test::ServerProcess& server = test::HostileServer::get();
  RequestSpec spec;
  spec.method = "POST";
  spec.body = "{}";
  spec.headers = {"x-api-key: k1", "X-Mine: k2"};
  spec.url = server.url("/redirect?code=302&to=" + server.url("/x", "OTHER_PORT"));
  Event refused = run(engine, engine.start(spec)).back();
  REQUIRE(refused.kind == EventKind::Error);
  CHECK(refused.error.code == ErrorCode::Http);
  CHECK(refused.error.http_status == 302);
  CHECK(refused.error.message.find("another origin") != std::string::npos);

  spec.redirects = RedirectPolicy::None;
  spec.url = server.url("/redirect?code=307&to=/ok");
  CHECK(run(engine, engine.start(spec)).back().error.http_status == 307);

  spec.redirects = RedirectPolicy::SameOrigin;
  CHECK(run(engine, engine.start(spec)).back().kind == EventKind::Done);

  spec.redirects = RedirectPolicy::CrossOrigin;
  spec.secret_headers = {"x-mine"};
  spec.url = server.url("/redirect?code=303&to=" + server.url("/landing", "OTHER_PORT"));
  CHECK(run(engine, engine.start(spec)).back().kind == EventKind::Done);
  spec.url = server.url("/redirect?code=308&to=" + server.url("/landing", "OTHER_PORT"));
  CHECK(run(engine, engine.start(spec)).back().error.message.find("body") != std::string::npos);

  // A loop ends after five hops.
  spec.url = server.url("/loop");
  Event loop = run(engine, engine.start(spec)).back();
  REQUIRE(loop.kind == EventKind::Error);
  CHECK(loop.error.message.find("more than 5 redirects") != std::string::npos);
}

TEST_CASE("engine: request specs with control characters are refused without echoing values") {
  Engine engine(-1);
  RequestSpec spec;
  spec.url = std::string("http://127.0.0.1/a\0b", 20);
  CHECK_THROWS_AS(engine.start(spec), std::invalid_argument);
  spec.url = "http://127.0.0.1/";
  spec.headers = {std::string("Authorization: Bearer sk-1\0x", 28)};
  try {
    engine.start(spec);
    FAIL("accepted a NUL in a header");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("Authorization") != std::string::npos);
    CHECK(std::string(e.what()).find("sk-1") == std::string::npos);
  }
  spec.headers = {"Bad Name: x"};
  CHECK_THROWS_AS(engine.start(spec), std::invalid_argument);
  spec.headers = {};
  spec.url = "gopher://user:sk-2@host/";
  try {
    engine.start(spec);
    FAIL("accepted gopher");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("sk-2") == std::string::npos);
  }
}
