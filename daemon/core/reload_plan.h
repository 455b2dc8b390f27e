// Reload: what a new config changes against the running one, by path. Pure: the same
// comparison serves `supctl reload --dry-run` (the plan) and the supervisors that apply it.
#pragma once

#include <string>
#include <vector>

#include "daemon/core/child_spec.h"

namespace supd::core {

/// How one child spec at a path differs from the one in force.
enum class SpecChange {
  kUnchanged,  ///< keep pid and restart history
  kPolicy,     ///< take the new policy at once, keep the pid
  kRestart,    ///< a worker's process-affecting spec changed: stop, then start with it
  kReplace,    ///< worker <-> supervisor, or to/from simple_one_for_one: remove + add
};

/// Compares a child's own spec (for a supervisor: its policy and template, not its
/// children, which are compared one by one). `normal_exit_codes` and `start_timeout` are
/// policy; every other field of WorkerSpec affects the process.
SpecChange Compare(const ChildSpec& before, const ChildSpec& after);

/// Names of the process-affecting fields that differ: "command", "env", ... (or "spec"
/// when only a field without a name here differs).
std::vector<std::string> ProcessChanges(const WorkerSpec& before, const WorkerSpec& after);

/// The policy that differs, rendered "shutdown 5s→10s", "intensity 1→5", ... (for a
/// supervisor also "children order" when kept children were reordered).
std::vector<std::string> PolicyChanges(const ChildSpec& before, const ChildSpec& after);

/// True when a simple_one_for_one template's process-affecting spec differs.
bool TemplateProcessChanged(const SupervisorSpec& before, const SupervisorSpec& after);

/// One line of a reload plan.
struct PlannedChange {
  enum class Kind { kAdded, kRemoved, kRestart, kPolicy, kTemplate };
  Kind kind = Kind::kAdded;
  std::string path;
  bool supervisor = false;
  /// kRestart: changed fields; kPolicy: "key old→new"; kTemplate: the template's changes.
  std::vector<std::string> details;
};

/// "added", "removed", "restart", "policy", "template".
const char* ToString(PlannedChange::Kind kind);

/// What a reload does, in the order it is applied within each supervisor: removed
/// children (reverse start order), then the others in their new start order.
struct ReloadPlan {
  std::vector<PlannedChange> changes;
  /// `daemon` keys that cannot change while supd runs: "socket: takes effect at the next
  /// start of supd".
  std::vector<std::string> warnings;
  /// `daemon` keys that change at once: "socket_mode 0600→0660", "log_format text→json".
  std::vector<std::string> daemon_changes;
  int added = 0;
  int removed = 0;
  int restarted = 0;
  int policy = 0;
  int unchanged = 0;  ///< children (the root excluded) left exactly as they are

  /// "1 added, 1 removed, 2 restarted, 1 policy, 6 unchanged".
  std::string Summary() const;
};

/// Diffs `after` against `before` (the config in force). With `restart_instances`, a
/// changed simple_one_for_one template also restarts the running instances.
ReloadPlan PlanReload(const Config& before, const Config& after, bool restart_instances);

/// "250ms", "5s" (the core's rendering of durations in messages).
std::string FormatMillis(Millis ms);

}  // namespace supd::core
