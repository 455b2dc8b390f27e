// What the core decides at the root for the daemon: TreeStopped (with supd's exit code and
// whether supd exits, per on_root_give_up) and the one-shot TreeReady (systemd's READY=1).
#include <doctest/doctest.h>

#include <algorithm>

#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::Strategy;
using Op = core::OperatorRequest::Op;
using OnGiveUp = core::DaemonSpec::OnRootGiveUp;
using V = std::vector<std::string>;

core::TreeOptions GiveUp(OnGiveUp on_root_give_up) {
  return core::TreeOptions{on_root_give_up, {}};
}

int Count(const CoreHarness& h, const std::string& line) {
  const auto all = Describe(h.all());
  return static_cast<int>(std::count(all.begin(), all.end(), line));
}

TEST_CASE("root give-up, on_root_give_up exit: TreeStopped gave_up 3, supd exits") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 0, 5000, {Worker("a")}), GiveUp(OnGiveUp::kExit));
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) == V{"exited a abnormal code=1",
                                              "gave_up sup -: more than 0 restarts within 5s",
                                              "exited sup - shutdown", "tree_stopped gave_up 3"});
}

TEST_CASE("root give-up, on_root_give_up stay: supd stays, a later shutdown ends it with 0") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 0, 5000, {Worker("a")}), GiveUp(OnGiveUp::kStay));
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(1)).back() == "tree_stopped gave_up 3 stay");
  // The root is already stopped: the shutdown is answered and ends supd at once.
  CHECK(h.Request(Op::kShutdown, "") == V{"reply 1 ok", "tree_stopped shutdown 0"});
}

TEST_CASE("on_root_give_up stay: the root started again by an operator may give up again") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 0, 5000, {Worker("a")}), GiveUp(OnGiveUp::kStay));
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(1)).back() == "tree_stopped gave_up 3 stay");
  CHECK(h.Request(Op::kStart, "") == V{"started sup -", "spawn r2 a"});
  CHECK(h.Up(2) == V{"started a", "ready a", "ready sup -", "reply 1 ok"});
  CHECK(h.Exit(2, ExitStatus::Exited(1)).back() == "tree_stopped gave_up 3 stay");
}

TEST_CASE("on_root_give_up stay: a give-up during a requested shutdown still exits") {
  // The exit of `a` is queued behind the start of `b`; the shutdown queues behind both.
  CoreHarness h(Sup("", Strategy::kOneForOne, 0, 5000, {Worker("a"), Worker("b")}),
                GiveUp(OnGiveUp::kStay));
  h.Start();
  h.Up(1);
  h.Handle(core::ChildSpawned{2, 102});
  h.Exit(1, ExitStatus::Exited(1));
  h.Request(Op::kShutdown, "");
  const V out = h.Handle(core::ChildReady{2});
  REQUIRE(!out.empty());
  CHECK(std::find(out.begin(), out.end(), "gave_up sup -: more than 0 restarts within 5s") !=
        out.end());
  CHECK(h.Exit(2, ExitStatus::Exited(0)).back() == "tree_stopped gave_up 3");
  CHECK(Count(h, "tree_stopped gave_up 3 stay") == 0);
}

TEST_CASE("TreeReady: once, when the root is ready and every child is up") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 5, 5000, {Worker("a"), Worker("b")}));
  CHECK(h.Start() == V{"started sup -", "spawn r1 a"});
  CHECK(h.Up(1) == V{"started a", "ready a", "spawn r2 b"});
  CHECK(h.Up(2) == V{"started b", "ready b", "ready sup -", "tree_ready"});
  // Later restarts and readiness never repeat it.
  h.Exit(1, ExitStatus::Exited(1));
  h.Up(3);
  CHECK(Count(h, "tree_ready") == 1);
}

TEST_CASE("TreeReady waits for a child restarting after its first start failed") {
  // The first start of `b` fails while `a` is up: the root is ready (its start is done),
  // but `b` waits in backoff; the tree is ready only once `b` is up again.
  auto spec = Sup("", Strategy::kOneForOne, 5, 5000, {Worker("a"), Worker("b")});
  SupOf(spec).backoff = core::BackoffSpec{1000, 1000, 1.0, 0.0, 0};
  CoreHarness h(std::move(spec));
  h.Start();
  h.Up(1);
  const V failed = h.Handle(core::SpawnFailed{2, "exec failed"});
  CHECK(std::find(failed.begin(), failed.end(), "tree_ready") == failed.end());
  CHECK(h.tree().Status("b")->state == core::NodeState::kBackoff);
  REQUIRE(h.tree().Status("")->state == core::NodeState::kRunning);
  h.Advance(1000);
  CHECK(h.Fire(1) == V{"spawn r3 b"});
  CHECK(h.Up(3).back() == "tree_ready");
  CHECK(Count(h, "tree_ready") == 1);
}

TEST_CASE("TreeReady: an empty root is ready at once") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {}));
  CHECK(h.Start() == V{"started sup -", "ready sup -", "tree_ready"});
}

TEST_CASE("Generation counts the events that reached a node, not stale ones") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {Worker("a")}));
  h.Start();
  const auto before = h.tree().Generation();
  h.Handle(core::ChildSpawned{1, 101});
  CHECK(h.tree().Generation() > before);
  const auto after = h.tree().Generation();
  h.Handle(core::ChildExited{42, ExitStatus::Exited(0)});  // no such run
  h.Fire(42);                                               // no such timer
  CHECK(h.tree().Generation() == after);
  h.Handle(core::ChildStatusText{1, "warming up"});  // no command, yet a change
  CHECK(h.tree().Generation() > after);
}

}  // namespace
}  // namespace supd::testing
