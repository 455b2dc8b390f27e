// Supervisor: child slots, the one task at a time, and its steps (start one child, stop
// one child, stop a group at once).
#include "daemon/core/supervisor.h"

#include <algorithm>
#include <utility>

namespace supd::core {

Child::Child() = default;
Child::~Child() = default;

namespace {

void Arm(Context& ctx, Child& c, TimerId& slot, TimerPurpose& slot_purpose,
         TimerPurpose purpose, Millis after) {
  slot = ctx.next_timer++;
  slot_purpose = purpose;
  ctx.timers[slot] = &c;
  ctx.Emit(core::ArmTimer{slot, after});
}

void Cancel(Context& ctx, TimerId& slot, TimerPurpose& slot_purpose) {
  if (slot == 0) return;
  ctx.timers.erase(slot);
  ctx.Emit(core::CancelTimer{slot});
  slot = 0;
  slot_purpose = TimerPurpose::kNone;
}

}  // namespace

void Context::ArmTimer(Child& c, TimerPurpose purpose, Millis after) {
  CancelTimer(c);
  Arm(*this, c, c.timer, c.timer_purpose, purpose, after);
}

void Context::CancelTimer(Child& c) { Cancel(*this, c.timer, c.timer_purpose); }

void Context::ArmRunTimer(Child& c, TimerPurpose purpose, Millis after) {
  CancelRunTimer(c);
  Arm(*this, c, c.run_timer, c.run_timer_purpose, purpose, after);
}

void Context::CancelRunTimer(Child& c) { Cancel(*this, c.run_timer, c.run_timer_purpose); }

Supervisor::Supervisor(Child& self, Context& ctx)
    : self_(self),
      ctx_(ctx),
      spec_(self.spec.supervisor),
      window_(spec_->intensity, spec_->period) {
  for (const ChildSpec& cs : spec_->children) AddChild(cs, cs.id, false, cs.worker);
}

Supervisor::~Supervisor() = default;

Child& Supervisor::AddChild(const ChildSpec& spec, std::string id, bool dynamic,
                            std::shared_ptr<const WorkerSpec> worker) {
  auto c = std::make_unique<Child>();
  c->spec = spec;
  c->spec.id = id;
  c->path = self_.path.empty() ? id : self_.path + "/" + id;
  c->owner = this;
  c->dynamic = dynamic;
  c->worker = std::move(worker);
  c->since = ctx_.now;
  c->held = !dynamic && !spec.autostart;
  if (spec_->backoff) c->backoff = std::make_unique<Backoff>(*spec_->backoff);
  Child& ref = *c;
  children_.push_back(std::move(c));
  by_id_[ref.spec.id] = &ref;
  if (spec.IsSupervisor()) ref.sup = std::make_unique<Supervisor>(ref, ctx_);
  return ref;
}

void Supervisor::RemoveChild(Child& c) {
  ctx_.CancelTimer(c);
  ctx_.CancelRunTimer(c);
  Flush(c);
  if (c.run != 0) ctx_.runs.erase(c.run);
  // A reload may have given the id to a new slot already (a child turned into a supervisor).
  if (auto it = by_id_.find(c.spec.id); it != by_id_.end() && it->second == &c) by_id_.erase(it);
  std::erase_if(children_, [&](const std::unique_ptr<Child>& p) { return p.get() == &c; });
}

void Supervisor::RemoveDynamicChildren() {
  for (const auto& c : children_) {
    if (!c->dynamic) continue;
    ctx_.CancelTimer(*c);
    ctx_.CancelRunTimer(*c);
    if (c->run != 0) ctx_.runs.erase(c->run);
    by_id_.erase(c->spec.id);
  }
  std::erase_if(children_, [](const std::unique_ptr<Child>& c) { return c->dynamic; });
}

Child* Supervisor::Find(std::string_view id) const {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : it->second;
}

bool Supervisor::Idle() const {
  if (task_ || !queue_.empty()) return false;
  for (const auto& c : children_) {
    switch (c->phase) {
      case Phase::kStarting:
      case Phase::kStopping:
      case Phase::kKilling:
      case Phase::kBackoff:
      case Phase::kDead:
        return false;
      default:
        break;
    }
    if (c->sup && !c->sup->Idle()) return false;
  }
  return true;
}

void Supervisor::EmitLifecycle(Lifecycle::Kind kind, const Child& c, std::string detail) {
  Lifecycle ev{kind, c.path, c.sup != nullptr, c.pid, {}, {}, std::move(detail)};
  ctx_.Emit(std::move(ev));
}

void Supervisor::Begin() {
  ++incarnation_;
  killed_ = false;
  abandon_ = false;
  window_.Clear();
  queue_.clear();
  exit_why_ = ExitWhy::kStopped;
  RemoveDynamicChildren();
  next_instance_ = 1;
  state_ = State::kStarting;
  EmitLifecycle(Lifecycle::Kind::kStarted, self_);
  Task task(Task::Kind::kStartAll);
  for (const auto& c : children_)
    if (!c->operator_stopped && !c->held) task.steps.push_back({Step::Kind::kStart, c.get()});
  RunTask(std::move(task));
}

void Supervisor::RequestStop(bool abandon) {
  if (abandon) abandon_ = true;
  if (task_ && abandon_) AbandonTask();
  if (task_) {
    queue_.push_back(Pending(Pending::Kind::kStop));
  } else if (state_ == State::kStopped) {
    ctx_.inbox.push_back({Notice::Kind::kSupervisorExited, &self_});
  } else {
    StartExitTask(ExitWhy::kStopped);
  }
}

void Supervisor::AbandonTask() {
  if (task_->kind == Task::Kind::kExit) {
    // Already stopping: the nested supervisors it stops must not wait for their work either.
    for (const auto& c : children_) {
      if (c->sup && (c->phase == Phase::kStopping || c->phase == Phase::kKilling))
        c->sup->RequestStop(true);
    }
    return;
  }
  Task task = std::move(*task_);
  task_.reset();
  if (task.kind == Task::Kind::kOperator && task.request) {
    ReplyTo(*task.request, ErrorCode::kBadState,
            task.target->path + ": abandoned, the tree is shutting down");
  }
  std::erase_if(queue_, [](const Pending& p) { return p.kind == Pending::Kind::kStop; });
}

void Supervisor::Kill() {
  killed_ = true;
  for (const auto& c : children_) {
    if (c->sup) {
      if (c->phase == Phase::kStarting || c->phase == Phase::kRunning ||
          c->phase == Phase::kStopping) {
        c->sup->Kill();
      }
      continue;
    }
    if (c->run == 0 || c->phase == Phase::kKilling) continue;
    ctx_.CancelTimer(*c);
    ctx_.Emit(Signal{c->run, kSigKill});
    ctx_.SetPhase(*c, Phase::kKilling);
  }
}

void Supervisor::RunTask(Task task) {
  task_ = std::move(task);
  Advance();
}

void Supervisor::Advance() {
  while (task_ && !task_->waiting) {
    if (task_->steps.empty()) {
      FinishTask();
      return;
    }
    Step step = task_->steps.front();
    task_->steps.pop_front();
    bool wait = false;
    switch (step.kind) {
      case Step::Kind::kStart:
        wait = StartChild(*step.child);
        break;
      case Step::Kind::kStop:
        wait = StopChild(*step.child);
        break;
      case Step::Kind::kStopGroup:
        wait = StopGroup();
        break;
      case Step::Kind::kReplace:
        ApplySpec(*step.child, task_->specs.at(step.child));
        break;
      case Step::Kind::kRemove:
        RemoveChild(*step.child);
        break;
      case Step::Kind::kReloadChild:
        wait = ReloadChild(*step.child);
        break;
    }
    if (wait) {
      task_->waiting = true;
      task_->current = step;
    }
  }
}

void Supervisor::StepDoneFor(Child& c) {
  if (!task_ || !task_->waiting) return;
  if (task_->current.kind == Step::Kind::kStopGroup) {
    std::erase(task_->group, &c);
    if (!task_->group.empty()) return;
  } else if (task_->current.child != &c) {
    return;
  }
  task_->waiting = false;
  Advance();
}

void Supervisor::FinishTask() {
  Task task = std::move(*task_);
  task_.reset();
  switch (task.kind) {
    case Task::Kind::kStartAll: {
      state_ = State::kRunning;
      EmitLifecycle(Lifecycle::Kind::kReady, self_);
      // Exits queued during the start are handled first: if they make this supervisor
      // exit (or exit and start again), the parent must get that exit, not a stale ready.
      const std::uint64_t incarnation = incarnation_;
      DrainQueue();
      if (incarnation_ == incarnation && state_ != State::kStopped)
        ctx_.inbox.push_back({Notice::Kind::kSupervisorReady, &self_});
      return;
    }
    case Task::Kind::kRestart:
      break;
    case Task::Kind::kOperator:
      FinishOperator(task);
      break;
    case Task::Kind::kExit:
      FinishExit();
      break;
    case Task::Kind::kReload:
      ctx_.inbox.push_back({Notice::Kind::kSupervisorReloaded, &self_});
      break;
  }
  DrainQueue();
}

void Supervisor::DrainQueue() {
  while (!task_ && !queue_.empty()) {
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    Process(std::move(p));
  }
}

void Supervisor::Process(Pending p) {
  switch (p.kind) {
    case Pending::Kind::kExit:
      HandleExit(*p.child, p.reason, p.status);
      break;
    case Pending::Kind::kRestart:
      if (p.child->phase == Phase::kBackoff) {
        ctx_.CancelTimer(*p.child);
        DoRestart(*p.child);
      }
      break;
    case Pending::Kind::kRequest: {
      if (p.request.op == OperatorRequest::Op::kStartChild) {
        ExecuteRequest(p.request, nullptr);
        break;
      }
      Child* target = Find(p.target_id);
      if (target != nullptr) {
        ExecuteRequest(p.request, target);
      } else if (p.request.op == OperatorRequest::Op::kStop) {
        ReplyTo(p.request, ErrorCode::kNone, {});  // an instance that is gone meanwhile
      } else {
        ReplyTo(p.request, ErrorCode::kNotFound, "no such child: " + p.request.path, "not_found");
      }
      break;
    }
    case Pending::Kind::kStop:
      if (state_ != State::kStopped) StartExitTask(ExitWhy::kStopped);
      break;
    case Pending::Kind::kReload:
      StartReload(*p.spec, p.restart_instances);
      break;
  }
}

void Supervisor::Flush(Child& c) {
  std::erase_if(queue_, [&](const Pending& p) {
    return p.child == &c && (p.kind == Pending::Kind::kExit || p.kind == Pending::Kind::kRestart);
  });
}

bool Supervisor::StartChild(Child& c) {
  if (killed_ || c.operator_stopped) return false;
  if (c.phase == Phase::kStarting || c.phase == Phase::kRunning) return false;
  ctx_.CancelTimer(c);
  Flush(c);
  c.start_timed_out = false;
  c.ready = false;
  if (c.sup) {
    ctx_.SetPhase(c, Phase::kStarting);
    c.sup->Begin();
    return true;
  }
  c.run = ctx_.next_run++;
  ctx_.runs[c.run] = &c;
  c.pid.reset();
  c.spawned_at = ctx_.now;
  ctx_.SetPhase(c, Phase::kStarting);
  ctx_.Emit(Spawn{c.run, c.path, c.worker});
  c.watchdog = c.worker->ready.kind == ReadySpec::Kind::kSdNotify && c.worker->watchdog
                   ? std::max<Millis>(*c.worker->watchdog, 0)
                   : 0;
  if (c.worker->ready.kind != ReadySpec::Kind::kExec)
    ctx_.ArmTimer(c, TimerPurpose::kStartTimeout, c.worker->start_timeout);
  return true;
}

bool Supervisor::StopChild(Child& c) {
  switch (c.phase) {
    case Phase::kStarting:
    case Phase::kRunning:
      InitiateStop(c);
      return true;
    case Phase::kStopping:
    case Phase::kKilling:
      return true;
    case Phase::kDead:
    case Phase::kBackoff:
      // Found dead when its turn came: its queued exit is consumed here, not handled.
      ctx_.CancelTimer(c);
      Flush(c);
      ctx_.SetPhase(c, Phase::kStopped);
      return false;
    default:
      return false;
  }
}

bool Supervisor::StopGroup() {
  task_->group.clear();
  auto stop = [&](Child& c) {
    if (StopChild(c)) task_->group.push_back(&c);
  };
  // simple_one_for_one instances are signalled in start order (as always); the children
  // of a parallel stop in reverse start order, the order a sequential stop would take.
  if (spec_->strategy == Strategy::kSimpleOneForOne) {
    for (const auto& c : children_) stop(*c);
  } else {
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) stop(**it);
  }
  return !task_->group.empty();
}

void Supervisor::InitiateStop(Child& c) {
  EmitLifecycle(Lifecycle::Kind::kStopping, c);
  ctx_.CancelTimer(c);
  const bool brutal = killed_ || c.spec.shutdown.kind == Shutdown::Kind::kBrutalKill;
  if (c.sup) {
    ctx_.SetPhase(c, brutal ? Phase::kKilling : Phase::kStopping);
    if (brutal) {
      c.sup->Kill();
    } else if (c.spec.shutdown.kind == Shutdown::Kind::kTimeout) {
      ctx_.ArmTimer(c, TimerPurpose::kShutdown, c.spec.shutdown.timeout);
    }
    c.sup->RequestStop(abandon_);
    return;
  }
  if (brutal) {
    ctx_.Emit(Signal{c.run, kSigKill});
    ctx_.SetPhase(c, Phase::kKilling);
    return;
  }
  ctx_.Emit(Signal{c.run, c.worker->stop_signal});
  ctx_.SetPhase(c, Phase::kStopping);
  if (c.spec.shutdown.kind == Shutdown::Kind::kTimeout)
    ctx_.ArmTimer(c, TimerPurpose::kShutdown, c.spec.shutdown.timeout);
}

void Supervisor::StartExitTask(ExitWhy why) {
  exit_why_ = why;
  state_ = State::kStopping;
  Task task(Task::Kind::kExit);
  if (spec_->strategy == Strategy::kSimpleOneForOne ||
      spec_->stop_order == StopOrder::kParallel) {
    task.steps.push_back({Step::Kind::kStopGroup, nullptr});
  } else {
    for (auto it = children_.rbegin(); it != children_.rend(); ++it)
      task.steps.push_back({Step::Kind::kStop, it->get()});
  }
  RunTask(std::move(task));
}

void Supervisor::FinishExit() {
  state_ = State::kStopped;
  std::erase_if(queue_, [](const Pending& p) {
    return p.kind == Pending::Kind::kExit || p.kind == Pending::Kind::kRestart ||
           p.kind == Pending::Kind::kStop;
  });
  for (const auto& c : children_) {
    if (c->phase == Phase::kDead || c->phase == Phase::kBackoff) {
      ctx_.CancelTimer(*c);
      ctx_.SetPhase(*c, Phase::kStopped);
    }
  }
  RemoveDynamicChildren();
  Lifecycle ev{Lifecycle::Kind::kExited, self_.path, true, {}, ExitReason::kShutdown, {}, {}};
  ctx_.Emit(std::move(ev));
  ctx_.inbox.push_back({Notice::Kind::kSupervisorExited, &self_});
}

}  // namespace supd::core
