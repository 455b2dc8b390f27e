// `ready: "sd_notify"`: READY=1, STATUS=, STOPPING=1, WATCHDOG=1 over the run's own
// NOTIFY_SOCKET (sd_notify_receiver.h). The watchdog's deadline is the core's: pings are
// passed on as WatchdogPing.
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "daemon/io/process/process_manager_impl.h"

namespace supd::io {

void ProcessManager::Impl::StartSdNotify(Run& r) {
  int rc = r.readiness.sd_poll.Init(
      [&](uv_poll_t* p) { return uv_poll_init(loop, p, r.readiness.sd_socket.fd()); }, &r);
  if (rc < 0) {
    Log(Name(r) + ": cannot watch the sd_notify socket: " + uv_strerror(rc));
    return;
  }
  uv_poll_start(r.readiness.sd_poll.get(), UV_READABLE, [](uv_poll_t* p, int, int) {
    auto* run = static_cast<Run*>(p->data);
    if (run == nullptr) return;
    Impl* self = run->owner;
    run->readiness.sd_socket.Drain([&](std::string_view text, uid_t uid, pid_t pid) {
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
    const core::Millis ms = std::max<long long>(1, *m.watchdog_usec / 1000);
    pending.emplace_back(std::in_place_type<core::WatchdogPing>, core::WatchdogPing{r.id, ms});
  }
  if (m.ready) MarkReady(r);
  if (m.watchdog) {
    pending.emplace_back(std::in_place_type<core::WatchdogPing>,
                         core::WatchdogPing{r.id, std::nullopt});
  }
  if (m.watchdog_trigger && r.pidfd >= 0 && r.main_alive) {
    // Built in place: GCC 12 warns (maybe-uninitialized) about a moved temporary variant.
    pending.emplace_back(std::in_place_type<core::WatchdogExpired>, core::WatchdogExpired{r.id});
  }
  // STOPPING=1 is accepted and needs nothing: stopping is supd's decision, not the child's.
}

}  // namespace supd::io
