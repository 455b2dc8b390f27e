#include "daemon/io/process/spawn_plan.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

#include "common/errno_text.h"
#include "daemon/io/sys.h"

extern char** environ;

namespace supd::io {
namespace {

int ResourceOf(core::Rlimit r) {
  switch (r) {
    case core::Rlimit::kNofile: return RLIMIT_NOFILE;
    case core::Rlimit::kNproc: return RLIMIT_NPROC;
    case core::Rlimit::kCore: return RLIMIT_CORE;
    case core::Rlimit::kMemlock: return RLIMIT_MEMLOCK;
    case core::Rlimit::kAs: return RLIMIT_AS;
    case core::Rlimit::kCpu: return RLIMIT_CPU;
  }
  return -1;
}

std::vector<std::string> BuildEnv(const core::WorkerSpec& spec) {
  std::vector<std::string> env;
  if (!spec.env_clear) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  }
  for (const auto& [key, value] : spec.env) {
    std::string prefix = key + "=";
    bool replaced = false;
    for (auto& entry : env) {
      if (entry.compare(0, prefix.size(), prefix) == 0) {
        entry = prefix + value;
        replaced = true;
        break;
      }
    }
    if (!replaced) env.push_back(prefix + value);
  }
  return env;
}

// Source fd for an output spec: -1 = /dev/null, or an fd (inherited or opened into `fds`).
std::optional<std::string> OutputFd(const core::OutputSpec& out, int inherit_fd,
                                    const std::string& log_dir, PlanFds* fds, int* fd,
                                    int captured) {
  bool capturable = out.kind == core::OutputSpec::Kind::kLog ||
                    out.kind == core::OutputSpec::Kind::kFile;
  if (capturable && captured >= 0) {
    *fd = captured;
    return std::nullopt;
  }
  switch (out.kind) {
    case core::OutputSpec::Kind::kNull:
      *fd = -1;
      return std::nullopt;
    case core::OutputSpec::Kind::kFile: {
      std::string path = out.file;
      if (!path.empty() && path[0] != '/' && !log_dir.empty()) path = log_dir + "/" + path;
      int f = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
      if (f < 0) return "open failed: " + path + ": " + common::ErrnoText(errno);
      fds->fds.push_back(f);
      *fd = f;
      return std::nullopt;
    }
    case core::OutputSpec::Kind::kLog:  // captured later; inherited for now
    case core::OutputSpec::Kind::kInherit:
    case core::OutputSpec::Kind::kStdout:
      *fd = inherit_fd;
      return std::nullopt;
  }
  *fd = inherit_fd;
  return std::nullopt;
}

std::optional<std::string> Credentials(const core::WorkerSpec& spec, SpawnPlan* plan) {
  if (!spec.uid && !spec.gid) return std::nullopt;
  bool root = geteuid() == 0;
  std::string name;
  std::optional<gid_t> primary;
  if (spec.uid) {
    std::vector<char> buf(16384);
    passwd pw;
    passwd* found = nullptr;
    if (getpwuid_r(*spec.uid, &pw, buf.data(), buf.size(), &found) == 0 && found) {
      name = pw.pw_name;
      primary = pw.pw_gid;
    }
    plan->uid = *spec.uid;
  }
  gid_t gid = spec.gid ? *spec.gid : primary.value_or(getegid());
  plan->gid = gid;
  if (root) {
    plan->set_groups = true;
    plan->groups = {gid};
    if (!name.empty() && !spec.gid) {
      int n = 64;
      std::vector<gid_t> groups(static_cast<std::size_t>(n));
      if (getgrouplist(name.c_str(), gid, groups.data(), &n) < 0) {
        groups.resize(static_cast<std::size_t>(n));
        if (getgrouplist(name.c_str(), gid, groups.data(), &n) < 0) n = 0;
      }
      if (n > 0) plan->groups.assign(groups.begin(), groups.begin() + n);
    }
  }
  return std::nullopt;
}

}  // namespace

PlanFds::~PlanFds() {
  for (int fd : fds) close(fd);
}

std::optional<std::string> BuildPlan(const core::WorkerSpec& spec, const std::string& log_dir,
                                     SpawnPlan* plan, PlanFds* fds, int captured_out,
                                     int captured_err) {
  if (spec.command.empty()) return "spawn failed: empty command";
  plan->envp = BuildEnv(spec);
  std::string path_env;
  for (const auto& e : plan->envp) {
    if (e.compare(0, 5, "PATH=") == 0) path_env = e.substr(5);
  }
  int err = 0;
  plan->exe = ResolveExecutable(spec.command[0], path_env, &err);
  if (err != 0) return "exec failed: " + spec.command[0] + ": " + common::ErrnoText(err);
  plan->argv = spec.command;
  plan->cwd = spec.cwd;
  if (spec.umask) plan->umask = static_cast<mode_t>(*spec.umask);
  for (const auto& [res, value] : spec.rlimits) {
    rlimit lim;
    lim.rlim_cur = lim.rlim_max = value ? static_cast<rlim_t>(*value) : RLIM_INFINITY;
    plan->rlimits.push_back({ResourceOf(res), lim});
  }
  if (auto e = Credentials(spec, plan)) return e;
  plan->stdio[0] = -1;
  if (auto e = OutputFd(spec.stdout_spec, 1, log_dir, fds, &plan->stdio[1], captured_out)) {
    return e;
  }
  if (spec.stderr_spec.kind == core::OutputSpec::Kind::kStdout) {
    // Captured: its own pipe to the same destination, so lines keep their stream.
    plan->stdio[2] = captured_err >= 0 ? captured_err : plan->stdio[1];
  } else if (auto e = OutputFd(spec.stderr_spec, 2, log_dir, fds, &plan->stdio[2],
                               captured_err)) {
    return e;
  }
  return std::nullopt;
}

}  // namespace supd::io
