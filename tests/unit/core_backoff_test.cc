// The restart window (OTP's add_restart) and the optional backoff delay.
#include <doctest/doctest.h>

#include "daemon/core/backoff.h"
#include "daemon/core/restart_window.h"
#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::Strategy;
using Op = core::OperatorRequest::Op;
using V = std::vector<std::string>;

TEST_CASE("RestartWindow: more than intensity restarts within period gives up") {
  core::RestartWindow w(2, 1000);
  CHECK(w.Add(0));
  CHECK(w.Add(500));
  CHECK_FALSE(w.Add(1000));  // 0, 500 and 1000 all within 1000 ms
  core::RestartWindow v(2, 1000);
  CHECK(v.Add(0));
  CHECK(v.Add(500));
  CHECK(v.Add(1001));  // 0 has expired
  CHECK(v.Count() == 2);
  core::RestartWindow zero(0, 1000);
  CHECK_FALSE(zero.Add(0));
}

TEST_CASE("Backoff: grows by multiplier up to max, jitter, reset after a good run") {
  core::BackoffSpec spec{100, 500, 2.0, 0.0, 1000};
  core::Backoff b(spec);
  CHECK(b.Next(0, 0.5) == 100);
  CHECK(b.Next(0, 0.5) == 200);
  CHECK(b.Next(0, 0.5) == 400);
  CHECK(b.Next(0, 0.5) == 500);
  CHECK(b.Next(999, 0.5) == 500);
  CHECK(b.Next(1000, 0.5) == 100);
  core::Backoff j(core::BackoffSpec{1000, 60000, 2.0, 0.5, 0});
  CHECK(j.Next(0, 0.0) == 500);    // -50 %
  CHECK(j.Next(0, 0.75) == 2500);  // +25 % of 2000
}

TEST_CASE("backoff in the tree: state backoff, restart when the timer fires") {
  core::ChildSpec root = Sup("", Strategy::kOneForOne, 5, 60000, {Worker("w")});
  SupOf(root).backoff = core::BackoffSpec{1000, 4000, 2.0, 0.5, 10000};
  double r = 0.75;
  CoreHarness h(std::move(root), [&r] { return r; });
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) ==
        V{"exited w abnormal code=1", "restarting w: restart 1 of 5 within 60s", "arm t1 1250"});
  CHECK(h.tree().Status("w")->state == core::NodeState::kBackoff);
  CHECK_FALSE(h.tree().Idle());
  h.Advance(1250);
  CHECK(h.Fire(1) == V{"spawn r2 w"});
  h.Up(2);
  r = 0.0;
  h.Advance(100);
  CHECK(h.Exit(2, ExitStatus::Exited(1)).back() == "arm t2 1000");  // 2000 - 50 %
  h.Advance(1000);
  h.Fire(2);
  h.Up(3);
  h.Advance(10000);  // up for reset_after: back to initial
  CHECK(h.Exit(3, ExitStatus::Exited(1)).back() == "arm t3 500");
}

TEST_CASE("backoff: an operator stop cancels the pending restart") {
  core::ChildSpec root = Sup("", Strategy::kOneForOne, 5, 60000, {Worker("w")});
  SupOf(root).backoff = core::BackoffSpec{1000, 4000, 2.0, 0.0, 0};
  CoreHarness h(std::move(root));
  h.Start();
  h.Up(1);
  h.Exit(1, ExitStatus::Exited(1));
  CHECK(h.Request(Op::kStop, "w") == V{"cancel t1", "reply 1 ok"});
  CHECK(h.tree().Status("w")->state == core::NodeState::kStopped);
  CHECK(h.tree().Idle());
}

TEST_CASE("no backoff by default: the restart is immediate") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 5, 60000, {Worker("w")}));
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(1)).back() == "spawn r2 w");
}

}  // namespace
}  // namespace supd::testing
