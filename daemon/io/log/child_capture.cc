#include "daemon/io/log/child_capture.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "daemon/io/log/log_text.h"
#include "common/errno_text.h"

namespace supd::io::log {
namespace {

constexpr int kReadsPerWake = 4;  // then let other children and the socket have a turn
constexpr int kDrainReads = 64;  // at exit: a full 1 MiB pipe in 64 KiB reads
constexpr int kBigPipe = 1 << 20;  // F_SETPIPE_SZ: fewer wake-ups (README "Logging")

std::int64_t WallMicros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

bool Captured(core::OutputSpec::Kind k) {
  return k == core::OutputSpec::Kind::kLog || k == core::OutputSpec::Kind::kFile;
}

}  // namespace

ChildCapture::ChildCapture(CaptureHost& host, std::uint64_t id, std::string path)
    : host_(host), id_(id), path_(std::move(path)) {
  streams_[1].name = "stderr";
}

ChildCapture::~ChildCapture() {
  // No EPOLL_CTL_DEL first: closing the read end drops it from the hub's epoll set, as
  // supd holds its only reference (O_CLOEXEC; the child gets the write end). A tree of
  // 10,000 captured children saves 20,000 syscalls at shutdown.
  for (int i = 0; i < 2; ++i) {
    Stream& s = streams_[i];
    if (s.rfd >= 0) close(s.rfd);
    if (s.wfd >= 0) close(s.wfd);
  }
}

std::optional<std::string> ChildCapture::MakePipe(Stream& s, bool big) {
  if (s.rfd >= 0) return std::nullopt;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return "log pipe: " + common::ErrnoText(errno);
  // Only our read end is non-blocking: the child's stdout stays an ordinary blocking pipe.
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  if (big) fcntl(fds[0], F_SETPIPE_SZ, kBigPipe);  // best effort (pipe-max-size, quotas)
  s.rfd = fds[0];
  s.wfd = fds[1];
  return std::nullopt;
}

void ChildCapture::SetDest(Stream& s, const core::OutputSpec& out, int file_index) {
  s.file = nullptr;
  s.timestamps = false;
  if (out.kind == core::OutputSpec::Kind::kLog) {
    s.dest = Dest::kStdout;
    return;
  }
  s.dest = Dest::kFile;
  s.timestamps = out.timestamps;
  auto& file = files_[file_index];
  if (!file || file->spec != out) {  // nothing is pending: every read flushes its lines
    file = std::make_unique<OpenFile>(out, host_.FilePath(out.file));
    auto error = file->file.Open();
    if (error) SetError(*error);
    else if (!error_.empty()) SetError("");
  }
  s.file = &file->file;
}

std::optional<std::string> ChildCapture::Configure(const core::WorkerSpec& spec, int* out_fd,
                                                   int* err_fd) {
  *out_fd = *err_fd = -1;
  ring_.SetCapacity(spec.log_buffer);
  const core::OutputSpec& out = spec.stdout_spec;
  const core::OutputSpec& err = spec.stderr_spec;
  bool out_captured = Captured(out.kind);
  bool err_merged = err.kind == core::OutputSpec::Kind::kStdout;
  bool err_captured = Captured(err.kind) || (err_merged && out_captured);
  captured_ = out_captured || err_captured;
  if (out_captured) {
    if (auto e = MakePipe(streams_[0], true)) return e;
    SetDest(streams_[0], out, 0);
    *out_fd = streams_[0].wfd;
  } else {
    streams_[0].dest = Dest::kNone;
  }
  if (err_captured) {
    if (auto e = MakePipe(streams_[1], false)) return e;
    if (err_merged) {  // its own pipe (lines keep their stream) to stdout's destination
      streams_[1].dest = streams_[0].dest;
      streams_[1].file = streams_[0].file;
      streams_[1].timestamps = streams_[0].timestamps;
    } else {
      SetDest(streams_[1], err, 1);
    }
    *err_fd = streams_[1].wfd;
  } else {
    streams_[1].dest = Dest::kNone;
  }
  for (int i = 0; i < 2; ++i) {
    if (auto e = Poll(i, streams_[i].rfd >= 0 && !paused_)) return e;
  }
  return std::nullopt;
}

std::optional<std::string> ChildCapture::Poll(int stream, bool on) {
  Stream& s = streams_[stream];
  if (s.rfd < 0 || s.polling == on) return std::nullopt;
  auto error = host_.WatchPipe(s.rfd, id_, stream, on);
  if (error) return "log pipe: " + *error;
  s.polling = on;
  return std::nullopt;
}

void ChildCapture::OnReadable(int stream) {
  Stream& s = streams_[stream];
  for (int i = 0; i < kReadsPerWake && !paused_; ++i) {
    if (!ReadOnce(s)) break;
  }
}

bool ChildCapture::ReadOnce(Stream& s) {
  std::size_t size = 0;
  char* buf = host_.ReadBuffer(&size);
  ssize_t n;
  do {
    n = read(s.rfd, buf, size);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;  // EAGAIN: empty; 0 cannot happen while we hold the write end
  now_us_ = WallMicros();
  s.framer.Feed(std::string_view(buf, static_cast<std::size_t>(n)),
                [&](std::string_view line) { EmitLine(s, line); });
  FlushDests(s);
  return true;
}

void ChildCapture::EmitLine(Stream& s, std::string_view line) {
  ring_.Push(line);
  host_.Publish(path_, s.name, line);
  if (s.dest == Dest::kStdout) {
    LineMeta meta{path_, s.name, pid_, now_us_};
    if (host_.json()) {
      AppendJsonLine(&host_.Lines(), meta, line);
    } else {
      AppendTextLine(&host_.Lines(), meta, line);
    }
  } else if (s.dest == Dest::kFile && s.file != nullptr) {
    std::string stamp;
    if (s.timestamps) {
      stamp = Iso8601Micros(now_us_);
      stamp.push_back(' ');
    }
    std::uint64_t lost = 0;
    auto error = s.file->Append(&host_.Lines(), stamp, line, &lost);
    if (error || lost) FileResult(error, lost);
  }
}

void ChildCapture::FlushDests(Stream& s) {
  std::string& lines = host_.Lines();
  if (!lines.empty() && s.dest == Dest::kStdout) {
    std::size_t queued_now = 0;
    auto result = host_.stdout_writer().Write(lines, id_, &queued_now);
    if (result == FdWriter::Result::kFailed) {
      dropped_ += lines.size() - queued_now;
      SetError("cannot write to supd's stdout: " +
               common::ErrnoText(host_.stdout_writer().error()) + "; lines are dropped");
    }
    queued_ += queued_now;
  } else if (!lines.empty() && s.dest == Dest::kFile && s.file != nullptr) {
    std::uint64_t lost = 0;
    auto error = s.file->Flush(&lines, &lost);  // before `lost` is read
    FileResult(error, lost);
  }
  lines.clear();
  if (queued_ > kHighWater) Pause();
}

void ChildCapture::FileResult(const std::optional<std::string>& error, std::uint64_t lost) {
  dropped_ += lost;
  if (error) {
    SetError(*error);
  } else if (!error_.empty() && lost == 0) {
    SetError("");
  }
}

void ChildCapture::SetError(const std::string& error) {
  if (error == error_) return;
  if (error.empty()) {
    host_.Warn(path_ + ": log destination writable again (" + error_ + " is over)");
  } else {
    host_.Warn(path_ + ": " + error +
               "; output still goes to the ring buffer (supctl log), dropped bytes are "
               "counted in supctl status");
  }
  error_ = error;
}

void ChildCapture::Pause() {
  if (paused_) return;
  paused_ = true;
  for (int i = 0; i < 2; ++i) Poll(i, false);
}

void ChildCapture::Resume() {
  if (!paused_) return;
  paused_ = false;
  for (int i = 0; i < 2; ++i) {
    if (auto error = Poll(i, true)) SetError(*error);  // EMFILE/ENOMEM: only the epoll set
  }
}

void ChildCapture::OnStdoutDrained(std::size_t bytes, bool lost) {
  queued_ = bytes > queued_ ? 0 : queued_ - bytes;
  if (lost) {
    dropped_ += bytes;
    SetError("cannot write to supd's stdout: " +
             common::ErrnoText(host_.stdout_writer().error()) + "; lines are dropped");
  }
  if (paused_ && queued_ <= kLowWater) Resume();
}

void ChildCapture::Drain(bool force) {
  for (Stream& s : streams_) {
    if (s.rfd < 0) continue;
    bool empty = false;
    // Bounded: descendants of the run may still be writing. Forced (a release), the queue
    // may pass kHighWater once, by at most what the pipe held.
    for (int i = 0; i < kDrainReads && (force || !paused_); ++i) {
      if (!ReadOnce(s)) {
        empty = true;
        break;
      }
    }
    if (!empty) continue;  // back-pressure: the rest stays in the pipe, read later
    now_us_ = WallMicros();
    s.framer.Flush([&](std::string_view line) { EmitLine(s, line); });
    FlushDests(s);
  }
}

void ChildCapture::ReopenFiles() {
  for (auto& file : files_) {
    if (!file) continue;
    auto error = file->file.Reopen();
    FileResult(error, 0);
  }
}

}  // namespace supd::io::log
