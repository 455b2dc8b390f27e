// The core's internal model: one child slot of a supervisor (a worker or a nested
// supervisor) and the context shared by every supervisor of a Tree. Pure.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/core/backoff.h"
#include "daemon/core/child_spec.h"
#include "daemon/core/commands.h"
#include "daemon/core/events.h"
#include "daemon/core/tree.h"

namespace supd::core {

class Supervisor;

/// Where one child slot is, as seen by its supervisor.
enum class Phase {
  kStopped,   ///< no process: never started, or stopped by its supervisor or an operator
  kStarting,  ///< spawned (or subtree starting), not ready yet
  kRunning,   ///< ready
  kStopping,  ///< stop signal sent (or subtree stopping), waiting for the exit
  kKilling,   ///< SIGKILL sent, waiting for the exit
  kBackoff,   ///< restart decided, waiting for the backoff delay
  kExited,    ///< finished by itself and not restarted (transient, temporary)
  kDead,      ///< exit seen, its handling queued behind the supervisor's current work
};

/// A process exists, or an exit is still being handled.
inline bool Live(Phase p) {
  return p == Phase::kStarting || p == Phase::kRunning || p == Phase::kStopping ||
         p == Phase::kKilling || p == Phase::kBackoff || p == Phase::kDead;
}

/// What a timer armed for a child is for. The child's own timer (`timer`) serves the
/// first three; a run's deadlines (`run_timer`, supervisor_run.cc) the last three.
enum class TimerPurpose { kNone, kStartTimeout, kShutdown, kBackoff, kReadyAfter, kWatchdog,
                          kLeftoverKill };

/// One child of a supervisor (or the root). Owned by its supervisor; its address is
/// stable while it exists.
struct Child {
  Child();
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Word-sized members first, then the small ones together: a big tree has thousands of
  // Child (issue 16: memory; 448 -> 368 bytes with the backoff behind a pointer).
  ChildSpec spec;
  std::string path;                          ///< "" for the root
  Supervisor* owner = nullptr;               ///< null for the root
  std::shared_ptr<const WorkerSpec> worker;  ///< workers: command with dynamic args
  std::unique_ptr<Supervisor> sup;           ///< supervisors: kept while stopped

  RunId run = 0;  ///< 0 = no live run
  std::optional<int> pid;
  TimerId timer = 0;  ///< 0 = none
  /// The live run's own deadline, beside `timer`: `ready: {"after"}`, the sd_notify
  /// watchdog, or SIGKILL for the leftovers of a main process that exited. 0 = none.
  TimerId run_timer = 0;
  Millis watchdog = 0;  ///< the run's watchdog period (WATCHDOG_USEC may change it); 0: none

  Millis since = 0;
  Millis spawned_at = 0;
  std::optional<Millis> ready_at;
  std::optional<NodeStatus::LastExit> last_exit;
  std::optional<Millis> ready_after;
  std::string status_text;
  std::unique_ptr<Backoff> backoff;  ///< only under a supervisor with a `backoff`

  int restarts = 0;
  Phase phase = Phase::kStopped;
  TimerPurpose timer_purpose = TimerPurpose::kNone;
  TimerPurpose run_timer_purpose = TimerPurpose::kNone;
  bool dynamic = false;          ///< a simple_one_for_one instance
  bool start_timed_out = false;  ///< being stopped because start_timeout expired
  bool ready = false;
  bool operator_stopped = false;
  /// `autostart: false` and not started by an operator yet: a start of its supervisor or
  /// a branch restart passes it by.
  bool held = false;
};

/// A message from a nested supervisor to its parent, delivered after the current call
/// chain has returned (so that a supervisor never re-enters its parent).
struct Notice {
  enum class Kind { kSupervisorReady, kSupervisorExited, kSupervisorReloaded };
  Kind kind;
  Child* child;  ///< the slot hosting the supervisor that sent it
};

/// Shared by every supervisor of one Tree: the clock of the current call, the command
/// output, id allocation and the run/timer lookup tables.
struct Context {
  Millis now = 0;
  std::vector<Command> out;
  RunId next_run = 1;
  TimerId next_timer = 1;
  std::unordered_map<RunId, Child*> runs;
  std::unordered_map<TimerId, Child*> timers;
  std::deque<Notice> inbox;
  std::function<double()> random;

  /// Appends one command (built in place: GCC 12 warns falsely on moved variants).
  template <typename T>
  void Emit(T&& c) {
    out.emplace_back(std::in_place_type<std::decay_t<T>>, std::forward<T>(c));
  }
  void SetPhase(Child& c, Phase p) {
    c.phase = p;
    c.since = now;
  }
  /// Arms the child's single timer (a child waits for at most one thing at a time).
  void ArmTimer(Child& c, TimerPurpose purpose, Millis after);
  /// Cancels the child's timer, if any.
  void CancelTimer(Child& c);
  /// Arms the live run's deadline (replacing an earlier one), beside the child's timer.
  void ArmRunTimer(Child& c, TimerPurpose purpose, Millis after);
  /// Cancels the run's deadline, if any.
  void CancelRunTimer(Child& c);
};

}  // namespace supd::core
