// cgroup v2 kill scopes: one cgroup per run under supd's own cgroup
// (<mount><own>/supd-<pid>-<pid namespace inode>[.<n>]/<sanitised-path>-<run>).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
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

/// The cgroup2 mount point from /proc/self/mountinfo, "" if none.
std::string FindCgroup2Mount();
/// True when `dir/cgroup.events` says "populated 1" (unreadable: false).
bool CgroupPopulated(const std::string& dir);
/// Pids listed in cgroup.procs.
std::vector<pid_t> CgroupPids(const std::string& dir);
/// SIGKILL everything: cgroup.kill, or freeze + kill each pid + thaw on old kernels.
void CgroupKill(const std::string& dir);
/// Sends `signo` to every process in the cgroup except `skip`.
void CgroupSignal(const std::string& dir, int signo, pid_t skip);
/// rmdir; 0 or -errno.
int CgroupRemove(const std::string& dir);

}  // namespace supd::io
