// Process layer under stress: mass exits, fork/fd exhaustion, crash recovery (state file).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <map>

#include "daemon/io/process/state_file.h"
#include "daemon/io/sys.h"
#include "tests/integration/io_harness.h"

namespace supd::io::test {
namespace {

using core::ExitStatus;

long long WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_CASE("io: 500 children exiting at the same instant are all reaped with their status") {
  Harness h;
  const int n = 500;
  long long at = WallMs() + 3000;  // spawning 500 takes ~1 s on a loaded VM
  std::vector<core::RunId> runs;
  long long t0 = NowMs();
  for (int i = 0; i < n; ++i) {
    auto spec = ChildSpec({"--sleep-until-ms", std::to_string(at), "--exit",
                           std::to_string(i % 200)});
    spec->kill_mode = i % 2 ? core::KillMode::kGroup : core::KillMode::kProcess;
    runs.push_back(h.Spawn(spec));
  }
  MESSAGE(n << " spawns took " << NowMs() - t0 << " ms");
  REQUIRE(h.pm().LiveRuns() == n);
  bool all = h.RunUntil([&] { return h.pm().LiveRuns() == 0; }, 20000);
  REQUIRE(all);
  for (int i = 0; i < n; ++i) {
    auto st = h.Exited(runs[static_cast<std::size_t>(i)]);
    REQUIRE(st);
    CHECK(*st == ExitStatus::Exited(i % 200));
  }
  int exits = 0;
  for (const auto& e : h.events()) exits += std::holds_alternative<core::ChildExited>(e);
  CHECK(exits == n);  // exactly once each
}

std::size_t OpenFds() {
  std::size_t n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}

TEST_CASE("io: 1000 spawns with the state file, no fd leaks in supd") {
  Harness h;
  const int n = 1000;
  std::size_t fds_before = OpenFds();
  long long t0 = NowMs();
  for (int i = 0; i < n; ++i) h.Spawn(ChildSpec({"--exit", "0"}));
  long long spawn_ms = NowMs() - t0;
  MESSAGE(n << " spawns (incl. state file) took " << spawn_ms << " ms");
  CHECK(h.RunUntil([&] { return h.pm().LiveRuns() == 0; }, 30000));
  MESSAGE("... and their exits " << NowMs() - t0 << " ms in all");
  // The last removals reach the file at the end of their loop turn.
  CHECK(h.RunUntil(
      [&] { return StateFile::Parse(ReadFile(StateFile::FileIn(h.dir() + "/state"))).empty(); },
      3000));
  // Notify pipes, failed spawns and pidfds leave nothing open either.
  auto notify = NotifyChildSpec({"--exit", "0"});
  auto bad = ChildSpec({});
  bad->cwd = "/nonexistent";
  for (int i = 0; i < 50; ++i) {
    h.Spawn(notify);
    h.Spawn(bad);
  }
  CHECK(h.RunUntil([&] { return h.pm().LiveRuns() == 0; }, 30000));
  CHECK(OpenFds() <= fds_before + 1);  // the state file may have been reopened by compaction
}

// Runs `body` in a forked process (its own loop and ProcessManager); returns its exit code.
int InSubprocess(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

TEST_CASE("io: fork failing with EAGAIN is a SpawnFailed, not a crash") {
  if (geteuid() != 0) SUPD_SKIP("needs root to switch to an unprivileged uid");
  int rc = InSubprocess([] {
    // RLIMIT_NPROC is not enforced for root: become nobody with no process left to spend.
    rlimit none{0, 0};
    if (setrlimit(RLIMIT_NPROC, &none) != 0) return 10;
    if (syscall(SYS_setresgid, 65534, 65534, 65534) != 0) return 11;
    if (syscall(SYS_setresuid, 65534, 65534, 65534) != 0) return 12;
    uv_loop_t loop;
    uv_loop_init(&loop);
    std::vector<core::Event> events;
    ProcessCallbacks cb;
    cb.on_event = [&](const core::Event& e) { events.push_back(e); };
    {
      ProcessManager pm(&loop, {}, cb);
      if (pm.Init()) return 13;
      auto spec = ChildSpec({"--exit", "0"});
      pm.Spawn(core::Spawn{1, "x", spec});
      pm.Close();
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (events.size() != 1) return 14;
    auto* f = std::get_if<core::SpawnFailed>(&events[0]);
    if (f == nullptr) return 15;
    if (f->message != "fork failed: Resource temporarily unavailable (EAGAIN)") return 16;
    return 0;
  });
  CHECK(rc == 0);
}

TEST_CASE("io: EMFILE while spawning is a SpawnFailed") {
#ifdef SUPD_SANITIZE
  // The sanitizer runtime itself opens /proc/self/maps while checking (UBSan's vptr check),
  // so with a full fd table it reports a false error. The release build runs this test.
  SUPD_SKIP("under ASan/UBSan: the sanitizer runtime needs free fds");
#endif
  Harness h;
  rlimit saved;
  getrlimit(RLIMIT_NOFILE, &saved);
  // Fill the table up to a low limit.
  rlimit low = saved;
  low.rlim_cur = 64;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  std::vector<int> fds;
  for (;;) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    fds.push_back(fd);
  }
  auto spec = NotifyChildSpec({"--exit", "0"});
  auto run = h.Spawn(spec);
  for (int fd : fds) close(fd);
  setrlimit(RLIMIT_NOFILE, &saved);
  REQUIRE(h.Failed(run));
  CHECK(*h.Failed(run) == "spawn failed: pipe: Too many open files (EMFILE)");
  // And it works again afterwards.
  CHECK(h.WaitExit(h.SpawnReady(NotifyChildSpec({"--exit", "0"}))) == ExitStatus::Exited(0));
}

// A process standing in for a child of a previous supd: its own session, not our child
// after the intermediate exits (so reparented to us as subreaper; fine for the test).
pid_t StartDetached() {
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    execl(SUPD_TEST_CHILD, SUPD_TEST_CHILD, static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

TEST_CASE("io: the state file records live runs, a new instance kills what an old one left") {
  std::string state = TempDir("state");
  std::string file = StateFile::FileIn(state);
  {
    Harness h(true, state);
    auto run = h.Spawn(ChildSpec({}));
    // Written once per loop turn, not at the spawn itself.
    REQUIRE(h.RunUntil([&] { return StateFile::Parse(ReadFile(file)).size() == 1; }, 1000));
    auto records = StateFile::Parse(ReadFile(file));
    auto& r = records.begin()->second;
    CHECK(r.pid == h.Pid(run));
    CHECK(r.pgid == h.Pid(run));
    CHECK(StartTimeMatches(r.start_time, ProcessStartTime(r.pid).value_or(0)));
    // The tick before the clone or the next one, nothing else.
    CHECK(StartTimeMatches(100, 100));
    CHECK(StartTimeMatches(100, 101));
    CHECK(!StartTimeMatches(100, 99));
    CHECK(!StartTimeMatches(100, 102));
  }
  // A previous instance's file: a live group whose leader matches, one whose pid was
  // "reused" (start time differs) and one long gone.
  pid_t victim = StartDetached();
  pid_t innocent = StartDetached();
  std::string gc_file = state + "/gc";
  REQUIRE(victim > 0);
  REQUIRE(innocent > 0);
  std::uint64_t victim_start = 0;
  for (int i = 0; i < 1000 && victim_start == 0; ++i) {
    auto g = ProcessGroupOf(victim);
    if (g && *g == victim) victim_start = ProcessStartTime(victim).value_or(0);
  }
  REQUIRE(victim_start != 0);
  {
    StateFile old;
    REQUIRE(!old.Open(state));
    old.Add({victim, victim, victim_start, ""});
    old.Add({innocent, innocent, ProcessStartTime(innocent).value_or(0) + 12345, ""});
    old.Add({999999, 999999, 1, ""});
  }
  {
    Harness h(true, state);
    h.KillAtTeardown(innocent);
    h.pm().KillLeftoversOfPreviousInstance();
    CHECK(!Running(victim));
    CHECK(Running(innocent));
    CHECK(StateFile::Parse(ReadFile(file)).empty());
    // The victim was our own child in this test: the drain reaps it.
    CHECK(h.RunUntil([&] { return OwnChildren().count(victim) == 0; }, 3000));
  }
  std::system(("rm -rf '" + state + "'").c_str());
}

TEST_CASE("io: every recorded start time is the one /proc/PID/stat shows") {
  // supd takes it from CLOCK_BOOTTIME around the spawn when it can, not from /proc.
  std::string state = TempDir("state");
  {
    Harness h(true, state);
    std::vector<core::RunId> runs;
    for (int i = 0; i < 100; ++i) runs.push_back(h.Spawn(ChildSpec({})));
    REQUIRE(h.RunUntil(
        [&] { return StateFile::Parse(ReadFile(StateFile::FileIn(state))).size() == 100; },
        5000));
    for (const auto& [pid, r] : StateFile::Parse(ReadFile(StateFile::FileIn(state)))) {
      CHECK(StartTimeMatches(r.start_time, ProcessStartTime(pid).value_or(0)));
    }
  }
  std::system(("rm -rf '" + state + "'").c_str());
}

TEST_CASE("io: leftover kill covers a group whose leader is gone, and a cgroup") {
  std::string state = TempDir("state2");
  std::string pids = state + "/gc";
  std::string cg_pids = state + "/cg";
  {
    // The "previous instance": its records are copied while its runs live.
    Harness h(true, state);
    auto run = h.SpawnReady(
        NotifyChildSpec({"--fork-ignore-term", "--fork-pidfile", pids, "--fork", "2"}));
    pid_t leader = h.Pid(run);
    REQUIRE(h.RunUntil([&] { return PidsIn(pids).size() == 2; }, 3000));
    core::WorkerSpec probe = *ChildSpec({});
    probe.kill_mode = core::KillMode::kCgroup;
    bool with_cgroup = !h.pm().CheckSpec(probe);
    core::RunId cg_run = 0;
    if (with_cgroup) {
      auto spec = NotifyChildSpec({"--fork-setsid-ignore-term", "--fork-pidfile", cg_pids,
                                   "--fork", "1"});
      spec->kill_mode = core::KillMode::kCgroup;
      cg_run = h.SpawnReady(spec);
      REQUIRE(h.RunUntil([&] { return PidsIn(cg_pids).size() == 1; }, 3000));
    } else {
      MESSAGE("cgroup part skipped: no writable cgroup v2");
    }
    auto records = StateFile::Parse(ReadFile(StateFile::FileIn(state)));
    REQUIRE(records.size() == (with_cgroup ? 2u : 1u));
    // The old supd "dies": its main process goes (as by PDEATHSIG), the rest stays.
    kill(leader, SIGKILL);
    CHECK(!h.RunUntil([&] { return h.Exited(run).has_value(); }, 200));  // group not empty
    // The new instance's kill: the group members although the leader is gone, the cgroup.
    int killed = KillRecorded(records, 2000, nullptr);
    CHECK(killed >= (with_cgroup ? 3 : 2));
    for (pid_t p : PidsIn(pids)) CHECK(!Running(p));
    for (pid_t p : PidsIn(cg_pids)) CHECK(!Running(p));
    CHECK(h.WaitExit(run) == ExitStatus::Signaled(SIGKILL));
    if (with_cgroup) CHECK(h.WaitExit(cg_run) == ExitStatus::Signaled(SIGKILL));
  }
  std::system(("rm -rf '" + state + "'").c_str());
}

TEST_CASE("io: supd killed by SIGKILL: its children die with it, a new one kills the rest") {
  std::string state = TempDir("crash");
  std::string main_pid = state + "/main";
  std::string gc_pids = state + "/gc";
  pid_t old_supd = fork();
  if (old_supd == 0) {
    // The "old supd": spawns a run whose grandchildren ignore SIGTERM, then waits.
    uv_loop_t loop;
    uv_loop_init(&loop);
    bool ready = false;
    ProcessCallbacks cb;
    cb.on_event = [&](const core::Event& e) { ready |= std::holds_alternative<core::ChildReady>(e); };
    ProcessManager pm(&loop, {state, ""}, cb);
    if (pm.Init()) _exit(1);
    pm.Spawn(core::Spawn{1, "old/run", NotifyChildSpec({"--write-pidfile", main_pid,
                                                        "--fork-ignore-term", "--fork-pidfile",
                                                        gc_pids, "--fork", "3"})});
    while (!ready) uv_run(&loop, UV_RUN_ONCE);
    for (;;) pause();
  }
  REQUIRE(old_supd > 0);
  {
    Harness h(true, state);  // the "new supd"; the orphans come to this subreaper
    REQUIRE(h.RunUntil(
        [&] { return PidsIn(gc_pids).size() == 3 && PidsIn(main_pid).size() == 1; }, 5000));
    pid_t main = PidsIn(main_pid)[0];
    auto gc = PidsIn(gc_pids);
    for (pid_t p : gc) h.KillAtTeardown(p);  // only matters if the test fails
    h.KillAtTeardown(main);
    kill(old_supd, SIGKILL);
    CHECK(h.RunUntil([&] { return !Running(old_supd); }, 3000));
    // PR_SET_PDEATHSIG: the main process dies with its supd.
    CHECK(h.RunUntil([&] { return !Running(main); }, 3000));
    for (pid_t p : gc) CHECK(Running(p));  // what the state file is for
    h.pm().KillLeftoversOfPreviousInstance();
    for (pid_t p : gc) CHECK(!Running(p));
    CHECK(StateFile::Parse(ReadFile(StateFile::FileIn(state))).empty());
  }
  std::system(("rm -rf '" + state + "'").c_str());
}

}  // namespace
}  // namespace supd::io::test
