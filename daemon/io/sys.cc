#include "daemon/io/sys.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace supd::io {

int PidfdSendSignal(int pidfd, int signo) {
  if (syscall(SYS_pidfd_send_signal, pidfd, signo, nullptr, 0) == 0) return 0;
  return -errno;
}

int PidfdOpen(pid_t pid) {
  long fd = syscall(SYS_pidfd_open, pid, 0);
  return fd >= 0 ? static_cast<int>(fd) : -errno;
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  return ReadSmallFileAt(AT_FDCWD, path.c_str());
}

std::optional<std::string> ReadSmallFileAt(int dir, const char* name) {
  int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

int WriteSmallFile(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = write(fd, data.data(), data.size());
  int err = n < 0 ? errno : 0;
  close(fd);
  return err ? -err : 0;
}

namespace {

// Fields after "(comm)": index 0 is field 3 (state).
std::optional<std::string> StatField(pid_t pid, int field) {
  auto stat = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  auto close_paren = stat->rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  std::size_t pos = close_paren + 2;
  for (int f = 3; f < field; ++f) {
    pos = stat->find(' ', pos);
    if (pos == std::string::npos) return std::nullopt;
    ++pos;
  }
  auto end = stat->find(' ', pos);
  return stat->substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

}  // namespace

std::optional<std::uint64_t> ProcessStartTime(pid_t pid) {
  auto f = StatField(pid, 22);
  if (!f || f->empty()) return std::nullopt;
  return std::strtoull(f->c_str(), nullptr, 10);
}

std::optional<pid_t> ProcessGroupOf(pid_t pid) {
  auto f = StatField(pid, 5);
  if (!f || f->empty()) return std::nullopt;
  return static_cast<pid_t>(std::strtol(f->c_str(), nullptr, 10));
}

}  // namespace supd::io
