// Runs every conformance scenario against the pure core with a fake clock and simulated
// children, and compares the trace with the one real Erlang/OTP produced.
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/core/tree.h"
#include "tests/support/scenario.h"

namespace supd::testing {
namespace {

using core::Millis;

/// A simulated world: children that log like the Erlang driver's workers, timers on a
/// fake clock, and the tree in between.
class CoreSimulation {
 public:
  explicit CoreSimulation(const Scenario& scenario)
      : scenario_(scenario), tree_(BuildChildSpec(scenario), [] { return 0.5; }) {
    Index(scenario.root, "root");
  }

  std::vector<std::string> Run() {
    Apply(tree_.Start(now_));
    for (const ScenarioAction& action : scenario_.actions) {
      RunUntil(action.at_ms);
      if (action.settle) Settle();
      Perform(action);
    }
    Settle();
    RunUntil(scenario_.end_ms);
    Settle();
    return trace_;
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  struct Proc {
    std::string path;  // scenario path
    const ScenarioNode* node = nullptr;
    bool alive = true;
    bool exit_delivered = false;
  };
  struct Pending {
    core::Event event;
    std::string line;  // written when the event is delivered (supd's reap of a SIGKILL)
  };

  void Index(const ScenarioNode& n, const std::string& path) {
    nodes_[path] = &n;
    for (const ScenarioNode& c : n.children) Index(c, path + "/" + c.id);
  }

  const ScenarioNode* NodeOf(const std::string& path) {
    if (auto it = nodes_.find(path); it != nodes_.end()) return it->second;
    const std::string parent = path.substr(0, path.rfind('/'));
    if (auto it = nodes_.find(parent); it != nodes_.end() && !it->second->child_template.empty())
      return &it->second->child_template.front();
    return nullptr;
  }

  void Error(const std::string& what) { errors_.push_back(what); }

  void Apply(const std::vector<core::Command>& commands) {
    for (const core::Command& c : commands) std::visit([&](const auto& cmd) { On(cmd); }, c);
  }

  void On(const core::Spawn& s) {
    const std::string path = ScenarioPath(s.path);
    const ScenarioNode* node = NodeOf(path);
    if (node == nullptr) return Error("spawn of unknown path " + path);
    procs_[s.run] = Proc{path, node};
    live_[path] = s.run;
    trace_.push_back("start " + path);
    events_.push_back({core::ChildSpawned{s.run, static_cast<int>(1000 + s.run)}, {}});
    events_.push_back({core::ChildReady{s.run}, {}});
  }

  void On(const core::Signal& s) {
    auto it = procs_.find(s.run);
    if (it == procs_.end()) return Error("signal to unknown run");
    Proc& p = it->second;
    if (p.exit_delivered) return Error("signal after the exit was seen: " + p.path);
    if (!p.alive) return;  // dead, exit not delivered yet: the signal finds nothing
    if (s.signo == core::kSigKill) {
      Die(s.run, core::ExitStatus::Signaled(core::kSigKill), "stop " + p.path + " killed");
      return;
    }
    if (p.node->ignores_sigterm) return;
    switch (p.node->sigterm_exit) {
      case SigtermExit::kShutdown:
        trace_.push_back("stop " + p.path + " shutdown");
        Die(s.run, core::ExitStatus::Exited(0), {});
        break;
      case SigtermExit::kCrash:
        trace_.push_back("stop " + p.path + " crash");
        Die(s.run, core::ExitStatus::Exited(1), {});
        break;
      case SigtermExit::kNormal:
        trace_.push_back("stop " + p.path + " normal");
        Die(s.run, core::ExitStatus::Exited(0), {});
        break;
    }
  }

  void On(const core::ArmTimer& t) { timers_[t.timer] = now_ + t.after; }
  void On(const core::CancelTimer& t) { timers_.erase(t.timer); }
  void On(const core::Reply& r) { replies_[r.request] = r; }
  void On(const core::TreeStopped&) { stopped_ = true; }
  void On(const core::TreeReady&) {}  // systemd's READY=1: not part of an OTP trace
  void On(const core::OperatorSignal&) { Error("operator signal: scenarios send none"); }
  void On(const core::Lifecycle& l) {
    if (!l.supervisor) return;
    const std::string path = ScenarioPath(l.path);
    switch (l.kind) {
      case core::Lifecycle::Kind::kStarted:
        trace_.push_back("sup_start " + path);
        break;
      case core::Lifecycle::Kind::kGaveUp:
        trace_.push_back("sup_give_up " + path + " reached_max_restart_intensity");
        break;
      case core::Lifecycle::Kind::kExited:
        trace_.push_back("sup_exit " + path + " shutdown");
        break;
      default:
        break;
    }
  }

  void Die(core::RunId run, core::ExitStatus status, std::string line) {
    Proc& p = procs_[run];
    p.alive = false;
    if (auto it = live_.find(p.path); it != live_.end() && it->second == run) live_.erase(it);
    events_.push_back({core::ChildExited{run, status}, std::move(line)});
  }

  bool Step() {
    if (events_.empty()) return false;
    Pending e = std::move(events_.front());
    events_.pop_front();
    if (!e.line.empty()) trace_.push_back(e.line);
    if (const auto* x = std::get_if<core::ChildExited>(&e.event))
      procs_[x->run].exit_delivered = true;
    Apply(tree_.Handle(e.event, now_));
    return true;
  }

  bool FireNextTimer(std::optional<Millis> limit) {
    if (timers_.empty()) return false;
    auto next = std::min_element(timers_.begin(), timers_.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    if (limit && next->second > *limit) return false;
    const core::TimerId id = next->first;
    now_ = std::max(now_, next->second);
    timers_.erase(next);
    Apply(tree_.Handle(core::TimerFired{id}, now_));
    return true;
  }

  void RunUntil(Millis t) {
    while (Step() || FireNextTimer(t)) {
    }
    now_ = std::max(now_, t);
  }

  void Settle() {
    for (int guard = 0; guard < 100000; ++guard) {
      while (Step()) {
      }
      if (stopped_ || tree_.Idle()) return;
      if (!FireNextTimer(std::nullopt)) return Error("not idle and nothing left to happen");
    }
    Error("settle did not converge");
  }

  std::string AwaitReply(core::RequestId id) {
    for (int guard = 0; guard < 100000 && !replies_.contains(id); ++guard) {
      if (!Step() && !FireNextTimer(std::nullopt)) break;
    }
    auto it = replies_.find(id);
    if (it == replies_.end()) {
      Error("no reply");
      return "noreply";
    }
    const core::Reply& r = it->second;
    if (r.error == core::ErrorCode::kNone) return "ok";
    return "error:" + (r.otp_error.empty() ? std::string(core::ToString(r.error)) : r.otp_error);
  }

  std::string Request(core::OperatorRequest::Op op, const std::string& path,
                      std::optional<std::string> id = std::nullopt) {
    core::OperatorRequest r;
    r.request = ++next_request_;
    r.op = op;
    r.path = SupdPath(path);
    r.id = std::move(id);
    Apply(tree_.Handle(r, now_));
    return AwaitReply(r.request);
  }

  void SelfExit(const std::string& path, core::ExitStatus status, const std::string& line,
                bool line_at_reap) {
    auto it = live_.find(path);
    if (it == live_.end()) return Error("action on a worker that is not running: " + path);
    if (!line_at_reap) trace_.push_back(line);
    Die(it->second, status, line_at_reap ? line : std::string{});
  }

  void Perform(const ScenarioAction& a) {
    using Verb = ScenarioAction::Verb;
    using Op = core::OperatorRequest::Op;
    const std::string verb = ToString(a.verb);
    switch (a.verb) {
      case Verb::kStopTree:
        trace_.push_back("action stop_tree");
        Request(Op::kShutdown, "root");
        break;
      case Verb::kStartChild: {
        const std::string path = a.path + "/" + a.name;
        trace_.push_back("action start_child " + path);
        trace_.push_back("result start_child " + path + " " +
                         Request(Op::kStartChild, a.path, a.name));
        break;
      }
      case Verb::kTerminateChild:
        trace_.push_back("action " + verb + " " + a.path);
        trace_.push_back("result " + verb + " " + a.path + " " + Request(Op::kStop, a.path));
        break;
      case Verb::kRestartChild:
        trace_.push_back("action " + verb + " " + a.path);
        trace_.push_back("result " + verb + " " + a.path + " " + Request(Op::kStart, a.path));
        break;
      case Verb::kWhichChildren:
        trace_.push_back("action " + verb + " " + a.path);
        trace_.push_back(WhichChildren(a.path));
        break;
      case Verb::kCrash:
        trace_.push_back("action " + verb + " " + a.path);
        SelfExit(a.path, core::ExitStatus::Exited(1), "stop " + a.path + " crash", false);
        break;
      case Verb::kExitNormal:
        trace_.push_back("action " + verb + " " + a.path);
        SelfExit(a.path, core::ExitStatus::Exited(0), "stop " + a.path + " normal", false);
        break;
      case Verb::kExitShutdown:
        trace_.push_back("action " + verb + " " + a.path);
        SelfExit(a.path, core::ExitStatus::Exited(0), "stop " + a.path + " shutdown", false);
        break;
      case Verb::kKill:
        trace_.push_back("action " + verb + " " + a.path);
        SelfExit(a.path, core::ExitStatus::Signaled(core::kSigKill), "stop " + a.path + " killed",
                 true);
        break;
    }
  }

  std::string WhichChildren(const std::string& path) {
    std::string line = "children " + path;
    const auto status = tree_.Status(SupdPath(path));
    if (!status) {
      Error("which_children of unknown " + path);
      return line;
    }
    const ScenarioNode* node = NodeOf(path);
    std::vector<std::string> items;
    for (const core::NodeStatus& c : status->children) {
      const bool running = c.state == core::NodeState::kRunning;
      if (node && node->strategy == core::Strategy::kSimpleOneForOne) {
        if (running) items.push_back(c.id + ":running");
      } else if (running) {
        items.push_back(c.id + ":running");
      } else if (c.restart != core::RestartType::kTemporary) {
        items.push_back(c.id + ":stopped");
      }
    }
    if (node && node->strategy == core::Strategy::kSimpleOneForOne)
      std::sort(items.begin(), items.end());
    for (const std::string& i : items) line += " " + i;
    return line;
  }

  const Scenario& scenario_;
  core::Tree tree_;
  Millis now_ = 0;
  std::map<std::string, const ScenarioNode*> nodes_;
  std::map<core::RunId, Proc> procs_;
  std::map<std::string, core::RunId> live_;
  std::deque<Pending> events_;
  std::map<core::TimerId, Millis> timers_;
  std::map<core::RequestId, core::Reply> replies_;
  core::RequestId next_request_ = 0;
  bool stopped_ = false;
  std::vector<std::string> trace_;
  std::vector<std::string> errors_;
};

// Runs every scenario of `dir` and reports each difference from OTP as a failure.
void RunAll(const std::string& dir) {
  const std::vector<std::string> files = ListScenarioFiles(dir);
  REQUIRE_FALSE(files.empty());
  int passed = 0;
  for (const std::string& file : files) {
    try {
      const Scenario scenario = LoadScenario(file);
      CoreSimulation sim(scenario);
      const auto sofo = SimpleOneForOnePaths(scenario);
      const auto actual = CanonicalTrace(sim.Run(), sofo);
      const auto expected = CanonicalTrace(ReadExpectedTrace(scenario.name, dir), sofo);
      const std::string diff = DiffTraces(expected, actual);
      for (const std::string& e : sim.errors()) FAIL_CHECK(scenario.name << ": " << e);
      if (!diff.empty()) FAIL_CHECK(scenario.name << " differs from OTP:\n" << diff);
      if (diff.empty() && sim.errors().empty()) ++passed;
    } catch (const ScenarioError& e) {
      FAIL_CHECK(e.what());
    }
  }
  MESSAGE(passed << " of " << files.size() << " scenarios of " << dir << " pass");
}

TEST_CASE("conformance: every scenario against the core") {
  RunAll(ConformanceDir());
}

TEST_CASE("conformance: supd's extra OTP scenarios against the core") {
  RunAll(ExtraConformanceDir());
}

}  // namespace
}  // namespace supd::testing
