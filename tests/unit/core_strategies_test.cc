// Strategies, branch restarts (restart_mode × restart_order), escalation and the
// "one thing at a time" rule. Names follow OTP's supervisor_SUITE where one matches.
#include <doctest/doctest.h>

#include <map>

#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::RestartType;
using core::Strategy;
using V = std::vector<std::string>;

CoreHarness Three(Strategy strategy, int intensity = 1) {
  return CoreHarness(Sup("", strategy, intensity, 5000, {Worker("a"), Worker("b"), Worker("c")}));
}

void StartAll(CoreHarness& h, core::RunId n) {
  h.Start();
  for (core::RunId r = 1; r <= n; ++r) h.Up(r);
}

TEST_CASE("restart_one_for_one: only the failed child, escalation at the root") {
  CoreHarness h = Three(Strategy::kOneForOne);
  StartAll(h, 3);
  CHECK(h.Exit(2, ExitStatus::Exited(1)) ==
        V{"exited b abnormal code=1", "restarting b: restart 1 of 1 within 5s", "spawn r4 b"});
  CHECK(h.Up(4) == V{"started b", "ready b"});
  h.Advance(1000);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) == V{"exited a abnormal code=1",
                                              "gave_up sup -: more than 1 restarts within 5s",
                                              "stopping c", "signal r3 TERM", "arm t1 5000"});
  CHECK(h.Exit(3, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited c shutdown code=0", "stopping b", "signal r4 TERM", "arm t2 5000"});
  CHECK(h.Exit(4, ExitStatus::Exited(0)) == V{"cancel t2", "exited b shutdown code=0",
                                              "exited sup - shutdown", "tree_stopped gave_up 3"});
}

TEST_CASE("restart_one_for_all: stop the others right to left, start all, escalation") {
  CoreHarness h = Three(Strategy::kOneForAll);
  StartAll(h, 3);
  CHECK(h.Exit(2, ExitStatus::Exited(1)) == V{"exited b abnormal code=1",
                                              "restarting b: restart 1 of 1 within 5s",
                                              "stopping c", "signal r3 TERM", "arm t1 5000"});
  CHECK(h.Exit(3, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited c shutdown code=0", "stopping a", "signal r1 TERM", "arm t2 5000"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) ==
        V{"cancel t2", "exited a shutdown code=0", "spawn r4 a"});
  CHECK(h.Up(4) == V{"started a", "ready a", "spawn r5 b"});
  CHECK(h.Up(5) == V{"started b", "ready b", "spawn r6 c"});
  CHECK(h.Up(6) == V{"started c", "ready c"});
  CHECK(h.tree().Idle());
  CHECK(h.Exit(4, ExitStatus::Exited(1)) == V{"exited a abnormal code=1",
                                              "gave_up sup -: more than 1 restarts within 5s",
                                              "stopping c", "signal r6 TERM", "arm t3 5000"});
  CHECK(h.Exit(6, ExitStatus::Exited(0)) ==
        V{"cancel t3", "exited c shutdown code=0", "stopping b", "signal r5 TERM", "arm t4 5000"});
  CHECK(h.Exit(5, ExitStatus::Exited(0)) == V{"cancel t4", "exited b shutdown code=0",
                                              "exited sup - shutdown", "tree_stopped gave_up 3"});
}

TEST_CASE("restart_rest_for_one: the failed child and those after it, escalation") {
  CoreHarness h = Three(Strategy::kRestForOne);
  StartAll(h, 3);
  CHECK(h.Exit(2, ExitStatus::Exited(1)) == V{"exited b abnormal code=1",
                                              "restarting b: restart 1 of 1 within 5s",
                                              "stopping c", "signal r3 TERM", "arm t1 5000"});
  CHECK(h.Exit(3, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited c shutdown code=0", "spawn r4 b"});
  CHECK(h.Up(4) == V{"started b", "ready b", "spawn r5 c"});
  CHECK(h.Up(5) == V{"started c", "ready c"});
  CHECK(h.Exit(5, ExitStatus::Exited(1)) == V{"exited c abnormal code=1",
                                              "gave_up sup -: more than 1 restarts within 5s",
                                              "stopping b", "signal r4 TERM", "arm t2 5000"});
}

TEST_CASE("intensity window: restarts older than the period are forgotten") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 1000, {Worker("a")}));
  StartAll(h, 1);
  h.Advance(200);
  h.Exit(1, ExitStatus::Exited(1));
  h.Up(2);
  h.Advance(1001);
  CHECK(h.Exit(2, ExitStatus::Exited(1)) ==
        V{"exited a abnormal code=1", "restarting a: restart 1 of 1 within 1s", "spawn r3 a"});
  h.Up(3);
  h.Advance(1000);  // now - t <= period: still counted
  CHECK(h.Exit(3, ExitStatus::Exited(1)) == V{"exited a abnormal code=1",
                                              "gave_up sup -: more than 1 restarts within 1s",
                                              "exited sup - shutdown", "tree_stopped gave_up 3"});
}

// Drives children that stop at once on SIGTERM and become ready at once, and returns the
// sequence of "stop X" / "start X" the core asked for.
V Drive(CoreHarness& h, V first) {
  std::map<core::RunId, std::string> path_of;
  for (const core::Command& c : h.all())
    if (const auto* s = std::get_if<core::Spawn>(&c)) path_of[s->run] = s->path;
  V out;
  std::vector<std::string> pending = std::move(first);
  while (!pending.empty()) {
    const std::string cmd = pending.front();
    pending.erase(pending.begin());
    unsigned long long run = 0;
    char path[64] = {0};
    V next;
    if (std::sscanf(cmd.c_str(), "spawn r%llu %63s", &run, path) == 2) {
      path_of[run] = path;
      out.push_back(std::string("start ") + path);
      next = h.Up(run);
    } else if (std::sscanf(cmd.c_str(), "signal r%llu", &run) == 1) {
      out.push_back("stop " + path_of[run]);
      next = h.Exit(run, ExitStatus::Exited(0));
    }
    pending.insert(pending.begin(), next.begin(), next.end());
  }
  return out;
}

V BranchOrder(Strategy strategy, core::RestartMode mode, core::RestartOrder order) {
  core::ChildSpec root =
      Sup("", strategy, 5, 5000, {Worker("a"), Worker("b"), Worker("c"), Worker("d")});
  SupOf(root).restart_mode = mode;
  SupOf(root).restart_order = order;
  CoreHarness h(std::move(root));
  Drive(h, h.Start());
  return Drive(h, h.Exit(2, ExitStatus::Exited(1)));
}

TEST_CASE("restart_mode × restart_order of a one_for_all branch restart") {
  using M = core::RestartMode;
  using O = core::RestartOrder;
  const Strategy ofa = Strategy::kOneForAll;
  CHECK(BranchOrder(ofa, M::kRevOrder, O::kRightToLeft) ==
        V{"stop d", "stop c", "stop a", "start a", "start b", "start c", "start d"});
  CHECK(BranchOrder(ofa, M::kRevOrder, O::kLeftToRight) ==
        V{"stop a", "stop c", "stop d", "start d", "start c", "start b", "start a"});
  CHECK(BranchOrder(ofa, M::kInOrder, O::kRightToLeft) ==
        V{"stop d", "stop c", "stop a", "start d", "start c", "start b", "start a"});
  CHECK(BranchOrder(ofa, M::kInOrder, O::kLeftToRight) ==
        V{"stop a", "stop c", "stop d", "start a", "start b", "start c", "start d"});
  CHECK(BranchOrder(ofa, M::kEach, O::kRightToLeft) ==
        V{"stop d", "start d", "stop c", "start c", "start b", "stop a", "start a"});
  CHECK(BranchOrder(ofa, M::kEach, O::kLeftToRight) ==
        V{"stop a", "start a", "start b", "stop c", "start c", "stop d", "start d"});
}

TEST_CASE("restart_mode × restart_order of a rest_for_one branch restart") {
  using M = core::RestartMode;
  using O = core::RestartOrder;
  const Strategy rfo = Strategy::kRestForOne;
  CHECK(BranchOrder(rfo, M::kRevOrder, O::kRightToLeft) ==
        V{"stop d", "stop c", "start b", "start c", "start d"});
  CHECK(BranchOrder(rfo, M::kInOrder, O::kLeftToRight) ==
        V{"stop c", "stop d", "start b", "start c", "start d"});
  CHECK(BranchOrder(rfo, M::kEach, O::kLeftToRight) ==
        V{"start b", "stop c", "start c", "stop d", "start d"});
}

TEST_CASE("temporary_bystander: a temporary child stopped by a branch restart stays down") {
  CoreHarness h(
      Sup("", Strategy::kOneForAll, 3, 5000, {Worker("a"), Worker("t", RestartType::kTemporary)}));
  Drive(h, h.Start());
  CHECK(Drive(h, h.Exit(1, ExitStatus::Exited(1))) == V{"stop t", "start a"});
  CHECK(h.tree().Status("t")->state != core::NodeState::kRunning);
  CHECK(h.tree().Idle());
}

TEST_CASE("a transient child that exited normally is started again by a branch restart") {
  CoreHarness h(
      Sup("", Strategy::kOneForAll, 3, 5000, {Worker("a"), Worker("t", RestartType::kTransient)}));
  Drive(h, h.Start());
  CHECK(h.Exit(2, ExitStatus::Exited(0)) == V{"exited t normal code=0"});
  CHECK(Drive(h, h.Exit(1, ExitStatus::Exited(1))) == V{"start a", "start t"});
}

TEST_CASE("queued exits: a child the branch had to stop is found dead, not counted") {
  CoreHarness h = Three(Strategy::kOneForAll, 5);
  StartAll(h, 3);
  CHECK(h.Exit(3, ExitStatus::Exited(1)) == V{"exited c abnormal code=1",
                                              "restarting c: restart 1 of 5 within 5s",
                                              "stopping b", "signal r2 TERM", "arm t1 5000"});
  // a dies while the supervisor waits for b: queued, found dead, never restarted alone.
  CHECK(h.Exit(1, ExitStatus::Exited(1)) == V{"exited a abnormal code=1"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited b shutdown code=0", "spawn r4 a"});
  CHECK(Drive(h, {"spawn r4 a"}) == V{"start a", "start b", "start c"});
  CHECK(h.tree().Idle());
  CHECK(h.Exit(4, ExitStatus::Exited(1))[1] == "restarting a: restart 2 of 5 within 5s");
}

TEST_CASE("queued exits: an exit outside the branch is a new, counted restart afterwards") {
  CoreHarness h(Sup("", Strategy::kRestForOne, 5, 5000,
                    {Worker("a"), Worker("b"), Worker("c"), Worker("d")}));
  StartAll(h, 4);
  CHECK(h.Exit(3, ExitStatus::Exited(1)) == V{"exited c abnormal code=1",
                                              "restarting c: restart 1 of 5 within 5s",
                                              "stopping d", "signal r4 TERM", "arm t1 5000"});
  CHECK(h.Exit(1, ExitStatus::Exited(1)) == V{"exited a abnormal code=1"});
  CHECK(h.Exit(4, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited d shutdown code=0", "spawn r5 c"});
  CHECK(h.Up(5) == V{"started c", "ready c", "spawn r6 d"});
  CHECK(h.Up(6) == V{"started d", "ready d", "restarting a: restart 2 of 5 within 5s", "stopping d",
                     "signal r6 TERM", "arm t2 5000"});
  CHECK(Drive(h, h.Exit(6, ExitStatus::Exited(0))) ==
        V{"stop c", "stop b", "start a", "start b", "start c", "start d"});
}

TEST_CASE("one_for_all_other_child_fails_restart: a failed start in the branch is a new restart") {
  CoreHarness h = Three(Strategy::kOneForAll, 5);
  StartAll(h, 3);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) == V{"exited a abnormal code=1",
                                              "restarting a: restart 1 of 5 within 5s",
                                              "stopping c", "signal r3 TERM", "arm t1 5000"});
  CHECK(h.Exit(3, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited c shutdown code=0", "stopping b", "signal r2 TERM", "arm t2 5000"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"cancel t2", "exited b shutdown code=0", "spawn r4 a"});
  CHECK(h.Up(4) == V{"started a", "ready a", "spawn r5 b"});
  CHECK(h.Handle(core::SpawnFailed{5, "boom"}) == V{"exited b abnormal: boom", "spawn r6 c"});
  CHECK(h.Up(6) == V{"started c", "ready c", "restarting b: restart 2 of 5 within 5s", "stopping c",
                     "signal r6 TERM", "arm t3 5000"});
  CHECK(Drive(h, h.Exit(6, ExitStatus::Exited(0))) == V{"stop a", "start a", "start b", "start c"});
}

TEST_CASE("hanging_restart_loop: a child that never starts exhausts the intensity") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {Worker("w")}));
  CHECK(h.Start() == V{"started sup -", "spawn r1 w"});
  CHECK(h.Handle(core::SpawnFailed{1, "exec failed: /bin/w: ENOENT"}) ==
        V{"exited w abnormal: exec failed: /bin/w: ENOENT", "ready sup -",
          "restarting w: restart 1 of 1 within 5s", "spawn r2 w"});
  CHECK(h.Handle(core::SpawnFailed{2, "exec failed: /bin/w: ENOENT"}) ==
        V{"exited w abnormal: exec failed: /bin/w: ENOENT",
          "gave_up sup -: more than 1 restarts within 5s", "exited sup - shutdown",
          "tree_stopped gave_up 3"});
}

TEST_CASE("leaf escalation: the parent applies its own strategy to a given-up supervisor") {
  CoreHarness h(Sup("", Strategy::kOneForAll, 3, 5000,
                    {Worker("x"), Sup("sub", Strategy::kOneForOne, 0, 5000, {Worker("a")})}));
  Drive(h, h.Start());
  CHECK(h.Exit(2, ExitStatus::Exited(1)) ==
        V{"exited sub/a abnormal code=1", "gave_up sup sub: more than 0 restarts within 5s",
          "exited sup sub shutdown", "restarting sup sub: restart 1 of 3 within 5s", "stopping x",
          "signal r1 TERM", "arm t1 5000"});
  CHECK(Drive(h, h.Exit(1, ExitStatus::Exited(0))) == V{"start x", "start sub/a"});
  CHECK(h.tree().Status("sub")->restarts == 1);
}

}  // namespace
}  // namespace supd::testing
