// One run's readiness state (README, "Readiness"): the notify_fd pipe, the sd_notify
// socket, the command probe. Owned by the run; ProcessManager::Impl drives it
// (readiness.cc, sd_notify_ready.cc, probe.cc). Deadlines are not here: `ready: {"after"}`
// and the watchdog are the core's timers (daemon/core/supervisor_run.cc).
#pragma once

#include <sys/types.h>
#include <uv.h>

#include "daemon/io/readiness/sd_notify_receiver.h"
#include "daemon/io/uv_handle.h"

namespace supd::io {

class Readiness {
 public:
  Readiness() = default;
  ~Readiness() { CloseChannels(); }
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  /// ChildReady was reported (at most once per run).
  bool ready = false;

  // ready: {"notify_fd": N}: supd's read end of the pipe, watched while open.
  int notify_fd = -1;
  UvHandle<uv_poll_t> notify_poll;
  // ready: "sd_notify": the run's own NOTIFY_SOCKET, watched while open.
  SdNotifyReceiver sd_socket;
  UvHandle<uv_poll_t> sd_poll;
  // ready: {"command"}: the probe running now and its interval timer.
  UvHandle<uv_timer_t> probe_timer;
  pid_t probe_pid = -1;    ///< the probe running now, or -1
  bool probe_due = false;  ///< the interval passed: start the next once this one is reaped
  bool probe_error_logged = false;

  /// True if a line ended in what the notify pipe holds now; `*eof` when the pipe is
  /// closed or broken (the child can no longer become ready this way).
  bool NotifyHasNewline(bool* eof);
  /// Stops watching the notify pipe and closes supd's end (later writes get EPIPE).
  void CloseNotifyFd();
  /// Closes the notify pipe and the sd_notify socket (the probe is the manager's: its
  /// process must be killed and reaped).
  void CloseChannels() {
    CloseNotifyFd();
    sd_poll.Reset();  // stop polling before the socket closes its fd
    sd_socket.Close();
  }
};

}  // namespace supd::io
