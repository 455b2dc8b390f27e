// The single wiring point: events from io → the pure core → commands carried out by io.
// No supervision decision is taken here; this file only moves data and renders logs.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "daemon/api.h"
#include "daemon/core/tree.h"
#include "daemon/daemon_log.h"
#include "daemon/io/layers.h"
#include "daemon/io/state/wanted_state.h"

namespace supd {

/// Monotonic milliseconds from libuv's high-resolution clock.
core::Millis MonotonicNowMs();

/// The io the executor drives: io::ProcessManager, io::CoreTimers and io::log::LogHub on
/// the loop, or fakes in tests. Their events come back through Executor::Feed.
struct ExecutorIo {
  io::ProcessLayer* processes = nullptr;
  io::TimerLayer* timers = nullptr;
  std::function<core::Millis()> now = MonotonicNowMs;  ///< monotonic milliseconds
  /// Output capture behind `log` and `status`'s log health; null: nothing is captured.
  io::LogLayer* logs = nullptr;
};

class Executor : public DaemonApi {
 public:
  /// `on_tree_stopped` runs on each core::TreeStopped (the root ended, every child reaped;
  /// or a shutdown of an already stopped root).
  Executor(core::Config config, ExecutorIo io, Logger& log, std::string state_dir,
           std::function<void(const core::TreeStopped&)> on_tree_stopped);
  ~Executor() override;

  /// `on_tree_ready` runs once, when the whole tree is first up (core::TreeReady).
  void OnTreeReady(std::function<void()> on_tree_ready) {
    on_tree_ready_ = std::move(on_tree_ready);
  }
  /// Start the tree (restoring sticky operator stops from the state dir).
  void Start();
  /// Queue one event and handle everything queued, in arrival order.
  void Feed(core::Event event);
  /// Close timers (before the loop closes).
  void Close();

  // DaemonApi
  std::optional<core::NodeStatus> Status(std::string_view path) const override;
  double ToUnixTime(core::Millis monotonic) const override;
  std::string EffectiveKillMode(std::string_view path) const override;
  void Operate(core::OperatorRequest req,
               std::function<void(const core::Reply&)> done) override;
  std::uint64_t Subscribe(EventCallback cb) override;
  std::uint64_t WatchState(std::function<void()> cb) override;
  void Unsubscribe(std::uint64_t token) override;
  std::string Version() const override;
  bool Idle() const override;
  std::optional<std::vector<std::string>> LogTail(std::string_view path,
                                                  std::size_t lines) const override;
  std::uint64_t FollowLog(std::string_view path, LogCallback cb) override;
  void UnfollowLog(std::uint64_t token) override;
  std::optional<LogState> LogStateOf(std::string_view path) const override;

  void Reload(ReloadOptions options,
              std::function<void(const protocol::ReloadOutcome&)> done) override;

  /// Called after each applied reload with the new `daemon` section (for the keys that
  /// io applies live: socket mode/group; the core takes on_root_give_up itself).
  void OnReloaded(std::function<void(const core::DaemonSpec&)> cb) { on_reloaded_ = std::move(cb); }

 private:
  void Dispatch();
  void Carry(std::vector<core::Command> commands);
  void Carry(const core::Command& command);
  void OnLifecycle(const core::Lifecycle& event);
  void LogLifecycle(const core::Lifecycle& event);
  void FlushLog();
  void NotifyStateWatchers();
  void TrackEvent(const core::Event& event);
  void PersistOperatorStops();
  void ReleaseGoneLogs();  // executor_log.cc
  // executor_reload.cc
  void NextReload();
  protocol::ReloadOutcome PlanReload(const ReloadOptions& options,
                                     std::optional<core::Config>* next);

  core::Config config_;
  ExecutorIo io_;
  Logger& log_;
  std::string state_dir_;
  std::function<void(const core::TreeStopped&)> on_tree_stopped_;
  std::function<void()> on_tree_ready_;
  core::Tree tree_;
  /// Captures of paths gone from the tree are released at the end of the dispatch
  /// (ReleaseGoneLogs): after a reload every capture is checked, after exits only the
  /// exited workers' paths (a scan per exit made stopping N children cost O(N²)).
  bool release_all_logs_ = false;
  std::vector<std::string> exited_paths_;

  std::deque<core::Event> queue_;
  bool dispatching_ = false;

  core::RequestId next_request_ = 1;
  std::unordered_map<core::RequestId, std::function<void(const core::Reply&)>> pending_;

  // Which run is the live process of which worker path (for signal and kill_mode).
  std::unordered_map<core::RunId, std::string> run_path_;
  std::unordered_map<std::string, core::RunId> path_run_;
  std::unordered_map<core::RunId, int> run_pid_;

  struct PendingLog {
    std::string path;
    LogLevel level;
    std::string line;
  };
  std::optional<PendingLog> pending_exit_log_;  ///< an exit's line, waiting for its restart

  std::uint64_t next_subscriber_ = 1;
  std::map<std::uint64_t, EventCallback> subscribers_;
  std::map<std::uint64_t, std::function<void()>> state_watchers_;
  std::uint64_t seen_generation_ = 0;  ///< core::Tree::Generation the watchers were told
  io::WantedStateFile wanted_;
  struct QueuedReload {
    ReloadOptions options;
    std::function<void(const protocol::ReloadOutcome&)> done;
  };
  std::deque<QueuedReload> reloads_;  ///< waiting for the one being applied
  bool reloading_ = false;
  std::function<void(const core::DaemonSpec&)> on_reloaded_;
  // Monotonic and wall clock taken together, to render `since` as unix time.
  core::Millis mono_epoch_ = 0;
  double unix_epoch_ = 0;
};

}  // namespace supd
