// Runs worker processes for the executor: spawn (clone/vfork), readiness, signals within
// the kill scope, reaping (SIGCHLD), leftovers of group/cgroup. No supervision policy here:
// it carries out core::Spawn / core::Signal and reports what happened.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/core/commands.h"
#include "daemon/core/events.h"
#include "daemon/io/layers.h"
#include "daemon/io/process/output_capture.h"

namespace supd::io {

struct ProcessManagerOptions {
  /// Directory for state (the record of running children, for crash recovery).
  std::string state_dir;
  /// Base for relative `stdout`/`stderr` file paths.
  std::string log_dir;
  /// Output capture ("log" and {"file"} outputs through pipes); null: the child gets the
  /// file or supd's stdout directly. Must outlive the manager.
  OutputCapture* capture = nullptr;
};

/// What the process layer reports. Callbacks may run synchronously inside Spawn/Signal
/// (e.g. SpawnFailed, ChildSpawned, ChildReady for "exec"): the executor queues them.
struct ProcessCallbacks {
  std::function<void(const core::Event&)> on_event;
  /// Human log line for the daemon's stderr (e.g. an orphan reaped, a cgroup error).
  std::function<void(const std::string&)> on_log;
};

/// One per process: it reaps every child of the process (and adopted orphans).
class ProcessManager : public ProcessLayer {
 public:
  ProcessManager(uv_loop_t* loop, ProcessManagerOptions options, ProcessCallbacks callbacks);
  ~ProcessManager() override;
  ProcessManager(const ProcessManager&) = delete;
  ProcessManager& operator=(const ProcessManager&) = delete;

  /// Start watching SIGCHLD, become a child subreaper, set up the cgroup root if any.
  /// Returns an error message on failure.
  std::optional<std::string> Init();

  /// Error message if `spec`'s kill_mode cannot be honoured here (kill_mode: cgroup without
  /// a writable cgroup v2 hierarchy); nullopt when fine.
  std::optional<std::string> CheckSpec(const core::WorkerSpec& spec) const override;

  /// Spawn a run. Reports ChildSpawned then ChildReady (per spec.ready) or SpawnFailed;
  /// later exactly one ChildExited.
  void Spawn(const core::Spawn& cmd) override;
  /// Signal a run within its kill scope (SIGKILL with cgroup: cgroup.kill). No-op for a
  /// run whose exit was already reported.
  void Signal(const core::Signal& cmd) override;
  /// Signal as an operator asked (`supctl signal`). False if the run has no live process.
  bool SignalByOperator(core::RunId run, int signo) override;

  /// "cgroup", "group" or "process" for a live run; "" otherwise.
  std::string EffectiveKillMode(core::RunId run) const override;
  /// Number of live runs (spawned, exit not reported yet).
  std::size_t LiveRuns() const;

  /// Kill what a previous supd left (from the state dir), never a reused pid.
  void KillLeftoversOfPreviousInstance();
  /// Stop watching; close every handle (the loop can then finish).
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace supd::io
