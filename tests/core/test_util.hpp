// Helpers shared by the core test suites: fixture files, feeding a framer in pieces, and
// JSON comparison.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "framing.hpp"
#include "json_util.hpp"

namespace llm_native::test {

// Path of a file under the fixtures folder (tests/fixtures), e.g. fixture_path("conformance/x.sse").
inline std::string fixture_path(const std::string& relative) {
  return std::string(LLM_NATIVE_FIXTURES) + "/" + relative;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string read_fixture(const std::string& relative) { return read_file(fixture_path(relative)); }

// Feeds body to framer in pieces, cut at the given offsets (ascending), as reads would.
inline void feed_in_pieces(Framer& framer, const std::string& body, const std::vector<size_t>& cuts, RecordSink& sink) {
  size_t start = 0;
  for (size_t cut : cuts) {
    framer.feed(body.data() + start, cut - start, sink);
    start = cut;
  }
  framer.feed(body.data() + start, body.size() - start, sink);
}

// Parses a fixture folder's EXPECTED.json.
inline void load_expected(json::Document& doc, const std::string& folder) {
  std::string err;
  if (!json::parse(doc, read_fixture(folder + "/EXPECTED.json"), &err))
    throw std::runtime_error(folder + "/EXPECTED.json: " + err);
}

// JSON equality that treats 3 and 3.0 as equal (fixtures are written by Python).
inline bool json_equal(const json::Value& a, const json::Value& b) {
  if (a.IsNumber() && b.IsNumber()) return a.GetDouble() == b.GetDouble();
  if (a.GetType() != b.GetType()) return false;
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (auto& m : a.GetObject()) {
      auto it = b.FindMember(m.name);
      if (it == b.MemberEnd() || !json_equal(m.value, it->value)) return false;
    }
    return true;
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i)
      if (!json_equal(a[i], b[i])) return false;
    return true;
  }
  return a == b;
}

// Compares two JSON texts as JSON.
inline bool json_text_equal(const std::string& a, const std::string& b) {
  json::Document da, db;
  if (!json::parse(da, a) || !json::parse(db, b)) return false;
  return json_equal(da, db);
}

}  // namespace llm_native::test
