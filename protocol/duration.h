// Durations as written on the command line and in requests: "250ms", "5s", "2m", "1h",
// or a bare number of seconds ("1.5"). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/child_spec.h"

namespace supd::protocol {

/// Milliseconds, or nullopt when `text` is not a non-negative duration.
std::optional<core::Millis> ParseDuration(std::string_view text);
/// Compact human rendering: "450ms", "12s", "3m05s", "2h13m", "4d03h".
std::string FormatDuration(core::Millis ms);

}  // namespace supd::protocol
