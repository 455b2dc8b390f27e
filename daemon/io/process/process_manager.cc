#include "daemon/io/process/process_manager.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <unordered_map>
#include <vector>

#include "common/errno_text.h"
#include "daemon/io/process/process_manager_impl.h"
#include "daemon/io/process/spawn_plan.h"
#include "daemon/io/sys.h"

namespace supd::io {
namespace {

const char* ScopeName(Scope s) {
  switch (s) {
    case Scope::kProcess: return "process";
    case Scope::kGroup: return "group";
    case Scope::kCgroup: return "cgroup";
  }
  return "";
}

// A child spawned a moment ago whose start fails after all: SIGKILL it (its group and
// cgroup too) and reap it now, before the SIGCHLD drain could take it for an orphan.
void KillJustSpawned(const SpawnResult& res, const CgroupDir& cgroup) {
  PidfdSendSignal(res.pidfd, SIGKILL);
  kill(-res.pid, SIGKILL);  // the group of a not yet reaped leader: never a reused pgid
  cgroup.Kill();  // nothing without a cgroup
  siginfo_t info;
  const auto pidfd = static_cast<id_t>(res.pidfd);
  while (waitid(static_cast<idtype_t>(P_PIDFD), pidfd, &info, WEXITED) != 0 && errno == EINTR) {
  }
  close(res.pidfd);
}

// CLOCK_BOOTTIME in clock ticks: the unit and clock of /proc/PID/stat's start time (field
// 22, the task's boot time at clone, proc(5)).
std::optional<std::uint64_t> BootTicks() {
  static const long hz = sysconf(_SC_CLK_TCK);
  timespec ts;
  if (hz <= 0 || 1000000000L % hz != 0 || clock_gettime(CLOCK_BOOTTIME, &ts) != 0) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(ts.tv_sec) * static_cast<std::uint64_t>(hz) +
         static_cast<std::uint64_t>(ts.tv_nsec / (1000000000L / hz));
}

}  // namespace

std::string ProcessManager::Impl::Name(const Run& r) const {
  return r.path + " (pid " + std::to_string(r.pid) + ")";
}

std::optional<std::string> ProcessManager::Impl::Check(const core::WorkerSpec& spec) const {
  if (spec.command.empty()) return "command: must not be empty";
  switch (spec.ready.kind) {
    case core::ReadySpec::Kind::kCommand:
      if (spec.ready.command.empty()) return "ready: the probe command must not be empty";
      if (spec.ready.interval <= 0) return "ready: the probe interval must be positive";
      break;
    case core::ReadySpec::Kind::kNotifyFd:
      if (spec.ready.notify_fd < 3) {
        return "ready: notify_fd must be 3 or more (0-2 are the child's stdio)";
      }
      break;
    default:
      break;
  }
  if (spec.kill_mode == core::KillMode::kCgroup && !cgroups.Available()) {
    return "kill_mode: cgroup is not available here: " + cgroups.Reason();
  }
  return std::nullopt;
}

void ProcessManager::Impl::DoSpawn(const core::Spawn& cmd) {
  if (!cmd.spec) {
    EmitSpawnFailed(cmd.run, "spawn failed: no worker spec");
    return;
  }
  const core::WorkerSpec& spec = *cmd.spec;
  if (auto err = Check(spec)) {
    EmitSpawnFailed(cmd.run, *err);
    return;
  }
  if (!initialised || closed) {
    EmitSpawnFailed(cmd.run, "spawn failed: process manager not running");
    return;
  }
  SpawnPlan plan;
  PlanFds fds;
  int captured[2] = {-1, -1};
  if (options.capture != nullptr) {
    if (auto err = options.capture->StdioFor(cmd.path, spec, &captured[0], &captured[1])) {
      EmitSpawnFailed(cmd.run, "spawn failed: " + *err);
      return;
    }
  }
  if (auto err = BuildPlan(spec, options.log_dir, &plan, &fds, captured[0], captured[1])) {
    EmitSpawnFailed(cmd.run, *err);
    return;
  }
  auto run = std::make_unique<Run>();
  run->owner = this;
  run->id = cmd.run;
  run->path = cmd.path;
  run->spec = cmd.spec;
  run->scope = ScopeFor(spec);

  auto fail = [&](const std::string& message) {
    run->cgroup.Remove();
    EmitSpawnFailed(cmd.run, message);
  };
  if (auto err = PrepareReadiness(*run, &plan, &fds)) return fail(*err);
  bool reused = false;
  if (run->scope == Scope::kCgroup) {
    std::string error;
    run->cgroup = TakeCgroup(cmd.path, cmd.run, &reused, &error);
    if (run->cgroup.IsOpen()) {
      plan.cgroup_dir_fd = run->cgroup.DirFd();
    } else if (spec.kill_mode == core::KillMode::kAuto) {
      Log(cmd.path + ": " + error + "; using kill_mode group");
      run->scope = Scope::kGroup;
    } else {
      return fail("spawn failed: " + error);
    }
  }
  const auto ticks_before = BootTicks();
  SpawnResult res = spawner.Spawn(plan);
  if (reused && res.cgroup_error) {
    // A kept cgroup removed from outside meanwhile: once more in a fresh one (unchecked
    // reuse saves a lookup per restart).
    run->cgroup.Remove();
    std::string error;
    run->cgroup = TakeCgroup(cmd.path, cmd.run, &reused, &error);
    if (!run->cgroup.IsOpen()) return fail("spawn failed: " + error);
    plan.cgroup_dir_fd = run->cgroup.DirFd();
    res = spawner.Spawn(plan);
  }
  if (!res.error.empty()) return fail(res.error);
  const auto ticks_after = BootTicks();
  if (state.IsOpen()) {
    RunRecord rec;
    rec.pid = res.pid;
    rec.pgid = res.pid;  // the child called setsid()
    // The child's start time lies between the two readings: with at most one tick between
    // them the earlier one is recorded (StartTimeMatches accepts the next tick too), and
    // there is no /proc/PID/stat read, whose /proc dentries the kernel must also drop at the
    // reap (8-10 % of supd's CPU in a stop of 1,000 when a tick boundary was often crossed).
    // A slower spawn reads it.
    rec.start_time = ticks_before && ticks_after && *ticks_after - *ticks_before <= 1
                         ? *ticks_before
                         : ProcessStartTime(res.pid).value_or(0);
    rec.cgroup = run->cgroup.Path();
    // Unrecorded, the run could outlive a crash of supd unseen by the next one (SPEC §2
    // "Leftovers"): a full or read-only state dir fails the start instead.
    if (auto err = state.Add(rec)) {
      KillJustSpawned(res, run->cgroup);
      return fail("state file failed: " + *err);
    }
  }

  // A live run holds no cgroup fds (10,000 children must fit RLIMIT_NOFILE): its exit
  // reopens them, and they stay open until that turn's end for a restart (crash loop).
  run->cgroup.Close();
  run->pid = res.pid;
  run->pidfd = res.pidfd;
  // Not watched (no epoll set, or it is full): its SIGCHLD finds it in the scan instead.
  if (exit_set.IsOpen()) WatchExit(*run);
  Run& r = *run;
  by_pid[r.pid] = &r;
  runs[r.id] = std::move(run);
  if (options.capture != nullptr) options.capture->RunStarted(r.path, r.pid);
  Emit(core::ChildSpawned{r.id, r.pid});
  StartReadiness(r);
}

CgroupDir ProcessManager::Impl::TakeCgroup(const std::string& path, core::RunId run,
                                           bool* reused, std::string* error) {
  auto it = idle_cgroups.find(path);
  if (it != idle_cgroups.end()) {
    CgroupDir dir = std::move(it->second.dir);
    idle_cgroups.erase(it);
    if (dir.IsOpen() || dir.Open(dir.Path()) == 0) {
      *reused = true;
      return dir;
    }
    dir.Remove();  // gone or broken: a fresh one
  }
  *reused = false;
  CgroupDir dir;
  auto made = cgroups.Create(path, run, error);
  if (!made) return dir;
  if (int rc = dir.Open(*made); rc < 0) {
    *error = "cgroup open " + *made + ": " + common::ErrnoText(-rc);
    CgroupRemove(*made);
  }
  return dir;
}

void ProcessManager::Impl::ParkCgroup(const std::string& path, CgroupDir dir) {
  if (closed || !idle_cgroup_timer) {
    dir.Remove();
    return;
  }
  auto [it, added] = idle_cgroups.try_emplace(path);
  if (!added) it->second.dir.Remove();
  it->second = IdleCgroup{std::move(dir), false};
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(idle_cgroup_timer.get()))) {
    ArmIdleCgroupTimer();
  }
  if (!idle_close) return;
  parked_open.push_back(path);
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(idle_close.get()))) {
    uv_check_start(idle_close.get(), [](uv_check_t* c) {
      uv_check_stop(c);
      if (auto* self = static_cast<Impl*>(c->data)) self->CloseParkedCgroups();
    });
  }
}

void ProcessManager::Impl::CloseParkedCgroups() {
  for (const auto& path : parked_open) {
    auto it = idle_cgroups.find(path);
    if (it != idle_cgroups.end()) it->second.dir.Close();
  }
  parked_open.clear();
}

void ProcessManager::Impl::ArmIdleCgroupTimer() {
  uv_timer_start(
      idle_cgroup_timer.get(),
      [](uv_timer_t* t) {
        if (auto* self = static_cast<Impl*>(t->data)) self->OnIdleCgroupTick();
      },
      kIdleCgroupMs, 0);
}

void ProcessManager::Impl::OnIdleCgroupTick() {
  for (auto it = idle_cgroups.begin(); it != idle_cgroups.end();) {
    if (it->second.old) {
      it->second.dir.Remove();
      it = idle_cgroups.erase(it);
    } else {
      it->second.old = true;
      ++it;
    }
  }
  if (!idle_cgroups.empty()) ArmIdleCgroupTimer();
}

void ProcessManager::Impl::RemoveIdleCgroups() {
  for (auto& [path, idle] : idle_cgroups) idle.dir.Remove();
  idle_cgroups.clear();
}

void ProcessManager::Impl::StateChanged() {
  if (!state_flush) {
    state.Flush();
    return;
  }
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(state_flush.get()))) return;
  uv_prepare_start(state_flush.get(), [](uv_prepare_t* p) {
    uv_prepare_stop(p);
    if (auto* self = static_cast<Impl*>(p->data)) self->state.Flush();
  });
}

void ProcessManager::Impl::DoClose() {
  if (closed) return;
  closed = true;
  KillProbesAtClose();
  // Orphans killed with a cgroup leave it before they are reaped: reap what exited already,
  // so that closing never leaves a zombie behind for a SIGCHLD that will not be watched.
  DrainPidfdExits();
  DrainZombies();
  sigchld.Reset();
  if (sigchld_fd >= 0) {
    close(sigchld_fd);
    sigchld_fd = -1;
    if (!sigchld_was_blocked) {
      sigset_t chld;
      sigemptyset(&chld);
      sigaddset(&chld, SIGCHLD);
      sigprocmask(SIG_UNBLOCK, &chld, nullptr);
    }
  }
  orphan_scan.Reset();
  exit_set.Close();
  scope_poll.Reset();
  for (auto& [id, run] : runs) {
    run->cgroup.Remove();  // only if already empty
  }
  RemoveIdleCgroups();
  idle_cgroup_timer.Reset();
  idle_close.Reset();
  parked_open.clear();
  state.Flush();
  state_flush.Reset();
  runs.clear();
  by_pid.clear();
  awaiting_empty.clear();
  cgroups.Teardown();
}

void ProcessManager::Impl::WatchPidfdExits() {
  if (getenv("SUPD_REAP_WITH_SIGCHLD") != nullptr) return;  // tests: the fallback path
  auto error = exit_set.Open(loop, [this] {
    DrainPidfdExits();
    Flush();
  });
  if (error) Log(*error + "; children are reaped on SIGCHLD");
}

// ---------------------------------------------------------------------------------------

ProcessManager::ProcessManager(uv_loop_t* loop, ProcessManagerOptions options,
                               ProcessCallbacks callbacks)
    : impl_(std::make_unique<Impl>(loop, std::move(options), std::move(callbacks))) {}

ProcessManager::~ProcessManager() { impl_->DoClose(); }

std::optional<std::string> ProcessManager::Init() {
  Impl& m = *impl_;
  if (m.initialised) return std::nullopt;
  rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    m.spawner.SetDefaultNofile(nofile);  // children get the limit supd was started with
    // supd holds a pidfd (and pipes) per child: its own soft limit goes to the hard one.
    if (nofile.rlim_cur < nofile.rlim_max) {
      rlimit raised = nofile;
      raised.rlim_cur = raised.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
        m.Log("raised supd's open-file limit (RLIMIT_NOFILE) from " +
              std::to_string(nofile.rlim_cur) + " to the hard limit " +
              std::to_string(nofile.rlim_max) + "; children still get " +
              std::to_string(nofile.rlim_cur));
      } else {
        m.Log("cannot raise supd's open-file limit (RLIMIT_NOFILE) above " +
              std::to_string(nofile.rlim_cur) + ": " + common::ErrnoText(errno));
      }
    }
  }
  if (auto err = m.spawner.Init()) return err;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    return "prctl(PR_SET_CHILD_SUBREAPER): " + common::ErrnoText(errno);
  }
  m.cgroups.Setup();
  if (!m.cgroups.Available()) {
    m.Log("cgroup kill mode unavailable (" + m.cgroups.Reason() +
          "); kill_mode auto uses process groups");
  }
  if (!m.options.state_dir.empty() && !m.state.IsOpen()) {
    if (auto err = m.state.Open(m.options.state_dir)) return err;
  }
  // SIGCHLD blocked and read from a signalfd. supd has no other thread that could take the
  // signal, and the spawner resets a child's mask. Its disposition must be SIG_DFL: one
  // inherited as SIG_IGN (or SA_NOCLDWAIT) makes the kernel reap children itself, and their
  // exit status is lost.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGCHLD, &dfl, nullptr);
  sigset_t chld, old_mask;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old_mask);
  m.sigchld_was_blocked = sigismember(&old_mask, SIGCHLD) == 1;
  m.sigchld_fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  if (m.sigchld_fd < 0) return "signalfd(SIGCHLD): " + common::ErrnoText(errno);
  int rc = m.sigchld.Init(
      [&](uv_poll_t* p) { return uv_poll_init(m.loop, p, m.sigchld_fd); }, &m);
  if (rc < 0) return std::string("uv_poll_init(signalfd): ") + uv_strerror(rc);
  rc = uv_poll_start(m.sigchld.get(), UV_READABLE, [](uv_poll_t* p, int, int) {
    auto* self = static_cast<Impl*>(p->data);
    if (self == nullptr) return;
    signalfd_siginfo infos[16];
    while (read(self->sigchld_fd, infos, sizeof infos) == static_cast<ssize_t>(sizeof infos)) {
    }
    self->OnSigchld();
    self->Flush();
  });
  if (rc < 0) return std::string("uv_poll_start(signalfd): ") + uv_strerror(rc);
  rc = m.scope_poll.Init([&](uv_timer_t* t) { return uv_timer_init(m.loop, t); }, &m);
  if (rc < 0) return std::string("uv_timer_init: ") + uv_strerror(rc);
  rc = m.idle_cgroup_timer.Init([&](uv_timer_t* t) { return uv_timer_init(m.loop, t); }, &m);
  if (rc < 0) return std::string("uv_timer_init: ") + uv_strerror(rc);
  uv_unref(reinterpret_cast<uv_handle_t*>(m.idle_cgroup_timer.get()));  // never keeps the loop up
  rc = m.idle_close.Init([&](uv_check_t* c) { return uv_check_init(m.loop, c); }, &m);
  if (rc < 0) return std::string("uv_check_init: ") + uv_strerror(rc);
  uv_unref(reinterpret_cast<uv_handle_t*>(m.idle_close.get()));
  rc = m.state_flush.Init([&](uv_prepare_t* p) { return uv_prepare_init(m.loop, p); }, &m);
  if (rc < 0) return std::string("uv_prepare_init: ") + uv_strerror(rc);
  rc = m.orphan_scan.Init([&](uv_timer_t* t) { return uv_timer_init(m.loop, t); }, &m);
  if (rc < 0) return std::string("uv_timer_init: ") + uv_strerror(rc);
  m.WatchPidfdExits();
  m.initialised = true;
  m.DrainZombies();
  m.Flush();
  return std::nullopt;
}

std::optional<std::string> ProcessManager::CheckSpec(const core::WorkerSpec& spec) const {
  return impl_->Check(spec);
}

void ProcessManager::Spawn(const core::Spawn& cmd) {
  impl_->DoSpawn(cmd);
  impl_->Flush();
}

void ProcessManager::Signal(const core::Signal& cmd) {
  Impl::Run* r = impl_->Find(cmd.run);
  if (r == nullptr) return;
  r->stop_requested = true;
  if (!cmd.why.empty()) impl_->Log(impl_->Name(*r) + ": " + cmd.why);
  impl_->StopProbe(*r);  // a run being stopped is no longer probed
  // As systemd does: a stopped (SIGSTOP) process must run to act on its stop signal.
  const bool cont = cmd.signo != SIGKILL && cmd.signo != SIGCONT;
  impl_->SignalScope(*r, cmd.signo, cont ? SIGCONT : 0);
  if (!r->main_alive) impl_->ArmScopePoll();
  impl_->Flush();
}

bool ProcessManager::SignalByOperator(core::RunId run, int signo) {
  Impl::Run* r = impl_->Find(run);
  if (r == nullptr || !r->main_alive || r->pidfd < 0) return false;
  return PidfdSendSignal(r->pidfd, signo) == 0;
}

std::string ProcessManager::EffectiveKillMode(core::RunId run) const {
  Impl::Run* r = impl_->Find(run);
  return r == nullptr ? "" : ScopeName(r->scope);
}

std::size_t ProcessManager::LiveRuns() const { return impl_->runs.size(); }

void ProcessManager::KillLeftoversOfPreviousInstance() {
  Impl& m = *impl_;
  if (m.options.state_dir.empty()) return;
  auto text = ReadSmallFile(StateFile::FileIn(m.options.state_dir));
  if (!text) return;
  auto records = StateFile::Parse(*text);
  for (const auto& [pid, run] : m.by_pid) records.erase(pid);  // ours, not a previous one's
  KillRecorded(records, 2000, [&](const std::string& line) { m.Log(line); });
  for (const auto& [pid, rec] : records) {
    // The old instance's base (supd-<oldpid>) goes too, once empty; never ours.
    auto slash = rec.cgroup.find_last_of('/');
    if (slash == std::string::npos) continue;
    std::string parent = rec.cgroup.substr(0, slash);
    if (parent != m.cgroups.Base()) rmdir(parent.c_str());
  }
  if (!m.state.IsOpen()) {
    if (m.state.Open(m.options.state_dir)) return;
  }
  m.state.Compact();
}

void ProcessManager::Close() { impl_->DoClose(); }

}  // namespace supd::io
