// libFuzzer target: the pure log framing (LineFramer) and JSON escaping of captured lines.
// Invariants: no piece is longer than the limit; pieces plus the newlines they stood for
// give back the input; the escaped JSON of any bytes parses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/io/log/line_framer.h"
#include "daemon/io/log/log_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::size_t max = 1 + data[0] % 64;  // small limits reach the splitting paths
  std::size_t chunk = 1 + data[1] % 32;
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  supd::io::log::LineFramer framer(max);
  std::string rebuilt;
  auto emit = [&](std::string_view line) {
    if (line.size() > max) std::abort();
    rebuilt.append(line);
    rebuilt.push_back('\n');
    std::string json;
    supd::io::log::AppendJsonString(&json, line);
    if (nlohmann::json::parse(json, nullptr, false).is_discarded()) std::abort();
  };
  for (std::size_t i = 0; i < input.size(); i += chunk) framer.Feed(input.substr(i, chunk), emit);
  framer.Flush(emit);
  // Every '\n' of the input is one line end; each full piece added one more.
  std::string expected;
  std::size_t run = 0;
  for (char c : input) {
    if (c == '\n') {
      expected.push_back('\n');
      run = 0;
      continue;
    }
    expected.push_back(c);
    if (++run == max) {
      expected.push_back('\n');
      run = 0;
    }
  }
  if (run > 0) expected.push_back('\n');
  if (rebuilt != expected) std::abort();
  return 0;
}
