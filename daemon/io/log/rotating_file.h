// A log file written in append mode and rotated by size (PATH.1 ... PATH.N), reopened on
// SIGUSR1. Plain write(2) on the loop: measured fast enough (see DESIGN notes in README).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supd::io::log {

/// One `{"file": PATH, "max_size", "keep"}` destination. Lines are appended to a buffer
/// the caller owns (`pending`: the log hub's one scratch string, so a file keeps no buffer
/// of its own between two reads of its child's pipe) and written by Flush(); a rotation
/// happens between two lines, before the first line that would take the file past
/// `max_size` (0: never rotate), so every byte lands in exactly one file. Errors are
/// returned as text naming the file and the errno.
class RotatingFile {
 public:
  RotatingFile(std::string path, std::uint64_t max_size, int keep)
      : path_(std::move(path)), max_size_(max_size), keep_(keep) {}
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  /// Opens PATH (O_APPEND, created 0640) if not open. Error text or nullopt.
  std::optional<std::string> Open();
  /// Closes and opens PATH again (after an external rename; call it with nothing
  /// pending). Error text or nullopt.
  std::optional<std::string> Reopen();
  /// Queues `stamp`, `line` and a newline in *pending (what is queued for this file and
  /// nothing else) for the next Flush; when the line would take the file past max_size,
  /// first writes what is queued and rotates. Errors as Flush.
  std::optional<std::string> Append(std::string* pending, std::string_view stamp,
                                    std::string_view line, std::uint64_t* lost);
  /// Writes *pending and empties it (its capacity stays for the next read). On error the
  /// unwritten bytes are counted in *lost and the error text returned.
  std::optional<std::string> Flush(std::string* pending, std::uint64_t* lost);
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  std::optional<std::string> WriteAll(std::string_view data, std::uint64_t* lost);
  std::optional<std::string> Rotate();

  std::string path_;
  std::uint64_t max_size_;
  int keep_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace supd::io::log
