#include "daemon/executor.h"

#include <uv.h>

#include <chrono>


namespace supd {

core::Millis MonotonicNowMs() { return static_cast<core::Millis>(uv_hrtime() / 1000000); }

namespace {
double WallNow() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}
}  // namespace

Executor::Executor(core::Config config, ExecutorIo io, Logger& log, std::string state_dir,
                   std::function<void(const core::TreeStopped&)> on_tree_stopped)
    : config_(std::move(config)),
      io_(std::move(io)),
      log_(log),
      state_dir_(std::move(state_dir)),
      on_tree_stopped_(std::move(on_tree_stopped)),
      tree_(config_.root, core::TreeOptions{config_.daemon.on_root_give_up, {}}),
      wanted_(state_dir_, config_.path) {
  mono_epoch_ = io_.now();
  unix_epoch_ = WallNow();
}

Executor::~Executor() { Close(); }

void Executor::Close() { io_.timers->Close(); }

void Executor::Start() {
  // An operator's stop survives a restart of supd (README, "Changing the config").
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
  Carry(tree_.Start(io_.now()));
  dispatching_ = false;
  Dispatch();  // also tells the state watchers
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
    Carry(tree_.Handle(event, io_.now()));
  }
  FlushLog();
  if (release_all_logs_ || !exited_paths_.empty()) ReleaseGoneLogs();
  dispatching_ = false;
  NotifyStateWatchers();
}

void Executor::NotifyStateWatchers() {
  if (tree_.Generation() == seen_generation_) return;
  seen_generation_ = tree_.Generation();
  // A watcher may unsubscribe (a waiter answered): iterate over a copy of the keys.
  std::vector<std::uint64_t> tokens;
  for (const auto& [token, cb] : state_watchers_) tokens.push_back(token);
  for (auto token : tokens) {
    auto it = state_watchers_.find(token);
    if (it != state_watchers_.end()) it->second();
  }
}

void Executor::TrackEvent(const core::Event& event) {
  auto forget = [this](core::RunId run) {
    auto it = run_path_.find(run);
    if (it == run_path_.end()) return;
    exited_paths_.push_back(it->second);
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
          io_.processes->Spawn(c);
        } else if constexpr (std::is_same_v<T, core::Signal>) {
          io_.processes->Signal(c);
        } else if constexpr (std::is_same_v<T, core::OperatorSignal>) {
          bool delivered = io_.processes->SignalByOperator(c.run, c.signo);
          queue_.push_back(core::OperatorSignalSent{c.request, c.path, delivered});
        } else if constexpr (std::is_same_v<T, core::ArmTimer>) {
          io_.timers->Arm(c.timer, c.after);
        } else if constexpr (std::is_same_v<T, core::CancelTimer>) {
          io_.timers->Cancel(c.timer);
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
        } else if constexpr (std::is_same_v<T, core::TreeReady>) {
          FlushLog();
          if (on_tree_ready_) on_tree_ready_();
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
  return it == path_run_.end() ? std::string() : io_.processes->EffectiveKillMode(it->second);
}

void Executor::Operate(core::OperatorRequest req,
                       std::function<void(const core::Reply&)> done) {
  req.request = next_request_++;
  pending_[req.request] = std::move(done);
  Feed(std::move(req));
}

std::uint64_t Executor::Subscribe(EventCallback cb) {
  std::uint64_t token = next_subscriber_++;
  subscribers_.emplace(token, std::move(cb));
  return token;
}

std::uint64_t Executor::WatchState(std::function<void()> cb) {
  std::uint64_t token = next_subscriber_++;
  state_watchers_.emplace(token, std::move(cb));
  return token;
}

void Executor::Unsubscribe(std::uint64_t token) {
  subscribers_.erase(token);
  state_watchers_.erase(token);
}

std::string Executor::Version() const { return SUPD_VERSION; }

bool Executor::Idle() const { return queue_.empty() && tree_.Idle(); }

}  // namespace supd
