#include "daemon/io/process/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include "common/errno_text.h"
#include "daemon/io/sys.h"

namespace supd::io {

std::string FindCgroup2Mount() {
  auto info = ReadSmallFile("/proc/self/mountinfo");
  if (!info) return "";
  std::istringstream lines(*info);
  std::string line;
  std::string found;
  while (std::getline(lines, line)) {
    // id parent major:minor root mountpoint opts [optional...] - fstype source superopts
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string fstype;
    tail >> fstype;
    if (fstype != "cgroup2") continue;
    std::istringstream head(line.substr(0, dash));
    std::string id, parent, dev, root, mount;
    head >> id >> parent >> dev >> root >> mount;
    // Prefer /sys/fs/cgroup (unified host) over anything else found.
    if (found.empty() || mount == "/sys/fs/cgroup") found = mount;
  }
  return found;
}

namespace {

// The inode of supd's pid namespace: the pid in a base's name means something only there
// (every supd that is PID 1 of a container is "1").
std::string PidNamespaceTag() {
  struct stat st;
  if (stat("/proc/self/ns/pid", &st) != 0) return "0";
  return std::to_string(static_cast<unsigned long long>(st.st_ino));
}

// Base directories of supd instances that are gone (killed before they could clean up):
// their empty run cgroups and themselves. rmdir fails on a populated cgroup, so nothing
// that still holds a process is touched. Only bases named "supd-<pid>-<our pid namespace>"
// are judged: a pid of another namespace says nothing here.
void RemoveStaleBases(const std::string& parent) {
  DIR* d = opendir(parent.c_str());
  if (d == nullptr) return;
  std::vector<std::string> stale;
  std::string ns = "-" + PidNamespaceTag();
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind("supd-", 0) != 0) continue;
    char* end = nullptr;
    long pid = std::strtol(name.c_str() + 5, &end, 10);
    if (std::string(end).rfind(ns, 0) != 0) continue;
    if (pid <= 0 || kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    stale.push_back(parent + "/" + name);
  }
  closedir(d);
  for (const auto& base : stale) {
    if (DIR* b = opendir(base.c_str())) {
      std::vector<std::string> subs;
      while (dirent* e = readdir(b)) {
        if (e->d_type == DT_DIR && e->d_name[0] != '.') subs.push_back(base + "/" + e->d_name);
      }
      closedir(b);
      for (const auto& sub : subs) rmdir(sub.c_str());
    }
    rmdir(base.c_str());
  }
}

}  // namespace

void CgroupRoot::Setup() {
  base_.clear();
  std::string mount = FindCgroup2Mount();
  if (mount.empty()) {
    reason_ = "no cgroup2 hierarchy is mounted";
    return;
  }
  std::string own;
  if (auto cg = ReadSmallFile("/proc/self/cgroup")) {
    std::istringstream lines(*cg);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("0::", 0) == 0) own = line.substr(3);
    }
  }
  if (own.empty()) {
    reason_ = "supd's own cgroup v2 is unknown (/proc/self/cgroup has no 0:: line)";
    return;
  }
  if (own == "/") own.clear();
  if (!own.empty()) {
    // cgroup v2's "no internal processes" rule: with controllers enabled below supd's own
    // cgroup, processes could not join the run cgroups we create there.
    auto controllers = ReadSmallFile(mount + own + "/cgroup.subtree_control");
    if (controllers && controllers->find_first_not_of(" \n") != std::string::npos) {
      reason_ = "supd's cgroup " + mount + own + " has controllers enabled (" +
                controllers->substr(0, controllers->find('\n')) +
                "); run supd in a leaf cgroup of its own (e.g. systemd Delegate=yes)";
      return;
    }
  }
  RemoveStaleBases(mount + own);
  // Never share a base with another instance (same pid in another pid namespace, or in
  // this process): its runs' cgroups would have the same names as ours.
  std::string prefix = mount + own + "/supd-" + std::to_string(getpid()) + "-" + PidNamespaceTag();
  std::string dir = prefix;
  for (int n = 1; mkdir(dir.c_str(), 0755) != 0; ++n) {
    if (errno != EEXIST || n > 1000) {
      reason_ = "cgroup v2 hierarchy at " + mount + own + " is not writable (mkdir " + dir +
                ": " + common::ErrnoText(errno) + ")";
      return;
    }
    dir = prefix + "." + std::to_string(n);
  }
  base_ = dir;
  reason_.clear();
}

void CgroupRoot::Teardown() {
  if (!base_.empty()) rmdir(base_.c_str());
}

std::optional<std::string> CgroupRoot::Create(const std::string& child_path,
                                              unsigned long long run,
                                              std::string* error) const {
  if (base_.empty()) {
    *error = reason_;
    return std::nullopt;
  }
  std::string name;
  for (char ch : child_path) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-';
    name += ok ? ch : (ch == '/' ? '.' : '_');
  }
  if (name.empty() || name[0] == '.') name = "child" + name;
  std::string dir = base_ + "/" + name + "-" + std::to_string(run);
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    *error = "cgroup mkdir " + dir + ": " + common::ErrnoText(errno);
    return std::nullopt;
  }
  return dir;
}

namespace {

// cgroup.events as read by path or by pread: "populated 1" while any process is in it or
// below it.
bool EventsSayPopulated(std::string_view events) {
  return events.find("populated 1") != std::string_view::npos;
}

std::vector<pid_t> ParsePids(const std::string& text) {
  std::vector<pid_t> pids;
  const char* p = text.c_str();
  for (;;) {
    char* end = nullptr;
    long pid = std::strtol(p, &end, 10);
    if (end == p) break;
    pids.push_back(static_cast<pid_t>(pid));
    p = end;
  }
  return pids;
}

}  // namespace

CgroupDir& CgroupDir::operator=(CgroupDir&& other) noexcept {
  if (this != &other) {
    Close();
    path_ = std::move(other.path_);
    dir_fd_ = std::exchange(other.dir_fd_, -1);
    events_fd_ = std::exchange(other.events_fd_, -1);
  }
  return *this;
}

int CgroupDir::Open(std::string path) {
  Close();
  int dir = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -errno;
  int events = openat(dir, "cgroup.events", O_RDONLY | O_CLOEXEC);
  if (events < 0) {
    int err = errno;
    close(dir);
    return -err;
  }
  path_ = std::move(path);
  dir_fd_ = dir;
  events_fd_ = events;
  return 0;
}

void CgroupDir::Close() {
  if (events_fd_ >= 0) close(events_fd_);
  if (dir_fd_ >= 0) close(dir_fd_);
  events_fd_ = dir_fd_ = -1;
}

bool CgroupDir::Populated() {
  if (events_fd_ < 0 && !path_.empty()) Open(path_);
  // A seq_file read at offset 0 starts over: no reopen per check.
  char buf[128];
  ssize_t n = events_fd_ < 0 ? -1 : pread(events_fd_, buf, sizeof buf, 0);
  if (n <= 0) return false;
  return EventsSayPopulated(std::string_view(buf, static_cast<std::size_t>(n)));
}

std::vector<pid_t> CgroupDir::Pids() const {
  if (dir_fd_ < 0) return path_.empty() ? std::vector<pid_t>{} : CgroupPids(path_);
  auto procs = ReadSmallFileAt(dir_fd_, "cgroup.procs");
  return procs ? ParsePids(*procs) : std::vector<pid_t>{};
}

void CgroupDir::Kill() const {
  if (path_.empty()) return;
  int fd = dir_fd_ < 0 ? -1 : openat(dir_fd_, "cgroup.kill", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    bool done = write(fd, "1", 1) == 1;
    close(fd);
    if (done) return;
  }
  CgroupKill(path_);  // old kernels: the freeze + kill + thaw fallback
}

void CgroupDir::Signal(int signo, int then, pid_t skip) const {
  for (pid_t pid : Pids()) {
    if (pid == skip) continue;
    kill(pid, signo);
    if (then != 0) kill(pid, then);
  }
}

int CgroupDir::Remove() {
  Close();
  if (path_.empty()) return 0;
  int rc = CgroupRemove(path_);
  path_.clear();
  return rc;
}

bool CgroupPopulated(const std::string& dir) {
  auto events = ReadSmallFile(dir + "/cgroup.events");
  return events && EventsSayPopulated(*events);
}

std::vector<pid_t> CgroupPids(const std::string& dir) {
  auto procs = ReadSmallFile(dir + "/cgroup.procs");
  if (!procs) return {};
  return ParsePids(*procs);
}

void CgroupKill(const std::string& dir) {
  if (WriteSmallFile(dir + "/cgroup.kill", "1") == 0) return;
  // Kernels before 5.14: freeze so nobody forks meanwhile, kill each, thaw to let them die.
  WriteSmallFile(dir + "/cgroup.freeze", "1");
  for (pid_t pid : CgroupPids(dir)) kill(pid, SIGKILL);
  WriteSmallFile(dir + "/cgroup.freeze", "0");
}

int CgroupRemove(const std::string& dir) { return rmdir(dir.c_str()) == 0 ? 0 : -errno; }

}  // namespace supd::io
