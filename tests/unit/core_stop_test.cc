// Stops as sequences of states: stop signal + timer → SIGKILL → reaped; brutal_kill;
// infinity; nested supervisors' own shutdown; start_timeout; watchdog.
#include <doctest/doctest.h>

#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::Shutdown;
using core::Strategy;
using Op = core::OperatorRequest::Op;
using V = std::vector<std::string>;

TEST_CASE("a stop: stop signal and timer, SIGKILL when it expires, done when reaped") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000,
                    {WithShutdown(Worker("w"), Shutdown::Kind::kTimeout, 300)}));
  h.Start();
  h.Up(1);
  CHECK(h.Request(Op::kStop, "w") == V{"stopping w", "signal r1 TERM", "arm t1 300"});
  CHECK(h.tree().Status("w")->state == core::NodeState::kStopping);
  h.Advance(300);
  CHECK(h.Fire(1) == V{"signal r1 KILL"});
  CHECK(h.Exit(1, ExitStatus::Signaled(9)) == V{"exited w shutdown signal=9", "reply 1 ok"});
  CHECK(h.tree().Status("w")->state == core::NodeState::kStopped);
  CHECK(h.tree().Status("w")->operator_stopped);
}

TEST_CASE("an exit before the timer: CancelTimer, and a stale timer does nothing") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {Worker("w")}));
  h.Start();
  h.Up(1);
  h.Request(Op::kStop, "w");
  CHECK(h.Exit(1, ExitStatus::Exited(1)) ==
        V{"cancel t1", "exited w shutdown code=1", "reply 1 ok"});
  CHECK(h.Fire(1).empty());
  CHECK(h.Exit(1, ExitStatus::Exited(1)).empty());
}

TEST_CASE("brutal_kill: SIGKILL at once, no stop signal") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000,
                    {WithShutdown(Worker("w"), Shutdown::Kind::kBrutalKill)}));
  h.Start();
  h.Up(1);
  CHECK(h.Request(Op::kStop, "w") == V{"stopping w", "signal r1 KILL"});
  CHECK(h.Exit(1, ExitStatus::Signaled(9)) == V{"exited w shutdown signal=9", "reply 1 ok"});
}

TEST_CASE("infinity and stop_signal: the configured signal, no timer") {
  core::ChildSpec w = WithShutdown(Worker("w"), Shutdown::Kind::kInfinity);
  WorkerOf(w).stop_signal = 2;
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {w}));
  h.Start();
  h.Up(1);
  CHECK(h.Request(Op::kStop, "w") == V{"stopping w", "signal r1 2"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) == V{"exited w shutdown code=0", "reply 1 ok"});
}

core::ChildSpec SubWith(Shutdown::Kind kind, core::Millis ms = 0) {
  return WithShutdown(Sup("s", Strategy::kOneForOne, 1, 5000,
                          {WithShutdown(Worker("w"), Shutdown::Kind::kInfinity)}),
                      kind, ms);
}

TEST_CASE("sup_stop_infinity: the parent waits for the whole subtree") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {SubWith(Shutdown::Kind::kInfinity)}));
  h.Start();
  h.Up(1);
  CHECK(h.Request(Op::kShutdown, "") == V{"stopping sup s", "stopping s/w", "signal r1 TERM"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) == V{"exited s/w shutdown code=0", "exited sup s shutdown",
                                              "exited sup - shutdown", "reply 1 ok",
                                              "tree_stopped shutdown 0"});
}

TEST_CASE("sup_stop_timeout: the subtree is killed when the supervisor's shutdown expires") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {SubWith(Shutdown::Kind::kTimeout, 1000)}));
  h.Start();
  h.Up(1);
  CHECK(h.Request(Op::kShutdown, "") ==
        V{"stopping sup s", "arm t1 1000", "stopping s/w", "signal r1 TERM"});
  h.Advance(1000);
  CHECK(h.Fire(1) == V{"signal r1 KILL"});
  CHECK(h.Exit(1, ExitStatus::Signaled(9)) == V{"exited s/w shutdown signal=9",
                                                "exited sup s shutdown", "exited sup - shutdown",
                                                "reply 1 ok", "tree_stopped shutdown 0"});
}

TEST_CASE("sup_stop_brutal_kill: every process of the subtree gets SIGKILL at once") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {SubWith(Shutdown::Kind::kBrutalKill)}));
  h.Start();
  h.Up(1);
  CHECK(h.Request(Op::kStop, "s") == V{"stopping sup s", "signal r1 KILL"});
  CHECK(h.Exit(1, ExitStatus::Signaled(9)) ==
        V{"exited s/w shutdown signal=9", "exited sup s shutdown", "reply 1 ok"});
  CHECK(h.tree().Status("s")->state == core::NodeState::kStopped);
  CHECK(h.Request(Op::kStart, "s") == V{"started sup s", "spawn r2 s/w"});
  CHECK(h.Up(2) == V{"started s/w", "ready s/w", "ready sup s", "reply 2 ok"});
}

TEST_CASE("shutdown: reverse start order, depth first, then TreeStopped") {
  CoreHarness h(
      Sup("", Strategy::kOneForOne, 1, 5000,
          {Worker("a"), Sup("s", Strategy::kOneForOne, 1, 5000, {Worker("b")}), Worker("c")}));
  h.Start();
  for (core::RunId r = 1; r <= 3; ++r) h.Up(r);
  CHECK(h.Request(Op::kShutdown, "") == V{"stopping c", "signal r3 TERM", "arm t1 5000"});
  CHECK(h.Exit(3, ExitStatus::Exited(0)) == V{"cancel t1", "exited c shutdown code=0",
                                              "stopping sup s", "stopping s/b", "signal r2 TERM",
                                              "arm t2 5000"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) == V{"cancel t2", "exited s/b shutdown code=0",
                                              "exited sup s shutdown", "stopping a",
                                              "signal r1 TERM", "arm t3 5000"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) == V{"cancel t3", "exited a shutdown code=0",
                                              "exited sup - shutdown", "reply 1 ok",
                                              "tree_stopped shutdown 0"});
  CHECK(h.tree().Idle());
  // Asked again of the stopped root: answered, and TreeStopped again (supd must go).
  CHECK(h.Request(Op::kShutdown, "") == V{"reply 2 ok", "tree_stopped shutdown 0"});
}

TEST_CASE("start_timeout: the child is stopped with its shutdown, then counts as failed") {
  core::ChildSpec w = WithShutdown(Worker("w"), Shutdown::Kind::kTimeout, 500);
  WorkerOf(w).ready.kind = core::ReadySpec::Kind::kNotifyFd;
  WorkerOf(w).ready.notify_fd = 3;
  WorkerOf(w).start_timeout = 1000;
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {w}));
  CHECK(h.Start() == V{"started sup -", "spawn r1 w", "arm t1 1000"});
  CHECK(h.Handle(core::ChildSpawned{1, 101}) == V{"started w"});
  CHECK(h.tree().Status("w")->state == core::NodeState::kStarting);
  CHECK(!h.tree().Idle());
  h.Advance(1000);
  CHECK(h.Fire(1) == V{"stopping w", "signal r1 TERM", "arm t2 500"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) ==
        V{"cancel t2", "exited w abnormal code=0: start_timeout expired", "ready sup -",
          "restarting w: restart 1 of 1 within 5s", "spawn r2 w", "arm t3 1000"});
  CHECK(h.Handle(core::ChildReady{2}) == V{"cancel t3", "ready w", "tree_ready"});
  CHECK(h.tree().Idle());
}

TEST_CASE("an exit before ready is a failed start: the next sibling starts, then a restart") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {Worker("a"), Worker("b")}));
  h.Start();
  CHECK(h.Exit(1, ExitStatus::Exited(0)) ==
        V{"exited a abnormal code=0: exited before ready", "spawn r2 b"});
  CHECK(h.Up(2) == V{"started b", "ready b", "ready sup -",
                     "restarting a: restart 1 of 1 within 5s", "spawn r3 a"});
}

TEST_CASE("watchdog: the run is killed and its exit is abnormal") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {Worker("w")}));
  h.Start();
  h.Up(1);
  CHECK(h.Handle(core::WatchdogExpired{1}) == V{"signal r1 KILL"});
  CHECK(h.Exit(1, ExitStatus::Signaled(9)) ==
        V{"exited w abnormal signal=9", "restarting w: restart 1 of 1 within 5s", "spawn r2 w"});
}

TEST_CASE("status snapshot") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000,
                    {Worker("a"), Sup("s", Strategy::kOneForOne, 1, 5000, {Worker("b")})}));
  h.Start();
  h.Advance(10);
  h.Up(1);
  h.Up(2);
  h.Handle(core::ChildStatusText{1, "serving"});
  const auto root = h.tree().Status("");
  REQUIRE(root);
  CHECK(root->supervisor);
  CHECK(root->state == core::NodeState::kRunning);
  REQUIRE(root->children.size() == 2);
  const core::NodeStatus& a = root->children[0];
  CHECK(a.path == "a");
  CHECK(a.pid == 101);
  CHECK(a.ready);
  CHECK(a.ready_after == 10);
  CHECK(a.status_text == "serving");
  CHECK(root->children[1].children.at(0).path == "s/b");
  CHECK(std::string(core::ToString(root->children[1].state)) == "running");
  h.Exit(1, ExitStatus::Exited(4));
  const auto a2 = h.tree().Status("a");
  CHECK(a2->restarts == 1);
  CHECK(a2->last_exit->reason == core::ExitReason::kAbnormal);
  CHECK(a2->last_exit->status == ExitStatus::Exited(4));
  CHECK_FALSE(h.tree().Status("nope"));
  CHECK_FALSE(h.tree().Status("a/x"));
}

}  // namespace
}  // namespace supd::testing
