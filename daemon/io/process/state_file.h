// Crash-safety record of live runs in the state dir: an append-only log ("running.log")
// of "+ pid pgid starttime cgroup" / "- pid" lines, compacted (tmp + rename) when the
// dead lines outnumber the live ones. A new supd reads it to kill what an old one left.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace supd::io {

struct RunRecord {
  pid_t pid = 0;
  pid_t pgid = 0;
  /// /proc/PID/stat field 22, or the clock tick just before it (StartTimeMatches)
  std::uint64_t start_time = 0;
  std::string cgroup;            ///< "" when none
};

class StateFile {
 public:
  StateFile() = default;
  ~StateFile();
  StateFile(const StateFile&) = delete;
  StateFile& operator=(const StateFile&) = delete;

  /// Creates `dir` (0750) if missing; opens the log. Error message on failure.
  std::optional<std::string> Open(const std::string& dir);
  bool IsOpen() const { return fd_ >= 0; }
  /// Records a live run: its line, with any buffered removals before it, is written at once
  /// (a run that cannot be recorded must not start). On a failed write (ENOSPC, EROFS, EIO)
  /// nothing is recorded and the error is returned: "PATH: No space left on device (ENOSPC)".
  std::optional<std::string> Add(const RunRecord& record);
  /// Remove buffers its line; Flush writes buffered lines (one write per loop turn).
  void Remove(pid_t pid);
  void Flush();
  bool HasPending() const { return !pending_.empty(); }
  /// Rewrites the file with the live records only.
  void Compact();
  std::size_t Live() const { return live_.size(); }

  /// Parses a log: the records still live at its end.
  static std::map<pid_t, RunRecord> Parse(const std::string& text);
  static std::string FileIn(const std::string& dir) { return dir + "/running.log"; }

 private:
  std::optional<std::string> Append(const std::string& line);
  std::string path_;
  int fd_ = -1;
  std::map<pid_t, RunRecord> live_;
  std::size_t dead_lines_ = 0;
  std::string pending_;
};

/// True if a process that started at `actual` (/proc/PID/stat field 22) is the recorded one.
/// A spawn records CLOCK_BOOTTIME's tick read right before the clone, so the child's own start
/// may be that tick or the next; a pid reused within one tick (10 ms) would need the whole pid
/// space to wrap in that time.
inline bool StartTimeMatches(std::uint64_t recorded, std::uint64_t actual) {
  return actual == recorded || actual == recorded + 1;
}

/// Kills what the records name, never a reused pid: the process group of a leader whose
/// start time still matches (or, the leader being gone, the processes still in that group
/// whose pgid has no live holder), and each recorded cgroup (removed afterwards). Waits up
/// to `wait_ms` for them to die. Returns the number of processes/cgroups signalled.
int KillRecorded(const std::map<pid_t, RunRecord>& records, int wait_ms,
                 const std::function<void(const std::string&)>& log);

}  // namespace supd::io
