// The whole supervision tree: the pure core's single entry point.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/child_spec.h"
#include "daemon/core/commands.h"
#include "daemon/core/events.h"

namespace supd::core {

enum class NodeState { kStopped, kStarting, kRunning, kStopping, kBackoff, kExited };
template <>
struct EnumWords<NodeState> {
  static constexpr std::array<const char*, 6> words = {"stopped",  "starting", "running",
                                                       "stopping", "backoff",  "exited"};
};

/// A read-only snapshot of one node and its subtree (for `status`).
struct NodeStatus {
  std::string path;  ///< "" for the root
  std::string id;
  bool supervisor = false;
  NodeState state = NodeState::kStopped;
  std::optional<int> pid;      ///< workers, while a process exists
  Millis since = 0;            ///< monotonic ms of the last state change
  int restarts = 0;            ///< restarts of this node decided by its parent
  struct LastExit {
    ExitStatus status;
    ExitReason reason;
    /// The failed spawn step and errno when the child never ran ("exec: /x: ENOENT");
    /// empty when it ran (its own exit 127 stays an exit code).
    std::string error = {};
  };
  std::optional<LastExit> last_exit;
  bool ready = false;
  std::optional<Millis> ready_after;  ///< ms from spawn to ready, last start
  std::string status_text;            ///< sd_notify STATUS=
  bool operator_stopped = false;      ///< sticky operator stop
  bool autostart_off = false;         ///< `autostart: false`, not started by an operator yet
  bool dynamic = false;               ///< a simple_one_for_one instance
  RestartType restart = RestartType::kPermanent;
  std::vector<NodeStatus> children;   ///< supervisors: in start order
};

/// How a Tree behaves at the root (the config's `daemon` section, as far as it is policy).
struct TreeOptions {
  /// `on_root_give_up`: kStay keeps supd up with the tree stopped after the root gave up.
  DaemonSpec::OnRootGiveUp on_root_give_up = DaemonSpec::OnRootGiveUp::kExit;
  /// Uniform doubles in [0,1) for backoff jitter (default: 0.5).
  std::function<double()> random;
};

/// Owns the supervision state of a whole tree. Single-threaded; every call takes the
/// current monotonic time and returns the commands to carry out, in order.
class Tree {
 public:
  /// `random` returns uniform doubles in [0,1) for backoff jitter (default: 0.5).
  explicit Tree(ChildSpec root, std::function<double()> random = {});
  Tree(ChildSpec root, TreeOptions options);
  ~Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  /// Start the tree (children in order, each after the previous is ready).
  std::vector<Command> Start(Millis now);
  /// Feed one event.
  std::vector<Command> Handle(const Event& event, Millis now);

  /// Snapshot of the node at `path` ("" = root); nullopt if no such node.
  std::optional<NodeStatus> Status(std::string_view path) const;
  /// True when no supervisor is busy (starting, stopping, restarting, backoff pending,
  /// queued exits) — "quiescent" in the conformance sense.
  bool Idle() const;
  /// Counts the events that reached a node (so may have changed some state): a caller
  /// that compares it before and after Handle knows whether to look at Status again.
  std::uint64_t Generation() const;
  /// Operator stops recorded as sticky (paths), for the state dir.
  std::vector<std::string> OperatorStopped() const;
  /// Before Start(): mark paths as operator-stopped (restored from the state dir).
  void RestoreOperatorStopped(const std::vector<std::string>& paths);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace supd::core
