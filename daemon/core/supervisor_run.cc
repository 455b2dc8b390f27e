// Supervisor: the deadlines of one live run, on the run's own timer (Child::run_timer)
// beside the child's (start_timeout, shutdown, backoff): `ready: {"after": D}`, the
// sd_notify watchdog, and the stop of what a self-exited main process left behind.
#include <algorithm>
#include <string>

#include "daemon/core/supervisor.h"

namespace supd::core {

void Supervisor::ArmWatchdog(Child& c) {
  if (c.watchdog > 0 && c.run != 0 && c.phase == Phase::kRunning)
    ctx_.ArmRunTimer(c, TimerPurpose::kWatchdog, c.watchdog);
}

void Supervisor::OnWatchdogPing(Child& c, std::optional<Millis> interval) {
  if (interval) c.watchdog = std::max<Millis>(*interval, 1);
  ArmWatchdog(c);  // before readiness a ping arms nothing
}

void Supervisor::OnMainExited(Child& c) {
  // Readiness and the watchdog end with the main process.
  ctx_.CancelRunTimer(c);
  // Being stopped already: that stop's own sequence covers the leftovers.
  if (c.phase != Phase::kStarting && c.phase != Phase::kRunning) return;
  // As a stop would, but not a stop: the phase stays, and the exit that follows is judged
  // by the main process's status like any other.
  if (killed_ || c.spec.shutdown.kind == Shutdown::Kind::kBrutalKill) {
    ctx_.Emit(Signal{c.run, kSigKill});
    return;
  }
  ctx_.Emit(Signal{c.run, c.worker->stop_signal});
  if (c.spec.shutdown.kind == Shutdown::Kind::kTimeout)
    ctx_.ArmRunTimer(c, TimerPurpose::kLeftoverKill, c.spec.shutdown.timeout);
}

void Supervisor::OnRunTimer(Child& c, TimerPurpose purpose) {
  if (c.run == 0) return;
  switch (purpose) {
    case TimerPurpose::kReadyAfter:
      OnReady(c);  // only while starting
      return;
    case TimerPurpose::kWatchdog:
      // Not a stop: the death this causes is an abnormal exit, handled like any other.
      if (c.phase == Phase::kRunning) {
        ctx_.Emit(
            Signal{c.run, kSigKill,
                   "watchdog expired (no WATCHDOG=1 for " + std::to_string(c.watchdog) + " ms)"});
      }
      return;
    case TimerPurpose::kLeftoverKill:
      ctx_.Emit(Signal{c.run, kSigKill});
      return;
    default:
      return;
  }
}

}  // namespace supd::core
