// Supervisor: operator calls (start, stop, restart, start_child). None of them counts
// toward intensity, triggers the strategy or auto_shutdown.
#include <utility>

#include "daemon/core/supervisor.h"

namespace supd::core {

namespace {

bool Running(Phase p) {
  return p == Phase::kStarting || p == Phase::kRunning || p == Phase::kStopping ||
         p == Phase::kKilling;
}

}  // namespace

void Supervisor::ReplyTo(const OperatorRequest& request, ErrorCode error, std::string message,
                         std::string otp_error) {
  Reply reply{request.request, error, std::move(message), {}, {}, std::move(otp_error)};
  ctx_.Emit(std::move(reply));
}

void Supervisor::OnRequest(const OperatorRequest& request, Child* target) {
  if (task_) {
    Pending p(Pending::Kind::kRequest);
    p.request = request;
    if (target != nullptr) p.target_id = target->spec.id;
    queue_.push_back(std::move(p));
    return;
  }
  ExecuteRequest(request, target);
}

void Supervisor::ExecuteRequest(const OperatorRequest& request, Child* target) {
  using Op = OperatorRequest::Op;
  if (request.op == Op::kStartChild) {
    StartInstance(request);
    return;
  }
  Child& c = *target;
  const bool up = state_ == State::kStarting || state_ == State::kRunning;
  switch (request.op) {
    case Op::kStop: {
      if (!Running(c.phase)) {
        ctx_.CancelTimer(c);
        Flush(c);
        if (c.dynamic) {
          RemoveChild(c);
        } else {
          c.operator_stopped = true;
          if (c.phase == Phase::kBackoff || c.phase == Phase::kDead)
            ctx_.SetPhase(c, Phase::kStopped);
        }
        ReplyTo(request, ErrorCode::kNone, {});
        return;
      }
      c.operator_stopped = !c.dynamic;
      Task task(Task::Kind::kOperator, {{Step::Kind::kStop, &c}});
      task.request = request;
      task.target = &c;
      RunTask(std::move(task));
      return;
    }
    case Op::kStart:
    case Op::kRestart: {
      if (c.dynamic) {
        ReplyTo(request, ErrorCode::kBadRequest,
                c.path + " is a simple_one_for_one instance (use start_child)",
                "simple_one_for_one");
        return;
      }
      if (!up) {
        ReplyTo(request, ErrorCode::kBadState, self_.path + " is not running");
        return;
      }
      if (request.op == Op::kStart && Running(c.phase)) {
        ReplyTo(request, ErrorCode::kBadState, c.path + " is running", "running");
        return;
      }
      c.operator_stopped = false;
      c.held = false;
      Task task(Task::Kind::kOperator);
      if (request.op == Op::kRestart) task.steps.push_back({Step::Kind::kStop, &c});
      task.steps.push_back({Step::Kind::kStart, &c});
      task.request = request;
      task.target = &c;
      RunTask(std::move(task));
      return;
    }
    default:
      ReplyTo(request, ErrorCode::kBadRequest, "unsupported request");
      return;
  }
}

void Supervisor::StartInstance(const OperatorRequest& request) {
  if (state_ != State::kRunning && state_ != State::kStarting) {
    ReplyTo(request, ErrorCode::kBadState, self_.path + " is not running");
    return;
  }
  std::size_t count = 0;
  for (const auto& c : children_) count += c->dynamic ? 1 : 0;
  if (spec_->max_children && count >= *spec_->max_children) {
    ReplyTo(request, ErrorCode::kBadState,
            self_.path + " has reached max_children (" + std::to_string(count) + ")");
    return;
  }
  std::string id;
  if (request.id) {
    id = *request.id;
    if (id.empty() || id.find('/') != std::string::npos) {
      ReplyTo(request, ErrorCode::kBadRequest, "invalid id: " + id);
      return;
    }
    if (Find(id) != nullptr) {
      ReplyTo(request, ErrorCode::kBadState, id + " is already started", "already_started");
      return;
    }
  } else {
    do {
      id = std::to_string(next_instance_++);
    } while (Find(id) != nullptr);
  }
  const ChildSpec& tmpl = *spec_->child_template;
  auto worker = std::make_shared<WorkerSpec>(*tmpl.worker);
  worker->command.insert(worker->command.end(), request.args.begin(), request.args.end());
  Child& c = AddChild(tmpl, id, true, std::move(worker));
  Task task(Task::Kind::kOperator, {{Step::Kind::kStart, &c}});
  task.request = request;
  task.target = &c;
  RunTask(std::move(task));
}

void Supervisor::FinishOperator(Task& task) {
  const OperatorRequest& request = *task.request;
  Child& c = *task.target;
  switch (request.op) {
    case OperatorRequest::Op::kStop:
      if (c.dynamic) RemoveChild(c);
      ReplyTo(request, ErrorCode::kNone, {});
      return;
    case OperatorRequest::Op::kStartChild: {
      if (task.failed) {
        const std::string message = c.path + ": start failed: " + task.failure;
        RemoveChild(c);
        ReplyTo(request, ErrorCode::kBadState, message);
        return;
      }
      Reply reply{request.request, ErrorCode::kNone, {}, c.spec.id, c.path, {}};
      ctx_.Emit(std::move(reply));
      return;
    }
    default:
      if (task.failed) {
        ReplyTo(request, ErrorCode::kBadState, c.path + ": start failed: " + task.failure);
      } else {
        ReplyTo(request, ErrorCode::kNone, {});
      }
      return;
  }
}

}  // namespace supd::core
