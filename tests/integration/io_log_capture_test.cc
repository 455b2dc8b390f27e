// Output capture on a real loop with real processes (daemon/io/log): the pipes outlive
// runs, a run's last words are read before its exit is reported, and a child flooding a
// destination nobody reads is paused (blocked in write), not dropped.
#include <fcntl.h>
#include <unistd.h>

#include <climits>

#include "daemon/io/log/log_hub.h"
#include "tests/integration/io_harness.h"

namespace supd::io::test {
namespace {

/// A pipe standing for supd's stdout; the test reads its read end, or never does.
struct StdoutPipe {
  int fds[2] = {-1, -1};
  StdoutPipe() {
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
  }
  ~StdoutPipe() {
    close(fds[0]);
    close(fds[1]);
  }
  std::string Drain() {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
};

Harness::CaptureFactory HubOn(int stdout_fd, std::vector<std::string>* warnings) {
  return [=](uv_loop_t* loop) -> std::unique_ptr<OutputCapture> {
    return std::make_unique<log::LogHub>(
        loop, log::LogHubOptions{"", false, stdout_fd, 2},
        [warnings](const std::string& w) { warnings->push_back(w); });
  };
}

std::shared_ptr<core::WorkerSpec> Captured(std::vector<std::string> args) {
  auto spec = ChildSpec(std::move(args));
  spec->stdout_spec.kind = core::OutputSpec::Kind::kLog;
  return spec;
}

std::string PipeOf(pid_t pid, int fd) {
  char target[PATH_MAX] = {};
  std::string link = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "";
}

TEST_CASE("io log: a run's last words and partial line are in before its exit and runs share a pipe") {
  StdoutPipe out;
  std::vector<std::string> warnings;
  Harness h(true, "", HubOn(out.fds[1], &warnings));
  auto& hub = static_cast<log::LogHub&>(*h.capture());

  core::RunId first =
      h.Spawn(Captured({"--say", "one", "--say-partial", "half", "--exit", "1"}), "w");
  h.WaitExit(first);
  CHECK(hub.Tail("w", 10) == std::vector<std::string>{"one", "half"});  // already, at the exit
  core::RunId second = h.Spawn(Captured({"--say-err", "two", "--exit", "0"}), "w");
  h.WaitExit(second);
  CHECK(hub.Tail("w", 10) == std::vector<std::string>{"one", "half", "two"});
  std::string text;
  CHECK(h.RunUntil(
      [&] {
        text += out.Drain();
        return text == "w| one\nw| half\nw| two\n";
      },
      5000));
  CHECK(warnings.empty());

  // Two runs of one path write into the same pipes (kept across restarts).
  core::RunId a = h.SpawnReady(Captured({"--tick", "1000"}));
  std::string pipe_a = PipeOf(h.Pid(a), 1);
  h.pm().Signal({a, SIGKILL});
  h.WaitExit(a);
  core::RunId b = h.Spawn(Captured({"--tick", "1000"}), "test/child" + std::to_string(a));
  REQUIRE(h.RunUntil([&] { return h.Ready(b); }, 5000));
  CHECK(pipe_a.rfind("pipe:", 0) == 0);
  CHECK(PipeOf(h.Pid(b), 1) == pipe_a);
  CHECK(PipeOf(h.Pid(b), 2) != pipe_a);  // stderr: its own pipe, same destination
}

TEST_CASE("io log: a flood into a destination nobody reads blocks the child, drops nothing") {
  StdoutPipe stuck;  // never read
  std::vector<std::string> warnings;
  Harness h(true, "", HubOn(stuck.fds[1], &warnings));
  auto& hub = static_cast<log::LogHub&>(*h.capture());
  core::RunId flood = h.SpawnReady(Captured({"--flood"}));
  std::string path = "test/child" + std::to_string(flood);
  std::string wchan = "/proc/" + std::to_string(h.Pid(flood)) + "/wchan";
  // Blocked writing into its pipe (pipe_write, or pipe_wait_writable on some kernels), and
  // supd has read lines before it stopped: on a loaded machine the child can fill its pipe
  // before supd's loop reads anything, so wait for both.
  auto captured = [&] { return hub.Tail(path, 1).value_or(std::vector<std::string>{}).size() == 1; };
  REQUIRE(h.RunUntil(
      [&] { return ReadFile(wchan).find("pipe_w") != std::string::npos && captured(); },
      20000));
  auto state = hub.StateOf(path);
  REQUIRE(state);
  CHECK(state->dropped == 0);
  CHECK(state->error.empty());
}

}  // namespace
}  // namespace supd::io::test
