// stop_order: a supervisor stopped as a whole signals its children one after another
// (sequential, OTP) or all at once, each with its own SIGKILL deadline (parallel). Branch
// restarts and single-child operations stay sequential.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "daemon/core/reload_plan.h"
#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::Shutdown;
using core::StopOrder;
using core::Strategy;
using Op = core::OperatorRequest::Op;
using V = std::vector<std::string>;

core::ChildSpec Parallel(core::ChildSpec sup) {
  SupOf(sup).stop_order = StopOrder::kParallel;
  return sup;
}

core::ChildSpec Stuck(const std::string& id, core::Millis shutdown = 1000) {
  return WithShutdown(Worker(id), Shutdown::Kind::kTimeout, shutdown);
}

long Signals(const V& commands) {
  return std::count_if(commands.begin(), commands.end(),
                       [](const std::string& c) { return c.rfind("signal ", 0) == 0; });
}

TEST_CASE("stop_order: sequential by default, its words") {
  CHECK(core::SupervisorSpec{}.stop_order == StopOrder::kSequential);
  CHECK(std::string(core::ToString(StopOrder::kSequential)) == "sequential");
  CHECK(std::string(core::ToString(StopOrder::kParallel)) == "parallel");
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {Stuck("a"), Stuck("b"), Stuck("c")}));
  h.Start();
  for (core::RunId r = 1; r <= 3; ++r) h.Up(r);
  CHECK(h.Request(Op::kShutdown, "") == V{"stopping c", "signal r3 TERM", "arm t1 1000"});
  h.Advance(1000);
  CHECK(h.Fire(1) == V{"signal r3 KILL"});
  CHECK(h.Exit(3, ExitStatus::Signaled(9)) ==
        V{"exited c shutdown signal=9", "stopping b", "signal r2 TERM", "arm t2 1000"});
}

TEST_CASE("parallel: every child signalled before any exit, each SIGKILL at its own deadline") {
  CoreHarness h(
      Parallel(Sup("", Strategy::kOneForOne, 1, 5000, {Stuck("a"), Stuck("b"), Stuck("c")})));
  h.Start();
  for (core::RunId r = 1; r <= 3; ++r) h.Up(r);
  // One call, reverse start order, three deadlines armed at t=0: all due at t=1000.
  CHECK(h.Request(Op::kShutdown, "") ==
        V{"stopping c", "signal r3 TERM", "arm t1 1000", "stopping b", "signal r2 TERM",
          "arm t2 1000", "stopping a", "signal r1 TERM", "arm t3 1000"});
  CHECK(h.tree().Status("a")->state == core::NodeState::kStopping);
  h.Advance(1000);
  CHECK(h.Fire(1) == V{"signal r3 KILL"});
  CHECK(h.Fire(2) == V{"signal r2 KILL"});
  CHECK(h.Fire(3) == V{"signal r1 KILL"});
  // Reaped in any order; the supervisor is stopped after the last one only.
  CHECK(h.Exit(2, ExitStatus::Signaled(9)) == V{"exited b shutdown signal=9"});
  CHECK(h.Exit(3, ExitStatus::Signaled(9)) == V{"exited c shutdown signal=9"});
  CHECK(!h.tree().Idle());
  CHECK(h.Exit(1, ExitStatus::Signaled(9)) ==
        V{"exited a shutdown signal=9", "exited sup - shutdown", "reply 1 ok",
          "tree_stopped shutdown 0"});
  CHECK(h.now() == 1000);
  CHECK(h.tree().Idle());
}

TEST_CASE("parallel: brutal_kill at once, infinity waits, exits before the deadline cancel it") {
  CoreHarness h(Parallel(Sup(
      "", Strategy::kOneForOne, 1, 5000,
      {WithShutdown(Worker("a"), Shutdown::Kind::kBrutalKill), Stuck("b", 2000),
       WithShutdown(Worker("c"), Shutdown::Kind::kInfinity)})));
  h.Start();
  for (core::RunId r = 1; r <= 3; ++r) h.Up(r);
  CHECK(h.Request(Op::kShutdown, "") == V{"stopping c", "signal r3 TERM", "stopping b",
                                          "signal r2 TERM", "arm t1 2000", "stopping a",
                                          "signal r1 KILL"});
  CHECK(h.Exit(1, ExitStatus::Signaled(9)) == V{"exited a shutdown signal=9"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) == V{"cancel t1", "exited b shutdown code=0"});
  h.Advance(60000);  // infinity: nothing forces c
  CHECK(h.Exit(3, ExitStatus::Exited(0)) ==
        V{"exited c shutdown code=0", "exited sup - shutdown", "reply 1 ok",
          "tree_stopped shutdown 0"});
}

TEST_CASE("parallel parent, sequential child supervisor: it stops its own children in turn") {
  // Runs: r1 w1, r2 s/x, r3 s/y, r4 w2.
  CoreHarness h(Parallel(Sup(
      "", Strategy::kOneForOne, 1, 5000,
      {Worker("w1"), Sup("s", Strategy::kOneForOne, 1, 5000, {Worker("x"), Worker("y")}),
       Worker("w2")})));
  h.Start();
  for (core::RunId r = 1; r <= 4; ++r) h.Up(r);
  CHECK(h.Request(Op::kShutdown, "") ==
        V{"stopping w2", "signal r4 TERM", "arm t1 5000", "stopping sup s", "stopping s/y",
          "signal r3 TERM", "arm t2 5000", "stopping w1", "signal r1 TERM", "arm t3 5000"});
  CHECK(h.Exit(3, ExitStatus::Exited(0)) ==
        V{"cancel t2", "exited s/y shutdown code=0", "stopping s/x", "signal r2 TERM",
          "arm t4 5000"});
  CHECK(h.Exit(4, ExitStatus::Exited(0)) == V{"cancel t1", "exited w2 shutdown code=0"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) == V{"cancel t3", "exited w1 shutdown code=0"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"cancel t4", "exited s/x shutdown code=0", "exited sup s shutdown",
          "exited sup - shutdown", "reply 1 ok", "tree_stopped shutdown 0"});
}

TEST_CASE("sequential parent, parallel child supervisor: its stop is parallel inside its turn") {
  // Runs: r1 a, r2 s/x, r3 s/y.
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000,
                    {Worker("a"), Parallel(Sup("s", Strategy::kOneForOne, 1, 5000,
                                               {Worker("x"), Worker("y")}))}));
  h.Start();
  for (core::RunId r = 1; r <= 3; ++r) h.Up(r);
  CHECK(h.Request(Op::kShutdown, "") == V{"stopping sup s", "stopping s/y", "signal r3 TERM",
                                          "arm t1 5000", "stopping s/x", "signal r2 TERM",
                                          "arm t2 5000"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) == V{"cancel t2", "exited s/x shutdown code=0"});
  CHECK(h.Exit(3, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited s/y shutdown code=0", "exited sup s shutdown", "stopping a",
          "signal r1 TERM", "arm t3 5000"});
}

TEST_CASE("parallel: an operator's stop of the supervisor itself") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000,
                    {Parallel(Sup("s", Strategy::kOneForOne, 1, 5000,
                                  {Worker("x"), Worker("y")}))}));
  h.Start();
  for (core::RunId r = 1; r <= 2; ++r) h.Up(r);
  CHECK(h.Request(Op::kStop, "s") == V{"stopping sup s", "stopping s/y", "signal r2 TERM",
                                       "arm t1 5000", "stopping s/x", "signal r1 TERM",
                                       "arm t2 5000"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) == V{"cancel t2", "exited s/x shutdown code=0"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited s/y shutdown code=0", "exited sup s shutdown", "reply 1 ok"});
}

TEST_CASE("parallel: a supervisor that gives up stops the rest at once") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000,
                    {Parallel(Sup("s", Strategy::kOneForOne, 0, 5000,
                                  {Worker("x"), Worker("y"), Worker("z")},
                                  core::RestartType::kTemporary))}));
  h.Start();
  for (core::RunId r = 1; r <= 3; ++r) h.Up(r);
  const V out = h.Exit(1, ExitStatus::Exited(1));
  CHECK(Signals(out) == 2);
  CHECK(std::find(out.begin(), out.end(), "signal r3 TERM") < 
        std::find(out.begin(), out.end(), "signal r2 TERM"));
  h.Exit(3, ExitStatus::Exited(0));
  CHECK(h.Exit(2, ExitStatus::Exited(0)).back() == "exited sup s shutdown");
}

TEST_CASE("parallel: a one_for_all branch restart still stops in OTP's order, one by one") {
  CoreHarness h(Parallel(Sup("", Strategy::kOneForAll, 5, 5000,
                             {Worker("a"), Worker("b"), Worker("c"), Worker("d")})));
  h.Start();
  for (core::RunId r = 1; r <= 4; ++r) h.Up(r);
  CHECK(h.Exit(2, ExitStatus::Exited(1)) ==
        V{"exited b abnormal code=1", "restarting b: restart 1 of 5 within 5s", "stopping d",
          "signal r4 TERM", "arm t1 5000"});
  CHECK(h.Exit(4, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited d shutdown code=0", "stopping c", "signal r3 TERM",
          "arm t2 5000"});
  CHECK(h.Exit(3, ExitStatus::Exited(0)) ==
        V{"cancel t2", "exited c shutdown code=0", "stopping a", "signal r1 TERM",
          "arm t3 5000"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) == V{"cancel t3", "exited a shutdown code=0",
                                              "spawn r5 a"});
}

TEST_CASE("parallel: stopping or restarting one child is unchanged") {
  CoreHarness h(Parallel(Sup("", Strategy::kOneForOne, 1, 5000, {Worker("a"), Worker("b")})));
  h.Start();
  h.Up(1);
  h.Up(2);
  CHECK(h.Request(Op::kRestart, "b") == V{"stopping b", "signal r2 TERM", "arm t1 5000"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited b shutdown code=0", "spawn r3 b"});
}

TEST_CASE("stop_order in a reload: a policy change, taken at once") {
  core::Config before;
  before.root = Sup("", Strategy::kOneForOne, 1, 5000, {Worker("a"), Worker("b")});
  core::Config after = before;
  after.root = Parallel(DeepCopy(before.root));
  core::ReloadPlan plan = core::PlanReload(before, after, false);
  REQUIRE(plan.changes.size() == 1);
  CHECK(plan.changes[0].kind == core::PlannedChange::Kind::kPolicy);
  CHECK(plan.changes[0].details == V{"stop_order sequential→parallel"});

  CoreHarness h(before.root);
  h.Start();
  h.Up(1);
  h.Up(2);
  core::ReloadRequest r;
  r.request = 99;
  r.root = std::make_shared<const core::ChildSpec>(after.root);
  r.summary = "counts";
  CHECK(h.Handle(r) == V{"reloaded sup -: counts", "reply 99 ok"});
  CHECK(Signals(h.Request(Op::kShutdown, "")) == 2);
}

}  // namespace
}  // namespace supd::testing
