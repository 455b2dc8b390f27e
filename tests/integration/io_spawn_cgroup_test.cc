// Spawning into a cgroup: clone3(CLONE_INTO_CGROUP), and the cgroup.procs write of kernels
// without it. Either way the child runs in its run's cgroup before its first instruction.
#include <sys/stat.h>

#include "tests/integration/io_harness.h"

#include "daemon/io/process/cgroup.h"
#include "daemon/io/process/spawner.h"

namespace supd::io::test {
namespace {

using core::ExitStatus;

// Resets the forced fallback even when a REQUIRE throws.
struct LegacyClone {
  explicit LegacyClone(bool on) { Spawner::ForceLegacyCloneForTesting(on); }
  ~LegacyClone() { Spawner::ForceLegacyCloneForTesting(false); }
};

// `cat /proc/self/cgroup` in cgroup mode, its stdout to the file `out`.
std::shared_ptr<core::WorkerSpec> CatCgroup(const std::string& out) {
  auto spec = ChildSpec({});
  spec->command = {"/bin/cat", "/proc/self/cgroup"};
  spec->kill_mode = core::KillMode::kCgroup;
  spec->stdout_spec.kind = core::OutputSpec::Kind::kFile;
  spec->stdout_spec.file = out;
  return spec;
}

// Runs `cat /proc/self/cgroup` in cgroup mode; checks that it ran in its run's cgroup
// (".../supd-<our pid>-<ns>/test.child<run>-<run>"), not in ours.
void ChildSeesItsCgroup() {
  Harness h;
  if (!CgroupAvailable(h)) return;
  std::string out = h.dir() + "/cgroup.out";
  auto spec = CatCgroup(out);
  auto run = h.Spawn(spec);
  REQUIRE(h.Pid(run) > 0);
  CHECK(h.pm().EffectiveKillMode(run) == "cgroup");
  CHECK(h.WaitExit(run) == ExitStatus::Exited(0));
  std::string line;
  for (const auto& l : Lines(ReadFile(out))) {
    if (l.rfind("0::", 0) == 0) line = l;
  }
  INFO("child's /proc/self/cgroup: " << ReadFile(out));
  REQUIRE(!line.empty());
  std::string leaf = "/test.child" + std::to_string(run) + "-" + std::to_string(run);
  CHECK(line.find("/supd-" + std::to_string(getpid()) + "-") != std::string::npos);
  REQUIRE(line.size() > leaf.size());
  CHECK(line.compare(line.size() - leaf.size(), leaf.size(), leaf) == 0);
}

// The cgroup line ("0::/...") a `cat /proc/self/cgroup` child wrote to `out`.
std::string CgroupLine(const std::string& out) {
  for (const auto& l : Lines(ReadFile(out))) {
    if (l.rfind("0::", 0) == 0) return l.substr(3);
  }
  return "";
}

TEST_CASE("io: a child's restarts reuse its cgroup, closing removes it") {
  std::string dir;
  {
    Harness h;
    if (!CgroupAvailable(h)) return;
    auto spec = CatCgroup("");  // each run's file set below
    std::vector<std::string> seen;
    for (int i = 0; i < 3; ++i) {
      spec->stdout_spec.file = h.dir() + "/cg" + std::to_string(i);
      auto run = h.Spawn(spec, "test/same");
      CHECK(h.WaitExit(run) == ExitStatus::Exited(0));
      seen.push_back(CgroupLine(spec->stdout_spec.file));
    }
    spec->stdout_spec.file = h.dir() + "/other";
    CHECK(h.WaitExit(h.Spawn(spec, "test/other")) == ExitStatus::Exited(0));
    REQUIRE(!seen[0].empty());
    CHECK(seen[1] == seen[0]);
    CHECK(seen[2] == seen[0]);
    CHECK(CgroupLine(spec->stdout_spec.file) != seen[0]);  // another child, another cgroup
    dir = FindCgroup2Mount() + seen[0];
    struct stat st;
    CHECK(stat(dir.c_str(), &st) == 0);  // kept, empty, for the next run

    // A run ended by SIGKILL (cgroup.kill): the next one still runs, in a fresh cgroup.
    auto sleeper = ChildSpec({});
    sleeper->kill_mode = core::KillMode::kCgroup;
    auto killed = h.Spawn(sleeper, "test/killed");
    REQUIRE(h.Pid(killed) > 0);
    h.pm().Signal({killed, SIGKILL});
    CHECK(h.WaitExit(killed) == ExitStatus::Signaled(SIGKILL));
    spec->stdout_spec.file = h.dir() + "/after-kill";
    CHECK(h.WaitExit(h.Spawn(spec, "test/killed")) == ExitStatus::Exited(0));
    CHECK(!CgroupLine(spec->stdout_spec.file).empty());
  }
  struct stat st;
  CHECK(stat(dir.c_str(), &st) != 0);  // the manager closed: gone
}

// A child's empty cgroup is kept for its next run; removed from outside meanwhile (an
// operator, another tool), the next run still starts, in a fresh one.
TEST_CASE("io: a kept cgroup removed from outside: the next run gets a fresh one") {
  Harness h;
  if (!CgroupAvailable(h)) return;
  auto spec = CatCgroup(h.dir() + "/first");
  CHECK(h.WaitExit(h.Spawn(spec, "test/gone")) == ExitStatus::Exited(0));
  const std::string first = CgroupLine(spec->stdout_spec.file);
  REQUIRE(!first.empty());
  const std::string dir = FindCgroup2Mount() + first;
  REQUIRE(rmdir(dir.c_str()) == 0);  // empty: its only process exited

  spec->stdout_spec.file = h.dir() + "/second";
  auto run = h.Spawn(spec, "test/gone");
  REQUIRE(h.Pid(run) > 0);
  CHECK(h.pm().EffectiveKillMode(run) == "cgroup");
  CHECK(h.WaitExit(run) == ExitStatus::Exited(0));
  const std::string second = CgroupLine(spec->stdout_spec.file);
  CHECK(!second.empty());
  CHECK(second != first);
}

TEST_CASE("io: a cgroup-mode child is spawned straight into its cgroup (clone3)") {
  ChildSeesItsCgroup();
  CHECK(Spawner::UsesClone3IntoCgroup());  // kernel >= 5.7 here: no fallback was needed
}

TEST_CASE("io: a cgroup-mode child joins its cgroup before exec on the fallback path") {
  LegacyClone legacy(true);
  CHECK(!Spawner::UsesClone3IntoCgroup());
  ChildSeesItsCgroup();
}

// A failure in the child is still reported through the shared memory on both paths.
void ExecFailureReported() {
  Harness h;
  if (!CgroupAvailable(h)) return;
  auto spec = ChildSpec({});
  spec->command = {"/nonexistent/supd-no-such-program"};
  spec->kill_mode = core::KillMode::kCgroup;
  auto run = h.Spawn(spec);
  REQUIRE(h.Failed(run));
  CHECK(h.Failed(run)->find("exec failed") != std::string::npos);
  CHECK(h.Failed(run)->find("/nonexistent/supd-no-such-program") != std::string::npos);
}

TEST_CASE("io: exec failure of a cgroup-mode child is reported (clone3 and fallback)") {
  ExecFailureReported();
  LegacyClone legacy(true);
  ExecFailureReported();
}

}  // namespace
}  // namespace supd::io::test
