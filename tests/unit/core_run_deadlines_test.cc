// A run's own deadlines, on the core's clock: `ready: {"after": D}`, the sd_notify
// watchdog, and the stop of what a self-exited main process left in its group/cgroup
// (stop signal, SIGKILL after `shutdown`). io only reports (ChildSpawned, WatchdogPing,
// MainExited); the timers and the decisions are the core's.
#include <doctest/doctest.h>

#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::ReadySpec;
using core::Shutdown;
using core::Strategy;
using Op = core::OperatorRequest::Op;
using V = std::vector<std::string>;

core::ChildSpec After(core::Millis d) {
  core::ChildSpec w = Worker("w");
  WorkerOf(w).ready.kind = ReadySpec::Kind::kAfter;
  WorkerOf(w).ready.after = d;
  WorkerOf(w).start_timeout = 1000;
  return w;
}

core::ChildSpec Watched(core::Millis watchdog) {
  core::ChildSpec w = Worker("w");
  WorkerOf(w).ready.kind = ReadySpec::Kind::kSdNotify;
  WorkerOf(w).watchdog = watchdog;
  WorkerOf(w).start_timeout = 1000;
  w.shutdown = Shutdown{Shutdown::Kind::kTimeout, 500};
  return w;
}

CoreHarness One(core::ChildSpec w) {
  return CoreHarness(Sup("", Strategy::kOneForOne, 1, 5000, {std::move(w)}));
}

// ---- ready: {"after": D} ----------------------------------------------------------------

TEST_CASE("ready after D: a timer from the spawn, ready when it fires") {
  CoreHarness h = One(After(200));
  CHECK(h.Start() == V{"started sup -", "spawn r1 w", "arm t1 1000"});
  CHECK(h.Handle(core::ChildSpawned{1, 101}) == V{"started w", "arm t2 200"});
  h.Advance(199);
  CHECK(h.tree().Status("w")->state == core::NodeState::kStarting);
  h.Advance(1);
  CHECK(h.Fire(2) == V{"cancel t1", "ready w", "ready sup -", "tree_ready"});
  CHECK(h.tree().Status("w")->ready_after == 200);
}

TEST_CASE("ready after D: an exit before D is a failed start, the stale timer does nothing") {
  CoreHarness h = One(After(200));
  h.Start();
  h.Handle(core::ChildSpawned{1, 101});
  h.Advance(50);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) ==
        V{"cancel t1", "cancel t2", "exited w abnormal code=1: exited before ready",
          "ready sup -", "restarting w: restart 1 of 1 within 5s", "spawn r2 w", "arm t3 1000"});
  CHECK(h.Fire(2).empty());
}

TEST_CASE("ready after D: never ready once the main process is gone, even with leftovers") {
  CoreHarness h = One(WithShutdown(After(200), Shutdown::Kind::kTimeout, 300));
  h.Start();
  h.Handle(core::ChildSpawned{1, 101});
  h.Advance(50);
  CHECK(h.Handle(core::MainExited{1}) == V{"cancel t2", "signal r1 TERM", "arm t3 300"});
  h.Advance(150);
  CHECK(h.Fire(2).empty());
  CHECK(h.tree().Status("w")->state == core::NodeState::kStarting);
}

TEST_CASE("ready after D and start_timeout: whichever comes first decides") {
  core::ChildSpec w = After(2000);
  WorkerOf(w).start_timeout = 500;
  w.shutdown = Shutdown{Shutdown::Kind::kTimeout, 100};
  CoreHarness h = One(w);
  h.Start();
  h.Handle(core::ChildSpawned{1, 101});
  h.Advance(500);
  CHECK(h.Fire(1) == V{"stopping w", "signal r1 TERM", "arm t3 100"});
  h.Advance(1500);
  CHECK(h.Fire(2).empty());  // stopping: too late to become ready
  CHECK(h.tree().Status("w")->state == core::NodeState::kStopping);
}

// ---- the sd_notify watchdog ------------------------------------------------------------

TEST_CASE("watchdog: armed at readiness, pushed back by each ping, SIGKILL when silent") {
  CoreHarness h = One(Watched(300));
  h.Start();
  CHECK(h.Handle(core::ChildSpawned{1, 101}) == V{"started w"});
  CHECK(h.Handle(core::WatchdogPing{1, std::nullopt}).empty());  // not before readiness
  h.Advance(10);
  CHECK(h.Handle(core::ChildReady{1}) ==
        V{"cancel t1", "ready w", "arm t2 300", "ready sup -", "tree_ready"});
  h.Advance(250);
  CHECK(h.Handle(core::WatchdogPing{1, std::nullopt}) == V{"cancel t2", "arm t3 300"});
  h.Advance(250);
  CHECK(h.Fire(2).empty());  // the replaced deadline
  h.Advance(50);
  CHECK(h.Fire(3) == V{"signal r1 KILL: watchdog expired (no WATCHDOG=1 for 300 ms)"});
  CHECK(h.tree().Status("w")->state == core::NodeState::kRunning);  // not a stop
  CHECK(h.Exit(1, ExitStatus::Signaled(9)) ==
        V{"exited w abnormal signal=9", "restarting w: restart 1 of 1 within 5s", "spawn r2 w",
          "arm t4 1000"});
}

TEST_CASE("watchdog: WATCHDOG_USEC= sets the period, before or after readiness") {
  CoreHarness h = One(Watched(300));
  h.Start();
  h.Handle(core::ChildSpawned{1, 101});
  CHECK(h.Handle(core::WatchdogPing{1, 800}).empty());
  CHECK(h.Handle(core::ChildReady{1}) ==
        V{"cancel t1", "ready w", "arm t2 800", "ready sup -", "tree_ready"});
  CHECK(h.Handle(core::WatchdogPing{1, 50}) == V{"cancel t2", "arm t3 50"});
  CHECK(h.Fire(3) == V{"signal r1 KILL: watchdog expired (no WATCHDOG=1 for 50 ms)"});
}

TEST_CASE("watchdog: none without a watchdog key or for another ready kind") {
  core::ChildSpec unwatched = Watched(300);
  WorkerOf(unwatched).watchdog.reset();
  CoreHarness h = One(unwatched);
  h.Start();
  h.Handle(core::ChildSpawned{1, 101});
  CHECK(h.Handle(core::ChildReady{1}) == V{"cancel t1", "ready w", "ready sup -", "tree_ready"});
  CHECK(h.Handle(core::WatchdogPing{1, std::nullopt}).empty());

  core::ChildSpec exec = Worker("w");
  WorkerOf(exec).watchdog = 300;  // only sd_notify speaks WATCHDOG=1
  CoreHarness e = One(exec);
  e.Start();
  CHECK(e.Up(1) == V{"started w", "ready w", "ready sup -", "tree_ready"});
}

TEST_CASE("watchdog: a stop or the exit ends it") {
  CoreHarness h = One(Watched(300));
  h.Start();
  h.Up(1);  // ready: watchdog t2
  CHECK(h.Request(Op::kStop, "w") == V{"stopping w", "signal r1 TERM", "arm t3 500"});
  CHECK(h.Handle(core::WatchdogPing{1, std::nullopt}).empty());
  h.Advance(300);
  CHECK(h.Fire(2).empty());  // being stopped: the stop's own deadline rules
  CHECK(h.Exit(1, ExitStatus::Exited(0)) ==
        V{"cancel t3", "exited w shutdown code=0", "reply 1 ok"});

  // A watchdog still armed at the exit is cancelled with it.
  CoreHarness e = One(Watched(300));
  e.Start();
  e.Up(1);
  CHECK(e.Exit(1, ExitStatus::Exited(0)) ==
        V{"cancel t2", "exited w normal code=0", "restarting w: restart 1 of 1 within 5s",
          "spawn r2 w", "arm t3 1000"});
}

TEST_CASE("watchdog: WATCHDOG=trigger kills at once") {
  CoreHarness h = One(Watched(60000));
  h.Start();
  h.Up(1);
  CHECK(h.Handle(core::WatchdogExpired{1}) == V{"signal r1 KILL"});
}

// ---- leftovers of a self-exited main process ---------------------------------------------

TEST_CASE("leftovers: stop signal, SIGKILL after shutdown, the exit judged by the main's status") {
  CoreHarness h = One(WithShutdown(Worker("w"), Shutdown::Kind::kTimeout, 300));
  h.Start();
  h.Up(1);
  CHECK(h.Handle(core::MainExited{1}) == V{"signal r1 TERM", "arm t1 300"});
  CHECK(h.tree().Status("w")->state == core::NodeState::kRunning);  // not a stop
  h.Advance(300);
  CHECK(h.Fire(1) == V{"signal r1 KILL"});
  CHECK(h.Exit(1, ExitStatus::Exited(4)) ==
        V{"exited w abnormal code=4", "restarting w: restart 1 of 1 within 5s", "spawn r2 w"});
}

TEST_CASE("leftovers that obey: the exit cancels the SIGKILL deadline") {
  core::ChildSpec w = WithShutdown(Worker("w", core::RestartType::kTransient),
                                   Shutdown::Kind::kTimeout, 300);
  WorkerOf(w).stop_signal = 2;
  CoreHarness h = One(w);
  h.Start();
  h.Up(1);
  CHECK(h.Handle(core::MainExited{1}) == V{"signal r1 2", "arm t1 300"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) == V{"cancel t1", "exited w normal code=0"});
  CHECK(h.Fire(1).empty());
}

TEST_CASE("leftovers: brutal_kill kills at once, infinity waits without a deadline") {
  CoreHarness b = One(WithShutdown(Worker("w"), Shutdown::Kind::kBrutalKill));
  b.Start();
  b.Up(1);
  CHECK(b.Handle(core::MainExited{1}) == V{"signal r1 KILL"});

  CoreHarness i = One(WithShutdown(Worker("w"), Shutdown::Kind::kInfinity));
  i.Start();
  i.Up(1);
  CHECK(i.Handle(core::MainExited{1}) == V{"signal r1 TERM"});
}

TEST_CASE("leftovers while a stop is under way: the stop's sequence covers them") {
  CoreHarness h = One(WithShutdown(Worker("w"), Shutdown::Kind::kTimeout, 300));
  h.Start();
  h.Up(1);
  CHECK(h.Request(Op::kStop, "w") == V{"stopping w", "signal r1 TERM", "arm t1 300"});
  CHECK(h.Handle(core::MainExited{1}).empty());
  h.Advance(300);
  CHECK(h.Fire(1) == V{"signal r1 KILL"});
  CHECK(h.Exit(1, ExitStatus::Signaled(9)) == V{"exited w shutdown signal=9", "reply 1 ok"});
}

TEST_CASE("leftovers, then a stop: both deadlines may send SIGKILL, the exit ends both") {
  CoreHarness h = One(WithShutdown(Worker("w"), Shutdown::Kind::kTimeout, 300));
  h.Start();
  h.Up(1);
  CHECK(h.Handle(core::MainExited{1}) == V{"signal r1 TERM", "arm t1 300"});
  h.Advance(100);
  CHECK(h.Request(Op::kStop, "w") == V{"stopping w", "signal r1 TERM", "arm t2 300"});
  h.Advance(200);
  CHECK(h.Fire(1) == V{"signal r1 KILL"});
  CHECK(h.Exit(1, ExitStatus::Signaled(9)) ==
        V{"cancel t2", "exited w shutdown signal=9", "reply 1 ok"});
}

}  // namespace
}  // namespace supd::testing
