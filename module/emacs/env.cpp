#include "env.hpp"

#include "utf8.hpp"

namespace llm_native::emacs {

emacs_value Env::string(std::string_view text) const {
  emacs_value v;
  if (utf8::is_valid(text)) {
    v = env_->make_string(env_, text.data(), static_cast<ptrdiff_t>(text.size()));
  } else {
    std::string clean = utf8::sanitized(text);
    v = env_->make_string(env_, clean.data(), static_cast<ptrdiff_t>(clean.size()));
  }
  check();
  return v;
}

emacs_value g_symbols[static_cast<int>(Sym::count)];

void init_symbols(emacs_env* env) {
  static const char* const names[] = {"nil",
                                      "t",
                                      "list",
                                      "vector",
                                      "plist-get",
                                      "car",
                                      "cdr",
                                      "string-bytes",
                                      "string",
                                      "integer",
                                      "float",
                                      "user-ptr",
                                      "record",
                                      "progress",
                                      "done",
                                      "error",
                                      "cancelled",
                                      ":url",
                                      ":method",
                                      ":body",
                                      ":prompt",
                                      ":headers",
                                      ":format",
                                      ":dialect",
                                      ":streaming",
                                      ":connect-timeout",
                                      ":idle-timeout",
                                      ":timeout",
                                      ":proxy",
                                      ":insecure",
                                      ":max-record-size",
                                      ":max-response-size",
                                      ":redirects",
                                      ":secret-headers",
                                      ":progress-interval"};
  static_assert(sizeof names / sizeof names[0] == static_cast<int>(Sym::count), "one name per Sym");
  for (int i = 0; i < static_cast<int>(Sym::count); ++i) {
    emacs_value v = env->intern(env, names[i]);
    if (env->non_local_exit_check(env) != emacs_funcall_exit_return) throw LispExit{};
    g_symbols[i] = env->make_global_ref(env, v);
    if (env->non_local_exit_check(env) != emacs_funcall_exit_return) throw LispExit{};
  }
}

emacs_value Env::text(std::string_view text) const {
  if (!utf8::is_ascii(text)) return string(text);
  emacs_value v = env_->make_unibyte_string(env_, text.data(), static_cast<ptrdiff_t>(text.size()));
  check();
  return v;
}

std::string Env::to_string(emacs_value v) const {
  // Every copy_string_contents call encodes the string into a new Lisp string, so asking it
  // for the size first would cons a throwaway copy (of a whole prompt, for a request).
  // string-bytes, the size of Emacs's internal form, is never less than the UTF-8 form's.
  ptrdiff_t size = static_cast<ptrdiff_t>(to_integer(call(Sym::string_bytes, {v}))) + 1;
  std::string out(static_cast<size_t>(size), '\0');
  env_->copy_string_contents(env_, v, out.data(), &size);
  check();
  out.resize(size > 0 ? static_cast<size_t>(size) - 1 : 0);  // drop the terminating NUL
  return out;
}

double Env::to_number(emacs_value v) const {
  if (is_type(v, Sym::integer)) return static_cast<double>(to_integer(v));
  double d = env_->extract_float(env_, v);
  check();
  return d;
}

void signal_error(emacs_env* raw, const char* symbol, const char* message) noexcept {
  // An empty message signals no data: the error symbol's own message says it all.
  if (!*message) {
    raw->non_local_exit_signal(raw, raw->intern(raw, symbol), raw->intern(raw, "nil"));
    return;
  }
  // If building the signal data itself fails, the pending exit of that failure stands.
  std::string text = utf8::sanitized(message);
  emacs_value msg = raw->make_string(raw, text.data(), static_cast<ptrdiff_t>(text.size()));
  if (raw->non_local_exit_check(raw) != emacs_funcall_exit_return) return;
  emacs_value data = raw->funcall(raw, raw->intern(raw, "list"), 1, &msg);
  if (raw->non_local_exit_check(raw) != emacs_funcall_exit_return) return;
  raw->non_local_exit_signal(raw, raw->intern(raw, symbol), data);
}

}  // namespace llm_native::emacs
