// The reload plan: a pure diff of two configs by path (what `supctl reload --dry-run`
// prints and what the supervisors apply).
#include <doctest/doctest.h>

#include "daemon/core/reload_plan.h"
#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::PlannedChange;
using core::Strategy;
using V = std::vector<std::string>;

core::Config ConfigOf(core::ChildSpec root) {
  core::Config c;
  c.path = "/etc/supd.json";
  c.root = std::move(root);
  return c;
}

/// "added a", "restart b: command, env", "policy s/t/p: shutdown 5s→10s".
V Lines(const core::ReloadPlan& plan) {
  V out;
  for (const PlannedChange& c : plan.changes) {
    std::string line = std::string(core::ToString(c.kind)) + " " + c.path;
    for (std::size_t i = 0; i < c.details.size(); ++i) line += (i ? ", " : ": ") + c.details[i];
    out.push_back(line);
  }
  return out;
}

core::ChildSpec Before() {
  return Sup("", Strategy::kOneForOne, 1, 5000,
             {Worker("a"), Worker("b"),
              Sup("s", Strategy::kRestForOne, 1, 5000,
                  {Worker("x"), Worker("y"),
                   Sup("t", Strategy::kOneForAll, 1, 5000, {Worker("p"), Worker("q")})})});
}

TEST_CASE("plan: nothing changed") {
  core::ReloadPlan plan = core::PlanReload(ConfigOf(Before()), ConfigOf(Before()), false);
  CHECK(plan.changes.empty());
  CHECK(plan.unchanged == 8);
  CHECK(plan.Summary() == "0 added, 0 removed, 0 restarted, 0 policy, 8 unchanged");
}

TEST_CASE("plan: every kind of change at three levels of nesting") {
  core::ChildSpec after = Before();
  auto& root = SupOf(after);
  WorkerOf(root.children[1]).command = {"/bin/b2"};  // b: restart
  WorkerOf(root.children[1]).env = {{"K", "V"}};
  auto& s = SupOf(root.children[2]);
  s.intensity = 5;                                   // s: policy
  s.children.erase(s.children.begin() + 1);          // s/y: removed
  auto& t = SupOf(s.children[1]);
  t.children[0].shutdown.timeout = 10000;            // s/t/p: policy
  WorkerOf(t.children[1]).normal_exit_codes = {0, 2};  // s/t/q: policy only
  t.children.push_back(Worker("r"));                 // s/t/r: added
  root.children.push_back(Worker("c"));              // c: added
  core::ReloadPlan plan = core::PlanReload(ConfigOf(Before()), ConfigOf(after), false);
  CHECK(Lines(plan) == V{"restart b: command, env", "policy s: intensity 1→5", "removed s/y",
                         "policy s/t/p: shutdown 5s→10s",
                         "policy s/t/q: normal_exit_codes [0]→[0,2]", "added s/t/r", "added c"});
  CHECK(plan.Summary() == "2 added, 1 removed, 1 restarted, 3 policy, 3 unchanged");
}

TEST_CASE("plan: moved, kind changed, reordered, simple_one_for_one, autostart") {
  core::ChildSpec before = Before();
  SupOf(before).children.push_back(
      Sup("jobs", Strategy::kSimpleOneForOne, 1, 5000, {}));
  SupOf(SupOf(before).children[3]).child_template = Worker("");
  core::ChildSpec after = DeepCopy(before);
  auto& root = SupOf(after);
  // a turns into a supervisor; b and s swap places; x moves from s to the root.
  root.children[0] = Sup("a", Strategy::kOneForOne, 1, 5000, {});
  std::swap(root.children[1], root.children[2]);
  auto& s_children = SupOf(root.children[1]).children;
  core::ChildSpec x = s_children[0];
  s_children.erase(s_children.begin());
  root.children.push_back(x);
  root.children[2].autostart = false;  // b
  auto& jobs = SupOf(root.children[3]);
  jobs.child_template = Worker("");
  WorkerOf(*jobs.child_template).command = {"/bin/job2"};
  core::ReloadPlan plan = core::PlanReload(ConfigOf(before), ConfigOf(after), false);
  CHECK(Lines(plan) == V{"policy : children order", "removed a", "added a", "removed s/x",
                         "policy b: autostart true→false",
                         "template jobs: command, new instances only", "added x"});
  plan = core::PlanReload(ConfigOf(before), ConfigOf(after), true);
  CHECK(plan.changes[5].details.back() == "running instances restarted");
  CHECK(plan.restarted == 1);
}

TEST_CASE("plan: policy vs process fields, daemon keys") {
  core::ChildSpec a = Worker("w");
  core::ChildSpec b = a;
  b.restart = core::RestartType::kTransient;
  CHECK(core::Compare(a, b) == core::SpecChange::kPolicy);
  CHECK(core::Compare(a, a) == core::SpecChange::kUnchanged);
  b = a;
  b.worker = std::make_shared<core::WorkerSpec>(*a.worker);
  WorkerOf(b).start_timeout = 1500;
  CHECK(core::PolicyChanges(a, b) == V{"start_timeout 30s→1500ms"});
  WorkerOf(b).stop_signal = 2;
  CHECK(core::Compare(a, b) == core::SpecChange::kRestart);
  CHECK(core::ProcessChanges(*a.worker, *b.worker) == V{"stop_signal"});

  core::Config before = ConfigOf(Before());
  core::Config after = before;
  after.root = DeepCopy(before.root);
  after.daemon.socket = "/run/other.sock";
  after.daemon.socket_mode = 0660;
  after.daemon.log_format = core::DaemonSpec::LogFormat::kJson;
  core::ReloadPlan plan = core::PlanReload(before, after, false);
  CHECK(plan.warnings ==
        V{"daemon.socket →/run/other.sock: takes effect at the next start of supd"});
  CHECK(plan.daemon_changes == V{"daemon.socket_mode 0600→0660", "daemon.log_format text→json"});
  CHECK(plan.changes.empty());
}

}  // namespace
}  // namespace supd::testing
