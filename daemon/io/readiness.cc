#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/io/process_manager_impl.h"

namespace supd::io {

void ProcessManager::Impl::StartReadiness(Run& r) {
  const core::ReadySpec& ready = r.spec->ready;
  switch (ready.kind) {
    case core::ReadySpec::Kind::kAfter: {
      int rc = r.ready_timer.Init([&](uv_timer_t* t) { return uv_timer_init(loop, t); }, &r);
      if (rc < 0) break;
      uv_timer_start(
          r.ready_timer.get(),
          [](uv_timer_t* t) {
            auto* run = static_cast<Run*>(t->data);
            if (run == nullptr) return;
            Impl* self = run->owner;
            if (run->main_alive && !run->ready) {
              run->ready = true;
              self->Emit(core::ChildReady{run->id});
            }
            run->ready_timer.Reset();
            self->Flush();
          },
          static_cast<uint64_t>(std::max<core::Millis>(ready.after, 0)), 0);
      return;
    }
    case core::ReadySpec::Kind::kNotifyFd: {
      int rc = r.notify_poll.Init(
          [&](uv_poll_t* p) { return uv_poll_init(loop, p, r.notify_fd); }, &r);
      if (rc < 0) {
        Log(Name(r) + ": cannot watch the notify fd: " + uv_strerror(rc));
        return;
      }
      uv_poll_start(r.notify_poll.get(), UV_READABLE | UV_DISCONNECT,
                    [](uv_poll_t* p, int status, int) {
                      auto* run = static_cast<Run*>(p->data);
                      if (run == nullptr) return;
                      run->owner->OnNotifyReadable(*run, status);
                      run->owner->Flush();
                    });
      return;
    }
    default:
      break;
  }
  r.ready = true;
  Emit(core::ChildReady{r.id});
}

bool ProcessManager::Impl::NotifyHasNewline(Run& r, bool* eof) {
  *eof = false;
  char buf[512];
  for (;;) {
    ssize_t n = read(r.notify_fd, buf, sizeof buf);
    if (n > 0) {
      if (std::memchr(buf, '\n', static_cast<std::size_t>(n)) != nullptr) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return false;
    *eof = true;  // EOF or error: the child can no longer become ready this way
    return false;
  }
}

void ProcessManager::Impl::OnNotifyReadable(Run& r, int status) {
  bool eof = status < 0;
  bool ready = !eof && NotifyHasNewline(r, &eof);
  if (ready && r.main_alive && !r.ready) {
    r.ready = true;
    Emit(core::ChildReady{r.id});
  }
  if (ready || eof) StopReadiness(r);
}

void ProcessManager::Impl::StopReadiness(Run& r) {
  r.ready_timer.Reset();
  r.notify_poll.Reset();  // stops polling before the fd is closed
  if (r.notify_fd >= 0) {
    close(r.notify_fd);
    r.notify_fd = -1;
  }
}

}  // namespace supd::io
