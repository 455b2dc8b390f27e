// The scenario support library: strict parsing, spec building, canonical traces, diffs.
#include <doctest/doctest.h>

#include "tests/support/scenario.h"

namespace supd::testing {
namespace {

const char* kMinimal = R"({"name": "m", "tree": {"id": "root", "type": "supervisor",
  "strategy": "one_for_all", "intensity": 2, "period": 3, "children": [
    {"id": "a", "type": "worker", "restart": "transient", "shutdown": 300,
     "ignores_sigterm": true},
    {"id": "p", "type": "supervisor", "strategy": "simple_one_for_one", "intensity": 1,
     "period": 1, "template": {"type": "worker", "restart": "temporary",
                               "shutdown": "brutal_kill", "sigterm_exit": "crash"}}]},
  "actions": [{"at_ms": 10, "crash": "root/a"},
              {"at_ms": 20, "start_child": "root/p", "name": "w1", "settle": false},
              {"at_ms": 30, "stop_tree": true}]})";

TEST_CASE("ParseScenario: every field and default") {
  const Scenario s = ParseScenario(kMinimal);
  CHECK(s.name == "m");
  CHECK(s.end_ms == 530);
  CHECK(s.root.strategy == core::Strategy::kOneForAll);
  CHECK(s.root.period_s == 3);
  REQUIRE(s.root.children.size() == 2);
  const ScenarioNode& a = s.root.children[0];
  CHECK(a.restart == core::RestartType::kTransient);
  CHECK(a.shutdown == core::Shutdown{core::Shutdown::Kind::kTimeout, 300});
  CHECK(a.ignores_sigterm);
  const ScenarioNode& p = s.root.children[1];
  CHECK(p.shutdown.kind == core::Shutdown::Kind::kInfinity);
  REQUIRE(p.child_template.size() == 1);
  CHECK(p.child_template[0].sigterm_exit == SigtermExit::kCrash);
  REQUIRE(s.actions.size() == 3);
  CHECK(s.actions[1].verb == ScenarioAction::Verb::kStartChild);
  CHECK(s.actions[1].name == "w1");
  CHECK_FALSE(s.actions[1].settle);
  CHECK(std::string(ToString(s.actions[2].verb)) == "stop_tree");
}

TEST_CASE("ParseScenario is strict") {
  auto fails = [](const std::string& text) {
    try {
      ParseScenario(text);
    } catch (const ScenarioError&) {
      return true;
    }
    return false;
  };
  const std::string tree = R"("tree": {"id": "root", "type": "supervisor"})";
  CHECK_FALSE(fails(R"({"name": "x", )" + tree + R"(, "actions": []})"));
  CHECK(fails(R"({"name": "x", )" + tree + R"(, "actions": [], "extra": 1})"));
  CHECK(fails(R"({"name": "x", "actions": []})"));
  CHECK(fails(R"({"name": "x", "tree": {"id": "top", "type": "supervisor"}, "actions": []})"));
  CHECK(fails(R"({"name": "x", "tree": {"id": "root", "type": "supervisor", "children": [
      {"id": "a", "type": "worker", "strategy": "one_for_one"}]}, "actions": []})"));
  CHECK(fails(R"({"name": "x", "tree": {"id": "root", "type": "supervisor", "children": [
      {"id": "a", "type": "worker"}, {"id": "a", "type": "worker"}]}, "actions": []})"));
  CHECK(fails(R"({"name": "x", "tree": {"id": "root", "type": "supervisor", "children": [
      {"id": "a", "type": "worker", "significant": true, "restart": "transient"}]},
      "actions": []})"));
  CHECK(fails(R"({"name": "x", )" + tree + R"(, "actions": [{"at_ms": 1}]})"));
  CHECK(fails(R"({"name": "x", )" + tree +
              R"(, "actions": [{"at_ms": 1, "crash": "root/a", "kill": "root/a"}]})"));
  CHECK(
      fails(R"({"name": "x", )" + tree +
            R"(, "actions": [{"at_ms": 5, "crash": "root/a"}, {"at_ms": 1, "crash": "root/a"}]})"));
  CHECK(fails(R"({"name": "x", )" + tree + R"(, "actions": [{"at_ms": 1, "crash": "a"}]})"));
  CHECK(fails(R"({"name": "x", )" + tree + R"(, "actions": [{"at_ms": "1", "crash": "root/a"}]})"));
  CHECK(fails("{"));
}

TEST_CASE("every shared scenario parses") {
  for (const std::string& file : ListScenarioFiles()) {
    CAPTURE(file);
    CHECK_NOTHROW(LoadScenario(file));
  }
}

TEST_CASE("BuildChildSpec: supd paths, durations and the worker command") {
  const Scenario s = ParseScenario(kMinimal);
  std::vector<std::string> seen;
  SpecOptions options;
  options.command = [&](const std::string& path, const ScenarioNode& node) {
    seen.push_back(path);
    return std::vector<std::string>{"helper", path, node.ignores_sigterm ? "ignore" : "-"};
  };
  options.ready.kind = core::ReadySpec::Kind::kNotifyFd;
  options.ready.notify_fd = 3;
  const core::ChildSpec root = BuildChildSpec(s, options);
  CHECK(root.id.empty());
  REQUIRE(root.IsSupervisor());
  CHECK(root.supervisor->period == 3000);
  CHECK(root.supervisor->intensity == 2);
  const core::ChildSpec& a = root.supervisor->children.at(0);
  CHECK(a.id == "a");
  CHECK(a.worker->command == std::vector<std::string>{"helper", "root/a", "ignore"});
  CHECK(a.worker->ready.notify_fd == 3);
  const core::ChildSpec& p = root.supervisor->children.at(1);
  REQUIRE(p.supervisor->child_template);
  CHECK(p.supervisor->child_template->shutdown.kind == core::Shutdown::Kind::kBrutalKill);
  CHECK(seen == std::vector<std::string>{"root/a", "root/p"});
  CHECK(SimpleOneForOnePaths(s) == std::vector<std::string>{"root/p"});
}

TEST_CASE("paths: scenario ↔ supd") {
  CHECK(SupdPath("root") == "");
  CHECK(SupdPath("root/sub/a") == "sub/a");
  CHECK(ScenarioPath("") == "root");
  CHECK(ScenarioPath("sub/a") == "root/sub/a");
  CHECK_THROWS_AS(SupdPath("other/a"), ScenarioError);
}

TEST_CASE("CanonicalTrace sorts runs of stop lines of one simple_one_for_one") {
  const std::vector<std::string> in = {"action stop_tree",        "stop root/p/w3 shutdown",
                                       "stop root/p/w1 killed",   "stop root/x shutdown",
                                       "stop root/p/w2 shutdown", "stop root/p/w0 shutdown"};
  CHECK(CanonicalTrace(in, {"root/p"}) ==
        std::vector<std::string>{"action stop_tree", "stop root/p/w1 killed",
                                 "stop root/p/w3 shutdown", "stop root/x shutdown",
                                 "stop root/p/w0 shutdown", "stop root/p/w2 shutdown"});
  CHECK(CanonicalTrace(in, {}) == in);
}

TEST_CASE("DiffTraces marks missing and extra lines") {
  CHECK(DiffTraces({"a", "b"}, {"a", "b"}).empty());
  CHECK(DiffTraces({"a", "b", "c"}, {"a", "x", "c"}) ==
        "--- expected\n+++ actual\n  a\n+ x\n- b\n  c\n");
}

}  // namespace
}  // namespace supd::testing
