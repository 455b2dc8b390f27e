// The spawner: clone(CLONE_VM|CLONE_VFORK|CLONE_PIDFD|CLONE_FILES) on a private stack (clone3
// with CLONE_INTO_CGROUP for a child that gets a cgroup),
// async-signal-safe setup in the child, {stage, errno} of a failure reported through
// memory shared with the parent. Everything that may allocate or read NSS (argv, envp,
// PATH lookup, groups) is prepared in the parent as a SpawnPlan.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "daemon/core/child_spec.h"

namespace supd::io {

/// Fully resolved description of one exec.
struct SpawnPlan {
  std::string exe;                 ///< path given to execve (resolved against PATH)
  std::vector<std::string> argv;
  std::vector<std::string> envp;   ///< "K=V"
  std::string cwd;                 ///< empty: inherit
  std::optional<mode_t> umask;
  struct Limit {
    int resource;
    rlimit value;
  };
  std::vector<Limit> rlimits;
  bool set_groups = false;         ///< setgroups(groups) (root only)
  std::vector<gid_t> groups;
  std::optional<gid_t> gid;
  std::optional<uid_t> uid;
  /// Parent fds that become the child's 0, 1, 2; -1 = /dev/null. Not consumed.
  int stdio[3] = {-1, -1, -1};
  /// Parent fd that becomes the child's fd `notify_target` (readiness pipe), or -1.
  int notify_fd = -1;
  int notify_target = -1;
  /// Open fd (O_DIRECTORY) of the child's cgroup; -1 = none. The child is cloned straight
  /// into that cgroup (clone3 CLONE_INTO_CGROUP) or, on kernels without it, joins it before
  /// exec through its cgroup.procs.
  int cgroup_dir_fd = -1;
};

/// Outcome: a pid + pidfd, or an error message ("exec failed: /x: ... (ENOENT)").
struct SpawnResult {
  pid_t pid = -1;
  int pidfd = -1;
  std::string error;
  bool cgroup_error = false;  ///< the child could not be placed in its cgroup
};

class Spawner {
 public:
  Spawner() = default;
  ~Spawner();
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;

  /// Reserves the low staging fds and the child stack. Also fills fds 0-2 if closed.
  std::optional<std::string> Init();
  /// Spawns per `plan`. Blocks only until the child has exec'd or failed.
  SpawnResult Spawn(const SpawnPlan& plan);
  /// The RLIMIT_NOFILE soft limit children get unless their spec says otherwise.
  void SetDefaultNofile(rlimit limit) { default_nofile_ = limit; }

  /// Tests: join the cgroup by writing cgroup.procs in the child, as on kernels < 5.7.
  static void ForceLegacyCloneForTesting(bool legacy);
  /// False once clone3(CLONE_INTO_CGROUP) was found missing (or while forced off).
  static bool UsesClone3IntoCgroup();

 private:
  int dev_null_ = -1;
  int staged_[4] = {-1, -1, -1, -1};
  void* stack_ = nullptr;
  std::size_t stack_size_ = 0;
  std::optional<rlimit> default_nofile_;
};

/// argv[0] resolved against `path_env` ("" when none) like execvp: the name itself when it
/// holds a '/', else the first executable regular file. Sets `*err` (ENOENT/EACCES) on miss.
std::string ResolveExecutable(const std::string& name, const std::string& path_env, int* err);

/// The short form of a spawn error message, for status and events: "STAGE failed: [SUBJECT:
/// ]Description (ENAME)" becomes "STAGE: [SUBJECT: ]ENAME", e.g. "exec failed: /x: No such
/// file or directory (ENOENT)" -> "exec: /x: ENOENT". Other messages: "STAGE: rest", or the
/// message itself when it names no failed step.
std::string SpawnErrorSummary(const std::string& message);

}  // namespace supd::io
