// Signal names <-> numbers, shared by the config, `supctl signal` and the event stream.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace supd::config {

/// The number of a signal given by name: "SIGTERM", "TERM", case-insensitive; also
/// "SIGRTMIN+N" / "RTMAX-N". nullopt for an unknown name (numbers are not names).
std::optional<int> SignalFromName(std::string_view name);

/// The canonical name of a signal number, "SIGKILL"; "SIGRTMIN+3" for real-time
/// signals; "SIG<n>" when the number has no name.
std::string SignalName(int signal);

}  // namespace supd::config
