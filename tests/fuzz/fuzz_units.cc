// libFuzzer target: the duration, size and signal parsers of the config (config/units,
// config/signals) and of the command line and requests (protocol/duration,
// protocol/signals). What they accept must render and parse back to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/signals.h"
#include "config/units.h"
#include "protocol/duration.h"
#include "protocol/signals.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace cfg = supd::config;
  namespace proto = supd::protocol;
  if (auto ms = cfg::ParseDuration(text); ms) {
    if (*ms < 0 || cfg::ParseDuration(cfg::FormatDuration(*ms)) != ms) __builtin_trap();
  }
  if (auto bytes = cfg::ParseSize(text); bytes && cfg::ParseSize(cfg::FormatSize(*bytes)) != bytes) {
    __builtin_trap();
  }
  if (auto sig = cfg::SignalFromName(text); sig && cfg::SignalFromName(cfg::SignalName(*sig)) != sig) {
    __builtin_trap();
  }
  if (auto ms = proto::ParseDuration(text); ms) {
    if (*ms < 0) __builtin_trap();
    (void)proto::FormatDuration(*ms);  // rounded for humans: no round trip promised
  }
  if (auto mode = cfg::ParseOctal(text); mode && *mode > 07777) __builtin_trap();
  if (auto sig = proto::ParseSignal(text); sig) {
    if (*sig < 1 || *sig > 64 || proto::ParseSignal(proto::SignalName(*sig)) != sig) __builtin_trap();
  }
  return 0;
}
