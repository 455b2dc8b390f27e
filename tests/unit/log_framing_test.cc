// The pure parts of output capture: line framing, the ring buffer, JSON and timestamps.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "daemon/io/log/line_framer.h"
#include "daemon/io/log/line_ring.h"
#include "daemon/io/log/log_text.h"

namespace supd::io::log {
namespace {

std::vector<std::string> FeedAll(LineFramer& f, const std::vector<std::string>& chunks) {
  std::vector<std::string> out;
  auto emit = [&](std::string_view l) { out.emplace_back(l); };
  for (const auto& c : chunks) f.Feed(c, emit);
  return out;
}

TEST_CASE("framer: lines across chunks, no newline kept, partial held until flushed") {
  LineFramer f;
  auto lines = FeedAll(f, {"one\ntw", "o\n", "\nthr", "ee"});
  CHECK(lines == std::vector<std::string>{"one", "two", ""});
  CHECK(f.pending() == 5);
  std::vector<std::string> rest;
  f.Flush([&](std::string_view l) { rest.emplace_back(l); });
  CHECK(rest == std::vector<std::string>{"three"});
  CHECK(f.pending() == 0);
  f.Flush([&](std::string_view l) { rest.emplace_back(l); });  // nothing more
  CHECK(rest.size() == 1);
}

TEST_CASE("framer: a long line is cut into max_line pieces, whatever the chunking") {
  const std::size_t max = 16;
  std::string line(50, 'x');
  for (std::size_t i = 0; i < line.size(); ++i) line[i] = static_cast<char>('a' + i % 26);
  for (std::size_t chunk : {1u, 3u, 7u, 16u, 17u, 51u}) {
    LineFramer f(max);
    std::string input = line + "\nend\n";
    std::vector<std::string> out;
    for (std::size_t i = 0; i < input.size(); i += chunk) {
      f.Feed(std::string_view(input).substr(i, chunk), [&](std::string_view l) { out.emplace_back(l); });
      CHECK(f.pending() < max);
    }
    CAPTURE(chunk);
    REQUIRE(out.size() == 5);
    CHECK(out[0] == line.substr(0, 16));
    CHECK(out[1] == line.substr(16, 16));
    CHECK(out[2] == line.substr(32, 16));
    CHECK(out[3] == line.substr(48));
    CHECK(out[4] == "end");
  }
}

TEST_CASE("framer: a 200 KiB line comes out as 64 KiB pieces that add up to it") {
  LineFramer f;
  std::string big(200 * 1024, 'z');
  std::vector<std::string> out;
  f.Feed(big + "\n", [&](std::string_view l) { out.emplace_back(l); });
  REQUIRE(out.size() == 4);
  CHECK(out[0].size() == kMaxLine);
  CHECK(out[3].size() == 200 * 1024 - 3 * kMaxLine);
}

TEST_CASE("framer: random chunking gives the same lines as one feed") {
  std::mt19937 rng(7);
  std::string input;
  for (int i = 0; i < 2000; ++i) {
    input += std::string(rng() % 40, static_cast<char>('a' + rng() % 26));
    if (rng() % 3) input += '\n';
  }
  LineFramer whole(32);
  std::vector<std::string> expected;
  whole.Feed(input, [&](std::string_view l) { expected.emplace_back(l); });
  LineFramer pieces(32);
  std::vector<std::string> got;
  for (std::size_t i = 0; i < input.size();) {
    std::size_t n = 1 + rng() % 50;
    pieces.Feed(std::string_view(input).substr(i, n), [&](std::string_view l) { got.emplace_back(l); });
    i += n;
  }
  CHECK(got == expected);
  CHECK(pieces.pending() == whole.pending());
}

TEST_CASE("ring: keeps the newest lines within its byte capacity") {
  LineRing ring(20);
  for (int i = 0; i < 10; ++i) ring.Push("line" + std::to_string(i));  // 6 bytes each
  CHECK(ring.bytes() <= 20);
  CHECK(ring.Tail(10) == std::vector<std::string>{"line7", "line8", "line9"});
  CHECK(ring.Tail(2) == std::vector<std::string>{"line8", "line9"});
  ring.Push(std::string(100, 'q'));  // larger than the ring: its tail only
  CHECK(ring.Tail(5) == std::vector<std::string>{std::string(19, 'q')});
  ring.SetCapacity(0);
  CHECK(ring.size() == 0);
  ring.Push("x");
  CHECK(ring.size() == 0);
}

TEST_CASE("json: valid UTF-8 kept, control characters escaped, invalid bytes as \\u00XX") {
  std::string out;
  AppendJsonString(&out, "a\"b\\c\n\t\x01 é €");
  CHECK(out == "\"a\\\"b\\\\c\\n\\t\\u0001 é €\"");
  out.clear();
  std::string bad = "ok \xff\xfe end \xc3(\xed\xa0\x80 \xf0\x9f\x98\x80";
  AppendJsonString(&out, bad);
  CHECK(out == "\"ok \\u00ff\\u00fe end \\u00c3(\\u00ed\\u00a0\\u0080 \xf0\x9f\x98\x80\"");
  // A strict parser accepts it, and every byte is accounted for.
  auto parsed = nlohmann::json::parse(out);
  CHECK(parsed.get<std::string>().find("\xf0\x9f\x98\x80") != std::string::npos);
}

TEST_CASE("json: random bytes always give a string a strict parser accepts") {
  std::mt19937 rng(11);
  for (int round = 0; round < 500; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (auto& b : bytes) b = static_cast<char>(rng() & 0xff);
    std::string out;
    AppendJsonString(&out, bytes);
    CAPTURE(out);
    CHECK_NOTHROW(nlohmann::json::parse(out));
  }
}

TEST_CASE("timestamps and line shapes") {
  CHECK(Iso8601Micros(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(Iso8601Micros(1796525702123456LL) == "2026-12-06T02:55:02.123456Z");
  LineMeta meta{"web/api", "stderr", 42, 1796525702123456LL};
  std::string text;
  AppendTextLine(&text, meta, "hello");
  CHECK(text == "web/api| hello\n");
  std::string json;
  AppendJsonLine(&json, meta, "hi \xff");
  REQUIRE(json.back() == '\n');
  auto j = nlohmann::json::parse(json);
  CHECK(j["time"] == "2026-12-06T02:55:02.123456Z");
  CHECK(j["path"] == "web/api");
  CHECK(j["stream"] == "stderr");
  CHECK(j["pid"] == 42);
  CHECK(j["line"] == "hi \xc3\xbf");
  std::string daemon;
  AppendJsonDaemonLine(&daemon, 0, "warn", 7, "msg");
  auto d = nlohmann::json::parse(daemon);
  CHECK(d["path"].is_null());
  CHECK(d["level"] == "warn");
  CHECK(d["line"] == "msg");
}

}  // namespace
}  // namespace supd::io::log
