// `ready: "sd_notify"`: READY=1, STATUS=, STOPPING=1, WATCHDOG=1 over the run's own
// NOTIFY_SOCKET (sd_notify_receiver.h), and the watchdog timer armed from readiness on.
#include <unistd.h>

#include "daemon/io/process/process_manager_impl.h"

namespace supd::io {

void ProcessManager::Impl::StartSdNotify(Run& r) {
  int rc = r.sd_poll.Init(
      [&](uv_poll_t* p) { return uv_poll_init(loop, p, r.sd_socket.fd()); }, &r);
  if (rc < 0) {
    Log(Name(r) + ": cannot watch the sd_notify socket: " + uv_strerror(rc));
    return;
  }
  uv_poll_start(r.sd_poll.get(), UV_READABLE, [](uv_poll_t* p, int, int) {
    auto* run = static_cast<Run*>(p->data);
    if (run == nullptr) return;
    Impl* self = run->owner;
    run->sd_socket.Drain([&](std::string_view text, uid_t uid, pid_t pid) {
      self->OnSdNotifyMessage(*run, text, uid, pid);
    });
    self->Flush();
  });
}

void ProcessManager::Impl::OnSdNotifyMessage(Run& r, std::string_view text, uid_t uid,
                                             pid_t pid) {
  // The socket's name is secret and per run; the sender must still be root, supd's own
  // user or the worker's user (any process of the worker may speak: NotifyAccess=all).
  const uid_t self_uid = geteuid();
  if (uid != 0 && uid != self_uid && !(r.spec->uid && uid == *r.spec->uid)) {
    Log(Name(r) + ": sd_notify message from pid " + std::to_string(pid) + " uid " +
        std::to_string(uid) + " ignored (not the worker's user)");
    return;
  }
  SdNotifyMessage m = ParseSdNotify(text);
  if (m.status) Emit(core::ChildStatusText{r.id, *m.status});
  if (m.watchdog_usec) {
    r.watchdog_ms = std::max<long long>(1, *m.watchdog_usec / 1000);
    if (r.ready) ArmWatchdog(r);
  }
  if (m.ready) MarkReady(r);
  if (m.watchdog && r.ready) ArmWatchdog(r);
  if (m.watchdog_trigger && r.pidfd >= 0 && r.main_alive) {
    r.watchdog_timer.Reset();
    EmitWatchdogExpired(r.id);
  }
  // STOPPING=1 is accepted and needs nothing: stopping is supd's decision, not the child's.
}

void ProcessManager::Impl::EmitWatchdogExpired(core::RunId id) {
  // Built in place: GCC 12 warns (maybe-uninitialized) about a moved temporary variant.
  pending.emplace_back(std::in_place_type<core::WatchdogExpired>, core::WatchdogExpired{id});
}

void ProcessManager::Impl::ArmWatchdog(Run& r) {
  if (r.watchdog_ms <= 0 || !r.main_alive || r.pidfd < 0) return;
  if (!r.watchdog_timer) {
    int rc = r.watchdog_timer.Init([&](uv_timer_t* t) { return uv_timer_init(loop, t); }, &r);
    if (rc < 0) {
      Log(Name(r) + ": cannot arm the watchdog: " + uv_strerror(rc));
      return;
    }
  }
  // uv_timer_start on an active timer restarts it: each WATCHDOG=1 pushes the deadline.
  uv_timer_start(
      r.watchdog_timer.get(),
      [](uv_timer_t* t) {
        auto* run = static_cast<Run*>(t->data);
        if (run == nullptr) return;
        Impl* self = run->owner;
        if (run->main_alive && !run->stop_requested) {
          self->Log(self->Name(*run) + ": watchdog expired (no WATCHDOG=1 for " +
                    std::to_string(run->watchdog_ms) + " ms)");
          self->EmitWatchdogExpired(run->id);
        }
        run->watchdog_timer.Reset();
        self->Flush();
      },
      static_cast<uint64_t>(r.watchdog_ms), 0);
}

}  // namespace supd::io
