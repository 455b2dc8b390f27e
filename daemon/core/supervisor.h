// One supervisor node: its children in start order, its strategy, and the one piece of
// work (start, branch restart, operator call, stop) it is doing at a time. Pure.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daemon/core/node.h"
#include "daemon/core/restart_window.h"

namespace supd::core {

/// A supervisor, hosted by a Child slot of its parent (or by the Tree's root slot).
/// It does one thing at a time, as OTP's gen_server does: exits and requests that
/// arrive while it is busy are queued and handled afterwards, in arrival order.
class Supervisor {
 public:
  enum class State { kStopped, kStarting, kRunning, kStopping };
  /// Why the supervisor last exited.
  enum class ExitWhy { kStopped, kGaveUp, kAutoShutdown };

  /// Builds the child slots from `self.spec.supervisor`; starts nothing.
  Supervisor(Child& self, Context& ctx);
  ~Supervisor();

  /// Starts the children from the specs, each after the previous is ready, with a fresh
  /// restart history (a simple_one_for_one comes back empty). Sends kSupervisorReady
  /// when done.
  void Begin();
  /// Stops every child (reverse start order, each waited for; with stop_order parallel
  /// all at once, each with its own deadline) and exits with reason shutdown; sends
  /// kSupervisorExited when done. Queued if the supervisor is busy, unless `abandon`: a
  /// shutdown of the tree abandons the work under way (a start waiting for readiness, a
  /// branch restart, an operator call) and stops at once, nested supervisors likewise.
  void RequestStop(bool abandon = false);
  /// The shutdown of this supervisor expired (or is brutal_kill): SIGKILL every live
  /// process of the subtree at once; start nothing more until the next Begin.
  void Kill();

  void OnSpawned(Child& c, int pid);
  void OnReady(Child& c);
  void OnSpawnFailed(Child& c, const std::string& message, const std::string& error);
  void OnExited(Child& c, ExitStatus status);
  void OnWatchdog(Child& c);
  void OnTimer(Child& c, TimerPurpose purpose);
  // supervisor_run.cc: the deadlines of a live run (README, "Readiness" and "How supd
  // behaves"), on the run's own timer beside the child's.
  /// The run's main process exited leaving processes in its scope: stop them.
  void OnMainExited(Child& c);
  /// WATCHDOG=1 / WATCHDOG_USEC=: push the watchdog deadline back (from readiness on).
  void OnWatchdogPing(Child& c, std::optional<Millis> interval);
  /// The run's deadline (kReadyAfter, kWatchdog, kLeftoverKill) expired.
  void OnRunTimer(Child& c, TimerPurpose purpose);
  void OnNotice(const Notice& notice);
  /// Takes `spec` (this supervisor's new spec, same id) as a reload: policy at once,
  /// removed children stopped (reverse start order) and removed, changed workers
  /// restarted in place, added ones started in position, nested supervisors reloaded in
  /// turn; never counted toward intensity. Queued behind the current work ("one thing at
  /// a time"). Sends kSupervisorReloaded when everything is applied.
  void Reload(std::shared_ptr<const ChildSpec> spec, bool restart_instances);
  /// An operator request about `target` (a child of this supervisor), or a start_child
  /// when `target` is null.
  void OnRequest(const OperatorRequest& request, Child* target);

  State state() const { return state_; }
  ExitWhy exit_why() const { return exit_why_; }
  /// The significant child's status that triggered auto_shutdown.
  ExitStatus exit_status() const { return exit_status_; }
  const SupervisorSpec& spec() const { return *spec_; }
  const std::vector<std::unique_ptr<Child>>& children() const { return children_; }
  Child* Find(std::string_view id) const;
  /// Nothing under way in this subtree (no work, queue, backoff, start or stop).
  bool Idle() const;

 private:
  struct Step {
    enum class Kind { kStart, kStop, kStopGroup, kReplace, kRemove, kReloadChild };
    Kind kind;
    Child* child = nullptr;
  };
  struct Task {
    enum class Kind { kStartAll, kRestart, kOperator, kExit, kReload };
    explicit Task(Kind k, std::deque<Step> s = {}) : kind(k), steps(std::move(s)) {}
    Kind kind;
    std::deque<Step> steps;
    bool waiting = false;
    Step current{Step::Kind::kStart, nullptr};
    std::vector<Child*> group;  ///< kStopGroup: instances not reaped yet
    std::optional<OperatorRequest> request;
    Child* target = nullptr;
    bool failed = false;
    std::string failure;
    std::map<Child*, ChildSpec> specs;  ///< kReload: the spec each kReplace/kReloadChild takes
    bool restart_instances = false;     ///< kReload
  };
  struct Pending {
    enum class Kind { kExit, kRestart, kRequest, kStop, kReload };
    explicit Pending(Kind k, Child* c = nullptr, ExitReason r = ExitReason::kAbnormal,
                     ExitStatus s = {})
        : kind(k), child(c), reason(r), status(s) {}
    Kind kind;
    Child* child = nullptr;
    ExitReason reason = ExitReason::kAbnormal;
    ExitStatus status;
    OperatorRequest request;
    std::string target_id;  ///< kRequest: looked up again, the child may be gone by then
    std::shared_ptr<const ChildSpec> spec;  ///< kReload
    bool restart_instances = false;         ///< kReload
  };

  // supervisor.cc: slots, tasks and steps.
  Child& AddChild(const ChildSpec& spec, std::string id, bool dynamic,
                  std::shared_ptr<const WorkerSpec> worker);
  void RemoveChild(Child& c);
  void RemoveDynamicChildren();
  void RunTask(Task task);
  void Advance();
  void StepDoneFor(Child& c);
  void FinishTask();
  void DrainQueue();
  void Process(Pending p);
  void Flush(Child& c);
  bool StartChild(Child& c);
  bool StopChild(Child& c);
  bool StopGroup();
  void InitiateStop(Child& c);
  void AbandonTask();
  void StartExitTask(ExitWhy why);
  void FinishExit();
  void EmitLifecycle(Lifecycle::Kind kind, const Child& c, std::string detail = {});

  // supervisor_exits.cc: exits, restart decisions, strategies, auto_shutdown.
  void FailStart(Child& c, std::string detail);
  void ExitOrQueue(Child& c, ExitReason reason, ExitStatus status);
  void HandleExit(Child& c, ExitReason reason, ExitStatus status);
  void DoRestart(Child& c);
  void BuildBranch(Child& failed, Task& task);
  void MaybeAutoShutdown(bool significant, ExitStatus status);
  std::string RestartDetail() const;

  // supervisor_run.cc
  void ArmWatchdog(Child& c);

  // supervisor_reload.cc: a reload as a task of usual steps.
  void StartReload(const ChildSpec& spec, bool restart_instances);
  void ReloadChildren(const SupervisorSpec& next, Task& task);
  void ReloadKept(Child& c, const ChildSpec& next, bool up, Task& task);
  void ReloadInstances(const SupervisorSpec& before, Task& task);
  void ApplySpec(Child& c, const ChildSpec& next);
  bool ReloadChild(Child& c);

  // supervisor_requests.cc: operator calls.
  void ExecuteRequest(const OperatorRequest& request, Child* target);
  void StartInstance(const OperatorRequest& request);
  void FinishOperator(Task& task);
  void ReplyTo(const OperatorRequest& request, ErrorCode error, std::string message,
               std::string otp_error = {});

  Child& self_;
  Context& ctx_;
  std::shared_ptr<const SupervisorSpec> spec_;
  std::vector<std::unique_ptr<Child>> children_;
  std::unordered_map<std::string, Child*> by_id_;
  RestartWindow window_;
  State state_ = State::kStopped;
  ExitWhy exit_why_ = ExitWhy::kStopped;
  ExitStatus exit_status_;
  bool killed_ = false;
  bool abandon_ = false;  ///< stopping for a shutdown of the tree: nothing is waited for
  std::optional<Task> task_;
  std::deque<Pending> queue_;
  std::uint64_t next_instance_ = 1;
  std::uint64_t incarnation_ = 0;  ///< counts Begin() calls
};

}  // namespace supd::core
