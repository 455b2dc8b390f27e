// Process layer: spawning, exit statuses, spawn failures, the child's environment.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>

#include "daemon/io/process/spawner.h"
#include "tests/integration/io_harness.h"

namespace supd::io::test {
namespace {

using core::ExitStatus;

std::string InfoValue(const std::string& text, const std::string& key) {
  for (const auto& l : Lines(text)) {
    if (l.rfind(key + "=", 0) == 0) return l.substr(key.size() + 1);
  }
  return "<missing>";
}

std::shared_ptr<core::WorkerSpec> ToFile(std::shared_ptr<core::WorkerSpec> spec,
                                         const std::string& file) {
  spec->stdout_spec.kind = core::OutputSpec::Kind::kFile;
  spec->stdout_spec.file = file;
  return spec;
}

TEST_CASE("io: spawn reports spawned, ready (exec) and the exit code") {
  Harness h;
  auto run = h.Spawn(ChildSpec({"--exit", "3"}));
  REQUIRE(h.Pid(run) > 0);
  CHECK(h.Ready(run));  // ready: exec, synchronously after ChildSpawned
  CHECK(h.pm().LiveRuns() == 1);
  CHECK(h.WaitExit(run) == ExitStatus::Exited(3));
  CHECK(h.pm().LiveRuns() == 0);
  // Order: spawned, ready, exited.
  REQUIRE(h.events().size() == 3);
  CHECK(std::holds_alternative<core::ChildSpawned>(h.events()[0]));
  CHECK(std::holds_alternative<core::ChildReady>(h.events()[1]));
  CHECK(std::holds_alternative<core::ChildExited>(h.events()[2]));
}

TEST_CASE("io: death by a signal is reported as signaled") {
  Harness h;
  auto run = h.Spawn(ChildSpec({"--signal-self", "10"}));
  CHECK(h.WaitExit(run) == ExitStatus::Signaled(10));
  auto run2 = h.Spawn(ChildSpec({}));
  h.pm().Signal({run2, SIGTERM});
  CHECK(h.WaitExit(run2) == ExitStatus::Signaled(SIGTERM));
}

TEST_CASE("io: exec failure is a SpawnFailed with stage, path and errno") {
  Harness h;
  auto spec = ChildSpec({});
  spec->command = {"/usr/bin/nope"};
  auto run = h.Spawn(spec);
  REQUIRE(h.Failed(run));
  CHECK(*h.Failed(run) == "exec failed: /usr/bin/nope: No such file or directory (ENOENT)");
  CHECK(*h.FailedError(run) == "exec: /usr/bin/nope: ENOENT");
  CHECK(h.Pid(run) == -1);

  spec = ChildSpec({});
  spec->command = {"supd-no-such-program"};
  run = h.Spawn(spec);
  REQUIRE(h.Failed(run));
  CHECK(*h.Failed(run) ==
        "exec failed: supd-no-such-program: No such file or directory (ENOENT)");

  spec = ChildSpec({});
  spec->command = {"/etc/passwd"};  // not executable
  run = h.Spawn(spec);
  REQUIRE(h.Failed(run));
  CHECK(*h.Failed(run) == "exec failed: /etc/passwd: Permission denied (EACCES)");
  CHECK(*h.FailedError(run) == "exec: /etc/passwd: EACCES");
  CHECK(h.pm().LiveRuns() == 0);
  CHECK(OwnChildren().empty());  // failed children are reaped at once
}

TEST_CASE("io: a failed chdir names the step and the directory") {
  Harness h;
  auto spec = ChildSpec({});
  spec->cwd = "/nonexistent-supd-dir";
  auto run = h.Spawn(spec);
  REQUIRE(h.Failed(run));
  CHECK(*h.FailedError(run) == "chdir: /nonexistent-supd-dir: ENOENT");
  CHECK(OwnChildren().empty());
}

TEST_CASE("io: SpawnErrorSummary keeps the step, the subject and the errno name") {
  CHECK(SpawnErrorSummary("exec failed: /x: No such file or directory (ENOENT)") ==
        "exec: /x: ENOENT");
  CHECK(SpawnErrorSummary("fork failed: Resource temporarily unavailable (EAGAIN)") ==
        "fork: EAGAIN");
  CHECK(SpawnErrorSummary("spawn failed: open cgroup.procs: No such file or directory (ENOENT)")
        == "spawn: open cgroup.procs: ENOENT");
  CHECK(SpawnErrorSummary("spawn failed: empty command") == "spawn: empty command");
  CHECK(SpawnErrorSummary("ready: notify_fd must be 3 or more") ==
        "ready: notify_fd must be 3 or more");
  CHECK(SpawnErrorSummary("x failed: (E") == "x: (E");
  CHECK(SpawnErrorSummary("") == "");
}

TEST_CASE("io: argv[0] is searched in PATH") {
  Harness h;
  auto spec = ChildSpec({});
  spec->command = {"sh", "-c", "exit 7"};
  CHECK(h.WaitExit(h.Spawn(spec)) == ExitStatus::Exited(7));
}

TEST_CASE("io: chdir failure names the directory") {
  Harness h;
  auto spec = ChildSpec({"--exit", "0"});
  spec->cwd = "/nonexistent";
  auto run = h.Spawn(spec);
  REQUIRE(h.Failed(run));
  CHECK(*h.Failed(run) == "chdir failed: /nonexistent: No such file or directory (ENOENT)");
}

TEST_CASE("io: cwd, umask, rlimits, env, signal dispositions reach the child") {
  Harness h;
  setenv("SUPD_IO_INHERITED", "yes", 1);
  signal(SIGPIPE, SIG_IGN);  // as supd does: the child must not inherit it
  auto spec = ToFile(ChildSpec({"--print-info", "--exit", "0"}), "info.txt");
  spec->cwd = "/tmp";
  spec->umask = 027;
  spec->rlimits[core::Rlimit::kNofile] = 321;
  spec->rlimits[core::Rlimit::kAs] = std::nullopt;  // unlimited (not core: ASan sets it)
  spec->env = {{"FOO", "bar"}, {"SUPD_IO_INHERITED", "overridden"}};
  CHECK(h.WaitExit(h.Spawn(spec)) == ExitStatus::Exited(0));
  std::string info = ReadFile(h.dir() + "/info.txt");
  CHECK(InfoValue(info, "cwd") == "/tmp");
  CHECK(InfoValue(info, "umask") == "0027");
  CHECK(InfoValue(info, "nofile") == "321/321");
  CHECK(InfoValue(info, "as") == "unlimited/unlimited");
  CHECK(InfoValue(info, "sigmask") == "0");
  CHECK(InfoValue(info, "sigign") == "0");
  CHECK(info.find("env FOO=bar\n") != std::string::npos);
  CHECK(info.find("env SUPD_IO_INHERITED=overridden\n") != std::string::npos);
  CHECK(info.find("env PATH=") != std::string::npos);

  auto clear = ToFile(ChildSpec({"--print-info", "--exit", "0"}), "clear.txt");
  clear->env_clear = true;
  clear->env = {{"ONLY", "this"}};
  CHECK(h.WaitExit(h.Spawn(clear)) == ExitStatus::Exited(0));
  std::string cinfo = ReadFile(h.dir() + "/clear.txt");
  std::vector<std::string> env_lines;
  for (const auto& l : Lines(cinfo)) {
    if (l.rfind("env ", 0) == 0) env_lines.push_back(l);
  }
  CHECK(env_lines == std::vector<std::string>{"env ONLY=this"});
  signal(SIGPIPE, SIG_DFL);
  unsetenv("SUPD_IO_INHERITED");
}

TEST_CASE("io: supd raises its own NOFILE soft limit, children keep the one it started with") {
  rlimit saved;
  REQUIRE(getrlimit(RLIMIT_NOFILE, &saved) == 0);
  if (saved.rlim_max < 64) SUPD_SKIP("RLIMIT_NOFILE hard limit too low to lower the soft one");
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_max - 1, 1000);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
  {
    Harness h;
    rlimit now;
    REQUIRE(getrlimit(RLIMIT_NOFILE, &now) == 0);
    CHECK(now.rlim_cur == saved.rlim_max);
    int raised_lines = 0;
    for (const auto& l : h.logs()) raised_lines += l.find("RLIMIT_NOFILE") != std::string::npos;
    CHECK(raised_lines == 1);
    auto spec = ToFile(ChildSpec({"--print-info", "--exit", "0"}), "limits.txt");
    CHECK(h.WaitExit(h.Spawn(spec)) == ExitStatus::Exited(0));
    std::string info = ReadFile(h.dir() + "/limits.txt");
    CHECK(InfoValue(info, "nofile") ==
          std::to_string(low.rlim_cur) + "/" + std::to_string(saved.rlim_max));
  }
  setrlimit(RLIMIT_NOFILE, &saved);
}

TEST_CASE("io: user switch to nobody") {
  if (geteuid() != 0) SUPD_SKIP("needs root to switch users");
  Harness h;
  auto spec = ToFile(ChildSpec({"--print-info", "--exit", "0"}), "nobody.txt");
  spec->user = "nobody";
  spec->uid = 65534;
  CHECK(h.WaitExit(h.Spawn(spec)) == ExitStatus::Exited(0));
  std::string info = ReadFile(h.dir() + "/nobody.txt");
  CHECK(InfoValue(info, "uid") == "65534");
  CHECK(InfoValue(info, "gid") == "65534");
  CHECK(InfoValue(info, "groups") == "65534");
}

TEST_CASE("io: the child sees only 0, 1, 2 and its notify fd") {
  Harness h;
  std::vector<int> opened;
  for (int i = 0; i < 40; ++i) opened.push_back(open("/dev/null", O_RDONLY));  // no CLOEXEC
  opened.push_back(dup2(opened[0], 200));
  auto spec = ToFile(ChildSpec({"--list-fds", "--exit", "0"}), "fds.txt");
  CHECK(h.WaitExit(h.Spawn(spec)) == ExitStatus::Exited(0));
  CHECK(Lines(ReadFile(h.dir() + "/fds.txt")) == std::vector<std::string>{"0", "1", "2"});

  auto notify = ToFile(ChildSpec({"--notify-fd", "7", "--notify-hold", "--list-fds", "--exit",
                                  "0"}),
                       "fds2.txt");
  notify->ready.kind = core::ReadySpec::Kind::kNotifyFd;
  notify->ready.notify_fd = 7;
  CHECK(h.WaitExit(h.Spawn(notify)) == ExitStatus::Exited(0));
  CHECK(Lines(ReadFile(h.dir() + "/fds2.txt")) ==
        std::vector<std::string>{"0", "1", "2", "7"});
  for (int fd : opened) close(fd);
}

TEST_CASE("io: stdout null and file (appending), a child closing its stdout") {
  Harness h;
  auto spec = ToFile(ChildSpec({"--print-lines", "2", "--exit", "0"}), "out.txt");
  CHECK(h.WaitExit(h.Spawn(spec)) == ExitStatus::Exited(0));
  CHECK(h.WaitExit(h.Spawn(spec)) == ExitStatus::Exited(0));
  CHECK(Lines(ReadFile(h.dir() + "/out.txt")).size() == 4);
  auto null = ChildSpec({"--print-lines", "2", "--close-stdout", "--sleep-ms", "20", "--exit",
                         "5"});
  null->stdout_spec.kind = core::OutputSpec::Kind::kNull;
  CHECK(h.WaitExit(h.Spawn(null)) == ExitStatus::Exited(5));
}

TEST_CASE("io: CheckSpec refuses what cannot be honoured") {
  Harness h;
  core::WorkerSpec spec = *ChildSpec({});
  CHECK(!h.pm().CheckSpec(spec));
  spec.ready.kind = core::ReadySpec::Kind::kSdNotify;  // supported since issue 6
  CHECK(!h.pm().CheckSpec(spec));
  spec.ready.kind = core::ReadySpec::Kind::kNotifyFd;
  spec.ready.notify_fd = 1;
  CHECK(h.pm().CheckSpec(spec));
  auto bad = std::make_shared<core::WorkerSpec>(spec);
  auto run = h.Spawn(bad);
  CHECK(h.Failed(run));
}

}  // namespace
}  // namespace supd::io::test
