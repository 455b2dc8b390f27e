// Output capture end to end (README "Logging"): a real supd, real children writing through
// the pipes supd owns, supctl log, rotation, SIGUSR1, failing destinations, back-pressure.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/e2e/harness.h"

namespace supd::e2e {
namespace {

using nlohmann::json;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// The test child with `args`, as a worker spec.
json Worker(const std::string& id, std::vector<std::string> args, json extra = json::object()) {
  args.insert(args.begin(), SUPD_TEST_CHILD);
  json w = {{"id", id}, {"command", args}, {"shutdown", "2s"}};
  for (auto& [k, v] : extra.items()) w[k] = v;
  return w;
}

/// supd on a temp dir with `children`; its stdout in supd.out (or `stdout_path`), stderr in
/// supd.err, log files under logs/.
class LogTree {
 public:
  explicit LogTree(json children, json daemon_extra = json::object(),
                   const std::string& stdout_path = {}) {
    sock = dir.File("supd.sock");
    WriteConfig(children, daemon_extra);
    out_path = stdout_path.empty() ? dir.File("supd.out") : stdout_path;
    supd = std::make_unique<SupdProcess>(dir.File("supd.json"), sock, dir.File("supd.err"),
                                         std::vector<std::string>{}, out_path);
  }
  ~LogTree() {
    if (!supd) return;
    supd->Kill(SIGTERM);
    supd->WaitExit(milliseconds(15000));
  }
  /// (Re)writes supd.json: `children` under a root that tolerates many restarts.
  void WriteConfig(const json& children, const json& daemon_extra = json::object()) {
    json daemon = {{"socket", sock}, {"state_dir", dir.File("state")},
                   {"log_dir", dir.File("logs")}};
    for (auto& [k, v] : daemon_extra.items()) daemon[k] = v;
    json config = {{"daemon", daemon}, {"intensity", 1000}, {"period", "1s"},
                   {"children", children}};
    WriteFile(dir.File("supd.json"), config.dump(2));
  }
  CommandResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {SUPCTL_BIN, "--socket", sock});
    return Run(args);
  }
  json Status(const std::string& path) {
    Client c(sock);
    auto reply = c.Call({{"cmd", "status"}, {"path", path}});
    return reply ? (*reply)["node"] : json();
  }
  std::string Out() const { return ReadFile(out_path); }
  std::string Log(const std::string& name) const { return ReadFile(dir.File("logs/" + name)); }

  TempDir dir;
  std::string sock;
  std::string out_path;
  std::unique_ptr<SupdProcess> supd;
};

// ASan's shadow memory and quarantine inflate RSS several times: the memory bounds hold
// for the release build, which is what README "Logging" measures.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kRssScale = 4;
#else
constexpr long kRssScale = 1;
#endif

long RssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

/// A `supctl log -f` running in the background, its output in a file; stopped and reaped
/// by the destructor.
class Follower {
 public:
  Follower(LogTree& t, const std::vector<std::string>& args) : path_(t.dir.File("follow.out")) {
    std::vector<std::string> argv = {SUPCTL_BIN, "--socket", t.sock, "log", "-f"};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_ = SpawnToFile(argv, path_);
  }
  ~Follower() {
    ::kill(pid_, SIGTERM);
    int st;
    ::waitpid(pid_, &st, 0);
  }
  std::string Output() const { return ReadFile(path_); }
  pid_t pid() const { return pid_; }

 private:
  std::string path_;
  pid_t pid_;
};

TEST_CASE("log e2e: \"log\" lines on supd's stdout, supctl log -n, unknown path exits 1") {
  LogTree t(json::array({Worker("w", {"--say-err", "on stderr", "--numbered", "15"})}));
  REQUIRE(t.supd->WaitReady());
  REQUIRE(WaitFor([&] { return Has(t.Out(), "w| n=00000014 "); }, milliseconds(20000)));
  REQUIRE(WaitFor([&] { return Has(t.Out(), "w| on stderr\n"); }, milliseconds(20000)));
  CHECK(Has(t.Out(), "w| n=00000000 "));

  auto r = t.Ctl({"log", "w"});
  CHECK(r.exit_code == 0);
  auto lines = Lines(r.output);
  REQUIRE(lines.size() == 10);  // like tail: 10 by default
  r = t.Ctl({"log", "-n", "2", "w"});
  CHECK(Lines(r.output) == std::vector<std::string>{lines[8], lines[9]});
  r = t.Ctl({"log", "-n", "100", "w"});
  auto all = Lines(r.output);
  CHECK(all.size() == 16);  // both streams in the ring
  CHECK(Has(r.output, "on stderr\n"));
  // stdout's lines in order; where stderr's line falls depends on which pipe supd read first.
  std::vector<std::string> numbered;
  for (const auto& l : all) {
    if (l.rfind("n=", 0) == 0) numbered.push_back(l.substr(0, 10));
  }
  REQUIRE(numbered.size() == 15);
  for (int i = 0; i < 15; ++i) {
    char want[16];
    std::snprintf(want, sizeof want, "n=%08d", i);
    CHECK(numbered[static_cast<std::size_t>(i)] == want);
  }
  r = t.Ctl({"log", "nope"});
  CHECK(r.exit_code == 1);
  CHECK(Has(r.output, "nope"));
  CHECK(t.Status("w")["log_dropped"] == 0);
}

TEST_CASE("log e2e: a crash right after a write loses nothing, a partial line is written out") {
  LogTree t(json::array(
      {Worker("c", {"--say", "last words", "--signal-self", "9"},
              {{"restart", "temporary"}, {"stdout", {{"file", "c.log"}}}}),
       Worker("p", {"--say-partial", "no newline", "--exit", "1"},
              {{"restart", "temporary"}, {"stdout", {{"file", "p.log"}}}})}));
  REQUIRE(t.supd->WaitReady());
  REQUIRE(t.Ctl({"wait", "c", "exited", "--timeout", "20s"}).exit_code == 0);
  REQUIRE(t.Ctl({"wait", "p", "exited", "--timeout", "20s"}).exit_code == 0);
  CHECK(t.Log("c.log") == "last words\n");
  CHECK(t.Log("p.log") == "no newline\n");
  CHECK(Has(t.Ctl({"log", "c"}).output, "last words"));
  CHECK(Has(t.Ctl({"log", "p"}).output, "no newline"));
}

TEST_CASE("log e2e: rotation through many files keeps every numbered line once, in order") {
  const int n = 20000;  // 2 MB of 100-byte lines through 100 KB files: ~20 rotations
  LogTree t(json::array({Worker(
      "r", {"--numbered", std::to_string(n)},
      {{"restart", "temporary"},
       {"stdout", {{"file", "r.log"}, {"max_size", "100KB"}, {"keep", 40}}}})}));
  REQUIRE(t.supd->WaitReady());
  auto all = [&] {
    std::string text;
    for (int i = 40; i >= 1; --i) text += t.Log("r.log." + std::to_string(i));
    return text + t.Log("r.log");
  };
  REQUIRE(WaitFor([&] { return all().size() >= static_cast<std::size_t>(n) * 100; },
                  milliseconds(60000)));
  auto lines = Lines(all());
  REQUIRE(lines.size() == static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    char head[16];
    std::snprintf(head, sizeof head, "n=%08d ", i);
    if (lines[static_cast<std::size_t>(i)].rfind(head, 0) != 0) {
      FAIL("line " << i << " is \"" << lines[static_cast<std::size_t>(i)].substr(0, 12) << "\"");
    }
  }
  struct stat st;
  REQUIRE(::stat(t.dir.File("logs/r.log.1").c_str(), &st) == 0);
  CHECK(st.st_size == 102400);  // 1024 lines of 100 bytes: exactly "100KB"
  CHECK(::stat(t.dir.File("logs/r.log.19").c_str(), &st) == 0);
  CHECK(::stat(t.dir.File("logs/r.log.20").c_str(), &st) != 0);
}

TEST_CASE("log e2e: SIGUSR1 reopens the file after an external mv, nothing lost or doubled") {
  LogTree t(json::array({Worker("t", {"--tick", "5"}, {{"stdout", {{"file", "t.log"}}}})}));
  REQUIRE(t.supd->WaitReady());
  REQUIRE(WaitFor([&] { return Lines(t.Log("t.log")).size() >= 20; }, milliseconds(20000)));
  REQUIRE(::rename(t.dir.File("logs/t.log").c_str(), t.dir.File("logs/t.log.old").c_str()) == 0);
  // Lines written meanwhile go to the renamed file (same inode) until the reopen.
  REQUIRE(WaitFor([&] { return Lines(t.Log("t.log.old")).size() >= 30; }, milliseconds(20000)));
  t.supd->Kill(SIGUSR1);
  REQUIRE(WaitFor([&] { return Lines(t.Log("t.log")).size() >= 20; }, milliseconds(20000)));
  auto old_lines = Lines(t.Log("t.log.old"));
  auto new_lines = Lines(t.Log("t.log"));
  std::vector<std::string> all = old_lines;
  all.insert(all.end(), new_lines.begin(), new_lines.end());
  for (std::size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i] == "tick " + std::to_string(i));
  }
}

TEST_CASE("log e2e: a 200 KiB line comes out as 64 KiB pieces, in the file and in supctl log") {
  LogTree t(json::array({Worker("b", {"--big-line", "204800", "--say", "after"},
                                {{"restart", "temporary"},
                                 {"stdout", {{"file", "b.log"}}},
                                 {"log_buffer", "1MB"}})}));
  REQUIRE(t.supd->WaitReady());
  REQUIRE(WaitFor([&] { return Has(t.Log("b.log"), "after\n"); }, milliseconds(20000)));
  auto lines = Lines(t.Log("b.log"));
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == std::string(65536, 'B'));
  CHECK(lines[1] == std::string(65536, 'B'));
  CHECK(lines[2] == std::string(65536, 'B'));
  CHECK(lines[3] == std::string(204800 - 3 * 65536, 'B'));
  CHECK(lines[4] == "after");
  auto r = t.Ctl({"log", "-n", "5", "b"});
  CHECK(Lines(r.output) == lines);
}

TEST_CASE("log e2e: JSON format keeps invalid UTF-8 escaped and supd's own lines are JSON too") {
  LogTree t(json::array({Worker("u", {"--say", "bad \\xff\\xfe ok \\xc3\\xa9"},
                                {{"restart", "temporary"}})}),
            {{"log_format", "json"}});
  REQUIRE(t.supd->WaitReady());
  REQUIRE(WaitFor([&] { return Has(t.Out(), "\"path\":\"u\""); }, milliseconds(20000)));
  bool found = false;
  for (const auto& line : Lines(t.Out())) {
    auto j = json::parse(line, nullptr, false);
    REQUIRE_MESSAGE(!j.is_discarded(), "not JSON: " << line);
    CHECK(j.contains("time"));
    if (j["path"].is_null()) {
      CHECK(j["level"].is_string());
      continue;
    }
    CHECK(j["path"] == "u");
    CHECK(j["stream"] == "stdout");
    CHECK(j["pid"].get<int>() > 0);
    CHECK(j["line"] == "bad \u00ff\u00fe ok \u00e9");  // each invalid byte as U+00XX
    found = true;
  }
  CHECK(found);
  // supd's own messages (its stderr) in the same shape.
  auto own = Lines(t.supd->Stderr());
  REQUIRE(!own.empty());
  for (const auto& line : own) {
    auto j = json::parse(line, nullptr, false);
    REQUIRE_MESSAGE(!j.is_discarded(), "not JSON: " << line);
    CHECK(j["path"].is_null());
    CHECK(j["level"].is_string());
    CHECK(j["line"].is_string());
  }
}

TEST_CASE("log e2e: supctl log -f sees lines written after it attached and a supervisor's, prefixed") {
  LogTree t(json::array({{{"id", "sup"},
                          {"children", json::array({Worker("a", {"--tick", "50"}),
                                                    Worker("b", {"--tick", "50"})})}}}));
  REQUIRE(t.supd->WaitReady());
  REQUIRE(t.Ctl({"wait", "sup/b", "ready", "--timeout", "20s"}).exit_code == 0);
  {
    // -n 0: no history, so any tick printed was written after supctl attached.
    Follower f(t, {"-n", "0", "sup/a"});
    REQUIRE(WaitFor([&] { return Has(f.Output(), "tick "); }, milliseconds(20000)));
    CHECK(!Has(f.Output(), "sup/b"));
  }
  Follower f(t, {"-n", "0", "sup"});
  REQUIRE(WaitFor([&] { return Has(f.Output(), "sup/a| tick ") && Has(f.Output(), "sup/b| tick "); },
                  milliseconds(20000)));
  // The stream ends when the daemon stops.
  t.supd->Kill(SIGTERM);
  REQUIRE(t.supd->WaitExit(milliseconds(15000)));
  CHECK(WaitFor([&] { return !ProcessAlive(f.pid()); }, milliseconds(10000)));
}

TEST_CASE("log e2e: an unwritable log file shows in status, the ring buffer keeps the lines") {
  LogTree t(json::array(
      {Worker("full", {"--tick", "5"}, {{"stdout", {{"file", "/dev/full"}}}}),
       Worker("nodir", {"--tick", "5"}, {{"stdout", {{"file", "/dev/null/not-a-dir/x.log"}}}})}));
  REQUIRE(t.supd->WaitReady());
  REQUIRE(WaitFor([&] { return t.Status("full").value("log_dropped", 0) > 0; },
                  milliseconds(20000)));
  json full = t.Status("full");
  CHECK(Has(full.value("log_error", ""), "ENOSPC"));
  REQUIRE(WaitFor([&] { return Has(t.Status("nodir").value("log_error", ""), "ENOTDIR"); },
                  milliseconds(20000)));
  CHECK(Has(t.Ctl({"log", "full"}).output, "tick "));
  CHECK(Has(t.Ctl({"log", "nodir"}).output, "tick "));
  auto r = t.Ctl({"status", "full"});
  CHECK(Has(r.output, "log: cannot write"));
  CHECK(Has(r.output, "dropped"));
  CHECK(Has(t.supd->Stderr(), "full: cannot write /dev/full"));
  CHECK(t.Status("full")["state"] == "running");
  CHECK(ProcessAlive(t.supd->pid()));
}

/// The targets of a process's open fds ("pipe:[123]", "/var/log/x.log", ...).
std::vector<std::string> FdTargets(pid_t pid) {
  std::vector<std::string> out;
  std::error_code ec;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::error_code lec;
    auto target = std::filesystem::read_symlink(it->path(), lec);
    if (!lec) out.push_back(target.string());
  }
  return out;
}

bool HoldsFd(pid_t pid, const std::string& target) {
  auto fds = FdTargets(pid);
  return std::find(fds.begin(), fds.end(), target) != fds.end();
}

TEST_CASE("log e2e: reload switches log_format at once and a file at the restart and frees a removed child's pipes") {
  json keep = Worker("k", {"--tick", "50"});
  json moved = Worker("m", {"--tick", "50"}, {{"stdout", {{"file", "m1.log"}}}});
  json gone = Worker("g", {"--tick", "50"});
  LogTree t(json::array({keep, moved, gone}));
  REQUIRE(t.supd->WaitReady());
  REQUIRE(WaitFor([&] { return Has(t.Out(), "k| tick ") && Has(t.Out(), "g| tick ") &&
                               Has(t.Log("m1.log"), "tick "); },
                  milliseconds(20000)));
  const int g_pid = t.Status("g")["pid"].get<int>();
  const int m_pid = t.Status("m")["pid"].get<int>();
  // supd holds the read end of the pipe that is g's stdout.
  std::error_code ec;
  const std::string g_pipe =
      std::filesystem::read_symlink("/proc/" + std::to_string(g_pid) + "/fd/1", ec).string();
  REQUIRE(!ec);
  REQUIRE(g_pipe.rfind("pipe:", 0) == 0);
  REQUIRE(HoldsFd(t.supd->pid(), g_pipe));

  moved["stdout"]["file"] = "m2.log";
  t.WriteConfig(json::array({keep, moved}), {{"log_format", "json"}});
  auto r = t.Ctl({"reload"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(Has(r.output, "daemon.log_format text→json"));
  // At once: k's next lines on supd's stdout are JSON objects; k was not restarted for it.
  REQUIRE(WaitFor([&] { return Has(t.Out(), "{\"time\":"); }, milliseconds(20000)));
  std::string out = t.Out();
  auto json_line = Lines(out.substr(out.find("{\"time\":")));
  auto j = json::parse(json_line.front(), nullptr, false);
  REQUIRE(!j.is_discarded());
  CHECK(j["line"].get<std::string>().rfind("tick ", 0) == 0);
  CHECK(t.Status("k")["restarts"] == 0);
  // m was restarted with its new spec and writes into m2.log; m1.log keeps what it had.
  CHECK(t.Status("m")["pid"].get<int>() != m_pid);
  REQUIRE(WaitFor([&] { return Has(t.Log("m2.log"), "tick 0\n"); }, milliseconds(20000)));
  CHECK(Has(t.Log("m1.log"), "tick 0\n"));
  // g is gone: no node, no log, and supd no longer holds its pipe.
  CHECK(t.Ctl({"log", "g"}).exit_code == 1);
  CHECK(WaitFor([&] { return !HoldsFd(t.supd->pid(), g_pipe); }, milliseconds(20000)));
  CHECK(!ProcessAlive(g_pid));
}

/// A FIFO for supd's stdout with a reader that never reads: a paused `docker logs`.
class StuckReader {
 public:
  StuckReader() : path_(dir_.File("stdout.fifo")) {
    REQUIRE(::mkfifo(path_.c_str(), 0600) == 0);
    fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(fd_ >= 0);
  }
  ~StuckReader() { ::close(fd_); }
  const std::string& path() const { return path_; }

 private:
  TempDir dir_;
  std::string path_;
  int fd_ = -1;
};

// "pipe_write" or "anon_pipe_write" (kernels differ).
bool BlockedInWrite(pid_t pid) {
  return Has(ReadFile("/proc/" + std::to_string(pid) + "/wchan"), "pipe_write");
}

TEST_CASE("log e2e: a child flooding a stuck stdout blocks and a ticking one and the socket go on") {
  StuckReader stuck;
  LogTree t(json::array({Worker("flood", {"--flood"}),
                         Worker("tick", {"--tick", "20"}, {{"stdout", {{"file", "tick.log"}}}})}),
            json::object(), stuck.path());
  REQUIRE(t.supd->WaitReady());
  REQUIRE(t.Ctl({"wait", "tick", "ready", "--timeout", "20s"}).exit_code == 0);
  int flood_pid = t.Status("flood").value("pid", 0);
  REQUIRE(flood_pid > 0);
  // The flood fills the FIFO, supd's bounded queue, then its own pipe: it blocks in write.
  REQUIRE(WaitFor([&] { return BlockedInWrite(flood_pid); }, milliseconds(30000)));
  std::size_t ticks = Lines(t.Log("tick.log")).size();
  REQUIRE(WaitFor([&] { return Lines(t.Log("tick.log")).size() >= ticks + 25; },
                  milliseconds(30000)));
  double worst_ms = 0;
  for (int i = 0; i < 20; ++i) {
    auto start = Clock::now();
    json st = t.Status("");
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    worst_ms = std::max(worst_ms, ms);
    REQUIRE(st.is_object());
  }
  long rss = RssKiB(t.supd->pid());
  MESSAGE("flood + tick: control socket worst of 20 status calls " << worst_ms
          << " ms; supd RSS " << rss << " KiB");
  CHECK(rss > 0);
  CHECK(rss < 64 * 1024 * kRssScale);  // README "Logging": a few 100 KiB per child + base
  json flood = t.Status("flood");
  CHECK(flood["state"] == "running");
  CHECK(flood["log_dropped"] == 0);  // blocked, not dropped
  CHECK(flood["pid"] == flood_pid);
}

TEST_CASE("log e2e: 100 children flooding a stuck stdout: supd's memory stays bounded") {
  StuckReader stuck;
  json children = json::array();
  for (int i = 0; i < 100; ++i) children.push_back(Worker("f" + std::to_string(i), {"--flood"}));
  LogTree t(children, json::object(), stuck.path());
  REQUIRE(t.supd->WaitReady(milliseconds(60000)));
  REQUIRE(t.Ctl({"wait", "f99", "ready", "--timeout", "60s"}).exit_code == 0);
  std::vector<int> pids;
  for (int i = 0; i < 100; ++i) pids.push_back(t.Status("f" + std::to_string(i)).value("pid", 0));
  // Every flooder blocked in write: supd holds all it will ever hold for them.
  REQUIRE(WaitFor(
      [&] {
        for (int pid : pids) {
          if (!BlockedInWrite(pid)) return false;
        }
        return true;
      },
      milliseconds(120000)));
  long rss = RssKiB(t.supd->pid());
  MESSAGE("100 flooding children, stdout stuck: supd RSS " << rss << " KiB");
  CHECK(rss > 0);
  CHECK(rss < 100 * 1024 * kRssScale);  // README "Logging" documents the bound and this measure
  auto r = t.Ctl({"status", "f0"});
  CHECK(r.exit_code == 0);
}

}  // namespace
}  // namespace supd::e2e
