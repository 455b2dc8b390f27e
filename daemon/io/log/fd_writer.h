// A non-blocking writer for supd's own stdout/stderr: writes at once when the fd takes the
// bytes, queues the rest, and never blocks the loop (a paused `docker logs` reader).
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include "daemon/io/uv_handle.h"

namespace supd::io::log {

/// Gives `fd` its own non-blocking open file description when it can (a pipe, FIFO or
/// terminal is reopened through /proc/self/fd), so O_NONBLOCK does not leak to whoever
/// shares the original; a regular file is dup'ed as is (it never blocks for long, and
/// keeps its shared O_APPEND offset); a socket is dup'ed and set O_NONBLOCK. Returns the
/// new fd (O_CLOEXEC) or -1.
int NonBlockingDup(int fd);

/// Writes to one fd it owns, in order, without blocking. Bytes the fd does not take at
/// once wait in a queue, each charged to an `owner` (a child's capture) until written:
/// `on_drained(owner, n, false)` reports them written, so owners can bound what they have
/// queued. A write error other than EAGAIN fails the writer for good: queued bytes are
/// dropped (reported as `on_drained(owner, n, true)`) and later writes return kFailed.
class FdWriter {
 public:
  using OnDrained = std::function<void(std::uint64_t owner, std::size_t bytes, bool lost)>;
  enum class Result { kWritten, kQueued, kFailed };

  FdWriter(uv_loop_t* loop, int fd, OnDrained on_drained);
  ~FdWriter();
  FdWriter(const FdWriter&) = delete;
  FdWriter& operator=(const FdWriter&) = delete;

  /// Writes or queues `data` (whole lines: a queued tail is never mixed with others).
  /// `*queued_now` gets the bytes queued (charged to `owner`) by this call.
  Result Write(std::string_view data, std::uint64_t owner, std::size_t* queued_now);
  std::size_t queued() const { return queued_; }
  bool failed() const { return error_ != 0; }
  int error() const { return error_; }
  /// Stops polling and closes the fd; what is still queued is dropped.
  void Close();

 private:
  struct Chunk {
    std::string data;
    std::size_t offset = 0;
    std::uint64_t owner = 0;
  };
  void OnWritable();
  void Fail(int err);
  void StartPoll();

  uv_loop_t* loop_;
  int fd_;
  OnDrained on_drained_;
  std::deque<Chunk> queue_;
  std::size_t queued_ = 0;
  int error_ = 0;
  bool polling_ = false;
  UvHandle<uv_poll_t> poll_;
};

}  // namespace supd::io::log
