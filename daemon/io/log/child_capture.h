// Capture of one worker's output: its pipes (created once, kept across restarts), line
// framing, the ring buffer, and routing to supd's stdout or a rotating file.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/child_spec.h"
#include "daemon/io/log/fd_writer.h"
#include "daemon/io/log/line_framer.h"
#include "daemon/io/log/line_ring.h"
#include "daemon/io/log/rotating_file.h"

namespace supd::io::log {

/// What a capture needs from its hub (LogHub implements it).
class CaptureHost {
 public:
  virtual ~CaptureHost() = default;
  virtual uv_loop_t* loop() = 0;
  /// supd's stdout (the "log" destination), shared by every capture.
  virtual FdWriter& stdout_writer() = 0;
  virtual bool json() const = 0;
  virtual std::string FilePath(const std::string& file) const = 0;  ///< relative to log_dir
  /// A scratch buffer for reads, `*size` bytes (consumed before the reader returns).
  virtual char* ReadBuffer(std::size_t* size) = 0;
  /// A scratch string for the lines of one read bound for the stream's destination
  /// (supd's stdout or a file), empty on entry and emptied by the reader before it
  /// returns (one for all captures: an idle capture keeps no buffer).
  virtual std::string& Lines() = 0;
  /// Starts (`on`) or stops watching the read end `fd` of a capture's pipe; when readable,
  /// the hub calls ChildCapture::OnReadable(stream) of the capture whose id() is `id`.
  /// Error text (only when starting).
  virtual std::optional<std::string> WatchPipe(int fd, std::uint64_t id, int stream,
                                               bool on) = 0;
  /// Every captured line, for `supctl log -f`.
  virtual void Publish(std::string_view path, std::string_view stream, std::string_view line) = 0;
  /// A message for supd's own log (warnings about destinations).
  virtual void Warn(const std::string& message) = 0;
};

/// Bytes a capture may have waiting in supd's stdout queue before it stops reading its
/// pipes (the child then blocks in write); reading resumes below kLowWater.
inline constexpr std::size_t kHighWater = 128 * 1024;
inline constexpr std::size_t kLowWater = 32 * 1024;

/// One worker path's capture. Owned by the hub; outlives the worker's runs.
class ChildCapture {
 public:
  ChildCapture(CaptureHost& host, std::uint64_t id, std::string path);
  ~ChildCapture();
  ChildCapture(const ChildCapture&) = delete;
  ChildCapture& operator=(const ChildCapture&) = delete;

  /// Sets the destinations from `spec` and returns the pipe write ends for the child
  /// (-1: not captured). Error text if a pipe cannot be made.
  std::optional<std::string> Configure(const core::WorkerSpec& spec, int* out_fd, int* err_fd);
  void SetPid(int pid) { pid_ = pid; }
  /// Reads what is left in the pipes (unless paused by back-pressure, or `force`d: the
  /// capture is about to be released) and writes out partial last lines.
  void Drain(bool force = false);
  /// `on_drained` of the stdout writer for this capture's bytes.
  void OnStdoutDrained(std::size_t bytes, bool lost);
  /// Reopens its log files (SIGUSR1).
  void ReopenFiles();
  /// The read end of `stream` (0 stdout, 1 stderr) is readable (WatchPipe).
  void OnReadable(int stream);

  std::uint64_t id() const { return id_; }
  /// The worker path; its address is stable for the capture's life (the hub's key).
  std::string_view path() const { return path_; }
  std::vector<std::string> Tail(std::size_t n) const { return ring_.Tail(n); }
  const std::string& error() const { return error_; }
  std::uint64_t dropped() const { return dropped_; }
  bool captured() const { return captured_; }
  std::size_t queued() const { return queued_; }

 private:
  enum class Dest : std::uint8_t { kNone, kStdout, kFile };
  // Small on purpose: a big tree has thousands of captures, most of them idle (issue 16).
  // No handle per pipe: the hub watches every read end in one epoll set (WatchPipe).
  struct Stream {
    const char* name = "stdout";
    int rfd = -1;
    int wfd = -1;
    bool polling = false;
    Dest dest = Dest::kNone;
    bool timestamps = false;
    RotatingFile* file = nullptr;
    LineFramer framer;
  };
  /// A `{"file"}` destination and the spec it was made from (only captures that have one
  /// pay for the spec's copy).
  struct OpenFile {
    OpenFile(const core::OutputSpec& out, std::string path)
        : spec(out), file(std::move(path), out.max_size, out.keep) {}
    core::OutputSpec spec;
    RotatingFile file;
  };

  std::optional<std::string> MakePipe(Stream& s, bool big);
  void SetDest(Stream& s, const core::OutputSpec& out, int file_index);
  std::optional<std::string> Poll(int stream, bool on);
  bool ReadOnce(Stream& s);  ///< false once the pipe is empty (or failed)
  void EmitLine(Stream& s, std::string_view line);
  void FlushDests(Stream& s);  ///< writes host_.Lines() to the destination of `s`
  void FileResult(const std::optional<std::string>& error, std::uint64_t lost);
  void SetError(const std::string& error);
  void Pause();
  void Resume();

  CaptureHost& host_;
  std::uint64_t id_;
  const std::string path_;  ///< never changes: LogHub::captures_ keys a view of it
  int pid_ = 0;
  Stream streams_[2];
  std::unique_ptr<OpenFile> files_[2];
  LineRing ring_{64 * 1024};
  std::int64_t now_us_ = 0;       ///< wall clock of the current read (timestamps, JSON)
  std::size_t queued_ = 0;        ///< bytes waiting in the stdout writer
  bool paused_ = false;
  bool captured_ = false;
  std::string error_;
  std::uint64_t dropped_ = 0;
};

}  // namespace supd::io::log
