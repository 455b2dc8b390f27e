// Reload applied by the core on a fake clock: removed children stopped, changed ones
// restarted in place, added ones started in order after readiness, policy taken at once,
// everything else untouched; one thing at a time; never counted toward intensity.
#include <doctest/doctest.h>

#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::Strategy;
using Op = core::OperatorRequest::Op;
using V = std::vector<std::string>;

std::vector<std::string> Reload(CoreHarness& h, const core::ChildSpec& root,
                                bool restart_instances = false) {
  core::ReloadRequest r;
  r.request = 99;
  r.root = std::make_shared<const core::ChildSpec>(root);
  r.restart_instances = restart_instances;
  r.summary = "counts";
  return h.Handle(r);
}

std::vector<core::NodeStatus> ChildrenOf(CoreHarness& h, const std::string& path) {
  auto status = h.tree().Status(path);
  REQUIRE(status);
  return status->children;
}

/// root one_for_one {a, b, s rest_for_one {x, y, t one_for_all {p, q}}}, all up:
/// runs r1 a, r2 b, r3 s/x, r4 s/y, r5 s/t/p, r6 s/t/q.
core::ChildSpec Tree3() {
  return Sup("", Strategy::kOneForOne, 1, 5000,
             {Worker("a"), Worker("b"),
              Sup("s", Strategy::kRestForOne, 1, 5000,
                  {Worker("x"), Worker("y"),
                   Sup("t", Strategy::kOneForAll, 1, 5000, {Worker("p"), Worker("q")})})});
}

void StartAll(CoreHarness& h) {
  h.Start();
  for (core::RunId r = 1; r <= 6; ++r) h.Up(r);
  REQUIRE(h.tree().Idle());
}

TEST_CASE("reload: nothing changed: no command but the reply, pids kept") {
  CoreHarness h(Tree3());
  StartAll(h);
  CHECK(Reload(h, Tree3()) == V{"reloaded sup -: counts", "reply 99 ok"});
  CHECK(h.tree().Status("s/t/q")->pid == 106);
}

TEST_CASE("reload: add, remove, restart, policy and untouched at three levels") {
  CoreHarness h(Tree3());
  StartAll(h);
  core::ChildSpec next = DeepCopy(Tree3());
  auto& root = SupOf(next);
  WorkerOf(root.children[1]).command = {"/bin/b2"};         // b: restart in place
  auto& s = SupOf(root.children[2]);
  s.intensity = 7;                                          // s: policy
  s.children.erase(s.children.begin() + 1);                 // s/y: removed
  auto& t = SupOf(s.children[1]);
  t.children[0].shutdown.timeout = 9000;                    // s/t/p: policy
  t.children.push_back(Worker("r"));                        // s/t/r: added
  t.children.push_back(Worker("r2"));                       // s/t/r2: added after r
  root.children.push_back(Worker("c"));                     // c: added at the end

  // The root's own work first: b stopped; the reply waits for its new start.
  CHECK(Reload(h, next) == V{"stopping b", "signal r2 TERM", "arm t1 5000"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) == V{"cancel t1", "exited b shutdown code=0",
                                              "spawn r7 b"});
  // b ready -> s reloads: y stopped and removed.
  CHECK(h.Up(7) == V{"started b", "ready b", "stopping s/y", "signal r4 TERM", "arm t2 5000"});
  // y gone -> t reloads: r, then r2 after r is ready.
  CHECK(h.Exit(4, ExitStatus::Exited(0)) ==
        V{"cancel t2", "exited s/y shutdown code=0", "spawn r8 s/t/r"});
  CHECK(h.Up(8) == V{"started s/t/r", "ready s/t/r", "spawn r9 s/t/r2"});
  // t and s done -> the root starts c, then replies once c is ready.
  CHECK(h.Up(9) == V{"started s/t/r2", "ready s/t/r2", "spawn r10 c"});
  CHECK(h.Up(10) == V{"started c", "ready c", "reloaded sup -: counts", "reply 99 ok"});

  auto st = h.tree().Status("");
  REQUIRE(st);
  CHECK(h.tree().Status("a")->pid == 101);
  CHECK(h.tree().Status("s/x")->pid == 103);
  CHECK(h.tree().Status("s/t/p")->pid == 105);
  CHECK(h.tree().Status("s/t/q")->pid == 106);
  CHECK_FALSE(h.tree().Status("s/y"));
  CHECK(h.tree().Status("b")->restarts == 0);
  V order;
  for (const auto& c : ChildrenOf(h, "s/t")) order.push_back(c.id);
  CHECK(order == V{"p", "q", "r", "r2"});
  CHECK(h.tree().Idle());

  // The new policy is in force: s/t/p now gets 9s to stop.
  CHECK(h.Request(Op::kStop, "s/t/p") == V{"stopping s/t/p", "signal r5 TERM", "arm t3 9000"});
}

TEST_CASE("reload: a new intensity applies to the existing restart window") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 10000, {Worker("a")}));
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) ==
        V{"exited a abnormal code=1", "restarting a: restart 1 of 1 within 10s", "spawn r2 a"});
  h.Up(2);
  core::ChildSpec next = Sup("", Strategy::kOneForOne, 3, 10000, {Worker("a")});
  CHECK(Reload(h, next) == V{"reloaded sup -: counts", "reply 99 ok"});
  CHECK(h.Exit(2, ExitStatus::Exited(1)) ==
        V{"exited a abnormal code=1", "restarting a: restart 2 of 3 within 10s", "spawn r3 a"});
  CHECK(h.tree().Status("a")->restarts == 2);
}

TEST_CASE("reload: waits for a branch restart to finish (one thing at a time)") {
  CoreHarness h(Sup("", Strategy::kOneForAll, 5, 5000, {Worker("a"), Worker("b")}));
  h.Start();
  h.Up(1);
  h.Up(2);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) ==
        V{"exited a abnormal code=1", "restarting a: restart 1 of 5 within 5s", "stopping b",
          "signal r2 TERM", "arm t1 5000"});
  core::ChildSpec next = Sup("", Strategy::kOneForAll, 5, 5000, {Worker("a"), Worker("b")});
  WorkerOf(SupOf(next).children[1]).command = {"/bin/b2"};
  CHECK(Reload(h, next).empty());  // queued behind the branch restart
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited b shutdown code=0", "spawn r3 a"});
  CHECK(h.Up(3) == V{"started a", "ready a", "spawn r4 b"});
  // The branch restart is done: now the reload restarts b with its new command.
  CHECK(h.Up(4) == V{"started b", "ready b", "stopping b", "signal r4 TERM", "arm t2 5000"});
  CHECK(h.Exit(4, ExitStatus::Exited(0)) ==
        V{"cancel t2", "exited b shutdown code=0", "spawn r5 b"});
  CHECK(h.Up(5) == V{"started b", "ready b", "reloaded sup -: counts", "reply 99 ok"});
  CHECK(h.tree().Status("b")->restarts == 0);
}

TEST_CASE("reload: a crash-looping child in backoff takes its fixed command at once") {
  core::ChildSpec root = Sup("", Strategy::kOneForOne, 100, 5000, {Worker("a")});
  SupOf(root).backoff = core::BackoffSpec{1000, 8000, 2.0, 0.0, 0};
  CoreHarness h(root);
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) ==
        V{"exited a abnormal code=1", "restarting a: restart 1 of 100 within 5s", "arm t1 1000"});
  core::ChildSpec next = DeepCopy(root);
  WorkerOf(SupOf(next).children[0]).command = {"/bin/fixed", "--ok"};
  CHECK(Reload(h, next) == V{"cancel t1", "spawn r2 a [/bin/fixed --ok]"});
  CHECK(h.Up(2) == V{"started a", "ready a", "reloaded sup -: counts", "reply 99 ok"});
  CHECK(h.tree().Status("a")->state == core::NodeState::kRunning);
}

TEST_CASE("reload: operator-stopped stays stopped, a removed one is forgotten") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {Worker("a"), Worker("b")}));
  h.Start();
  h.Up(1);
  h.Up(2);
  h.Request(Op::kStop, "a");
  h.Exit(1, ExitStatus::Exited(0));
  h.Request(Op::kStop, "b");
  h.Exit(2, ExitStatus::Exited(0));
  core::ChildSpec next = Sup("", Strategy::kOneForOne, 1, 5000, {Worker("a")});
  WorkerOf(SupOf(next).children[0]).command = {"/bin/a2"};
  CHECK(Reload(h, next) == V{"reloaded sup -: counts", "reply 99 ok"});
  CHECK(h.tree().OperatorStopped() == V{"a"});
  CHECK(h.tree().Status("a")->state == core::NodeState::kStopped);
  CHECK(h.Request(Op::kStart, "a") == V{"spawn r3 a"});  // with the new spec
}

TEST_CASE("reload: worker -> supervisor is remove + add, reordering waits for a restart") {
  CoreHarness h(Sup("", Strategy::kOneForAll, 5, 5000, {Worker("a"), Worker("b")}));
  h.Start();
  h.Up(1);
  h.Up(2);
  core::ChildSpec next = Sup("", Strategy::kOneForAll, 5, 5000,
                             {Worker("b"), Sup("a", Strategy::kOneForOne, 1, 5000, {Worker("w")})});
  CHECK(Reload(h, next) == V{"stopping a", "signal r1 TERM", "arm t1 5000"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited a shutdown code=0", "started sup a", "spawn r3 a/w"});
  CHECK(h.Up(3) == V{"started a/w", "ready a/w", "ready sup a", "reloaded sup -: counts",
                     "reply 99 ok"});
  CHECK(h.tree().Status("b")->pid == 102);
  V order;
  for (const auto& c : ChildrenOf(h, "")) order.push_back(c.id);
  CHECK(order == V{"b", "a"});
  // The next branch restart uses the new order: stop a then b, start b then a.
  CHECK(h.Exit(2, ExitStatus::Exited(1)) ==
        V{"exited b abnormal code=1", "restarting b: restart 1 of 5 within 5s", "stopping sup a",
          "stopping a/w", "signal r3 TERM", "arm t2 5000"});
}

TEST_CASE("reload: simple_one_for_one template: new instances, or --restart-instances") {
  core::ChildSpec root = Sup("", Strategy::kOneForOne, 1, 5000,
                             {Sup("jobs", Strategy::kSimpleOneForOne, 1, 5000, {})});
  SupOf(SupOf(root).children[0]).child_template = Worker("job");
  CoreHarness h(root);
  h.Start();
  h.Request(Op::kStartChild, "jobs", {"--n", "1"});
  h.Up(1);
  core::ChildSpec next = DeepCopy(root);
  WorkerOf(*SupOf(SupOf(next).children[0]).child_template).command = {"/bin/job2"};
  CHECK(Reload(h, next) == V{"reloaded sup -: counts", "reply 99 ok"});
  CHECK(h.tree().Status("jobs/1")->pid == 101);
  CHECK(h.Request(Op::kStartChild, "jobs", {"x"}) == V{"spawn r2 jobs/2 [/bin/job2 x]"});
  h.Up(2);
  core::ChildSpec third = DeepCopy(next);
  WorkerOf(*SupOf(SupOf(third).children[0]).child_template).command = {"/bin/job3"};
  CHECK(Reload(h, third, true) == V{"stopping jobs/1", "signal r1 TERM", "arm t1 5000"});
  CHECK(h.Exit(1, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited jobs/1 shutdown code=0", "spawn r3 jobs/1 [/bin/job3 --n 1]"});
}

TEST_CASE("autostart false: not started at boot nor by a branch restart until started") {
  core::ChildSpec root = Sup("", Strategy::kOneForAll, 5, 5000, {Worker("a"), Worker("b")});
  SupOf(root).children[1].autostart = false;
  CoreHarness h(root);
  CHECK(h.Start() == V{"started sup -", "spawn r1 a"});
  CHECK(h.Up(1) == V{"started a", "ready a", "ready sup -", "tree_ready"});
  CHECK(h.tree().Status("b")->autostart_off);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) ==
        V{"exited a abnormal code=1", "restarting a: restart 1 of 5 within 5s", "spawn r2 a"});
  h.Up(2);
  CHECK(h.Request(Op::kStart, "b") == V{"spawn r3 b"});
  CHECK(h.Up(3) == V{"started b", "ready b", "reply 1 ok"});
  CHECK_FALSE(h.tree().Status("b")->autostart_off);
  // Once started it is supervised as usual: part of the next branch restart.
  h.Exit(2, ExitStatus::Exited(1));
  CHECK(h.Exit(3, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited b shutdown code=0", "spawn r4 a"});
  CHECK(h.Up(4) == V{"started a", "ready a", "spawn r5 b"});
}

TEST_CASE("autostart turned on by a reload starts the child, turned off keeps it running") {
  core::ChildSpec root = Sup("", Strategy::kOneForOne, 5, 5000, {Worker("a"), Worker("b")});
  SupOf(root).children[1].autostart = false;
  CoreHarness h(root);
  h.Start();
  h.Up(1);
  core::ChildSpec next = DeepCopy(root);
  SupOf(next).children[1].autostart = true;
  SupOf(next).children[0].autostart = false;
  CHECK(Reload(h, next) == V{"spawn r2 b"});
  CHECK(h.Up(2) == V{"started b", "ready b", "reloaded sup -: counts", "reply 99 ok"});
  CHECK(h.tree().Status("a")->pid == 101);
  CHECK_FALSE(h.tree().Status("a")->autostart_off);
}

}  // namespace
}  // namespace supd::testing
