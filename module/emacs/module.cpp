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

// The two exports (also listed for the linker in exports.map/.darwin/.def).
#ifdef _WIN32
#define LLM_NATIVE_EXPORT __declspec(dllexport)
#else
#define LLM_NATIVE_EXPORT __attribute__((visibility("default")))
#endif

extern "C" {
// Emacs refuses modules that do not declare this.
LLM_NATIVE_EXPORT int plugin_is_GPL_compatible;
LLM_NATIVE_EXPORT int emacs_module_init(struct emacs_runtime* runtime) noexcept;
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

// The pointer in v, a user-ptr this module made with finalize; otherwise a
// wrong-type-argument error saying v is not an llm-native `what'.
void* user_ptr_arg(const Env& env, emacs_value v, void (*finalize)(void*) noexcept, const char* what) {
  if (!env.is_type(v, Sym::user_ptr) || env.raw()->get_user_finalizer(env.raw(), v) != finalize)
    throw LispError("wrong-type-argument", std::string("not an llm-native ") + what);
  void* ptr = env.raw()->get_user_ptr(env.raw(), v);
  env.check();
  return ptr;
}

// A user-ptr that finalize frees; Emacs owns the object once the user-ptr exists.
template <class T>
emacs_value make_user_ptr(const Env& env, void (*finalize)(void*) noexcept, std::unique_ptr<T> object) {
  emacs_value v = env.raw()->make_user_ptr(env.raw(), finalize, object.get());
  env.check();
  object.release();
  return v;
}

Runtime& runtime_arg(const Env& env, emacs_value v) {
  auto* rt = static_cast<Runtime*>(user_ptr_arg(env, v, finalize_runtime, "runtime"));
  if (!rt->engine || rt->engine->closed()) throw LispError("llm-native-closed", "");
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
    return make_user_ptr(env, finalize_runtime, std::move(rt));
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
    auto* rt = static_cast<Runtime*>(user_ptr_arg(env, args[0], finalize_runtime, "runtime"));
    rt->close(std::chrono::milliseconds(2000));
    return env.nil();
  });
}

emacs_value mod_stats(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    Runtime& rt = runtime_arg(env, args[0]);
    EngineStats s = rt.engine->stats();
    std::vector<emacs_value> items{env.intern(":started"), env.integer(static_cast<int64_t>(s.started)),
                                   env.intern(":active"),  env.integer(static_cast<int64_t>(s.active)),
                                   env.intern(":rings"),   env.integer(static_cast<int64_t>(s.rings))};
    return env.list(items);
  });
}

// A Meter handle in Lisp owns one reference to the Meter.
void finalize_meter(void* ptr) noexcept { delete static_cast<std::shared_ptr<Meter>*>(ptr); }

const Meter& meter_arg(const Env& env, emacs_value v) {
  return **static_cast<std::shared_ptr<Meter>*>(user_ptr_arg(env, v, finalize_meter, "meter"));
}

emacs_value mod_meter(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    Runtime& rt = runtime_arg(env, args[0]);
    std::shared_ptr<Meter> m = rt.engine->meter(static_cast<RequestId>(env.to_integer(args[1])));
    if (!m) return env.nil();
    return make_user_ptr(env, finalize_meter, std::make_unique<std::shared_ptr<Meter>>(std::move(m)));
  });
}

emacs_value mod_meter_read(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    const Meter& m = meter_arg(env, args[0]);
    auto seconds = [&](const std::atomic<int64_t>& us) {
      int64_t n = us.load(std::memory_order_relaxed);
      return n < 0 ? env.nil() : env.number(static_cast<double>(n) / 1e6);
    };
    long status = m.status.load(std::memory_order_relaxed);
    std::vector<emacs_value> items{env.integer(static_cast<int64_t>(m.bytes.load(std::memory_order_relaxed))),
                                   status ? env.integer(status) : env.nil(),
                                   seconds(m.first_byte_us),
                                   seconds(m.first_token_us),
                                   seconds(m.end_us),
                                   env.integer(static_cast<int64_t>(m.text_bytes.load(std::memory_order_relaxed))),
                                   env.number(static_cast<double>(m.elapsed_us()) / 1e6)};
    return env.vector(items);
  });
}

emacs_value mod_meter_raw(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    const Meter& m = meter_arg(env, args[0]);
    if (!m.capture_limit) return env.nil();
    bool truncated = false;
    std::string bytes = m.raw(&truncated);
    emacs_value s = raw->make_unibyte_string(raw, bytes.data(), static_cast<ptrdiff_t>(bytes.size()));
    env.check();
    return env.call("cons", {s, truncated ? env.t() : env.nil()});
  });
}

emacs_value mod_set_capture(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    int64_t n = env.to_integer(args[0]);
    if (n < 0) throw std::invalid_argument("the capture limit must not be negative");
    Engine::set_capture_limit(static_cast<std::size_t>(n));
    return env.nil();
  });
}

emacs_value mod_build_body(emacs_env* raw, ptrdiff_t, emacs_value* args, void*) noexcept {
  return boundary(raw, [&](Env& env) {
    return env.string(build_body(find_dialect(env.to_string(args[0])), env.to_string(args[1]), env.truthy(args[2])));
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
    defun(env, "llm-native--mod-stats", 1, 1, mod_stats, "Return a plist of counters of RUNTIME.\n\n(fn RUNTIME)");
    defun(env, "llm-native--mod-build-body", 3, 3, mod_build_body,
          "Return the request body DIALECT builds from the canonical PROMPT (JSON text).\n"
          "STREAMING non-nil asks for a streamed response.\n\n(fn DIALECT PROMPT STREAMING)");
    defun(env, "llm-native--mod-meter", 2, 2, mod_meter,
          "Return the meter of request ID on RUNTIME, or nil once its end was drained.\n"
          "The meter stays readable after the request ended.\n\n(fn RUNTIME ID)");
    defun(env, "llm-native--mod-meter-read", 1, 1, mod_meter_read,
          "Return METER's figures as a vector [BYTES STATUS FIRST-BYTE FIRST-TOKEN END\n"
          "TEXT-BYTES NOW]: times in seconds since the request started, nil until they\n"
          "happened.\n\n(fn METER)");
    defun(env, "llm-native--mod-meter-raw", 1, 1, mod_meter_raw,
          "Return (BYTES . TRUNCATED), the raw response METER captured, or nil when it\n"
          "captured nothing (its request started with capture off).\n\n(fn METER)");
    defun(env, "llm-native--mod-set-capture", 1, 1, mod_set_capture,
          "Make requests started from now on capture up to LIMIT raw response bytes.\n\n(fn LIMIT)");
    env.call("provide", {env.intern("llm-native-module")});
  } catch (...) {
    return 3;
  }
  return 0;
}
