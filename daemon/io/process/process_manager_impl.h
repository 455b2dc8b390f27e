// Internals of ProcessManager shared by its .cc files (process_manager.cc: API and spawn,
// process_exit.cc: signals, reaping, kill scopes; readiness/: ready per spec).
#pragma once

#include <sys/types.h>
#include <unistd.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/io/process/cgroup.h"
#include "daemon/io/process/process_manager.h"
#include "daemon/io/readiness/readiness.h"
#include "daemon/io/process/spawn_plan.h"
#include "daemon/io/process/spawner.h"
#include "daemon/io/process/state_file.h"
#include "daemon/io/uv_handle.h"

namespace supd::io {

enum class Scope { kProcess, kGroup, kCgroup };

inline constexpr uint64_t kScopePollFirstMs = 2;
inline constexpr uint64_t kScopePollMaxMs = 50;

struct ProcessManager::Impl {
  struct Run;
  uv_loop_t* loop;
  ProcessManagerOptions options;
  ProcessCallbacks callbacks;
  Spawner spawner;
  CgroupRoot cgroups;
  StateFile state;
  UvHandle<uv_signal_t> sigchld;
  UvHandle<uv_timer_t> scope_poll;
  uint64_t scope_poll_ms = kScopePollFirstMs;
  std::unordered_map<core::RunId, std::unique_ptr<Run>> runs;
  std::unordered_map<pid_t, Run*> by_pid;
  std::set<core::RunId> awaiting_empty;
  /// Live `ready: {command}` probes by pid: reaped here, never reported as children.
  struct Probe {
    core::RunId run = 0;
    int pidfd = -1;
  };
  std::unordered_map<pid_t, Probe> probes;
  std::vector<core::Event> pending;
  bool flushing = false;
  bool initialised = false;
  bool closed = false;

  Impl(uv_loop_t* l, ProcessManagerOptions o, ProcessCallbacks c)
      : loop(l), options(std::move(o)), callbacks(std::move(c)) {}

  void Log(const std::string& line) {
    if (callbacks.on_log) callbacks.on_log(line);
  }
  // Events are queued and delivered at the end of the entry point, so a callback that
  // calls back into us never sees a half-updated run.
  void Emit(core::Event e) { pending.push_back(std::move(e)); }
  /// A failed start: the message for the log, its short form for status and events.
  void EmitSpawnFailed(core::RunId run, const std::string& message) {
    Emit(core::SpawnFailed{run, message, SpawnErrorSummary(message)});
  }
  void Flush() {
    if (flushing) return;
    flushing = true;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      core::Event e = pending[i];
      if (callbacks.on_event) callbacks.on_event(e);
    }
    pending.clear();
    flushing = false;
  }
  std::string Name(const Run& r) const;
  Run* Find(core::RunId id) {
    auto it = runs.find(id);
    return it == runs.end() ? nullptr : it->second.get();
  }

  std::optional<std::string> Check(const core::WorkerSpec& spec) const;
  Scope ScopeFor(const core::WorkerSpec& spec) const {
    switch (spec.kill_mode) {
      case core::KillMode::kProcess: return Scope::kProcess;
      case core::KillMode::kGroup: return Scope::kGroup;
      case core::KillMode::kCgroup: return Scope::kCgroup;
      case core::KillMode::kAuto: break;
    }
    return cgroups.Available() ? Scope::kCgroup : Scope::kGroup;
  }

  void DoSpawn(const core::Spawn& cmd);
  // readiness.cc: per `ready` kind. Prepare runs before the spawn (pipe, socket, env).
  std::optional<std::string> PrepareReadiness(Run& r, SpawnPlan* plan, PlanFds* fds);
  void StartReadiness(Run& r);
  void MarkReady(Run& r);
  void ReadinessAtExit(Run& r);  // the main process was reaped: last messages, then stop
  void StopReadiness(Run& r);
  void OnNotifyReadable(Run& r, int status);
  // readiness/sd_notify_ready.cc
  void StartSdNotify(Run& r);
  void OnSdNotifyMessage(Run& r, std::string_view text, uid_t uid, pid_t pid);
  // readiness/probe.cc
  void StartProbe(Run& r);
  void OnProbeTimer(Run& r);
  void StopProbe(Run& r);
  bool ReapProbe(pid_t pid);  // true if `pid` was a probe (now reaped)
  void KillProbesAtClose();

  void SignalScope(Run& r, int signo);
  bool ScopeEmpty(Run& r);
  void DrainZombies();
  void OnMainReaped(Run& r, core::ExitStatus status);
  void Finish(core::RunId id);
  void CheckAwaiting();
  void ArmScopePoll();
  void DoClose();
};

/// One spawned run, from ChildSpawned until ChildExited.
struct ProcessManager::Impl::Run {
  ProcessManager::Impl* owner = nullptr;
  core::RunId id = 0;
  std::string path;
  std::shared_ptr<const core::WorkerSpec> spec;
  Scope scope = Scope::kGroup;
  pid_t pid = -1;
  int pidfd = -1;
  std::string cgroup;
  bool main_alive = true;
  core::ExitStatus status;
  bool stop_requested = false;  // the core sent a Signal: a stop (or a kill) is under way
  bool scope_empty = false;
  Readiness readiness;

  ~Run() {
    if (pidfd >= 0) close(pidfd);
  }
};

}  // namespace supd::io
