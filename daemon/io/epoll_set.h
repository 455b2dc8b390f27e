// Many fds watched from the libuv loop through one epoll set and one uv_poll_t on it: a
// uv_poll_t per fd costs 160 bytes each (issue 16), and the owner learns which fds are
// ready by the 64-bit key it gave each. Serves the capture pipes (LogHub) and the pidfds of
// live runs (ProcessManager). Single-threaded (the loop's).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "daemon/io/uv_handle.h"

namespace supd::io {

class EpollSet {
 public:
  /// How much one Drain reads of what is ready.
  enum class DrainMode {
    kOneBatch,    ///< at most one batch; the set is level-triggered: the rest wake it again
    kUntilEmpty,  ///< batch after batch until one comes back short
  };

  EpollSet() = default;
  ~EpollSet() { Close(); }
  // The uv_poll_t's data points at this object.
  EpollSet(const EpollSet&) = delete;
  EpollSet& operator=(const EpollSet&) = delete;

  /// Creates the epoll fd and watches it on `loop`: `on_readable` runs on the loop while
  /// any fd in the set is ready (it should Drain). nullopt, or why not ("epoll_create1: …",
  /// "uv_poll_start: …"); then nothing is open.
  std::optional<std::string> Open(uv_loop_t* loop, std::function<void()> on_readable);
  bool IsOpen() const { return fd_ >= 0; }
  /// Watches `fd` for input under `key`; nullopt, or "epoll_ctl: …" (ENOMEM, ENOSPC:
  /// max_user_watches).
  std::optional<std::string> Add(int fd, std::uint64_t key);
  /// Stops watching `fd` (nothing when the set is closed). Closing `fd` drops it too, unless
  /// another reference to its file lives.
  void Remove(int fd);
  /// Calls `on_ready(key)` for each ready fd, a batch of up to kBatch at a time. Nothing
  /// when the set is closed.
  void Drain(const std::function<void(std::uint64_t key)>& on_ready, DrainMode mode);
  /// Stops the uv_poll_t (the loop must run once more to free it) and closes the epoll fd.
  void Close();

  static constexpr int kBatch = 64;

 private:
  int fd_ = -1;
  UvHandle<uv_poll_t> poll_;
  std::function<void()> on_readable_;
};

}  // namespace supd::io
