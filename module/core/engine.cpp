#include "engine.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <pthread.h>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <curl/curl.h>

#include "event_queue.hpp"
#include "json_util.hpp"
#include "utf8.hpp"

namespace llm_native {

namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "text/event-stream; charset=utf-8" -> "text/event-stream"
std::string media_type(const char* content_type) {
  if (!content_type) return {};
  std::string s = lower(content_type);
  s = s.substr(0, s.find(';'));
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = s.find_first_not_of(" \t");
  return start == std::string::npos ? std::string() : s.substr(start);
}

// The framing a 2xx response's Content-Type asks for, if it names a known one.
std::optional<Format> format_for_media_type(const std::string& type, Format declared) {
  if (type == "text/event-stream") return Format::Sse;
  if (type == "application/x-ndjson" || type == "application/jsonl" || type == "application/x-jsonlines" ||
      type == "application/json-seq")
    return Format::Ndjson;
  if (type == "application/json") return declared == Format::JsonArray ? Format::JsonArray : Format::Json;
  return std::nullopt;
}

ErrorCode code_for_curl(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: return ErrorCode::Timeout;
    case CURLE_PARTIAL_FILE: return ErrorCode::Truncated;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_WEIRD_SERVER_REPLY: return ErrorCode::Protocol;
    case CURLE_OUT_OF_MEMORY: return ErrorCode::Internal;
    default: return ErrorCode::Connection;
  }
}

// ---- Redirects: every hop is checked here, libcurl never follows one on its own.

constexpr long kMaxRedirects = 5;

// Headers that carry credentials and never go to another origin.
bool credential_header(const std::string& name, const std::vector<std::string>& secret) {
  static const char* const kCredentials[] = {"authorization", "cookie",         "proxy-authorization",
                                             "x-api-key",     "x-goog-api-key", "api-key"};
  std::string n = lower(name);
  for (const char* c : kCredentials)
    if (n == c) return true;
  for (const std::string& s : secret)
    if (n == lower(s)) return true;
  return false;
}

std::string header_name(const std::string& header) { return header.substr(0, header.find(':')); }

// scheme://host:port of url (default port filled in), or "" when it cannot be parsed.
std::string origin_of(const std::string& url) {
  CURLU* u = curl_url();
  if (!u) return {};
  std::string origin;
  char *scheme = nullptr, *host = nullptr, *port = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
    origin = lower(scheme) + "://" + lower(host) + ":" + port;
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return origin;
}

bool is_redirect_status(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::once_flag curl_init_once;
std::atomic<std::size_t> capture_limit{0};

}  // namespace

// One request on the worker thread. It is also the sink of its own framer.
struct Transfer final : RecordSink {
  RequestId id = 0;
  RequestSpec spec;
  EventQueue* queue = nullptr;
  std::shared_ptr<Meter> meter;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  char curl_error[CURL_ERROR_SIZE] = {0};

  const Dialect* dialect = nullptr;
  std::unique_ptr<Decoder> decoder;
  std::unique_ptr<Framer> framer;
  bool decided = false;     // status and framing known (first body byte or end)
  bool got_body = false;    // at least one body byte arrived
  bool http_error = false;  // non-2xx: the body is collected as the error's payload
  long status = 0;
  std::string error_body;
  std::optional<Error> failure;  // the first error; ends the request
  size_t published_text = 0, published_reasoning = 0;
  Clock::time_point last_data = Clock::now();
  // Budgets and flow control.
  uint64_t decoded = 0;       // body bytes after content decoding, every hop
  bool paused = false;        // the write callback paused the transfer (queue backlog)
  size_t header_bytes = 0;    // this response's header bytes so far
  bool headers_done = false;  // the blank line after this response's headers arrived
  // Redirects: where the request now goes, and how many hops it took.
  std::string current_url;
  std::string origin;  // of the request as made
  long hops = 0;
  bool preconnect = false;  // a connection opened ahead of requests: no events at all

  ~Transfer() override {
    if (easy) curl_easy_cleanup(easy);
    if (header_list) curl_slist_free_all(header_list);
  }

  void fail(Error&& e) {
    if (!failure) failure = std::move(e);
  }

  void on_record(Record&& record) override {
    if (failure) return;
    if (decoder) {
      decoder->on_record(record);
      if (decoder->error()) fail(Error(*decoder->error()));
      return;
    }
    Event ev;
    ev.id = id;
    ev.kind = EventKind::Record;
    ev.record = std::move(record);
    meter->mark(meter->first_token_us);
    queue->push(std::move(ev));
  }

  void on_error(Error&& error) override { fail(std::move(error)); }
  // A decoder parses every JSON record: the framer's check parses it once for both.
  json::RecordParser* json_parser() override { return decoder ? &decoder->parser() : nullptr; }

  void decide() {
    decided = true;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    meter->status.store(status, std::memory_order_relaxed);
    if (status < 200 || status >= 300) {
      http_error = true;
      return;
    }
    char* content_type = nullptr;
    curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &content_type);
    std::string type = media_type(content_type);
    Format format = spec.format;
    if (decoder) {
      // The answer is decoded in the framing it came in, whatever was asked for: a whole
      // JSON body to a streaming request, or a stream to a non-streaming one.
      format = spec.streaming ? dialect->stream_format() : Format::Json;
      if (auto announced = format_for_media_type(type, format)) format = *announced;
      decoder = dialect->make_decoder(format != Format::Json);
      if (format == Format::JsonArray) {
        framer = make_json_array_or_document_framer(spec.max_record);
        return;
      }
    } else if (auto announced = format_for_media_type(type, format)) {
      format = *announced;
    }
    framer = make_framer(format, spec.max_record);
  }

  void publish_progress() {
    const ChatResult& r = decoder->result();
    size_t text_len = r.text.size() > published_text ? r.text.size() - published_text : 0;
    size_t reasoning_len = r.reasoning.size() > published_reasoning ? r.reasoning.size() - published_reasoning : 0;
    if (text_len == 0 && reasoning_len == 0) return;
    queue->push_progress(id, r.text.data() + published_text, text_len, r.reasoning.data() + published_reasoning,
                         reasoning_len, std::chrono::milliseconds(spec.progress_interval_ms), Clock::now());
    published_text += text_len;
    published_reasoning += reasoning_len;
    meter->text_bytes.fetch_add(text_len + reasoning_len, std::memory_order_relaxed);
    meter->mark(meter->first_token_us);
  }

  // libcurl's write callback.
  size_t on_body(const char* data, size_t size) {
    last_data = Clock::now();
    got_body = true;
    if (!decided) decide();
    // The main thread is behind: hold the bytes in libcurl until a drain catches up.
    if (!http_error && queue->backlogged()) {
      paused = true;
      return CURL_WRITEFUNC_PAUSE;
    }
    // After the pause check: libcurl hands paused bytes over again.
    meter->bytes.fetch_add(size, std::memory_order_relaxed);
    meter->mark(meter->first_byte_us);
    if (meter->capture_limit) meter->capture(data, size);
    if (!within_budget(size)) return 0;
    if (http_error) {
      size_t room = spec.max_record > error_body.size() ? spec.max_record - error_body.size() : 0;
      error_body.append(data, std::min(room, size));
      return size;
    }
    framer->feed(data, size, *this);
    if (decoder) publish_progress();
    return failure ? 0 : size;  // a short count makes libcurl stop the transfer
  }

  // Counts decoded body bytes against the response budget; false (and the request failed
  // with TooLarge) past it. Compressed bodies count as what they inflate to.
  bool within_budget(size_t size) {
    decoded += size;
    if (decoded <= spec.max_response) return true;
    fail(make_error(ErrorCode::TooLarge, "the response exceeds the size budget of " +
                                             std::to_string(spec.max_response) +
                                             " bytes (counted after content decoding)"));
    return false;
  }

  // libcurl's header callback: one header line at a time (the status line included).
  size_t on_header(const char* data, size_t size) {
    if (meter->capture_limit) meter->capture(data, size);     // the debug log shows the head too
    if (size >= 5 && std::string_view(data, 5) == "HTTP/") {  // a new response (1xx, redirect)
      header_bytes = 0;
      headers_done = false;
    }
    if (size <= 2 && (size == 0 || data[0] == '\r' || data[0] == '\n')) headers_done = true;
    header_bytes += size;
    if (size > kMaxHeaderLine || header_bytes > 4 * kMaxHeaderLine) {
      std::string name(data, std::min<size_t>(size, 64));
      name = name.substr(0, name.find(':'));
      bool named = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c);
      });
      fail(make_error(ErrorCode::Protocol,
                      size > kMaxHeaderLine
                          ? "response header " + (named ? "'" + name + "' " : std::string()) + "exceeds " +
                                std::to_string(kMaxHeaderLine) + " bytes"
                          : "the response headers exceed " + std::to_string(4 * kMaxHeaderLine) + " bytes"));
      return 0;
    }
    return size;
  }

  void push_terminal(Event&& ev) {
    ev.id = id;
    meter->mark(meter->end_us);
    queue->push(std::move(ev));
  }

  void push_error(Error&& e) {
    Event ev;
    ev.kind = EventKind::Error;
    ev.error = std::move(e);
    push_terminal(std::move(ev));
  }

  Error http_failure() {
    std::string body = utf8::sanitized(error_body);
    std::string cause = dialect ? dialect->error_message(body) : excerpt(body, 300);
    std::string message = "HTTP " + std::to_string(status);
    if (!cause.empty()) message += ": " + cause;
    Error e = make_error(ErrorCode::Http, std::move(message));
    e.http_status = status;
    e.body = std::move(body);
    return e;
  }

  // The transfer ended with libcurl's result code rc: queue the one terminal event.
  void complete(CURLcode rc) {
    if (rc == CURLE_OK && !decided) decide();
    // A response that has no body by definition is not a truncated record.
    bool bodiless = !got_body && (status == 204 || status == 205 || spec.method == "HEAD");
    if (rc == CURLE_OK && !failure && !http_error && !(bodiless && !decoder)) {
      framer->finish(*this);
      if (decoder) {
        if (framer->body_complete()) decoder->body_closed();
        // A partial record after a sign of completion loses nothing of the answer.
        if (failure && failure->code == ErrorCode::Truncated && decoder->complete() && !decoder->error())
          failure.reset();
      }
    }
    if (decoder && !failure && !http_error) {
      // A stream whose end signal arrived is complete even if the connection then broke.
      if (rc == CURLE_OK || decoder->complete()) {
        decoder->finish();
        if (decoder->error()) fail(Error(*decoder->error()));
        publish_progress();
      }
    }
    if (http_error) {
      push_error(http_failure());
      return;
    }
    if (failure) {
      push_error(std::move(*failure));
      return;
    }
    if (rc != CURLE_OK && !(decoder && decoder->complete())) {
      const char* detail = curl_error[0] ? curl_error : curl_easy_strerror(rc);
      ErrorCode code = code_for_curl(rc);
      // libcurl refuses a header line over its own limit (100 KB) as "out of memory",
      // before our header callback sees the line.
      if (rc == CURLE_OUT_OF_MEMORY && !headers_done) {
        push_error(make_error(ErrorCode::Protocol, "a response header exceeds libcurl's limit of 100 KB"));
        return;
      }
      std::string message = code == ErrorCode::Truncated
                                ? std::string("the connection closed before the response ended: ") + detail
                                : std::string(detail);
      push_error(make_error(code, std::move(message)));
      return;
    }
    if (decoder) {
      if (auto bad = unreadable_json(decoder->result())) {
        push_error(std::move(*bad));
        return;
      }
    }
    Event ev;
    ev.kind = EventKind::Done;
    ev.status = status;
    if (decoder) {
      ev.result = std::move(decoder->result());
      ev.text_delivered = published_text > 0 && published_text == ev.result->text.size();
      ev.reasoning_delivered = published_reasoning > 0 && published_reasoning == ev.result->reasoning.size();
    }
    push_terminal(std::move(ev));
  }

  // The JSON texts of a chat result Lisp parses again (tool arguments, extras, the
  // multi-turn state) must be within what Emacs reads; the dialects parse under the same
  // limits, this is the last check before they cross.
  static std::optional<Error> unreadable_json(const ChatResult& r) {
    std::string why;
    for (const ToolCall& c : r.tool_calls) {
      if (!c.args_json.empty() && !json::validate(c.args_json, &why))
        return make_error(ErrorCode::Protocol, "tool call '" + c.name + "' has arguments Emacs cannot read: " + why);
      if (!c.extra_json.empty() && !json::validate(c.extra_json, &why))
        return make_error(ErrorCode::Protocol, "tool call '" + c.name + "' has data Emacs cannot read: " + why);
    }
    if (!r.multi_turn_json.empty() && !json::validate(r.multi_turn_json, &why))
      return make_error(ErrorCode::Protocol, "the response's multi-turn state is JSON Emacs cannot read: " + why);
    return std::nullopt;
  }

  // ---- Redirects

  enum class Hop { NotRedirect, Follow, Refused };

  // Called when a response ended: a redirect the policy allows is set up on the easy handle
  // (removed from the multi handle; the caller adds it again); a refused one queues the
  // request's error. Credentials never leave the origin, a body never goes to another one.
  Hop redirect(CURLcode rc) {
    if (rc != CURLE_OK || failure) return Hop::NotRedirect;
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    char* location = nullptr;
    curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &location);
    if (!is_redirect_status(code) || !location) return Hop::NotRedirect;
    std::string target = location;
    std::string target_origin = origin_of(target);
    auto refuse = [&](const std::string& why) {
      Error e = make_error(ErrorCode::Http, "HTTP " + std::to_string(code) + ": redirect " + why);
      e.http_status = code;
      push_error(std::move(e));
      return Hop::Refused;
    };
    if (spec.redirects == RedirectPolicy::None) return refuse("not followed (redirects are off)");
    if (++hops > kMaxRedirects)
      return refuse("not followed: more than " + std::to_string(kMaxRedirects) + " redirects");
    std::string scheme = target_origin.substr(0, target_origin.find(':'));
    if (scheme != "http" && scheme != "https") return refuse("to a URL that is not http or https refused");
    if (lower(current_url.substr(0, 6)) == "https:" && scheme == "http")
      return refuse("from https to http refused (" + target_origin + ")");
    bool same = target_origin == origin;
    if (!same && spec.redirects != RedirectPolicy::CrossOrigin)
      return refuse("to another origin (" + target_origin + ") refused; :redirects cross-origin allows it");
    bool has_body = !spec.body.empty() || (spec.method != "GET" && spec.method != "HEAD");
    if (code == 303 && spec.method != "HEAD") drop_body();
    if (!same && has_body) {
      // 307 and 308 mean "send the same request there": that would hand the body over.
      if (code == 307 || code == 308)
        return refuse("to another origin (" + target_origin + ") would re-send the request body; refused");
      drop_body();
    }
    if (!same) {
      std::vector<std::string>& h = spec.headers;
      h.erase(
          std::remove_if(h.begin(), h.end(),
                         [&](const std::string& x) { return credential_header(header_name(x), spec.secret_headers); }),
          h.end());
    }
    current_url = target;
    // Every later hop is judged against the origin the request has reached, so a chain
    // back to the first host cannot win its credentials back: they are gone.
    if (!same) origin = target_origin;
    decided = got_body = http_error = false;
    status = 0;
    header_bytes = 0;
    headers_done = false;
    error_body.clear();
    framer.reset();
    curl_error[0] = 0;
    return Hop::Follow;
  }

  void drop_body() {
    spec.method = "GET";
    spec.body.clear();
    std::vector<std::string>& h = spec.headers;
    h.erase(std::remove_if(h.begin(), h.end(),
                           [](const std::string& x) {
                             std::string n = lower(header_name(x));
                             return n == "content-type" || n == "content-length";
                           }),
            h.end());
  }
};

namespace {

// No exception leaves a libcurl callback: one that escapes fails its request, whose
// transfer the zero return stops.
template <class Body>
size_t guarded(Transfer* t, Body&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    try {
      t->fail(make_error(ErrorCode::Internal, "out of memory while reading the response"));
    } catch (...) {
    }
  } catch (const std::exception& e) {
    try {
      t->fail(make_error(ErrorCode::Internal, std::string("while reading the response: ") + e.what()));
    } catch (...) {
    }
  } catch (...) {
  }
  return 0;
}

// Connection reuse. One share holds the DNS cache and the TLS session cache for every
// request (libcurl keeps session ids per easy handle otherwise, and we make one handle per
// request); the multi handle already keeps the connection cache. Only the worker thread
// uses the share, so it needs no lock callbacks.
CURLSH* make_share() {
  CURLSH* share = curl_share_init();
  if (!share) throw std::runtime_error("curl_share_init failed");
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  return share;
}

// The options that let a request use a warm connection.
void set_connection_options(CURL* e, const RequestSpec& s, CURLSH* share) {
  curl_easy_setopt(e, CURLOPT_SHARE, share);
  // HTTP/2 where TLS negotiates it (ALPN), else HTTP/1.1.
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  // Over TLS, a request to a host whose connection is still being set up waits for the
  // handshake to say whether it can multiplex rather than open a connection of its own.
  // Not over plain http: there libcurl learns that only from the first response's
  // headers, and a model can take seconds to send them.
  if (s.url.size() > 6 && (s.url[4] == 's' || s.url[4] == 'S')) curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
}

size_t write_callback(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->preconnect) return size * nmemb;  // whatever the server says, nobody reads it
  return guarded(t, [&] { return t->on_body(data, size * nmemb); });
}

size_t header_callback(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->preconnect) return size * nmemb;
  return guarded(t, [&] { return t->on_header(data, size * nmemb); });
}

// Header names are tokens (RFC 9110).
bool is_token(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || (c != 0 && std::strchr("!#$%&'*+-.^_`|~", c));
  });
}

// Messages name the part at fault, never a URL or a header value (they hold keys).
void validate(const RequestSpec& spec) {
  auto has_control = [](const std::string& s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  };
  if (has_control(spec.url)) throw std::invalid_argument("the URL contains a control character (NUL, CR, LF, ...)");
  std::string url = lower(spec.url.substr(0, 8));
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    size_t colon = spec.url.find(':');
    std::string scheme = colon != std::string::npos && colon < 16 ? spec.url.substr(0, colon) : std::string();
    throw std::invalid_argument("only http and https URLs are supported" +
                                (is_token(scheme) ? " (not " + scheme + ")" : std::string()));
  }
  if (spec.method.empty() || std::any_of(spec.method.begin(), spec.method.end(),
                                         [](char c) { return !std::isalpha(static_cast<unsigned char>(c)); }))
    throw std::invalid_argument("invalid HTTP method (letters only)");
  for (const std::string& h : spec.headers) {
    size_t colon = h.find(':');
    std::string name = colon == std::string::npos ? std::string() : h.substr(0, colon);
    if (!is_token(name)) throw std::invalid_argument("invalid header (expected \"Name: value\" with a token as name)");
    if (h.find_first_of(std::string("\r\n\0", 3), colon) != std::string::npos)
      throw std::invalid_argument("the value of header " + name + " contains CR, LF or NUL");
  }
  for (const std::string& name : spec.secret_headers)
    if (!is_token(name)) throw std::invalid_argument("invalid secret header name (expected a token)");
  if (spec.connect_timeout_ms < 0 || spec.idle_timeout_ms < 0 || spec.total_timeout_ms < 0)
    throw std::invalid_argument("timeouts must not be negative");
  if (spec.progress_interval_ms < 0) throw std::invalid_argument("the progress interval must not be negative");
  if (spec.max_record == 0) throw std::invalid_argument("max record size must be positive");
  if (spec.max_response == 0) throw std::invalid_argument("max response size must be positive");
}

// The method, body and headers of t's spec on its easy handle (again after a redirect).
void apply_request(Transfer& t) {
  CURL* e = t.easy;
  const RequestSpec& s = t.spec;
  curl_easy_setopt(e, CURLOPT_URL, t.current_url.c_str());
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, static_cast<char*>(nullptr));
  curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
  if (s.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (s.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else {
    if (s.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, s.method.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(s.body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, s.body.data());
  }
  if (t.header_list) curl_slist_free_all(t.header_list);
  t.header_list = nullptr;
  for (const std::string& h : s.headers) t.header_list = curl_slist_append(t.header_list, h.c_str());
  t.header_list = curl_slist_append(t.header_list, "Expect:");  // no 100-continue round trip
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);
}

}  // namespace

// State shared by the engine (main thread) and its worker thread.
struct Engine::Worker {
  Worker(int fd, QueueLimits limits) : queue(fd, limits) {}

  EventQueue queue;
  std::mutex inbox_mutex;
  std::vector<std::unique_ptr<Transfer>> to_start;
  std::vector<RequestId> to_cancel;
  bool stop = false;
  CURLM* multi = nullptr;
  CURLSH* share = nullptr;
  std::thread thread;
  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool finished = false;
  std::atomic<uint64_t> active{0};
  std::atomic<uint64_t> paused{0};  // transfers paused for the queue's backlog

  void wake() { curl_multi_wakeup(multi); }

  void add(std::unique_ptr<Transfer> t, std::unordered_map<RequestId, std::unique_ptr<Transfer>>& live) {
    CURL* e = curl_easy_init();
    if (!e) {
      t->push_error(make_error(ErrorCode::Internal, "curl_easy_init failed"));
      return;
    }
    t->easy = e;
    const RequestSpec& s = t->spec;
    t->current_url = s.url;
    t->origin = origin_of(s.url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_callback);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_callback);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // Transfer::redirect checks each hop
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "llm-native/" LLM_NATIVE_VERSION);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, s.total_timeout_ms);
    set_connection_options(e, s, share);
    if (!s.proxy.empty()) curl_easy_setopt(e, CURLOPT_PROXY, s.proxy.c_str());
    if (s.insecure) {
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    apply_request(*t);
    t->last_data = Clock::now();
    if (curl_multi_add_handle(multi, e) != CURLM_OK) {
      t->push_error(make_error(ErrorCode::Internal, "curl_multi_add_handle failed"));
      return;
    }
    RequestId id = t->id;
    live.emplace(id, std::move(t));
    active.store(live.size());
  }

  void run() {
    // libcurl may write to a closed socket and the doorbell may outlive its pipe: with
    // SIGPIPE blocked those become EPIPE errors instead of killing Emacs.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    std::unordered_map<RequestId, std::unique_ptr<Transfer>> live;
    for (;;) {
      // No exception leaves this thread: one that escapes a step is dropped, and the
      // loop carries on (transfers fail one by one in their own guards).
      try {
        if (step(live)) break;
      } catch (...) {
        curl_multi_poll(multi, nullptr, 0, 100, nullptr);
      }
    }
    try {
      live.clear();
    } catch (...) {
    }
    std::lock_guard<std::mutex> lock(done_mutex);
    finished = true;
    done_cv.notify_all();
  }

  // Ends transfer t with its terminal event; a failure to build it (out of memory) still
  // ends the request, with an internal error.
  static void finish(Transfer& t, CURLcode rc) {
    try {
      t.complete(rc);
    } catch (...) {
      try {
        t.push_error(make_error(ErrorCode::Internal, "out of memory while finishing the request"));
      } catch (...) {
      }
    }
  }

  // A transfer ended at libcurl's level: follow its redirect, or finish it.
  void on_done(Transfer& t, CURLcode rc, std::unordered_map<RequestId, std::unique_ptr<Transfer>>& live) {
    curl_multi_remove_handle(multi, t.easy);
    Transfer::Hop hop = Transfer::Hop::NotRedirect;
    try {
      hop = t.redirect(rc);
      if (hop == Transfer::Hop::Follow) {
        apply_request(t);
        t.last_data = Clock::now();
        if (curl_multi_add_handle(multi, t.easy) == CURLM_OK) return;
        t.push_error(make_error(ErrorCode::Internal, "curl_multi_add_handle failed"));
        hop = Transfer::Hop::Refused;
      }
    } catch (...) {
      hop = Transfer::Hop::NotRedirect;
      t.fail(make_error(ErrorCode::Internal, "out of memory while following a redirect"));
    }
    if (hop != Transfer::Hop::Refused) finish(t, rc);
    live.erase(t.id);
  }

  // Resumes the transfers the queue's backlog paused, once a drain has caught up.
  void resume_paused(std::unordered_map<RequestId, std::unique_ptr<Transfer>>& live) {
    if (paused.load() == 0 || queue.backlogged()) return;
    for (auto& [id, t] : live) {
      if (!t->paused) continue;
      t->paused = false;
      t->last_data = Clock::now();  // time spent paused is not idleness
      // This may deliver the held bytes at once, and pause again.
      curl_easy_pause(t->easy, CURLPAUSE_CONT);
      if (queue.backlogged()) break;
    }
  }

  void count_paused(const std::unordered_map<RequestId, std::unique_ptr<Transfer>>& live) {
    uint64_t n = 0;
    for (auto& [id, t] : live) n += t->paused;
    paused.store(n);
  }

  // One turn of the worker loop; true when the engine is stopping.
  bool step(std::unordered_map<RequestId, std::unique_ptr<Transfer>>& live) {
    {
      std::vector<std::unique_ptr<Transfer>> starting;
      std::vector<RequestId> cancelling;
      bool stopping;
      {
        std::lock_guard<std::mutex> lock(inbox_mutex);
        starting.swap(to_start);
        cancelling.swap(to_cancel);
        stopping = stop;
      }
      for (auto& t : starting) {
        try {
          add(std::move(t), live);
        } catch (...) {
          // t was moved into add; it ends there (out of memory queues nothing more).
        }
      }
      if (stopping) {
        for (auto& [id, t] : live) cancelling.push_back(id);
      }
      for (RequestId id : cancelling) {
        auto it = live.find(id);
        if (it == live.end()) continue;
        curl_multi_remove_handle(multi, it->second->easy);
        if (!it->second->preconnect) {
          Event ev;
          ev.kind = EventKind::Cancelled;
          try {
            it->second->push_terminal(std::move(ev));
          } catch (...) {
          }
        }
        live.erase(it);
      }
      active.store(live.size());
      if (stopping) return true;

      resume_paused(live);
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
        if (t->preconnect) {  // a warm connection is all it was for: no events
          curl_multi_remove_handle(multi, msg->easy_handle);
          live.erase(t->id);
          continue;
        }
        on_done(*t, msg->data.result, live);
      }

      // Idle timeouts: no body bytes for too long.
      auto now = Clock::now();
      for (auto it = live.begin(); it != live.end();) {
        Transfer& t = *it->second;
        long idle = t.spec.idle_timeout_ms;
        if (idle > 0 && !t.paused && now - t.last_data > std::chrono::milliseconds(idle)) {
          curl_multi_remove_handle(multi, t.easy);
          char message[96];
          std::snprintf(message, sizeof message, "no data received for %g s (idle timeout)", idle / 1000.0);
          t.push_error(make_error(ErrorCode::Timeout, message));
          it = live.erase(it);
        } else {
          ++it;
        }
      }
      active.store(live.size());
      count_paused(live);
      // Wake up for held progress when it falls due, if nothing comes sooner.
      int timeout_ms = live.empty() ? 1000 : 100;
      Clock::time_point due = queue.release_held(now);
      if (due != Clock::time_point::max())
        timeout_ms = static_cast<int>(
            std::min<long long>(timeout_ms, std::chrono::ceil<std::chrono::milliseconds>(due - now).count()));
      curl_multi_poll(multi, nullptr, 0, timeout_ms, nullptr);
    }
    return false;
  }

  ~Worker() {
    if (multi) curl_multi_cleanup(multi);
    if (share) curl_share_cleanup(share);  // after every easy handle that used it
  }
};

Engine::Engine(int doorbell_fd, QueueLimits limits) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  worker_ = std::make_shared<Worker>(doorbell_fd, limits);
  worker_->multi = curl_multi_init();
  if (!worker_->multi) throw std::runtime_error("curl_multi_init failed");
  // Keep a few idle connections for reuse, not one per request ever run at once.
  curl_multi_setopt(worker_->multi, CURLMOPT_MAXCONNECTS, 8L);
  // Concurrent streams to one host share an HTTP/2 connection when the server offers it.
  curl_multi_setopt(worker_->multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
  worker_->share = make_share();
  // The thread keeps its own reference, so a worker left behind by close() stays valid.
  std::shared_ptr<Worker> w = worker_;
  worker_->thread = std::thread([w] { w->run(); });
}

Engine::~Engine() { close(); }

RedirectPolicy parse_redirect_policy(const std::string& name) {
  if (name == "none") return RedirectPolicy::None;
  if (name == "same-origin") return RedirectPolicy::SameOrigin;
  if (name == "cross-origin") return RedirectPolicy::CrossOrigin;
  throw std::invalid_argument("unknown redirect policy (expected none, same-origin or cross-origin): " + name);
}

RequestId Engine::start(RequestSpec spec) {
  if (closed_) throw std::logic_error("the engine is closed");
  validate(spec);
  static std::atomic<RequestId> next_id{1};
  auto t = std::make_unique<Transfer>();
  t->id = next_id.fetch_add(1);
  if (spec.dialect) {
    t->dialect = spec.dialect;
    t->decoder = t->dialect->make_decoder(spec.streaming);
  }
  t->spec = std::move(spec);
  t->queue = &worker_->queue;
  t->meter = std::make_shared<Meter>(capture_limit.load(std::memory_order_relaxed));
  RequestId id = t->id;
  live_.insert(id);
  meters_.emplace(id, t->meter);
  ++started_;
  {
    std::lock_guard<std::mutex> lock(worker_->inbox_mutex);
    worker_->to_start.push_back(std::move(t));
  }
  worker_->wake();
  return id;
}

void Engine::preconnect(RequestSpec spec) {
  if (closed_) throw std::logic_error("the engine is closed");
  // A HEAD request leaves its connection (and TLS session) in the caches for the requests
  // that follow; its answer, whatever it is, is dropped. libcurl does not reuse connections
  // of CURLOPT_CONNECT_ONLY transfers, so a real request it is.
  spec.method = "HEAD";
  spec.body.clear();
  spec.headers.clear();
  spec.dialect = nullptr;
  spec.idle_timeout_ms = 0;
  if (spec.total_timeout_ms <= 0) spec.total_timeout_ms = 30000;
  validate(spec);
  static_assert(sizeof(RequestId) == 8, "ids are 64-bit");
  auto t = std::make_unique<Transfer>();
  t->id = ~RequestId{0} - preconnects_++;  // never one of start()'s ids, never drained
  t->preconnect = true;
  t->meter = std::make_shared<Meter>(0);  // counted by nobody, but never null
  t->spec = std::move(spec);
  t->queue = &worker_->queue;
  {
    std::lock_guard<std::mutex> lock(worker_->inbox_mutex);
    worker_->to_start.push_back(std::move(t));
  }
  worker_->wake();
}

void Engine::cancel(RequestId id) {
  if (closed_ || live_.erase(id) == 0) return;
  meters_.erase(id);
  worker_->queue.forget(id);
  {
    std::lock_guard<std::mutex> lock(worker_->inbox_mutex);
    worker_->to_cancel.push_back(id);
  }
  worker_->wake();
}

std::vector<Event> Engine::drain() {
  std::vector<Event> events = worker_->queue.drain();
  for (const Event& e : events)
    if (e.terminal()) {
      live_.erase(e.id);
      meters_.erase(e.id);
    }
  // Paused transfers wait for this: the worker resumes them when the backlog is gone.
  if (worker_->paused.load() > 0 && !worker_->queue.backlogged()) worker_->wake();
  return events;
}

bool Engine::close(std::chrono::milliseconds wait) {
  if (closed_) return true;
  closed_ = true;
  meters_.clear();
  worker_->queue.disconnect_doorbell();
  {
    std::lock_guard<std::mutex> lock(worker_->inbox_mutex);
    worker_->stop = true;
  }
  worker_->wake();
  bool finished;
  {
    std::unique_lock<std::mutex> lock(worker_->done_mutex);
    finished = worker_->done_cv.wait_for(lock, wait, [this] { return worker_->finished; });
  }
  if (finished) {
    worker_->thread.join();
  } else {
    worker_->thread.detach();
  }
  return finished;
}

bool Engine::closed() const { return closed_; }

std::shared_ptr<Meter> Engine::meter(RequestId id) const {
  auto it = meters_.find(id);
  return it == meters_.end() ? nullptr : it->second;
}

void Engine::set_capture_limit(std::size_t bytes) { capture_limit.store(bytes); }

EngineStats Engine::stats() const {
  EngineStats s;
  s.started = started_;
  s.active = worker_->active.load();
  s.rings = worker_->queue.rings();
  s.paused = worker_->paused.load();
  return s;
}

}  // namespace llm_native
