// How a process ended, and what that means for a spec. Pure.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace supd::core {

/// exited(code) | signaled(signo). What waitid reported for the main process.
struct ExitStatus {
  enum class Kind { kExited, kSignaled };
  Kind kind = Kind::kExited;
  int value = 0;  ///< exit code or signal number

  static ExitStatus Exited(int code) { return {Kind::kExited, code}; }
  static ExitStatus Signaled(int signo) { return {Kind::kSignaled, signo}; }
  bool operator==(const ExitStatus&) const = default;

  /// Shell-style status: the code, or 128+n for a signal (tini, systemd, sh).
  int ShellCode() const { return kind == Kind::kExited ? value : 128 + value; }

  /// True for an exit code listed in `normal_exit_codes`. Death by a signal is never
  /// normal by itself; a child that dies while supd stops it has reason `shutdown`,
  /// which the supervisor decides, not this function.
  bool IsNormal(const std::vector<int>& normal_exit_codes) const {
    return kind == Kind::kExited &&
           std::find(normal_exit_codes.begin(), normal_exit_codes.end(), value) !=
               normal_exit_codes.end();
  }
};

/// The reason a child's exit is given, as in OTP.
enum class ExitReason { kNormal, kAbnormal, kShutdown };

inline const char* ToString(ExitReason r) {
  switch (r) {
    case ExitReason::kNormal: return "normal";
    case ExitReason::kAbnormal: return "abnormal";
    case ExitReason::kShutdown: return "shutdown";
  }
  return "?";
}

}  // namespace supd::core
