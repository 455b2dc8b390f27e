#include "daemon/io/epoll_set.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/errno_text.h"

namespace supd::io {

std::optional<std::string> EpollSet::Open(uv_loop_t* loop, std::function<void()> on_readable) {
  Close();
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return "epoll_create1: " + common::ErrnoText(errno);
  int rc = poll_.Init([&](uv_poll_t* p) { return uv_poll_init(loop, p, epfd); }, this);
  if (rc == 0) {
    rc = uv_poll_start(poll_.get(), UV_READABLE, [](uv_poll_t* p, int, int) {
      // Drained whatever the status: epoll_wait with no timeout only says what is ready.
      auto* self = static_cast<EpollSet*>(p->data);
      if (self != nullptr && self->on_readable_) self->on_readable_();
    });
  }
  if (rc < 0) {
    poll_.Reset();
    close(epfd);
    return std::string("uv_poll_start: ") + uv_strerror(rc);
  }
  fd_ = epfd;
  on_readable_ = std::move(on_readable);
  return std::nullopt;
}

std::optional<std::string> EpollSet::Add(int fd, std::uint64_t key) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = key;
  if (epoll_ctl(fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return "epoll_ctl: " + common::ErrnoText(errno);
  }
  return std::nullopt;
}

void EpollSet::Remove(int fd) {
  if (fd_ >= 0) epoll_ctl(fd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EpollSet::Drain(const std::function<void(std::uint64_t key)>& on_ready, DrainMode mode) {
  epoll_event events[kBatch];
  while (fd_ >= 0) {
    int n = epoll_wait(fd_, events, kBatch, 0);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; ++i) on_ready(events[i].data.u64);
    if (n < kBatch || mode == DrainMode::kOneBatch) break;
  }
}

void EpollSet::Close() {
  poll_.Reset();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  // on_readable_ stays: Close may be called from inside it, and the poll never calls it again.
}

}  // namespace supd::io
