// A thin wrapper over emacs_env for the module's entry points, and the error boundary.
// Only code in module/emacs includes emacs-module.h, and only the main thread runs it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <emacs-module.h>

namespace llm_native::emacs {

// A non-local exit is pending in Emacs (a signal or throw from a Lisp call we made).
// Unwinds C++ to the entry point, which returns and lets Emacs carry the exit on.
struct LispExit {};

// An error to signal as a Lisp error symbol, with a message.
struct LispError : std::runtime_error {
  LispError(std::string symbol, const std::string& message) : std::runtime_error(message), symbol(std::move(symbol)) {}
  std::string symbol;
};

// Symbols the hot paths use (each request start, each drained event), interned once at
// module load and kept as global references, so that using one is no call into Emacs.
enum class Sym {
  nil,
  t,
  list,
  vector,
  plist_get,
  car,
  cdr,
  string_bytes,
  string,
  integer,
  float_,
  user_ptr,
  record,
  progress,
  done,
  error,
  cancelled,
  k_url,
  k_method,
  k_body,
  k_prompt,
  k_headers,
  k_format,
  k_dialect,
  k_streaming,
  k_connect_timeout,
  k_idle_timeout,
  k_timeout,
  k_proxy,
  k_insecure,
  k_max_record_size,
  k_max_response_size,
  k_redirects,
  k_secret_headers,
  k_progress_interval,
  count
};

// Interns every Sym (emacs_module_init calls it before anything uses Env::sym).
void init_symbols(emacs_env* env);
extern emacs_value g_symbols[static_cast<int>(Sym::count)];

class Env {
 public:
  explicit Env(emacs_env* env) : env_(env) {}
  emacs_env* raw() const { return env_; }

  // Throws LispExit if the last env call left a non-local exit pending.
  void check() const {
    if (env_->non_local_exit_check(env_) != emacs_funcall_exit_return) throw LispExit{};
  }

  emacs_value intern(const char* name) const {
    emacs_value v = env_->intern(env_, name);
    check();
    return v;
  }
  emacs_value sym(Sym s) const { return g_symbols[static_cast<int>(s)]; }
  emacs_value nil() const { return sym(Sym::nil); }
  emacs_value t() const { return sym(Sym::t); }
  bool truthy(emacs_value v) const { return env_->is_not_nil(env_, v); }
  bool is_nil(emacs_value v) const { return !truthy(v); }

  // Makes a Lisp string from UTF-8 text; invalid sequences are replaced with U+FFFD.
  emacs_value string(std::string_view text) const;
  // The same, for text that may be large or frequent (streamed text, records): ASCII text
  // becomes a unibyte string, made with one allocation where Emacs 28's make_string makes
  // two (a temporary copy, then the string), so a streamed answer conses half as much.
  emacs_value text(std::string_view text) const;
  emacs_value integer(int64_t n) const {
    emacs_value v = env_->make_integer(env_, n);
    check();
    return v;
  }
  emacs_value number(double d) const {
    emacs_value v = env_->make_float(env_, d);
    check();
    return v;
  }

  emacs_value call(const char* function, std::initializer_list<emacs_value> args) const {
    return call(intern(function), args);
  }
  emacs_value call(Sym function, std::initializer_list<emacs_value> args) const { return call(sym(function), args); }
  emacs_value call(emacs_value function, std::initializer_list<emacs_value> args) const {
    // funcall does not write to its arguments.
    emacs_value v =
        env_->funcall(env_, function, static_cast<ptrdiff_t>(args.size()), const_cast<emacs_value*>(args.begin()));
    check();
    return v;
  }
  emacs_value list(std::vector<emacs_value>& items) const {
    emacs_value v = env_->funcall(env_, sym(Sym::list), static_cast<ptrdiff_t>(items.size()), items.data());
    check();
    return v;
  }
  emacs_value vector(std::vector<emacs_value>& items) const {
    emacs_value v = env_->funcall(env_, sym(Sym::vector), static_cast<ptrdiff_t>(items.size()), items.data());
    check();
    return v;
  }

  // Reads a Lisp string as UTF-8 (signals wrong-type-argument if v is not a string).
  std::string to_string(emacs_value v) const;
  int64_t to_integer(emacs_value v) const {
    int64_t n = env_->extract_integer(env_, v);
    check();
    return n;
  }
  double to_number(emacs_value v) const;  // integer or float
  bool is_type(emacs_value v, const char* type) const {
    emacs_value ty = env_->type_of(env_, v);
    check();
    return env_->eq(env_, ty, intern(type));
  }
  bool is_type(emacs_value v, Sym type) const {
    emacs_value ty = env_->type_of(env_, v);
    check();
    return env_->eq(env_, ty, sym(type));
  }

 private:
  emacs_env* env_;
};

// Runs body for a module function and turns every C++ exception into a Lisp signal:
// LispExit passes the pending exit on; LispError signals its symbol with (MESSAGE);
// std::invalid_argument signals llm-native-invalid-spec; std::bad_alloc memory-full;
// anything else llm-native-internal-error.
template <typename Body>
emacs_value boundary(emacs_env* raw, Body&& body) noexcept;

void signal_error(emacs_env* raw, const char* symbol, const char* message) noexcept;

template <typename Body>
emacs_value boundary(emacs_env* raw, Body&& body) noexcept {
  try {
    Env env(raw);
    return body(env);
  } catch (const LispExit&) {
  } catch (const LispError& e) {
    signal_error(raw, e.symbol.c_str(), e.what());
  } catch (const std::invalid_argument& e) {
    signal_error(raw, "llm-native-invalid-spec", e.what());
  } catch (const std::bad_alloc&) {
    signal_error(raw, "memory-full", "out of memory");
  } catch (const std::exception& e) {
    signal_error(raw, "llm-native-internal-error", e.what());
  } catch (...) {
    signal_error(raw, "llm-native-internal-error", "unknown C++ exception");
  }
  return nullptr;
}

}  // namespace llm_native::emacs
