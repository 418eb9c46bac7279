// The fake provider server (tests/server/fake_server.py) for the core suites that talk to
// one: started once for the whole run, asked to exit at the end.
#pragma once

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include "engine.hpp"

namespace llm_native::test {

class FakeServer {
 public:
  static FakeServer& get() {
    static FakeServer server;
    return server;
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  FakeServer() {
    std::string cmd =
        std::string("python3 '") + LLM_NATIVE_TEST_SERVER + "' --lifetime 300 --fixtures '" + LLM_NATIVE_FIXTURES + "'";
    pipe_ = ::popen(cmd.c_str(), "r");
    if (!pipe_ || std::fscanf(pipe_, "PORT %d", &port_) != 1) throw std::runtime_error("fake server did not start");
  }
  ~FakeServer() {
    // Ask it to exit, then reap it.
    Engine engine(-1);
    RequestSpec spec;
    spec.method = "POST";
    spec.url = url("/_control/shutdown");
    engine.start(spec);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    engine.close();
    ::pclose(pipe_);
  }
  FILE* pipe_ = nullptr;
  int port_ = 0;
};

}  // namespace llm_native::test
