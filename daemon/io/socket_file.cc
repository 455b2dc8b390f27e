#include "daemon/io/socket_file.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/errno_text.h"
#include "common/fs.h"

namespace supd::io {

std::optional<std::string> MakeSocketParents(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  return common::MakeDirs(path.substr(0, slash));
}

// For an existing socket file: nullopt when it is stale (and was removed).
std::optional<std::string> RemoveStaleSocket(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    return "cannot stat " + path + ": " + common::ErrnoText(errno);
  }
  if (!S_ISSOCK(st.st_mode)) return path + " exists and is not a socket; refusing to replace it";
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return "socket: " + common::ErrnoText(errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  close(fd);
  if (rc == 0 || err == EAGAIN || err == EINPROGRESS) {
    return "another supd is running: " + path + " accepts connections";
  }
  if (err != ECONNREFUSED) return "cannot check the existing socket " + path + ": " + common::ErrnoText(err);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return "cannot remove the stale socket " + path + ": " + common::ErrnoText(errno);
  }
  return std::nullopt;
}

}  // namespace supd::io
