// A shutdown of the tree (SIGTERM/SIGINT, supctl shutdown, the root's auto_shutdown)
// abandons a start still waiting for readiness, at every level; kKillAll (a second
// SIGTERM/SIGINT) SIGKILLs everything left. Both deviate from OTP on purpose (README).
#include <doctest/doctest.h>

#include "tests/support/core_harness.h"

// A failed CHECK shows both command lists.
template <>
struct doctest::StringMaker<std::vector<std::string>> {
  static doctest::String convert(const std::vector<std::string>& v) {
    std::string out = "{";
    for (const std::string& s : v) out += "\"" + s + "\", ";
    return (out + "}").c_str();
  }
};

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::Shutdown;
using core::Strategy;
using Op = core::OperatorRequest::Op;
using V = std::vector<std::string>;

// A worker that becomes ready only when it says so, with a long start_timeout.
core::ChildSpec SlowWorker(const std::string& id, core::Millis shutdown_ms = 60000) {
  core::ChildSpec w = Worker(id);
  WorkerOf(w).ready.kind = core::ReadySpec::Kind::kNotifyFd;
  WorkerOf(w).start_timeout = 120000;
  w.shutdown = Shutdown{Shutdown::Kind::kTimeout, shutdown_ms};
  return w;
}

TEST_CASE("fast shutdown: a start waiting for readiness is stopped at once") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {Worker("a"), SlowWorker("w")}));
  CHECK(h.Start() == V{"started sup -", "spawn r1 a"});
  CHECK(h.Up(1) == V{"started a", "ready a", "spawn r2 w", "arm t1 120000"});
  h.Handle(core::ChildSpawned{2, 102});
  CHECK(h.Request(Op::kShutdown, "") ==
        V{"stopping w", "cancel t1", "signal r2 TERM", "arm t2 60000"});
  CHECK(h.Exit(2, ExitStatus::Signaled(15)) ==
        V{"cancel t2", "exited w shutdown signal=15", "stopping a", "signal r1 TERM",
          "arm t3 5000"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) ==
        V{"cancel t3", "exited a shutdown code=0", "exited sup - shutdown", "reply 1 ok",
          "tree_stopped shutdown 0"});
  CHECK(h.tree().Status("w")->restarts == 0);  // abandoned, not a failed start
}

TEST_CASE("fast shutdown: a nested supervisor's start is abandoned too") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000,
                    {Sup("s", Strategy::kOneForAll, 1, 5000, {Worker("x"), SlowWorker("w")})}));
  h.Start();
  CHECK(h.Up(1) == V{"started s/x", "ready s/x", "spawn r2 s/w", "arm t1 120000"});
  CHECK(h.Request(Op::kShutdown, "") == V{"stopping sup s", "stopping s/w", "cancel t1",
                                          "signal r2 TERM", "arm t2 60000"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"cancel t2", "exited s/w shutdown code=0", "stopping s/x", "signal r1 TERM",
          "arm t3 5000"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) ==
        V{"cancel t3", "exited s/x shutdown code=0", "exited sup s shutdown",
          "exited sup - shutdown", "reply 1 ok", "tree_stopped shutdown 0"});
}

TEST_CASE("fast shutdown: an operator start under way is answered, then stopped") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {SlowWorker("w")}));
  h.Start();
  h.Handle(core::ChildReady{1});
  h.Request(Op::kStop, "w");
  h.Exit(1, ExitStatus::Signaled(15));
  CHECK(h.Request(Op::kStart, "w") == V{"spawn r2 w", "arm t3 120000"});
  CHECK(h.Request(Op::kShutdown, "") ==
        V{"reply 2 bad_state", "stopping w", "cancel t3", "signal r2 TERM", "arm t4 60000"});
  CHECK(h.Exit(2, ExitStatus::Signaled(15)) ==
        V{"cancel t4", "exited w shutdown signal=15", "exited sup - shutdown", "reply 3 ok",
          "tree_stopped shutdown 0"});
}

TEST_CASE("no shutdown: a supervisor stopped by an operator still waits for its start (OTP)") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000,
                    {Sup("s", Strategy::kOneForOne, 1, 5000, {SlowWorker("w")})}));
  h.Start();
  CHECK(h.Request(Op::kStop, "s").empty());  // queued behind the start
  CHECK(h.Handle(core::ChildReady{1}) ==
        V{"cancel t1", "ready s/w", "ready sup s", "ready sup -", "stopping sup s",
          "stopping s/w", "signal r1 TERM", "arm t2 60000"});
}

TEST_CASE("kill-all: a second signal SIGKILLs every process left, at every level") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000,
                    {Worker("a"), Sup("s", Strategy::kOneForOne, 1, 5000, {SlowWorker("w")})}));
  h.Start();
  h.Up(1);
  h.Handle(core::ChildReady{2});
  CHECK(h.Request(Op::kKillAll, "") == V{"reply 1 bad_state"});  // nothing to escalate
  CHECK(h.Request(Op::kShutdown, "") ==
        V{"stopping sup s", "stopping s/w", "signal r2 TERM", "arm t2 60000"});
  CHECK(h.Request(Op::kKillAll, "") == V{"signal r1 KILL", "cancel t2", "signal r2 KILL",
                                         "reply 3 ok"});
  CHECK(h.Exit(1, ExitStatus::Signaled(9)) == V{"exited a shutdown signal=9"});
  CHECK(h.Exit(2, ExitStatus::Signaled(9)) ==
        V{"exited s/w shutdown signal=9", "exited sup s shutdown", "exited sup - shutdown",
          "reply 2 ok", "tree_stopped shutdown 0"});  // a: found dead when its turn came
}

}  // namespace
}  // namespace supd::testing
