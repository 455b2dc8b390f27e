#include "common/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/errno_text.h"

namespace supd::common {
namespace {

// Creates `dir` (its parent exists); fine when it already is a directory.
std::optional<std::string> MakeOneDir(const std::string& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) == 0) return std::nullopt;
  int err = errno;
  struct stat st {};
  if (err == EEXIST && ::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return std::nullopt;
    return dir + " exists and is not a directory";
  }
  return "cannot create " + dir + ": " + ErrnoText(err);
}

// write(2) until all of `data` is written; false with errno set on failure.
bool WriteAll(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<std::string> FsyncDirOf(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return "cannot open " + dir + ": " + ErrnoText(errno);
  std::optional<std::string> error;
  if (::fsync(fd) != 0) error = "cannot fsync " + dir + ": " + ErrnoText(errno);
  ::close(fd);
  return error;
}

}  // namespace

std::optional<std::string> MakeDirs(const std::string& dir, mode_t mode) {
  if (dir.empty()) return "cannot create a directory with an empty name";
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    return S_ISDIR(st.st_mode) ? std::nullopt
                               : std::optional<std::string>(dir + " exists and is not a directory");
  }
  for (std::size_t pos = dir.find('/', 1); pos != std::string::npos; pos = dir.find('/', pos + 1)) {
    if (auto error = MakeOneDir(dir.substr(0, pos), mode)) return error;
  }
  return MakeOneDir(dir, mode);
}

std::optional<std::string> WriteFileAtomic(const std::string& path, const std::string& data,
                                           mode_t mode) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return "cannot create " + tmp + ": " + ErrnoText(errno);
  bool ok = WriteAll(fd, data) && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return "cannot write " + tmp + ": " + ErrnoText(err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(tmp.c_str());
    return "cannot rename " + tmp + " to " + path + ": " + ErrnoText(err);
  }
  return FsyncDirOf(path);
}

}  // namespace supd::common
