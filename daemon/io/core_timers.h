// The core's timers on the libuv loop: ArmTimer / CancelTimer carried out, TimerFired
// reported. Each timer owns its uv_timer_t through UvHandle (closed in one place).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <unordered_map>

#include "daemon/core/events.h"
#include "daemon/io/layers.h"
#include "daemon/io/uv_handle.h"

namespace supd::io {

/// The core's timers on a libuv loop.
class CoreTimers : public TimerLayer {
 public:
  using FiredCallback = std::function<void(core::TimerId)>;
  CoreTimers(uv_loop_t* loop, FiredCallback on_fired);
  ~CoreTimers() override = default;
  CoreTimers(const CoreTimers&) = delete;
  CoreTimers& operator=(const CoreTimers&) = delete;

  /// Fire `on_fired(id)` once, `after_ms` from now. Re-arming an id replaces it.
  void Arm(core::TimerId id, std::int64_t after_ms) override;
  /// Forget a timer; no-op when it already fired or was never armed.
  void Cancel(core::TimerId id) override { timers_.erase(id); }
  /// Cancel and close every timer (before the loop is closed).
  void Close() override { timers_.clear(); }
  std::size_t Armed() const { return timers_.size(); }

 private:
  struct Timer {
    UvHandle<uv_timer_t> handle;
    CoreTimers* owner = nullptr;
    core::TimerId id = 0;
  };
  static void OnTimer(uv_timer_t* handle);
  uv_loop_t* loop_;
  FiredCallback on_fired_;
  std::unordered_map<core::TimerId, std::unique_ptr<Timer>> timers_;
};

}  // namespace supd::io
