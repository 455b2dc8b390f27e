// Signal names <-> numbers: the config's `stop_signal`, `supctl signal`, the control
// protocol and the daemon's log all use this one table. Pure (the numbers are Linux's).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace supd::common {

/// The number of a signal given by name: "SIGTERM", "TERM", case-insensitive; also
/// "SIGRTMIN+N" / "RTMAX-N". nullopt for an unknown name (numbers are not names).
std::optional<int> SignalFromName(std::string_view name);

/// A name as SignalFromName reads it, or a number as a shell's `kill` accepts it:
/// "SIGTERM", "TERM", "sigterm", "15", "SIG15" -> 15. nullopt for anything else, 0, or > 64.
std::optional<int> ParseSignal(std::string_view text);

/// The canonical name of a signal number, "SIGKILL" (never an alias such as SIGIOT);
/// "SIGRTMIN+3" for real-time signals; "SIG<n>" when the number has no name.
std::string SignalName(int signal);

}  // namespace supd::common
