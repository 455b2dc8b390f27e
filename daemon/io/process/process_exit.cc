#include "daemon/io/process/process_manager_impl.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/io/process/cgroup.h"
#include "daemon/io/sys.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace supd::io {
namespace {

core::ExitStatus StatusOf(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return core::ExitStatus::Exited(info.si_status);
  return core::ExitStatus::Signaled(info.si_status);
}

}  // namespace

void ProcessManager::Impl::SignalScope(Run& r, int signo, int then) {
  if (r.main_alive && r.pidfd >= 0) {
    PidfdSendSignal(r.pidfd, signo);
    if (then != 0) PidfdSendSignal(r.pidfd, then);
  }
  switch (r.scope) {
    case Scope::kProcess:
      break;
    case Scope::kGroup:
      // pgid == the main pid: its number stays ours while the main process is unreaped
      // or any member of its group lives.
      for (int s : {signo, then}) {
        if (s == 0 || r.scope_empty) continue;
        if (kill(-r.pid, s) != 0 && errno == ESRCH && !r.main_alive) r.scope_empty = true;
      }
      break;
    case Scope::kCgroup:
      if (signo == SIGKILL) {
        r.cgroup_killed = true;
        r.cgroup.Kill();
      } else {
        r.cgroup.Signal(signo, then, r.main_alive ? r.pid : 0);
      }
      break;
  }
}

bool ProcessManager::Impl::ScopeEmpty(Run& r) {
  if (r.main_alive) return false;
  switch (r.scope) {
    case Scope::kProcess:
      return true;
    case Scope::kGroup:
      // Zombies still count; as subreaper we reap the orphaned ones in the drain.
      if (!r.scope_empty && kill(-r.pid, 0) != 0 && errno == ESRCH) r.scope_empty = true;
      return r.scope_empty;
    case Scope::kCgroup:
      if (!r.scope_empty && !r.cgroup.Populated()) r.scope_empty = true;
      return r.scope_empty;
  }
  return true;
}

void ProcessManager::Impl::DrainZombies() {
  unscanned_reaps = 0;  // this scan sees every exit so far
  if (orphan_scan) uv_timer_stop(orphan_scan.get());
  for (;;) {
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0) break;  // ECHILD
    if (info.si_pid == 0) break;
    pid_t pid = info.si_pid;
    if (ReapProbe(pid)) continue;  // a readiness probe: never a run
    auto it = by_pid.find(pid);
    if (it == by_pid.end()) {
      // An orphan adopted as subreaper (or a child not ours): reap it quietly.
      if (waitpid(pid, nullptr, WNOHANG) <= 0) break;
      continue;
    }
    Run& r = *it->second;
    siginfo_t exit_info;
    std::memset(&exit_info, 0, sizeof exit_info);
    if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(r.pidfd), &exit_info,
               WEXITED | WNOHANG) != 0 ||
        exit_info.si_pid == 0) {
      int st = 0;
      if (waitpid(pid, &st, WNOHANG) <= 0) break;
      exit_info = info;
    }
    OnMainReaped(r, StatusOf(exit_info));
  }
  CheckAwaiting();
}

void ProcessManager::Impl::WatchExit(Run& r) {
  r.exit_in_epoll = !exit_set.Add(r.pidfd, r.id);
}

bool ProcessManager::Impl::ReapThroughPidfd(Run& r) {
  if (!r.main_alive || r.pidfd < 0) return false;
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(r.pidfd), &info,
             WEXITED | WNOHANG) != 0 ||
      info.si_pid == 0) {
    return false;
  }
  ++unscanned_reaps;
  OnMainReaped(r, StatusOf(info));
  return true;
}

void ProcessManager::Impl::OnSigchld() {
  DrainPidfdExits();  // known exits first: their SIGCHLDs need no scan
  if (unscanned_reaps == 0) {
    DrainZombies();
    return;
  }
  // Most likely the signal of a child just reaped through its pidfd; an orphan's signal
  // merged into it (a pending SIGCHLD absorbs the next) is found by the deferred scan.
  --unscanned_reaps;
  if (orphan_scan && !uv_is_active(reinterpret_cast<uv_handle_t*>(orphan_scan.get()))) {
    uv_timer_start(
        orphan_scan.get(),
        [](uv_timer_t* t) {
          auto* self = static_cast<Impl*>(t->data);
          if (self == nullptr) return;
          self->DrainPidfdExits();  // so that the scan finds only orphans
          self->DrainZombies();
          self->Flush();
        },
        kOrphanScanMs, 0);
  }
}

void ProcessManager::Impl::DrainPidfdExits() {
  if (!exit_set.IsOpen()) return;
  // Every exit known now: the SIGCHLDs they explain then need no scan.
  exit_set.Drain(
      [this](std::uint64_t key) {
        Run* r = Find(static_cast<core::RunId>(key));
        if (r != nullptr) ReapThroughPidfd(*r);
      },
      EpollSet::DrainMode::kUntilEmpty);
  CheckAwaiting();
}

void ProcessManager::Impl::OnMainReaped(Run& r, core::ExitStatus status) {
  r.main_alive = false;
  r.status = status;
  by_pid.erase(r.pid);
  if (r.pidfd >= 0) {
    // Closing drops it from the set (no EPOLL_CTL_DEL: one syscall less per exit): supd
    // holds the pidfd's only reference, O_CLOEXEC. A child being exec'd right now may hold
    // a copy for a moment (exec unshares the fd table before it closes O_CLOEXEC fds); the
    // entry then lingers until that copy closes, and its key names a run whose main
    // process is already reaped, which DrainPidfdExits skips.
    r.exit_in_epoll = false;
    close(r.pidfd);
    r.pidfd = -1;
  }
  ReadinessAtExit(r);  // a readiness message sent right before exiting still counts
  if (ScopeEmpty(r)) {
    Finish(r.id);
    return;
  }
  if (!r.stop_requested) {
    // Leftovers (README, "How supd behaves"): the main process exited by itself; the core
    // stops the rest first (stop signal, SIGKILL after `shutdown`), then sees the exit.
    Log(Name(r) + " exited; stopping what is left of its " +
        (r.scope == Scope::kCgroup ? "cgroup" : "process group"));
  }
  Emit(core::MainExited{r.id});
  if (awaiting_empty.insert(r.id).second) {
    scope_poll_ms = kScopePollFirstMs;
    ArmScopePoll();
  }
}

void ProcessManager::Impl::Finish(core::RunId id) {
  auto it = runs.find(id);
  if (it == runs.end()) return;
  std::unique_ptr<Run> run = std::move(it->second);
  runs.erase(it);
  awaiting_empty.erase(id);
  if (state.IsOpen()) {
    state.Remove(run->pid);
    StateChanged();
  }
  if (run->cgroup.Exists() && run->cgroup_killed) {
    run->cgroup.Remove();
  } else if (run->cgroup.Exists()) {
    ParkCgroup(run->path, std::move(run->cgroup));
  }
  // Its last words are read (and a partial line written out) before its exit is told.
  if (options.capture != nullptr) options.capture->RunEnded(run->path);
  Emit(core::ChildExited{id, run->status});
}

void ProcessManager::Impl::CheckAwaiting() {
  std::vector<core::RunId> ids(awaiting_empty.begin(), awaiting_empty.end());
  for (core::RunId id : ids) {
    Run* r = Find(id);
    if (r == nullptr) {
      awaiting_empty.erase(id);
    } else if (ScopeEmpty(*r)) {
      Finish(id);
    }
  }
}

void ProcessManager::Impl::ArmScopePoll() {
  if (awaiting_empty.empty() || !scope_poll) return;
  uv_timer_start(
      scope_poll.get(),
      [](uv_timer_t* t) {
        auto* self = static_cast<Impl*>(t->data);
        if (self == nullptr) return;
        self->CheckAwaiting();
        self->scope_poll_ms = std::min(self->scope_poll_ms * 2, kScopePollMaxMs);
        self->ArmScopePoll();
        self->Flush();
      },
      scope_poll_ms, 0);
}

}  // namespace supd::io
