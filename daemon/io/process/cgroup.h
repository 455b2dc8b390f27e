// cgroup v2 kill scopes: one cgroup per run under supd's own cgroup
// (<mount><own>/supd-<pid>-<pid namespace inode>[.<n>]/<sanitised-path>-<run>).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace supd::io {

class CgroupRoot {
 public:
  /// Finds the cgroup2 mount (mountinfo) and supd's cgroup (/proc/self/cgroup "0::"),
  /// creates supd's base directory. On failure `Available()` is false and `Reason()` says why.
  void Setup();
  bool Available() const { return !base_.empty(); }
  const std::string& Reason() const { return reason_; }
  const std::string& Base() const { return base_; }
  /// Removes the base directory (only succeeds when every run's cgroup is gone).
  void Teardown();

  /// Creates the cgroup of one run; returns its directory or nullopt (`*error` set).
  std::optional<std::string> Create(const std::string& child_path, unsigned long long run,
                                    std::string* error) const;

 private:
  std::string base_;
  std::string reason_ = "cgroup support not initialised";
};

/// One child path's cgroup: its directory and, while open, the directory fd that
/// clone3(CLONE_INTO_CGROUP) takes and cgroup.events (read with pread, no path lookup).
/// The fds are open only around a spawn and an exit, never while a run lives (10,000
/// children must fit RLIMIT_NOFILE): opened for the spawn and closed right after it,
/// reopened lazily by Populated() once the run's main process exits, and closed when the
/// finished run's cgroup is removed, or at the end of the loop turn it is parked idle in, so
/// that a restart within that turn (a crash loop) still reuses them. Move-only.
class CgroupDir {
 public:
  CgroupDir() = default;
  ~CgroupDir() { Close(); }
  CgroupDir(CgroupDir&& other) noexcept { *this = std::move(other); }
  CgroupDir& operator=(CgroupDir&& other) noexcept;
  CgroupDir(const CgroupDir&) = delete;
  CgroupDir& operator=(const CgroupDir&) = delete;

  /// Opens the directory `path` and its cgroup.events; 0 or -errno (then nothing is open).
  int Open(std::string path);
  bool IsOpen() const { return dir_fd_ >= 0; }
  /// A cgroup is named (open or closed: the methods below work either way; a closed one
  /// is read by path, or reopened by Populated()).
  bool Exists() const { return !path_.empty(); }
  const std::string& Path() const { return path_; }
  int DirFd() const { return dir_fd_; }
  /// True when cgroup.events says "populated 1" (unreadable, e.g. removed: false). Opens
  /// a closed one: the exit path asks it until the cgroup is parked or removed.
  bool Populated();
  /// Pids listed in cgroup.procs.
  std::vector<pid_t> Pids() const;
  /// SIGKILL everything (as CgroupKill).
  void Kill() const;
  /// Sends `signo`, then `then` unless it is 0, to every process in it except `skip`:
  /// one read of cgroup.procs for both.
  void Signal(int signo, int then, pid_t skip) const;
  /// Closes it and removes the directory (only succeeds when empty); 0 or -errno.
  int Remove();
  /// Closes the fds; the directory stays (and Exists()).
  void Close();

 private:
  std::string path_;
  int dir_fd_ = -1;
  int events_fd_ = -1;
};

/// The cgroup2 mount point from /proc/self/mountinfo, "" if none.
std::string FindCgroup2Mount();
/// True when `dir/cgroup.events` says "populated 1" (unreadable: false).
bool CgroupPopulated(const std::string& dir);
/// Pids listed in cgroup.procs.
std::vector<pid_t> CgroupPids(const std::string& dir);
/// SIGKILL everything: cgroup.kill, or freeze + kill each pid + thaw on old kernels.
void CgroupKill(const std::string& dir);
/// rmdir; 0 or -errno.
int CgroupRemove(const std::string& dir);

}  // namespace supd::io
