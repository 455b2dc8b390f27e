// libFuzzer target: the duration, size, octal-mode and signal parsers in common/ (config and
// the command line/requests share them). What they accept must render and parse back to the
// same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/signals.h"
#include "common/units.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace c = supd::common;
  if (auto ms = c::ParseDuration(text); ms) {
    if (*ms < 0 || c::ParseDuration(c::FormatDuration(*ms)) != ms) __builtin_trap();
  }
  if (auto ms = c::ParseDuration(text, c::BareNumber::kSeconds); ms) {
    if (*ms < 0) __builtin_trap();
    (void)c::FormatDurationCompact(*ms);  // rounded for humans: no round trip promised
  }
  if (auto bytes = c::ParseSize(text); bytes && c::ParseSize(c::FormatSize(*bytes)) != bytes) {
    __builtin_trap();
  }
  if (auto sig = c::SignalFromName(text); sig && c::SignalFromName(c::SignalName(*sig)) != sig) {
    __builtin_trap();
  }
  if (auto mode = c::ParseOctal(text); mode && *mode > 07777) __builtin_trap();
  if (auto sig = c::ParseSignal(text); sig) {
    if (*sig < 1 || *sig > 64 || c::ParseSignal(c::SignalName(*sig)) != sig) __builtin_trap();
  }
  return 0;
}
