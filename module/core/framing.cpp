// The five framers behind make_framer (doc/streams.md). Every framer scans
// each byte once: partial lines and elements are kept in a buffer and only the new bytes
// of the next chunk are examined, so the cost is linear however the body is chunked.
#include "framing.hpp"

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "json_util.hpp"
#include "utf8.hpp"

namespace llm_native {

namespace {

constexpr char kBom[] = "\xEF\xBB\xBF";

// Drops a UTF-8 BOM at the very start of the stream, also when it is split across
// chunks. Bytes that turn out not to be a BOM are passed on unchanged.
class BomFilter {
 public:
  // Calls process(const char*, size_t) with the bytes that follow the BOM, if any.
  template <class Process>
  void feed(const char* data, std::size_t size, Process&& process) {
    if (decided_) {
      if (size) process(data, size);
      return;
    }
    std::size_t i = 0;
    while (i < size && matched_ < 3) {
      if (data[i] != kBom[matched_]) {
        decided_ = true;
        if (matched_) process(kBom, matched_);  // a BOM prefix that was not a BOM
        process(data + i, size - i);
        return;
      }
      ++matched_;
      ++i;
    }
    if (matched_ == 3) {
      decided_ = true;
      if (i < size) process(data + i, size - i);
    }
  }

  // End of stream: a partial BOM prefix is ordinary data after all.
  template <class Process>
  void finish(Process&& process) {
    if (!decided_ && matched_) process(kBom, matched_);
    decided_ = true;
  }

 private:
  bool decided_ = false;
  std::size_t matched_ = 0;
};

Error too_large(const char* what, std::size_t max_record) {
  return make_error(ErrorCode::TooLarge, std::string(what) + " exceeds the record size limit of " +
                                             std::to_string(max_record) + " bytes; dropped");
}

constexpr std::size_t kExcerpt = 80;  // bytes of a record quoted in an error message

// Checks that text is one JSON text within the limits: with the sink's parser when it
// has one (record.parsed then holds the result), else without building anything.
bool check_json(std::string_view text, Record& record, RecordSink& sink, std::string* error) {
  if (json::RecordParser* parser = sink.json_parser()) {
    record.parsed = parser->parse(text, error);
    return record.parsed != nullptr;
  }
  return json::validate(text, error);
}

inline bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_blank(std::string_view text) {
  for (char c : text)
    if (!is_json_whitespace(c)) return false;
  return true;
}

// Finds the next CR or LF. Remembers where the last search found each byte, so that a
// chunk holding many lines is searched once overall, not once per line.
class LineEndFinder {
 public:
  LineEndFinder(const char* begin, const char* end) : end_(end), next_cr_(begin), next_lf_(begin) {
    search_cr(begin);
    search_lf(begin);
  }
  const char* find(const char* from) {
    if (next_cr_ < from) search_cr(from);
    if (next_lf_ < from) search_lf(from);
    return next_cr_ < next_lf_ ? next_cr_ : next_lf_;  // end_ when neither is left
  }

 private:
  void search_cr(const char* from) {
    auto* hit = static_cast<const char*>(std::memchr(from, '\r', static_cast<std::size_t>(end_ - from)));
    next_cr_ = hit ? hit : end_;
  }
  void search_lf(const char* from) {
    auto* hit = static_cast<const char*>(std::memchr(from, '\n', static_cast<std::size_t>(end_ - from)));
    next_lf_ = hit ? hit : end_;
  }
  const char* end_;
  const char* next_cr_;
  const char* next_lf_;
};

// ---------------------------------------------------------------------------------------
// Server-sent events (WHATWG rules, doc/streams.md, SSE).

class SseFramer final : public Framer {
 public:
  explicit SseFramer(std::size_t max_record) : max_record_(max_record) {}

  void feed(const char* data, std::size_t size, RecordSink& sink) override {
    bom_.feed(data, size, [&](const char* p, std::size_t n) { scan(p, n, sink); });
  }

  void finish(RecordSink& sink) override {
    bom_.finish([&](const char* p, std::size_t n) { scan(p, n, sink); });
    // A partial line or an event without its blank line is thrown away, and the
    // caller is told the stream may have been cut off.
    const bool partial_line = !line_.empty() || discarding_line_;
    const bool pending_event = !data_.empty() || drop_event_;
    if (partial_line || pending_event) {
      sink.on_error(make_error(ErrorCode::Truncated,
                               partial_line
                                   ? "event stream ended inside a line; the partial line and its event were discarded"
                                   : "event stream ended without the blank line that dispatches the last event; "
                                     "that event was discarded"));
    }
    line_.clear();
    discarding_line_ = false;
    reset_event();
  }

 private:
  void scan(const char* p, std::size_t n, RecordSink& sink) {
    const char* end = p + n;
    if (skip_lf_ && p < end) {
      // The second half of a CR LF pair whose CR ended the previous chunk.
      if (*p == '\n') ++p;
      skip_lf_ = false;
    }
    LineEndFinder finder(p, end);
    while (p < end) {
      const char* eol = finder.find(p);
      if (eol == end) {
        keep_partial(p, static_cast<std::size_t>(end - p), sink);
        return;
      }
      if (discarding_line_) {
        discarding_line_ = false;  // the end of an over-long line: it is dropped
      } else if (line_.empty()) {
        process_line(std::string_view(p, static_cast<std::size_t>(eol - p)), sink);
      } else {
        if (append_to_line(p, static_cast<std::size_t>(eol - p), sink)) process_line(line_, sink);
        line_.clear();
        discarding_line_ = false;
      }
      p = eol + 1;
      if (*eol == '\r') {
        if (p < end) {
          if (*p == '\n') ++p;
        } else {
          skip_lf_ = true;  // decide when the next byte arrives; the line is done now
        }
      }
    }
  }

  // Keeps the start of a line until its end arrives.
  void keep_partial(const char* p, std::size_t n, RecordSink& sink) {
    if (discarding_line_) return;
    if (!append_to_line(p, n, sink)) {
      line_.clear();
      line_.shrink_to_fit();
      discarding_line_ = true;
    }
  }

  // False (and TooLarge reported) when the line grows over the limit.
  bool append_to_line(const char* p, std::size_t n, RecordSink& sink) {
    if (line_.size() + n > max_record_) {
      drop_current_event(sink, "an event-stream line");
      return false;
    }
    line_.append(p, n);
    return true;
  }

  void drop_current_event(RecordSink& sink, const char* what) {
    if (!drop_event_) sink.on_error(too_large(what, max_record_));
    drop_event_ = true;
    data_.clear();
    data_.shrink_to_fit();
  }

  void process_line(std::string_view line, RecordSink& sink) {
    if (line.empty()) {
      dispatch(sink);
      return;
    }
    if (line.size() > max_record_) {
      drop_current_event(sink, "an event-stream line");
      return;
    }
    if (line[0] == ':') return;  // a comment (keep-alive)
    std::string_view name = line, value;
    if (const void* colon = std::memchr(line.data(), ':', line.size())) {
      const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(colon) - line.data());
      name = line.substr(0, at);
      value = line.substr(at + 1);
      if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
    }
    if (name == "data") {
      if (drop_event_) return;
      if (data_.size() + value.size() + 1 > max_record_) {
        drop_current_event(sink, "an event's data");
        return;
      }
      utf8::append_sanitized(data_, value);
      data_.push_back('\n');
    } else if (name == "event") {
      event_type_.clear();
      utf8::append_sanitized(event_type_, value);
    } else if (name == "id") {
      if (value.find('\0') != std::string_view::npos) return;  // an id with NUL is ignored
      last_id_.clear();
      utf8::append_sanitized(last_id_, value);
    }
    // "retry" sets a browser's reconnection delay; a POST stream is never re-sent, so it
    // is ignored, as are unknown field names.
  }

  void dispatch(RecordSink& sink) {
    if (drop_event_ || data_.empty()) {
      reset_event();
      return;
    }
    data_.pop_back();  // the LF after the last data line
    Record record;
    record.type = event_type_.empty() ? std::string("message") : std::move(event_type_);
    record.data = std::move(data_);
    record.id = last_id_;
    reset_event();
    sink.on_record(std::move(record));
  }

  // Clears the per-event buffers; the last event id carries over.
  void reset_event() {
    data_.clear();
    event_type_.clear();
    drop_event_ = false;
  }

  const std::size_t max_record_;
  BomFilter bom_;
  std::string line_;              // the start of a line whose end has not arrived
  bool skip_lf_ = false;          // the previous chunk ended in CR
  bool discarding_line_ = false;  // skipping the rest of an over-long line
  std::string data_;
  std::string event_type_;
  std::string last_id_;
  bool drop_event_ = false;  // the current event went over the limit
};

// ---------------------------------------------------------------------------------------
// NDJSON (doc/streams.md, NDJSON): one JSON text per LF-terminated line.

class NdjsonFramer final : public Framer {
 public:
  explicit NdjsonFramer(std::size_t max_record) : max_record_(max_record) {}

  void feed(const char* data, std::size_t size, RecordSink& sink) override {
    bom_.feed(data, size, [&](const char* p, std::size_t n) { scan(p, n, sink); });
  }

  void finish(RecordSink& sink) override {
    bom_.finish([&](const char* p, std::size_t n) { scan(p, n, sink); });
    // The last line may lack its LF.
    if (!discarding_line_ && !line_.empty()) {
      ++line_number_;
      process_line(line_, sink);
    }
    line_.clear();
    discarding_line_ = false;
  }

 private:
  void scan(const char* p, std::size_t n, RecordSink& sink) {
    const char* end = p + n;
    while (p < end) {
      auto* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      const std::size_t piece = static_cast<std::size_t>((lf ? lf : end) - p);
      if (!lf) {
        // A partial line: keep it (or keep skipping an over-long one) until its LF.
        if (!discarding_line_) {
          if (line_.size() + piece > max_record_) {
            report_too_large(line_number_ + 1, sink);
            line_.clear();
            line_.shrink_to_fit();
            discarding_line_ = true;
          } else {
            line_.append(p, piece);
          }
        }
        return;
      }
      ++line_number_;
      if (discarding_line_) {
        discarding_line_ = false;  // the end of an over-long line, already reported
      } else if (line_.empty()) {
        process_line(std::string_view(p, piece), sink);
      } else if (line_.size() + piece > max_record_) {
        report_too_large(line_number_, sink);
      } else {
        line_.append(p, piece);
        process_line(line_, sink);
      }
      line_.clear();
      p = lf + 1;
    }
  }

  void report_too_large(std::size_t line_number, RecordSink& sink) {
    sink.on_error(too_large(("NDJSON line " + std::to_string(line_number)).c_str(), max_record_));
  }

  void process_line(std::string_view line, RecordSink& sink) {
    // The limit applies to the raw line, as in scan(), whatever the chunking.
    if (line.size() > max_record_) {
      report_too_large(line_number_, sink);
      return;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CR LF line end
    if (is_blank(line)) return;
    std::string parse_error;
    Record record;
    if (!check_json(line, record, sink, &parse_error)) {
      sink.on_error(make_error(ErrorCode::Protocol, "NDJSON line " + std::to_string(line_number_) +
                                                        " is not valid JSON (" + parse_error +
                                                        "): " + excerpt(line, kExcerpt)));
      return;
    }
    record.data.assign(line.data(), line.size());
    sink.on_record(std::move(record));
  }

  const std::size_t max_record_;
  BomFilter bom_;
  std::string line_;
  bool discarding_line_ = false;
  std::size_t line_number_ = 0;  // lines seen so far, blank ones included
};

// ---------------------------------------------------------------------------------------
// A streamed JSON array (doc/streams.md, JSON array): one record per element, found by a single pass
// of a byte state machine; each element is parsed once, when complete.

class JsonArrayFramer final : public Framer {
 public:
  explicit JsonArrayFramer(std::size_t max_record) : max_record_(max_record) {}

  void feed(const char* data, std::size_t size, RecordSink& sink) override {
    bom_.feed(data, size, [&](const char* p, std::size_t n) { scan(p, n, sink); });
  }

  void finish(RecordSink& sink) override {
    bom_.finish([&](const char* p, std::size_t n) { scan(p, n, sink); });
    switch (state_) {
      case State::NotArray:
        sink.on_error(make_error(ErrorCode::Protocol,
                                 "expected a JSON array, the body starts with: " + excerpt(body_, kExcerpt),
                                 utf8::sanitized(body_)));
        break;
      case State::BeforeArray:
        sink.on_error(make_error(ErrorCode::Truncated, "unterminated array (empty body, no '[')"));
        break;
      case State::BeforeElement:
      case State::InElement:
      case State::AfterElement:
        sink.on_error(make_error(ErrorCode::Truncated,
                                 std::string("unterminated array (state ") + state_name(state_) + " at EOF)"));
        break;
      case State::AfterArray: closed_ = true; break;
      case State::Failed: break;
    }
    state_ = State::Failed;
    element_.clear();
    body_.clear();
  }

  bool body_complete() const override { return closed_; }

 private:
  enum class State { BeforeArray, BeforeElement, InElement, AfterElement, AfterArray, NotArray, Failed };
  enum class Kind { Container, String, Scalar };

  static const char* state_name(State s) {
    switch (s) {
      case State::BeforeArray: return "BEFORE_ARRAY";
      case State::BeforeElement: return "BEFORE_ELEM";
      case State::InElement: return "IN_ELEM";
      case State::AfterElement: return "AFTER_ELEM";
      case State::AfterArray: return "AFTER_ARRAY";
      case State::NotArray: return "NOT_ARRAY";
      case State::Failed: return "FAILED";
    }
    return "?";
  }

  void scan(const char* p, std::size_t n, RecordSink& sink) {
    std::size_t i = 0;
    while (i < n) {
      switch (state_) {
        case State::BeforeArray: {
          const char c = p[i];
          if (is_json_whitespace(c)) {
            // Kept in case this turns out not to be an array (the error offers the body).
            if (body_.size() < max_record_) body_.push_back(c);
            ++i;
          } else if (c == '[') {
            body_.clear();
            body_.shrink_to_fit();
            state_ = State::BeforeElement;
            after_comma_ = false;
            ++i;
          } else {
            state_ = State::NotArray;
          }
          break;
        }
        case State::BeforeElement: {
          const char c = p[i];
          if (is_json_whitespace(c)) {
            ++i;
          } else if (c == ']') {
            ++i;
            if (after_comma_) {
              sink.on_error(make_error(ErrorCode::Protocol, "unexpected ']' after ',' in the JSON array (element " +
                                                                std::to_string(element_count_ + 1) + " missing)"));
            }
            state_ = State::AfterArray;
          } else if (c == ',') {
            fail(sink, "unexpected ',' where a JSON array element should start");
            return;
          } else {
            start_element(c);
            i = scan_element(p, n, i, sink);
          }
          break;
        }
        case State::InElement: i = scan_element(p, n, i, sink); break;
        case State::AfterElement: {
          const char c = p[i];
          if (is_json_whitespace(c)) {
            ++i;
          } else if (c == ',') {
            ++i;
            state_ = State::BeforeElement;
            after_comma_ = true;
          } else if (c == ']') {
            ++i;
            state_ = State::AfterArray;
          } else {
            // Only the byte itself: the rest of this chunk depends on how the body was cut.
            char shown[8];
            std::snprintf(shown, sizeof shown, (c >= 0x20 && c < 0x7f) ? "'%c'" : "0x%02X",
                          static_cast<unsigned char>(c));
            fail(sink, std::string("expected ',' or ']' after JSON array element ") + std::to_string(element_count_) +
                           ", found " + shown);
            return;
          }
          break;
        }
        case State::AfterArray:
          if (is_json_whitespace(p[i])) {
            ++i;
          } else {
            fail(sink, "trailing data after ']'");
            return;
          }
          break;
        case State::NotArray: {
          // Collect the body (up to the limit) to offer it with the error at the end.
          const std::size_t room = max_record_ > body_.size() ? max_record_ - body_.size() : 0;
          const std::size_t take = n - i < room ? n - i : room;
          body_.append(p + i, take);
          return;
        }
        case State::Failed: return;
      }
    }
  }

  void fail(RecordSink& sink, std::string message) {
    sink.on_error(make_error(ErrorCode::Protocol, std::move(message)));
    state_ = State::Failed;
    element_.clear();
  }

  void start_element(char first) {
    state_ = State::InElement;
    element_.clear();
    skipping_element_ = false;
    in_string_ = false;
    escaped_ = false;
    depth_ = 0;
    kind_ = first == '{' || first == '[' ? Kind::Container : first == '"' ? Kind::String : Kind::Scalar;
  }

  // Scans element bytes from p[i]; returns the index after what it consumed. Bytes are
  // copied into element_ once per chunk (or once per element), never one at a time.
  std::size_t scan_element(const char* p, std::size_t n, std::size_t i, RecordSink& sink) {
    const std::size_t start = i;
    bool complete = false;
    std::size_t end = n;  // one past the element's last byte, when complete
    if (kind_ == Kind::Scalar) {
      while (i < n) {
        const char c = p[i];
        if (c == ',' || c == ']' || is_json_whitespace(c)) break;
        ++i;
      }
      if (i < n) {
        complete = true;
        end = i;  // the terminator is left for AfterElement
      }
    } else {
      while (i < n) {
        if (in_string_) {
          // Fast skip over ordinary string bytes.
          while (i < n && p[i] != '"' && p[i] != '\\') {
            if (escaped_) escaped_ = false;
            ++i;
          }
          if (i >= n) break;
          if (escaped_) {
            escaped_ = false;
          } else if (p[i] == '\\') {
            escaped_ = true;
          } else {
            in_string_ = false;
            if (kind_ == Kind::String) {
              complete = true;
              end = ++i;
              break;
            }
          }
          ++i;
          continue;
        }
        const char c = p[i++];
        if (c == '"') {
          in_string_ = true;
        } else if (c == '{' || c == '[') {
          ++depth_;
        } else if (c == '}' || c == ']') {
          if (--depth_ == 0) {
            complete = true;
            end = i;
            break;
          }
        }
      }
    }
    const std::size_t piece = (complete ? end : n) - start;
    if (!skipping_element_) {
      if (element_.size() + piece > max_record_) {
        sink.on_error(too_large(("JSON array element " + std::to_string(element_count_ + 1)).c_str(), max_record_));
        skipping_element_ = true;
        element_.clear();
        element_.shrink_to_fit();
      } else {
        element_.append(p + start, piece);
      }
    }
    if (complete) finish_element(sink);
    return complete ? end : n;
  }

  void finish_element(RecordSink& sink) {
    ++element_count_;
    state_ = State::AfterElement;
    after_comma_ = false;
    if (skipping_element_) {
      skipping_element_ = false;
      return;
    }
    std::string parse_error;
    Record record;
    if (!check_json(element_, record, sink, &parse_error)) {
      sink.on_error(make_error(ErrorCode::Protocol, "JSON array element " + std::to_string(element_count_) +
                                                        " is not valid JSON (" + parse_error +
                                                        "): " + excerpt(element_, kExcerpt)));
      element_.clear();
      return;
    }
    record.data = std::move(element_);
    element_ = std::string();
    sink.on_record(std::move(record));
  }

  const std::size_t max_record_;
  BomFilter bom_;
  State state_ = State::BeforeArray;
  Kind kind_ = Kind::Scalar;
  std::string element_;  // bytes of the element being scanned
  std::string body_;     // leading whitespace, then the whole body if it is not an array
  std::size_t element_count_ = 0;
  long depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  bool after_comma_ = false;
  bool skipping_element_ = false;  // the element went over the limit
  bool closed_ = false;            // finish() found the array closed by its ']'
};

// ---------------------------------------------------------------------------------------
// One JSON text: the whole body, one record at the end.

class JsonFramer final : public Framer {
 public:
  explicit JsonFramer(std::size_t max_record) : max_record_(max_record) {}

  void feed(const char* data, std::size_t size, RecordSink& sink) override {
    bom_.feed(data, size, [&](const char* p, std::size_t n) { collect(p, n, sink); });
  }

  void finish(RecordSink& sink) override {
    bom_.finish([&](const char* p, std::size_t n) { collect(p, n, sink); });
    if (finished_) return;
    finished_ = true;
    if (too_large_) return;  // already reported
    std::string parse_error;
    Record record;
    if (!check_json(body_, record, sink, &parse_error)) {
      std::string message = body_.empty() ? std::string("empty body where JSON was expected")
                                          : "the body is not valid JSON (" + parse_error + ")";
      sink.on_error(make_error(ErrorCode::Protocol, std::move(message), utf8::sanitized(body_)));
    } else {
      record.data = std::move(body_);
      parsed_ = true;
      sink.on_record(std::move(record));
    }
    body_ = std::string();
  }

  bool body_complete() const override { return parsed_; }

 private:
  void collect(const char* p, std::size_t n, RecordSink& sink) {
    if (too_large_) return;
    if (body_.size() + n > max_record_) {
      sink.on_error(too_large("the JSON body", max_record_));
      too_large_ = true;
      body_ = std::string();
      return;
    }
    body_.append(p, n);
  }

  const std::size_t max_record_;
  BomFilter bom_;
  std::string body_;
  bool too_large_ = false;
  bool finished_ = false;
  bool parsed_ = false;  // the whole body was one valid JSON text
};

// ---------------------------------------------------------------------------------------
// Raw text: each chunk as a record, valid UTF-8, with sequences split across chunks held
// back until they are complete.

class RawFramer final : public Framer {
 public:
  explicit RawFramer(std::size_t max_record) : max_record_(max_record) {}

  void feed(const char* data, std::size_t size, RecordSink& sink) override {
    if (size == 0) return;
    std::string text;
    text.reserve(held_.size() + size);
    text.append(held_);
    text.append(data, size);
    held_.clear();
    const std::size_t tail = utf8::incomplete_tail_length(text);
    if (tail) {
      held_.assign(text, text.size() - tail, tail);
      text.resize(text.size() - tail);
    }
    emit(std::move(text), sink);
  }

  void finish(RecordSink& sink) override {
    std::string rest;
    rest.swap(held_);
    emit(std::move(rest), sink);  // an unfinished sequence becomes U+FFFD
  }

 private:
  void emit(std::string text, RecordSink& sink) {
    if (text.empty()) return;
    utf8::sanitize_in_place(text);
    // A chunk larger than the limit is handed on in pieces, cut between characters.
    if (text.size() > max_record_) {
      std::size_t begin = 0;
      while (text.size() - begin > max_record_) {
        std::size_t cut = begin + max_record_;
        while (cut > begin && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        if (cut == begin) break;
        Record piece;
        piece.data.assign(text, begin, cut - begin);
        sink.on_record(std::move(piece));
        begin = cut;
      }
      text.erase(0, begin);
    }
    Record record;
    record.data = std::move(text);
    sink.on_record(std::move(record));
  }

  const std::size_t max_record_;
  std::string held_;  // up to 3 bytes of an incomplete UTF-8 sequence
};

// ---------------------------------------------------------------------------------------
// A JSON array, or one whole JSON document: decided by the first significant byte.

class JsonArrayOrDocumentFramer final : public Framer {
 public:
  explicit JsonArrayOrDocumentFramer(std::size_t max_record) : max_record_(max_record) {}

  void feed(const char* data, std::size_t size, RecordSink& sink) override {
    if (inner_) {
      inner_->feed(data, size, sink);
      return;
    }
    // Whitespace and BOM bytes only postpone the choice; they are handed on with the rest.
    std::size_t i = 0;
    while (i < size && (is_json_whitespace(data[i]) || is_bom_byte(data[i]))) ++i;
    if (i == size) {
      if (held_.size() < max_record_) held_.append(data, size);
      return;
    }
    choose(data[i] == '[' ? Format::JsonArray : Format::Json);
    if (!held_.empty()) inner_->feed(held_.data(), held_.size(), sink);
    held_ = std::string();
    inner_->feed(data, size, sink);
  }

  void finish(RecordSink& sink) override {
    if (!inner_) {
      choose(Format::JsonArray);  // nothing but blanks: the array framer says why
      if (!held_.empty()) inner_->feed(held_.data(), held_.size(), sink);
      held_ = std::string();
    }
    inner_->finish(sink);
  }

  bool body_complete() const override { return inner_ && inner_->body_complete(); }

 private:
  static bool is_bom_byte(char c) { return c == kBom[0] || c == kBom[1] || c == kBom[2]; }
  void choose(Format format) { inner_ = make_framer(format, max_record_); }

  const std::size_t max_record_;
  std::string held_;
  std::unique_ptr<Framer> inner_;
};

}  // namespace

std::unique_ptr<Framer> make_json_array_or_document_framer(std::size_t max_record) {
  if (max_record == 0) max_record = kDefaultMaxRecord;
  return std::make_unique<JsonArrayOrDocumentFramer>(max_record);
}

std::unique_ptr<Framer> make_framer(Format format, std::size_t max_record) {
  if (max_record == 0) max_record = kDefaultMaxRecord;
  switch (format) {
    case Format::Sse: return std::make_unique<SseFramer>(max_record);
    case Format::Ndjson: return std::make_unique<NdjsonFramer>(max_record);
    case Format::JsonArray: return std::make_unique<JsonArrayFramer>(max_record);
    case Format::Json: return std::make_unique<JsonFramer>(max_record);
    case Format::Raw: return std::make_unique<RawFramer>(max_record);
  }
  return std::make_unique<RawFramer>(max_record);
}

}  // namespace llm_native
