#include "daemon/io/process/state_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "common/errno_text.h"
#include "common/fs.h"
#include "daemon/io/process/cgroup.h"
#include "daemon/io/sys.h"

namespace supd::io {
namespace {

std::string RecordLine(const RunRecord& r) {
  return "+ " + std::to_string(r.pid) + " " + std::to_string(r.pgid) + " " +
         std::to_string(r.start_time) + " " + r.cgroup + "\n";
}

}  // namespace

StateFile::~StateFile() {
  Flush();
  if (fd_ >= 0) close(fd_);
}

std::optional<std::string> StateFile::Open(const std::string& dir) {
  if (auto error = common::MakeDirs(dir)) return "state dir: " + *error;
  path_ = FileIn(dir);
  if (fd_ >= 0) close(fd_);
  fd_ = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) return "state file " + path_ + ": " + common::ErrnoText(errno);
  return std::nullopt;
}

std::optional<std::string> StateFile::Append(const std::string& line) {
  if (fd_ < 0) return std::nullopt;
  const std::string batch = pending_ + line;
  // One write per batch: O_APPEND makes it atomic; a torn tail is ignored by Parse.
  const ssize_t n = write(fd_, batch.data(), batch.size());
  if (n == static_cast<ssize_t>(batch.size())) {
    pending_.clear();
    return std::nullopt;
  }
  const int err = n < 0 ? errno : ENOSPC;
  // A short write (full disk): cut it off, so that the next record starts on its own line.
  // Only supd appends, so the file ends with those n bytes (no fstat per record).
  struct stat st;
  if (n > 0 && fstat(fd_, &st) == 0 && st.st_size >= n && ftruncate(fd_, st.st_size - n) != 0) {
  }
  return path_ + ": " + common::ErrnoText(err);
}

void StateFile::Flush() {
  if (fd_ < 0 || pending_.empty()) return;
  // Lost removals only make a later supd's leftover check look at pids it would have
  // skipped (each is checked against its start time): nothing more to do on failure.
  if (write(fd_, pending_.data(), pending_.size()) < 0) {
  }
  pending_.clear();
}

std::optional<std::string> StateFile::Add(const RunRecord& record) {
  auto err = Append(RecordLine(record));
  if (!err) live_[record.pid] = record;
  return err;
}

void StateFile::Remove(pid_t pid) {
  if (live_.erase(pid) == 0) return;
  // Buffered until Flush or the next Add; if lost, the start time check still holds.
  if (fd_ >= 0) pending_ += "- " + std::to_string(pid) + "\n";
  if (++dead_lines_ > 256 && dead_lines_ > 2 * live_.size()) Compact();
}

void StateFile::Compact() {
  if (fd_ < 0) return;
  pending_.clear();  // the rewrite holds the live records, buffered ones included
  std::string text;
  for (const auto& [pid, r] : live_) text += RecordLine(r);
  bool compacted = !common::WriteFileAtomic(path_, text);
  // Reopen even on failure: an error after the rename leaves our fd on the replaced file.
  close(fd_);
  fd_ = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (compacted) dead_lines_ = 0;
}

std::map<pid_t, RunRecord> StateFile::Parse(const std::string& text) {
  std::map<pid_t, RunRecord> live;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // torn last line
    std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    std::istringstream in(line);
    std::string op;
    in >> op;
    if (op == "+") {
      RunRecord r;
      long pid = 0, pgid = 0;
      if (!(in >> pid >> pgid >> r.start_time)) continue;
      r.pid = static_cast<pid_t>(pid);
      r.pgid = static_cast<pid_t>(pgid);
      std::getline(in >> std::ws, r.cgroup);
      if (r.pid > 0) live[r.pid] = r;
    } else if (op == "-") {
      long pid = 0;
      if (in >> pid) live.erase(static_cast<pid_t>(pid));
    }
  }
  return live;
}

namespace {

// Processes whose process group is one of `pgids` (one /proc scan).
std::vector<pid_t> MembersOf(const std::set<pid_t>& pgids) {
  std::vector<pid_t> out;
  if (pgids.empty()) return out;
  DIR* d = opendir("/proc");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    auto pg = ProcessGroupOf(static_cast<pid_t>(pid));
    if (pg && pgids.count(*pg)) out.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return out;
}

// Alive, not a zombie, and (for a recorded leader) still the recorded process.
bool IsRunning(pid_t pid, const std::map<pid_t, RunRecord>& records) {
  auto stat = ReadSmallFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  auto paren = stat->rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat->size()) return false;
  char state = (*stat)[paren + 2];
  if (state == 'Z' || state == 'X') return false;
  auto it = records.find(pid);
  if (it == records.end()) return true;
  auto start = ProcessStartTime(pid);
  return start && StartTimeMatches(it->second.start_time, *start);
}

}  // namespace

int KillRecorded(const std::map<pid_t, RunRecord>& records, int wait_ms,
                 const std::function<void(const std::string&)>& log) {
  int killed = 0;
  std::set<pid_t> groups;        // groups to kill
  std::vector<std::string> cgroups;
  for (const auto& [pid, r] : records) {
    if (!r.cgroup.empty()) {
      struct stat st;
      if (stat(r.cgroup.c_str(), &st) == 0) {
        CgroupKill(r.cgroup);
        cgroups.push_back(r.cgroup);
        ++killed;
      }
    }
    auto start = ProcessStartTime(r.pid);
    if (start) {
      if (!StartTimeMatches(r.start_time, *start)) continue;  // pid reused: not ours
      // Pin the leader with a pidfd, then re-check: no reuse can slip in after this.
      int pidfd = PidfdOpen(r.pid);
      if (pidfd < 0) continue;
      start = ProcessStartTime(r.pid);
      if (start && StartTimeMatches(r.start_time, *start)) {
        PidfdSendSignal(pidfd, SIGKILL);
        if (r.pgid > 0) groups.insert(r.pgid);
        ++killed;
      }
      close(pidfd);
    } else if (r.pgid > 0 && !ProcessStartTime(r.pgid)) {
      // Leader gone (pdeathsig), no process holds the pgid number: any member of that group
      // was in the old one (a new group of that id needs a live leader with that pid).
      groups.insert(r.pgid);
    }
  }
  std::vector<pid_t> members = MembersOf(groups);
  for (pid_t pid : members) {
    int pidfd = PidfdOpen(pid);
    if (pidfd < 0) continue;
    if (auto pg = ProcessGroupOf(pid); pg && groups.count(*pg)) {
      PidfdSendSignal(pidfd, SIGKILL);
      ++killed;
    }
    close(pidfd);
  }
  if (killed > 0 && log) {
    log("killed " + std::to_string(killed) +
        " process(es)/cgroup(s) left by a previous supd instance");
  }
  // Wait (bounded) until they are gone; they are not our children (a zombie counts as gone).
  std::vector<pid_t> watched = members;
  for (const auto& [pid, r] : records) watched.push_back(pid);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    bool alive = false;
    for (pid_t pid : watched) alive |= IsRunning(pid, records);
    for (const auto& cg : cgroups) alive |= CgroupPopulated(cg);
    if (!alive || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (const auto& cg : cgroups) CgroupRemove(cg);
  return killed;
}

}  // namespace supd::io
