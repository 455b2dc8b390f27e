// auto_shutdown with significant children (OTP 24 semantics).
#include <doctest/doctest.h>

#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::AutoShutdown;
using core::ExitStatus;
using core::RestartType;
using core::Strategy;
using Op = core::OperatorRequest::Op;
using V = std::vector<std::string>;

core::ChildSpec Significant(const std::string& id, RestartType type) {
  core::ChildSpec w = Worker(id, type);
  w.significant = true;
  return w;
}

core::ChildSpec Root(AutoShutdown mode, std::vector<core::ChildSpec> children) {
  core::ChildSpec root = Sup("", Strategy::kOneForOne, 5, 5000, std::move(children));
  SupOf(root).auto_shutdown = mode;
  return root;
}

TEST_CASE("any_significant: a crash restarts, a normal exit shuts the tree down") {
  CoreHarness h(Root(AutoShutdown::kAnySignificant,
                     {Significant("m", RestartType::kTransient), Worker("h")}));
  h.Start();
  h.Up(1);
  h.Up(2);
  CHECK(h.Exit(1, ExitStatus::Exited(1)) ==
        V{"exited m abnormal code=1", "restarting m: restart 1 of 5 within 5s", "spawn r3 m"});
  h.Up(3);
  CHECK(h.Exit(3, ExitStatus::Exited(0)) == V{"exited m normal code=0", "auto_shutdown sup -",
                                              "stopping h", "signal r2 TERM", "arm t1 5000"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) == V{"cancel t1", "exited h shutdown code=0",
                                              "exited sup - shutdown",
                                              "tree_stopped auto_shutdown 0"});
}

TEST_CASE("any_significant on the root: supd exits with the child's status (128+n)") {
  CoreHarness h(Root(AutoShutdown::kAnySignificant, {Significant("m", RestartType::kTemporary)}));
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Signaled(15)) == V{"exited m abnormal signal=15",
                                                 "auto_shutdown sup -", "exited sup - shutdown",
                                                 "tree_stopped auto_shutdown 143"});
}

TEST_CASE("all_significant: only when no significant child runs any more") {
  CoreHarness h(Root(AutoShutdown::kAllSignificant,
                     {Significant("m1", RestartType::kTransient),
                      Significant("m2", RestartType::kTemporary), Worker("h")}));
  h.Start();
  for (core::RunId r = 1; r <= 3; ++r) h.Up(r);
  CHECK(h.Exit(1, ExitStatus::Exited(0)) == V{"exited m1 normal code=0"});
  CHECK(h.Exit(2, ExitStatus::Exited(3)) == V{"exited m2 abnormal code=3", "auto_shutdown sup -",
                                              "stopping h", "signal r3 TERM", "arm t1 5000"});
  CHECK(h.Exit(3, ExitStatus::Exited(0)).back() == "tree_stopped auto_shutdown 3");
}

TEST_CASE("never by an operator stop of a significant child") {
  CoreHarness h(Root(AutoShutdown::kAnySignificant,
                     {Significant("m", RestartType::kTransient), Worker("h")}));
  h.Start();
  h.Up(1);
  h.Up(2);
  h.Request(Op::kStop, "m");
  CHECK(h.Exit(1, ExitStatus::Exited(0)) ==
        V{"cancel t1", "exited m shutdown code=0", "reply 1 ok"});
  CHECK(h.tree().Status("")->state == core::NodeState::kRunning);
}

TEST_CASE("a nested supervisor's auto_shutdown: transient stays down, permanent restarts") {
  auto svc = [](const std::string& id, RestartType type) {
    core::ChildSpec s = Sup(id, Strategy::kOneForOne, 5, 5000,
                            {Significant("main", RestartType::kTransient)}, type);
    SupOf(s).auto_shutdown = AutoShutdown::kAnySignificant;
    return s;
  };
  CoreHarness h(Sup("", Strategy::kOneForOne, 5, 5000,
                    {svc("t", RestartType::kTransient), svc("p", RestartType::kPermanent)}));
  h.Start();
  h.Up(1);
  h.Up(2);
  CHECK(h.Exit(1, ExitStatus::Exited(0)) ==
        V{"exited t/main normal code=0", "auto_shutdown sup t", "exited sup t shutdown"});
  CHECK(h.Exit(2, ExitStatus::Exited(0)) ==
        V{"exited p/main normal code=0", "auto_shutdown sup p", "exited sup p shutdown",
          "restarting sup p: restart 1 of 5 within 5s", "started sup p", "spawn r3 p/main"});
}

}  // namespace
}  // namespace supd::testing
