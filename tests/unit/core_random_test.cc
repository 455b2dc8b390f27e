// Randomised runs of the core against simulated children, checking the invariants the
// executor relies on: never a signal after an exit was seen, every request answered once,
// every armed timer fired or cancelled at most once, idle once everything settled.
#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::Millis;
using Op = core::OperatorRequest::Op;

/// An argument of a worker with shutdown infinity: it must obey its stop signal, or
/// the stop would never end.
constexpr const char* kMustObey = "--must-obey-stop";

core::ChildSpec RandomWorker(std::mt19937& rng, const std::string& id) {
  core::ChildSpec w = Worker(id, static_cast<core::RestartType>(rng() % 3));
  const int s = static_cast<int>(rng() % 3);
  w.shutdown = s == 0   ? core::Shutdown{core::Shutdown::Kind::kBrutalKill, 0}
               : s == 1 ? core::Shutdown{core::Shutdown::Kind::kTimeout, 100}
                        : core::Shutdown{core::Shutdown::Kind::kInfinity, 0};
  // Marks the command, which the Spawn carries: the fake process layer reads it there.
  if (s == 2) WorkerOf(w).command.push_back(kMustObey);
  if (rng() % 4 == 0) {
    WorkerOf(w).ready.kind = core::ReadySpec::Kind::kNotifyFd;
    WorkerOf(w).start_timeout = 50;
  }
  return w;
}

core::ChildSpec RandomSup(std::mt19937& rng, const std::string& id, int depth) {
  const auto strategy = static_cast<core::Strategy>(rng() % 4);
  std::vector<core::ChildSpec> children;
  if (strategy != core::Strategy::kSimpleOneForOne) {
    const int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      const std::string cid = std::string(1, static_cast<char>('a' + i));
      children.push_back(depth < 2 && rng() % 4 == 0 ? RandomSup(rng, cid, depth + 1)
                                                     : RandomWorker(rng, cid));
    }
  }
  core::ChildSpec s = Sup(id, strategy, static_cast<int>(rng() % 4), 1000, std::move(children),
                          static_cast<core::RestartType>(rng() % 3));
  if (strategy == core::Strategy::kSimpleOneForOne) {
    SupOf(s).child_template = RandomWorker(rng, "");
    SupOf(s).max_children = 3;
  }
  SupOf(s).restart_mode = static_cast<core::RestartMode>(rng() % 3);
  SupOf(s).restart_order = static_cast<core::RestartOrder>(rng() % 2);
  SupOf(s).stop_order = static_cast<core::StopOrder>(rng() % 2);
  if (rng() % 3 == 0) SupOf(s).backoff = core::BackoffSpec{10, 100, 2.0, 0.5, 500};
  if (depth == 0) s.restart = core::RestartType::kPermanent;
  return s;
}

void CollectPaths(const core::NodeStatus& n, std::vector<std::string>& out) {
  out.push_back(n.path);
  for (const auto& c : n.children) CollectPaths(c, out);
}

class World {
 public:
  World(core::ChildSpec root, unsigned seed)
      : tree_(std::move(root), [this] { return std::uniform_real_distribution<>(0, 1)(rng_); }),
        rng_(seed) {}

  void Run(int steps) {
    Apply(tree_.Start(now_));
    for (int i = 0; i < steps && !stopped_; ++i) {
      const int dice = static_cast<int>(rng_() % 10);
      if (dice < 4 && !events_.empty()) {
        Deliver();
      } else if (dice < 6 && !timers_.empty()) {
        FireOne();
      } else if (dice < 8) {
        Crash();
      } else {
        Operate();
      }
    }
    Operate(Op::kShutdown);
    for (int guard = 0; guard < 100000 && !(stopped_ && events_.empty()); ++guard) {
      if (!events_.empty()) {
        Deliver();
      } else if (!timers_.empty()) {
        FireOne();
      } else {
        break;
      }
    }
    CHECK(stopped_);
    CHECK(tree_.Idle());
    CHECK(live_.empty());
    for (core::RequestId r = 1; r <= next_request_; ++r) CHECK_MESSAGE(replies_[r] == 1, r);
  }

 private:
  void Apply(const std::vector<core::Command>& commands) {
    for (const auto& c : commands) {
      if (const auto* s = std::get_if<core::Spawn>(&c)) {
        CHECK(!spawned_.contains(s->run));
        spawned_.insert(s->run);
        // Exactly one instance of every child: no live run of the same path.
        for (const auto& [run, path] : path_of_)
          CHECK_MESSAGE(!(path == s->path && !seen_exit_.contains(run)), "two runs of " << path);
        path_of_[s->run] = s->path;
        if (rng_() % 10 == 0) {
          events_.push_back(core::SpawnFailed{s->run, "exec failed"});
        } else {
          live_.insert(s->run);
          events_.push_back(core::ChildSpawned{s->run, static_cast<int>(s->run)});
          // Exec readiness always follows the spawn; other kinds may never come.
          const bool exec = s->spec->ready.kind == core::ReadySpec::Kind::kExec;
          if (exec || rng_() % 5 != 0) events_.push_back(core::ChildReady{s->run});
          if (std::ranges::count(s->spec->command, std::string(kMustObey)) != 0)
            must_obey_.insert(s->run);
        }
      } else if (const auto* s = std::get_if<core::Signal>(&c)) {
        CHECK_MESSAGE(!seen_exit_.contains(s->run), "signal after exit, run " << s->run);
        if (live_.erase(s->run)) {
          // Only a child with a shutdown timeout may ignore its stop signal for good.
          const bool dies =
              s->signo == core::kSigKill || must_obey_.contains(s->run) || rng_() % 4 != 0;
          if (dies) {
            events_.push_back(core::ChildExited{s->run, core::ExitStatus::Signaled(s->signo)});
          } else {
            live_.insert(s->run);  // ignores the stop signal
          }
        }
      } else if (const auto* t = std::get_if<core::ArmTimer>(&c)) {
        CHECK(!timers_.contains(t->timer));
        timers_[t->timer] = now_ + t->after;
      } else if (const auto* t = std::get_if<core::CancelTimer>(&c)) {
        CHECK(timers_.erase(t->timer) == 1);
      } else if (const auto* r = std::get_if<core::Reply>(&c)) {
        ++replies_[r->request];
      } else if (std::holds_alternative<core::TreeStopped>(c)) {
        stopped_ = true;
      }
    }
  }

  void Deliver() {
    const core::Event e = events_.front();
    events_.pop_front();
    if (const auto* x = std::get_if<core::ChildExited>(&e)) seen_exit_.insert(x->run);
    if (const auto* x = std::get_if<core::SpawnFailed>(&e)) seen_exit_.insert(x->run);
    Apply(tree_.Handle(e, now_));
  }

  void FireOne() {
    auto next = timers_.begin();
    for (auto it = timers_.begin(); it != timers_.end(); ++it)
      if (it->second < next->second) next = it;
    now_ = std::max(now_, next->second);
    const core::TimerId id = next->first;
    timers_.erase(next);
    Apply(tree_.Handle(core::TimerFired{id}, now_));
  }

  void Crash() {
    if (live_.empty()) return;
    auto it = live_.begin();
    std::advance(it, static_cast<long>(rng_() % live_.size()));
    const core::RunId run = *it;
    live_.erase(it);
    now_ += static_cast<Millis>(rng_() % 300);
    events_.push_back(
        core::ChildExited{run, core::ExitStatus::Exited(static_cast<int>(rng_() % 2))});
  }

  void Operate(std::optional<Op> forced = std::nullopt) {
    std::vector<std::string> paths;
    if (auto root = tree_.Status("")) CollectPaths(*root, paths);
    paths.push_back("nope");
    core::OperatorRequest r;
    r.request = ++next_request_;
    r.op = forced ? *forced : static_cast<Op>(rng_() % 4);
    r.path = paths[rng_() % paths.size()];
    Apply(tree_.Handle(r, now_));
  }

  core::Tree tree_;
  std::mt19937 rng_;
  Millis now_ = 0;
  std::deque<core::Event> events_;
  std::map<core::TimerId, Millis> timers_;
  std::set<core::RunId> spawned_, live_, seen_exit_, must_obey_;
  std::map<core::RequestId, int> replies_;
  std::map<core::RunId, std::string> path_of_;
  core::RequestId next_request_ = 0;
  bool stopped_ = false;
};

TEST_CASE("random runs keep the executor's invariants") {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    World world(RandomSup(rng, "", 0), seed);
    world.Run(200);
  }
}

}  // namespace
}  // namespace supd::testing
