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
  bool decided = false;        // status and framing known (first body byte or end)
  bool got_body = false;       // at least one body byte arrived
  bool http_error = false;     // non-2xx: the body is collected as the error's payload
  long status = 0;
  std::string error_body;
  std::optional<Error> failure;  // the first error; ends the request
  size_t published_text = 0, published_reasoning = 0;
  Clock::time_point last_data = Clock::now();

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
    size_t reasoning_len =
        r.reasoning.size() > published_reasoning ? r.reasoning.size() - published_reasoning : 0;
    if (text_len == 0 && reasoning_len == 0) return;
    queue->push_progress(id, r.text.data() + published_text, text_len,
                         r.reasoning.data() + published_reasoning, reasoning_len);
    published_text += text_len;
    published_reasoning += reasoning_len;
    meter->text_bytes.fetch_add(text_len + reasoning_len, std::memory_order_relaxed);
    meter->mark(meter->first_token_us);
  }

  // libcurl's write callback.
  size_t on_body(const char* data, size_t size) {
    last_data = Clock::now();
    got_body = true;
    meter->bytes.fetch_add(size, std::memory_order_relaxed);
    meter->mark(meter->first_byte_us);
    if (meter->capture_limit) meter->capture(data, size);
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
  return static_cast<Transfer*>(user)->on_body(data, size * nmemb);
}

// Installed only while the debug log captures: the response's head goes into the capture.
size_t header_callback(char* data, size_t size, size_t nmemb, void* user) {
  static_cast<Transfer*>(user)->meter->capture(data, size * nmemb);
  return size * nmemb;
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
    if (t->meter->capture_limit) {
      curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_callback);
      curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    }
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_301 | CURL_REDIR_POST_302));
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "llm-native/" LLM_NATIVE_VERSION);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, s.total_timeout_ms);
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
        Event ev;
        ev.kind = EventKind::Cancelled;
        it->second->push_terminal(std::move(ev));
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
        t->complete(rc);
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
  }
};

Engine::Engine(int doorbell_fd) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  worker_ = std::make_shared<Worker>(doorbell_fd);
  worker_->multi = curl_multi_init();
  if (!worker_->multi) throw std::runtime_error("curl_multi_init failed");
  // Keep a few idle connections for reuse, not one per request ever run at once.
  curl_multi_setopt(worker_->multi, CURLMOPT_MAXCONNECTS, 8L);
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
  return s;
}

}  // namespace llm_native
