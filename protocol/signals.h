// Signal names <-> numbers for the control protocol and supctl: the config's table
// (config/signals.h), plus plain numbers as a shell's `kill` accepts them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace supd::protocol {

/// "SIGTERM", "TERM", "sigterm", "15" -> 15; nullopt for anything else (or 0, or > 64).
std::optional<int> ParseSignal(std::string_view text);
/// 15 -> "SIGTERM"; real-time and unknown numbers -> "SIGRTMIN+3" / "SIG64".
std::string SignalName(int signo);

}  // namespace supd::protocol
