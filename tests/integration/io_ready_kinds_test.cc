// Process layer: `ready: "sd_notify"` and `ready: {command, interval}` probes, with real
// children; plus the rules of notify_fd that need /proc.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "tests/integration/io_harness.h"

namespace supd::io::test {
namespace {

std::shared_ptr<core::WorkerSpec> SdSpec(std::vector<std::string> args) {
  auto spec = ChildSpec(std::move(args));
  spec->ready.kind = core::ReadySpec::Kind::kSdNotify;
  return spec;
}

std::shared_ptr<core::WorkerSpec> ShellSpec(const std::string& script) {
  auto spec = ChildSpec({});
  spec->command = {"/bin/sh", "-c", script};
  return spec;
}

std::shared_ptr<core::WorkerSpec> ProbeSpec(std::vector<std::string> args,
                                            const std::string& probe, core::Millis interval) {
  auto spec = ChildSpec(std::move(args));
  spec->ready.kind = core::ReadySpec::Kind::kCommand;
  spec->ready.command = {"/bin/sh", "-c", probe};
  spec->ready.interval = interval;
  return spec;
}

template <typename E>
int Count(Harness& h, core::RunId id) {
  int n = 0;
  for (const auto& e : h.events()) {
    if (auto* p = std::get_if<E>(&e); p && p->run == id) ++n;
  }
  return n;
}

std::vector<std::string> StatusTexts(Harness& h, core::RunId id) {
  std::vector<std::string> out;
  for (const auto& e : h.events()) {
    if (auto* p = std::get_if<core::ChildStatusText>(&e); p && p->run == id) {
      out.push_back(p->text);
    }
  }
  return out;
}

std::string Link(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n < 0 ? "" : std::string(buf, static_cast<std::size_t>(n));
}

bool OwnFdLinksTo(const std::string& target) {
  bool found = false;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.' && Link(std::string("/proc/self/fd/") + e->d_name) == target) {
        found = true;
      }
    }
    closedir(d);
  }
  return found;
}

// ---- notify_fd -------------------------------------------------------------------------

TEST_CASE("io: notify_fd: supd closes its end after the newline") {
  Harness h;
  auto spec = ChildSpec({"--notify-fd", "3", "--sleep-ms", "300", "--notify-now"});
  spec->ready.kind = core::ReadySpec::Kind::kNotifyFd;
  spec->ready.notify_fd = 3;
  auto run = h.Spawn(spec);
  std::string pipe = Link("/proc/" + std::to_string(h.Pid(run)) + "/fd/3");
  REQUIRE(pipe.rfind("pipe:", 0) == 0);
  CHECK(OwnFdLinksTo(pipe));  // the read end, while waiting
  CHECK(!h.Ready(run));
  REQUIRE(h.RunUntil([&] { return h.Ready(run); }, 3000));
  CHECK(!OwnFdLinksTo(pipe));
  CHECK(Count<core::ChildReady>(h, run) == 1);
}

TEST_CASE("io: notify_fd: bytes without a newline, then the fd held open: not ready") {
  Harness h;
  auto spec = ShellSpec("printf 'READY=1' >&5; exec sleep 100");
  spec->ready.kind = core::ReadySpec::Kind::kNotifyFd;
  spec->ready.notify_fd = 5;
  auto run = h.Spawn(spec);
  CHECK(!h.RunUntil([&] { return h.Ready(run); }, 300));
  CHECK(h.pm().LiveRuns() == 1);
}

TEST_CASE("io: notify_fd: exits before the newline: never ready") {
  Harness h;
  auto spec = ChildSpec({"--notify-fd", "3", "--notify-hold", "--sleep-ms", "50", "--exit", "2"});
  spec->ready.kind = core::ReadySpec::Kind::kNotifyFd;
  spec->ready.notify_fd = 3;
  auto run = h.Spawn(spec);
  CHECK(h.WaitExit(run) == core::ExitStatus::Exited(2));
  CHECK(!h.Ready(run));
}

TEST_CASE("io: notify_fd from a shell: echo >&3") {
  Harness h;
  auto spec = ShellSpec("echo >&3; exec sleep 100");
  spec->ready.kind = core::ReadySpec::Kind::kNotifyFd;
  spec->ready.notify_fd = 3;
  auto run = h.Spawn(spec);
  CHECK(h.RunUntil([&] { return h.Ready(run); }, 3000));
}

// ---- sd_notify -------------------------------------------------------------------------

TEST_CASE("io: sd_notify: READY=1 and STATUS= over NOTIFY_SOCKET") {
  Harness h;
  auto run = h.Spawn(SdSpec({"--sleep-ms", "100", "--sd-notify", "STATUS=loading",
                             "--sleep-ms", "100", "--sd-notify", "READY=1\\nSTATUS=serving"}));
  CHECK(!h.Ready(run));
  REQUIRE(h.RunUntil([&] { return h.Ready(run); }, 3000));
  CHECK(h.RunUntil([&] { return StatusTexts(h, run).size() == 2; }, 1000));
  CHECK(StatusTexts(h, run) == std::vector<std::string>{"loading", "serving"});
  CHECK(Count<core::ChildReady>(h, run) == 1);
}

TEST_CASE("io: sd_notify: never ready, exits before ready, READY=1 right before exit") {
  Harness h;
  auto never = h.Spawn(SdSpec({"--sd-notify", "STATUS=waiting", "--sd-notify", "STOPPING=1"}));
  auto quits = h.Spawn(SdSpec({"--sleep-ms", "50", "--exit", "3"}));
  auto last = h.Spawn(SdSpec({"--sd-notify", "READY=1", "--exit", "0"}));
  CHECK(h.WaitExit(quits) == core::ExitStatus::Exited(3));
  CHECK(!h.Ready(quits));
  CHECK(h.WaitExit(last) == core::ExitStatus::Exited(0));
  CHECK(h.Ready(last));
  CHECK(!h.RunUntil([&] { return h.Ready(never); }, 300));
  CHECK(StatusTexts(h, never) == std::vector<std::string>{"waiting"});
}

TEST_CASE("io: sd_notify: the child's env, no socket fd leaks into any child") {
  Harness h;
  setenv("NOTIFY_SOCKET", "/run/systemd/notify-of-supd", 1);
  auto sd = SdSpec({"--print-info", "--list-fds"});
  sd->watchdog = 300;
  sd->stdout_spec.kind = core::OutputSpec::Kind::kFile;
  sd->stdout_spec.file = h.dir() + "/sd.out";
  auto plain = ChildSpec({"--print-info", "--list-fds"});
  plain->stdout_spec = sd->stdout_spec;
  plain->stdout_spec.file = h.dir() + "/plain.out";
  auto a = h.Spawn(sd);
  auto b = h.Spawn(plain);
  unsetenv("NOTIFY_SOCKET");
  REQUIRE(h.RunUntil([&] {
    return ReadFile(h.dir() + "/sd.out").find("\n2\n") != std::string::npos &&
           ReadFile(h.dir() + "/plain.out").find("\n2\n") != std::string::npos;
  }, 3000));
  std::string out = ReadFile(h.dir() + "/sd.out");
  CHECK(out.find("env NOTIFY_SOCKET=@supd/") != std::string::npos);
  CHECK(out.find("env WATCHDOG_USEC=300000\n") != std::string::npos);
  auto fds = [](const std::string& text) {
    std::vector<std::string> v;
    for (const auto& l : Lines(text)) {
      if (!l.empty() && std::isdigit(static_cast<unsigned char>(l[0]))) v.push_back(l);
    }
    return v;
  };
  CHECK(fds(out) == std::vector<std::string>{"0", "1", "2"});
  std::string plain_out = ReadFile(h.dir() + "/plain.out");
  CHECK(plain_out.find("NOTIFY_SOCKET") == std::string::npos);  // supd's is not the child's
  CHECK(fds(plain_out) == std::vector<std::string>{"0", "1", "2"});
  (void)a;
  (void)b;
}

TEST_CASE("io: sd_notify: a real client: systemd-notify --ready, python3") {
  if (access("/usr/bin/systemd-notify", X_OK) != 0) {
    SUPD_SKIP("systemd-notify not installed (Debian package systemd)");
  }
  Harness h;
  auto tool = h.Spawn(
      [] {
        auto s = ShellSpec("systemd-notify --ready --status='up from shell'; exec sleep 100");
        s->ready.kind = core::ReadySpec::Kind::kSdNotify;
        return s;
      }());
  auto py = h.Spawn([] {
    auto s = ShellSpec(
        "exec python3 -c 'import os,socket,time\n"
        "s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
        "a=os.environ[\"NOTIFY_SOCKET\"]\n"
        "s.sendto(b\"READY=1\", \"\\0\"+a[1:] if a[0]==\"@\" else a)\n"
        "time.sleep(100)'");
    s->ready.kind = core::ReadySpec::Kind::kSdNotify;
    return s;
  }());
  CHECK(h.RunUntil([&] { return h.Ready(tool) && h.Ready(py); }, 5000));
  CHECK(h.RunUntil([&] { return !StatusTexts(h, tool).empty(); }, 1000));
  CHECK(StatusTexts(h, tool) == std::vector<std::string>{"up from shell"});
  CHECK(!h.Exited(tool));
}

TEST_CASE("io: sd_notify: watchdog messages are passed on, the deadline is the core's") {
  Harness h;
  auto spec = SdSpec({"--sd-notify", "READY=1", "--sd-notify", "WATCHDOG_USEC=500000",
                      "--sd-ping", "50", "4"});
  spec->watchdog = 100;
  auto run = h.Spawn(spec);
  REQUIRE(h.RunUntil([&] { return Count<core::WatchdogPing>(h, run) >= 5; }, 5000));
  const auto* usec = h.Find<core::WatchdogPing>(run);
  REQUIRE(usec != nullptr);
  CHECK(usec->interval == 500);  // WATCHDOG_USEC= comes first, the pings carry no interval
  int with_interval = 0;
  for (const auto& e : h.events()) {
    if (auto* p = std::get_if<core::WatchdogPing>(&e); p && p->run == run && p->interval)
      ++with_interval;
  }
  CHECK(with_interval == 1);
  // Silence long past the watchdog: io reports no expiry of its own (the core's timer).
  CHECK(!h.RunUntil([&] { return Count<core::WatchdogExpired>(h, run) > 0; }, 400));
  CHECK(!h.Exited(run));

  auto trigger = SdSpec({"--sd-notify", "READY=1", "--sleep-ms", "50",
                         "--sd-notify", "WATCHDOG=trigger"});
  trigger->watchdog = 60000;
  auto run2 = h.Spawn(trigger);
  CHECK(h.RunUntil([&] { return Count<core::WatchdogExpired>(h, run2) > 0; }, 3000));
  CHECK(!h.Exited(run2));  // io only reports: killing is the core's decision
}

// ---- command probes --------------------------------------------------------------------

TEST_CASE("io: probe: ready once it exits 0, worker's env and cwd, never reported") {
  Harness h;
  std::string flag = h.dir() + "/flag", log = h.dir() + "/probes";
  auto spec = ProbeSpec({"--sleep-ms", "1000", "--write-pidfile", flag},
                        "echo \"$$ $FOO $(pwd)\" >> " + log + "; test -e " + flag, 50);
  spec->env = {{"FOO", "bar"}};
  spec->cwd = "/tmp";
  auto run = h.Spawn(spec);
  CHECK(!h.Ready(run));
  REQUIRE(h.RunUntil([&] { return h.Ready(run); }, 5000));
  auto lines = Lines(ReadFile(log));
  CHECK(lines.size() >= 2);  // at least one failed probe (flag not there yet), then success
  for (const auto& l : lines) CHECK(l.substr(l.find(' ')) == " bar /tmp");
  // Only the run itself was ever reported, and it is still the only live run.
  int spawned = 0;
  for (const auto& e : h.events()) spawned += std::holds_alternative<core::ChildSpawned>(e);
  CHECK(spawned == 1);
  CHECK(Count<core::ChildExited>(h, run) == 0);
  CHECK(h.pm().LiveRuns() == 1);
  // No more probes after ready.
  std::size_t n = Lines(ReadFile(log)).size();
  CHECK(!h.RunUntil([&] { return Lines(ReadFile(log)).size() > n; }, 200));
}

TEST_CASE("io: probe: never ready, the worker exits before ready") {
  Harness h;
  auto never = h.Spawn(ProbeSpec({}, "exit 1", 30));
  auto quits = h.Spawn(ProbeSpec({"--sleep-ms", "100", "--exit", "4"}, "exit 1", 30));
  CHECK(h.WaitExit(quits) == core::ExitStatus::Exited(4));
  CHECK(!h.Ready(quits));
  CHECK(!h.RunUntil([&] { return h.Ready(never); }, 300));
  CHECK(h.pm().LiveRuns() == 1);
}

TEST_CASE("io: probe: a hanging probe is killed at interval, probes never overlap") {
  Harness h;
  std::string log = h.dir() + "/probes";
  // Each probe logs its start (pid, ns) and the number of probes alive; the first two
  // hang (a shell with a child in its group), the third succeeds.
  // The timestamp is taken first: whatever the shell does before it is measurement noise.
  std::string probe =
      "t=$(date +%s%N); n=$(cat " + log + " 2>/dev/null | wc -l); echo \"$$ $t\" >> " + log +
      "; [ $n -ge 2 ] && exit 0; sleep 100; exit 0";
  long long t0 = NowMs();
  auto run = h.Spawn(ProbeSpec({}, probe, 200));
  REQUIRE(h.RunUntil([&] { return h.Ready(run); }, 5000));
  long long took = NowMs() - t0;
  CHECK(took >= 2 * 200 - 10);
  auto lines = Lines(ReadFile(log));
  REQUIRE(lines.size() == 3);
  std::vector<pid_t> pids;
  std::vector<long long> starts;
  for (const auto& l : lines) {
    pids.push_back(static_cast<pid_t>(std::stol(l)));
    starts.push_back(std::stoll(l.substr(l.find(' ') + 1)) / 1000000);
  }
  for (std::size_t i = 1; i < starts.size(); ++i) {
    // Killed at interval, not at once. The start times are read by each probe's shell after
    // its own start-up, which a loaded machine delays by tens of ms: hence the margin.
    CHECK(starts[i] - starts[i - 1] >= 200 / 2);
  }
  // The hung probes and their `sleep` are gone.
  CHECK(h.RunUntil([&] { return !Running(pids[0]) && !Running(pids[1]); }, 2000));
  CHECK(h.pm().LiveRuns() == 1);
}

TEST_CASE("io: probe: a running probe is killed when the run is stopped or exits") {
  Harness h;
  std::string pidfile = h.dir() + "/probe.pid";
  auto run = h.Spawn(ProbeSpec({}, "echo $$ > " + pidfile + "; exec sleep 100", 60000));
  REQUIRE(h.RunUntil([&] { return !ReadFile(pidfile).empty(); }, 3000));
  pid_t probe = PidsIn(pidfile).at(0);
  CHECK(Running(probe));
  h.pm().Signal({run, SIGTERM});
  CHECK(h.WaitExit(run) == core::ExitStatus::Signaled(SIGTERM));
  CHECK(h.RunUntil([&] { return !Running(probe); }, 2000));
  CHECK(!h.Ready(run));

  std::string pidfile2 = h.dir() + "/probe2.pid";
  auto run2 = h.Spawn(
      ProbeSpec({"--sleep-ms", "300", "--exit", "0"},
                "echo $$ > " + pidfile2 + "; exec sleep 100", 60000));
  REQUIRE(h.RunUntil([&] { return !ReadFile(pidfile2).empty(); }, 3000));
  pid_t probe2 = PidsIn(pidfile2).at(0);
  CHECK(h.WaitExit(run2) == core::ExitStatus::Exited(0));
  CHECK(h.RunUntil([&] { return !Running(probe2); }, 2000));
}

TEST_CASE("io: probe: a probe that cannot be executed is logged once, not ready") {
  Harness h;
  auto spec = ProbeSpec({}, "", 30);
  spec->ready.command = {"/nonexistent/probe"};
  auto run = h.Spawn(spec);
  CHECK(!h.RunUntil([&] { return h.Ready(run); }, 200));
  int logged = 0;
  for (const auto& l : h.logs()) logged += l.find("readiness probe") != std::string::npos;
  CHECK(logged == 1);
}

TEST_CASE("io: CheckSpec accepts every ready kind") {
  Harness h;
  CHECK(!h.pm().CheckSpec(*SdSpec({})));
  CHECK(!h.pm().CheckSpec(*ProbeSpec({}, "true", 100)));
  auto empty = ProbeSpec({}, "true", 100);
  empty->ready.command.clear();
  CHECK(h.pm().CheckSpec(*empty));
}

}  // namespace
}  // namespace supd::io::test
