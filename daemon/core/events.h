// What the executor tells the core. Pure data.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "daemon/core/child_spec.h"
#include "daemon/core/exit_status.h"

namespace supd::core {

/// One spawn attempt of one worker. Allocated by the core (Spawn command), unique for the
/// life of the Tree; every process event names it. Events for a run the core no longer
/// tracks are ignored.
using RunId = std::uint64_t;
/// A timer armed by the core (ArmTimer). Unique for the life of the Tree.
using TimerId = std::uint64_t;
/// An operator request, numbered by the executor; echoed in the Reply.
using RequestId = std::uint64_t;

/// The process of a Spawn exists (sent right after a successful spawn).
struct ChildSpawned { RunId run; int pid = 0; };
/// The run became ready per its `ready` spec (for "exec": right after ChildSpawned).
struct ChildReady { RunId run; };
/// The spawn failed before exec (stage + errno rendered in `message`, e.g.
/// "exec failed: /usr/bin/nope: No such file or directory (ENOENT)"). A failed start:
/// counts as an abnormal exit. No ChildExited follows. `error` is the short form shown in
/// status and events: the failed step, the subject and the errno name, e.g.
/// "exec: /usr/bin/nope: ENOENT" (empty: the core shows `message`).
struct SpawnFailed { RunId run; std::string message; std::string error = {}; };
/// The run's main process was reaped and (kill_mode group/cgroup) nothing of its
/// group/cgroup is left. Exactly once per spawned run.
struct ChildExited { RunId run; ExitStatus status; };
/// Free-form readiness status line (sd_notify STATUS=...), shown in status.
struct ChildStatusText { RunId run; std::string text; };
/// The run's main process was reaped, but its process group / cgroup still holds
/// processes. Unless a stop is already under way the core stops them (stop signal, SIGKILL
/// after `shutdown`); ChildExited (with the main process's status) follows once nothing is
/// left. Readiness ends here: a run never becomes ready after its main process died.
struct MainExited { RunId run; };
/// A `ready: "sd_notify"` run sent WATCHDOG=1 (`interval` empty) or WATCHDOG_USEC=
/// (`interval`: the new watchdog period, ms). The core owns the watchdog deadline: armed
/// at readiness, pushed back by each ping.
struct WatchdogPing { RunId run; std::optional<Millis> interval; };
/// The run asked for its own watchdog to fire (WATCHDOG=trigger): the core kills it; its
/// exit is abnormal.
struct WatchdogExpired { RunId run; };
struct TimerFired { TimerId timer; };
/// The executor carried an OperatorSignal: `delivered` is false when the run's main
/// process was already gone (its exit not reported yet, e.g. leftovers being stopped).
struct OperatorSignalSent { RequestId request; std::string path; bool delivered = false; };

/// Operator requests (control socket or signals to supd). `path` is slash-separated ids
/// below the root; "" is the root.
struct OperatorRequest {
  /// kSignal sends `signo` to a worker's process (`supctl signal`): not a stop, the core
  /// handles a death it causes like any exit. kKillAll (a second SIGTERM/SIGINT during a
  /// shutdown): SIGKILL every live process now.
  enum class Op { kStart, kStop, kRestart, kStartChild, kShutdown, kSignal, kKillAll };
  RequestId request = 0;
  Op op = Op::kStart;
  std::string path;
  std::vector<std::string> args;   ///< kStartChild: appended to the template's command
  std::optional<std::string> id;   ///< kStartChild: instance id (default: next number)
  int signo = 0;                   ///< kSignal
};

/// Apply a new config's tree (already validated): see Supervisor::Reload. Answered with
/// a Reply once everything is applied, and one `reloaded` Lifecycle carrying `summary`.
struct ReloadRequest {
  RequestId request = 0;
  std::shared_ptr<const ChildSpec> root;  ///< the new root supervisor (id "")
  bool restart_instances = false;         ///< also restart simple_one_for_one instances
  std::string summary;                    ///< the plan's counts, for the event's detail
  /// The new `daemon.on_root_give_up` (the core decides the root's fate).
  DaemonSpec::OnRootGiveUp on_root_give_up = DaemonSpec::OnRootGiveUp::kExit;
};

using Event = std::variant<ChildSpawned, ChildReady, SpawnFailed, ChildExited,
                           ChildStatusText, MainExited, WatchdogPing, WatchdogExpired,
                           TimerFired, OperatorRequest, OperatorSignalSent, ReloadRequest>;

}  // namespace supd::core
