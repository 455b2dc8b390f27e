// The daemon runtime end to end (issue 4): signals to supd, supd as PID 1, crash safety,
// robustness against children, the daemon's own log, shutdown precision, sticky operator
// stops and kill_mode cgroup. Real processes only; every wait has a deadline, and each test
// ends by checking that no process mentioning its temp dir is left alive.
#include <doctest/doctest.h>

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace supd::e2e {
namespace {

using nlohmann::json;

/// What supd logs when handles outlive its teardown (daemon/daemon.cc, CloseLoop).
constexpr const char* kUncleanLoop = "the event loop did not close cleanly";

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// /proc helpers.

struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';
  std::vector<std::string> argv;
};

std::optional<ProcInfo> ReadProc(pid_t pid) {
  std::string base = "/proc/" + std::to_string(pid);
  std::string stat = ReadFile(base + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return std::nullopt;
  ProcInfo info;
  info.pid = pid;
  std::istringstream rest(stat.substr(close + 2));
  rest >> info.state >> info.ppid;
  std::string cmdline = ReadFile(base + "/cmdline");
  std::string arg;
  for (char ch : cmdline) {
    if (ch == '\0') {
      info.argv.push_back(arg);
      arg.clear();
    } else {
      arg.push_back(ch);
    }
  }
  return info;
}

std::vector<ProcInfo> AllProcesses() {
  std::vector<ProcInfo> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir)) {
    pid_t pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    if (auto info = ReadProc(pid)) out.push_back(std::move(*info));
  }
  ::closedir(dir);
  return out;
}

/// Live (non-zombie) processes with an argument that contains `marker`, except this test.
std::vector<pid_t> PidsMentioning(const std::string& marker) {
  std::vector<pid_t> out;
  for (const auto& p : AllProcesses()) {
    if (p.state == 'Z' || p.pid == ::getpid()) continue;
    for (const auto& a : p.argv) {
      if (Has(a, marker)) {
        out.push_back(p.pid);
        break;
      }
    }
  }
  return out;
}

/// Live processes with an argument exactly equal to `arg`.
std::vector<ProcInfo> ProcsWithArg(const std::string& arg) {
  std::vector<ProcInfo> out;
  for (auto& p : AllProcesses()) {
    if (p.state == 'Z') continue;
    if (std::find(p.argv.begin(), p.argv.end(), arg) != p.argv.end()) out.push_back(p);
  }
  return out;
}

/// Every descendant of `root` (any state, zombies included).
std::vector<ProcInfo> Descendants(pid_t root) {
  std::vector<ProcInfo> all = AllProcesses();
  std::set<pid_t> in{root};
  std::vector<ProcInfo> out;
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& p : all) {
      if (in.count(p.pid) == 0 && in.count(p.ppid) != 0) {
        in.insert(p.pid);
        out.push_back(p);
        grew = true;
      }
    }
  }
  return out;
}

std::vector<pid_t> ReadPids(const std::string& file) {
  std::vector<pid_t> pids;
  std::istringstream in(ReadFile(file));
  pid_t p;
  while (in >> p) pids.push_back(p);
  return pids;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

/// The "start P"/"stop P R" lines of a test_child log, without timestamps.
std::vector<std::string> ChildLog(const std::string& file) {
  return Lines(ReadFile(file));
}

std::size_t CountPrefix(const std::vector<std::string>& lines, const std::string& prefix) {
  return static_cast<std::size_t>(std::count_if(
      lines.begin(), lines.end(), [&](const auto& l) { return l.rfind(prefix, 0) == 0; }));
}

// ---------------------------------------------------------------------------------------------
// A command (unshare/setpriv wrappers around supd) with its output in a file.

class Launched {
 public:
  Launched(std::vector<std::string> argv, const std::string& out_path) : out_path_(out_path) {
    pid_ = SpawnToFile(std::move(argv), out_path, /*own_group=*/true);
  }
  ~Launched() {
    if (pid_ <= 0 || status_) return;
    for (const auto& p : Descendants(pid_)) ::kill(p.pid, SIGKILL);
    ::kill(pid_, SIGKILL);
    WaitExit(milliseconds(5000));
  }
  pid_t pid() const { return pid_; }
  std::optional<int> WaitExit(milliseconds timeout) { return WaitChild(pid_, &status_, timeout); }
  bool Exited() {
    WaitExit(milliseconds(0));
    return status_.has_value();
  }
  std::string Output() const { return ReadFile(out_path_); }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string out_path_;
};

int ExitCode(std::optional<int> status) {
  if (!status) return -1;
  if (WIFEXITED(*status)) return WEXITSTATUS(*status);
  return 128 + WTERMSIG(*status);
}

/// Subscribes `client` to supd's event stream: from now on, one JSON line per event.
bool FollowEvents(Client& client) {
  return client.connected() &&
         client.Call({{"cmd", "events"}, {"follow", true}}).value_or(json())["ok"] == true;
}

// ---------------------------------------------------------------------------------------------
// A config under a temp dir.

struct Setup {
  TempDir dir;
  std::string sock = dir.File("run/supd.sock");
  std::string log = dir.File("children.log");
  std::string state = dir.File("state");
  json config;

  Setup() {
    config = {{"daemon", {{"socket", sock}, {"state_dir", state}}},
              {"intensity", 10},
              {"children", json::array()}};
  }
  /// A test_child worker logging start/stop to `log` as `path`, with `extra` flags.
  json Worker(const std::string& id, const std::string& path,
              std::vector<std::string> extra = {}) const {
    std::vector<std::string> cmd = {SUPD_TEST_CHILD, "--log", log, "--path", path};
    cmd.insert(cmd.end(), extra.begin(), extra.end());
    return {{"id", id}, {"command", cmd}};
  }
  /// A Worker that is ready only once it logged its start (its SIGTERM handler is in place).
  json ReadyWorker(const std::string& id, const std::string& path) const {
    json w = Worker(id, path, {"--notify-fd", "3"});
    w["ready"] = {{"notify_fd", 3}};
    return w;
  }
  std::string Write() {
    std::string path = dir.File("supd.json");
    WriteFile(path, config.dump(2));
    return path;
  }
  CommandResult Ctl(std::vector<std::string> args) const {
    args.insert(args.begin(), {SUPCTL_BIN, "--socket", sock});
    return Run(args);
  }
  json Status(const std::string& path) const {
    auto r = Ctl({"--json", "status", path});
    return json::parse(r.output.substr(0, r.output.find('\n')), nullptr, false);
  }
  bool WaitStarts(std::size_t n, milliseconds timeout = milliseconds(15000)) const {
    return WaitFor([&] { return CountPrefix(ChildLog(log), "start ") >= n; }, timeout);
  }
  /// Nothing that mentions the temp dir (supd, children, grandchildren) is alive.
  bool NothingLeft(milliseconds timeout = milliseconds(5000)) const {
    bool ok = WaitFor([&] { return PidsMentioning(dir.path()).empty(); }, timeout);
    for (pid_t p : PidsMentioning(dir.path())) {
      auto info = ReadProc(p);
      MESSAGE("left behind: pid " << p << " "
                                  << (info && !info->argv.empty() ? info->argv[0] : "?"));
    }
    return ok;
  }
};

// ---------------------------------------------------------------------------------------------
// 1. Signals to supd.

TEST_CASE(
    "daemon e2e: SIGTERM/SIGINT stop the tree in reverse start order, SIGHUP changes nothing") {
  for (int signo : {SIGTERM, SIGINT}) {
    CAPTURE(signo);
    Setup s;
    s.config["children"] = {
        s.Worker("a", "a"),
        {{"id", "sup"}, {"children", {s.Worker("b", "sup/b"), s.Worker("c", "sup/c")}}},
        s.Worker("d", "d")};
    SupdProcess supd(s.Write(), s.sock, s.dir.File("supd.err"));
    REQUIRE(supd.WaitReady());
    REQUIRE(s.WaitStarts(4));
    REQUIRE(WaitFor([&] { return Has(supd.Stderr(), "tree started"); }, milliseconds(10000)));
    // Start order from supd's log (the children's own lines may race: ready is exec).
    std::vector<std::string> started;
    for (const auto& line : Lines(supd.Stderr())) {
      if (Has(line, ") started")) started.push_back(line.substr(6, line.find(" (pid") - 6));
    }
    CHECK(started == std::vector<std::string>{"a", "sup/b", "sup/c", "d"});

    std::vector<pid_t> before = PidsMentioning(s.log);
    std::sort(before.begin(), before.end());
    CHECK(before.size() == 4);
    supd.Kill(SIGHUP);
    // The config did not change: a reload that leaves every child alone.
    CHECK(WaitFor([&] { return Has(supd.Stderr(), "(root) reloaded; 0 added, 0 removed, "
                                                  "0 restarted, 0 policy, 5 unchanged"); },
                  milliseconds(5000)));
    CHECK(supd.WaitReady());
    std::vector<pid_t> after = PidsMentioning(s.log);
    std::sort(after.begin(), after.end());
    CHECK(after == before);
    CHECK(ChildLog(s.log).size() == 4);

    supd.Kill(signo);
    auto status = supd.WaitExit(milliseconds(15000));
    REQUIRE(status);
    CHECK(ExitCode(status) == 0);
    auto lines = ChildLog(s.log);
    CHECK(std::vector<std::string>(lines.begin() + 4, lines.end()) ==
          std::vector<std::string>{"stop d shutdown", "stop sup/c shutdown", "stop sup/b shutdown",
                                   "stop a shutdown"});
    CHECK(Has(supd.Stderr(),
              std::string(signo == SIGTERM ? "SIGTERM" : "SIGINT") + ": stopping the tree"));
    for (pid_t p : before) CHECK_FALSE(ProcessAlive(p));
    CHECK(s.NothingLeft());
  }
}

TEST_CASE("daemon e2e: SIGTERM while the tree starts, and a second signal while it stops") {
  Setup s;
  json slow = s.Worker("slow", "slow");
  // Still starting when SIGTERM comes: the shutdown abandons that start and stops the child
  // like the others (README, "How supd behaves"); nothing is left, every start has a stop.
  slow["ready"] = {{"after", "1500ms"}};
  json later = s.Worker("later", "later");
  s.config["children"] = {s.Worker("a", "a"), slow, later};
  {
    SupdProcess supd(s.Write(), s.sock, s.dir.File("supd1.err"));
    REQUIRE(supd.WaitReady());
    REQUIRE(s.WaitStarts(2));
    supd.Kill(SIGTERM);
    auto status = supd.WaitExit(milliseconds(15000));
    REQUIRE(status);
    CHECK(ExitCode(status) == 0);
    auto lines = ChildLog(s.log);
    CHECK(CountPrefix(lines, "start ") == CountPrefix(lines, "stop "));
    CHECK(lines.back() == "stop a shutdown");
  }
  // A child that ignores SIGTERM would hold the stop for its shutdown (60s); a second signal
  // (SIGINT after SIGTERM) SIGKILLs everything left at once, and the exit is still 0.
  Setup t;
  json stubborn = t.Worker("stubborn", "stubborn", {"--ignore-term"});
  stubborn["shutdown"] = "60s";
  t.config["children"] = {t.Worker("a", "a"), stubborn};
  SupdProcess supd(t.Write(), t.sock, t.dir.File("supd2.err"));
  REQUIRE(supd.WaitReady());
  REQUIRE(t.WaitStarts(2));
  supd.Kill(SIGTERM);
  REQUIRE(WaitFor([&] { return Has(supd.Stderr(), "stubborn (pid ") &&
                               Has(supd.Stderr(), ") stopping"); }, milliseconds(10000)));
  supd.Kill(SIGINT);
  auto status = supd.WaitExit(milliseconds(30000));
  REQUIRE(status);
  CHECK(ExitCode(status) == 0);
  CHECK(Has(supd.Stderr(), "SIGINT again: killing every remaining child (SIGKILL)"));
  CHECK(s.NothingLeft());
  CHECK(t.NothingLeft());
}

// ---------------------------------------------------------------------------------------------
// 2. supd as PID 1 of a pid namespace.

/// supd inside `unshare --pid --fork --mount-proc`: its host pid (the child of unshare).
pid_t HostPidOfSupd(Launched& l) {
  pid_t found = 0;
  WaitFor(
      [&] {
        for (const auto& p : AllProcesses()) {
          if (p.ppid == l.pid() && !p.argv.empty() && p.argv[0] == SUPD_BIN) found = p.pid;
        }
        return found != 0;
      },
      milliseconds(10000));
  return found;
}

/// Sends `signo` to the supd inside `l` (never kill(0, ...) when it is not found).
void SignalSupdIn(Launched& l, int signo) {
  pid_t pid = HostPidOfSupd(l);
  REQUIRE(pid > 0);
  ::kill(pid, signo);
}

std::vector<std::string> UnshareArgs(const std::string& config) {
  return {"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", SUPD_BIN, "-c", config};
}

TEST_CASE("daemon e2e: as PID 1 supd reaps orphans and stops on SIGTERM/SIGINT with 0") {
  if (::geteuid() != 0) SUPD_SKIP("needs root for unshare --pid (supd as PID 1)");
  for (int signo : {SIGTERM, SIGINT}) {
    CAPTURE(signo);
    Setup s;
    std::string grandchildren = s.dir.File("grandchildren.pids");
    // "forker" exits at once and leaves 3 grandchildren (kill_mode process: they are not its
    // leftovers to stop), reparented to supd as PID 1.
    json forker = s.Worker("forker", "forker",
                           {"--fork", "3", "--fork-pidfile", grandchildren, "--exit", "0"});
    forker["restart"] = "temporary";
    forker["kill_mode"] = "process";
    s.config["children"] = {s.ReadyWorker("w", "w"), forker};
    Launched l(UnshareArgs(s.Write()), s.dir.File("supd.err"));
    pid_t supd = HostPidOfSupd(l);
    REQUIRE(supd != 0);
    REQUIRE(WaitFor([&] { return Has(l.Output(), "tree started"); }, milliseconds(15000)));
    CHECK(Has(l.Output(), "as PID 1"));
    REQUIRE(WaitFor([&] { return ReadPids(grandchildren).size() == 3; }, milliseconds(10000)));

    // The orphans are supd's children now; killed, each must be reaped by supd.
    std::vector<ProcInfo> orphans;
    REQUIRE(WaitFor(
        [&] {
          orphans.clear();
          for (const auto& p : Descendants(supd)) {
            if (p.ppid == supd && std::count(p.argv.begin(), p.argv.end(), "--fork") != 0) {
              orphans.push_back(p);
            }
          }
          return orphans.size() == 3;
        },
        milliseconds(10000)));
    for (const auto& o : orphans) ::kill(o.pid, SIGKILL);
    bool reaped = WaitFor(
        [&] {
          for (const auto& p : Descendants(supd)) {
            if (p.state == 'Z') return false;
            if (std::count(p.argv.begin(), p.argv.end(), "--fork") != 0) return false;
          }
          return true;
        },
        milliseconds(5000));
    CHECK(reaped);
    // The same view from inside the namespace: no zombie in its /proc.
    auto ps = Run({"/usr/bin/nsenter", "-t", std::to_string(supd), "-p", "-m", "/bin/sh", "-c",
                   "cat /proc/[0-9]*/stat 2>/dev/null | awk '{print $3}' | grep -c Z"});
    CHECK(ps.output == "0\n");

    ::kill(supd, signo);
    auto status = l.WaitExit(milliseconds(15000));
    REQUIRE(status);
    CHECK(ExitCode(status) == 0);
    CHECK(Has(ReadFile(s.log), "stop w shutdown"));
    CHECK(s.NothingLeft());
  }
}

TEST_CASE("daemon e2e: two supd as PID 1 of two namespaces never share a cgroup") {
  if (::geteuid() != 0) SUPD_SKIP("needs root for unshare --pid (supd as PID 1)");
  // Both are pid 1, with the same child ids and run numbers: their kill scopes must differ.
  Setup a;
  Setup b;
  a.config["children"] = {a.ReadyWorker("w", "w")};
  b.config["children"] = {b.ReadyWorker("w", "w")};
  Launched la(UnshareArgs(a.Write()), a.dir.File("supd.err"));
  REQUIRE(WaitFor([&] { return Has(la.Output(), "tree started"); }, milliseconds(15000)));
  Launched lb(UnshareArgs(b.Write()), b.dir.File("supd.err"));
  REQUIRE(WaitFor([&] { return Has(lb.Output(), "tree started"); }, milliseconds(15000)));
  std::string out_a = la.Output();
  std::string out_b = lb.Output();
  INFO(out_a);
  INFO(out_b);
  std::vector<pid_t> wa = PidsMentioning(a.log);
  REQUIRE(wa.size() == 1);
  CHECK(a.Status("w")["node"]["kill_mode"] == "cgroup");
  CHECK(b.Status("w")["node"]["kill_mode"] == "cgroup");
  CHECK(b.Ctl({"stop", "w"}).exit_code == 0);
  CHECK(PidsMentioning(b.log).empty());
  CHECK(ProcessAlive(wa.front()));  // b's stop did not reach a's child
  CHECK(a.Status("w")["node"]["state"] == "running");
  SignalSupdIn(lb, SIGTERM);
  CHECK(ExitCode(lb.WaitExit(milliseconds(10000))) == 0);
  CHECK(ProcessAlive(wa.front()));
  SignalSupdIn(la, SIGTERM);
  CHECK(ExitCode(la.WaitExit(milliseconds(10000))) == 0);
  CHECK(Has(ReadFile(a.log), "stop w shutdown"));
  CHECK(a.NothingLeft());
  CHECK(b.NothingLeft());
}

TEST_CASE("daemon e2e: on_root_give_up exit → 3 (also as PID 1)") {
  if (::geteuid() != 0) SUPD_SKIP("needs root for unshare --pid (supd as PID 1)");
  Setup s;
  json crasher = s.Worker("crasher", "crasher", {"--exit", "1"});
  s.config["intensity"] = 0;
  s.config["children"] = {s.ReadyWorker("w", "w"), crasher};
  Launched l(UnshareArgs(s.Write()), s.dir.File("supd.err"));
  auto status = l.WaitExit(milliseconds(15000));
  REQUIRE(status);
  CHECK(ExitCode(status) == 3);
  std::string err = l.Output();
  INFO(err);
  CHECK(Has(err, "crasher (pid "));
  CHECK(Has(err, "exited with code 1"));
  CHECK(Has(err, "(root) gave up: reached max restart intensity"));
  CHECK(Has(err, "exiting with 3"));
  CHECK_FALSE(Has(err, kUncleanLoop));
  CHECK(Has(ReadFile(s.log), "stop w shutdown"));
  CHECK(s.NothingLeft());
}

TEST_CASE("daemon e2e: on_root_give_up stay keeps supd up, shutdown then exits 0") {
  // Decision: after the root gave up with `stay`, an operator's shutdown (supctl or SIGTERM)
  // is a clean stop and exits 0; 3 ("restart me") is for on_root_give_up: exit only.
  for (std::string how : {"supctl", "SIGTERM", "start again"}) {
    CAPTURE(how);
    Setup s;
    s.config["daemon"]["on_root_give_up"] = "stay";
    s.config["intensity"] = 0;
    s.config["children"] = {s.Worker("w", "w"), s.Worker("crasher", "crasher")};
    SupdProcess supd(s.Write(), s.sock, s.dir.File("supd.err"));
    REQUIRE(supd.WaitReady());
    REQUIRE(s.WaitStarts(2));
    ::kill(s.Status("crasher")["node"]["pid"].get<pid_t>(), SIGUSR1);  // crash: exit 1
    REQUIRE(WaitFor([&] { return Has(supd.Stderr(), "supd stays up"); }, milliseconds(15000)));
    CHECK(Has(ReadFile(s.log), "stop w shutdown"));
    CHECK(supd.WaitReady());  // the socket still answers
    json root = s.Status("");
    CHECK(root["ok"] == true);
    CHECK(root["node"]["state"] == "stopped");
    CHECK(PidsMentioning(s.log).empty());  // the tree is stopped
    if (how == "supctl") {
      auto r = s.Ctl({"shutdown"});
      CHECK(r.exit_code == 0);
    } else if (how == "SIGTERM") {
      supd.Kill(SIGTERM);
    } else {
      // The root runs again; a SIGTERM must then stop the tree in order, not just exit.
      CHECK(s.Ctl({"start", ""}).exit_code == 0);
      REQUIRE(s.WaitStarts(4));
      CHECK(s.Status("")["node"]["state"] == "running");
      supd.Kill(SIGTERM);
    }
    auto status = supd.WaitExit(milliseconds(10000));
    REQUIRE(status);
    CHECK(ExitCode(status) == 0);
    CHECK(Has(supd.Stderr(), "stopped"));
    CHECK_FALSE(Has(supd.Stderr(), kUncleanLoop));
    if (how == "start again") {
      auto lines = ChildLog(s.log);
      CHECK(lines.back() == "stop w shutdown");
      CHECK(CountPrefix(lines, "stop crasher shutdown") == 1);
    }
    CHECK(s.NothingLeft());
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Crash safety: kill -9 supd, start a new one.

TEST_CASE("daemon e2e: kill -9 supd leaves no unsupervised child, a new supd runs one of each") {
  for (std::string kill_mode : {"auto", "group"}) {
    CAPTURE(kill_mode);
    Setup s;
    std::string gc_old = s.dir.File("gc.pids");
    std::string mark_a = s.dir.File("mark-a");
    std::string mark_b = s.dir.File("mark-b");
    // a's grandchildren ignore SIGTERM and outlive supd; with cgroup (auto) they even leave
    // the process group. The next supd finds them through its state file.
    std::vector<std::string> flags = {"--fork", "2", "--fork-ignore-term", "--fork-pidfile",
                                      gc_old};
    if (kill_mode == "auto") flags.push_back("--fork-setsid");
    s.config["children"] = {s.Worker("a", mark_a, flags), s.Worker("b", mark_b)};
    s.config["children"][0]["kill_mode"] = kill_mode;
    std::string config = s.Write();
    std::vector<pid_t> first_children;
    std::vector<pid_t> first_grandchildren;
    {
      SupdProcess supd(config, s.sock, s.dir.File("supd1.err"));
      REQUIRE(supd.WaitReady());
      REQUIRE(s.WaitStarts(2));
      REQUIRE(WaitFor([&] { return ReadPids(gc_old).size() == 2; }, milliseconds(10000)));
      first_grandchildren = ReadPids(gc_old);
      for (const auto& p : ProcsWithArg(mark_a)) {
        if (p.ppid == supd.pid()) first_children.push_back(p.pid);
      }
      for (const auto& p : ProcsWithArg(mark_b)) first_children.push_back(p.pid);
      REQUIRE(first_children.size() == 2);
      supd.Kill(SIGKILL);
      REQUIRE(supd.WaitExit(milliseconds(5000)));
    }
    // The children die with supd (PR_SET_PDEATHSIG).
    CHECK(WaitFor(
        [&] { return std::none_of(first_children.begin(), first_children.end(), ProcessAlive); },
        milliseconds(5000)));
    // The grandchildren are still there (not supd's children, so no PR_SET_PDEATHSIG).
    CHECK(std::all_of(first_grandchildren.begin(), first_grandchildren.end(), ProcessAlive));
    ::unlink(gc_old.c_str());
    {
      SupdProcess supd(config, s.sock, s.dir.File("supd2.err"));
      REQUIRE(supd.WaitReady());
      REQUIRE(s.WaitStarts(4));
      REQUIRE(WaitFor([&] { return ReadPids(gc_old).size() == 2; }, milliseconds(10000)));
      // What the first supd left is gone before the tree starts again.
      for (pid_t p : first_grandchildren) CHECK_FALSE(ProcessAlive(p));
      auto a = ProcsWithArg(mark_a);
      auto b = ProcsWithArg(mark_b);
      CHECK(std::count_if(a.begin(), a.end(), [&](auto& p) { return p.ppid == supd.pid(); }) == 1);
      CHECK(a.size() == 3);  // one main process and its two new grandchildren
      CHECK(b.size() == 1);
      CHECK(Has(supd.Stderr(), "left by a previous supd instance"));
    }
    CHECK(s.NothingLeft());
  }
}

TEST_CASE("daemon e2e: a second supd on the same config refuses to start and touches nothing") {
  Setup s;
  std::string gc = s.dir.File("gc.pids");
  s.config["children"] = {s.Worker("a", "a", {"--fork", "1", "--fork-pidfile", gc}),
                          s.Worker("b", "b")};
  std::string config = s.Write();
  SupdProcess first(config, s.sock, s.dir.File("supd1.err"));
  REQUIRE(first.WaitReady());
  REQUIRE(s.WaitStarts(2));
  REQUIRE(WaitFor([&] { return ReadPids(gc).size() == 1; }, milliseconds(10000)));
  std::vector<pid_t> before = PidsMentioning(s.log);
  std::sort(before.begin(), before.end());
  REQUIRE(before.size() == 3);

  SupdProcess second(config, s.sock, s.dir.File("supd2.err"));
  auto status = second.WaitExit(milliseconds(10000));
  REQUIRE(status);
  CHECK(ExitCode(status) == 1);
  INFO(second.Stderr());
  CHECK(Has(second.Stderr(), "another supd is running"));
  CHECK_FALSE(Has(second.Stderr(), "left by a previous supd instance"));
  CHECK_FALSE(Has(second.Stderr(), kUncleanLoop));  // the failed start tears down cleanly
  std::vector<pid_t> after = PidsMentioning(s.log);
  std::sort(after.begin(), after.end());
  CHECK(after == before);
  CHECK(first.WaitReady());
  CHECK(s.Status("a")["node"]["state"] == "running");
  CHECK(ChildLog(s.log).size() == 2);

  // The first one's record of its children is intact: after kill -9, a third one cleans up.
  first.Kill(SIGKILL);
  REQUIRE(first.WaitExit(milliseconds(5000)));
  std::vector<pid_t> gcs = ReadPids(gc);
  {
    SupdProcess third(config, s.sock, s.dir.File("supd3.err"));
    REQUIRE(third.WaitReady());
    CHECK_FALSE(ProcessAlive(gcs.front()));
  }
  CHECK(s.NothingLeft());
}

// ---------------------------------------------------------------------------------------------
// 4. The daemon never dies of a child's behaviour.

TEST_CASE("daemon e2e: closing stdout, 200 grandchildren, a missing binary do not hurt supd") {
  Setup s;
  std::string gc = s.dir.File("gc.pids");
  json closer = s.Worker("closer", "closer", {"--close-stdout", "--print-lines", "3"});
  json forker =
      s.Worker("forker", "forker", {"--fork", "200", "--fork-pidfile", gc, "--exit", "0"});
  forker["restart"] = "transient";
  json ghost = {{"id", "ghost"}, {"restart", "temporary"}, {"command", {s.dir.File("no-such")}}};
  s.config["children"] = {closer, ghost, forker, s.Worker("w", "w")};
  SupdProcess supd(s.Write(), s.sock, s.dir.File("supd.err"));
  REQUIRE(supd.WaitReady());
  REQUIRE(WaitFor([&] { return ReadPids(gc).size() == 200; }, milliseconds(30000)));
  REQUIRE(WaitFor([&] { return Has(supd.Stderr(), "forker (pid "); }, milliseconds(10000)));
  // forker exited normally; its leftovers are stopped (cgroup) and reaped.
  std::vector<pid_t> gcs = ReadPids(gc);
  CHECK(WaitFor([&] { return std::none_of(gcs.begin(), gcs.end(), ProcessAlive); },
                milliseconds(20000)));
  CHECK(WaitFor([&] { return s.Status("forker")["node"]["state"] == "exited"; },
                milliseconds(10000)));
  CHECK(Has(supd.Stderr(), "forker (pid "));
  CHECK(Has(supd.Stderr(), "supd: ghost exited (abnormal); exec failed: " + s.dir.File("no-such") +
                               ": No such file or directory (ENOENT)"));
  CHECK(s.Status("closer")["node"]["state"] == "running");
  CHECK(s.Status("w")["node"]["state"] == "running");
  CHECK(WaitFor(
      [&] {
        for (const auto& p : Descendants(supd.pid())) {
          if (p.state == 'Z') return false;
        }
        return true;
      },
      milliseconds(5000)));
  CHECK(ProcessAlive(supd.pid()));
  supd.Kill(SIGTERM);
  CHECK(ExitCode(supd.WaitExit(milliseconds(15000))) == 0);
  CHECK(s.NothingLeft());
}

TEST_CASE("daemon e2e: a crash loop makes the root give up: exit 3, logged with the path") {
  Setup s;
  s.config["intensity"] = 2;
  s.config["period"] = "10s";
  s.config["children"] = {s.Worker("w", "w"),
                          {{"id", "sup"},
                           {"intensity", 3},
                           {"children", {s.Worker("loop", "sup/loop", {"--exit", "2"})}}}};
  SupdProcess supd(s.Write(), s.sock, s.dir.File("supd.err"));
  auto status = supd.WaitExit(milliseconds(20000));
  REQUIRE(status);
  CHECK(ExitCode(status) == 3);
  std::string err = supd.Stderr();
  INFO(err);
  CHECK(Has(err, "sup/loop (pid "));
  CHECK(Has(err, "exited with code 2"));
  CHECK(Has(err, "sup gave up: reached max restart intensity"));
  CHECK(Has(err, "(root) gave up: reached max restart intensity"));
  CHECK(Has(err, "exiting with 3"));
  CHECK(s.NothingLeft());
}

TEST_CASE("daemon e2e: fork failing with EAGAIN (RLIMIT_NPROC as nobody) is logged, supd lives") {
  if (::geteuid() != 0) SUPD_SKIP("needs root to run supd as nobody");
  const uid_t nobody = 65534;
  Setup s;
  // nobody must reach everything: the temp dir, and the test binaries under /work.
  REQUIRE(::chown(s.dir.path().c_str(), nobody, nobody) == 0);
  ::chmod(s.dir.path().c_str(), 0755);
  std::size_t others = 0;
  for (const auto& p : AllProcesses()) {
    std::string status = ReadFile("/proc/" + std::to_string(p.pid) + "/status");
    if (Has(status, "\nUid:\t65534\t")) ++others;
  }
  // supd itself + "w" + "hog" (which forks until it fails) — then "late" cannot be forked.
  std::string limit = std::to_string(others + 4);
  s.config["intensity"] = 3;
  json hog = s.Worker("hog", "hog", {"--fork", "20"});
  hog["ready"] = {{"after", "1s"}};  // its forks have filled the quota before "late" starts
  json late = s.Worker("late", "late");
  late["restart"] = "transient";
  s.config["children"] = {s.Worker("w", "w"), hog, late};
  s.config["daemon"]["on_root_give_up"] = "stay";
  std::string config = s.Write();
  ::chown(config.c_str(), nobody, nobody);
  Launched l({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
              "/usr/bin/prlimit", "--nproc=" + limit, SUPD_BIN, "-c", config},
             s.dir.File("supd.err"));
  bool logged = WaitFor(
      [&] {
        std::string err = l.Output();
        return Has(err, "supd: the root supervisor gave up") || l.Exited();
      },
      milliseconds(15000));
  std::string err = l.Output();
  INFO(err);
  CHECK(logged);
  CHECK_FALSE(l.Exited());  // supd survives: the root gave up, and stays (on_root_give_up)
  // Each failure names the child it was for.
  bool named = false;
  for (const auto& line : Lines(err)) {
    // Normally "late"; w or hog if other processes of nobody took the last slots.
    bool who = line.rfind("supd: late exited", 0) == 0 || line.rfind("supd: hog exited", 0) == 0 ||
               line.rfind("supd: w exited", 0) == 0;
    if (who && Has(line, "(abnormal); fork failed: ") && Has(line, "EAGAIN")) {
      named = true;
    }
  }
  CHECK(named);
  ::kill(l.pid(), SIGTERM);
  auto status = l.WaitExit(milliseconds(15000));
  CHECK(status);
  CHECK(ExitCode(status) == 0);
  CHECK(s.NothingLeft());
}

// ---------------------------------------------------------------------------------------------
// 5. The daemon's own log.

TEST_CASE("daemon e2e: lifecycle log lines: signal, exit code, give-up") {
  Setup s;
  s.config["intensity"] = 2;
  s.config["period"] = "10s";
  json segv = s.Worker("segv", "segv", {"--signal-self", std::to_string(SIGSEGV)});
  json code = s.Worker("code", "code", {"--exit", "7"});
  code["restart"] = "temporary";
  s.config["children"] = {{{"id", "web"},
                           {"intensity", 5},
                           {"period", "10s"},
                           {"children", {s.Worker("ok", "web/ok"), code, segv}}}};
  SupdProcess supd(s.Write(), s.sock, s.dir.File("supd.err"));
  auto status = supd.WaitExit(milliseconds(20000));
  REQUIRE(status);
  CHECK(ExitCode(status) == 3);
  std::string err = supd.Stderr();
  INFO(err);
  std::vector<std::string> lines = Lines(err);
  for (const auto& line : lines) CHECK(line.rfind("supd: ", 0) == 0);
  auto line_with = [&](const std::string& a, const std::string& b) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const auto& l) { return Has(l, a) && Has(l, b); });
  };
  // An exit and the restart it causes read as one line (two events on the stream).
  CHECK(line_with("supd: web/segv (pid ",
                  ") killed by SIGSEGV (abnormal); restart 1 of 5 within 10s"));
  CHECK(line_with("supd: web/segv (pid ",
                  ") killed by SIGSEGV (abnormal); restart 5 of 5 within 10s"));
  CHECK(line_with("supd: web/code (pid ", ") exited with code 7 (abnormal)"));
  CHECK(line_with(
      "supd: web gave up: reached max restart intensity; more than 5 restarts within 10s", ""));
  CHECK(line_with(
      "supd: the root supervisor gave up (reached max restart intensity); exiting with 3", ""));
  CHECK(line_with("supd: (root) gave up: reached max restart intensity", ""));
  CHECK(s.NothingLeft());
}

// supd reads SIGCHLD from a signalfd, so it no longer installs a handler: an ignored
// SIGCHLD inherited through exec (a shell's `trap '' CHLD`, some container runtimes) would
// let the kernel reap its children itself and lose their exit status, unless supd resets it.
TEST_CASE("daemon e2e: an inherited ignored SIGCHLD does not lose exit statuses") {
  Setup s;
  json code = s.Worker("code", "code", {"--exit", "7"});
  code["restart"] = "temporary";
  s.config["children"] = {s.Worker("ok", "ok"), code};
  struct sigaction ign {}, old {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  REQUIRE(sigaction(SIGCHLD, &ign, &old) == 0);
  SupdProcess supd(s.Write(), s.sock, s.dir.File("supd.err"));  // fork + exec: SIG_IGN stays
  sigaction(SIGCHLD, &old, nullptr);
  REQUIRE(supd.WaitReady());
  CHECK(WaitFor([&] { return Has(supd.Stderr(), ") exited with code 7 (abnormal)"); },
                milliseconds(10000)));
  auto r = s.Ctl({"shutdown"});
  CHECK(r.exit_code == 0);
  auto status = supd.WaitExit(milliseconds(10000));
  REQUIRE(status);
  CHECK(ExitCode(status) == 0);
  INFO(supd.Stderr());
  CHECK(s.NothingLeft());
}

TEST_CASE("daemon e2e: --check and a bad config give JSON paths and exit 1, nothing started") {
  Setup s;
  s.config["children"] = {s.Worker("a", "a"), s.Worker("b", "b")};
  s.config["children"][1]["shutdown"] = "soon";
  s.config["children"][0]["restrt"] = "permanent";
  std::string config = s.Write();
  auto r = Run({SUPD_BIN, "--check", "-c", config});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(Has(r.output, "children[1].shutdown"));
  CHECK(Has(r.output, "children[0].restrt"));
  r = Run({SUPD_BIN, "-c", config});
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(Has(r.output, "children[1].shutdown"));
  CHECK(Has(r.output, "nothing started"));
  CHECK_FALSE(std::filesystem::exists(s.sock));
  CHECK(ReadFile(s.log).empty());
  CHECK(s.NothingLeft());
}

// ---------------------------------------------------------------------------------------------
// 6. Shutdown precision.

// How late SIGKILL comes is measured by bench/ (SIGKILL lateness); this checks the order.
TEST_CASE("daemon e2e: SIGKILL comes after the shutdown timeout, not before") {
  Setup s;
  json stubborn = s.Worker("stubborn", "stubborn", {"--ignore-term"});
  stubborn["shutdown"] = "300ms";
  s.config["children"] = {stubborn};
  SupdProcess supd(s.Write(), s.sock, s.dir.File("supd.err"));
  REQUIRE(supd.WaitReady());
  REQUIRE(s.WaitStarts(1));
  Client events(s.sock);
  REQUIRE(FollowEvents(events));
  auto r = s.Ctl({"stop", "stubborn"});
  CHECK(r.exit_code == 0);
  std::optional<double> stopping, exited;
  while (!exited) {
    auto line = events.ReadLine(milliseconds(5000));
    if (!line) break;
    json e = json::parse(*line, nullptr, false);
    if (e.value("path", "") != "stubborn") continue;
    if (e["event"] == "stopping") stopping = e["time"].get<double>();
    if (e["event"] == "exited") {
      exited = e["time"].get<double>();
      CHECK(e.value("signal", json()).dump().find("KILL") != std::string::npos);
    }
  }
  REQUIRE(stopping);
  REQUIRE(exited);
  double late_ms = (*exited - *stopping) * 1000.0 - 300.0;
  MESSAGE("SIGKILL lateness: " << late_ms << " ms by supd's events");
  CHECK(late_ms >= -5.0);
  supd.Kill(SIGTERM);
  CHECK(ExitCode(supd.WaitExit(milliseconds(10000))) == 0);
  CHECK(s.NothingLeft());
}

// stop_order "parallel": every child gets its stop signal at once and its own SIGKILL
// deadline. Checked by the order of supd's events, not by how long the stop took.
TEST_CASE("daemon e2e: stop_order parallel signals every child before the first SIGKILL") {
  Setup s;
  json pool = {{"id", "pool"}, {"stop_order", "parallel"}, {"children", json::array()}};
  for (int i = 1; i <= 5; ++i) {
    const std::string id = "w" + std::to_string(i);
    json w = s.Worker(id, "pool/" + id, {"--ignore-term"});
    w["shutdown"] = "1s";
    pool["children"].push_back(w);
  }
  s.config["children"] = {pool};
  SupdProcess supd(s.Write(), s.sock, s.dir.File("supd.err"));
  REQUIRE(supd.WaitReady());
  REQUIRE(s.WaitStarts(5));
  Client events(s.sock);
  REQUIRE(FollowEvents(events));
  auto r = s.Ctl({"stop", "pool"});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  // The workers' stopping and exited events in supd's order, and each one's stopping time.
  std::vector<std::string> order;
  std::map<std::string, double> stopping;
  std::size_t killed = 0;
  bool pool_exited = false;
  while (!pool_exited) {
    auto line = events.ReadLine(milliseconds(10000));
    if (!line) break;
    json e = json::parse(*line, nullptr, false);
    const std::string path = e.value("path", "");
    const std::string event = e.value("event", "");
    if (path == "pool" && event == "exited") pool_exited = true;
    if (path.rfind("pool/", 0) != 0 || (event != "stopping" && event != "exited")) continue;
    order.push_back(event + " " + path);
    if (event == "stopping") stopping[path] = e["time"].get<double>();
    if (event == "exited") {
      CHECK(e.value("signal", json()).dump().find("KILL") != std::string::npos);
      ++killed;
      REQUIRE(stopping.count(path) == 1);
      // Only a lower bound: each waited its own `shutdown` before its SIGKILL.
      CHECK((e["time"].get<double>() - stopping[path]) * 1000.0 >= 1000.0 - 5.0);
    }
  }
  std::string shown;
  for (const auto& o : order) shown += o + "\n";
  INFO(shown);
  REQUIRE(pool_exited);
  CHECK(killed == 5);
  // Five stop signals (each "stopping" event goes with its signal), then the exits.
  REQUIRE(order.size() == 10);
  for (std::size_t i = 0; i < 5; ++i) CHECK(order[i].rfind("stopping pool/w", 0) == 0);
  for (std::size_t i = 5; i < 10; ++i) CHECK(order[i].rfind("exited pool/w", 0) == 0);
  CHECK(order[0] == "stopping pool/w5");  // reverse start order, as a sequential stop
  CHECK(s.Status("pool")["node"]["state"] == "stopped");
  supd.Kill(SIGTERM);
  CHECK(ExitCode(supd.WaitExit(milliseconds(10000))) == 0);
  CHECK(s.NothingLeft());
}

// ---------------------------------------------------------------------------------------------
// 7. A sticky operator stop.

TEST_CASE("daemon e2e: an operator's stop survives a restart of supd until start") {
  Setup s;
  s.config["children"] = {s.Worker("x", "x"), s.Worker("y", "y")};
  std::string config = s.Write();
  {
    SupdProcess supd(config, s.sock, s.dir.File("supd1.err"));
    REQUIRE(supd.WaitReady());
    REQUIRE(s.WaitStarts(2));
    CHECK(s.Ctl({"stop", "x"}).exit_code == 0);
    supd.Kill(SIGTERM);
    CHECK(ExitCode(supd.WaitExit(milliseconds(10000))) == 0);
  }
  {
    SupdProcess supd(config, s.sock, s.dir.File("supd2.err"));
    REQUIRE(supd.WaitReady());
    REQUIRE(s.WaitStarts(3));  // y again, not x
    CHECK(s.Status("x")["node"]["state"] == "stopped");
    CHECK(s.Status("y")["node"]["state"] == "running");
    CHECK(Has(supd.Stderr(), "\"x\" stays stopped"));
    CHECK(ProcsWithArg("x").empty());
    CHECK(s.Ctl({"start", "x"}).exit_code == 0);
    CHECK(s.Status("x")["node"]["state"] == "running");
    supd.Kill(SIGTERM);
    CHECK(ExitCode(supd.WaitExit(milliseconds(10000))) == 0);
  }
  {
    SupdProcess supd(config, s.sock, s.dir.File("supd3.err"));
    REQUIRE(supd.WaitReady());
    REQUIRE(s.WaitStarts(6));
    CHECK(
        WaitFor([&] { return s.Status("x")["node"]["state"] == "running"; }, milliseconds(10000)));
    CHECK_FALSE(Has(supd.Stderr(), "stays stopped"));
  }
  auto lines = ChildLog(s.log);
  CHECK(CountPrefix(lines, "start x") == 3);
  CHECK(CountPrefix(lines, "start y") == 3);
  CHECK(s.NothingLeft());
}

// ---------------------------------------------------------------------------------------------
// 8. kill_mode cgroup.

TEST_CASE("daemon e2e: kill_mode auto is cgroup, a stop kills grandchildren that left the group") {
  Setup s;
  std::string gc = s.dir.File("gc.pids");
  s.config["children"] = {
      s.Worker("w", "w",
               {"--fork", "2", "--fork-setsid", "--fork-ignore-term", "--fork-pidfile", gc}),
      s.Worker("other", "other")};
  s.config["children"][0]["shutdown"] = "500ms";
  SupdProcess supd(s.Write(), s.sock, s.dir.File("supd.err"));
  REQUIRE(supd.WaitReady());
  REQUIRE(s.WaitStarts(2));
  REQUIRE(WaitFor([&] { return ReadPids(gc).size() == 2; }, milliseconds(10000)));
  json st = s.Status("w");
  CHECK(st["node"]["kill_mode"] == "cgroup");
  pid_t main_pid = st["node"]["pid"].get<pid_t>();
  std::vector<pid_t> all = ReadPids(gc);
  all.push_back(main_pid);
  for (pid_t p : all) CHECK(ProcessAlive(p));
  CHECK(s.Ctl({"stop", "w"}).exit_code == 0);
  for (pid_t p : all) CHECK_FALSE(ProcessAlive(p));
  CHECK(s.Status("other")["node"]["state"] == "running");
  supd.Kill(SIGTERM);
  CHECK(ExitCode(supd.WaitExit(milliseconds(10000))) == 0);
  CHECK(s.NothingLeft());
}

}  // namespace
}  // namespace supd::e2e
