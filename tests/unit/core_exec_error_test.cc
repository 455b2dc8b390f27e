// A start that fails before the child runs (exec, chdir, user switch, rlimit, cgroup, fork)
// keeps its short error in the last exit and the `exited` event; a child's own exit 127
// stays an exit code.
#include <doctest/doctest.h>

#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::Strategy;

const core::Lifecycle* LastExitedEvent(const CoreHarness& h) {
  const core::Lifecycle* found = nullptr;
  for (const core::Command& c : h.all()) {
    const auto* l = std::get_if<core::Lifecycle>(&c);
    if (l && l->kind == core::Lifecycle::Kind::kExited) found = l;
  }
  return found;
}

TEST_CASE("exec error: status and the exited event carry the failed step and errno") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 5, 5000, {Worker("w")}));
  h.Start();
  h.Handle(core::SpawnFailed{1, "exec failed: /x: No such file or directory (ENOENT)",
                             "exec: /x: ENOENT"});
  auto st = h.tree().Status("w");
  REQUIRE(st);
  REQUIRE(st->last_exit);
  CHECK(st->last_exit->error == "exec: /x: ENOENT");
  CHECK(st->last_exit->status == ExitStatus::Exited(127));
  CHECK(st->last_exit->reason == core::ExitReason::kAbnormal);
  CHECK(st->restarts == 1);  // a failed start counts like an abnormal exit
  const core::Lifecycle* ev = LastExitedEvent(h);
  REQUIRE(ev);
  CHECK(ev->error == "exec: /x: ENOENT");
  CHECK(ev->detail == "exec failed: /x: No such file or directory (ENOENT)");
}

TEST_CASE("exec error: without a short form the message is shown") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 5, 5000, {Worker("w")}));
  h.Start();
  h.Handle(core::SpawnFailed{1, "spawn failed: empty command", ""});
  CHECK(h.tree().Status("w")->last_exit->error == "spawn failed: empty command");
}

TEST_CASE("exec error: a child's own exit 127 is an exit code, and a later exit clears it") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 5, 5000, {Worker("w")}));
  h.Start();
  h.Handle(core::SpawnFailed{1, "chdir failed: /d: Permission denied (EACCES)",
                             "chdir: /d: EACCES"});
  h.Up(2);
  h.Exit(2, ExitStatus::Exited(127));
  auto st = h.tree().Status("w");
  CHECK(st->last_exit->status == ExitStatus::Exited(127));
  CHECK(st->last_exit->error.empty());
  REQUIRE(LastExitedEvent(h));
  CHECK(LastExitedEvent(h)->error.empty());
}

}  // namespace
}  // namespace supd::testing
