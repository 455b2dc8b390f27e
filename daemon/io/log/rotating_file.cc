#include "daemon/io/log/rotating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/errno_text.h"

namespace supd::io::log {

RotatingFile::~RotatingFile() {
  std::uint64_t lost = 0;
  if (fd_ >= 0) Flush(&lost);
  if (fd_ >= 0) close(fd_);
}

std::optional<std::string> RotatingFile::Open() {
  if (fd_ >= 0) return std::nullopt;
  // O_NONBLOCK: a FIFO given as a log file must not stall the loop (a full one is an error).
  int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640);
  if (fd < 0) return "cannot open " + path_ + ": " + common::ErrnoText(errno);
  struct stat st;
  size_ = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
  fd_ = fd;
  return std::nullopt;
}

std::optional<std::string> RotatingFile::Reopen() {
  std::uint64_t lost = 0;
  std::optional<std::string> error;
  if (fd_ >= 0) error = Flush(&lost);
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  auto open_error = Open();
  return open_error ? open_error : error;
}

std::optional<std::string> RotatingFile::Append(std::string_view line, std::uint64_t* lost) {
  std::optional<std::string> error;
  std::uint64_t before = size_ + buffer_.size();
  if (max_size_ > 0 && before > 0 && before + line.size() > max_size_) {
    error = Flush(lost);
    if (!error) error = Rotate();
  }
  buffer_.append(line);
  return error;
}

std::optional<std::string> RotatingFile::Flush(std::uint64_t* lost) {
  if (buffer_.empty()) return std::nullopt;
  std::string data = std::move(buffer_);
  buffer_.clear();
  if (fd_ < 0) {
    if (auto e = Open()) {
      *lost += data.size();
      return e;
    }
  }
  return WriteAll(data, lost);
}

std::optional<std::string> RotatingFile::WriteAll(std::string_view data, std::uint64_t* lost) {
  while (!data.empty()) {
    ssize_t n = write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      *lost += data.size();
      // Reopened at the next flush: a full disk or a removed mount may come back.
      close(fd_);
      fd_ = -1;
      return "cannot write " + path_ + ": " + common::ErrnoText(err);
    }
    size_ += static_cast<std::uint64_t>(n);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return std::nullopt;
}

std::optional<std::string> RotatingFile::Rotate() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (keep_ <= 0) {
    unlink(path_.c_str());
  } else {
    for (int i = keep_ - 1; i >= 1; --i) {
      std::string from = path_ + "." + std::to_string(i);
      std::string to = path_ + "." + std::to_string(i + 1);
      rename(from.c_str(), to.c_str());  // ENOENT: fewer rotations so far
    }
    if (rename(path_.c_str(), (path_ + ".1").c_str()) != 0 && errno != ENOENT) {
      return "cannot rotate " + path_ + ": " + common::ErrnoText(errno);
    }
  }
  size_ = 0;
  return Open();
}

}  // namespace supd::io::log
