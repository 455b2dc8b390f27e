#include "daemon/io/log/fd_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace supd::io::log {
namespace {
constexpr std::size_t kChunkMerge = 64 * 1024;  // queued lines of one owner share a chunk
}

int NonBlockingDup(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -1;
  if (S_ISREG(st.st_mode)) return fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    std::string proc = "/proc/self/fd/" + std::to_string(fd);
    int own = open(proc.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_APPEND);
    if (own >= 0) return own;
  }
  int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0) return -1;
  int flags = fcntl(dup, F_GETFL);
  if (flags >= 0) fcntl(dup, F_SETFL, flags | O_NONBLOCK);
  return dup;
}

FdWriter::FdWriter(uv_loop_t* loop, int fd, OnDrained on_drained)
    : loop_(loop), fd_(fd), on_drained_(std::move(on_drained)) {
  if (fd_ < 0) error_ = EBADF;
}

FdWriter::~FdWriter() { Close(); }

void FdWriter::Close() {
  poll_.Reset();
  polling_ = false;
  queue_.clear();
  queued_ = 0;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (error_ == 0) error_ = EBADF;
}

FdWriter::Result FdWriter::Write(std::string_view data, std::uint64_t owner,
                                 std::size_t* queued_now) {
  *queued_now = 0;
  if (error_ != 0) return Result::kFailed;
  if (data.empty()) return Result::kWritten;
  if (queue_.empty()) {
    while (!data.empty()) {
      ssize_t n = write(fd_, data.data(), data.size());
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        break;
      } else {
        Fail(n < 0 ? errno : EIO);
        return Result::kFailed;
      }
    }
    if (data.empty()) return Result::kWritten;
  }
  if (!queue_.empty() && queue_.back().owner == owner && queue_.back().offset == 0 &&
      queue_.back().data.size() < kChunkMerge) {
    queue_.back().data.append(data);
  } else {
    queue_.push_back(Chunk{std::string(data), 0, owner});
  }
  queued_ += data.size();
  *queued_now = data.size();
  StartPoll();
  if (error_ != 0) {  // the poll could not start: Fail() reported the queue as lost
    *queued_now = 0;
    return Result::kFailed;
  }
  return Result::kQueued;
}

void FdWriter::StartPoll() {
  if (polling_) return;
  if (!poll_) {
    int rc = poll_.Init([&](uv_poll_t* p) { return uv_poll_init(loop_, p, fd_); }, this);
    if (rc < 0) {
      Fail(-rc);
      return;
    }
  }
  uv_poll_start(poll_.get(), UV_WRITABLE, [](uv_poll_t* p, int status, int) {
    auto* self = static_cast<FdWriter*>(p->data);
    if (self == nullptr) return;
    if (status < 0) {
      self->Fail(-status);
      return;
    }
    self->OnWritable();
  });
  polling_ = true;
}

void FdWriter::OnWritable() {
  while (!queue_.empty()) {
    Chunk& c = queue_.front();
    ssize_t n = write(fd_, c.data.data() + c.offset, c.data.size() - c.offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;  // still full: wait for the next wake-up
    if (n <= 0) {
      Fail(n < 0 ? errno : EIO);
      return;
    }
    std::size_t done = static_cast<std::size_t>(n);
    c.offset += done;
    queued_ -= done;
    std::uint64_t owner = c.owner;
    if (c.offset == c.data.size()) queue_.pop_front();
    if (on_drained_) on_drained_(owner, done, false);  // may write more: the queue is consistent
  }
  if (queue_.empty() && polling_) {
    uv_poll_stop(poll_.get());
    polling_ = false;
  }
}

void FdWriter::Fail(int err) {
  error_ = err == 0 ? EIO : err;
  std::deque<Chunk> lost = std::move(queue_);
  queue_.clear();
  queued_ = 0;
  if (poll_) {
    uv_poll_stop(poll_.get());
    polling_ = false;
  }
  for (const Chunk& c : lost) {
    if (on_drained_) on_drained_(c.owner, c.data.size() - c.offset, true);
  }
}

}  // namespace supd::io::log
