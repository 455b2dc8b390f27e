// Every worker's output capture, supd's stdout as the "log" destination, and the
// followers of `supctl log -f`. The one object the daemon wires in (README "Logging").
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/io/epoll_set.h"
#include "daemon/io/log/child_capture.h"
#include "daemon/io/layers.h"
#include "daemon/io/log/fd_writer.h"
#include "daemon/io/process/output_capture.h"

namespace supd::io::log {

struct LogHubOptions {
  std::string log_dir;  ///< base of relative `{"file"}` paths ("" = supd's cwd)
  bool json = false;    ///< daemon.log_format "json"
  int stdout_fd = 1;    ///< where "log" lines go (dup'ed non-blocking; tests pass others)
  int stderr_fd = 2;    ///< where supd's own messages go (WriteDaemonLine)
};

/// supd's own messages waiting for a stderr nobody reads, at most; more are dropped.
inline constexpr std::size_t kDaemonQueueMax = 1 << 20;

/// Owns one ChildCapture per worker path ever spawned with captured output; they outlive
/// runs, so pipes and ring buffers survive restarts. Single-threaded (the loop's).
class LogHub : public OutputCapture, public LogLayer, private CaptureHost {
 public:
  /// `warn` receives supd's own warnings about destinations (a file that cannot be
  /// written); it must not call back into the hub.
  LogHub(uv_loop_t* loop, LogHubOptions options, std::function<void(const std::string&)> warn);
  ~LogHub() override;
  LogHub(const LogHub&) = delete;
  LogHub& operator=(const LogHub&) = delete;

  // OutputCapture
  std::optional<std::string> StdioFor(const std::string& path, const core::WorkerSpec& spec,
                                      int* out_fd, int* err_fd) override;
  void RunStarted(const std::string& path, int pid) override;
  void RunEnded(const std::string& path) override;

  // LogLayer
  std::optional<std::vector<std::string>> Tail(std::string_view path,
                                               std::size_t n) const override;
  std::vector<std::string> PathsUnder(std::string_view path) const override;
  std::uint64_t Follow(std::string path, Follower f) override;
  void Unfollow(std::uint64_t token) override;
  std::optional<State> StateOf(std::string_view path) const override;
  void Release(std::string_view path) override;

  /// Bytes dropped so far, per captured path (supd_log_dropped_bytes_total).
  std::map<std::string, std::uint64_t> DroppedBytes() const;
  /// daemon.log_format changed by a reload: lines read from now on take the new shape.
  void SetJson(bool json) { options_.json = json; }
  /// Reopens every log file (SIGUSR1, after an external rotation).
  void ReopenFiles();
  /// Writes one of supd's own log lines to its stderr without blocking the loop: queued
  /// while stderr is full (up to kDaemonQueueMax, then dropped and counted); a plain
  /// write(2) once the hub is closed.
  void WriteDaemonLine(std::string_view line);
  /// Stops reading and closes every handle (the loop must run once more).
  void Close();

 private:
  // CaptureHost
  uv_loop_t* loop() override { return loop_; }
  FdWriter& stdout_writer() override { return *stdout_; }
  bool json() const override { return options_.json; }
  std::string FilePath(const std::string& file) const override;
  char* ReadBuffer(std::size_t* size) override;
  std::string& Lines() override { return lines_; }
  std::optional<std::string> WatchPipe(int fd, std::uint64_t id, int stream, bool on) override;
  void Publish(std::string_view path, std::string_view stream, std::string_view line) override;
  void Warn(const std::string& message) override;

  ChildCapture* Find(std::string_view path) const;
  void OnPipesReadable();

  uv_loop_t* loop_;
  LogHubOptions options_;
  std::function<void(const std::string&)> warn_;
  std::unique_ptr<FdWriter> stdout_;
  std::unique_ptr<FdWriter> stderr_;
  std::uint64_t daemon_dropped_ = 0;  ///< own lines dropped since the last note
  std::vector<char> read_buffer_;
  std::string lines_;
  /// Every capture's read ends in one epoll set, itself one uv_poll_t: a uv_poll_t per
  /// pipe was 2 × 160 bytes per captured child (issue 16). Opened at the first pipe.
  EpollSet pipes_;
  std::uint64_t next_id_ = 1;
  /// Keyed by a view of the capture's own path (ChildCapture::path()): the path once
  /// per captured child, not twice (issue 16: memory).
  std::map<std::string_view, std::unique_ptr<ChildCapture>, std::less<>> captures_;
  std::unordered_map<std::uint64_t, ChildCapture*> by_id_;
  struct FollowEntry {
    std::string path;
    Follower f;
  };
  std::uint64_t next_follow_ = 1;
  std::map<std::uint64_t, FollowEntry> followers_;
};

}  // namespace supd::io::log
