// Units written by people, in the config and on supctl's command line (README, "Config
// reference" and "supctl"): durations ("250ms", "1.5s", "2m", "1h", "1d"), sizes
// ("512KB", "10MB", 1024-based) and octal modes ("0022"). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supd::common {

/// Milliseconds, as core::Millis.
using Millis = std::int64_t;

/// The longest duration supd accepts anywhere (87600h, ten years), so that `now +
/// duration` can never overflow. ParseDuration returns longer ones so that callers can
/// say "at most 87600h" rather than "malformed".
inline constexpr Millis kMaxDuration = 87600LL * 3600 * 1000;

/// Whether a number without a unit is a duration.
enum class BareNumber {
  kReject,   ///< the config: `"5000"` (ms or s?) is an error
  kSeconds,  ///< the command line and requests: `"1.5"` is 1.5 s, as sleep(1) reads it
};

/// Parses `DIGITS[.DIGITS]UNIT`, UNIT one of `ms`, `s`, `m` (or `min`), `h`, `d`, nothing
/// else (no spaces, no sign, no exponent): "250ms", "5s", "1.5s", "2m", "1h", "1d". A
/// fraction is rounded to the nearest millisecond. nullopt if malformed or if it does not
/// fit an int64 of milliseconds; values above kMaxDuration are returned (callers bound).
std::optional<Millis> ParseDuration(std::string_view text, BareNumber bare = BareNumber::kReject);

/// Renders a duration exactly, with the largest unit up to `h` that divides it: 3600000 ->
/// "1h", 120000 -> "2m", 10000 -> "10s", 1500 -> "1500ms", 0 -> "0s". Round-trips
/// ParseDuration; for config values and error messages.
std::string FormatDuration(Millis ms);

/// Renders a duration for a human at a glance, dropping what is below the two largest
/// units: "450ms", "12s", "3m05s", "2h13m", "4d03h"; negative -> "0ms". For uptimes and
/// timeouts in messages.
std::string FormatDurationCompact(Millis ms);

/// Parses a size: a non-negative decimal integer followed by `B`, `KB`, `MB` or `GB`
/// (1024-based). nullopt if malformed or overflowing.
std::optional<std::uint64_t> ParseSize(std::string_view text);

/// Renders a size with the largest unit that divides it exactly: 10485760 -> "10MB",
/// 1000 -> "1000B". Round-trips ParseSize.
std::string FormatSize(std::uint64_t bytes);

/// Parses an octal mode string of 1 to 4 octal digits ("0022", "0600", "755").
/// nullopt if malformed.
std::optional<std::uint32_t> ParseOctal(std::string_view text);

}  // namespace supd::common
