#include "daemon/io/state/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace supd::io {

namespace {

std::string Failed(const char* what, const std::string& path) {
  return std::string("cannot ") + what + " " + path + ": " + std::strerror(errno);
}

bool WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::optional<std::string> WriteFileAtomically(const std::string& path, std::string_view text,
                                               mode_t mode) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Failed("create", tmp);
  if (!WriteAll(fd, text) || ::fsync(fd) != 0) {
    std::string error = Failed("write", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return error;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string error = Failed("rename over", path);
    ::unlink(tmp.c_str());
    return error;
  }
  // The rename itself is durable only once the directory is.
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Failed("open", dir);
  const bool synced = ::fsync(dfd) == 0;
  std::optional<std::string> error;
  if (!synced) error = Failed("fsync", dir);
  ::close(dfd);
  return error;
}

}  // namespace supd::io
