// The control socket on a real loop (in a thread) with a fake DaemonApi and real socket
// clients: every command, access control, and the robustness rules (README, "Control protocol").
#include <doctest/doctest.h>
#include <uv.h>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "daemon/api.h"
#include "daemon/io/control/control_server.h"
#include "tests/support/skip.h"

namespace supd {
namespace {

using json = nlohmann::json;
using core::NodeState;
using core::NodeStatus;
using Clock = std::chrono::steady_clock;

NodeStatus Worker(std::string path, std::string id, NodeState state, std::optional<int> pid) {
  NodeStatus n;
  n.path = std::move(path);
  n.id = std::move(id);
  n.state = state;
  n.pid = pid;
  n.ready = state == NodeState::kRunning;
  n.since = 5000;
  return n;
}

NodeStatus Sup(std::string path, std::string id, std::vector<NodeStatus> children) {
  NodeStatus n;
  n.path = std::move(path);
  n.id = std::move(id);
  n.supervisor = true;
  n.state = NodeState::kRunning;
  n.ready = true;
  n.children = std::move(children);
  return n;
}

core::Reply Err(core::RequestId id, core::ErrorCode code, std::string message) {
  core::Reply r;
  r.request = id;
  r.error = code;
  r.message = std::move(message);
  return r;
}

io::ControlServerOptions AtPath(std::string path) {
  io::ControlServerOptions o;
  o.path = std::move(path);
  return o;
}

/// A tree: db, pipeline/{ingest,index}, jobs (simple_one_for_one). Runs on the loop.
class FakeApi : public DaemonApi {
 public:
  FakeApi() {
    NodeStatus index = Worker("pipeline/index", "index", NodeState::kBackoff, std::nullopt);
    index.restarts = 3;
    index.last_exit = NodeStatus::LastExit{core::ExitStatus::Signaled(9),
                                           core::ExitReason::kAbnormal};
    index.restart = core::RestartType::kTransient;
    root_ = Sup("", "", {Worker("db", "db", NodeState::kRunning, 100),
                         Sup("pipeline", "pipeline",
                             {Worker("pipeline/ingest", "ingest", NodeState::kRunning, 101),
                              index}),
                         Sup("jobs", "jobs", {})});
  }

  NodeStatus* Find(std::string_view path) { return Find(root_, path); }

  std::optional<NodeStatus> Status(std::string_view path) const override {
    auto* n = const_cast<FakeApi*>(this)->Find(path);
    if (!n) return std::nullopt;
    return *n;
  }
  double ToUnixTime(core::Millis ms) const override { return 1.7e9 + ms / 1000.0; }
  std::string EffectiveKillMode(std::string_view) const override { return "group"; }

  void Operate(core::OperatorRequest req, std::function<void(const core::Reply&)> done) override {
    req.request = ++requests_;
    if (req.op == core::OperatorRequest::Op::kSignal) {
      done(Signal(req));
      return;
    }
    ops.push_back(req);
    if (defer) {
      deferred.push_back([this, req, done] { done(Apply(req)); });
      return;
    }
    done(Apply(req));
  }

  core::Reply Signal(const core::OperatorRequest& req) {
    core::Reply r;
    r.request = req.request;
    NodeStatus* n = Find(req.path);
    if (!n) r = Err(req.request, core::ErrorCode::kNotFound, "no child \"" + req.path + "\"");
    else if (n->supervisor) r = Err(req.request, core::ErrorCode::kBadRequest, "not a worker");
    else if (!n->pid) r = Err(req.request, core::ErrorCode::kBadState, "not running");
    else signals.emplace_back(req.path, req.signo);
    return r;
  }

  std::uint64_t Subscribe(EventCallback cb) override {
    subs_[++next_sub_] = std::move(cb);
    return next_sub_;
  }
  std::uint64_t WatchState(std::function<void()> cb) override {
    watchers_[++next_sub_] = std::move(cb);
    return next_sub_;
  }
  void Unsubscribe(std::uint64_t token) override {
    subs_.erase(token);
    watchers_.erase(token);
  }
  /// Tells the state watchers (the executor does after each batch of core events).
  void StateChanged() {
    auto watchers = watchers_;
    for (auto& [t, cb] : watchers) cb();
  }
  std::string Version() const override { return "0.1.0-test"; }

  void Emit(core::Lifecycle::Kind kind, const std::string& path, std::string detail = {}) {
    core::Lifecycle e;
    e.kind = kind;
    e.path = path;
    e.detail = std::move(detail);
    if (auto* n = Find(path)) {
      e.supervisor = n->supervisor;
      e.pid = n->pid;
    }
    if (kind == core::Lifecycle::Kind::kExited) {
      e.reason = core::ExitReason::kShutdown;
      e.status = core::ExitStatus::Signaled(15);
    }
    auto subs = subs_;
    for (auto& [t, cb] : subs) cb(e, 1.7e9 + 1);
  }
  /// Event subscriptions plus state watches.
  std::size_t Subscribers() const { return subs_.size() + watchers_.size(); }

  bool defer = false;
  std::vector<std::function<void()>> deferred;
  std::vector<core::OperatorRequest> ops;
  std::vector<std::pair<std::string, int>> signals;

 private:
  static NodeStatus* Find(NodeStatus& n, std::string_view path) {
    if (n.path == path) return &n;
    for (auto& c : n.children) {
      if (auto* f = Find(c, path)) return f;
    }
    return nullptr;
  }

  core::Reply Apply(const core::OperatorRequest& req) {
    using Op = core::OperatorRequest::Op;
    core::Reply r;
    r.request = req.request;
    if (req.op == Op::kShutdown) return r;
    NodeStatus* n = Find(req.path);
    if (!n) return Err(req.request, core::ErrorCode::kNotFound, "no child \"" + req.path + "\"");
    switch (req.op) {
      case Op::kStart:
        if (n->state == NodeState::kRunning) {
          return Err(req.request, core::ErrorCode::kBadState, req.path + " is running");
        }
        n->state = NodeState::kRunning;
        n->pid = 200;
        Emit(core::Lifecycle::Kind::kStarted, req.path);
        Emit(core::Lifecycle::Kind::kReady, req.path);
        break;
      case Op::kStop:
        Emit(core::Lifecycle::Kind::kStopping, req.path);
        n->state = NodeState::kStopped;
        n->operator_stopped = true;
        Emit(core::Lifecycle::Kind::kExited, req.path);
        n->pid.reset();
        break;
      case Op::kRestart:
        n->pid = n->pid.value_or(0) + 1;
        n->state = NodeState::kRunning;
        break;
      case Op::kStartChild: {
        std::string id = req.id.value_or(std::to_string(n->children.size() + 1));
        n->children.push_back(
            Worker(req.path + "/" + id, id, NodeState::kRunning, 300 + int(n->children.size())));
        r.id = id;
        r.path = req.path + "/" + id;
        break;
      }
      case Op::kShutdown:
      case Op::kSignal:
      case Op::kKillAll: break;
    }
    return r;
  }

  NodeStatus root_;
  core::RequestId requests_ = 0;
  std::map<std::uint64_t, EventCallback> subs_;
  std::map<std::uint64_t, std::function<void()>> watchers_;
  std::uint64_t next_sub_ = 0;
};

/// The loop in its own thread; Run() executes a function on it and waits.
class Harness {
 public:
  explicit Harness(io::ControlServerOptions opts = {}) {
    char tmpl[] = "/tmp/supd-ctl-XXXXXX";
    dir = mkdtemp(tmpl);
    if (opts.path.empty()) opts.path = dir + "/run/supd.sock";
    path = opts.path;
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &async_, [](uv_async_t* a) {
      static_cast<Harness*>(a->data)->Drain();
    });
    async_.data = this;
    server = std::make_unique<io::ControlServer>(&loop_, opts, api);
    start_error = server->Start();
    thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
  }
  ~Harness() {
    Run([this] {
      server->Close();
      uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    });
    thread_.join();
    server.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop_) == 0);
    std::system(("rm -rf " + dir).c_str());
  }

  template <typename F>
  auto Run(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back([&task] { task(); });
    }
    uv_async_send(&async_);
    return fut.get();
  }

  std::size_t Clients() {
    return Run([this] { return server->ClientCount(); });
  }
  // Polls until `pred` holds on the loop, or the deadline.
  bool Eventually(std::function<bool()> pred, int ms = 5000) {
    auto end = Clock::now() + std::chrono::milliseconds(ms);
    while (Clock::now() < end) {
      if (Run(pred)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  FakeApi api;
  std::unique_ptr<io::ControlServer> server;
  std::optional<std::string> start_error;
  std::string dir, path;

 private:
  void Drain() {
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks.swap(tasks_);
    }
    for (auto& t : tasks) t();
  }
  uv_loop_t loop_;
  uv_async_t async_;
  std::mutex mu_;
  std::vector<std::function<void()>> tasks_;
  std::thread thread_;
};

/// A blocking test client; every read has a deadline.
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    connected = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { close(fd_); }
  bool Send(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      ssize_t n = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }
  std::optional<std::string> ReadLine(int ms = 5000) {
    auto end = Clock::now() + std::chrono::milliseconds(ms);
    while (true) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count());
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || poll(&p, 1, left) <= 0) return std::nullopt;
      char chunk[65536];
      ssize_t n = read(fd_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  json Call(const json& req, int ms = 5000) {
    if (!Send(req.dump() + "\n")) return json();
    auto line = ReadLine(ms);
    return line ? json::parse(*line, nullptr, false) : json();
  }
  /// Reads and discards until EOF; false if the connection is still open at the deadline.
  bool WaitClosed(int ms = 5000) {
    auto end = Clock::now() + std::chrono::milliseconds(ms);
    while (Clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) > 0) {
        char chunk[65536];
        ssize_t n = read(fd_, chunk, sizeof chunk);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
      }
    }
    return false;
  }
  int fd() const { return fd_; }
  bool connected = false;

 private:
  int fd_;
  std::string buf_;
};

TEST_CASE("control: start creates the socket with mode and group, refuses a live one") {
  io::ControlServerOptions opts;
  opts.mode = 0660;
  opts.gid = 100;
  Harness h(opts);
  REQUIRE_FALSE(h.start_error);
  struct stat st;
  REQUIRE(stat(h.path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0660);
  CHECK(st.st_gid == 100);
  REQUIRE(stat((h.dir + "/run").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0750);

  // A second server on the same path: another supd runs.
  uv_loop_t loop;
  uv_loop_init(&loop);
  FakeApi api;
  {
    io::ControlServerOptions o2;
    o2.path = h.path;
    io::ControlServer second(&loop, o2, api);
    auto err = second.Start();
    REQUIRE(err);
    CHECK(err->find("another supd is running") != std::string::npos);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  // The live one still works.
  Client c(h.path);
  CHECK(c.Call({{"cmd", "version"}})["version"] == "0.1.0-test");
}

TEST_CASE("control: a stale socket is replaced, a regular file is not") {
  char tmpl[] = "/tmp/supd-ctl-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string path = dir + "/supd.sock";
  {  // a socket bound and closed: nobody listens
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    close(fd);
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  FakeApi api;
  {
    io::ControlServer s(&loop, AtPath(path), api);
    CHECK_FALSE(s.Start());
    CHECK(api.Subscribers() == 2);  // events and state changes
    s.Close();
    CHECK(api.Subscribers() == 0);
    CHECK(access(path.c_str(), F_OK) != 0);  // removed on Close
  }
  close(open(path.c_str(), O_CREAT | O_WRONLY, 0600));
  {
    io::ControlServer s(&loop, AtPath(path), api);
    auto err = s.Start();
    REQUIRE(err);
    CHECK(err->find("not a socket") != std::string::npos);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  std::system(("rm -rf " + dir).c_str());
}

TEST_CASE("control: status renders NODE objects") {
  Harness h;
  REQUIRE_FALSE(h.start_error);
  Client c(h.path);
  json r = c.Call({{"cmd", "status"}});
  REQUIRE(r["ok"] == true);
  json root = r["node"];
  CHECK(root["path"] == "");
  CHECK(root["kind"] == "supervisor");
  CHECK(root["children"].size() == 3);
  json db = root["children"][0];
  CHECK(db["path"] == "db");
  CHECK(db["state"] == "running");
  CHECK(db["pid"] == 100);
  CHECK(db["since"] == doctest::Approx(1.7e9 + 5));
  CHECK(db["kill_mode"] == "group");
  CHECK(db["ready"] == true);
  CHECK(db["last_exit"].is_null());

  r = c.Call({{"cmd", "status"}, {"path", "pipeline/index"}});
  CHECK(r["node"]["state"] == "backoff");
  CHECK(r["node"]["restarts"] == 3);
  CHECK(r["node"]["restart"] == "transient");
  CHECK(r["node"]["last_exit"] == json{{"signal", "SIGKILL"}, {"reason", "abnormal"}});
  CHECK_FALSE(r["node"].contains("pid"));

  r = c.Call({{"cmd", "status"}, {"path", "pipeline/idx"}});
  CHECK(r["ok"] == false);
  CHECK(r["error"] == "not_found");
  CHECK(r["message"] == "no child \"pipeline/idx\"");
  r = c.Call({{"cmd", "status"}, {"path", "bad//path"}});
  CHECK(r["error"] == "bad_request");
}

TEST_CASE("control: operator commands, signal, start_child, version, not-yet commands") {
  Harness h;
  Client c(h.path);
  CHECK(c.Call({{"cmd", "start"}, {"path", "db"}})["error"] == "bad_state");
  CHECK(c.Call({{"cmd", "stop"}, {"path", "db"}})["ok"] == true);
  CHECK(c.Call({{"cmd", "status"}, {"path", "db"}})["node"]["state"] == "stopped");
  CHECK(c.Call({{"cmd", "start"}, {"path", "db"}})["ok"] == true);
  CHECK(c.Call({{"cmd", "restart"}, {"path", "db"}})["ok"] == true);
  CHECK(c.Call({{"cmd", "stop"}, {"path", "nope"}})["error"] == "not_found");
  CHECK(c.Call({{"cmd", "stop"}})["error"] == "bad_request");

  CHECK(c.Call({{"cmd", "signal"}, {"path", "db"}, {"signal", "SIGHUP"}})["ok"] == true);
  CHECK(c.Call({{"cmd", "signal"}, {"path", "db"}, {"signal", "usr1"}})["ok"] == true);
  CHECK(c.Call({{"cmd", "signal"}, {"path", "db"}, {"signal", 12}})["ok"] == true);
  CHECK(c.Call({{"cmd", "signal"}, {"path", "db"}, {"signal", "SIGNOPE"}})["error"] ==
        "bad_request");
  CHECK(c.Call({{"cmd", "signal"}, {"path", "pipeline"}, {"signal", "HUP"}})["error"] ==
        "bad_request");
  auto sigs = h.Run([&] { return h.api.signals; });
  REQUIRE(sigs.size() == 3);
  CHECK(sigs[0].second == SIGHUP);
  CHECK(sigs[1].second == SIGUSR1);
  CHECK(sigs[2].second == 12);

  json r = c.Call({{"cmd", "start_child"}, {"path", "jobs"}, {"args", {"--x", "1"}}});
  CHECK(r["ok"] == true);
  CHECK(r["id"] == "1");
  CHECK(r["path"] == "jobs/1");
  r = c.Call({{"cmd", "start_child"}, {"path", "jobs"}, {"id", "nightly"}});
  CHECK(r["path"] == "jobs/nightly");
  auto ops = h.Run([&] { return h.api.ops; });
  CHECK(ops.back().id == "nightly");
  CHECK(ops[ops.size() - 2].args == std::vector<std::string>{"--x", "1"});
  CHECK(c.Call({{"cmd", "start_child"}, {"path", "jobs"}, {"id", "a/b"}})["error"] ==
        "bad_request");

  r = c.Call({{"cmd", "reload"}});
  CHECK(r["error"] == "bad_request");
  CHECK(r["message"].get<std::string>().find("not available yet") != std::string::npos);
  // log is served (tests/e2e/log_capture_test.cc); a DaemonApi without capture has no
  // lines for any path.
  r = c.Call({{"cmd", "log"}, {"path", "db"}});
  CHECK(r["error"] == "not_found");
  r = c.Call({{"cmd", "version"}});
  CHECK(r["version"] == "0.1.0-test");
  CHECK(r["protocol"] == 1);
  CHECK(c.Call({{"cmd", "shutdown"}})["ok"] == true);
  CHECK(h.Run([&] { return h.api.ops.back().op; }) == core::OperatorRequest::Op::kShutdown);
}

TEST_CASE("control: malformed JSON and unknown commands keep the connection") {
  Harness h;
  Client c(h.path);
  REQUIRE(c.Send("{not json\n"));
  json r = json::parse(*c.ReadLine());
  CHECK(r["ok"] == false);
  CHECK(r["error"] == "bad_request");
  REQUIRE(c.Send("{\"cmd\":\"frobnicate\"}\n[1,2]\n{\"cmd\":\"status\",\"pth\":\"db\"}\n"));
  CHECK(json::parse(*c.ReadLine())["message"].get<std::string>().find("unknown command") == 0);
  CHECK(json::parse(*c.ReadLine())["error"] == "bad_request");
  CHECK(json::parse(*c.ReadLine())["message"].get<std::string>().find("unknown argument") !=
        std::string::npos);
  REQUIRE(c.Send(std::string(100000, '[') + "\n"));  // deep nesting
  CHECK(json::parse(*c.ReadLine())["error"] == "bad_request");
  REQUIRE(c.Send("\xff\xfe{\"cmd\":\"\xff\"}\n"));  // invalid UTF-8
  CHECK(json::parse(*c.ReadLine())["error"] == "bad_request");
  CHECK(c.Call({{"cmd", "status"}, {"path", "db"}})["ok"] == true);
}

TEST_CASE("control: a line over 1 MiB gets an error, then the connection closes") {
  Harness h;
  Client c(h.path);
  Client other(h.path);
  std::string big = "{\"cmd\":\"status\",\"path\":\"" + std::string(1 << 20, 'a');
  c.Send(big);  // may fail part-way once the server closes
  auto line = c.ReadLine();
  REQUIRE(line);
  json r = json::parse(*line);
  CHECK(r["error"] == "bad_request");
  CHECK(r["message"].get<std::string>().find("longer than") != std::string::npos);
  CHECK(c.WaitClosed());
  CHECK(other.Call({{"cmd", "version"}})["ok"] == true);
}

TEST_CASE("control: requests on one connection are answered in order") {
  Harness h;
  h.Run([&] { h.api.defer = true; });
  Client c(h.path);
  REQUIRE(c.Send("{\"cmd\":\"stop\",\"path\":\"db\"}\n{\"cmd\":\"status\",\"path\":\"db\"}\n"));
  CHECK_FALSE(c.ReadLine(200));  // the stop has not finished
  h.Run([&] {
    for (auto& f : h.api.deferred) f();
    h.api.deferred.clear();
  });
  CHECK(json::parse(*c.ReadLine())["ok"] == true);
  CHECK(json::parse(*c.ReadLine())["node"]["state"] == "stopped");

  // A client that leaves while its operation runs: the reply is dropped quietly.
  {
    Client gone(h.path);
    gone.Send("{\"cmd\":\"start\",\"path\":\"db\"}\n");
    REQUIRE(h.Eventually([&] { return h.api.deferred.size() == 1; }));
  }
  REQUIRE(h.Eventually([&] { return h.server->ClientCount() == 1; }));
  h.Run([&] {
    for (auto& f : h.api.deferred) f();
    h.api.deferred.clear();
  });
  CHECK(c.Call({{"cmd", "status"}, {"path", "db"}})["node"]["state"] == "running");
}

TEST_CASE("control: a half-closed client still gets its replies") {
  Harness h;
  h.Run([&] { h.api.defer = true; });
  Client c(h.path);
  REQUIRE(c.Send("{\"cmd\":\"stop\",\"path\":\"db\"}\n{\"cmd\":\"version\"}\n"));
  shutdown(c.fd(), SHUT_WR);  // as `nc -N` does after its input
  REQUIRE(h.Eventually([&] { return h.api.deferred.size() == 1; }));
  h.Run([&] {
    for (auto& f : h.api.deferred) f();
    h.api.deferred.clear();
  });
  CHECK(json::parse(*c.ReadLine())["ok"] == true);
  CHECK(json::parse(*c.ReadLine())["version"] == "0.1.0-test");
  CHECK(c.WaitClosed());
  CHECK(h.Eventually([&] { return h.server->ClientCount() == 0; }));
}

TEST_CASE("control: operations that finish after Close or after the server is gone") {
  Harness h;
  h.Run([&] { h.api.defer = true; });
  Client c(h.path);
  REQUIRE(c.Send("{\"cmd\":\"restart\",\"path\":\"db\"}\n"));
  REQUIRE(h.Eventually([&] { return h.api.deferred.size() == 1; }));
  h.Run([&] { h.server->Close(); });
  CHECK(c.WaitClosed());
  h.Run([&] { h.api.deferred[0](); });  // its reply has nowhere to go
  REQUIRE(h.Run([&] { return h.api.Subscribers(); }) == 0);
  h.Run([&] {
    h.server.reset();
    h.api.deferred[0]();  // nor once the server is destroyed
    h.server = std::make_unique<io::ControlServer>(nullptr, io::ControlServerOptions{}, h.api);
  });
}

TEST_CASE("control: events, recent and followed") {
  io::ControlServerOptions opts;
  opts.event_ring = 5;
  Harness h(opts);
  Client follower(h.path);
  CHECK(follower.Call({{"cmd", "events"}, {"follow", true}}) == json{{"ok", true}});
  REQUIRE(h.Eventually([&] { return h.server->ClientCount() == 1; }));
  h.Run([&] {
    for (int i = 0; i < 8; ++i) h.api.Emit(core::Lifecycle::Kind::kRestarting, "db", std::to_string(i));
    h.api.Emit(core::Lifecycle::Kind::kExited, "db");
  });
  for (int i = 0; i < 8; ++i) {
    json e = json::parse(*follower.ReadLine());
    CHECK(e["event"] == "restarting");
    CHECK(e["detail"] == std::to_string(i));
    CHECK(e["kind"] == "worker");
  }
  json e = json::parse(*follower.ReadLine());
  CHECK(e["event"] == "exited");
  CHECK(e["reason"] == "shutdown");
  CHECK(e["signal"] == "SIGTERM");
  CHECK(e["pid"] == 100);
  CHECK(e["time"] == doctest::Approx(1.7e9 + 1));

  Client c(h.path);
  json r = c.Call({{"cmd", "events"}});
  REQUIRE(r["events"].size() == 5);  // the ring keeps the last 5
  CHECK(r["events"][0]["detail"] == "4");
  CHECK(r["events"][4]["event"] == "exited");
}

TEST_CASE("control: wait") {
  Harness h;
  Client c(h.path);
  // Already there; "ready" means running.
  json r = c.Call({{"cmd", "wait"}, {"path", "db"}, {"state", "ready"}, {"timeout", "1s"}});
  CHECK(r["ok"] == true);
  CHECK(r["node"]["state"] == "running");
  // Reached later, announced by a state change (no lifecycle event needed, no polling).
  REQUIRE(c.Send(json{{"cmd", "wait"}, {"path", "pipeline/index"}, {"state", "running"},
                      {"timeout", 10}}.dump() + "\n"));
  CHECK_FALSE(c.ReadLine(100));
  h.Run([&] { h.api.Find("pipeline/index")->state = NodeState::kRunning; });
  CHECK_FALSE(c.ReadLine(300));  // nothing told the server: a poll would have answered
  h.Run([&] { h.api.StateChanged(); });
  r = json::parse(*c.ReadLine());
  CHECK(r["ok"] == true);
  // Timeout.
  auto t0 = Clock::now();
  r = c.Call({{"cmd", "wait"}, {"path", "db"}, {"state", "stopped"}, {"timeout", "300ms"}});
  auto took = Clock::now() - t0;
  CHECK(r["error"] == "timeout");
  CHECK(r["message"].get<std::string>().find("(it is running)") != std::string::npos);
  CHECK(took >= std::chrono::milliseconds(290));  // no later than Call's deadline, or r is null
  CHECK(c.Call({{"cmd", "wait"}, {"path", "nope"}, {"state", "running"}})["error"] ==
        "not_found");
  CHECK(c.Call({{"cmd", "wait"}, {"path", "db"}, {"state", "happy"}})["error"] ==
        "bad_request");
  // A waiter that leaves is forgotten.
  {
    Client gone(h.path);
    gone.Send(json{{"cmd", "wait"}, {"path", "db"}, {"state", "exited"}}.dump() + "\n");
    REQUIRE(h.Eventually([&] { return h.server->ClientCount() == 2; }));
  }
  REQUIRE(h.Eventually([&] { return h.server->ClientCount() == 1; }));
}

TEST_CASE("control: peers other than root, the daemon's uid and socket_group are forbidden") {
  if (geteuid() != 0) SUPD_SKIP("needs root to connect as other uids");
  io::ControlServerOptions opts;
  opts.mode = 0666;
  opts.gid = 4242;
  opts.daemon_uid = 0;
  Harness h(opts);
  REQUIRE(chmod(h.dir.c_str(), 0755) == 0);
  chmod((h.dir + "/run").c_str(), 0755);
  // 0: forbidden; 1: served.
  auto run_as = [&](bool in_group) {
    pid_t pid = fork();
    if (pid == 0) {
      gid_t groups[] = {4242};
      if (setgroups(in_group ? 1 : 0, groups) != 0) _exit(10);
      if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(11);
      Client c(h.path);
      if (!c.connected) _exit(12);
      c.Send("{\"cmd\":\"version\"}\n");
      auto line = c.ReadLine();
      if (!line) _exit(13);
      json r = json::parse(*line, nullptr, false);
      if (r["ok"] == true) _exit(1);
      if (r["error"] == "forbidden" && c.WaitClosed()) _exit(0);
      _exit(14);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  CHECK(run_as(false) == 0);
  CHECK(run_as(true) == 1);
  Client root(h.path);
  CHECK(root.Call({{"cmd", "version"}})["ok"] == true);
}

TEST_CASE("control: silent clients cost nothing, 500 clients at once") {
  rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 4096) {
    rl.rlim_cur = std::min<rlim_t>(4096, rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  Harness h;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 500; ++i) {
    clients.push_back(std::make_unique<Client>(h.path));
    REQUIRE(clients.back()->connected);
  }
  REQUIRE(h.Eventually([&] { return h.server->ClientCount() == 500; }));
  for (auto& c : clients) REQUIRE(c->Send("{\"cmd\":\"status\"}\n"));
  int ok = 0;
  for (auto& c : clients) {
    auto line = c->ReadLine();
    if (line && json::parse(*line)["ok"] == true) ++ok;
  }
  CHECK(ok == 500);
  clients.clear();
  CHECK(h.Eventually([&] { return h.server->ClientCount() == 0; }));
}

TEST_CASE("control: a client that never reads its replies is dropped") {
  Harness h;
  Client hog(h.path);
  fcntl(hog.fd(), F_SETFL, O_NONBLOCK);
  std::string req;
  for (int i = 0; i < 100; ++i) req += "{\"cmd\":\"status\"}\n";
  bool dropped = false;
  auto end = Clock::now() + std::chrono::seconds(20);
  while (!dropped && Clock::now() < end) {
    ssize_t n = send(hog.fd(), req.data(), req.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) dropped = true;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{hog.fd(), POLLOUT, 0};
      poll(&p, 1, 20);
      dropped = h.server->ClientCount() == 0 && h.Clients() == 0;
    }
  }
  CHECK(dropped);
  Client c(h.path);
  CHECK(c.Call({{"cmd", "version"}})["ok"] == true);
}

TEST_CASE("control: an events subscriber that falls behind is dropped") {
  Harness h;
  Client slow(h.path);
  CHECK(slow.Call({{"cmd", "events"}, {"follow", true}})["ok"] == true);
  Client fast(h.path);
  CHECK(fast.Call({{"cmd", "events"}, {"follow", true}})["ok"] == true);
  REQUIRE(h.Eventually([&] { return h.server->ClientCount() == 2; }));
  std::string detail(1000, 'x');
  std::atomic<int> seen{0};
  std::thread reader([&] {
    while (auto line = fast.ReadLine(5000)) {
      if (++seen == 8000) break;
    }
  });
  // The producer stays a little ahead of the fast reader; the slow one falls behind.
  for (int batch = 0; batch < 80; ++batch) {
    auto end = Clock::now() + std::chrono::seconds(10);
    while (seen < (batch - 2) * 100 && Clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    h.Run([&] {
      for (int i = 0; i < 100; ++i) h.api.Emit(core::Lifecycle::Kind::kRestarting, "db", detail);
    });
  }
  reader.join();
  CHECK(seen == 8000);
  CHECK(h.Clients() == 1);  // the slow one is gone, the fast one stays
  CHECK(slow.WaitClosed());
}

}  // namespace
}  // namespace supd
