// What the control socket needs from the running daemon. Implemented by the executor;
// used by the control service (daemon/io/control/control_server). Single-threaded: every call
// and callback runs on the daemon's loop.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/commands.h"
#include "daemon/core/tree.h"
#include "protocol/reload.h"

namespace supd {

class DaemonApi {
 public:
  virtual ~DaemonApi() = default;

  /// Snapshot of the node at `path` ("" = root) and its subtree; nullopt if none.
  virtual std::optional<core::NodeStatus> Status(std::string_view path) const = 0;
  /// Unix time (seconds, fractional) of a monotonic ms timestamp from NodeStatus::since.
  virtual double ToUnixTime(core::Millis monotonic) const = 0;
  /// The kill mode in force for a worker ("cgroup", "group", "process"), "" if none.
  virtual std::string EffectiveKillMode(std::string_view path) const = 0;

  /// Carry out an operator request (start, stop, restart, start_child, shutdown, signal)
  /// through the core. `done` is called exactly once, when the operation has finished (OTP-style
  /// synchronous call), possibly before Operate returns. `req.request` is assigned here.
  virtual void Operate(core::OperatorRequest req,
                       std::function<void(const core::Reply&)> done) = 0;

  /// Lifecycle events, in the order supd acted, with their unix time. Returns a token.
  using EventCallback = std::function<void(const core::Lifecycle&, double unix_time)>;
  virtual std::uint64_t Subscribe(EventCallback cb) = 0;
  /// `cb` runs after the core handled events that may have changed what Status returns,
  /// including changes that come with no lifecycle event (a restart count, a status text).
  /// Returns a token for Unsubscribe.
  virtual std::uint64_t WatchState(std::function<void()> cb) = 0;
  /// Ends a Subscribe or a WatchState.
  virtual void Unsubscribe(std::uint64_t token) = 0;

  /// Captured output of `path` (the `log` command), oldest first: its last `lines` lines,
  /// or for a supervisor the last `lines` of each worker below it prefixed "PATH| ".
  /// nullopt when there is no node at `path`.
  virtual std::optional<std::vector<std::string>> LogTail(std::string_view path,
                                                          std::size_t lines) const {
    (void)path, (void)lines;
    return std::nullopt;
  }
  /// New lines of `path` or of any worker below it, as they are captured. Returns a token
  /// (0: no capture in this daemon).
  using LogCallback = std::function<void(std::string_view path, std::string_view stream,
                                         std::string_view line)>;
  virtual std::uint64_t FollowLog(std::string_view path, LogCallback cb) {
    (void)path, (void)cb;
    return 0;
  }
  virtual void UnfollowLog(std::uint64_t token) { (void)token; }
  /// A worker's capture health for `status`: the failing destination ("" = fine) and the
  /// bytes dropped because of it. nullopt when its output is not captured.
  struct LogState {
    std::string error;
    std::uint64_t dropped = 0;
  };
  virtual std::optional<LogState> LogStateOf(std::string_view path) const {
    (void)path;
    return std::nullopt;
  }

  /// What `reload` asks for.
  struct ReloadOptions {
    bool dry_run = false;            ///< only validate and plan
    bool restart_instances = false;  ///< a changed template restarts running instances
  };
  /// Re-reads the config file and applies the difference (SPEC §2 "Reload"). `done` is
  /// called exactly once: at once for an invalid config or a dry run, else when
  /// everything is applied. Reloads are carried out one after another.
  virtual void Reload(ReloadOptions options,
                      std::function<void(const protocol::ReloadOutcome&)> done) {
    (void)options;
    protocol::ReloadOutcome outcome;
    outcome.error = core::ErrorCode::kBadRequest;
    outcome.message = "reload: not available yet";
    done(outcome);
  }

  /// Version string, e.g. "0.1.0".
  virtual std::string Version() const = 0;

  /// True when the tree is quiescent: no child starting or stopping, no restart pending
  /// (core::Tree::Idle). Reported by `status` as "idle" on the root, for scripts and tests
  /// that must wait until supd has finished reacting.
  virtual bool Idle() const { return false; }
};

}  // namespace supd
