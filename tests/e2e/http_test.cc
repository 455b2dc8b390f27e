// daemon.http against a real supd: /metrics through Prometheus' own linter and checked
// against the tree, /status.json against supctl, /events through curl, abusive clients,
// and the status page in a real headless Chromium. Tools that are missing make the test
// print "SKIPPED: ..." (CTest reports it skipped; README, Monitoring, says how to install).
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <cerrno>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/e2e/harness.h"

namespace supd::e2e {
namespace {

using nlohmann::json;

constexpr const char* kCurl = "/usr/bin/curl";
constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr const char* kChromium = "/usr/bin/chromium";

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool Installed(const char* tool) { return ::access(tool, X_OK) == 0; }

/// Prints the marker CTest turns into "skipped" (SKIP_REGULAR_EXPRESSION in tests/).
void Skip(const std::string& why) { MESSAGE("SKIPPED: " << why); }

/// A supd with daemon.http on 127.0.0.1 (a free port; read back from its log) and the tree
/// `children` (default: two sleepers and a supervisor that gives up at the first crash).
class HttpTree {
 public:
  explicit HttpTree(json children = nullptr) {
    sock = dir.File("supd.sock");
    if (children.is_null()) {
      children = json::array();
      children.push_back({{"id", "web"}, {"command", {"/bin/sleep", "1000"}}});
      children.push_back({{"id", "pipe"}, {"strategy", "one_for_one"}, {"intensity", 0},
                          {"children", {{{"id", "db"}, {"command", {"/bin/sleep", "1000"}}}}}});
    }
    json config = {{"daemon", {{"socket", sock}, {"state_dir", dir.File("state")},
                               {"http", {{"listen", "127.0.0.1:0"}}}}},
                   {"intensity", 10}, {"period", "60s"}, {"children", children}};
    WriteFile(dir.File("supd.json"), config.dump(2));
    supd = std::make_unique<SupdProcess>(dir.File("supd.json"), sock, dir.File("supd.err"));
    const std::string marker = "/events and / on ";
    WaitFor([&] { return Has(supd->Stderr(), marker); }, milliseconds(10000));
    std::string err = supd->Stderr();
    auto at = err.find(marker);
    if (at != std::string::npos) {
      at += marker.size();
      address = err.substr(at, err.find('\n', at) - at);
    }
  }
  ~HttpTree() {
    supd->Kill(SIGTERM);
    supd->WaitExit(milliseconds(10000));
  }

  std::string Url(const std::string& path) const { return "http://" + address + path; }
  /// curl -sS URL (body only); exit code 0 only for a 2xx status.
  CommandResult Get(const std::string& path) {
    return Run({kCurl, "-sS", "--fail", "--max-time", "30", Url(path)});
  }
  CommandResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {SUPCTL_BIN, "--socket", sock});
    return Run(args);
  }
  json Status(const std::string& path) {
    Client c(sock);
    auto r = c.Call({{"cmd", "status"}, {"path", path}});
    return r ? (*r)["node"] : json();
  }
  /// Waits until the tree is idle (every restart done).
  bool Settle() {
    return WaitFor([&] {
      Client c(sock);
      auto r = c.Call({{"cmd", "status"}});
      return r && (*r)["node"].value("idle", false);
    }, milliseconds(20000));
  }
  bool ControlAnswers() {
    Client c(sock);
    auto r = c.Call({{"cmd", "version"}}, milliseconds(10000));
    return r && (*r)["ok"] == true;
  }

  TempDir dir;
  std::string sock, address;
  std::unique_ptr<SupdProcess> supd;
};

/// The samples of a /metrics document: "name{labels}" -> value.
std::map<std::string, double> Samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

/// A TCP connection to "HOST:PORT", or -1. `nonblocking`: the connect is only started (a
/// full listen backlog would block a blocking connect for minutes).
int Connect(const std::string& address, bool nonblocking = false) {
  auto colon = address.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &a.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 &&
      !(nonblocking && errno == EINPROGRESS)) {
    close(fd);
    return -1;
  }
  return fd;
}

/// Reads until the peer closes (true) or `timeout` passes (false); appends to `out`.
bool ReadUntilClosed(int fd, std::string* out, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  char buf[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;  // EOF or reset: closed either way
    out->append(buf, static_cast<std::size_t>(n));
  }
  return false;
}

long RssKb(pid_t pid) {
  std::istringstream in(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::size_t OpenFds(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

TEST_CASE("http e2e: /metrics values follow the tree through crashes and restarts") {
  if (!Installed(kCurl)) return Skip("curl not installed (apt-get install curl)");
  HttpTree t;
  REQUIRE(t.supd->WaitReady());
  REQUIRE_FALSE(t.address.empty());
  REQUIRE(t.Settle());
  auto before = Samples(t.Get("/metrics").output);
  CHECK(before.at("supd_child_up{path=\"web\"}") == 1);
  CHECK(before.at("supd_child_restarts_total{path=\"web\"}") == 0);

  // web crashes twice (SIGKILL it did not expect): two abnormal exits, two restarts.
  for (int i = 0; i < 2; ++i) {
    int pid = t.Status("web")["pid"];
    REQUIRE(t.Ctl({"signal", "KILL", "web"}).exit_code == 0);
    REQUIRE(WaitFor([&] {
      json n = t.Status("web");
      return n["state"] == "running" && n.value("pid", 0) != pid;
    }, milliseconds(20000)));
  }
  // pipe (intensity 0) gives up at db's first crash; the root restarts pipe.
  REQUIRE(t.Ctl({"signal", "KILL", "pipe/db"}).exit_code == 0);
  REQUIRE(WaitFor([&] { return t.Status("pipe")["restarts"] == 1; }, milliseconds(20000)));
  REQUIRE(t.Settle());

  auto m = Samples(t.Get("/metrics").output);
  json web = t.Status("web");
  json pipe = t.Status("pipe");
  CHECK(m.at("supd_child_restarts_total{path=\"web\"}") == web["restarts"].get<double>());
  CHECK(m.at("supd_child_restarts_total{path=\"web\"}") == 2);
  CHECK(m.at("supd_child_exits_total{path=\"web\",reason=\"abnormal\"}") == 2);
  CHECK(m.at("supd_child_exits_total{path=\"web\",reason=\"normal\"}") == 0);
  CHECK(m.at("supd_child_up{path=\"web\"}") == 1);
  CHECK(m.at("supd_child_state{path=\"web\",state=\"running\"}") == 1);
  CHECK(m.at("supd_child_state{path=\"web\",state=\"stopped\"}") == 0);
  CHECK(m.at("supd_supervisor_gave_up_total{path=\"pipe\"}") == 1);
  CHECK(m.at("supd_child_restarts_total{path=\"pipe\"}") == pipe["restarts"].get<double>());
  CHECK(m.at("supd_child_exits_total{path=\"pipe/db\",reason=\"abnormal\"}") == 1);
  CHECK(m.at("supd_child_exits_total{path=\"pipe\",reason=\"shutdown\"}") == 1);
  CHECK(m.at("supd_child_start_seconds{path=\"web\"}") >= 0);
  CHECK(m.at("supd_child_uptime_seconds{path=\"web\"}") >= 0);
  CHECK(m.at("supd_control_requests_total{cmd=\"signal\"}") == 3);
  CHECK(m.at("supd_control_requests_total{cmd=\"status\"}") >= 1);
  CHECK(m.at("process_open_fds") > 0);
  CHECK(m.at("process_resident_memory_bytes") > 0);
  CHECK(m.at("process_start_time_seconds") > 1.6e9);

  // An operator stop: down, and the state says why.
  REQUIRE(t.Ctl({"stop", "web"}).exit_code == 0);
  m = Samples(t.Get("/metrics").output);
  CHECK(m.at("supd_child_up{path=\"web\"}") == 0);
  CHECK(m.at("supd_child_state{path=\"web\",state=\"stopped\"}") == 1);
  CHECK(m.at("supd_child_exits_total{path=\"web\",reason=\"shutdown\"}") == 1);
}

TEST_CASE("http e2e: promtool check metrics accepts /metrics") {
  if (!Installed(kCurl)) return Skip("curl not installed (apt-get install curl)");
  if (!Installed(kPromtool)) {
    return Skip("promtool not installed (scripts/deps.sh --web installs Debian's prometheus)");
  }
  HttpTree t;
  REQUIRE(t.supd->WaitReady());
  REQUIRE(t.Settle());
  REQUIRE(t.Ctl({"signal", "KILL", "web"}).exit_code == 0);
  REQUIRE(t.Settle());
  auto r = t.Get("/metrics");
  REQUIRE(r.exit_code == 0);
  WriteFile(t.dir.File("metrics.txt"), r.output);
  auto lint = Run({"/bin/sh", "-c", std::string(kPromtool) + " check metrics < " +
                                        t.dir.File("metrics.txt")});
  INFO(lint.output);
  CHECK(lint.exit_code == 0);
  CHECK(lint.output.empty());  // no lint warning either
}

TEST_CASE("http e2e: /status.json is supctl status --json and other requests get 404 405 or 421") {
  if (!Installed(kCurl)) return Skip("curl not installed (apt-get install curl)");
  HttpTree t;
  REQUIRE(t.supd->WaitReady());
  REQUIRE(t.Settle());
  // Nothing changes between the two reads of a settled tree, so the documents are equal
  // byte for byte ("since" is rendered from the same monotonic timestamps).
  auto http = t.Get("/status.json");
  auto ctl = t.Ctl({"--json", "status"});
  REQUIRE(http.exit_code == 0);
  REQUIRE(ctl.exit_code == 0);
  CHECK(http.output == ctl.output);
  CHECK(json::parse(http.output)["node"]["children"].size() == 2);

  auto code = [&](std::vector<std::string> extra, const std::string& path) {
    std::vector<std::string> argv = {kCurl, "-s", "-o", "/dev/null", "-w", "%{http_code}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(t.Url(path));
    return Run(argv).output;
  };
  CHECK(code({}, "/nope") == "404");
  CHECK(code({"-X", "POST", "-d", "x=1"}, "/metrics") == "405");
  CHECK(code({"-X", "DELETE"}, "/") == "405");
  CHECK(code({"-I"}, "/metrics") == "200");
  CHECK(code({}, "/") == "200");
  CHECK(code({"-H", "Host: localhost:9181"}, "/status.json") == "200");
  CHECK(code({"-H", "Host: rebound.example:9181"}, "/status.json") == "421");  // DNS rebinding
  auto head = Run({kCurl, "-s", "-D", "-", "-o", "/dev/null", t.Url("/metrics")}).output;
  CHECK(Has(head, "Content-Type: text/plain; version=0.0.4"));
  CHECK(t.ControlAnswers());
}

TEST_CASE("http e2e: log capture's dropped bytes in /metrics and /status.json") {
  if (!Installed(kCurl)) return Skip("curl not installed (apt-get install curl)");
  json children = json::array();
  children.push_back({{"id", "full"},
                      {"command", {SUPD_TEST_CHILD, "--tick", "5"}},
                      {"stdout", {{"file", "/dev/full"}}}});
  children.push_back({{"id", "fine"}, {"command", {"/bin/sleep", "1000"}}});
  HttpTree t(children);
  REQUIRE(t.supd->WaitReady());
  REQUIRE_FALSE(t.address.empty());
  // Every tick line written to /dev/full is dropped (ENOSPC) and counted.
  double dropped = 0;
  REQUIRE(WaitFor([&] {
    auto m = Samples(t.Get("/metrics").output);
    auto it = m.find("supd_log_dropped_bytes_total{path=\"full\"}");
    dropped = it == m.end() ? 0 : it->second;
    return dropped > 0;
  }, milliseconds(20000)));
  auto m = Samples(t.Get("/metrics").output);
  CHECK(m.at("supd_log_dropped_bytes_total{path=\"fine\"}") == 0);
  CHECK(m.at("supd_log_dropped_bytes_total{path=\"full\"}") >= dropped);  // a counter
  auto status = json::parse(t.Get("/status.json").output, nullptr, false);
  REQUIRE(!status.is_discarded());
  for (const auto& child : status["node"]["children"]) {
    if (child["path"] != "full") continue;
    CHECK(child["log_dropped"].get<double>() >= dropped);
    CHECK(Has(child.value("log_error", ""), "ENOSPC"));
  }
}

TEST_CASE("http e2e: /events streams a restart as Server-Sent Events") {
  if (!Installed(kCurl)) return Skip("curl not installed (apt-get install curl)");
  HttpTree t;
  REQUIRE(t.supd->WaitReady());
  REQUIRE(t.Settle());
  pid_t curl = SpawnToFile({kCurl, "-sN", "--max-time", "60", t.Url("/events")},
                           t.dir.File("events.txt"));
  REQUIRE(curl > 0);
  REQUIRE(WaitFor([&] { return Has(ReadFile(t.dir.File("events.txt")), "retry:"); },
                  milliseconds(20000)));
  REQUIRE(t.Ctl({"restart", "web"}).exit_code == 0);
  bool seen = WaitFor([&] {
    std::string ev = ReadFile(t.dir.File("events.txt"));
    return Has(ev, R"(data: {"event":"ready","kind":"worker","path":"web")") ||
           (Has(ev, "\"event\":\"ready\"") && Has(ev, "\"path\":\"web\""));
  }, milliseconds(20000));
  kill(curl, SIGTERM);
  waitpid(curl, nullptr, 0);
  std::string ev = ReadFile(t.dir.File("events.txt"));
  INFO(ev);
  CHECK(seen);
  CHECK(Has(ev, "data: {\"event\":\"stopping\""));
  CHECK(Has(ev, "\"event\":\"exited\""));
  CHECK(Has(ev, "\"reason\":\"shutdown\""));
  // One JSON object per data line, each line parseable.
  std::istringstream in(ev);
  int events = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("data: ", 0) != 0) continue;
    CHECK(json::parse(line.substr(6), nullptr, false).is_object());
    ++events;
  }
  CHECK(events >= 4);  // stopping, exited, started, ready
}

TEST_CASE("http e2e: garbage and a 1 MiB header and 1000 idle and slow clients leave supd serving") {
  if (!Installed(kCurl)) return Skip("curl not installed (apt-get install curl)");
  HttpTree t;
  REQUIRE(t.supd->WaitReady());
  REQUIRE(t.Settle());
  REQUIRE(t.Get("/metrics").exit_code == 0);
  const long rss_before = RssKb(t.supd->pid());

  SUBCASE("garbage: 400 and closed") {
    int fd = Connect(t.address);
    REQUIRE(fd >= 0);
    std::string junk = "\x01\x02 not http at all\r\n\r\n";
    REQUIRE(send(fd, junk.data(), junk.size(), MSG_NOSIGNAL) > 0);
    std::string reply;
    CHECK(ReadUntilClosed(fd, &reply, milliseconds(20000)));
    close(fd);
    CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);
  }
  SUBCASE("a 1 MiB header: an error status (or a reset) and closed") {
    int fd = Connect(t.address);
    REQUIRE(fd >= 0);
    std::string big = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'a') +
                      "\r\n\r\n";
    std::size_t sent = 0;
    while (sent < big.size()) {  // supd may close before it has it all
      ssize_t n = send(fd, big.data() + sent, big.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    std::string reply;
    CHECK(ReadUntilClosed(fd, &reply, milliseconds(20000)));
    close(fd);
    INFO(reply.substr(0, 200));
    CHECK((reply.empty() || reply.rfind("HTTP/1.1 4", 0) == 0));
    CHECK_FALSE(Has(reply, "HTTP/1.1 200"));
  }
  SUBCASE("1,000 idle connections: capped, and supd keeps answering") {
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < 1100) {
      lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 4096);
      setrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur < 1100) return Skip("RLIMIT_NOFILE hard limit below 1,100");
    const std::size_t fds_before = OpenFds(t.supd->pid());
    std::vector<int> idle;
    for (int i = 0; i < 1000; ++i) {
      int fd = Connect(t.address, /*nonblocking=*/true);
      if (fd >= 0) idle.push_back(fd);
    }
    CHECK(idle.size() == 1000);
    CHECK(t.ControlAnswers());
    // At most the client cap (64) is held open; the rest wait in the kernel's backlog.
    CHECK(OpenFds(t.supd->pid()) <= fds_before + 64 + 4);
    for (int fd : idle) close(fd);
    // The slots free up (closed by the peers, else by the idle timeout).
    CHECK(WaitFor([&] { return t.Get("/metrics").exit_code == 0; }, milliseconds(30000)));
  }
  SUBCASE("slowloris: dribbling clients do not block others; a stalled one is timed out") {
    std::vector<int> slow;
    for (int i = 0; i < 10; ++i) {
      int fd = Connect(t.address);
      REQUIRE(fd >= 0);
      send(fd, "GET /metrics HTTP/1.1\r\nX-A: ", 28, MSG_NOSIGNAL);
      slow.push_back(fd);
    }
    CHECK(t.Get("/metrics").exit_code == 0);
    CHECK(t.ControlAnswers());
    // No byte for idle_timeout (10 s): supd closes them.
    std::string rest;
    CHECK(ReadUntilClosed(slow[0], &rest, milliseconds(30000)));
    for (int fd : slow) close(fd);
  }
  CHECK(t.ControlAnswers());
  CHECK(t.Get("/status.json").exit_code == 0);
  const long rss_after = RssKb(t.supd->pid());
  INFO("RSS " << rss_before << " kB -> " << rss_after << " kB");
  CHECK(rss_after < rss_before + 16 * 1024);  // bounded: far below 1 MiB per client
}

/// Chromium headless on the page, a phone's width, with a fresh profile dir (two browsers
/// cannot share one); `extra` flags before the URL.
std::vector<std::string> ChromiumArgs(const HttpTree& t, std::vector<std::string> extra) {
  static int profiles = 0;
  std::vector<std::string> argv = {
      kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--user-data-dir=" + t.dir.File("chrome-" + std::to_string(++profiles)),
      "--window-size=412,900"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(t.Url("/"));
  return argv;
}

/// A headless Chromium showing one page, driven through the DevTools protocol over
/// --remote-debugging-pipe (fd 3: commands in, fd 4: replies out, NUL-terminated JSON), so
/// that the test can read the live DOM of a page that stays open. Its whole process group
/// is killed and reaped on destruction.
class LivePage {
 public:
  LivePage(std::vector<std::string> argv, const std::string& log_path) {
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      dup2(log, 1);
      dup2(log, 2);
      // Out of the way first: a pipe end may itself be fd 3 or 4.
      int rd = fcntl(to[0], F_DUPFD_CLOEXEC, 10), wr = fcntl(from[1], F_DUPFD_CLOEXEC, 10);
      dup2(rd, 3);  // dup2 clears close-on-exec on the copy
      dup2(wr, 4);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(to[0]);
    close(from[1]);
    old_sigpipe_ = signal(SIGPIPE, SIG_IGN);  // a browser that died: EPIPE, not death
    in_ = to[1];
    out_ = from[0];
  }
  ~LivePage() {
    if (old_sigpipe_ != SIG_ERR) signal(SIGPIPE, old_sigpipe_);
    if (in_ >= 0) close(in_);
    if (out_ >= 0) close(out_);
    if (pid_ > 0) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  /// Attaches to the page showing `url`. False if none shows up.
  bool Attach(const std::string& url) {
    bool ok = WaitFor([&] {
      auto r = Call("Target.getTargets", json::object());
      if (!r) return false;
      for (const json& t : (*r)["targetInfos"]) {
        if (t["type"] == "page" && t.value("url", "") == url) target_ = t["targetId"];
      }
      return !target_.empty();
    }, milliseconds(60000));
    if (!ok) return false;
    auto r = Call("Target.attachToTarget", {{"targetId", target_}, {"flatten", true}});
    if (!r) return false;
    session_ = (*r)["sessionId"];
    return true;
  }
  /// The value of a JavaScript expression in the page (JSON null on failure).
  json Eval(const std::string& expression) {
    auto r = Call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}},
                  session_);
    if (!r || !r->contains("result")) return nullptr;
    return (*r)["result"].value("value", json());
  }

 private:
  std::optional<json> Call(const std::string& method, const json& params,
                           const std::string& session = "") {
    json msg = {{"id", ++next_id_}, {"method", method}, {"params", params}};
    if (!session.empty()) msg["sessionId"] = session;
    std::string raw = msg.dump();
    raw.push_back('\0');
    if (write(in_, raw.data(), raw.size()) != static_cast<ssize_t>(raw.size())) return std::nullopt;
    auto deadline = Clock::now() + milliseconds(30000);
    while (Clock::now() < deadline) {
      auto nul = buffer_.find('\0');
      if (nul == std::string::npos) {
        pollfd p{out_, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        char buf[65536];
        ssize_t n = read(out_, buf, sizeof buf);
        if (n <= 0) return std::nullopt;
        buffer_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      json reply = json::parse(buffer_.substr(0, nul), nullptr, false);
      buffer_.erase(0, nul + 1);
      if (reply.is_object() && reply.value("id", 0) == next_id_) {
        if (reply.contains("error")) return std::nullopt;
        return reply["result"];
      }
    }
    return std::nullopt;
  }

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  sighandler_t old_sigpipe_ = SIG_ERR;
  int next_id_ = 0;
  std::string buffer_, target_, session_;
};

TEST_CASE("http e2e: the page in headless Chromium shows every child and follows a restart") {
  if (!Installed(kChromium)) {
    return Skip("chromium not installed (scripts/deps.sh --web installs it)");
  }
  if (!Installed(kCurl)) return Skip("curl not installed (apt-get install curl)");
  HttpTree t;
  REQUIRE(t.supd->WaitReady());
  REQUIRE(t.Settle());
  const std::string artifacts = std::string(SUPD_BINARY_DIR) + "/artifacts";
  std::filesystem::create_directories(artifacts);

  // Without JavaScript's help: the snapshot rendered by supd lists every child.
  auto dom = Run(ChromiumArgs(t, {"--dump-dom"}), milliseconds(120000));
  REQUIRE(dom.exit_code == 0);
  for (const char* path : {"web", "pipe", "pipe/db"}) {
    CHECK(Has(dom.output, "data-path=\"" + std::string(path) + "\""));
  }
  const int old_pid = t.Status("web")["pid"];
  CHECK(Has(dom.output, "<td class=\"pid\">" + std::to_string(old_pid) + "</td>"));
  Run(ChromiumArgs(t, {"--screenshot=" + artifacts + "/http-page-before.png"}),
      milliseconds(120000));

  // Live: a page that stays open follows the restart through /events, without a reload.
  LivePage page(ChromiumArgs(t, {"--remote-debugging-pipe"}), t.dir.File("chrome.log"));
  REQUIRE(page.Attach(t.Url("/")));
  const std::string pid_of_web =
      "(function(){var c=document.querySelector('tr[data-path=\"web\"] td.pid');"
      "return c?c.textContent:'';})()";
  REQUIRE(WaitFor([&] { return page.Eval("document.getElementById('live').textContent") == "live"; },
                  milliseconds(60000)));
  CHECK(page.Eval(pid_of_web) == std::to_string(old_pid));
  CHECK(page.Eval("document.querySelectorAll('#rows tr').length") == 3);
  REQUIRE(t.Ctl({"restart", "web"}).exit_code == 0);
  const int new_pid = t.Status("web")["pid"];
  REQUIRE(new_pid != old_pid);
  CHECK(WaitFor([&] { return page.Eval(pid_of_web) == std::to_string(new_pid); },
                milliseconds(60000)));
  CHECK(Has(page.Eval("document.getElementById('log').textContent").dump(), "ready web"));
  Run(ChromiumArgs(t, {"--screenshot=" + artifacts + "/http-page-after.png"}),
      milliseconds(120000));
  CHECK(std::filesystem::exists(artifacts + "/http-page-before.png"));
  CHECK(std::filesystem::exists(artifacts + "/http-page-after.png"));
}

}  // namespace
}  // namespace supd::e2e
