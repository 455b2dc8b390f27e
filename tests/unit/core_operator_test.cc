// Operator requests: replies, sticky stops, simple_one_for_one instances, max_children.
// None of them counts toward intensity or triggers the strategy.
#include <doctest/doctest.h>

#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::RestartType;
using core::Strategy;
using Op = core::OperatorRequest::Op;
using V = std::vector<std::string>;

TEST_CASE("replies: not_found, running, stop of a stopped child is ok") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 0, 5000, {Worker("a")}));
  h.Start();
  h.Up(1);
  CHECK(h.Request(Op::kStop, "zz") == V{"reply 1 not_found not_found"});
  CHECK(h.Request(Op::kStart, "zz/y") == V{"reply 2 not_found not_found"});
  CHECK(h.Request(Op::kStart, "a") == V{"reply 3 bad_state running"});
  CHECK(h.Request(Op::kStart, "") == V{"reply 4 bad_state running"});
  CHECK(h.Request(Op::kStop, "") == V{"reply 5 bad_request"});
  CHECK(h.Request(Op::kStartChild, "a") == V{"reply 6 bad_request"});
  h.Request(Op::kStop, "a");
  h.Exit(1, ExitStatus::Exited(0));
  CHECK(h.Request(Op::kStop, "a") == V{"reply 8 ok"});
}

TEST_CASE("restart: stop then start, not counted (intensity 0 does not give up)") {
  CoreHarness h(Sup("", Strategy::kOneForAll, 0, 5000, {Worker("a"), Worker("b")}));
  h.Start();
  h.Up(1);
  h.Up(2);
  CHECK(h.Request(Op::kRestart, "a") == V{"stopping a", "signal r1 TERM", "arm t1 5000"});
  CHECK(h.Exit(1, ExitStatus::Exited(1)) ==
        V{"cancel t1", "exited a shutdown code=1", "spawn r3 a"});
  CHECK(h.Up(3) == V{"started a", "ready a", "reply 1 ok"});
  CHECK(h.tree().Status("a")->restarts == 0);
  CHECK(h.tree().Status("b")->pid == 102);
}

TEST_CASE("operator stop is sticky: branch restarts skip the child, persisted paths") {
  CoreHarness h(Sup("", Strategy::kOneForAll, 5, 5000, {Worker("a"), Worker("b"), Worker("c")}));
  h.Start();
  for (core::RunId r = 1; r <= 3; ++r) h.Up(r);
  h.Request(Op::kStop, "b");
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited b shutdown code=0", "reply 1 ok"});
  CHECK(h.tree().OperatorStopped() == V{"b"});
  CHECK(h.Exit(1, ExitStatus::Exited(1)) == V{"exited a abnormal code=1",
                                              "restarting a: restart 1 of 5 within 5s",
                                              "stopping c", "signal r3 TERM", "arm t2 5000"});
  CHECK(h.Exit(3, ExitStatus::Exited(0)) ==
        V{"cancel t2", "exited c shutdown code=0", "spawn r4 a"});
  CHECK(h.Up(4) == V{"started a", "ready a", "spawn r5 c"});
  CHECK(h.Up(5) == V{"started c", "ready c"});
  CHECK(h.tree().Status("b")->state == core::NodeState::kStopped);
  CHECK(h.Request(Op::kStart, "b") == V{"spawn r6 b"});
  CHECK(h.Up(6) == V{"started b", "ready b", "reply 2 ok"});
  CHECK(h.tree().OperatorStopped().empty());
}

TEST_CASE("RestoreOperatorStopped: restored children are not started") {
  core::ChildSpec root =
      Sup("", Strategy::kOneForOne, 1, 5000,
          {Worker("a"), Sup("s", Strategy::kOneForOne, 1, 5000, {Worker("x"), Worker("y")})});
  CoreHarness h(std::move(root));
  h.tree().RestoreOperatorStopped({"s/x", "nope"});
  CHECK(h.Start() == V{"started sup -", "spawn r1 a"});
  CHECK(h.Up(1) == V{"started a", "ready a", "started sup s", "spawn r2 s/y"});
  CHECK(h.tree().OperatorStopped() == V{"s/x"});
}

TEST_CASE("an operator start that fails is reported, not restarted") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 0, 5000, {Worker("a", RestartType::kTransient)}));
  h.Start();
  h.Up(1);
  h.Exit(1, ExitStatus::Exited(0));
  CHECK(h.Request(Op::kStart, "a") == V{"spawn r2 a"});
  CHECK(h.Handle(core::SpawnFailed{2, "exec failed"}) ==
        V{"exited a abnormal: exec failed", "reply 1 bad_state"});
  CHECK(h.tree().Idle());
  CHECK(h.tree().Status("")->state == core::NodeState::kRunning);
}

TEST_CASE("requests wait while the supervisor is busy, then run in arrival order") {
  CoreHarness h(Sup("", Strategy::kOneForAll, 5, 5000, {Worker("a"), Worker("b")}));
  h.Start();
  h.Up(1);
  h.Up(2);
  h.Exit(1, ExitStatus::Exited(1));  // branch restart: stopping b
  CHECK(h.Request(Op::kStop, "a").empty());
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited b shutdown code=0", "spawn r3 a"});
  CHECK(h.Up(3) == V{"started a", "ready a", "spawn r4 b"});
  CHECK(h.Up(4) == V{"started b", "ready b", "stopping a", "signal r3 TERM", "arm t2 5000"});
}

core::ChildSpec Pool(std::optional<std::size_t> max_children = std::nullopt) {
  core::ChildSpec pool = Sup("pool", Strategy::kSimpleOneForOne, 3, 5000, {});
  core::ChildSpec tmpl = Worker("");
  WorkerOf(tmpl).command = {"/bin/job"};
  SupOf(pool).child_template = tmpl;
  SupOf(pool).max_children = max_children;
  return Sup("", Strategy::kOneForOne, 1, 5000, {pool});
}

TEST_CASE("simple_one_for_one: start_child, default ids, args, max_children, refusals") {
  CoreHarness h(Pool(2));
  CHECK(h.Start() == V{"started sup -", "started sup pool", "ready sup pool", "ready sup -",
                       "tree_ready"});
  CHECK(h.Request(Op::kStartChild, "pool", {"x"}) == V{"spawn r1 pool/1 [/bin/job x]"});
  CHECK(h.Up(1) == V{"started pool/1", "ready pool/1", "reply 1 ok id=1 path=pool/1"});
  CHECK(h.Request(Op::kStartChild, "pool", {}, "1") == V{"reply 2 bad_state already_started"});
  CHECK(h.Request(Op::kStartChild, "pool", {}, "w") == V{"spawn r2 pool/w"});
  CHECK(h.Up(2) == V{"started pool/w", "ready pool/w", "reply 3 ok id=w path=pool/w"});
  CHECK(h.Request(Op::kStartChild, "pool") == V{"reply 4 bad_state"});
  CHECK(h.Request(Op::kStart, "pool/1") == V{"reply 5 bad_request simple_one_for_one"});
  // A crashed permanent instance is restarted alone.
  CHECK(h.Exit(1, ExitStatus::Exited(1)) == V{"exited pool/1 abnormal code=1",
                                              "restarting pool/1: restart 1 of 3 within 5s",
                                              "spawn r3 pool/1 [/bin/job x]"});
  h.Up(3);
  // terminate removes an instance for good.
  CHECK(h.Request(Op::kStop, "pool/w") == V{"stopping pool/w", "signal r2 TERM", "arm t1 5000"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited pool/w shutdown code=0", "reply 6 ok"});
  CHECK_FALSE(h.tree().Status("pool/w"));
  CHECK(h.Request(Op::kStartChild, "pool") == V{"spawn r4 pool/2"});
  h.Up(4);
  // Shutdown: every instance signalled at once, each with its own timer.
  CHECK(h.Request(Op::kShutdown, "") == V{"stopping sup pool", "stopping pool/1", "signal r3 TERM",
                                          "arm t2 5000", "stopping pool/2", "signal r4 TERM",
                                          "arm t3 5000"});
  CHECK(h.Exit(4, ExitStatus::Exited(0)) == V{"cancel t3", "exited pool/2 shutdown code=0"});
  CHECK(h.Exit(3, ExitStatus::Exited(0)) == V{"cancel t2", "exited pool/1 shutdown code=0",
                                              "exited sup pool shutdown", "exited sup - shutdown",
                                              "reply 8 ok", "tree_stopped shutdown 0"});
}

TEST_CASE("simple_one_for_one_escalation: the pool gives up and comes back empty") {
  core::ChildSpec root = Pool();
  SupOf(const_cast<core::ChildSpec&>(SupOf(root).children[0])).intensity = 0;
  CoreHarness h(std::move(root));
  h.Start();
  h.Request(Op::kStartChild, "pool");
  h.Up(1);
  h.Request(Op::kStartChild, "pool");
  h.Up(2);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) == V{"exited pool/1 abnormal code=1",
                                              "gave_up sup pool: more than 0 restarts within 5s",
                                              "stopping pool/2", "signal r2 TERM", "arm t1 5000"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited pool/2 shutdown code=0", "exited sup pool shutdown",
          "restarting sup pool: restart 1 of 1 within 5s", "started sup pool", "ready sup pool"});
  CHECK(h.tree().Status("pool")->children.empty());
  CHECK(h.Request(Op::kStartChild, "pool") == V{"spawn r3 pool/1"});
}

TEST_CASE("temporary: an exited temporary child stays listed and may be started again") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {Worker("t", RestartType::kTemporary)}));
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) == V{"exited t abnormal code=1"});
  CHECK(h.tree().Status("t")->state == core::NodeState::kExited);
  CHECK(h.Request(Op::kStart, "t") == V{"spawn r2 t"});
  CHECK(h.Up(2) == V{"started t", "ready t", "reply 1 ok"});
}

TEST_CASE("root give-up with on_root_give_up stay: an operator may start the root again") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 0, 5000, {Worker("a")}));
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(1)).back() == "tree_stopped gave_up 3");
  CHECK(h.Request(Op::kStart, "a") == V{"reply 1 bad_state"});
  CHECK(h.Request(Op::kStart, "") == V{"started sup -", "spawn r2 a"});
  CHECK(h.Up(2) == V{"started a", "ready a", "ready sup -", "reply 2 ok"});
}

}  // namespace
}  // namespace supd::testing
