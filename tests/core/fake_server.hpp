// The test servers of tests/server for the core suites that talk to one: each started once
// for the whole run, asked to exit at the end.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine.hpp"

namespace llm_native::test {

// A server script of tests/server run with popen: ready once it printed a "LISTENER port"
// line for each listener asked for (PORT, OTHER_PORT...).
class ServerProcess {
 public:
  ServerProcess(const std::string& script, const std::string& args, const std::vector<std::string>& listeners) {
    std::string dir = LLM_NATIVE_TEST_SERVER;
    dir = dir.substr(0, dir.rfind('/') + 1);
    pipe_ = ::popen(("python3 '" + dir + script + "' --lifetime 300 " + args).c_str(), "r");
    char line[256];
    while (pipe_ && ports_.size() < listeners.size() && std::fgets(line, sizeof line, pipe_)) {
      char name[64];
      int port = 0;
      if (std::sscanf(line, "%63s %d", name, &port) == 2) ports_[name] = port;
    }
    for (const std::string& listener : listeners)
      if (!ports_.count(listener)) throw std::runtime_error(script + " did not start");
  }
  ~ServerProcess() {
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
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::string url(const std::string& path, const std::string& listener = "PORT") const {
    return "http://127.0.0.1:" + std::to_string(ports_.at(listener)) + path;
  }

 private:
  FILE* pipe_ = nullptr;
  std::map<std::string, int> ports_;
};

// The fake provider server (tests/server/fake_server.py).
class FakeServer {
 public:
  static ServerProcess& get() {
    static ServerProcess server("fake_server.py", std::string("--fixtures '") + LLM_NATIVE_FIXTURES + "'", {"PORT"});
    return server;
  }
};

// The hostile server (tests/server/hostile_server.py): PORT, and OTHER_PORT for a second origin.
class HostileServer {
 public:
  static ServerProcess& get() {
    static ServerProcess server("hostile_server.py", "", {"PORT", "OTHER_PORT"});
    return server;
  }
};

}  // namespace llm_native::test
