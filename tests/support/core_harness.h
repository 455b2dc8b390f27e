// Helpers for unit tests of the pure core: compact spec builders and a one-line text
// form of every command, so that a test can assert the exact command list.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "daemon/core/commands.h"
#include "daemon/core/tree.h"

namespace supd::testing {

/// A worker spec: command {"/bin/ID"}, ready exec, the given restart type.
core::ChildSpec Worker(const std::string& id,
                       core::RestartType restart = core::RestartType::kPermanent);
/// A supervisor spec (shutdown infinity) with `children` in start order.
core::ChildSpec Sup(const std::string& id, core::Strategy strategy, int intensity,
                    core::Millis period, std::vector<core::ChildSpec> children,
                    core::RestartType restart = core::RestartType::kPermanent);
/// Mutable access to a spec's supervisor part (for the less common keys).
core::SupervisorSpec& SupOf(core::ChildSpec& spec);
/// Mutable access to a spec's worker part.
core::WorkerSpec& WorkerOf(core::ChildSpec& spec);
/// `spec` with the given shutdown (brutal_kill, infinity, or a timeout of `ms`).
core::ChildSpec WithShutdown(core::ChildSpec spec, core::Shutdown::Kind kind, core::Millis ms = 0);
/// A copy sharing no worker/supervisor part with `spec` (SupOf/WorkerOf write through the
/// shared pointers), e.g. to edit a config into the next one for a reload.
core::ChildSpec DeepCopy(const core::ChildSpec& spec);

/// "spawn r1 a", "signal r1 TERM", "signal r1 KILL: watchdog expired (...)" (with its why), "arm t2 5000", "cancel t2", "reply 3 ok",
/// "reply 3 bad_state running", "started a", "exited a abnormal code=1",
/// "restarting a: restart 1 of 3 within 5s", "tree_stopped gave_up 3",
/// "tree_stopped gave_up 3 stay" (supd stays up), "tree_ready", ... Supervisor
/// lifecycle events carry "sup " before the path; the root's path is "-".
std::string Describe(const core::Command& command);
std::vector<std::string> Describe(const std::vector<core::Command>& commands);

/// Drives a Tree on a fake clock.
class CoreHarness {
 public:
  explicit CoreHarness(core::ChildSpec root, std::function<double()> random = {});
  CoreHarness(core::ChildSpec root, core::TreeOptions options);

  core::Tree& tree() { return tree_; }
  core::Millis now() const { return now_; }
  void Advance(core::Millis ms) { now_ += ms; }

  std::vector<std::string> Start();
  std::vector<std::string> Handle(const core::Event& e);
  /// Spawned + ready for `run` (pid 100+run).
  std::vector<std::string> Up(core::RunId run);
  std::vector<std::string> Exit(core::RunId run, core::ExitStatus status);
  std::vector<std::string> Fire(core::TimerId timer);
  std::vector<std::string> Request(core::OperatorRequest::Op op, const std::string& path,
                                   std::vector<std::string> args = {},
                                   std::optional<std::string> id = std::nullopt);

  /// Every command returned so far, in order.
  const std::vector<core::Command>& all() const { return all_; }

 private:
  std::vector<std::string> Record(std::vector<core::Command> commands);

  core::Tree tree_;
  core::Millis now_ = 0;
  core::RequestId next_request_ = 0;
  std::vector<core::Command> all_;
};

}  // namespace supd::testing
