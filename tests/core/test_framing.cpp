// Conformance tests for the framing layer (doc/streams.md): every fixture is fed
// whole, one byte at a time, split at every 2-way point and at random n-way points, and
// each feeding must give the same records and errors, equal to the folder's EXPECTED.json.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "framing.hpp"
#include "json_util.hpp"
#include "test_util.hpp"
#include "utf8.hpp"

namespace llm_native {
namespace {

struct Outcome {
  std::vector<Record> records;
  std::vector<Error> errors;
};

class CollectingSink : public RecordSink {
 public:
  explicit CollectingSink(Outcome& out) : out_(out) {}
  void on_record(Record&& record) override { out_.records.push_back(std::move(record)); }
  void on_error(Error&& error) override { out_.errors.push_back(std::move(error)); }

 private:
  Outcome& out_;
};

// Feeds bytes cut at the given offsets (ascending, each inside (0, size)).
Outcome feed_cut(Format format, const std::string& bytes, const std::vector<std::size_t>& cuts,
                 std::size_t max_record = kDefaultMaxRecord) {
  Outcome out;
  CollectingSink sink(out);
  auto framer = make_framer(format, max_record);
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    framer->feed(bytes.data() + from, cut - from, sink);
    from = cut;
  }
  framer->feed(bytes.data() + from, bytes.size() - from, sink);
  framer->finish(sink);
  return out;
}

Outcome feed_whole(Format format, const std::string& bytes, std::size_t max_record = kDefaultMaxRecord) {
  return feed_cut(format, bytes, {}, max_record);
}

Outcome feed_in_pieces(Format format, const std::string& bytes, std::size_t piece,
                       std::size_t max_record = kDefaultMaxRecord) {
  Outcome out;
  CollectingSink sink(out);
  auto framer = make_framer(format, max_record);
  for (std::size_t at = 0; at < bytes.size(); at += piece)
    framer->feed(bytes.data() + at, std::min(piece, bytes.size() - at), sink);
  framer->finish(sink);
  return out;
}

Outcome feed_bytewise(Format format, const std::string& bytes, std::size_t max_record = kDefaultMaxRecord) {
  return feed_in_pieces(format, bytes, 1, max_record);
}

// Exact equality of two outcomes; on a difference, says what differs.
std::string difference(const Outcome& a, const Outcome& b) {
  if (a.records.size() != b.records.size())
    return "record count " + std::to_string(a.records.size()) + " vs " + std::to_string(b.records.size());
  for (std::size_t i = 0; i < a.records.size(); ++i) {
    const Record& x = a.records[i];
    const Record& y = b.records[i];
    if (x.type != y.type || x.data != y.data || x.id != y.id)
      return "record " + std::to_string(i) + ": [" + x.type + "|" + x.data + "|" + x.id + "] vs [" + y.type + "|" +
             y.data + "|" + y.id + "]";
  }
  if (a.errors.size() != b.errors.size())
    return "error count " + std::to_string(a.errors.size()) + " vs " + std::to_string(b.errors.size());
  for (std::size_t i = 0; i < a.errors.size(); ++i) {
    if (a.errors[i].code != b.errors[i].code || a.errors[i].message != b.errors[i].message ||
        a.errors[i].body != b.errors[i].body)
      return "error " + std::to_string(i) + ": " + a.errors[i].message + " vs " + b.errors[i].message;
  }
  return "";
}

std::size_t count_errors(const Outcome& out, ErrorCode code) {
  return static_cast<std::size_t>(
      std::count_if(out.errors.begin(), out.errors.end(), [&](const Error& e) { return e.code == code; }));
}

std::string concatenated_data(const Outcome& out) {
  std::string all;
  for (const Record& r : out.records) all += r.data;
  return all;
}

// Whole, bytewise, every 2-way split and some random n-way splits all agree; returns the
// outcome of the whole feeding.
Outcome feed_every_way(Format format, const std::string& bytes, const std::string& name) {
  Outcome whole = feed_whole(format, bytes);
  {
    INFO(name << " fed one byte at a time");
    CHECK(difference(whole, feed_bytewise(format, bytes)) == "");
  }
  std::size_t split_failures = 0;
  std::string first_failure;
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    std::string diff = difference(whole, feed_cut(format, bytes, {cut}));
    if (!diff.empty() && split_failures++ == 0) first_failure = "split at " + std::to_string(cut) + ": " + diff;
  }
  {
    INFO(name << " " << first_failure);
    CHECK(split_failures == 0);
  }
  std::mt19937 random(12345);
  for (int round = 0; round < 20 && bytes.size() > 2; ++round) {
    std::set<std::size_t> cut_set;
    std::uniform_int_distribution<std::size_t> pick(1, bytes.size() - 1);
    const int cut_count = 1 + round % 9;
    for (int i = 0; i < cut_count; ++i) cut_set.insert(pick(random));
    std::vector<std::size_t> cuts(cut_set.begin(), cut_set.end());
    INFO(name << " random split round " << round);
    CHECK(difference(whole, feed_cut(format, bytes, cuts)) == "");
  }
  return whole;
}

std::string member_string(const json::Value& obj, const char* key) {
  return std::string(json::string_member(obj, key));
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Checks one stream fixture against its EXPECTED.json entry.
void check_fixture(const std::string& relative, const json::Value& expected) {
  INFO("fixture " << relative);
  const std::string bytes = test::read_fixture(relative);
  if (const json::Value* size = json::member(expected, "bytes")) CHECK(size->GetUint64() == bytes.size());
  const std::string framing = member_string(expected, "framing");

  if (framing == "sse") {
    Outcome out = feed_every_way(Format::Sse, bytes, relative);
    CHECK(out.records.size() == static_cast<std::size_t>(json::int_member(expected, "events")));
    std::set<std::string> types;
    for (const Record& r : out.records) types.insert(r.type);
    if (const json::Value* expected_types = json::array_member(expected, "event_types")) {
      std::set<std::string> want;
      for (const auto& t : expected_types->GetArray()) want.insert(t.GetString());
      CHECK(types == want);
    }
    if (const json::Value* events = json::array_member(expected, "expected_events")) {
      REQUIRE(events->Size() == out.records.size());
      for (rapidjson::SizeType i = 0; i < events->Size(); ++i) {
        INFO("event " << i);
        CHECK(out.records[i].type == member_string((*events)[i], "type"));
        CHECK(out.records[i].data == member_string((*events)[i], "data"));
        CHECK(out.records[i].id == member_string((*events)[i], "id"));
      }
    }
    const bool discarded = json::bool_member(expected, "discarded_pending_at_eof");
    CHECK(count_errors(out, ErrorCode::Truncated) == (discarded ? 1u : 0u));
    CHECK(out.errors.size() == count_errors(out, ErrorCode::Truncated));
    for (const Record& r : out.records) CHECK(utf8::is_valid(r.data));
  } else if (framing == "ndjson") {
    Outcome out = feed_every_way(Format::Ndjson, bytes, relative);
    CHECK(out.records.size() == static_cast<std::size_t>(json::int_member(expected, "objects")));
    if (const json::Value* objects = json::array_member(expected, "expected_objects")) {
      REQUIRE(objects->Size() == out.records.size());
      for (rapidjson::SizeType i = 0; i < objects->Size(); ++i) {
        json::Document got;
        REQUIRE(json::parse(got, out.records[i].data));
        INFO("object " << i << ": " << out.records[i].data);
        CHECK(test::json_equal(got, (*objects)[i]));
      }
    }
    const json::Value* line_errors = json::array_member(expected, "line_errors");
    const std::size_t expected_errors = line_errors ? line_errors->Size() : 0;
    REQUIRE(out.errors.size() == expected_errors);
    for (std::size_t i = 0; i < expected_errors; ++i) {
      const json::Value& want = (*line_errors)[static_cast<rapidjson::SizeType>(i)];
      const Error& got = out.errors[i];
      INFO("line error " << got.message);
      CHECK(got.code == ErrorCode::Protocol);
      CHECK(got.message.find("line " + std::to_string(json::int_member(want, "line")) + " ") != std::string::npos);
      CHECK(got.message.find(member_string(want, "text")) != std::string::npos);
    }
  } else if (framing == "json-array") {
    Outcome out = feed_every_way(Format::JsonArray, bytes, relative);
    CHECK(out.records.size() == static_cast<std::size_t>(json::int_member(expected, "elements")));
    if (const json::Value* elements = json::array_member(expected, "expected_elements")) {
      REQUIRE(elements->Size() == out.records.size());
      for (rapidjson::SizeType i = 0; i < elements->Size(); ++i) {
        json::Document got;
        REQUIRE(json::parse(got, out.records[i].data));
        INFO("element " << i << ": " << out.records[i].data);
        CHECK(test::json_equal(got, (*elements)[i]));
      }
    }
    const json::Value* errors = json::array_member(expected, "errors");
    REQUIRE(out.errors.size() == (errors ? errors->Size() : 0u));
    for (std::size_t i = 0; i < out.errors.size(); ++i) {
      const std::string want = (*errors)[static_cast<rapidjson::SizeType>(i)].GetString();
      const Error& got = out.errors[i];
      INFO("array error " << got.message << " expected " << want);
      if (starts_with(want, "unterminated array")) {
        CHECK(got.code == ErrorCode::Truncated);
        CHECK(got.message == want);
      } else {
        CHECK(got.code == ErrorCode::Protocol);
        CHECK(got.message == want);
      }
    }
    const bool closed = json::bool_member(expected, "array_closed", true);
    if (closed)
      CHECK(out.errors.empty());
    else
      CHECK(out.errors.size() == 1u);
  } else {
    // A plain JSON error body (gemini/error-429-body-alt-sse.json): not an array, so the
    // array framer reports Protocol and offers the whole body; the Json framer reads it.
    Outcome as_array = feed_every_way(Format::JsonArray, bytes, relative + " as json-array");
    CHECK(as_array.records.empty());
    REQUIRE(as_array.errors.size() == 1u);
    CHECK(as_array.errors[0].code == ErrorCode::Protocol);
    CHECK(as_array.errors[0].body == bytes);
    Outcome as_json = feed_every_way(Format::Json, bytes, relative + " as json");
    CHECK(as_json.errors.empty());
    REQUIRE(as_json.records.size() == 1u);
    const json::Value* parsed = json::member(expected, "parsed");
    REQUIRE(parsed != nullptr);
    json::Document got;
    REQUIRE(json::parse(got, as_json.records[0].data));
    CHECK(test::json_equal(got, *parsed));
  }
}

// Runs check_fixture for every stream file of a fixture folder and makes sure every file
// in the folder is described by EXPECTED.json.
void check_folder(const std::string& folder) {
  json::Document expected;
  test::load_expected(expected, folder);
  std::set<std::string> described;
  for (auto& entry : expected.GetObject()) described.insert(entry.name.GetString());
  for (const auto& file : std::filesystem::directory_iterator(test::fixture_path(folder))) {
    const std::string name = file.path().filename().string();
    if (name == "EXPECTED.json") continue;
    INFO("file without an EXPECTED.json entry: " << name);
    CHECK(described.count(folder + "/" + name) == 1u);
  }
  for (auto& entry : expected.GetObject()) check_fixture(entry.name.GetString(), entry.value);
}

std::string sse_data_event(const std::string& data) { return "data: " + data + "\n\n"; }

}  // namespace

// A sink with a parser gets each JSON record parsed once, by the framer's check, with the
// same records and the same errors (the JSON limits included) as a sink without one.
class ParsingSink : public RecordSink {
 public:
  explicit ParsingSink(Outcome& out) : out_(out) {}
  void on_record(Record&& record) override {
    // The parse is the record's own text, read again here to compare.
    REQUIRE(record.parsed != nullptr);
    CHECK(json::to_string(*record.parsed) == json::to_string(*reparse(record.data)));
    record.parsed = nullptr;  // valid only during this call
    out_.records.push_back(std::move(record));
  }
  void on_error(Error&& error) override { out_.errors.push_back(std::move(error)); }
  json::RecordParser* json_parser() override { return &parser_; }

 private:
  const json::Value* reparse(const std::string& text) {
    static json::Document doc;
    REQUIRE(json::parse(doc, text));
    return &doc;
  }
  Outcome& out_;
  json::RecordParser parser_;
};

TEST_CASE("framing: a sink's parser parses each JSON record once, within the same limits") {
  std::string deep = std::string(600, '[') + std::string(600, ']');
  const std::string bodies[] = {
      "{\"a\":1}\n[2,3]\n\"s\"\n{\"big\":99999999999999999999}\n{\"nul\":\"\\u0000\"}\n{\"k\\u0000\":1}\n" + deep +
          "\n{}\n",
      "[{\"a\":1},{\"b\":[1,2]}, 18446744073709551615, {\"c\":\"\\u0000\"}, " + deep + ", {\"d\":\"\xC3\xA9\"}]",
      "{\"whole\":[1,{\"x\":null}]}",
      "{\"bad\":",
  };
  for (const std::string& body : bodies) {
    for (Format format : {Format::Ndjson, Format::JsonArray, Format::Json}) {
      Outcome plain = feed_whole(format, body);
      Outcome parsed;
      ParsingSink sink(parsed);
      auto framer = make_framer(format);
      framer->feed(body.data(), body.size(), sink);
      framer->finish(sink);
      CHECK_MESSAGE(difference(plain, parsed).empty(), difference(plain, parsed));
    }
  }
}

// The one excerpt every error message quotes from (engine and framers).
TEST_CASE("excerpt: never cuts a character, one line, marks the cut") {
  // "é" is two bytes (C3 A9): a limit that falls inside it backs off to before it.
  CHECK(excerpt("ab\xC3\xA9"
                "cd",
                3) == "ab...");
  CHECK(excerpt("ab\xC3\xA9"
                "cd",
                4) == "ab\xC3\xA9...");
  // A four-byte character (U+1F600) cut at each of its inner bytes.
  for (std::size_t limit = 2; limit <= 4; ++limit)
    CHECK(excerpt("a\xF0\x9F\x98\x80"
                  "b",
                  limit) == "a...");
  CHECK(excerpt("a\xF0\x9F\x98\x80"
                "b",
                5) == "a\xF0\x9F\x98\x80...");
  CHECK(utf8::is_valid(excerpt("\xE2\x82\xAC\xE2\x82\xAC", 4)));
  CHECK(excerpt("short", 80) == "short");
  CHECK(excerpt("  line one\nline\ttwo\r", 80) == "line one line two ");
  CHECK(excerpt("bad \xFF byte", 80) == "bad \xEF\xBF\xBD byte");
  CHECK(excerpt("", 10).empty());
}

TEST_CASE("framing: conformance fixtures") { check_folder("conformance"); }
TEST_CASE("framing: openai-chat fixtures") { check_folder("openai-chat"); }
TEST_CASE("framing: openai-responses fixtures") { check_folder("openai-responses"); }
TEST_CASE("framing: anthropic fixtures") { check_folder("anthropic"); }
TEST_CASE("framing: gemini fixtures") { check_folder("gemini"); }
TEST_CASE("framing: ollama fixtures") { check_folder("ollama"); }

TEST_CASE("utf8: is_ascii finds a byte above 0x7F wherever it is") {
  for (std::size_t n = 0; n <= 20; ++n) {
    std::string text(n, 'a');
    CHECK(utf8::is_ascii(text));
    for (std::size_t i = 0; i < n; ++i) {
      std::string marked = text;
      marked[i] = '\x80';
      CHECK_FALSE(utf8::is_ascii(marked));
      marked[i] = '\xFF';
      CHECK_FALSE(utf8::is_ascii(marked));
    }
  }
  CHECK(utf8::is_ascii(std::string("\0\x7F", 2)));
}

TEST_CASE("utf8: Encoding Standard replacement") {
  using utf8::sanitized;
  const std::string fffd(utf8::kReplacement);
  CHECK(sanitized("plain ascii") == "plain ascii");
  CHECK(sanitized("\xC3\xA9\xE6\x97\xA5\xF0\x9F\x9A\x80") == "\xC3\xA9\xE6\x97\xA5\xF0\x9F\x9A\x80");
  CHECK(sanitized("\xF4\x8F\xBF\xBF") == "\xF4\x8F\xBF\xBF");  // U+10FFFF
  CHECK(sanitized("a\x80z") == "a" + fffd + "z");              // stray continuation
  CHECK(sanitized("\xC0\x80") == fffd + fffd);                 // overlong 2-byte
  CHECK(sanitized("\xC1\xBF") == fffd + fffd);
  CHECK(sanitized("\xE0\x80\x80") == fffd + fffd + fffd);             // overlong 3-byte
  CHECK(sanitized("\xF0\x80\x80\x80") == fffd + fffd + fffd + fffd);  // overlong 4-byte
  CHECK(sanitized("\xED\xA0\x80") == fffd + fffd + fffd);             // surrogate D800
  CHECK(sanitized("\xED\x9F\xBF") == "\xED\x9F\xBF");                 // U+D7FF is fine
  CHECK(sanitized("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // above U+10FFFF
  CHECK(sanitized("\xF5\xFE\xFF") == fffd + fffd + fffd);
  CHECK(sanitized("\xE2\x82 x") == fffd + " x");  // truncated: one U+FFFD
  CHECK(sanitized("\xF0\x9F\x9A") == fffd);       // truncated at the end
  CHECK(sanitized("\xF0\x9F\x9Ax") == fffd + "x");
  CHECK(sanitized("\xE2\x82\xE2\x82\xAC") == fffd + "\xE2\x82\xAC");  // bad byte restarts
  CHECK(sanitized(std::string("a\0b", 3)) == std::string("a\0b", 3));

  std::string valid = "already valid \xC3\xA9";
  const char* before = valid.data();
  utf8::sanitize_in_place(valid);
  CHECK(valid.data() == before);  // no copy for valid text
  std::string invalid = "x\xFFy";
  utf8::sanitize_in_place(invalid);
  CHECK(invalid == "x" + fffd + "y");

  CHECK(utf8::incomplete_tail_length("ab") == 0);
  CHECK(utf8::incomplete_tail_length("a\xE2\x82") == 2);
  CHECK(utf8::incomplete_tail_length("a\xF0\x9F\x9A") == 3);
  CHECK(utf8::incomplete_tail_length("a\xF0") == 1);
  CHECK(utf8::incomplete_tail_length("a\xE2\x82\xAC") == 0);
  CHECK(utf8::incomplete_tail_length("a\xE0\x80") == 0);  // already invalid: not held back
  CHECK(utf8::valid_prefix_length("abc\xFF") == 3);
}

TEST_CASE("framing: SSE CR LF split exactly at the chunk boundary") {
  const std::string stream = "data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n";
  Outcome whole = feed_whole(Format::Sse, stream);
  REQUIRE(whole.records.size() == 2u);
  CHECK(whole.records[0].data == "a\nb");
  CHECK(whole.records[1].data == "c");
  for (std::size_t cut = 0; cut < stream.size(); ++cut) {
    if (stream[cut] != '\n' || cut == 0 || stream[cut - 1] != '\r') continue;
    INFO("cut between CR and LF at " << cut);
    CHECK(difference(whole, feed_cut(Format::Sse, stream, {cut})) == "");
  }
  // The CR ends the line at once; the later LF is not an empty line.
  Outcome out;
  CollectingSink sink(out);
  auto framer = make_framer(Format::Sse);
  framer->feed("data: x\r", 8, sink);
  framer->feed("\n", 1, sink);
  CHECK(out.records.empty());
  framer->feed("\r", 1, sink);
  REQUIRE(out.records.size() == 1u);  // dispatched on the CR, without waiting
  CHECK(out.records[0].data == "x");
  framer->feed("\n", 1, sink);  // the LF of that CR LF: no second event
  framer->finish(sink);
  CHECK(out.records.size() == 1u);
  CHECK(out.errors.empty());
}

TEST_CASE("framing: SSE BOM split across chunks, and BOM later is data") {
  const std::string stream =
      "\xEF\xBB\xBF"
      "data: a\n\n\xEF\xBB\xBF"
      "data: b\n\ndata: c\n\n";
  Outcome out = feed_every_way(Format::Sse, stream, "bom");
  REQUIRE(out.records.size() == 2u);
  CHECK(out.records[0].data == "a");
  CHECK(out.records[1].data == "c");
  // A BOM prefix that is not a BOM is kept as data.
  Outcome partial = feed_every_way(Format::Sse,
                                   "\xEF\xBB"
                                   "data: q\n\ndata: r\n\n",
                                   "bom prefix");
  REQUIRE(partial.records.size() == 1u);
  CHECK(partial.records[0].data == "r");
}

TEST_CASE("framing: SSE CR as the very last byte, and edge fields") {
  Outcome out = feed_every_way(Format::Sse, "data: a\r\r", "cr at end");
  REQUIRE(out.records.size() == 1u);
  CHECK(out.errors.empty());
  Outcome fields = feed_every_way(Format::Sse,
                                  "\n\n\nevent: ping\n\ndata\n\nevent\ndata:x\n\n"
                                  "retry: 03000\nretry: 1.5\nid: 7\ndata: y\n\ndata: z\n\n",
                                  "fields");
  REQUIRE(fields.records.size() == 4u);
  CHECK(fields.records[0].type == "message");  // "event: ping" without data did not leak
  CHECK(fields.records[0].data == "");
  CHECK(fields.records[1].type == "message");  // bare "event" is an empty type
  CHECK(fields.records[1].data == "x");
  CHECK(fields.records[2].id == "7");
  CHECK(fields.records[2].data == "y");
  CHECK(fields.records[3].id == "7");  // the last event id carries over
  CHECK(fields.records[3].data == "z");
  CHECK(fields.errors.empty());
}

TEST_CASE("framing: SSE NUL in data is passed through, invalid UTF-8 replaced") {
  const std::string stream = std::string("data: a\0b\n\n", 11) + "data: \xC3(\xE2\x82\n\n";
  Outcome out = feed_every_way(Format::Sse, stream, "nul");
  REQUIRE(out.records.size() == 2u);
  CHECK(out.records[0].data == std::string("a\0b", 3));
  CHECK(out.records[1].data == std::string(utf8::kReplacement) + "(" + std::string(utf8::kReplacement));
  CHECK(out.errors.empty());
}

TEST_CASE("framing: SSE 1 MiB data line in 4 KiB chunks and byte by byte") {
  std::string payload(1u << 20, 'x');
  for (std::size_t i = 0; i < payload.size(); i += 997) payload[i] = 'a' + static_cast<char>(i % 26);
  const std::string stream = ": keep-alive\n" + sse_data_event(payload) + sse_data_event("[DONE]");
  for (int bytewise = 0; bytewise < 2; ++bytewise) {
    INFO((bytewise ? "byte by byte" : "4 KiB chunks"));
    Outcome out = bytewise ? feed_bytewise(Format::Sse, stream) : feed_in_pieces(Format::Sse, stream, 4096);
    REQUIRE(out.records.size() == 2u);
    CHECK(out.records[0].data == payload);
    CHECK(out.records[1].data == "[DONE]");
    CHECK(out.errors.empty());
  }
}

TEST_CASE("framing: SSE thousands of events in one chunk, each dispatched at its blank line") {
  std::string stream;
  for (int i = 0; i < 5000; ++i) stream += "event: e\ndata: {\"n\":" + std::to_string(i) + "}\n\n";
  Outcome out = feed_whole(Format::Sse, stream);
  REQUIRE(out.records.size() == 5000u);
  CHECK(out.records[4321].data == "{\"n\":4321}");
  CHECK(out.records[4321].type == "e");

  Outcome live;
  CollectingSink sink(live);
  auto framer = make_framer(Format::Sse);
  const std::string event = "data: one event spread over many chunks\n";
  for (char c : event) framer->feed(&c, 1, sink);
  CHECK(live.records.empty());
  framer->feed("\n", 1, sink);
  CHECK(live.records.size() == 1u);
  framer->finish(sink);
  CHECK(live.errors.empty());
}

TEST_CASE("framing: SSE size limit gives TooLarge once and continues") {
  const std::size_t limit = 100;
  const std::string big(250, 'b');
  const std::string stream =
      "data: small\n\n"
      "data: " +
      big +
      "\ndata: more\n\n"
      "data: " +
      std::string(60, 'c') + "\ndata: " + std::string(60, 'd') +
      "\n\n"
      "data: after\n\n";
  Outcome whole = feed_whole(Format::Sse, stream, limit);
  CHECK(difference(whole, feed_bytewise(Format::Sse, stream, limit)) == "");
  CHECK(difference(whole, feed_in_pieces(Format::Sse, stream, 7, limit)) == "");
  REQUIRE(whole.records.size() == 2u);
  CHECK(whole.records[0].data == "small");
  CHECK(whole.records[1].data == "after");
  REQUIRE(whole.errors.size() == 2u);  // the long line, then the long data of the third event
  CHECK(whole.errors[0].code == ErrorCode::TooLarge);
  CHECK(whole.errors[1].code == ErrorCode::TooLarge);
}

TEST_CASE("framing: SSE truncation at EOF") {
  Outcome mid_line = feed_whole(Format::Sse, "data: a\n\ndata: b");
  CHECK(mid_line.records.size() == 1u);
  CHECK(count_errors(mid_line, ErrorCode::Truncated) == 1u);
  Outcome no_blank = feed_whole(Format::Sse, "data: a\n\ndata: b\n");
  CHECK(no_blank.records.size() == 1u);
  CHECK(count_errors(no_blank, ErrorCode::Truncated) == 1u);
  Outcome clean = feed_whole(Format::Sse, "data: a\n\n: bye\n");
  CHECK(clean.records.size() == 1u);
  CHECK(clean.errors.empty());
}

TEST_CASE("framing: NDJSON lines, errors and limits") {
  const std::string stream = "\xEF\xBB\xBF{\"a\":1}\r\n  \n\t\r\n[1,2]\nnot json at all\n\"s\"\n{\"last\":true}";
  Outcome out = feed_every_way(Format::Ndjson, stream, "ndjson");
  REQUIRE(out.records.size() == 4u);
  CHECK(out.records[0].data == "{\"a\":1}");
  CHECK(out.records[1].data == "[1,2]");
  CHECK(out.records[2].data == "\"s\"");
  CHECK(out.records[3].data == "{\"last\":true}");
  REQUIRE(out.errors.size() == 1u);
  CHECK(out.errors[0].code == ErrorCode::Protocol);
  CHECK(out.errors[0].message.find("line 5 ") != std::string::npos);
  CHECK(out.errors[0].message.find("not json at all") != std::string::npos);

  const std::string limited = "{\"x\":\"" + std::string(200, 'x') + "\"}\n{\"ok\":1}\n";
  Outcome whole = feed_whole(Format::Ndjson, limited, 64);
  CHECK(difference(whole, feed_bytewise(Format::Ndjson, limited, 64)) == "");
  REQUIRE(whole.records.size() == 1u);
  CHECK(whole.records[0].data == "{\"ok\":1}");
  REQUIRE(whole.errors.size() == 1u);
  CHECK(whole.errors[0].code == ErrorCode::TooLarge);

  // Ollama's final /api/generate line carries a long context array: linear in any chunking.
  std::string context = "{\"done\":true,\"context\":[1";
  while (context.size() < (1u << 20)) context += ",12345";
  context += "]}\n";
  Outcome long_line = feed_bytewise(Format::Ndjson, context);
  REQUIRE(long_line.records.size() == 1u);
  CHECK(long_line.records[0].data.size() == context.size() - 1);
  CHECK(difference(long_line, feed_in_pieces(Format::Ndjson, context, 4096)) == "");

  Outcome bad_utf8 = feed_whole(Format::Ndjson, "{\"s\":\"\xFF\"}\n");
  CHECK(bad_utf8.records.empty());
  CHECK(count_errors(bad_utf8, ErrorCode::Protocol) == 1u);
  CHECK(utf8::is_valid(bad_utf8.errors[0].message));
}

TEST_CASE("framing: JSON array elements, scalars and strings split anywhere") {
  const std::string body =
      "\xEF\xBB\xBF \r\n[ \"top \\\\\" ,123 , -4.5e3\t,true,{\"k\":[\"]\",{\"}\":\"\\u005d\"}]},"
      "[[]] , \"\xF0\x9F\x9A\x80\" ]\n ";
  Outcome out = feed_every_way(Format::JsonArray, body, "array");
  REQUIRE(out.records.size() == 7u);
  CHECK(out.records[0].data == "\"top \\\\\"");
  CHECK(out.records[1].data == "123");
  CHECK(out.records[2].data == "-4.5e3");
  CHECK(out.records[3].data == "true");
  CHECK(out.records[4].data == "{\"k\":[\"]\",{\"}\":\"\\u005d\"}]}");
  CHECK(out.records[5].data == "[[]]");
  CHECK(out.records[6].data == "\"\xF0\x9F\x9A\x80\"");
  CHECK(out.errors.empty());

  // An object element goes out as soon as it closes, before the ',' arrives.
  Outcome live;
  CollectingSink sink(live);
  auto framer = make_framer(Format::JsonArray);
  framer->feed("[{\"a\":1}", 8, sink);
  CHECK(live.records.size() == 1u);
  framer->feed(",12", 3, sink);
  CHECK(live.records.size() == 1u);  // a number may continue in the next chunk
  framer->feed("3]", 2, sink);
  framer->finish(sink);
  REQUIRE(live.records.size() == 2u);
  CHECK(live.records[1].data == "123");
  CHECK(live.errors.empty());
}

TEST_CASE("framing: JSON array errors") {
  const std::string proxy_error = "{\"error\": {\"code\": 502, \"message\": \"bad gateway\"}}\n";
  Outcome not_array = feed_every_way(Format::JsonArray, proxy_error, "not an array");
  CHECK(not_array.records.empty());
  REQUIRE(not_array.errors.size() == 1u);
  CHECK(not_array.errors[0].code == ErrorCode::Protocol);
  CHECK(not_array.errors[0].body == proxy_error);

  Outcome bad_element = feed_every_way(Format::JsonArray, "[{\"a\":1},{\"a\":},{\"a\":3}]", "bad element");
  CHECK(bad_element.records.size() == 2u);
  CHECK(count_errors(bad_element, ErrorCode::Protocol) == 1u);

  Outcome cut_scalar = feed_whole(Format::JsonArray, "[1,2");
  CHECK(cut_scalar.records.size() == 1u);  // a scalar cut by EOF may be incomplete
  REQUIRE(cut_scalar.errors.size() == 1u);
  CHECK(cut_scalar.errors[0].code == ErrorCode::Truncated);

  Outcome empty = feed_whole(Format::JsonArray, "");
  CHECK(count_errors(empty, ErrorCode::Truncated) == 1u);

  Outcome garbage = feed_whole(Format::JsonArray, "[1 2]");
  CHECK(count_errors(garbage, ErrorCode::Protocol) == 1u);

  Outcome trailing_comma = feed_every_way(Format::JsonArray, "[1,{\"a\":2},]", "trailing comma");
  CHECK(trailing_comma.records.size() == 2u);
  REQUIRE(trailing_comma.errors.size() == 1u);
  CHECK(trailing_comma.errors[0].code == ErrorCode::Protocol);

  Outcome bom = feed_every_way(Format::JsonArray, "\xEF\xBB\xBF[\"a\"]", "array after BOM");
  CHECK(bom.records.size() == 1u);
  CHECK(bom.errors.empty());

  // The error body offered for a non-array body is bounded by the record limit.
  Outcome long_error = feed_whole(Format::JsonArray, "{\"error\":\"" + std::string(500, 'e') + "\"}", 100);
  REQUIRE(long_error.errors.size() == 1u);
  CHECK(long_error.errors[0].code == ErrorCode::Protocol);
  CHECK(long_error.errors[0].body.size() == 100u);

  const std::string big = "[{\"d\":\"" + std::string(300, 'z') + "\"},{\"ok\":1}]";
  Outcome limited = feed_whole(Format::JsonArray, big, 100);
  CHECK(difference(limited, feed_bytewise(Format::JsonArray, big, 100)) == "");
  REQUIRE(limited.records.size() == 1u);
  CHECK(limited.records[0].data == "{\"ok\":1}");
  REQUIRE(limited.errors.size() == 1u);
  CHECK(limited.errors[0].code == ErrorCode::TooLarge);
}

TEST_CASE("framing: JSON array 1 MiB element in 4 KiB chunks and byte by byte") {
  const std::string payload(1u << 20, 'Q');
  const std::string body = "[{\"inlineData\":{\"data\":\"" + payload + "\"}},{\"n\":2}]";
  for (int bytewise = 0; bytewise < 2; ++bytewise) {
    Outcome out = bytewise ? feed_bytewise(Format::JsonArray, body) : feed_in_pieces(Format::JsonArray, body, 4096);
    REQUIRE(out.records.size() == 2u);
    CHECK(out.records[0].data.size() == payload.size() + 26);
    CHECK(out.errors.empty());
  }
}

TEST_CASE("framing: whole JSON body") {
  Outcome ok = feed_every_way(Format::Json, "\xEF\xBB\xBF{\"a\": [1, 2]}\n", "json");
  REQUIRE(ok.records.size() == 1u);
  CHECK(ok.records[0].data == "{\"a\": [1, 2]}\n");
  CHECK(ok.errors.empty());

  Outcome bad = feed_whole(Format::Json, "<html>Bad \xFF Gateway</html>");
  CHECK(bad.records.empty());
  REQUIRE(bad.errors.size() == 1u);
  CHECK(bad.errors[0].code == ErrorCode::Protocol);
  CHECK(bad.errors[0].body == "<html>Bad " + std::string(utf8::kReplacement) + " Gateway</html>");

  Outcome big = feed_in_pieces(Format::Json, "[" + std::string(500, '1') + "]", 64, 100);
  CHECK(big.records.empty());
  REQUIRE(big.errors.size() == 1u);
  CHECK(big.errors[0].code == ErrorCode::TooLarge);
}

TEST_CASE("framing: raw text holds back split UTF-8 sequences") {
  const std::string text =
      "Gr\xC3\xBC\xC3\x9F"
      "e \xE6\x97\xA5 \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB \xFF end";
  const std::string expected = utf8::sanitized(text);
  for (std::size_t cut = 1; cut < text.size(); ++cut) {
    Outcome out = feed_cut(Format::Raw, text, {cut});
    INFO("cut at " << cut);
    CHECK(concatenated_data(out) == expected);
    for (const Record& r : out.records) CHECK(utf8::is_valid(r.data));
  }
  Outcome bytewise = feed_bytewise(Format::Raw, text);
  CHECK(concatenated_data(bytewise) == expected);

  Outcome cut_off = feed_whole(Format::Raw, "abc\xE2\x82");
  CHECK(concatenated_data(cut_off) == "abc" + std::string(utf8::kReplacement));
}

}  // namespace llm_native
