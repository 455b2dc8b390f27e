#include "daemon/io/core_timers.h"

namespace supd::io {

CoreTimers::CoreTimers(uv_loop_t* loop, FiredCallback on_fired)
    : loop_(loop), on_fired_(std::move(on_fired)) {}

void CoreTimers::Arm(core::TimerId id, std::int64_t after_ms) {
  auto timer = std::make_unique<Timer>();
  timer->owner = this;
  timer->id = id;
  timer->handle.Init([this](uv_timer_t* h) { return uv_timer_init(loop_, h); }, timer.get());
  uv_update_time(loop_);  // from now, not the loop's cached time: never fire early
  uv_timer_start(timer->handle.get(), &CoreTimers::OnTimer,
                 static_cast<std::uint64_t>(after_ms < 0 ? 0 : after_ms), 0);
  timers_[id] = std::move(timer);  // replaces (and closes) an earlier timer of this id
}

void CoreTimers::OnTimer(uv_timer_t* handle) {
  auto* timer = static_cast<Timer*>(handle->data);
  CoreTimers* self = timer->owner;
  core::TimerId id = timer->id;
  self->Cancel(id);  // one-shot: forget it before the core may arm the same id again
  self->on_fired_(id);
}

}  // namespace supd::io
