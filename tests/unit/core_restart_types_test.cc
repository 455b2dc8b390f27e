// Restart types × exit reasons, named after OTP's supervisor_SUITE cases.
#include <doctest/doctest.h>

#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::RestartType;
using core::Strategy;
using V = std::vector<std::string>;

CoreHarness OneChild(RestartType type) {
  return CoreHarness(Sup("", Strategy::kOneForOne, 3, 5000, {Worker("w", type)}));
}

TEST_CASE("exit status: shell code and normal_exit_codes") {
  CHECK(ExitStatus::Signaled(9).ShellCode() == 137);
  CHECK(ExitStatus::Exited(3).ShellCode() == 3);
  CHECK(ExitStatus::Exited(0).IsNormal({0}));
  CHECK_FALSE(ExitStatus::Signaled(15).IsNormal({0, 15}));
}

TEST_CASE("start: children in list order, each after the previous is ready") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 1, 5000, {Worker("a"), Worker("b")}));
  CHECK(h.Start() == V{"started sup -", "spawn r1 a"});
  CHECK(h.Handle(core::ChildSpawned{1, 101}) == V{"started a"});
  CHECK(h.Handle(core::ChildReady{1}) == V{"ready a", "spawn r2 b"});
  CHECK(h.Up(2) == V{"started b", "ready b", "ready sup -", "tree_ready"});
  CHECK(h.tree().Idle());
}

TEST_CASE("permanent_normal: restarted and counted") {
  CoreHarness h = OneChild(RestartType::kPermanent);
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(0)) ==
        V{"exited w normal code=0", "restarting w: restart 1 of 3 within 5s", "spawn r2 w"});
  CHECK(h.Up(2) == V{"started w", "ready w"});
  CHECK(h.tree().Status("w")->restarts == 1);
}

TEST_CASE("permanent_abnormal: restarted and counted") {
  CoreHarness h = OneChild(RestartType::kPermanent);
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Signaled(11)) ==
        V{"exited w abnormal signal=11", "restarting w: restart 1 of 3 within 5s", "spawn r2 w"});
}

TEST_CASE("transient_normal: not restarted, stays exited") {
  CoreHarness h = OneChild(RestartType::kTransient);
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(0)) == V{"exited w normal code=0"});
  CHECK(h.tree().Status("w")->state == core::NodeState::kExited);
  CHECK(h.tree().Idle());
}

TEST_CASE("transient_abnormal: restarted, normal_exit_codes decide what is normal") {
  core::ChildSpec w = Worker("w", RestartType::kTransient);
  WorkerOf(w).normal_exit_codes = {0, 3};
  CoreHarness h(Sup("", Strategy::kOneForOne, 3, 5000, {w}));
  h.Start();
  h.Up(1);
  CHECK(h.Exit(1, ExitStatus::Exited(3)) == V{"exited w normal code=3"});
  CHECK(h.Request(core::OperatorRequest::Op::kStart, "w") == V{"spawn r2 w"});
  CHECK(h.Up(2) == V{"started w", "ready w", "reply 1 ok"});
  CHECK(h.Exit(2, ExitStatus::Exited(1)) ==
        V{"exited w abnormal code=1", "restarting w: restart 1 of 3 within 5s", "spawn r3 w"});
}

TEST_CASE("temporary_normal / temporary_abnormal: never restarted, listed as exited") {
  for (ExitStatus status : {ExitStatus::Exited(0), ExitStatus::Exited(2)}) {
    CoreHarness h = OneChild(RestartType::kTemporary);
    h.Start();
    h.Up(1);
    CHECK(h.Exit(1, status).size() == 1);
    CHECK(h.tree().Status("w")->state == core::NodeState::kExited);
    CHECK(h.tree().Idle());
  }
}

// OTP's *_shutdown cases: a child exiting with reason shutdown. In supd that is a nested
// supervisor that gave up.
core::ChildSpec GivingUpSub(RestartType type) {
  return Sup("s", Strategy::kOneForOne, 0, 5000, {Worker("w")}, type);
}

TEST_CASE("permanent_shutdown: a given-up permanent supervisor is restarted and counted") {
  CoreHarness h(Sup("", Strategy::kOneForOne, 3, 5000, {GivingUpSub(RestartType::kPermanent)}));
  CHECK(h.Start() == V{"started sup -", "started sup s", "spawn r1 s/w"});
  CHECK(h.Up(1) == V{"started s/w", "ready s/w", "ready sup s", "ready sup -",
                     "tree_ready"});
  CHECK(h.Exit(1, ExitStatus::Exited(1)) ==
        V{"exited s/w abnormal code=1", "gave_up sup s: more than 0 restarts within 5s",
          "exited sup s shutdown", "restarting sup s: restart 1 of 3 within 5s", "started sup s",
          "spawn r2 s/w"});
}

TEST_CASE("transient_shutdown / temporary_shutdown: a given-up supervisor stays down") {
  for (RestartType type : {RestartType::kTransient, RestartType::kTemporary}) {
    CoreHarness h(Sup("", Strategy::kOneForOne, 3, 5000, {GivingUpSub(type)}));
    h.Start();
    h.Up(1);
    CHECK(h.Exit(1, ExitStatus::Exited(1)) == V{"exited s/w abnormal code=1",
                                                "gave_up sup s: more than 0 restarts within 5s",
                                                "exited sup s shutdown"});
    CHECK(h.tree().Status("s")->state == core::NodeState::kStopped);
    CHECK(h.tree().Idle());
  }
}

}  // namespace
}  // namespace supd::testing
