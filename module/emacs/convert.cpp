#include "convert.hpp"

#include <cmath>
#include <stdexcept>

namespace llm_native::emacs {
namespace {

emacs_value plist_get(const Env& env, emacs_value plist, Sym key) {
  return env.call(Sym::plist_get, {plist, env.sym(key)});
}

std::string string_arg(const Env& env, emacs_value v, const char* key) {
  if (!env.is_type(v, Sym::string)) throw std::invalid_argument(std::string(key) + " must be a string");
  return env.to_string(v);
}

// Seconds (integer or float, nil = none) to milliseconds.
long millis_arg(const Env& env, emacs_value v, const char* key, long fallback) {
  if (env.is_nil(v)) return fallback;
  if (!env.is_type(v, Sym::integer) && !env.is_type(v, Sym::float_))
    throw std::invalid_argument(std::string(key) + " must be a number of seconds or nil");
  double seconds = env.to_number(v);
  if (!(seconds >= 0) || seconds > 1e7) throw std::invalid_argument(std::string(key) + " out of range");
  return static_cast<long>(std::llround(seconds * 1000));
}

emacs_value opt_string(const Env& env, const std::string& s) { return s.empty() ? env.nil() : env.string(s); }
emacs_value opt_count(const Env& env, int64_t n) { return n < 0 ? env.nil() : env.integer(n); }

}  // namespace

RequestSpec spec_from_plist(const Env& env, emacs_value plist) {
  RequestSpec spec;
  emacs_value v = plist_get(env, plist, Sym::k_url);
  spec.url = string_arg(env, v, ":url");
  if (v = plist_get(env, plist, Sym::k_method); env.truthy(v)) spec.method = string_arg(env, v, ":method");
  if (v = plist_get(env, plist, Sym::k_body); env.truthy(v)) spec.body = string_arg(env, v, ":body");
  emacs_value prompt = plist_get(env, plist, Sym::k_prompt);
  for (v = plist_get(env, plist, Sym::k_headers); env.truthy(v); v = env.call(Sym::cdr, {v}))
    spec.headers.push_back(string_arg(env, env.call(Sym::car, {v}), ":headers element"));
  if (v = plist_get(env, plist, Sym::k_format); env.truthy(v))
    spec.format = parse_format(env.to_string(env.call("symbol-name", {v})));
  if (v = plist_get(env, plist, Sym::k_dialect); env.truthy(v))
    spec.dialect = &find_dialect(string_arg(env, v, ":dialect"));
  spec.streaming = env.truthy(plist_get(env, plist, Sym::k_streaming));
  // A chat's body made here from its canonical prompt: no Lisp string of it on the way.
  if (env.truthy(prompt)) {
    if (!spec.dialect) throw std::invalid_argument(":prompt needs a :dialect");
    spec.body = build_body(*spec.dialect, string_arg(env, prompt, ":prompt"), spec.streaming);
  }
  spec.connect_timeout_ms =
      millis_arg(env, plist_get(env, plist, Sym::k_connect_timeout), ":connect-timeout", spec.connect_timeout_ms);
  spec.idle_timeout_ms = millis_arg(env, plist_get(env, plist, Sym::k_idle_timeout), ":idle-timeout", 0);
  spec.total_timeout_ms = millis_arg(env, plist_get(env, plist, Sym::k_timeout), ":timeout", 0);
  spec.progress_interval_ms = millis_arg(env, plist_get(env, plist, Sym::k_progress_interval), ":progress-interval", 0);
  if (v = plist_get(env, plist, Sym::k_proxy); env.truthy(v)) spec.proxy = string_arg(env, v, ":proxy");
  spec.insecure = env.truthy(plist_get(env, plist, Sym::k_insecure));
  if (v = plist_get(env, plist, Sym::k_max_record_size); env.truthy(v)) {
    int64_t n = env.to_integer(v);
    if (n <= 0) throw std::invalid_argument(":max-record-size must be a positive integer");
    spec.max_record = static_cast<std::size_t>(n);
  }
  if (v = plist_get(env, plist, Sym::k_max_response_size); env.truthy(v)) {
    if (!env.is_type(v, "integer")) throw std::invalid_argument(":max-response-size must be a positive integer");
    int64_t n = env.to_integer(v);
    if (n <= 0) throw std::invalid_argument(":max-response-size must be a positive integer");
    spec.max_response = static_cast<std::size_t>(n);
  }
  if (v = plist_get(env, plist, Sym::k_redirects); env.truthy(v)) {
    if (!env.is_type(v, "symbol")) throw std::invalid_argument(":redirects must be none, same-origin or cross-origin");
    spec.redirects = parse_redirect_policy(env.to_string(env.call("symbol-name", {v})));
  }
  for (v = plist_get(env, plist, Sym::k_secret_headers); env.truthy(v); v = env.call(Sym::cdr, {v}))
    spec.secret_headers.push_back(string_arg(env, env.call(Sym::car, {v}), ":secret-headers element"));
  return spec;
}

emacs_value event_to_lisp(const Env& env, const Event& e) {
  std::vector<emacs_value> items{env.integer(static_cast<int64_t>(e.id))};
  switch (e.kind) {
    case EventKind::Record:
      items.push_back(env.sym(Sym::record));
      items.push_back(e.record.type.empty() ? env.nil() : env.text(e.record.type));
      items.push_back(env.text(e.record.data));
      items.push_back(e.record.type.empty() || e.record.id.empty() ? env.nil() : env.text(e.record.id));
      break;
    case EventKind::Progress:
      items.push_back(env.sym(Sym::progress));
      items.push_back(env.text(e.text));
      items.push_back(env.text(e.reasoning));
      break;
    case EventKind::Done: {
      items.push_back(env.sym(Sym::done));
      items.push_back(env.integer(e.status));
      if (!e.result) {
        items.push_back(env.nil());
        break;
      }
      const ChatResult& r = *e.result;
      std::vector<emacs_value> calls;
      for (const ToolCall& c : r.tool_calls) {
        std::vector<emacs_value> call{opt_string(env, c.id), env.string(c.name),
                                      env.string(c.args_json.empty() ? "{}" : c.args_json),
                                      opt_string(env, c.extra_json)};
        calls.push_back(env.vector(call));
      }
      // t: the progress events carried all of it (a large answer is not copied twice).
      // The text itself crosses as streamed text does: ASCII in one allocation.
      std::vector<emacs_value> result{e.text_delivered ? env.t() : env.text(r.text),
                                      e.reasoning_delivered ? env.t()
                                      : r.reasoning.empty() ? env.nil()
                                                            : env.text(r.reasoning),
                                      env.list(calls),
                                      opt_count(env, r.input_tokens),
                                      opt_count(env, r.output_tokens),
                                      opt_string(env, r.finish_reason),
                                      opt_string(env, r.multi_turn_json)};
      items.push_back(env.vector(result));
      break;
    }
    case EventKind::Error:
      items.push_back(env.sym(Sym::error));
      items.push_back(env.intern(error_code_name(e.error.code)));
      items.push_back(env.string(e.error.message));
      items.push_back(e.error.http_status ? env.integer(e.error.http_status) : env.nil());
      items.push_back(opt_string(env, e.error.body));
      break;
    case EventKind::Cancelled: items.push_back(env.sym(Sym::cancelled)); break;
  }
  return env.list(items);
}

std::string build_body(const Dialect& dialect, const std::string& prompt, bool streaming) {
  try {
    return dialect.build_body(prompt, streaming);
  } catch (const std::invalid_argument& e) {
    throw LispError("llm-native-unsupported", e.what());
  }
}

}  // namespace llm_native::emacs
