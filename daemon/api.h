// What the control socket needs from the running daemon. Implemented by the executor;
// used by the control service (daemon/io/control_server). Single-threaded: every call
// and callback runs on the daemon's loop.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/commands.h"
#include "daemon/core/tree.h"

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

  /// Version string, e.g. "0.1.0".
  virtual std::string Version() const = 0;

  /// True when the tree is quiescent: no child starting or stopping, no restart pending
  /// (core::Tree::Idle). Reported by `status` as "idle" on the root, for scripts and tests
  /// that must wait until supd has finished reacting.
  virtual bool Idle() const { return false; }
};

}  // namespace supd
