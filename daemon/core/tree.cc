// The whole tree: routes events to the supervisor owning the run, timer or path, relays
// nested supervisors' notices, and snapshots status.
#include "daemon/core/tree.h"

#include <deque>
#include <utility>

#include "daemon/core/node.h"
#include "daemon/core/supervisor.h"

namespace supd::core {

namespace {

NodeState WorkerState(Phase p) {
  switch (p) {
    case Phase::kStopped:
      return NodeState::kStopped;
    case Phase::kStarting:
      return NodeState::kStarting;
    case Phase::kRunning:
      return NodeState::kRunning;
    case Phase::kStopping:
    case Phase::kKilling:
      return NodeState::kStopping;
    case Phase::kBackoff:
      return NodeState::kBackoff;
    case Phase::kExited:
    case Phase::kDead:
      return NodeState::kExited;
  }
  return NodeState::kStopped;
}

NodeState SupervisorState(Supervisor::State s) {
  switch (s) {
    case Supervisor::State::kStopped:
      return NodeState::kStopped;
    case Supervisor::State::kStarting:
      return NodeState::kStarting;
    case Supervisor::State::kRunning:
      return NodeState::kRunning;
    case Supervisor::State::kStopping:
      return NodeState::kStopping;
  }
  return NodeState::kStopped;
}

NodeState StateOf(const Child& c) {
  return c.sup ? SupervisorState(c.sup->state()) : WorkerState(c.phase);
}

/// No node of the subtree is starting, stopping or waiting to restart.
bool Settled(const Child& c) {
  const NodeState s = StateOf(c);
  if (s == NodeState::kStarting || s == NodeState::kStopping || s == NodeState::kBackoff) {
    return false;
  }
  if (!c.sup) return true;
  for (const auto& child : c.sup->children()) {
    if (!Settled(*child)) return false;
  }
  return true;
}

NodeStatus Snapshot(const Child& c) {
  NodeStatus s;
  s.path = c.path;
  s.id = c.spec.id;
  s.supervisor = c.sup != nullptr;
  s.state = StateOf(c);
  s.pid = c.pid;
  s.since = c.since;
  s.restarts = c.restarts;
  s.last_exit = c.last_exit;
  s.ready = c.ready;
  s.ready_after = c.ready_after;
  s.status_text = c.status_text;
  s.operator_stopped = c.operator_stopped;
  s.autostart_off = c.held;
  s.dynamic = c.dynamic;
  s.restart = c.spec.restart;
  if (c.sup) {
    for (const auto& child : c.sup->children()) s.children.push_back(Snapshot(*child));
  }
  return s;
}

void CollectOperatorStopped(const Child& c, std::vector<std::string>& out) {
  if (c.operator_stopped) out.push_back(c.path);
  if (!c.sup) return;
  for (const auto& child : c.sup->children()) CollectOperatorStopped(*child, out);
}

}  // namespace

struct Tree::Impl {
  Context ctx;
  Child root;
  DaemonSpec::OnRootGiveUp on_root_give_up = DaemonSpec::OnRootGiveUp::kExit;
  std::vector<OperatorRequest> shutdown_requests;
  std::vector<OperatorRequest> root_start_requests;
  std::deque<ReloadRequest> reloads;  ///< applied by the root in arrival order
  bool root_ready_seen = false;  ///< the root reported ready at least once
  bool tree_ready_sent = false;  ///< TreeReady emitted (once per Tree)
  std::uint64_t generation = 0;

  Child* Find(std::string_view path) {
    Child* node = &root;
    while (!path.empty()) {
      if (!node->sup) return nullptr;
      const std::size_t slash = path.find('/');
      node = node->sup->Find(path.substr(0, slash));
      if (node == nullptr) return nullptr;
      path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    }
    return node;
  }

  void Reply(const OperatorRequest& r, ErrorCode error, std::string message,
             std::string otp_error = {}) {
    ctx.Emit(core::Reply{r.request, error, std::move(message), {}, {}, std::move(otp_error)});
  }

  void Dispatch(const OperatorRequest& r);
  void Reload(const ReloadRequest& r);
  void DispatchSignal(const OperatorRequest& r, const Child* target);
  void SignalSent(const OperatorSignalSent& sent);
  void RootNotice(const Notice& n);
  void EmitRootStopped(bool shutdown_requested);
  /// TreeReady once the root has been ready and the whole tree has settled (a child whose
  /// first start failed may be restarting while the root already counts as ready).
  void MaybeTreeReady() {
    if (tree_ready_sent || !root_ready_seen) return;
    if (root.sup->state() != Supervisor::State::kRunning || !Settled(root)) return;
    tree_ready_sent = true;
    ctx.Emit(TreeReady{});
  }
  void Drain() {
    while (!ctx.inbox.empty()) {
      const Notice n = ctx.inbox.front();
      ctx.inbox.pop_front();
      if (n.child->owner != nullptr) {
        n.child->owner->OnNotice(n);
      } else {
        RootNotice(n);
      }
    }
  }
};

void Tree::Impl::Dispatch(const OperatorRequest& r) {
  using Op = OperatorRequest::Op;
  if (r.op == Op::kShutdown) {
    if (root.sup->state() == Supervisor::State::kStopped) {
      // The root gave up earlier (on_root_give_up: stay): nothing to stop, supd goes.
      Reply(r, ErrorCode::kNone, {});
      ctx.Emit(TreeStopped{TreeStopped::Why::kShutdownRequested, 0});
      return;
    }
    shutdown_requests.push_back(r);
    // A shutdown of the tree abandons a start waiting for readiness (README, "How supd
    // behaves"): under a container's grace period, waiting up to start_timeout is too long.
    if (shutdown_requests.size() == 1) root.sup->RequestStop(/*abandon=*/true);
    return;
  }
  if (r.op == Op::kKillAll) {
    if (root.sup->state() != Supervisor::State::kStopping) {
      Reply(r, ErrorCode::kBadState, "the tree is not stopping (kill-all escalates a shutdown)");
      return;
    }
    root.sup->Kill();
    Reply(r, ErrorCode::kNone, {});
    return;
  }
  if (r.op == Op::kSignal) {
    DispatchSignal(r, Find(r.path));
    return;
  }
  Child* target = Find(r.path);
  if (target == nullptr) {
    Reply(r, ErrorCode::kNotFound, "no such child: " + r.path, "not_found");
    return;
  }
  if (r.op == Op::kStartChild) {
    if (!target->sup || target->sup->spec().strategy != Strategy::kSimpleOneForOne) {
      Reply(r, ErrorCode::kBadRequest, r.path + " is not a simple_one_for_one supervisor");
      return;
    }
    target->sup->OnRequest(r, nullptr);
    return;
  }
  if (target == &root) {
    if (r.op != Op::kStart) {
      Reply(r, ErrorCode::kBadRequest, "the root is stopped with shutdown");
    } else if (root.sup->state() != Supervisor::State::kStopped) {
      Reply(r, ErrorCode::kBadState, "the root is running", "running");
    } else {
      root_start_requests.push_back(r);
      ctx.SetPhase(root, Phase::kStarting);
      root.sup->Begin();
    }
    return;
  }
  target->owner->OnRequest(r, target);
}

void Tree::Impl::Reload(const ReloadRequest& r) {
  reloads.push_back(r);
  on_root_give_up = r.on_root_give_up;
  ChildSpec spec = *r.root;
  spec.id = "";
  auto shared = std::make_shared<const ChildSpec>(std::move(spec));
  root.spec = *shared;
  root.sup->Reload(shared, r.restart_instances);
}

void Tree::Impl::DispatchSignal(const OperatorRequest& r, const Child* target) {
  const std::string quoted = "\"" + r.path + "\"";
  if (target == nullptr) {
    Reply(r, ErrorCode::kNotFound, "no child " + quoted);
  } else if (target->sup) {
    Reply(r, ErrorCode::kBadRequest,
          quoted + " is a supervisor: signal one of its workers, or use stop/restart");
  } else if (target->run == 0 || !target->pid) {
    Reply(r, ErrorCode::kBadState, quoted + " has no running process (state " +
                                       ToString(StateOf(*target)) + ")");
  } else {
    ctx.Emit(OperatorSignal{r.request, target->run, r.path, r.signo});
  }
}

void Tree::Impl::SignalSent(const OperatorSignalSent& sent) {
  if (sent.delivered) {
    ctx.Emit(core::Reply{sent.request, ErrorCode::kNone, {}, {}, {}, {}});
    return;
  }
  const Child* c = Find(sent.path);
  const std::string state = c ? ToString(StateOf(*c)) : "gone";
  ctx.Emit(core::Reply{sent.request, ErrorCode::kBadState,
                       "\"" + sent.path + "\" has no running process (state " + state + ")",
                       {}, {}, {}});
}

void Tree::Impl::RootNotice(const Notice& n) {
  if (n.kind == Notice::Kind::kSupervisorReloaded) {
    if (reloads.empty()) return;
    const ReloadRequest r = std::move(reloads.front());
    reloads.pop_front();
    Lifecycle ev{Lifecycle::Kind::kReloaded, "", true, {}, {}, {}, r.summary};
    ctx.Emit(std::move(ev));
    ctx.Emit(core::Reply{r.request, ErrorCode::kNone, {}, {}, {}, {}});
    return;
  }
  if (n.kind == Notice::Kind::kSupervisorReady) {
    ctx.SetPhase(root, Phase::kRunning);
    root_ready_seen = true;
    for (const OperatorRequest& r : root_start_requests) Reply(r, ErrorCode::kNone, {});
    root_start_requests.clear();
    return;
  }
  ctx.SetPhase(root, Phase::kStopped);
  for (const OperatorRequest& r : root_start_requests)
    Reply(r, ErrorCode::kBadState, "the root exited while starting");
  root_start_requests.clear();
  const bool shutdown_requested = !shutdown_requests.empty();
  for (const OperatorRequest& r : shutdown_requests) Reply(r, ErrorCode::kNone, {});
  shutdown_requests.clear();
  EmitRootStopped(shutdown_requested);
}

void Tree::Impl::EmitRootStopped(bool shutdown_requested) {
  switch (root.sup->exit_why()) {
    case Supervisor::ExitWhy::kStopped:
      ctx.Emit(TreeStopped{TreeStopped::Why::kShutdownRequested, 0});
      break;
    case Supervisor::ExitWhy::kGaveUp: {
      // Under `stay` supd stays up, unless it was being shut down anyway.
      const bool stay =
          on_root_give_up == DaemonSpec::OnRootGiveUp::kStay && !shutdown_requested;
      ctx.Emit(TreeStopped{TreeStopped::Why::kGaveUp, 3, !stay});
      break;
    }
    case Supervisor::ExitWhy::kAutoShutdown:
      ctx.Emit(TreeStopped{TreeStopped::Why::kAutoShutdown, root.sup->exit_status().ShellCode()});
      break;
  }
}

Tree::Tree(ChildSpec root, std::function<double()> random)
    : Tree(std::move(root), TreeOptions{DaemonSpec::OnRootGiveUp::kExit, std::move(random)}) {}

Tree::Tree(ChildSpec root, TreeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->ctx.random = std::move(options.random);
  impl_->on_root_give_up = options.on_root_give_up;
  impl_->root.spec = std::move(root);
  impl_->root.spec.id = "";
  impl_->root.sup = std::make_unique<Supervisor>(impl_->root, impl_->ctx);
}

Tree::~Tree() = default;

std::vector<Command> Tree::Start(Millis now) {
  impl_->ctx.now = now;
  impl_->ctx.SetPhase(impl_->root, Phase::kStarting);
  impl_->root.sup->Begin();
  impl_->Drain();
  ++impl_->generation;
  impl_->MaybeTreeReady();
  return std::exchange(impl_->ctx.out, {});
}

std::vector<Command> Tree::Handle(const Event& event, Millis now) {
  Context& ctx = impl_->ctx;
  ctx.now = now;
  auto run_child = [&](RunId run) -> Child* {
    auto it = ctx.runs.find(run);
    return it == ctx.runs.end() ? nullptr : it->second;
  };
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, OperatorRequest>) {
          ++impl_->generation;
          impl_->Dispatch(ev);
        } else if constexpr (std::is_same_v<T, ReloadRequest>) {
          ++impl_->generation;  // children may be added, removed or given a new policy
          impl_->Reload(ev);
        } else if constexpr (std::is_same_v<T, OperatorSignalSent>) {
          impl_->SignalSent(ev);
        } else if constexpr (std::is_same_v<T, TimerFired>) {
          auto it = ctx.timers.find(ev.timer);
          if (it == ctx.timers.end()) return;
          Child* c = it->second;
          ++impl_->generation;
          ctx.timers.erase(it);
          // The child's own timer or its run's deadline: forget it before acting, so the
          // handler may arm the slot again.
          const bool run_timer = c->run_timer == ev.timer;
          TimerId& slot = run_timer ? c->run_timer : c->timer;
          TimerPurpose& slot_purpose = run_timer ? c->run_timer_purpose : c->timer_purpose;
          const TimerPurpose purpose = slot_purpose;
          slot = 0;
          slot_purpose = TimerPurpose::kNone;
          if (c->owner != nullptr) c->owner->OnTimer(*c, purpose);
        } else {
          Child* c = run_child(ev.run);
          if (c == nullptr) return;
          ++impl_->generation;
          if constexpr (std::is_same_v<T, ChildSpawned>) {
            c->owner->OnSpawned(*c, ev.pid);
          } else if constexpr (std::is_same_v<T, ChildReady>) {
            c->owner->OnReady(*c);
          } else if constexpr (std::is_same_v<T, SpawnFailed>) {
            c->owner->OnSpawnFailed(*c, ev.message, ev.error);
          } else if constexpr (std::is_same_v<T, ChildExited>) {
            c->owner->OnExited(*c, ev.status);
          } else if constexpr (std::is_same_v<T, ChildStatusText>) {
            c->status_text = ev.text;
          } else if constexpr (std::is_same_v<T, MainExited>) {
            c->owner->OnMainExited(*c);
          } else if constexpr (std::is_same_v<T, WatchdogPing>) {
            c->owner->OnWatchdogPing(*c, ev.interval);
          } else if constexpr (std::is_same_v<T, WatchdogExpired>) {
            c->owner->OnWatchdog(*c);
          }
        }
      },
      event);
  impl_->Drain();
  impl_->MaybeTreeReady();
  return std::exchange(ctx.out, {});
}

std::optional<NodeStatus> Tree::Status(std::string_view path) const {
  const Child* c = impl_->Find(path);
  if (c == nullptr) return std::nullopt;
  return Snapshot(*c);
}

bool Tree::Idle() const {
  return impl_->ctx.inbox.empty() && impl_->root.sup->Idle();
}

std::uint64_t Tree::Generation() const { return impl_->generation; }

std::vector<std::string> Tree::OperatorStopped() const {
  std::vector<std::string> out;
  CollectOperatorStopped(impl_->root, out);
  return out;
}

void Tree::RestoreOperatorStopped(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    Child* c = impl_->Find(p);
    if (c != nullptr && c != &impl_->root) c->operator_stopped = true;
  }
}

}  // namespace supd::core
