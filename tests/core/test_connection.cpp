// Warm connections in the engine: a preconnect leaves a connection that the next request uses,
// and produces no event of its own. Against its own fake provider server on 127.0.0.1.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include "engine.hpp"
#include "fake_server.hpp"
#include "json_util.hpp"

using namespace llm_native;

namespace {

// Every event the engine queues until request id's terminal one (all ids, in order).
std::vector<Event> until_done(Engine& engine, RequestId id) {
  std::vector<Event> all;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    for (Event& e : engine.drain()) {
      bool end = e.id == id && e.terminal();
      all.push_back(std::move(e));
      if (end) return all;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  FAIL("request did not finish in time");
  return all;
}

// A whole JSON answer, through its own engine (its own connections).
std::string control(const std::string& method, const std::string& path, const std::string& body = "") {
  Engine engine(-1);
  RequestSpec spec;
  spec.method = method;
  spec.url = test::FakeServer::get().url(path);
  spec.body = body;
  std::vector<Event> events = until_done(engine, engine.start(spec));
  REQUIRE(events.back().kind == EventKind::Done);
  REQUIRE(events.size() == 2);
  return events.front().record.data;
}

}  // namespace

TEST_CASE("connection: a preconnect warms the host for the next request and says nothing") {
  json::Document doc;
  REQUIRE(json::parse(
      doc, control("POST", "/_control/scenario", R"({"generate": {"dialect": "openai-chat", "tokens": 5}})")));
  std::string token(json::string_member(doc, "token"));
  std::string url = test::FakeServer::get().url("/s/" + token + "/v1/chat/completions");

  Engine engine(-1);
  RequestSpec warm;
  warm.url = url;
  warm.headers = {"Authorization: Bearer not-sent"};
  engine.preconnect(warm);
  // The HEAD has been answered and its connection went back to the cache.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (engine.stats().active > 0 || control("GET", "/_control/requests?token=" + token) == "[]") {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }

  RequestSpec chat;
  chat.method = "POST";
  chat.url = url;
  chat.body = R"({"model": "m", "stream": true})";
  chat.dialect = &find_dialect("openai-chat");
  chat.streaming = true;
  RequestId id = engine.start(chat);
  std::vector<Event> events = until_done(engine, id);
  for (const Event& e : events) CHECK(e.id == id);  // nothing from the preconnect
  CHECK(events.back().kind == EventKind::Done);

  json::Document requests;
  REQUIRE(json::parse(requests, control("GET", "/_control/requests?token=" + token)));
  REQUIRE(requests.IsArray());
  REQUIRE(requests.Size() == 2);
  CHECK(json::string_member(requests[0], "method") == "HEAD");
  CHECK(!json::bool_member(requests[0], "reused"));
  CHECK(json::object_member(requests[0], "headers")->FindMember("authorization") ==
        json::object_member(requests[0], "headers")->MemberEnd());
  CHECK(json::string_member(requests[1], "method") == "POST");
  CHECK(json::bool_member(requests[1], "reused"));
}

TEST_CASE("connection: a preconnect with a bad URL is refused, and none after close") {
  Engine engine(-1);
  RequestSpec bad;
  bad.url = "ftp://127.0.0.1/";
  CHECK_THROWS_AS(engine.preconnect(bad), std::invalid_argument);
  engine.close();
  RequestSpec good;
  good.url = test::FakeServer::get().url("/");
  CHECK_THROWS_AS(engine.preconnect(good), std::logic_error);
}
