// Supervisor: process events of its workers, exits of nested supervisors, the restart
// decision (restart type, intensity, backoff), the strategies and auto_shutdown.
#include <algorithm>
#include <utility>

#include "daemon/core/reload_plan.h"  // FormatMillis
#include "daemon/core/supervisor.h"

namespace supd::core {

void Supervisor::OnSpawned(Child& c, int pid) {
  c.pid = pid;
  EmitLifecycle(Lifecycle::Kind::kStarted, c);
  // `ready: {"after": D}` counts from the spawn.
  if (c.worker->ready.kind == ReadySpec::Kind::kAfter && c.phase == Phase::kStarting)
    ctx_.ArmRunTimer(c, TimerPurpose::kReadyAfter, std::max<Millis>(c.worker->ready.after, 0));
}

void Supervisor::OnReady(Child& c) {
  if (c.phase != Phase::kStarting) return;
  if (c.timer_purpose == TimerPurpose::kStartTimeout) ctx_.CancelTimer(c);
  ctx_.SetPhase(c, Phase::kRunning);
  c.ready = true;
  c.ready_at = ctx_.now;
  c.ready_after = ctx_.now - c.spawned_at;
  EmitLifecycle(Lifecycle::Kind::kReady, c);
  ArmWatchdog(c);  // the watchdog runs from readiness on
  StepDoneFor(c);
}

void Supervisor::OnSpawnFailed(Child& c, const std::string& message, const std::string& error) {
  ctx_.runs.erase(c.run);
  c.run = 0;
  c.pid.reset();
  ctx_.CancelTimer(c);
  const ExitStatus status = ExitStatus::Exited(127);
  const std::string& shown = error.empty() ? message : error;
  c.last_exit = NodeStatus::LastExit{status, ExitReason::kAbnormal, shown};
  Lifecycle ev{Lifecycle::Kind::kExited, c.path, false, {}, ExitReason::kAbnormal, {}, message,
               shown};
  ctx_.Emit(std::move(ev));
  FailStart(c, message);
}

void Supervisor::OnExited(Child& c, ExitStatus status) {
  const std::optional<int> pid = c.pid;
  ctx_.runs.erase(c.run);
  c.run = 0;
  c.pid.reset();
  c.ready = false;
  ctx_.CancelTimer(c);
  ctx_.CancelRunTimer(c);
  auto emit = [&](ExitReason reason, std::string detail) {
    c.last_exit = NodeStatus::LastExit{status, reason};
    Lifecycle ev{Lifecycle::Kind::kExited, c.path, false, pid, reason, status, std::move(detail)};
    ctx_.Emit(std::move(ev));
  };
  switch (c.phase) {
    case Phase::kStopping:
    case Phase::kKilling:
      if (c.start_timed_out) {
        emit(ExitReason::kAbnormal, "start_timeout expired");
        FailStart(c, "start_timeout expired");
        return;
      }
      // Whatever it died of, a child that dies while being stopped exited with shutdown.
      emit(ExitReason::kShutdown, {});
      ctx_.SetPhase(c, Phase::kStopped);
      StepDoneFor(c);
      return;
    case Phase::kStarting:
      emit(ExitReason::kAbnormal, "exited before ready");
      FailStart(c, "exited before ready");
      return;
    case Phase::kRunning: {
      const ExitReason reason = status.IsNormal(c.worker->normal_exit_codes)
                                    ? ExitReason::kNormal
                                    : ExitReason::kAbnormal;
      emit(reason, {});
      ctx_.SetPhase(c, Phase::kDead);
      ExitOrQueue(c, reason, status);
      return;
    }
    default:
      return;
  }
}

void Supervisor::OnWatchdog(Child& c) {
  // Not a stop: the death this causes is an abnormal exit, handled like any other.
  if (c.run != 0 && (c.phase == Phase::kRunning || c.phase == Phase::kStarting))
    ctx_.Emit(Signal{c.run, kSigKill});
}

void Supervisor::OnTimer(Child& c, TimerPurpose purpose) {
  switch (purpose) {
    case TimerPurpose::kStartTimeout:
      if (c.phase == Phase::kStarting && !c.sup) {
        c.start_timed_out = true;
        InitiateStop(c);
      }
      break;
    case TimerPurpose::kShutdown:
      if (c.phase != Phase::kStopping) break;
      ctx_.SetPhase(c, Phase::kKilling);
      if (c.sup) {
        c.sup->Kill();
      } else {
        ctx_.Emit(Signal{c.run, kSigKill});
      }
      break;
    case TimerPurpose::kBackoff:
      if (c.phase != Phase::kBackoff) break;
      if (task_) {
        queue_.push_back(Pending(Pending::Kind::kRestart, &c));
      } else {
        DoRestart(c);
      }
      break;
    case TimerPurpose::kReadyAfter:
    case TimerPurpose::kWatchdog:
    case TimerPurpose::kLeftoverKill:
      OnRunTimer(c, purpose);
      break;
    case TimerPurpose::kNone:
      break;
  }
}

void Supervisor::OnNotice(const Notice& notice) {
  Child& c = *notice.child;
  if (notice.kind == Notice::Kind::kSupervisorReloaded) {
    StepDoneFor(c);
    return;
  }
  if (notice.kind == Notice::Kind::kSupervisorReady) {
    if (c.phase != Phase::kStarting) return;
    ctx_.SetPhase(c, Phase::kRunning);
    c.ready = true;
    c.ready_at = ctx_.now;
    StepDoneFor(c);
    return;
  }
  ctx_.CancelTimer(c);
  const ExitStatus status = ExitStatus::Exited(0);
  c.ready = false;
  switch (c.phase) {
    case Phase::kStopping:
    case Phase::kKilling:
      c.last_exit = NodeStatus::LastExit{status, ExitReason::kShutdown};
      ctx_.SetPhase(c, Phase::kStopped);
      StepDoneFor(c);
      return;
    case Phase::kStarting:
      c.last_exit = NodeStatus::LastExit{status, ExitReason::kShutdown};
      FailStart(c, "supervisor exited while starting");
      return;
    case Phase::kRunning:
      // A nested supervisor that gave up or shut itself down exits with reason shutdown.
      c.last_exit = NodeStatus::LastExit{status, ExitReason::kShutdown};
      ctx_.SetPhase(c, Phase::kDead);
      ExitOrQueue(c, ExitReason::kShutdown, status);
      return;
    default:
      return;
  }
}

void Supervisor::FailStart(Child& c, std::string detail) {
  c.ready = false;
  if (task_ && task_->kind == Task::Kind::kOperator && task_->target == &c) {
    // An operator's start that fails is reported to the operator, not a failure.
    const bool finished = c.spec.restart != RestartType::kPermanent;
    ctx_.SetPhase(c, finished ? Phase::kExited : Phase::kStopped);
    task_->failed = true;
    task_->failure = std::move(detail);
    StepDoneFor(c);
    return;
  }
  ctx_.SetPhase(c, Phase::kDead);
  const ExitStatus status = c.last_exit ? c.last_exit->status : ExitStatus::Exited(127);
  ExitOrQueue(c, ExitReason::kAbnormal, status);
  StepDoneFor(c);
}

void Supervisor::ExitOrQueue(Child& c, ExitReason reason, ExitStatus status) {
  if (task_) {
    queue_.push_back(Pending(Pending::Kind::kExit, &c, reason, status));
  } else {
    HandleExit(c, reason, status);
  }
}

void Supervisor::HandleExit(Child& c, ExitReason reason, ExitStatus status) {
  if (c.phase != Phase::kDead) return;  // consumed meanwhile (found dead by a stop)
  bool restart = false;
  switch (c.spec.restart) {
    case RestartType::kPermanent:
      restart = true;
      break;
    case RestartType::kTransient:
      restart = reason == ExitReason::kAbnormal;
      break;
    case RestartType::kTemporary:
      restart = false;
      break;
  }
  if (!restart) {
    const bool significant = c.spec.significant;
    if (c.dynamic) {
      RemoveChild(c);
    } else {
      ctx_.SetPhase(c, Phase::kExited);
    }
    MaybeAutoShutdown(significant, status);
    return;
  }
  if (!window_.Add(ctx_.now)) {
    EmitLifecycle(Lifecycle::Kind::kGaveUp, self_,
                  "more than " + std::to_string(window_.intensity()) + " restarts within " +
                      FormatMillis(window_.period()));
    StartExitTask(ExitWhy::kGaveUp);
    return;
  }
  ++c.restarts;
  EmitLifecycle(Lifecycle::Kind::kRestarting, c, RestartDetail());
  Millis delay = 0;
  if (c.backoff) {
    const Millis up_for = c.ready_at ? ctx_.now - *c.ready_at : 0;
    const double r = ctx_.random ? ctx_.random() : 0.5;
    delay = c.backoff->Next(up_for, r);
    c.ready_at.reset();
  }
  if (delay > 0) {
    ctx_.SetPhase(c, Phase::kBackoff);
    ctx_.ArmTimer(c, TimerPurpose::kBackoff, delay);
    return;
  }
  DoRestart(c);
}

std::string Supervisor::RestartDetail() const {
  return "restart " + std::to_string(window_.Count()) + " of " +
         std::to_string(window_.intensity()) + " within " + FormatMillis(window_.period());
}

void Supervisor::DoRestart(Child& c) {
  Task task(Task::Kind::kRestart);
  if (spec_->strategy == Strategy::kOneForAll || spec_->strategy == Strategy::kRestForOne) {
    BuildBranch(c, task);
  } else {
    task.steps.push_back({Step::Kind::kStart, &c});
  }
  RunTask(std::move(task));
}

void Supervisor::BuildBranch(Child& failed, Task& task) {
  std::vector<Child*> branch;
  bool in_branch = spec_->strategy == Strategy::kOneForAll;
  for (const auto& c : children_) {
    if (c.get() == &failed) in_branch = true;
    if (in_branch) branch.push_back(c.get());
  }
  if (spec_->restart_order == RestartOrder::kRightToLeft)
    std::reverse(branch.begin(), branch.end());
  // A temporary child is never started again; an operator-stopped one stays stopped.
  auto eligible = [&](const Child* c) {
    return c == &failed || (!c->operator_stopped && !c->held &&
                            c->spec.restart != RestartType::kTemporary);
  };
  switch (spec_->restart_mode) {
    case RestartMode::kRevOrder:
      for (Child* c : branch) task.steps.push_back({Step::Kind::kStop, c});
      for (auto it = branch.rbegin(); it != branch.rend(); ++it)
        if (eligible(*it)) task.steps.push_back({Step::Kind::kStart, *it});
      break;
    case RestartMode::kInOrder:
      for (Child* c : branch) task.steps.push_back({Step::Kind::kStop, c});
      for (Child* c : branch)
        if (eligible(c)) task.steps.push_back({Step::Kind::kStart, c});
      break;
    case RestartMode::kEach:
      for (Child* c : branch) {
        task.steps.push_back({Step::Kind::kStop, c});
        if (eligible(c)) task.steps.push_back({Step::Kind::kStart, c});
      }
      break;
  }
}

void Supervisor::MaybeAutoShutdown(bool significant, ExitStatus status) {
  if (!significant || spec_->auto_shutdown == AutoShutdown::kNever) return;
  if (spec_->auto_shutdown == AutoShutdown::kAllSignificant) {
    for (const auto& c : children_)
      if (c->spec.significant && Live(c->phase)) return;
  }
  exit_status_ = status;
  EmitLifecycle(Lifecycle::Kind::kAutoShutdown, self_);
  // The root's auto_shutdown ends supd: like a requested shutdown, it waits for no start.
  if (self_.owner == nullptr) abandon_ = true;
  StartExitTask(ExitWhy::kAutoShutdown);
}

}  // namespace supd::core
