// The executor's wiring, without forking: fake process and timer layers (ninja's
// CommandRunner pattern) on a fake clock. What reaches the io, what comes back, and what
// the daemon and the control socket are told.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <set>

#include "config/loader.h"
#include "daemon/executor.h"
#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::Strategy;
using Op = core::OperatorRequest::Op;

/// Processes that exist only as records. Spawn reports ChildSpawned and ChildReady at once
/// (like "ready": "exec"), through `feed`, as the real layer may do inside Spawn.
class FakeProcesses : public io::ProcessLayer {
 public:
  void Spawn(const core::Spawn& cmd) override {
    spawns.push_back(cmd);
    live.insert(cmd.run);
    feed(core::ChildSpawned{cmd.run, static_cast<int>(1000 + cmd.run)});
    feed(core::ChildReady{cmd.run});
  }
  void Signal(const core::Signal& cmd) override { signals.push_back(cmd); }
  bool SignalByOperator(core::RunId run, int signo) override {
    operator_signals.emplace_back(run, signo);
    return delivers;
  }
  std::string EffectiveKillMode(core::RunId run) const override {
    return live.count(run) ? "group" : "";
  }
  /// The run's process ended (and nothing of its kill scope is left).
  void Exit(core::RunId run, ExitStatus status) {
    live.erase(run);
    feed(core::ChildExited{run, status});
  }
  core::RunId LastRun() const { return spawns.empty() ? 0 : spawns.back().run; }

  std::function<void(core::Event)> feed;
  std::vector<core::Spawn> spawns;
  std::vector<core::Signal> signals;
  std::vector<std::pair<core::RunId, int>> operator_signals;
  std::set<core::RunId> live;
  bool delivers = true;
};

/// Timers on a fake clock: Advance fires what falls due, in order.
class FakeTimers : public io::TimerLayer {
 public:
  void Arm(core::TimerId id, std::int64_t after_ms) override { due[id] = now + after_ms; }
  void Cancel(core::TimerId id) override { due.erase(id); }
  void Close() override { due.clear(); }
  void Advance(core::Millis ms) {
    const core::Millis until = now + ms;
    for (;;) {
      auto next = std::min_element(due.begin(), due.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
      if (next == due.end() || next->second > until) break;
      now = next->second;
      const core::TimerId id = next->first;
      due.erase(next);
      feed(core::TimerFired{id});
    }
    now = until;
  }

  std::function<void(core::Event)> feed;
  core::Millis now = 0;
  std::map<core::TimerId, core::Millis> due;
};

/// Captured output as a map path -> lines; records what the executor releases.
class FakeLogs : public io::LogLayer {
 public:
  std::optional<std::vector<std::string>> Tail(std::string_view path,
                                               std::size_t n) const override {
    auto it = lines.find(path);
    if (it == lines.end()) return std::nullopt;
    std::vector<std::string> out = it->second;
    if (out.size() > n) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(n));
    return out;
  }
  std::vector<std::string> PathsUnder(std::string_view path) const override {
    std::vector<std::string> out;
    for (const auto& [p, l] : lines) {
      if (path.empty() || p == path || p.rfind(std::string(path) + "/", 0) == 0) out.push_back(p);
    }
    return out;
  }
  std::uint64_t Follow(std::string, Follower) override { return 1; }
  void Unfollow(std::uint64_t) override {}
  std::optional<State> StateOf(std::string_view path) const override {
    if (lines.find(path) == lines.end()) return std::nullopt;
    return State{"", 7};
  }
  void Release(std::string_view path) override {
    released.emplace_back(path);
    lines.erase(lines.find(path));
  }

  std::map<std::string, std::vector<std::string>, std::less<>> lines;
  std::vector<std::string> released;
};

/// A temporary state dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/supd-executor-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// An executor over the fakes, recording what it tells the daemon.
struct Rig {
  explicit Rig(core::ChildSpec root,
               core::DaemonSpec::OnRootGiveUp on_give_up = core::DaemonSpec::OnRootGiveUp::kExit,
               std::string config_path = {})
      : log(LogLevel::kError),
        executor(MakeConfig(std::move(root), on_give_up, std::move(config_path)),
                 ExecutorIo{&processes, &timers, [this] { return timers.now; }, &logs}, log,
                 state.path(),
                 [this](const core::TreeStopped& s) { stopped.push_back(s); }) {
    processes.feed = [this](core::Event e) { executor.Feed(std::move(e)); };
    timers.feed = processes.feed;
    executor.OnTreeReady([this] { ++tree_ready; });
  }
  static core::Config MakeConfig(core::ChildSpec root, core::DaemonSpec::OnRootGiveUp g,
                                 std::string path) {
    core::Config config;
    config.path = std::move(path);
    config.root = std::move(root);
    config.daemon.on_root_give_up = g;
    return config;
  }
  /// Sends an operator request; the replies it got so far are in `replies[n]`.
  std::size_t Operate(Op op, const std::string& path, int signo = 0) {
    core::OperatorRequest req;
    req.op = op;
    req.path = path;
    req.signo = signo;
    const std::size_t n = replies.size();
    replies.emplace_back();
    executor.Operate(std::move(req), [this, n](const core::Reply& r) { replies[n].push_back(r); });
    return n;
  }

  TempDir state;
  Logger log;
  FakeProcesses processes;
  FakeTimers timers;
  FakeLogs logs;
  Executor executor;
  std::vector<core::TreeStopped> stopped;
  int tree_ready = 0;
  std::vector<std::vector<core::Reply>> replies;
};

core::ChildSpec OneWorker(int intensity = 3) {
  return Sup("", Strategy::kOneForOne, intensity, 5000, {Worker("a")});
}

TEST_CASE("executor: spawn, ready, exit and restart go through the fakes") {
  Rig r(OneWorker());
  r.executor.Start();
  REQUIRE(r.processes.spawns.size() == 1);
  const core::RunId first = r.processes.LastRun();
  CHECK(r.processes.spawns[0].path == "a");
  CHECK(r.executor.Status("a")->state == core::NodeState::kRunning);
  CHECK(r.executor.Status("a")->pid == static_cast<int>(1000 + first));
  CHECK(r.executor.EffectiveKillMode("a") == "group");

  r.processes.Exit(first, ExitStatus::Exited(1));
  REQUIRE(r.processes.spawns.size() == 2);
  CHECK(r.processes.spawns[1].path == "a");
  CHECK(r.processes.LastRun() != first);
  CHECK(r.executor.Status("a")->restarts == 1);
  CHECK(r.executor.Status("a")->state == core::NodeState::kRunning);
  CHECK(r.executor.Idle());
}

TEST_CASE("executor: an operator's reply is delivered once, when the operation is done") {
  Rig r(OneWorker());
  r.executor.Start();
  const core::RunId run = r.processes.LastRun();
  const std::size_t stop = r.Operate(Op::kStop, "a");
  REQUIRE(r.processes.signals.size() == 1);
  CHECK(r.processes.signals[0].run == run);
  CHECK(r.processes.signals[0].signo == core::kSigTerm);
  CHECK(r.replies[stop].empty());  // not before the exit
  r.processes.Exit(run, ExitStatus::Signaled(core::kSigTerm));
  REQUIRE(r.replies[stop].size() == 1);
  CHECK(r.replies[stop][0].error == core::ErrorCode::kNone);
  // Later activity never answers it again.
  r.Operate(Op::kStart, "a");
  CHECK(r.replies[stop].size() == 1);
}

TEST_CASE("executor: the stop timeout runs on the timer layer's clock, then SIGKILL") {
  Rig r(OneWorker());
  r.executor.Start();
  const core::RunId run = r.processes.LastRun();
  const std::size_t stop = r.Operate(Op::kStop, "a");
  REQUIRE(r.timers.due.size() == 1);
  r.timers.Advance(4999);
  CHECK(r.processes.signals.size() == 1);  // TERM only
  r.timers.Advance(1);
  REQUIRE(r.processes.signals.size() == 2);
  CHECK(r.processes.signals[1].signo == core::kSigKill);
  r.processes.Exit(run, ExitStatus::Signaled(core::kSigKill));
  CHECK(r.replies[stop].size() == 1);
  CHECK(r.timers.due.empty());
}

TEST_CASE("executor: lifecycle events reach subscribers in order, until they unsubscribe") {
  Rig r(OneWorker());
  std::vector<std::string> seen;
  auto token = r.executor.Subscribe([&](const core::Lifecycle& e, double unix_time) {
    CHECK(unix_time > 0);
    seen.push_back(std::string(core::ToString(e.kind)) + " " + e.path);
  });
  r.executor.Start();
  CHECK(seen == std::vector<std::string>{"started ", "started a", "ready a", "ready "});
  r.executor.Unsubscribe(token);
  r.processes.Exit(r.processes.LastRun(), ExitStatus::Exited(1));
  CHECK(seen.size() == 4);
}

TEST_CASE("executor: state watchers hear of every change, not of stale events") {
  Rig r(OneWorker());
  int changes = 0;
  r.executor.WatchState([&] { ++changes; });
  r.executor.Start();
  CHECK(changes >= 1);
  const int after_start = changes;
  r.executor.Feed(core::ChildExited{999, ExitStatus::Exited(0)});  // no such run
  CHECK(changes == after_start);
  r.executor.Feed(core::ChildStatusText{r.processes.LastRun(), "warming up"});  // no event
  CHECK(changes == after_start + 1);
  CHECK(r.executor.Status("a")->status_text == "warming up");
}

TEST_CASE("executor: TreeStopped carries supd's exit code from the core") {
  SUBCASE("give-up, on_root_give_up exit: 3, supd exits") {
    Rig r(OneWorker(0));
    r.executor.Start();
    r.processes.Exit(r.processes.LastRun(), ExitStatus::Exited(1));
    REQUIRE(r.stopped.size() == 1);
    CHECK(r.stopped[0].why == core::TreeStopped::Why::kGaveUp);
    CHECK(r.stopped[0].exit_code == 3);
    CHECK(r.stopped[0].exit);
  }
  SUBCASE("give-up, stay: supd stays; a shutdown then ends it with 0, replied once") {
    Rig r(OneWorker(0), core::DaemonSpec::OnRootGiveUp::kStay);
    r.executor.Start();
    r.processes.Exit(r.processes.LastRun(), ExitStatus::Exited(1));
    REQUIRE(r.stopped.size() == 1);
    CHECK_FALSE(r.stopped[0].exit);
    const std::size_t shutdown = r.Operate(Op::kShutdown, "");
    REQUIRE(r.stopped.size() == 2);
    CHECK(r.stopped[1].why == core::TreeStopped::Why::kShutdownRequested);
    CHECK(r.stopped[1].exit_code == 0);
    CHECK(r.stopped[1].exit);
    CHECK(r.replies[shutdown].size() == 1);
  }
  SUBCASE("shutdown of a running tree: 0 once every child is reaped") {
    Rig r(OneWorker());
    r.executor.Start();
    r.Operate(Op::kShutdown, "");
    CHECK(r.stopped.empty());
    r.processes.Exit(r.processes.LastRun(), ExitStatus::Signaled(core::kSigTerm));
    REQUIRE(r.stopped.size() == 1);
    CHECK(r.stopped[0].exit_code == 0);
  }
}

TEST_CASE("executor: READY=1 (TreeReady) is told once") {
  Rig r(Sup("", Strategy::kOneForOne, 5, 5000, {Worker("a"), Worker("b")}));
  r.executor.Start();
  CHECK(r.tree_ready == 1);
  r.processes.Exit(r.processes.LastRun(), ExitStatus::Exited(1));
  CHECK(r.processes.spawns.size() == 3);
  CHECK(r.tree_ready == 1);
}

TEST_CASE("executor: supctl signal is decided by the core, delivered by the process layer") {
  Rig r(OneWorker());
  r.executor.Start();
  const core::RunId run = r.processes.LastRun();
  const std::size_t ok = r.Operate(Op::kSignal, "a", 10);
  REQUIRE(r.replies[ok].size() == 1);
  CHECK(r.replies[ok][0].error == core::ErrorCode::kNone);
  CHECK(r.processes.operator_signals == std::vector<std::pair<core::RunId, int>>{{run, 10}});

  const std::size_t missing = r.Operate(Op::kSignal, "nope", 10);
  CHECK(r.replies[missing].at(0).error == core::ErrorCode::kNotFound);
  const std::size_t sup = r.Operate(Op::kSignal, "", 10);
  CHECK(r.replies[sup].at(0).error == core::ErrorCode::kBadRequest);
  r.processes.delivers = false;  // the main process is gone, its exit not reported yet
  const std::size_t gone = r.Operate(Op::kSignal, "a", 10);
  CHECK(r.replies[gone].at(0).error == core::ErrorCode::kBadState);
  CHECK(r.replies[gone].at(0).message == "\"a\" has no running process (state running)");
  r.processes.delivers = true;
  r.Operate(Op::kStop, "a");
  r.processes.Exit(run, ExitStatus::Signaled(core::kSigTerm));
  const std::size_t stopped = r.Operate(Op::kSignal, "a", 10);
  CHECK(r.replies[stopped].at(0).error == core::ErrorCode::kBadState);
  CHECK(r.processes.operator_signals.size() == 2);
}

TEST_CASE("reload: a second reload during the first waits, each replies once applied") {
  TempDir dir;
  const std::string file = dir.path() + "/supd.json";
  auto write = [&](const std::string& command) {
    std::ofstream(file) << R"({"children": [{"id": "a", "command": [")" << command << R"("]}]})";
  };
  write("/bin/v1");
  config::LoadResult loaded = config::LoadFile(file);
  REQUIRE(loaded.config);
  Rig rig(loaded.config->root, core::DaemonSpec::OnRootGiveUp::kExit, file);
  rig.executor.Start();
  REQUIRE(rig.processes.spawns.size() == 1);
  std::vector<std::string> done;
  auto reload = [&](const std::string& name) {
    rig.executor.Reload({}, [&done, name](const protocol::ReloadOutcome& o) {
      done.push_back(name + " " + o.plan.Summary());
    });
  };
  write("/bin/v2");
  reload("first");
  REQUIRE(rig.processes.signals.size() == 1);  // a is being stopped for its new command
  write("/bin/v3");
  reload("second");
  CHECK(rig.processes.signals.size() == 1);  // queued: nothing more happens yet
  CHECK(done.empty());
  rig.processes.Exit(rig.processes.LastRun(), ExitStatus::Exited(0));
  // The first is applied (a runs v2), then the second is planned against it.
  CHECK(rig.processes.spawns[1].spec->command == std::vector<std::string>{"/bin/v2"});
  CHECK(done == std::vector<std::string>{"first 0 added, 0 removed, 1 restarted, 0 policy, 0 unchanged"});
  REQUIRE(rig.processes.signals.size() == 2);
  rig.processes.Exit(rig.processes.LastRun(), ExitStatus::Exited(0));
  CHECK(rig.processes.spawns[2].spec->command == std::vector<std::string>{"/bin/v3"});
  CHECK(done.size() == 2);
  // A dry run replies at once and changes nothing.
  write("/bin/v4");
  rig.executor.Reload({true, false}, [&done](const protocol::ReloadOutcome& o) {
    done.push_back(std::string("dry ") + (o.dry_run ? "yes" : "no"));
  });
  CHECK(done.back() == "dry yes");
  CHECK(rig.processes.signals.size() == 2);
}

TEST_CASE("log: a worker's tail and state come from the log layer, a supervisor's are prefixed") {
  Rig r(Sup("", Strategy::kOneForOne, 3, 5000,
            {Worker("a"), Sup("g", Strategy::kOneForOne, 3, 5000, {Worker("b")})}));
  r.executor.Start();
  r.logs.lines["a"] = {"a1", "a2", "a3"};
  r.logs.lines["g/b"] = {"b1"};
  CHECK(*r.executor.LogTail("a", 2) == std::vector<std::string>{"a2", "a3"});
  CHECK(*r.executor.LogTail("g", 10) == std::vector<std::string>{"g/b| b1"});
  CHECK(*r.executor.LogTail("", 1) == std::vector<std::string>{"a| a3", "g/b| b1"});
  CHECK_FALSE(r.executor.LogTail("nope", 10));
  CHECK(r.executor.LogStateOf("a")->dropped == 7);
  CHECK_FALSE(r.executor.LogStateOf("g"));
}

TEST_CASE("reload: a removed child's capture is released once it is stopped, kept ones stay") {
  TempDir dir;
  const std::string file = dir.path() + "/supd.json";
  auto write = [&](const std::string& ids) {
    std::ofstream(file) << R"({"children": [)" << ids << "]}";
  };
  write(R"({"id": "a", "command": ["/bin/a"]}, {"id": "b", "command": ["/bin/b"]},
           {"id": "c", "command": ["/bin/c"]})");
  config::LoadResult loaded = config::LoadFile(file);
  REQUIRE(loaded.config);
  Rig rig(loaded.config->root, core::DaemonSpec::OnRootGiveUp::kExit, file);
  rig.executor.Start();
  REQUIRE(rig.processes.spawns.size() == 3);
  for (const char* p : {"a", "b", "c"}) rig.logs.lines[p] = {std::string(p) + " said"};
  // c is stopped by an operator: a reload that removes it has no exit to wait for.
  rig.Operate(Op::kStop, "c");
  rig.processes.Exit(rig.processes.spawns[2].run, ExitStatus::Signaled(SIGTERM));
  CHECK(rig.logs.released.empty());  // stopped, still in the tree: its log stays readable
  write(R"({"id": "a", "command": ["/bin/a"]})");
  bool done = false;
  rig.executor.Reload({}, [&done](const protocol::ReloadOutcome&) { done = true; });
  REQUIRE(rig.processes.signals.size() == 2);  // c's stop, then b's
  CHECK(rig.logs.released.empty());            // b still runs: its last lines may come
  rig.processes.Exit(rig.processes.spawns[1].run, ExitStatus::Signaled(SIGTERM));
  CHECK(done);
  std::sort(rig.logs.released.begin(), rig.logs.released.end());
  CHECK(rig.logs.released == std::vector<std::string>{"b", "c"});
  CHECK(rig.logs.PathsUnder("") == std::vector<std::string>{"a"});
  CHECK(rig.executor.LogTail("a", 10)->size() == 1);
}

}  // namespace
}  // namespace supd::testing
