#include "daemon/io/process/spawner.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "common/errno_text.h"
#include "daemon/io/process/clone3.h"
#include "daemon/io/sys.h"

namespace supd::io {
namespace {

enum Stage : int {
  kNone = 0, kSetsid, kCgroup, kUnshare, kStdio, kNotify, kCloseFds, kRlimit, kUmask,
  kSetgroups, kSetgid, kSetuid, kChdir, kPdeathsig, kExec,
};

const char* StageName(int stage) {
  switch (stage) {
    case kSetsid: return "setsid";
    case kCgroup: return "cgroup join";
    case kUnshare: return "close_range";
    case kStdio: return "stdio setup";
    case kNotify: return "notify fd setup";
    case kCloseFds: return "close_range";
    case kRlimit: return "setrlimit";
    case kUmask: return "umask";
    case kSetgroups: return "setgroups";
    case kSetgid: return "setgid";
    case kSetuid: return "setuid";
    case kChdir: return "chdir";
    case kPdeathsig: return "prctl(PR_SET_PDEATHSIG)";
    case kExec: return "exec";
  }
  return "spawn";
}

// Everything the child reads: raw pointers into parent memory (shared by CLONE_VM).
struct ChildContext {
  const char* exe;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  bool set_umask;
  mode_t umask;
  const SpawnPlan::Limit* rlimits;
  std::size_t n_rlimits;
  bool set_groups;
  const gid_t* groups;
  std::size_t n_groups;
  bool set_gid;
  gid_t gid;
  bool set_uid;
  uid_t uid;
  const int* staged;  // [4]: stdin, stdout, stderr, notify
  int notify_target;
  int cgroup_procs_fd;
  unsigned first_unstaged;  // close_range(first_unstaged, ~0U, UNSHARE)
  pid_t parent;
  // Written by the child on failure, read by the parent after clone returns.
  volatile int stage;
  volatile int err;
};

[[noreturn]] void Fail(ChildContext* c, int stage) {
  c->err = errno;
  c->stage = stage;
  _exit(127);
}

// Runs in the vfork child: async-signal-safe calls only, no allocation.
int ChildMain(void* arg) {
  auto* c = static_cast<ChildContext*>(arg);
  // Signals are all blocked (by the parent) until right before exec.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) sigaction(s, &dfl, nullptr);  // EINVAL for 32/33: fine
  if (setsid() < 0) Fail(c, kSetsid);
  if (c->cgroup_procs_fd >= 0 && write(c->cgroup_procs_fd, "0", 1) != 1) Fail(c, kCgroup);
  // CLONE_FILES: we share the parent's table until here; unsharing copies only the fds
  // below first_unstaged (cheap even when supd holds thousands).
  if (syscall(SYS_close_range, c->first_unstaged, ~0U, CLOSE_RANGE_UNSHARE) != 0) {
    Fail(c, kUnshare);
  }
  for (int i = 0; i < 3; ++i) {
    if (dup2(c->staged[i], i) < 0) Fail(c, kStdio);
  }
  if (c->notify_target >= 0) {
    int src = c->staged[3];
    if (c->notify_target == src) {
      if (fcntl(src, F_SETFD, 0) < 0) Fail(c, kNotify);
    } else if (dup2(src, c->notify_target) < 0) {
      Fail(c, kNotify);
    }
    unsigned t = static_cast<unsigned>(c->notify_target);
    if (t > 3 && syscall(SYS_close_range, 3U, t - 1, 0) != 0) Fail(c, kCloseFds);
    if (syscall(SYS_close_range, t + 1, ~0U, 0) != 0) Fail(c, kCloseFds);
  } else if (syscall(SYS_close_range, 3U, ~0U, 0) != 0) {
    Fail(c, kCloseFds);
  }
  for (std::size_t i = 0; i < c->n_rlimits; ++i) {
    if (setrlimit(static_cast<__rlimit_resource>(c->rlimits[i].resource),
                  &c->rlimits[i].value) != 0) {
      Fail(c, kRlimit);
    }
  }
  if (c->set_umask) umask(c->umask);
  // Raw syscalls: glibc's wrappers would broadcast to the parent's threads (shared VM).
  if (c->set_groups && syscall(SYS_setgroups, c->n_groups, c->groups) != 0) {
    Fail(c, kSetgroups);
  }
  if (c->set_gid && syscall(SYS_setresgid, c->gid, c->gid, c->gid) != 0) Fail(c, kSetgid);
  if (c->set_uid && syscall(SYS_setresuid, c->uid, c->uid, c->uid) != 0) Fail(c, kSetuid);
  if (c->cwd != nullptr && chdir(c->cwd) != 0) Fail(c, kChdir);
  // After the credential change, which clears it.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) Fail(c, kPdeathsig);
  if (getppid() != c->parent) _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(c->exe, c->argv, c->envp);
  Fail(c, kExec);
}

// clone3(CLONE_INTO_CGROUP) unless the kernel lacked it once (or a test forces the old way):
// the answer is per kernel, so decide once per process.
std::atomic<bool> legacy_clone{false};
std::atomic<bool> force_legacy_clone{false};

bool IsCgroupErrno(int err) {
  return err == EBUSY || err == EOPNOTSUPP || err == EACCES || err == EPERM || err == ENODEV ||
         err == EBADF;
}

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

Spawner::~Spawner() {
  for (int fd : staged_) {
    if (fd >= 0) close(fd);
  }
  if (dev_null_ >= 0) close(dev_null_);
  if (stack_ != nullptr) munmap(stack_, stack_size_);
}

std::optional<std::string> Spawner::Init() {
  if (stack_ != nullptr) return std::nullopt;
  // A daemon started with 0-2 closed would otherwise hand them out as ordinary fds.
  for (int fd = 0; fd < 3; ++fd) {
    if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      int n = open("/dev/null", O_RDWR);  // lands on `fd`, the lowest free; no CLOEXEC
      if (n < 0) return "open /dev/null: " + common::ErrnoText(errno);
    }
  }
  dev_null_ = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (dev_null_ < 0) return "open /dev/null: " + common::ErrnoText(errno);
  for (int& fd : staged_) {
    fd = fcntl(dev_null_, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) return "reserve staging fds: " + common::ErrnoText(errno);
  }
  stack_size_ = 256 * 1024;
  stack_ = mmap(nullptr, stack_size_, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack_ == MAP_FAILED) {
    stack_ = nullptr;
    return "mmap spawn stack: " + common::ErrnoText(errno);
  }
  return std::nullopt;
}

SpawnResult Spawner::Spawn(const SpawnPlan& plan) {
  SpawnResult result;
  if (stack_ == nullptr) {
    result.error = "spawn failed: spawner not initialised";
    return result;
  }
  std::vector<char*> argv = CStrings(plan.argv);
  std::vector<char*> envp = CStrings(plan.envp);
  std::vector<SpawnPlan::Limit> limits = plan.rlimits;
  if (default_nofile_) {
    bool has_nofile = false;
    for (const auto& l : limits) has_nofile |= l.resource == RLIMIT_NOFILE;
    if (!has_nofile) limits.insert(limits.begin(), {RLIMIT_NOFILE, *default_nofile_});
  }

  // Stage the child's fds into our reserved slots (dup3 keeps them CLOEXEC here).
  int sources[4] = {plan.stdio[0], plan.stdio[1], plan.stdio[2], plan.notify_fd};
  unsigned first_unstaged = 0;
  for (int i = 0; i < 4; ++i) {
    int src = sources[i] >= 0 ? sources[i] : dev_null_;
    if (dup3(src, staged_[i], O_CLOEXEC) < 0) {
      result.error = std::string("spawn failed: stage fd: ") + common::ErrnoText(errno);
      return result;
    }
    first_unstaged = std::max(first_unstaged, static_cast<unsigned>(staged_[i]) + 1);
  }

  ChildContext ctx{};
  ctx.exe = plan.exe.c_str();
  ctx.argv = argv.data();
  ctx.envp = envp.data();
  ctx.cwd = plan.cwd.empty() ? nullptr : plan.cwd.c_str();
  ctx.set_umask = plan.umask.has_value();
  ctx.umask = plan.umask.value_or(0);
  ctx.rlimits = limits.data();
  ctx.n_rlimits = limits.size();
  ctx.set_groups = plan.set_groups;
  ctx.groups = plan.groups.data();
  ctx.n_groups = plan.groups.size();
  ctx.set_gid = plan.gid.has_value();
  ctx.gid = plan.gid.value_or(0);
  ctx.set_uid = plan.uid.has_value();
  ctx.uid = plan.uid.value_or(0);
  ctx.staged = staged_;
  ctx.notify_target = plan.notify_fd >= 0 ? plan.notify_target : -1;
  ctx.cgroup_procs_fd = -1;
  ctx.first_unstaged = first_unstaged;
  ctx.parent = getpid();
  ctx.stage = kNone;
  ctx.err = 0;

  // With a cgroup, spawn straight into it: the child then never writes cgroup.procs.
  int cgroup_dir = -1;
  int cgroup_procs = -1;  // the legacy join only: opened here, written by the child
  auto open_procs = [&] {
    cgroup_procs = openat(plan.cgroup_dir_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    return cgroup_procs;
  };
  int pidfd = -1;
  pid_t pid = -1;
  int clone_errno = 0;
  bool cgroup_error = false;
  if (plan.cgroup_dir_fd >= 0) {
    if (!legacy_clone.load(std::memory_order_relaxed) &&
        !force_legacy_clone.load(std::memory_order_relaxed)) {
      cgroup_dir = plan.cgroup_dir_fd;
    } else if (open_procs() < 0) {
      clone_errno = errno;
      cgroup_error = true;
    }
    ctx.cgroup_procs_fd = cgroup_procs;
  }

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  if (cgroup_dir >= 0) {
    ctx.cgroup_procs_fd = -1;
    pid = Clone3IntoCgroup(ChildMain, &ctx, stack_, stack_size_, cgroup_dir, &pidfd);
    if (pid < 0) {
      clone_errno = -pid;
      if (clone_errno == ENOSYS || clone_errno == EINVAL || clone_errno == E2BIG) {
        legacy_clone.store(true, std::memory_order_relaxed);  // old kernel or seccomp filter
        ctx.cgroup_procs_fd = open_procs();
        if (cgroup_procs < 0) {
          clone_errno = errno;
          cgroup_error = true;
        }
      } else {
        cgroup_error = IsCgroupErrno(clone_errno);
      }
    }
  }
  if ((cgroup_dir < 0 || ctx.cgroup_procs_fd >= 0) && !cgroup_error) {
    pid = clone(ChildMain, static_cast<char*>(stack_) + stack_size_,
                CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_PIDFD | SIGCHLD, &ctx, &pidfd);
    clone_errno = errno;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (cgroup_procs >= 0) close(cgroup_procs);

  // Drop our references to the child's files (a pipe's write end must not stay open here).
  for (int fd : staged_) dup3(dev_null_, fd, O_CLOEXEC);

  if (pid < 0) {
    result.cgroup_error = cgroup_error;
    result.error = std::string(cgroup_error ? "cgroup join failed: " : "fork failed: ") +
                   common::ErrnoText(clone_errno);
    return result;
  }
  if (ctx.stage != kNone) {
    // The child has already exited (vfork returns at exec or exit): reap it now, so the
    // SIGCHLD drain never sees it.
    siginfo_t info;
    if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED) != 0) {
      waitpid(pid, nullptr, 0);
    }
    close(pidfd);
    result.error = std::string(StageName(ctx.stage)) + " failed: ";
    if (ctx.stage == kExec) result.error += plan.exe + ": ";
    if (ctx.stage == kChdir) result.error += plan.cwd + ": ";
    result.error += common::ErrnoText(ctx.err);
    return result;
  }
  result.pid = pid;
  result.pidfd = pidfd;
  return result;
}

void Spawner::ForceLegacyCloneForTesting(bool legacy) {
  force_legacy_clone.store(legacy, std::memory_order_relaxed);
}

bool Spawner::UsesClone3IntoCgroup() {
  return !legacy_clone.load(std::memory_order_relaxed) &&
         !force_legacy_clone.load(std::memory_order_relaxed);
}

std::string ResolveExecutable(const std::string& name, const std::string& path_env, int* err) {
  *err = 0;
  if (name.find('/') != std::string::npos) return name;
  std::string path = path_env.empty() ? "/usr/local/bin:/usr/bin:/bin" : path_env;
  bool saw_eacces = false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
      saw_eacces = true;
    }
    start = end + 1;
  }
  *err = saw_eacces ? EACCES : ENOENT;
  return name;
}

std::string SpawnErrorSummary(const std::string& message) {
  static constexpr std::string_view kFailed = " failed: ";
  const std::size_t at = message.find(kFailed);
  if (at == std::string::npos) return message;
  const std::string stage = message.substr(0, at);
  std::string rest = message.substr(at + kFailed.size());
  // The errno name ErrnoText() puts last: " (ENAME)".
  const std::size_t open = rest.rfind(" (E");
  if (open == std::string::npos || rest.back() != ')') return stage + ": " + rest;
  const std::string name = rest.substr(open + 2, rest.size() - open - 3);
  rest.resize(open);
  const std::size_t subject_end = rest.rfind(": ");
  if (subject_end == std::string::npos) return stage + ": " + name;
  return stage + ": " + rest.substr(0, subject_end) + ": " + name;
}

}  // namespace supd::io
