#include "daemon/executor.h"

#include <chrono>

namespace supd {

core::Millis MonotonicNowMs() { return static_cast<core::Millis>(uv_hrtime() / 1000000); }

namespace {
double WallNow() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

Executor::Executor(uv_loop_t* loop, core::Config config, io::ProcessManager& processes,
                   Logger& log, std::string state_dir,
                   std::function<void(const core::TreeStopped&)> on_tree_stopped)
    : loop_(loop),
      config_(std::move(config)),
      processes_(processes),
      log_(log),
      state_dir_(std::move(state_dir)),
      on_tree_stopped_(std::move(on_tree_stopped)),
      tree_(config_.root),
      timers_(loop, [this](core::TimerId id) { Feed(core::TimerFired{id}); }),
      wanted_(state_dir_, config_.path) {
  mono_epoch_ = MonotonicNowMs();
  unix_epoch_ = WallNow();
}

Executor::~Executor() { Close(); }

void Executor::Close() { timers_.Close(); }

void Executor::Start() {
  // An operator's stop survives a restart of supd (SPEC §2 "Wanted state").
  io::WantedStateFile::Loaded wanted = wanted_.Load();
  if (wanted.problem) log_.Warn("ignoring the wanted state " + *wanted.problem);
  tree_.RestoreOperatorStopped(wanted.operator_stopped);
  for (const auto& p : wanted.operator_stopped) {
    if (tree_.Status(p)) {
      log_.Info("\"" + p + "\" stays stopped: an operator stopped it (supctl start it)");
    } else {
      log_.Info("wanted state: \"" + p + "\" is no longer in the config; forgotten");
    }
  }
  dispatching_ = true;
  Carry(tree_.Start(MonotonicNowMs()));
  dispatching_ = false;
  Dispatch();
}

void Executor::Feed(core::Event event) {
  queue_.push_back(std::move(event));
  Dispatch();
}

void Executor::Dispatch() {
  // Events raised while commands are carried out (a spawn failing at once, a reply) are
  // queued and handled after, so the core is never re-entered.
  if (dispatching_) return;
  dispatching_ = true;
  while (!queue_.empty()) {
    core::Event event = std::move(queue_.front());
    queue_.pop_front();
    TrackEvent(event);
    Carry(tree_.Handle(event, MonotonicNowMs()));
  }
  FlushLog();
  dispatching_ = false;
}

void Executor::TrackEvent(const core::Event& event) {
  auto forget = [this](core::RunId run) {
    auto it = run_path_.find(run);
    if (it == run_path_.end()) return;
    auto pit = path_run_.find(it->second);
    if (pit != path_run_.end() && pit->second == run) path_run_.erase(pit);
    run_path_.erase(it);
    run_pid_.erase(run);
  };
  if (const auto* spawned = std::get_if<core::ChildSpawned>(&event)) {
    run_pid_[spawned->run] = spawned->pid;
  } else if (const auto* exited = std::get_if<core::ChildExited>(&event)) {
    forget(exited->run);
  } else if (const auto* failed = std::get_if<core::SpawnFailed>(&event)) {
    forget(failed->run);
  }
}

void Executor::Carry(std::vector<core::Command> commands) {
  for (const auto& command : commands) Carry(command);
}

void Executor::Carry(const core::Command& command) {
  std::visit(
      [this](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, core::Spawn>) {
          run_path_[c.run] = c.path;
          path_run_[c.path] = c.run;
          processes_.Spawn(c);
        } else if constexpr (std::is_same_v<T, core::Signal>) {
          processes_.Signal(c);
        } else if constexpr (std::is_same_v<T, core::ArmTimer>) {
          timers_.Arm(c.timer, c.after);
        } else if constexpr (std::is_same_v<T, core::CancelTimer>) {
          timers_.Cancel(c.timer);
        } else if constexpr (std::is_same_v<T, core::Reply>) {
          auto it = pending_.find(c.request);
          if (it == pending_.end()) return;
          auto done = std::move(it->second);
          pending_.erase(it);
          PersistOperatorStops();
          done(c);
        } else if constexpr (std::is_same_v<T, core::Lifecycle>) {
          OnLifecycle(c);
        } else if constexpr (std::is_same_v<T, core::TreeStopped>) {
          PersistOperatorStops();
          FlushLog();
          if (on_tree_stopped_) on_tree_stopped_(c);
        }
      },
      command);
}

void Executor::LogLifecycle(const core::Lifecycle& event) {
  // A worker's exit and the restart it causes read as one line, e.g.
  // "web/w (pid 42) killed by SIGSEGV (abnormal); restart 3 of 5 within 10s": the exit's
  // line waits for the next event of the same dispatch.
  if (pending_exit_log_ && event.kind == core::Lifecycle::Kind::kRestarting &&
      event.path == pending_exit_log_->path) {
    PendingLog merged = std::move(*pending_exit_log_);
    pending_exit_log_.reset();
    log_.Log(merged.level, merged.line + (event.detail.empty() ? "; restarting"
                                                                : "; " + event.detail));
    return;
  }
  FlushLog();
  LogLevel level = LifecycleLevel(event);
  if (!log_.Enabled(level)) return;
  if (event.kind == core::Lifecycle::Kind::kExited && !event.supervisor) {
    pending_exit_log_ = PendingLog{event.path, level, RenderLifecycle(event)};
  } else {
    log_.Log(level, RenderLifecycle(event));
  }
}

void Executor::FlushLog() {
  if (!pending_exit_log_) return;
  log_.Log(pending_exit_log_->level, pending_exit_log_->line);
  pending_exit_log_.reset();
}

void Executor::OnLifecycle(const core::Lifecycle& event) {
  LogLifecycle(event);
  if (subscribers_.empty()) return;
  double now = WallNow();
  // A callback may unsubscribe (a slow client dropped): iterate over a copy of the keys.
  std::vector<std::uint64_t> tokens;
  tokens.reserve(subscribers_.size());
  for (const auto& [token, cb] : subscribers_) tokens.push_back(token);
  for (auto token : tokens) {
    auto it = subscribers_.find(token);
    if (it != subscribers_.end()) it->second(event, now);
  }
}

void Executor::PersistOperatorStops() {
  if (auto error = wanted_.Save(tree_.OperatorStopped())) {
    log_.Warn("cannot save the wanted state: " + *error +
              " (operator stops will not survive a restart of supd)");
  }
}

std::optional<core::NodeStatus> Executor::Status(std::string_view path) const {
  return tree_.Status(path);
}

double Executor::ToUnixTime(core::Millis monotonic) const {
  return unix_epoch_ + static_cast<double>(monotonic - mono_epoch_) / 1000.0;
}

std::string Executor::EffectiveKillMode(std::string_view path) const {
  auto it = path_run_.find(std::string(path));
  return it == path_run_.end() ? std::string() : processes_.EffectiveKillMode(it->second);
}

void Executor::Operate(core::OperatorRequest req,
                       std::function<void(const core::Reply&)> done) {
  req.request = next_request_++;
  // The tree stopped already (the root gave up with on_root_give_up: stay): the core just
  // acknowledges a shutdown and emits no TreeStopped, yet the daemon must still go.
  if (req.op == core::OperatorRequest::Op::kShutdown && RootStopped()) {
    done = [this, done = std::move(done)](const core::Reply& reply) {
      done(reply);
      if (on_tree_stopped_) {
        on_tree_stopped_(core::TreeStopped{core::TreeStopped::Why::kShutdownRequested, 0});
      }
    };
  }
  pending_[req.request] = std::move(done);
  Feed(std::move(req));
}

core::Reply Executor::SendSignal(std::string_view path, int signo) {
  core::Reply reply{};
  auto status = tree_.Status(path);
  if (!status) {
    reply.error = core::ErrorCode::kNotFound;
    reply.message = "no child \"" + std::string(path) + "\"";
    return reply;
  }
  if (status->supervisor) {
    reply.error = core::ErrorCode::kBadRequest;
    reply.message = "\"" + std::string(path) +
                    "\" is a supervisor: signal one of its workers, or use stop/restart";
    return reply;
  }
  auto it = path_run_.find(std::string(path));
  if (it == path_run_.end() || !processes_.SignalByOperator(it->second, signo)) {
    reply.error = core::ErrorCode::kBadState;
    reply.message = "\"" + std::string(path) + "\" has no running process (state " +
                    core::ToString(status->state) + ")";
  }
  return reply;
}

std::uint64_t Executor::Subscribe(EventCallback cb) {
  std::uint64_t token = next_subscriber_++;
  subscribers_.emplace(token, std::move(cb));
  return token;
}

void Executor::Unsubscribe(std::uint64_t token) { subscribers_.erase(token); }

std::string Executor::Version() const { return SUPD_VERSION; }

bool Executor::RootStopped() const {
  auto root = tree_.Status("");
  return root && root->state == core::NodeState::kStopped;
}

bool Executor::Idle() const { return queue_.empty() && tree_.Idle(); }

}  // namespace supd
