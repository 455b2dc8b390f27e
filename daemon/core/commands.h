// What the core asks the executor to do. Pure data.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "daemon/core/child_spec.h"
#include "daemon/core/events.h"
#include "daemon/core/exit_status.h"

namespace supd::core {

/// Start one run of a worker. The executor answers with ChildSpawned (+ ChildReady when
/// the readiness condition holds) or SpawnFailed, later ChildExited.
struct Spawn {
  RunId run;
  std::string path;                        ///< e.g. "pipeline/index"
  std::shared_ptr<const WorkerSpec> spec;  ///< command already includes dynamic args
};

/// Send `signo` to a run (scope: its spec's kill_mode). Never sent after its exit is seen.
struct Signal {
  RunId run;
  int signo;
  /// Why, for the daemon's log when the reason is not a stop (e.g. the watchdog); "" for
  /// stops, which their Lifecycle events already tell.
  std::string why = {};
};

/// Send `signo` to the main process of a run, as an operator asked (`supctl signal`).
/// The executor answers with OperatorSignalSent{request, path, delivered}.
struct OperatorSignal {
  RequestId request;
  RunId run;
  std::string path;
  int signo;
};

/// Fire TimerFired{timer} after `after` ms from the `now` of the call that returned this.
struct ArmTimer { TimerId timer; Millis after; };
struct CancelTimer { TimerId timer; };

/// Stable error codes of the control protocol.
enum class ErrorCode { kNone, kNotFound, kBadRequest, kBadState, kInvalidConfig, kForbidden,
                       kTimeout };

inline const char* ToString(ErrorCode c) {
  switch (c) {
    case ErrorCode::kNone: return "ok";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kBadRequest: return "bad_request";
    case ErrorCode::kBadState: return "bad_state";
    case ErrorCode::kInvalidConfig: return "invalid_config";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kTimeout: return "timeout";
  }
  return "?";
}

/// The answer to an OperatorRequest, sent when the operation has finished.
struct Reply {
  RequestId request;
  ErrorCode error = ErrorCode::kNone;  ///< kNone = ok
  std::string message;                 ///< human text (errors)
  std::optional<std::string> id;       ///< start_child: the new instance's id
  std::optional<std::string> path;     ///< start_child: the new instance's path
  /// OTP-flavoured detail for errors, for the conformance adapter: "running",
  /// "not_found", "simple_one_for_one", "already_started", "restarting" or "".
  std::string otp_error;
};

/// A lifecycle event for logs and the `events` stream.
struct Lifecycle {
  enum class Kind { kStarted, kReady, kExited, kRestarting, kStopping, kGaveUp,
                    kAutoShutdown, kReloaded };
  Kind kind;
  std::string path;
  bool supervisor = false;
  std::optional<int> pid;
  std::optional<ExitReason> reason;   ///< kExited
  std::optional<ExitStatus> status;   ///< kExited of a worker
  /// Human detail, e.g. "restart 3 of 5 within 10s", "exec failed: ...".
  std::string detail;
  /// kExited of a run that never ran: the failed spawn step and errno, as in
  /// NodeStatus::LastExit::error.
  std::string error = {};
};

inline const char* ToString(Lifecycle::Kind k) {
  switch (k) {
    case Lifecycle::Kind::kStarted: return "started";
    case Lifecycle::Kind::kReady: return "ready";
    case Lifecycle::Kind::kExited: return "exited";
    case Lifecycle::Kind::kRestarting: return "restarting";
    case Lifecycle::Kind::kStopping: return "stopping";
    case Lifecycle::Kind::kGaveUp: return "gave_up";
    case Lifecycle::Kind::kAutoShutdown: return "auto_shutdown";
    case Lifecycle::Kind::kReloaded: return "reloaded";
  }
  return "?";
}

/// The root supervisor has ended (every child is stopped and reaped), or a shutdown was
/// asked of a root that had already stopped. Emitted by the core only.
struct TreeStopped {
  enum class Why { kShutdownRequested, kGaveUp, kAutoShutdown };
  Why why;
  /// supd's exit status: auto_shutdown: the significant child's ShellCode(); gave up: 3;
  /// requested: 0.
  int exit_code = 0;
  /// False when the root gave up under `on_root_give_up: stay`: supd stays up with the tree
  /// stopped until `supctl start ""` or a shutdown (which then emits TreeStopped again).
  bool exit = true;
};

/// The whole tree is up for the first time: the root is ready and no node is starting,
/// stopping or waiting to restart. Emitted once in the life of a Tree (systemd's READY=1).
struct TreeReady {};

using Command = std::variant<Spawn, Signal, OperatorSignal, ArmTimer, CancelTimer, Reply,
                             Lifecycle, TreeStopped, TreeReady>;

}  // namespace supd::core
