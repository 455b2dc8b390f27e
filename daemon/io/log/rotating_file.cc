#include "daemon/io/log/rotating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/errno_text.h"

namespace supd::io::log {

RotatingFile::~RotatingFile() {
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
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  return Open();
}

std::optional<std::string> RotatingFile::Append(std::string* pending, std::string_view stamp,
                                                std::string_view line, std::uint64_t* lost) {
  std::optional<std::string> error;
  std::uint64_t before = size_ + pending->size();
  std::uint64_t bytes = stamp.size() + line.size() + 1;
  if (max_size_ > 0 && before > 0 && before + bytes > max_size_) {
    error = Flush(pending, lost);
    if (!error) error = Rotate();
  }
  pending->append(stamp);
  pending->append(line);
  pending->push_back('\n');
  return error;
}

std::optional<std::string> RotatingFile::Flush(std::string* pending, std::uint64_t* lost) {
  if (pending->empty()) return std::nullopt;
  std::optional<std::string> error;
  if (fd_ < 0) error = Open();
  if (error) {
    *lost += pending->size();
  } else {
    error = WriteAll(*pending, lost);
  }
  pending->clear();
  return error;
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
