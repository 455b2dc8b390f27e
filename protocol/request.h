// Control requests: one JSON object per line, `{"cmd": ..., args...}`. Parsing and
// validation only (no I/O); the server turns a Request into DaemonApi calls.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "daemon/core/child_spec.h"
#include "daemon/core/commands.h"

namespace supd::protocol {

/// Longest request line the server accepts (bytes, without the newline).
inline constexpr std::size_t kMaxRequestLine = 1 << 20;
/// `wait` without `timeout`, and its ceiling.
inline constexpr core::Millis kDefaultWaitTimeout = 30'000;
inline constexpr core::Millis kMaxWaitTimeout = 7LL * 24 * 3600 * 1000;
/// `log` without `lines`.
inline constexpr int kDefaultLogLines = 50;

enum class Cmd { kStatus, kStart, kStop, kRestart, kSignal, kStartChild, kReload, kShutdown,
                 kLog, kEvents, kWait, kVersion };
const char* ToString(Cmd cmd);  ///< "status", "start_child", ...

/// A validated request. Only the fields of `cmd` are meaningful.
struct Request {
  Cmd cmd = Cmd::kStatus;
  std::string path;                 ///< "" = the root (status: default)
  int signo = 0;                    ///< signal
  std::vector<std::string> args;    ///< start_child
  std::optional<std::string> id;    ///< start_child
  bool follow = false;              ///< events, log
  int lines = kDefaultLogLines;     ///< log
  bool dry_run = false;             ///< reload
  bool restart_instances = false;   ///< reload: restart simple_one_for_one instances too
  std::string state;                ///< wait: a state name ("ready" already mapped to "running")
  core::Millis timeout = kDefaultWaitTimeout;  ///< wait
};

/// A request the server refuses before doing anything.
struct RequestError {
  core::ErrorCode code = core::ErrorCode::kBadRequest;
  std::string message;
};

/// Parses and validates one request line (without its newline). Never throws.
std::variant<Request, RequestError> ParseRequest(std::string_view line);

/// True for "" (the root) and slash-separated ids `[A-Za-z0-9_.-]{1,64}`.
bool IsValidPath(std::string_view path);
/// True for a worker or supervisor state name, or "ready".
bool IsWaitableState(std::string_view state);

}  // namespace supd::protocol
