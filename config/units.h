// Units of the config format: durations ("250ms", "5s", "2m", "1h") and sizes
// ("512KB", "10MB", 1024-based).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/child_spec.h"

namespace supd::config {

/// Parses a duration: a non-negative decimal integer followed by `ms`, `s`, `m` or `h`,
/// nothing else (no spaces, no sign, no fraction). nullopt if malformed or overflowing.
std::optional<core::Millis> ParseDuration(std::string_view text);

/// Parses a size: a non-negative decimal integer followed by `B`, `KB`, `MB` or `GB`
/// (1024-based). nullopt if malformed or overflowing.
std::optional<std::uint64_t> ParseSize(std::string_view text);

/// Renders a duration with the largest unit that divides it exactly: 3600000 -> "1h",
/// 120000 -> "2m", 10000 -> "10s", 250 -> "250ms", 0 -> "0s". Round-trips ParseDuration.
std::string FormatDuration(core::Millis ms);

/// Renders a size with the largest unit that divides it exactly: 10485760 -> "10MB".
std::string FormatSize(std::uint64_t bytes);

/// Parses an octal mode string of 1 to 4 octal digits ("0022", "0600", "755").
/// nullopt if malformed.
std::optional<std::uint32_t> ParseOctal(std::string_view text);

}  // namespace supd::config
