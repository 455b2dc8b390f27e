// What the executor needs from io, as interfaces: io::ProcessManager, io::CoreTimers and
// io::log::LogHub implement them on the loop; tests/unit/executor_*_test.cc put fakes in their place
// (ninja's CommandRunner pattern), so the executor's wiring is tested without forking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/commands.h"
#include "daemon/core/events.h"

namespace supd::io {

/// Runs worker processes: carries out core::Spawn / core::Signal and reports the events of
/// each run (ChildSpawned, ChildReady, SpawnFailed, ChildExited, ...) through the callback
/// it was built with, possibly synchronously inside Spawn/Signal.
class ProcessLayer {
 public:
  virtual ~ProcessLayer() = default;
  /// Spawn a run. Reports ChildSpawned then ChildReady (per spec.ready) or SpawnFailed;
  /// later exactly one ChildExited.
  virtual void Spawn(const core::Spawn& cmd) = 0;
  /// Signal a run within its kill scope. No-op for a run whose exit was already reported.
  virtual void Signal(const core::Signal& cmd) = 0;
  /// Signal the run's main process as an operator asked. False if it has no live process.
  virtual bool SignalByOperator(core::RunId run, int signo) = 0;
  /// "cgroup", "group" or "process" for a live run; "" otherwise.
  virtual std::string EffectiveKillMode(core::RunId run) const = 0;
  /// Why this host cannot run `spec` as written (e.g. kill_mode cgroup without a writable
  /// cgroup v2), or nullopt. Checked at start-up and on reload, before anything changes.
  virtual std::optional<std::string> CheckSpec(const core::WorkerSpec& spec) const {
    (void)spec;
    return std::nullopt;
  }
};

/// The core's timers: TimerFired{id} is reported through the callback the implementation
/// was built with, `after_ms` after Arm.
class TimerLayer {
 public:
  virtual ~TimerLayer() = default;
  /// Fire once, `after_ms` from now. Re-arming an id replaces it.
  virtual void Arm(core::TimerId id, std::int64_t after_ms) = 0;
  /// Forget a timer; no-op when it already fired or was never armed.
  virtual void Cancel(core::TimerId id) = 0;
  /// Cancel every timer (before the loop is closed).
  virtual void Close() = 0;
};

/// Workers' captured output (README, Logging): the ring buffers behind `supctl log`, live
/// lines for `log -f`, and each capture's health. Captures are made by the process layer's
/// spawns (io::OutputCapture) and keyed by worker path; the executor reads them and tells
/// when a path is gone from the tree.
class LogLayer {
 public:
  virtual ~LogLayer() = default;
  /// The last `n` lines kept for `path` (oldest first); nullopt if it has no capture.
  virtual std::optional<std::vector<std::string>> Tail(std::string_view path,
                                                       std::size_t n) const = 0;
  /// Captured paths equal to `path` or below it (every one for ""), sorted.
  virtual std::vector<std::string> PathsUnder(std::string_view path) const = 0;
  using Follower =
      std::function<void(std::string_view path, std::string_view stream, std::string_view line)>;
  /// Calls `f` for each new line of `path` or of any worker below it. Returns a token.
  virtual std::uint64_t Follow(std::string path, Follower f) = 0;
  virtual void Unfollow(std::uint64_t token) = 0;
  struct State {
    std::string error;          ///< "" when every destination works
    std::uint64_t dropped = 0;  ///< bytes dropped because a destination failed
  };
  virtual std::optional<State> StateOf(std::string_view path) const = 0;
  /// `path` is no longer a worker of the tree (a reload removed it, a dynamic child ended):
  /// write out what is left in its pipes, then close them, its files and its ring buffer.
  /// No-op for a path without capture.
  virtual void Release(std::string_view path) = 0;
};

}  // namespace supd::io
