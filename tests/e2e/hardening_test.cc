// Hardening, as an operator sees it: spawn errors named in status and events; a shutdown
// that abandons a start waiting for readiness; a second SIGTERM that SIGKILLs what is left.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/e2e/harness.h"

namespace supd::e2e {
namespace {

using nlohmann::json;

/// supd on a config with the given root children (socket and state dir in a temp dir).
struct Daemon {
  explicit Daemon(json children, int intensity = 1) {
    sock = dir.File("supd.sock");
    json config = {{"daemon", {{"socket", sock}, {"state_dir", dir.File("state")}}},
                   {"intensity", intensity},
                   {"children", std::move(children)}};
    WriteFile(dir.File("supd.json"), config.dump(2));
    supd = std::make_unique<SupdProcess>(dir.File("supd.json"), sock, dir.File("supd.err"));
  }
  CommandResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {SUPCTL_BIN, "--socket", sock});
    return Run(args);
  }
  json Status(const std::string& path) {
    Client c(sock);
    auto r = c.Call({{"cmd", "status"}, {"path", path}});
    return r && r->contains("node") ? (*r)["node"] : json();
  }
  /// The pid of a worker once its state is `state`, or 0.
  int PidWhen(const std::string& path, const std::string& state) {
    int pid = 0;
    WaitFor([&] {
      json n = Status(path);
      if (!n.is_object() || n.value("state", "") != state || !n.contains("pid")) return false;
      pid = n["pid"].get<int>();
      return true;
    }, milliseconds(20000));
    return pid;
  }

  TempDir dir;
  std::string sock;
  std::unique_ptr<SupdProcess> supd;
};

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("exec errors: status, --json and the exited event name the failed step") {
  Daemon d(json::array({
      {{"id", "bad"}, {"command", {"/nonexistent/x"}}, {"restart", "temporary"}},
      {{"id", "nodir"}, {"command", {"/bin/true"}}, {"cwd", "/nonexistent-dir"},
       {"restart", "temporary"}},
      {{"id", "own127"}, {"command", {"/bin/sh", "-c", "exit 127"}}, {"restart", "temporary"}},
      {{"id", "up"}, {"command", {"/bin/sleep", "1000"}}},
  }));
  REQUIRE(d.supd->WaitReady());
  REQUIRE(d.Ctl({"wait", "up", "ready", "--timeout", "20s"}).exit_code == 0);
  REQUIRE(WaitFor([&] { return d.Status("own127").value("state", "") == "exited"; },
                  milliseconds(20000)));

  json bad = d.Status("bad");
  CHECK(bad["state"] == "exited");
  CHECK(bad["last_exit"]["error"] == "exec: /nonexistent/x: ENOENT");
  CHECK(bad["last_exit"]["reason"] == "abnormal");
  CHECK(d.Status("nodir")["last_exit"]["error"] == "chdir: /nonexistent-dir: ENOENT");
  json own = d.Status("own127")["last_exit"];
  CHECK(own["code"] == 127);  // the child's own exit 127 stays an exit code
  CHECK_FALSE(own.contains("error"));

  auto table = d.Ctl({"status"});
  CHECK(table.exit_code == 0);
  CHECK(Has(table.output, "exec: /nonexistent/x: ENOENT"));
  CHECK(Has(table.output, "chdir: /nonexistent-dir: ENOENT"));
  CHECK(Has(table.output, "exit 127 (abnormal)"));

  Client events(d.sock);
  auto reply = events.Call({{"cmd", "events"}});  // the last events, in the reply
  REQUIRE(reply);
  REQUIRE((*reply)["events"].is_array());
  bool seen = false;
  for (const json& e : (*reply)["events"]) {
    seen = seen || (e.value("event", "") == "exited" && e.value("path", "") == "bad" &&
                    e.value("error", "") == "exec: /nonexistent/x: ENOENT");
  }
  CHECK(seen);
}

TEST_CASE("RLIMIT_NPROC reached by a child's user: exec EAGAIN, shown, the tree serves on") {
  if (geteuid() != 0) {
    MESSAGE("skipped: needs root to run a child as nobody");
    return;
  }
  // Over RLIMIT_NPROC after the switch to `user` (nobody already runs `up`), the kernel
  // fails the execve with EAGAIN.
  Daemon d(json::array({
      {{"id", "up"}, {"command", {"/bin/sleep", "1000"}}, {"user", "nobody"}},
      {{"id", "capped"}, {"command", {"/bin/sleep", "1000"}}, {"user", "nobody"},
       {"rlimits", {{"nproc", 0}}}, {"restart", "temporary"}},
  }));
  REQUIRE(d.supd->WaitReady());
  REQUIRE(WaitFor([&] { return d.Status("capped").value("state", "") == "exited"; },
                  milliseconds(20000)));
  CHECK(d.Status("capped")["last_exit"]["error"] == "exec: /bin/sleep: EAGAIN");
  CHECK(d.PidWhen("up", "running") > 0);
  CHECK(d.Ctl({"status"}).exit_code == 0);
}

/// supd exits 0 within 30 s (a deadline far below the 60 s the old behaviour took), and
/// the child `pid` is gone.
void ExitsCleanlyWithin30s(Daemon& d, int pid) {
  auto status = d.supd->WaitExit(milliseconds(30000));
  REQUIRE_MESSAGE(status, "supd still runs 30 s after SIGTERM");
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK_FALSE(ProcessAlive(pid));
}

TEST_CASE("fast shutdown: SIGTERM abandons a start waiting for readiness") {
  // Ready only after 60 s, with start_timeout 120 s: before this change supd waited for it.
  Daemon d(json::array({{{"id", "slow"},
                         {"command", {SUPD_TEST_CHILD}},
                         {"ready", {{"after", "60s"}}},
                         {"start_timeout", "120s"},
                         {"shutdown", "30s"}}}));
  REQUIRE(d.supd->WaitReady());
  int pid = d.PidWhen("slow", "starting");
  REQUIRE(pid > 0);
  d.supd->Kill(SIGTERM);
  // Well under the 60 s the start would take: the start is abandoned, not waited for.
  ExitsCleanlyWithin30s(d, pid);
}

TEST_CASE("fast shutdown: a second SIGTERM SIGKILLs a child that ignores the first") {
  TempDir tmp;
  const std::string pidfile = tmp.File("pid");
  Daemon d(json::array({{{"id", "stubborn"},
                         {"command", {SUPD_TEST_CHILD, "--ignore-term", "--write-pidfile", pidfile}},
                         {"shutdown", "60s"}}}));
  REQUIRE(d.supd->WaitReady());
  int pid = d.PidWhen("stubborn", "running");
  REQUIRE(pid > 0);
  // Its pidfile is written once SIGTERM is ignored: a SIGTERM before that would kill it.
  REQUIRE(WaitFor([&] { return ReadFile(pidfile) == std::to_string(pid) + "\n"; },
                  milliseconds(20000)));
  d.supd->Kill(SIGTERM);
  REQUIRE(WaitFor([&] { return Has(d.supd->Stderr(), "stopping the tree"); },
                  milliseconds(20000)));
  CHECK_MESSAGE(ProcessAlive(pid), d.supd->Stderr());  // it ignores SIGTERM; shutdown 60 s
  d.supd->Kill(SIGTERM);
  ExitsCleanlyWithin30s(d, pid);  // not the 60 s of its shutdown
  CHECK(Has(d.supd->Stderr(), "killing every remaining child"));
}

/// A cgroup v1 `pids` group of its own (removed, once empty, at the end).
class PidsCgroup {
 public:
  PidsCgroup() : dir_("/sys/fs/cgroup/pids/supd-e2e-" + std::to_string(getpid())) {
    ok_ = mkdir(dir_.c_str(), 0755) == 0;
  }
  ~PidsCgroup() {
    if (ok_) WaitFor([&] { return rmdir(dir_.c_str()) == 0; }, milliseconds(20000));
  }
  bool ok() const { return ok_; }
  void Write(const std::string& file, const std::string& value) {
    WriteFile(dir_ + "/" + file, value + "\n");
  }
  std::string Read(const std::string& file) { return ReadFile(dir_ + "/" + file); }
  /// Moves `pid` back to the root of the hierarchy.
  static void Release(pid_t pid) {
    WriteFile("/sys/fs/cgroup/pids/cgroup.procs", std::to_string(pid) + "\n");
  }

 private:
  std::string dir_;
  bool ok_ = false;
};

TEST_CASE("fork EAGAIN (pids.max): the start fails, is shown, supd serves on and recovers") {
  PidsCgroup cg;
  if (!cg.ok()) {
    MESSAGE("skipped: no writable cgroup v1 pids controller at /sys/fs/cgroup/pids");
    return;
  }
  Daemon d(json::array({
      {{"id", "up"}, {"command", {"/bin/sleep", "1000"}}},
      {{"id", "sub"}, {"restart", "transient"}, {"intensity", 1}, {"period", "1m"},
       {"children", json::array({{{"id", "w"}, {"command", {"/bin/sleep", "1000"}}}})}},
  }), 10);
  REQUIRE(d.supd->WaitReady());
  REQUIRE(d.Ctl({"wait", "sub/w", "ready", "--timeout", "20s"}).exit_code == 0);
  const int up = d.PidWhen("up", "running");
  REQUIRE(up > 0);

  // supd may create no task any more: each restart of sub/w fails with EAGAIN.
  cg.Write("cgroup.procs", std::to_string(d.supd->pid()));
  cg.Write("pids.max", cg.Read("pids.current").substr(0, cg.Read("pids.current").find('\n')));
  REQUIRE(d.Ctl({"signal", "SIGKILL", "sub/w"}).exit_code == 0);
  REQUIRE(WaitFor([&] { return d.Status("sub").value("state", "") == "stopped"; },
                  milliseconds(20000)));  // two failed starts: more than intensity 1
  json w = d.Status("sub/w");
  CHECK(w["last_exit"].value("error", "").find("EAGAIN") != std::string::npos);
  CHECK(d.Status("sub")["restarts"] == 0);
  // The daemon serves on, and its other children are untouched.
  auto table = d.Ctl({"status"});
  CHECK(table.exit_code == 0);
  CHECK(Has(table.output, "EAGAIN"));
  CHECK(d.Status("up")["pid"] == up);

  cg.Write("pids.max", "max");  // the resource is back
  CHECK(d.Ctl({"start", "sub"}).exit_code == 0);
  CHECK(d.PidWhen("sub/w", "running") > 0);
  PidsCgroup::Release(d.supd->pid());
}

}  // namespace
}  // namespace supd::e2e
