// What the executor needs from io, as interfaces: io::ProcessManager and io::CoreTimers
// implement them on the loop; tests/unit/executor_*_test.cc put fakes in their place
// (ninja's CommandRunner pattern), so the executor's wiring is tested without forking.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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

}  // namespace supd::io
