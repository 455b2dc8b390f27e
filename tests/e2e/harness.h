// End-to-end test support: a real supd on a temp config, a blocking JSON-lines client for its
// control socket, and deadline-bounded waits. Every SupdProcess is stopped and reaped in its
// destructor (SIGTERM, then SIGKILL), so a failing test leaves no process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/skip.h"
#include "tests/support/temp_dir.h"

namespace supd::e2e {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

using testing::TempDir;

/// Polls `condition` every few ms until it holds or `timeout` passes. Returns whether it held.
bool WaitFor(const std::function<bool()>& condition, milliseconds timeout);

/// Writes `text` to `path` (truncating).
void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);

/// Reaps child `pid` once it has exited, polling until `timeout`; the wait status is kept in
/// `*status` (already set: returned at once). Returns it, or nullopt while `pid` runs.
std::optional<int> WaitChild(pid_t pid, std::optional<int>* status, milliseconds timeout);

/// fork + exec `argv` (argv[0] an absolute path) with stdin from /dev/null and stdout and
/// stderr to `out_path` (truncated); with `own_group` the child leads a new process group.
/// A non-empty `stdout_path` takes stdout instead (opened for writing, not truncated: it
/// may be a FIFO). Returns the pid, or -1 when fork failed.
pid_t SpawnToFile(std::vector<std::string> argv, const std::string& out_path,
                  bool own_group = false, const std::string& stdout_path = {});

/// A blocking client connection to supd's control socket.
class Client {
 public:
  explicit Client(const std::string& socket_path);
  ~Client();
  bool connected() const { return fd_ >= 0; }
  /// Sends one request line and reads one reply line (deadline `timeout`).
  std::optional<nlohmann::json> Call(const nlohmann::json& request,
                                     milliseconds timeout = milliseconds(10000));
  bool Send(const std::string& raw);
  /// Reads one line (without '\n'); nullopt on EOF or timeout.
  std::optional<std::string> ReadLine(milliseconds timeout);

 private:
  int fd_ = -1;
  std::string buffer_;
};

/// Runs `supd -c CONFIG` with stderr captured to a file.
class SupdProcess {
 public:
  /// Starts supd on `config_path`; `socket_path` is where it will listen. Its stdout goes
  /// with stderr, or to `stdout_path` when given (see SpawnToFile).
  SupdProcess(const std::string& config_path, const std::string& socket_path,
              const std::string& stderr_path, std::vector<std::string> extra_args = {},
              const std::string& stdout_path = {});
  ~SupdProcess();
  pid_t pid() const { return pid_; }
  /// Waits until the control socket answers `version` (or supd exited). True if it answers.
  bool WaitReady(milliseconds timeout = milliseconds(10000));
  /// Waits for supd to exit; returns its wait status (as from waitpid) or nullopt on timeout.
  std::optional<int> WaitExit(milliseconds timeout);
  /// Sends a signal to supd.
  void Kill(int signo);
  std::string Stderr() const;
  const std::string& socket() const { return socket_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string socket_;
  std::string stderr_path_;
};

/// Runs a command (argv[0] an absolute path), captures stdout+stderr, returns exit code.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult Run(const std::vector<std::string>& argv,
                  milliseconds timeout = milliseconds(30000));

/// True if a process with this pid exists (and is not a zombie).
bool ProcessAlive(pid_t pid);

}  // namespace supd::e2e
