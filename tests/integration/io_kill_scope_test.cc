// Process layer: signals, kill scopes (process, group, cgroup), leftovers.
#include "tests/integration/io_harness.h"

namespace supd::io::test {
namespace {

using core::ExitStatus;

// Waits until `file` lists `n` pids; registers them for teardown.
std::vector<pid_t> GrandChildren(Harness& h, const std::string& file, std::size_t n) {
  REQUIRE(h.RunUntil([&] { return PidsIn(file).size() >= n; }, 5000));
  auto pids = PidsIn(file);
  for (pid_t p : pids) h.KillAtTeardown(p);
  return pids;
}

TEST_CASE("io: kill_mode group: a grandchild ignoring SIGTERM is killed with SIGKILL, "
          "the exit is reported only when the group is empty") {
  Harness h;
  std::string pids = h.dir() + "/gc";
  auto spec = ChildSpec({"--fork-ignore-term", "--fork-pidfile", pids, "--fork", "2"});
  spec->kill_mode = core::KillMode::kGroup;
  auto run = h.Spawn(spec);
  auto gc = GrandChildren(h, pids, 2);
  CHECK(h.pm().EffectiveKillMode(run) == "group");
  h.pm().Signal({run, SIGTERM});
  // The main process dies of SIGTERM, the grandchildren ignore it: no exit yet.
  CHECK(!h.RunUntil([&] { return h.Exited(run).has_value(); }, 300));
  for (pid_t p : gc) CHECK(Running(p));
  h.pm().Signal({run, SIGKILL});
  CHECK(h.WaitExit(run) == ExitStatus::Signaled(SIGTERM));  // the main process's status
  for (pid_t p : gc) CHECK(!Running(p));
}

TEST_CASE("io: kill_mode process signals the main process only") {
  Harness h;
  std::string pids = h.dir() + "/gc";
  auto spec = ChildSpec({"--fork-pidfile", pids, "--fork", "1"});
  spec->kill_mode = core::KillMode::kProcess;
  auto run = h.Spawn(spec);
  auto gc = GrandChildren(h, pids, 1);
  h.pm().Signal({run, SIGTERM});
  CHECK(h.WaitExit(run) == ExitStatus::Signaled(SIGTERM));
  CHECK(Running(gc[0]));  // not in scope; killed (and reaped as an orphan) at teardown
  kill(gc[0], SIGKILL);
  CHECK(h.RunUntil([&] { return OwnChildren().empty(); }, 3000));
  CHECK(h.events().size() == 3);  // the orphan is never reported
}

TEST_CASE("io: kill_mode cgroup kills a grandchild that left the process group") {
  Harness h;
  if (!CgroupAvailable(h)) return;
  std::string pids = h.dir() + "/gc";
  auto spec = ChildSpec({"--fork-setsid-ignore-term", "--fork-pidfile", pids, "--fork", "2"});
  spec->kill_mode = core::KillMode::kCgroup;
  auto run = h.Spawn(spec);
  auto gc = GrandChildren(h, pids, 2);
  CHECK(h.pm().EffectiveKillMode(run) == "cgroup");
  h.pm().Signal({run, SIGTERM});
  CHECK(!h.RunUntil([&] { return h.Exited(run).has_value(); }, 300));
  h.pm().Signal({run, SIGKILL});
  CHECK(h.WaitExit(run) == ExitStatus::Signaled(SIGTERM));
  for (pid_t p : gc) CHECK(!Running(p));
}

TEST_CASE("io: kill_mode auto is cgroup where possible") {
  Harness h;
  auto spec = ChildSpec({});
  spec->kill_mode = core::KillMode::kAuto;
  auto run = h.Spawn(spec);
  core::WorkerSpec probe = *spec;
  probe.kill_mode = core::KillMode::kCgroup;
  CHECK(h.pm().EffectiveKillMode(run) == (h.pm().CheckSpec(probe) ? "group" : "cgroup"));
  h.pm().Signal({run, SIGKILL});
  CHECK(h.WaitExit(run) == ExitStatus::Signaled(SIGKILL));
  CHECK(h.pm().EffectiveKillMode(run) == "");
}

// How soon the exit follows SIGKILL is measured by bench/ (SIGKILL lateness), not here.
TEST_CASE("io: SIGKILL ends a child that ignores SIGTERM") {
  Harness h;
  auto run = h.SpawnReady(NotifyChildSpec({"--ignore-term"}));
  h.pm().Signal({run, SIGTERM});
  CHECK(!h.RunUntil([&] { return h.Exited(run).has_value(); }, 100));
  h.pm().Signal({run, SIGKILL});
  CHECK(h.WaitExit(run) == ExitStatus::Signaled(SIGKILL));
  h.pm().Signal({run, SIGKILL});  // after the exit: a no-op
  CHECK(!h.pm().SignalByOperator(run, SIGTERM));
}

TEST_CASE("io: a stopped (SIGSTOP) child still acts on its stop signal") {
  Harness h;
  auto run = h.SpawnReady(NotifyChildSpec({"--term-exit", "normal"}));
  CHECK(h.pm().SignalByOperator(run, SIGSTOP));
  h.pm().Signal({run, SIGTERM});  // + SIGCONT, so the handler runs
  CHECK(h.WaitExit(run) == ExitStatus::Exited(0));
}

TEST_CASE("io: operator signal reaches the main process and is not a stop") {
  Harness h;
  auto run = h.SpawnReady(NotifyChildSpec({"--log", "/dev/null", "--path", "x"}));
  CHECK(h.pm().SignalByOperator(run, SIGUSR1));  // helper: crash → exit 1
  CHECK(h.WaitExit(run) == ExitStatus::Exited(1));
}

void LeftoversCase(core::KillMode mode) {
  Harness h;
  if (mode == core::KillMode::kCgroup && !CgroupAvailable(h)) return;
  std::string pids = h.dir() + "/gc";
  // The main process exits by itself (code 4) leaving a grandchild that ignores SIGTERM.
  auto spec = ChildSpec({"--fork-setsid-ignore-term", "--fork-pidfile", pids, "--fork", "1",
                         "--exit", "4"});
  if (mode == core::KillMode::kGroup) {
    spec = ChildSpec({"--fork-ignore-term", "--fork-pidfile", pids, "--fork", "1", "--exit",
                      "4"});
  }
  spec->kill_mode = mode;
  h.set_stop_leftovers(false);  // this test is the core: it signals the leftovers itself
  auto run = h.Spawn(spec);
  auto gc = GrandChildren(h, pids, 1);
  // io reports the main process's exit, stops nothing by itself and holds ChildExited.
  REQUIRE(h.RunUntil([&] { return h.Find<core::MainExited>(run) != nullptr; }, 5000));
  CHECK(!h.logs().empty());
  CHECK(!h.Exited(run));
  CHECK(Running(gc[0]));
  h.pm().Signal({run, SIGTERM});  // ignored by the grandchild
  CHECK(!h.RunUntil([&] { return h.Exited(run).has_value(); }, 200));
  CHECK(Running(gc[0]));
  h.pm().Signal({run, SIGKILL});  // what the core sends once `shutdown` expires
  CHECK(h.WaitExit(run) == ExitStatus::Exited(4));
  CHECK(!Running(gc[0]));

  // Leftovers that obey SIGTERM go at once: the exit follows the core's stop signal.
  h.set_stop_leftovers(true);
  auto quick = ChildSpec({"--fork", "3", "--exit", "0"});
  quick->kill_mode = mode;
  auto run2 = h.Spawn(quick);
  CHECK(h.WaitExit(run2, 60000) == ExitStatus::Exited(0));
  CHECK(h.Find<core::MainExited>(run2) != nullptr);
}

TEST_CASE("io: leftovers of a self-exited run are stopped before the exit (group)") {
  LeftoversCase(core::KillMode::kGroup);
}

TEST_CASE("io: leftovers of a self-exited run are stopped before the exit (cgroup)") {
  LeftoversCase(core::KillMode::kCgroup);
}

TEST_CASE("io: a child forking 200 grandchildren and exiting") {
  Harness h;
  auto spec = ChildSpec({"--fork", "200", "--exit", "0"});
  auto run = h.Spawn(spec);
  CHECK(h.WaitExit(run, 10000) == ExitStatus::Exited(0));
  CHECK(h.RunUntil([&] { return OwnChildren().empty(); }, 5000));
}

TEST_CASE("io: orphans are reaped and never reported") {
  Harness h;
  std::string pids = h.dir() + "/gc";
  auto spec = ChildSpec({"--fork-pidfile", pids, "--fork", "5", "--exit", "0"});
  spec->kill_mode = core::KillMode::kProcess;
  auto run = h.Spawn(spec);
  CHECK(h.WaitExit(run) == ExitStatus::Exited(0));
  auto gc = GrandChildren(h, pids, 5);
  for (pid_t p : gc) {
    CHECK(OwnChildren().count(p) == 1);  // adopted: supd is a subreaper
    kill(p, SIGKILL);
  }
  CHECK(h.RunUntil([&] { return OwnChildren().empty(); }, 3000));
  CHECK(h.events().size() == 3);
}

// Exits of known children (reaped through their pidfds) mixed with orphans dying at the
// same moment: SIGCHLDs coalesce, yet every run is reported once with its status and no
// zombie stays. `sigchld_only`: the fallback without pidfd reaping.
void ExitsAndOrphansTogether(bool sigchld_only) {
  if (sigchld_only) setenv("SUPD_REAP_WITH_SIGCHLD", "1", 1);
  Harness h;
  unsetenv("SUPD_REAP_WITH_SIGCHLD");
  std::string pids = h.dir() + "/gc";
  auto parent = ChildSpec({"--fork-pidfile", pids, "--fork", "10", "--exit", "0"});
  parent->kill_mode = core::KillMode::kProcess;
  CHECK(h.WaitExit(h.Spawn(parent)) == ExitStatus::Exited(0));
  auto orphans = GrandChildren(h, pids, 10);
  std::vector<core::RunId> runs;
  for (int i = 0; i < 40; ++i)
    runs.push_back(h.Spawn(ChildSpec({"--sleep-ms", "20", "--exit", std::to_string(i % 5)})));
  for (pid_t p : orphans) kill(p, SIGKILL);
  for (int i = 0; i < 40; ++i) CHECK(h.WaitExit(runs[i]) == ExitStatus::Exited(i % 5));
  CHECK(h.RunUntil([&] { return OwnChildren().empty(); }, 5000));
  std::size_t exited = 0;
  for (const auto& e : h.events()) exited += std::holds_alternative<core::ChildExited>(e);
  CHECK(exited == 41);
}

TEST_CASE("io: known exits and orphans together, reaped through pidfds") {
  ExitsAndOrphansTogether(false);
}

TEST_CASE("io: known exits and orphans together, reaped on SIGCHLD alone") {
  ExitsAndOrphansTogether(true);
}

}  // namespace
}  // namespace supd::io::test
