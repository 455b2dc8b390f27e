// libFuzzer target: any byte string given to the config loader must yield a config or
// errors (never both, never neither), and never a crash, a hang or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/signals.h"
#include "common/units.h"
#include "config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace supd::config;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // Includes off: a fuzzed "include": "/*" must not make the fuzzer read the filesystem.
  LoadResult result = LoadString(text, "fuzz.json", "/nonexistent-supd-fuzz",
                                 LoadOptions{.follow_includes = false});
  if (result.config.has_value() == !result.errors.empty()) __builtin_trap();
  for (const ConfigError& e : result.errors) {
    if (e.ToString().empty() || e.message.empty()) __builtin_trap();
  }
  if (result.config && CountNodes(result.config->root).supervisors < 1) __builtin_trap();

  // The unit parsers see the raw bytes too; what they accept must round-trip.
  using namespace supd::common;
  if (auto ms = ParseDuration(text); ms && ParseDuration(FormatDuration(*ms)) != ms) {
    __builtin_trap();
  }
  if (auto bytes = ParseSize(text); bytes && ParseSize(FormatSize(*bytes)) != bytes) {
    __builtin_trap();
  }
  if (auto sig = SignalFromName(text); sig && SignalFromName(SignalName(*sig)) != sig) {
    __builtin_trap();
  }
  if (auto sig = ParseSignal(text); sig && ParseSignal(SignalName(*sig)) != sig) {
    __builtin_trap();
  }
  if (auto ms = ParseDuration(text, BareNumber::kSeconds);
      ms && ParseDuration(FormatDuration(*ms)) != ms) {
    __builtin_trap();
  }
  return 0;
}
