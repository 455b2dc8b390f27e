// Readiness end to end (README, "Readiness": `ready`, `start_timeout`, `watchdog`): a real supd,
// real children, supctl. Children log "TS start P" / "TS ready P" / "TS stop P R" with
// CLOCK_REALTIME nanoseconds (supd_test_child --log-ts), so order and timing are proven
// from the children's own point of view.
#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <map>
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

struct LogLine {
  long long ms = 0;  // CLOCK_REALTIME
  std::string what, path, reason;
};

std::vector<LogLine> ReadLog(const std::string& file) {
  std::vector<LogLine> out;
  std::istringstream in(ReadFile(file));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    LogLine l;
    long long ns = 0;
    if (!(words >> ns >> l.what >> l.path)) continue;
    words >> l.reason;
    l.ms = ns / 1000000;
    out.push_back(l);
  }
  return out;
}

std::string Render(const std::vector<LogLine>& log) {
  std::string s;
  for (const auto& l : log) s += l.what + " " + l.path + (l.reason.empty() ? "" : " " + l.reason) + "\n";
  return s;
}

long long RealtimeMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/// A supd on a generated config; stopped (SIGTERM, then SIGKILL) on destruction.
class Daemon {
 public:
  Daemon() : sock(dir.File("supd.sock")), log(dir.File("children.log")) {}
  /// Writes `tree` (plus the daemon section) and starts supd on it.
  void Start(json tree) {
    tree["daemon"] = {{"socket", sock}, {"state_dir", dir.File("state")}};
    WriteFile(dir.File("supd.json"), tree.dump(2));
    supd = std::make_unique<SupdProcess>(dir.File("supd.json"), sock, dir.File("supd.err"));
  }
  ~Daemon() {
    if (supd) {
      supd->Kill(SIGTERM);
      if (!supd->WaitExit(milliseconds(10000))) supd->Kill(SIGKILL);
    }
  }
  /// A worker: supd_test_child with the log contract and `args`.
  json Worker(const std::string& id, const std::string& path, std::vector<std::string> args) {
    std::vector<std::string> argv = {SUPD_TEST_CHILD, "--log", log, "--log-ts", "--path", path};
    argv.insert(argv.end(), args.begin(), args.end());
    return {{"id", id}, {"command", argv}, {"shutdown", "2s"}};
  }
  CommandResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {SUPCTL_BIN, "--socket", sock});
    return Run(args);
  }
  json Node(const std::string& path) {
    auto r = Ctl({"--json", "status", path});
    json j = json::parse(r.output.substr(0, r.output.find('\n')), nullptr, false);
    return j.is_object() && j.contains("node") ? j["node"] : json();
  }

  TempDir dir;
  std::string sock, log;
  std::unique_ptr<SupdProcess> supd;
};

// "TS ready P" lines are written right before the newline to the notify fd.
const std::vector<std::string> kNotifyLater = {"--notify-fd", "3", "--sleep-ms", "300",
                                               "--notify-now"};

json NotifyFd(json worker) {
  worker["ready"] = {{"notify_fd", 3}};
  return worker;
}

TEST_CASE("readiness e2e: a notify_fd pipeline starts each child after the previous is ready") {
  Daemon d;
  json children = json::array();
  // a takes 2 s to be ready, long enough for status to see it `starting` on a loaded
  // machine under ASan (with 300 ms the window was missed once in CI); b and c 300 ms.
  const std::vector<std::string> notify_slow = {"--notify-fd", "3", "--sleep-ms", "2000",
                                                "--notify-now"};
  for (const char* id : {"a", "b", "c"}) {
    children.push_back(
        NotifyFd(d.Worker(id, id, std::string(id) == "a" ? notify_slow : kNotifyLater)));
  }
  d.Start({{"children", children}});
  REQUIRE(d.supd->WaitReady());
  // While a is not ready, it is `starting` and b has not started.
  // a and b read from one status snapshot: two reads would race a's readiness.
  std::string b_state;
  bool seen_starting = WaitFor([&] {
    auto r = d.Ctl({"--json", "status"});
    json reply = json::parse(r.output.substr(0, r.output.find('\n')), nullptr, false);
    if (!reply.is_object() || !reply.contains("node")) return false;
    const json& root = reply["node"];
    if (!root.contains("children")) return false;
    json a, b;
    for (const json& c : root["children"]) {
      if (c["id"] == "a") a = c;
      if (c["id"] == "b") b = c;
    }
    if (!a.is_object() || a["state"] != "starting") return false;
    b_state = b.is_object() ? b["state"].get<std::string>() : "";
    return true;
  }, milliseconds(5000));
  CHECK(seen_starting);
  if (seen_starting) CHECK(b_state == "stopped");
  REQUIRE(d.Ctl({"wait", "c", "ready", "--timeout", "10s"}).exit_code == 0);
  auto log = ReadLog(d.log);
  REQUIRE_MESSAGE(log.size() == 6, Render(log));
  const char* order[] = {"start a", "ready a", "start b", "ready b", "start c", "ready c"};
  for (int i = 0; i < 6; ++i) CHECK(log[i].what + " " + log[i].path == order[i]);
  CHECK(log[2].ms >= log[1].ms);  // b started after a was ready
  CHECK(log[4].ms >= log[3].ms);
  CHECK(log[5].ms - log[0].ms >= 3 * 300 - 30);
  for (const char* id : {"a", "b", "c"}) {
    json n = d.Node(id);
    CHECK(n["state"] == "running");
    CHECK(n["ready"] == true);
    CHECK(n["ready_after_ms"].get<long long>() >= 290);
  }
  auto status = d.Ctl({"status"});
  CHECK(Has(status.output, "READY IN"));
  auto tree = d.Ctl({"tree"});
  CHECK(Has(tree.output, "ready in "));
}

TEST_CASE("readiness e2e: supctl wait PATH ready, for every kind, status shows STATUS=") {
  Daemon d;
  std::string flag = d.dir.File("probe.flag");
  json children = json::array();
  children.push_back(d.Worker("exec", "exec", {}));
  json after = d.Worker("after", "after", {});
  after["ready"] = {{"after", "300ms"}};
  children.push_back(after);
  children.push_back(NotifyFd(d.Worker("fd", "fd", kNotifyLater)));
  json sd = d.Worker("sd", "sd", {"--sleep-ms", "300", "--sd-notify", "READY=1\\nSTATUS=serving 42"});
  sd["ready"] = "sd_notify";
  children.push_back(sd);
  json probe = d.Worker("probe", "probe", {"--sleep-ms", "300", "--write-pidfile", flag});
  probe["ready"] = {{"command", {"/bin/sh", "-c", "test -s " + flag}}, {"interval", "50ms"}};
  children.push_back(probe);
  json shell = {{"id", "shell"},
                {"command", {"/bin/sh", "-c", "sleep 0.3; systemd-notify --ready; exec sleep 1000"}},
                {"ready", "sd_notify"}};
  children.push_back(shell);
  d.Start({{"children", children}});
  REQUIRE(d.supd->WaitReady());
  for (const char* id : {"exec", "after", "fd", "sd", "probe", "shell"}) {
    auto r = d.Ctl({"wait", id, "ready", "--timeout", "10s"});
    CHECK_MESSAGE(r.exit_code == 0, id << ": " << r.output);
    json n = d.Node(id);
    CHECK(n["ready"] == true);
    if (std::string(id) != "exec") CHECK_MESSAGE(n["ready_after_ms"].get<long long>() >= 250, id);
  }
  CHECK(d.Node("sd")["status_text"] == "serving 42");
  auto status = d.Ctl({"status"});
  CHECK(Has(status.output, "STATUS TEXT"));
  CHECK(Has(status.output, "serving 42"));
  CHECK(Has(d.Ctl({"tree"}).output, "\"serving 42\""));
}

TEST_CASE("readiness e2e: start_timeout: stopped with its shutdown, counted by intensity") {
  Daemon d;
  json w = NotifyFd(d.Worker("slow", "slow", {"--notify-fd", "3", "--notify-hold"}));
  w["start_timeout"] = "1s";
  d.Start({{"intensity", 1}, {"period", "60s"}, {"children", json::array({w})}});
  // Start, timeout (restart 1 of 1), start, timeout (restart 2 > intensity 1): give up.
  auto st = d.supd->WaitExit(milliseconds(20000));
  REQUIRE(st.has_value());
  CHECK(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 3);
  std::string err = d.supd->Stderr();
  std::size_t expired = 0;
  for (std::size_t at = 0; (at = err.find("start_timeout expired", at)) != std::string::npos;
       ++at) {
    ++expired;
  }
  CHECK_MESSAGE(expired == 2, err);
  CHECK(Has(err, "restart 1 of 1"));
  CHECK(Has(err, "reached max restart intensity"));
  // Each start the child got to log was stopped by the stop signal (its `shutdown`), about
  // start_timeout after the spawn.
  auto log = ReadLog(d.log);
  CHECK_MESSAGE(log.size() % 2 == 0, Render(log));
  for (std::size_t i = 0; i + 1 < log.size(); i += 2) {
    CHECK(log[i].what == "start");
    CHECK(log[i + 1].what == "stop");
    CHECK(log[i + 1].reason == "shutdown");
    CHECK(log[i + 1].ms - log[i].ms >= 800);  // start_timeout runs from the spawn
  }
  d.supd.reset();
}

TEST_CASE("readiness e2e: rest_for_one restart waits for readiness, in order") {
  Daemon d;
  json children = json::array();
  for (const char* id : {"a", "b", "c"}) {
    children.push_back(NotifyFd(d.Worker(id, id, {"--notify-fd", "3", "--sleep-ms", "200",
                                                  "--notify-now"})));
  }
  d.Start({{"strategy", "rest_for_one"}, {"intensity", 5}, {"children", children}});
  REQUIRE(d.supd->WaitReady());
  REQUIRE(d.Ctl({"wait", "c", "ready", "--timeout", "10s"}).exit_code == 0);
  std::size_t before = ReadLog(d.log).size();
  REQUIRE(before == 6);
  REQUIRE(d.Ctl({"signal", "USR1", "b"}).exit_code == 0);  // b crashes (exit 1)
  REQUIRE(WaitFor([&] { return ReadLog(d.log).size() >= before + 6; }, milliseconds(10000)));
  REQUIRE(d.Ctl({"wait", "c", "ready", "--timeout", "10s"}).exit_code == 0);
  auto all = ReadLog(d.log);
  std::vector<LogLine> log(all.begin() + static_cast<long>(before), all.end());
  REQUIRE_MESSAGE(log.size() == 6, Render(log));
  CHECK(Render(log) == "stop b crash\nstop c shutdown\nstart b\nready b\nstart c\nready c\n");
  CHECK(log[4].ms >= log[3].ms);        // c started only after b was ready again
  CHECK(log[3].ms - log[2].ms >= 190);  // b took its 200 ms
  CHECK(d.Node("a")["restarts"] == 0);
  CHECK(d.Node("b")["restarts"] == 1);
}

TEST_CASE("readiness e2e: sd_notify watchdog: silence kills the child, an abnormal exit") {
  Daemon d;
  json w = d.Worker("dog", "dog", {"--sd-notify", "READY=1", "--sd-ping", "100", "5"});
  w["ready"] = "sd_notify";
  w["watchdog"] = "300ms";
  d.Start({{"intensity", 10}, {"children", json::array({w})}});
  REQUIRE(d.supd->WaitReady());
  REQUIRE(WaitFor([&] {
    json n = d.Node("dog");
    return n.is_object() && n["restarts"].get<int>() >= 1;
  }, milliseconds(10000)));
  json n = d.Node("dog");
  CHECK(n["last_exit"]["signal"] == "SIGKILL");
  CHECK(n["last_exit"]["reason"] == "abnormal");
  // The restarted child writes its own "start" line; status can show the restart first.
  REQUIRE(WaitFor([&] { return ReadLog(d.log).size() >= 2; }, milliseconds(10000)));
  auto log = ReadLog(d.log);
  CHECK(log[1].what == "start");
  CHECK(log[1].ms - log[0].ms >= 400 + 300 - 50);  // 5 pings 100 ms apart, then 300 ms
}

TEST_CASE("readiness e2e: supd's own READY=1 only once the whole tree is ready") {
  TempDir listen_dir;
  std::string addr_path = listen_dir.File("notify.sock");
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", addr_path.c_str());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);

  Daemon d;
  json children = json::array();
  children.push_back(NotifyFd(d.Worker("a", "a", kNotifyLater)));
  children.push_back({{"id", "sub"},
                      {"children", json::array({NotifyFd(d.Worker("b", "sub/b", kNotifyLater))})}});
  setenv("NOTIFY_SOCKET", addr_path.c_str(), 1);
  d.Start({{"children", children}});
  unsetenv("NOTIFY_SOCKET");

  std::vector<std::string> messages;
  long long ready_at = 0;
  auto deadline = Clock::now() + milliseconds(10000);
  while (ready_at == 0 && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) continue;
    messages.emplace_back(buf, static_cast<std::size_t>(n));
    if (messages.back().find("READY=1") != std::string::npos) ready_at = RealtimeMs();
  }
  REQUIRE_MESSAGE(ready_at != 0, "no READY=1 from supd");
  auto log = ReadLog(d.log);
  REQUIRE_MESSAGE(log.size() == 4, Render(log));
  CHECK(Render(log) == "start a\nready a\nstart sub/b\nready sub/b\n");
  CHECK(ready_at >= log[3].ms);  // after the last child of the tree was ready
  CHECK(d.Node("sub/b")["state"] == "running");
  for (const auto& m : messages) {
    if (&m != &messages.back()) CHECK(m.find("READY=1") == std::string::npos);
  }
  close(fd);
}

}  // namespace
}  // namespace supd::e2e
