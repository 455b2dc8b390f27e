// `ready: {"command": [...], "interval": D}`: a probe runs every D (the worker's env, cwd,
// user, rlimits; stdout discarded) until one exits 0. Probes never overlap: one still
// running when D has passed is killed (SIGKILL, its process group) and the next starts
// once it is reaped. Probe pids live in `probes`, apart from runs: never reported.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "daemon/io/process/process_manager_impl.h"
#include "daemon/io/sys.h"

namespace supd::io {
namespace {

void KillProbeGroup(pid_t pid, int pidfd) {
  if (pidfd >= 0) PidfdSendSignal(pidfd, SIGKILL);
  // The probe leads its own process group (the spawner calls setsid); its number stays
  // ours until the probe is reaped, so this never hits a stranger.
  kill(-pid, SIGKILL);
}

}  // namespace

void ProcessManager::Impl::StartProbe(Run& r) {
  r.readiness.probe_due = false;
  if (!r.main_alive || r.readiness.ready || r.stop_requested || closed) return;
  if (!r.readiness.probe_timer) {
    int rc =
        r.readiness.probe_timer.Init([&](uv_timer_t* t) { return uv_timer_init(loop, t); }, &r);
    if (rc < 0) {
      Log(Name(r) + ": cannot time the readiness probe: " + uv_strerror(rc));
      return;
    }
  }
  core::WorkerSpec probe = *r.spec;
  probe.command = r.spec->ready.command;
  if (probe.stderr_spec.kind == core::OutputSpec::Kind::kStdout) {
    probe.stderr_spec = r.spec->stdout_spec;  // its errors go where the worker's output goes
  }
  probe.stdout_spec = core::OutputSpec{};
  probe.stdout_spec.kind = core::OutputSpec::Kind::kNull;
  SpawnPlan plan;
  PlanFds fds;
  auto err = BuildPlan(probe, options.log_dir, &plan, &fds);
  if (!err) {
    std::erase_if(plan.envp, [](const std::string& e) {
      return e.compare(0, 14, "NOTIFY_SOCKET=") == 0;
    });
    SpawnResult res = spawner.Spawn(plan);
    if (res.error.empty()) {
      r.readiness.probe_pid = res.pid;
      probes[res.pid] = Probe{r.id, res.pidfd};
    } else {
      err = res.error;
    }
  }
  if (err && !r.readiness.probe_error_logged) {
    r.readiness.probe_error_logged =
        true;  // once per run: it would fail the same way every interval
    Log(Name(r) + ": readiness probe: " + *err);
  }
  uv_timer_start(
      r.readiness.probe_timer.get(),
      [](uv_timer_t* t) {
        auto* run = static_cast<Run*>(t->data);
        if (run == nullptr) return;
        run->owner->OnProbeTimer(*run);
        run->owner->Flush();
      },
      static_cast<uint64_t>(std::max<core::Millis>(r.spec->ready.interval, 1)), 0);
}

void ProcessManager::Impl::OnProbeTimer(Run& r) {
  if (r.readiness.probe_pid < 0) {
    StartProbe(r);
    return;
  }
  // Still running after a whole interval: it hangs. Kill it; the next one starts when it
  // is reaped, never alongside it.
  auto it = probes.find(r.readiness.probe_pid);
  KillProbeGroup(r.readiness.probe_pid, it == probes.end() ? -1 : it->second.pidfd);
  r.readiness.probe_due = true;
}

void ProcessManager::Impl::StopProbe(Run& r) {
  r.readiness.probe_timer.Reset();
  r.readiness.probe_due = false;
  if (r.readiness.probe_pid < 0) return;
  auto it = probes.find(r.readiness.probe_pid);
  KillProbeGroup(r.readiness.probe_pid, it == probes.end() ? -1 : it->second.pidfd);
  r.readiness.probe_pid = -1;  // reaped later by DrainZombies, detached from the run
}

bool ProcessManager::Impl::ReapProbe(pid_t pid) {
  auto it = probes.find(pid);
  if (it == probes.end()) return false;
  int st = 0;
  if (waitpid(pid, &st, WNOHANG) <= 0) return true;  // named by waitid: cannot happen
  Probe probe = it->second;
  probes.erase(it);
  if (probe.pidfd >= 0) close(probe.pidfd);
  // What the probe left in its group goes with it (e.g. a shell's background job).
  kill(-pid, SIGKILL);
  Run* r = Find(probe.run);
  if (r == nullptr || r->readiness.probe_pid != pid) return true;
  r->readiness.probe_pid = -1;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
    MarkReady(*r);
    if (r->readiness.ready) StopProbe(*r);
  } else if (r->readiness.probe_due) {
    StartProbe(*r);
  }
  return true;
}

void ProcessManager::Impl::KillProbesAtClose() {
  for (auto& [pid, probe] : probes) {
    KillProbeGroup(pid, probe.pidfd);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (probe.pidfd >= 0) close(probe.pidfd);
  }
  probes.clear();
}

}  // namespace supd::io
