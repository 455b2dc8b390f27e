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

#include "daemon/io/epoll_set.h"
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
/// An empty cgroup of a finished run waits this long (to twice as long) for the same child's
/// next run before it is removed: a restart reuses it instead of an rmdir + mkdir.
inline constexpr uint64_t kIdleCgroupMs = 5000;
/// A SIGCHLD explained by a pidfd reap defers the scan for orphans by this much.
inline constexpr uint64_t kOrphanScanMs = 250;

struct ProcessManager::Impl {
  struct Run;
  uv_loop_t* loop;
  ProcessManagerOptions options;
  ProcessCallbacks callbacks;
  Spawner spawner;
  CgroupRoot cgroups;
  StateFile state;
  // SIGCHLD arrives through a signalfd (blocked, read in the loop): a libuv signal handler
  // costs each exit a signal frame and three syscalls on its pipes before the loop sees it.
  int sigchld_fd = -1;
  bool sigchld_was_blocked = false;  // the mask DoClose restores
  UvHandle<uv_poll_t> sigchld;
  // Known children are reaped through their pidfds (DESIGN.md, "Reap through SIGCHLD"):
  // each run's pidfd sits in this epoll set, itself watched by one uv_poll_t; not open =
  // unavailable, DrainZombies then reaps every child. A SIGCHLD still comes with each exit,
  // but one that matches a pidfd reap (`unscanned_reaps`) does not cost a waitid(P_ALL)
  // scan of every child at once: the scan for orphans it might hide (signals coalesce) runs
  // `orphan_scan` later, once for many exits.
  EpollSet exit_set;
  std::size_t unscanned_reaps = 0;
  UvHandle<uv_timer_t> orphan_scan;
  UvHandle<uv_timer_t> scope_poll;
  uint64_t scope_poll_ms = kScopePollFirstMs;
  std::unordered_map<core::RunId, std::unique_ptr<Run>> runs;
  std::unordered_map<pid_t, Run*> by_pid;
  std::set<core::RunId> awaiting_empty;
  /// Empty cgroups of finished runs by child path, for that child's next run; `old` ones are
  /// removed at the next tick of `idle_cgroup_timer`.
  struct IdleCgroup {
    CgroupDir dir;
    bool old = false;
  };
  std::unordered_map<std::string, IdleCgroup> idle_cgroups;
  UvHandle<uv_timer_t> idle_cgroup_timer;
  /// Idle cgroups parked this loop turn, still open: a restart in the same turn (a crash
  /// loop) reuses the fds; at the turn's end (`idle_close`) they are closed, so that idle
  /// cgroups hold no fds while they wait (reopened if taken later).
  std::vector<std::string> parked_open;
  UvHandle<uv_check_t> idle_close;
  UvHandle<uv_prepare_t> state_flush;  // writes the state file's lines once per loop turn
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

  /// `signo`, then `then` (0: none) to the run's kill scope, reading a cgroup's members once.
  void SignalScope(Run& r, int signo, int then = 0);
  bool ScopeEmpty(Run& r);
  void DrainZombies();
  /// The child path's idle cgroup (`*reused` true), else a new one; closed on failure
  /// (`*error` set).
  CgroupDir TakeCgroup(const std::string& path, core::RunId run, bool* reused,
                       std::string* error);
  void ParkCgroup(const std::string& path, CgroupDir dir);
  void ArmIdleCgroupTimer();
  void OnIdleCgroupTick();
  void RemoveIdleCgroups();
  void CloseParkedCgroups();
  void StateChanged();
  void WatchPidfdExits();  // Init: the epoll set of pidfds, or the SIGCHLD fallback
  void DrainPidfdExits();
  void OnSigchld();
  bool ReapThroughPidfd(Run& r);  // true if the main process had exited (now reaped)
  void WatchExit(Run& r);         // adds the pidfd to `exit_set`
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
  bool exit_in_epoll = false;  // the pidfd is in `exit_set`
  CgroupDir cgroup;  // named for a run of Scope::kCgroup; its fds closed while it lives
  // cgroup.kill was written: never reuse that cgroup. This kernel (6.18) SIGKILLs a child
  // cloned into a cgroup that was once killed (clone3 CLONE_INTO_CGROUP compares the kill
  // sequence of the parent's cgroup with the target's).
  bool cgroup_killed = false;
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
