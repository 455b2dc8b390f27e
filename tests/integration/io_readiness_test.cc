// Process layer: readiness (notify_fd, after).
#include "tests/integration/io_harness.h"

namespace supd::io::test {
namespace {

std::shared_ptr<core::WorkerSpec> NotifySpec(std::vector<std::string> args, int fd = 3) {
  auto spec = ChildSpec(std::move(args));
  spec->ready.kind = core::ReadySpec::Kind::kNotifyFd;
  spec->ready.notify_fd = fd;
  return spec;
}

TEST_CASE("io: notify_fd: ready when a newline is written") {
  Harness h;
  auto run = h.Spawn(NotifySpec({"--notify-fd", "3", "--sleep-ms", "50"}));
  REQUIRE(h.Pid(run) > 0);
  CHECK(!h.Ready(run));
  CHECK(h.RunUntil([&] { return h.Ready(run); }, 3000));
  CHECK(h.pm().EffectiveKillMode(run) == "group");
  h.pm().Signal({run, SIGTERM});
  CHECK(h.WaitExit(run) == core::ExitStatus::Signaled(SIGTERM));
}

TEST_CASE("io: notify_fd: other bytes then the newline, a high fd number") {
  Harness h;
  auto run = h.Spawn(NotifySpec({"--notify-fd", "9", "--notify-raw", "READY=1 ok\nmore"}, 9));
  CHECK(h.RunUntil([&] { return h.Ready(run); }, 3000));
}

TEST_CASE("io: notify_fd: EOF without a newline is not readiness") {
  Harness h;
  auto run = h.Spawn(NotifySpec({"--notify-fd", "3", "--notify-raw", "no newline"}));
  auto closed = h.Spawn(NotifySpec({"--notify-fd", "3", "--notify-raw", ""}));
  CHECK(!h.RunUntil([&] { return h.Ready(run) || h.Ready(closed); }, 300));
  CHECK(h.pm().LiveRuns() == 2);
}

TEST_CASE("io: notify_fd: a newline written right before exiting counts, before the exit") {
  Harness h;
  auto run = h.Spawn(NotifySpec({"--notify-fd", "3", "--exit", "0"}));
  CHECK(h.WaitExit(run) == core::ExitStatus::Exited(0));
  CHECK(h.Ready(run));
  auto& ev = h.events();
  REQUIRE(ev.size() == 3);
  CHECK(std::holds_alternative<core::ChildReady>(ev[1]));
}

TEST_CASE("io: ready after D is the core's timer: io reports no readiness of its own") {
  Harness h;
  auto spec = ChildSpec({});
  spec->ready.kind = core::ReadySpec::Kind::kAfter;
  spec->ready.after = 50;
  auto run = h.Spawn(spec);
  REQUIRE(h.RunUntil([&] { return h.Pid(run) > 0; }, 3000));
  CHECK(!h.RunUntil([&] { return h.Ready(run); }, 300));
}

}  // namespace
}  // namespace supd::io::test
