// The module's entry points: init, and the llm-native--mod-* functions.
// Every function returns at once; the network work happens on the engine's worker thread.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <unistd.h>

#include "convert.hpp"
#include "engine.hpp"
#include "env.hpp"

extern "C" {
// Emacs refuses modules that do not declare this.
__attribute__((visibility("default"))) int plugin_is_GPL_compatible;
__attribute__((visibility("default"))) int emacs_module_init(struct emacs_runtime* runtime) noexcept;
}

namespace llm_native::emacs {
namespace {

// What the Lisp runtime handle points to.
struct Runtime {
  std::unique_ptr<Engine> engine;
  int doorbell_fd = -1;

  // Stops the engine and closes the doorbell. wait bounds the join with the worker.
  void close(std::chrono::milliseconds wait) {
    if (!engine) return;
    engine->close(wait);  // disconnects the doorbell before the worker stops
    if (doorbell_fd >= 0) ::close(doorbell_fd);
    doorbell_fd = -1;
  }
};

// GC finalizer: no env, no waiting. A worker still running finishes on its own reference.
void finalize_runtime(void* ptr) noexcept {
  auto* rt = static_cast<Runtime*>(ptr);
  try {
    rt->close(std::chrono::milliseconds(0));
  } catch (...) {
  }
  delete rt;
}

Runtime& runtime_arg(const Env& env, emacs_value v) {
  if (!env.is_type(v, Sym::user_ptr) ||
      env.raw()->get_user_finalizer(env.raw(), v) != finalize_runtime)
    throw LispError("wrong-type-argument", "not an llm-native runtime");
  auto* rt = static_cast<Runtime*>(env.raw()->get_user_ptr(env.raw(), v));
  env.check();
  if (!rt->engine || rt->engine->closed()) throw LispError("llm-native-closed", "the llm-native runtime is closed");
  return *rt;
}

emacs_value mod_version(emacs_env* raw, ptrdiff_t, emacs_value*, void*) noexcept {
  return boundary(raw, [](Env& env) { return env.string(LLM_NATIVE_VERSION); });
}

emacs_value mod_open(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    int fd = raw->open_channel(raw, args[0]);
    env.check();
    if (fd < 0) throw LispError("llm-native-module-error", std::string("open_channel failed: ") + std::strerror(errno));
    auto rt = std::make_unique<Runtime>();
    rt->doorbell_fd = fd;
    try {
      rt->engine = std::make_unique<Engine>(fd);
    } catch (...) {
      ::close(fd);
      throw;
    }
    emacs_value v = raw->make_user_ptr(raw, finalize_runtime, rt.get());
    env.check();
    rt.release();
    return v;
  });
}

emacs_value mod_start(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    Runtime& rt = runtime_arg(env, args[0]);
    RequestSpec spec = spec_from_plist(env, args[1]);
    return env.integer(static_cast<int64_t>(rt.engine->start(std::move(spec))));
  });
}

emacs_value mod_preconnect(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    Runtime& rt = runtime_arg(env, args[0]);
    rt.engine->preconnect(spec_from_plist(env, args[1]));
    return env.nil();
  });
}

emacs_value mod_cancel(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    Runtime& rt = runtime_arg(env, args[0]);
    rt.engine->cancel(static_cast<RequestId>(env.to_integer(args[1])));
    return env.nil();
  });
}

emacs_value mod_drain(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    Runtime& rt = runtime_arg(env, args[0]);
    std::vector<Event> events = rt.engine->drain();
    std::vector<emacs_value> items;
    items.reserve(events.size());
    for (const Event& e : events) items.push_back(event_to_lisp(env, e));
    return env.vector(items);
  });
}

emacs_value mod_close(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    if (!env.is_type(args[0], "user-ptr") ||
        raw->get_user_finalizer(raw, args[0]) != finalize_runtime)
      throw LispError("wrong-type-argument", "not an llm-native runtime");
    auto* rt = static_cast<Runtime*>(raw->get_user_ptr(raw, args[0]));
    env.check();
    rt->close(std::chrono::milliseconds(2000));
    return env.nil();
  });
}

emacs_value mod_stats(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    Runtime& rt = runtime_arg(env, args[0]);
    EngineStats s = rt.engine->stats();
    std::vector<emacs_value> items{
        env.intern(":started"), env.integer(static_cast<int64_t>(s.started)),
        env.intern(":active"),  env.integer(static_cast<int64_t>(s.active)),
        env.intern(":rings"),   env.integer(static_cast<int64_t>(s.rings))};
    return env.list(items);
  });
}

emacs_value mod_build_body(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    const Dialect& dialect = dialect_for(parse_dialect(env.to_string(args[0])));
    std::string body = dialect.build_body(env.to_string(args[1]), env.truthy(args[2]));
    return env.string(body);
  });
}

void defun(Env& env, const char* name, ptrdiff_t min_args, ptrdiff_t max_args,
           emacs_value (*fn)(emacs_env*, ptrdiff_t, emacs_value*, void*) noexcept, const char* doc) {
  emacs_value f = env.raw()->make_function(env.raw(), min_args, max_args, fn, doc, nullptr);
  env.check();
  env.call("defalias", {env.intern(name), f});
}

}  // namespace
}  // namespace llm_native::emacs

int emacs_module_init(struct emacs_runtime* runtime) noexcept {
  using namespace llm_native::emacs;
  if (runtime->size < static_cast<ptrdiff_t>(sizeof(*runtime))) return 1;
  emacs_env* raw = runtime->get_environment(runtime);
  if (raw->size < static_cast<ptrdiff_t>(sizeof(emacs_env_28))) return 2;  // needs Emacs 28
  try {
    Env env(raw);
    init_symbols(raw);
    defun(env, "llm-native--mod-version", 0, 0, mod_version,
          "Return the version string of the llm-native module.\n\n(fn)");
    defun(env, "llm-native--mod-open", 1, 1, mod_open,
          "Start an engine that rings PIPE (a pipe process) when events are queued.\n"
          "Return the runtime handle.\n\n(fn PIPE)");
    defun(env, "llm-native--mod-start", 2, 2, mod_start,
          "Start a request on RUNTIME described by the plist SPEC; return its id.\n\n(fn RUNTIME SPEC)");
    defun(env, "llm-native--mod-preconnect", 2, 2, mod_preconnect,
          "Open a connection to the host of the plist SPEC's :url on RUNTIME ahead of requests.\n"
          "Only :url and the connection keys of SPEC count; nothing is returned of it.\n\n"
          "(fn RUNTIME SPEC)");
    defun(env, "llm-native--mod-cancel", 2, 2, mod_cancel,
          "Cancel request ID on RUNTIME; none of its events are returned afterwards.\n\n(fn RUNTIME ID)");
    defun(env, "llm-native--mod-drain", 1, 1, mod_drain,
          "Return a vector of every event queued on RUNTIME, oldest first.\n\n(fn RUNTIME)");
    defun(env, "llm-native--mod-close", 1, 1, mod_close,
          "Stop RUNTIME's engine, cancelling its requests.\n\n(fn RUNTIME)");
    defun(env, "llm-native--mod-stats", 1, 1, mod_stats,
          "Return a plist of counters of RUNTIME.\n\n(fn RUNTIME)");
    defun(env, "llm-native--mod-build-body", 3, 3, mod_build_body,
          "Return the request body DIALECT builds from the canonical PROMPT (JSON text).\n"
          "STREAMING non-nil asks for a streamed response.\n\n(fn DIALECT PROMPT STREAMING)");
    env.call("provide", {env.intern("llm-native-module")});
  } catch (...) {
    return 3;
  }
  return 0;
}
