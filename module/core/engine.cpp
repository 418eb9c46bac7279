#include "engine.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <pthread.h>
#include <stdexcept>
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
  if (type == "application/x-ndjson" || type == "application/jsonl" ||
      type == "application/x-jsonlines" || type == "application/json-seq")
    return Format::Ndjson;
  if (type == "application/json") return declared == Format::JsonArray ? Format::JsonArray : Format::Json;
  return std::nullopt;
}

std::string excerpt(const std::string& text, size_t limit = 300) {
  std::string s = text.size() > limit ? text.substr(0, limit) + "..." : text;
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  size_t a = s.find_first_not_of(' ');
  return a == std::string::npos ? std::string() : s.substr(a);
}

Error make_error(ErrorCode code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

ErrorCode code_for_curl(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: return ErrorCode::Timeout;
    case CURLE_PARTIAL_FILE: return ErrorCode::Truncated;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_WEIRD_SERVER_REPLY:
      return ErrorCode::Protocol;
    case CURLE_OUT_OF_MEMORY: return ErrorCode::Internal;
    default: return ErrorCode::Connection;
  }
}

std::once_flag curl_init_once;

}  // namespace

// One request on the worker thread. It is also the sink of its own framer.
struct Transfer final : RecordSink {
  RequestId id = 0;
  RequestSpec spec;
  EventQueue* queue = nullptr;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  char curl_error[CURL_ERROR_SIZE] = {0};

  const Dialect* dialect = nullptr;
  std::unique_ptr<Decoder> decoder;
  std::unique_ptr<Framer> framer;
  bool decided = false;        // status and framing known (first body byte or end)
  bool got_body = false;       // at least one body byte arrived
  bool http_error = false;     // non-2xx: the body is collected as the error's payload
  bool unexpected_json = false;  // a streaming chat answered with a whole JSON body
  long status = 0;
  std::string error_body;
  std::optional<Error> failure;  // the first error; ends the request
  size_t published_text = 0, published_reasoning = 0;
  Clock::time_point last_data = Clock::now();
  bool preconnect = false;     // a connection opened ahead of requests: no events at all

  ~Transfer() override {
    if (easy) curl_easy_cleanup(easy);
    if (header_list) curl_slist_free_all(header_list);
  }

  void fail(Error&& e) {
    if (!failure) failure = std::move(e);
  }

  void on_record(Record&& record) override {
    if (failure) return;
    if (unexpected_json) {
      // A provider that answers a stream request with a JSON object is reporting an error.
      json::Document doc;
      bool is_error = json::parse(doc, record.data) && json::member(doc, "error");
      Error e = make_error(is_error ? ErrorCode::Provider : ErrorCode::Protocol,
                           is_error ? dialect->error_message(record.data)
                                    : "expected a stream, got a JSON document: " + excerpt(record.data));
      e.body = std::move(record.data);
      fail(std::move(e));
      return;
    }
    if (decoder) {
      decoder->on_record(record);
      if (decoder->error()) fail(Error(*decoder->error()));
      return;
    }
    Event ev;
    ev.id = id;
    ev.kind = EventKind::Record;
    ev.record = std::move(record);
    queue->push(std::move(ev));
  }

  void on_error(Error&& error) override { fail(std::move(error)); }

  void decide() {
    decided = true;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
      http_error = true;
      return;
    }
    char* content_type = nullptr;
    curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &content_type);
    std::string type = media_type(content_type);
    Format format = spec.format;
    if (decoder && !spec.streaming) {
      format = Format::Json;
    } else if (decoder) {
      format = dialect->stream_format();
      std::optional<Format> announced = format_for_media_type(type, format);
      if (announced == Format::Json) unexpected_json = true;
      if (announced) format = *announced;
    } else if (auto announced = format_for_media_type(type, format)) {
      format = *announced;
    }
    framer = make_framer(format, spec.max_record);
  }

  void publish_progress() {
    const ChatResult& r = decoder->result();
    size_t text_len = r.text.size() > published_text ? r.text.size() - published_text : 0;
    size_t reasoning_len =
        r.reasoning.size() > published_reasoning ? r.reasoning.size() - published_reasoning : 0;
    if (text_len == 0 && reasoning_len == 0) return;
    queue->push_progress(id, r.text.data() + published_text, text_len,
                         r.reasoning.data() + published_reasoning, reasoning_len);
    published_text += text_len;
    published_reasoning += reasoning_len;
  }

  // libcurl's write callback.
  size_t on_body(const char* data, size_t size) {
    last_data = Clock::now();
    got_body = true;
    if (!decided) decide();
    if (http_error) {
      size_t room = spec.max_record > error_body.size() ? spec.max_record - error_body.size() : 0;
      error_body.append(data, std::min(room, size));
      return size;
    }
    framer->feed(data, size, *this);
    if (decoder) publish_progress();
    return failure ? 0 : size;  // a short count makes libcurl stop the transfer
  }

  void push_terminal(Event&& ev) {
    ev.id = id;
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
    std::string cause = dialect ? dialect->error_message(body) : excerpt(body);
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
    if (rc == CURLE_OK && !failure && !http_error && !(bodiless && !decoder)) framer->finish(*this);
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
      std::string message = code == ErrorCode::Truncated
                                ? std::string("the connection closed before the response ended: ") + detail
                                : std::string(detail);
      push_error(make_error(code, std::move(message)));
      return;
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
};

namespace {

size_t write_callback(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->preconnect) return size * nmemb;  // whatever the server says, nobody reads it
  return t->on_body(data, size * nmemb);
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
  if (s.url.size() > 6 && (s.url[4] == 's' || s.url[4] == 'S'))
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
}

void validate(const RequestSpec& spec) {
  std::string url = lower(spec.url.substr(0, 8));
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw std::invalid_argument("only http and https URLs are supported: " + spec.url);
  if (spec.method.empty() ||
      std::any_of(spec.method.begin(), spec.method.end(),
                  [](char c) { return !std::isalpha(static_cast<unsigned char>(c)); }))
    throw std::invalid_argument("invalid HTTP method: " + spec.method);
  for (const std::string& h : spec.headers) {
    if (h.find_first_of("\r\n") != std::string::npos || h.find(':') == std::string::npos ||
        h.find(':') == 0)
      throw std::invalid_argument("invalid header (expected \"Name: value\"): " + h);
  }
  if (spec.connect_timeout_ms < 0 || spec.idle_timeout_ms < 0 || spec.total_timeout_ms < 0)
    throw std::invalid_argument("timeouts must not be negative");
  if (spec.max_record == 0) throw std::invalid_argument("max record size must be positive");
}

}  // namespace

// State shared by the engine (main thread) and its worker thread.
struct Engine::Worker {
  explicit Worker(int fd) : queue(fd) {}

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

  void wake() { curl_multi_wakeup(multi); }

  void add(std::unique_ptr<Transfer> t, std::unordered_map<RequestId, std::unique_ptr<Transfer>>& live) {
    CURL* e = curl_easy_init();
    if (!e) {
      t->push_error(make_error(ErrorCode::Internal, "curl_easy_init failed"));
      return;
    }
    t->easy = e;
    const RequestSpec& s = t->spec;
    curl_easy_setopt(e, CURLOPT_URL, s.url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_callback);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_301 | CURL_REDIR_POST_302));
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
    if (s.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (s.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
      if (s.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, s.method.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(s.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, s.body.data());
    }
    for (const std::string& h : s.headers) t->header_list = curl_slist_append(t->header_list, h.c_str());
    t->header_list = curl_slist_append(t->header_list, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->header_list);
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
      std::vector<std::unique_ptr<Transfer>> starting;
      std::vector<RequestId> cancelling;
      bool stopping;
      {
        std::lock_guard<std::mutex> lock(inbox_mutex);
        starting.swap(to_start);
        cancelling.swap(to_cancel);
        stopping = stop;
      }
      for (auto& t : starting) add(std::move(t), live);
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
          it->second->push_terminal(std::move(ev));
        }
        live.erase(it);
      }
      active.store(live.size());
      if (stopping) break;

      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
        CURLcode rc = msg->data.result;
        curl_multi_remove_handle(multi, msg->easy_handle);
        if (!t->preconnect) t->complete(rc);
        live.erase(t->id);
      }

      // Idle timeouts: no body bytes for too long.
      auto now = Clock::now();
      for (auto it = live.begin(); it != live.end();) {
        Transfer& t = *it->second;
        long idle = t.spec.idle_timeout_ms;
        if (idle > 0 && now - t.last_data > std::chrono::milliseconds(idle)) {
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
      curl_multi_poll(multi, nullptr, 0, live.empty() ? 1000 : 100, nullptr);
    }
    live.clear();
    std::lock_guard<std::mutex> lock(done_mutex);
    finished = true;
    done_cv.notify_all();
  }

  ~Worker() {
    if (multi) curl_multi_cleanup(multi);
    if (share) curl_share_cleanup(share);  // after every easy handle that used it
  }
};

Engine::Engine(int doorbell_fd) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  worker_ = std::make_shared<Worker>(doorbell_fd);
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

RequestId Engine::start(RequestSpec spec) {
  if (closed_) throw std::logic_error("the engine is closed");
  validate(spec);
  static std::atomic<RequestId> next_id{1};
  auto t = std::make_unique<Transfer>();
  t->id = next_id.fetch_add(1);
  if (spec.dialect) {
    t->dialect = &dialect_for(*spec.dialect);
    t->decoder = t->dialect->make_decoder(spec.streaming);
  }
  t->spec = std::move(spec);
  t->queue = &worker_->queue;
  RequestId id = t->id;
  live_.insert(id);
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
  spec.dialect.reset();
  spec.idle_timeout_ms = 0;
  if (spec.total_timeout_ms <= 0) spec.total_timeout_ms = 30000;
  validate(spec);
  static_assert(sizeof(RequestId) == 8, "ids are 64-bit");
  auto t = std::make_unique<Transfer>();
  t->id = ~RequestId{0} - preconnects_++;  // never one of start()'s ids, never drained
  t->preconnect = true;
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
    if (e.terminal()) live_.erase(e.id);
  return events;
}

bool Engine::close(std::chrono::milliseconds wait) {
  if (closed_) return true;
  closed_ = true;
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

EngineStats Engine::stats() const {
  EngineStats s;
  s.started = started_;
  s.active = worker_->active.load();
  s.rings = worker_->queue.rings();
  return s;
}

}  // namespace llm_native
