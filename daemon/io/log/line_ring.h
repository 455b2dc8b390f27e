// The per-child ring buffer behind `supctl log`: the latest lines, bounded in bytes.
// Pure (no I/O).
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace supd::io::log {

/// Keeps the most recent lines whose sizes (bytes + 1 for the newline) add up to at most
/// `capacity` bytes; the oldest go first. A single line larger than the capacity keeps
/// its last `capacity - 1` bytes. capacity 0 keeps nothing.
class LineRing {
 public:
  explicit LineRing(std::size_t capacity) : capacity_(capacity) {}

  void Push(std::string_view line);
  /// The last `n` lines (fewer if fewer are kept), oldest first.
  std::vector<std::string> Tail(std::size_t n) const;
  /// Changes the capacity (a reload), dropping the oldest lines that no longer fit.
  void SetCapacity(std::size_t capacity);
  std::size_t bytes() const { return bytes_; }
  std::size_t size() const { return lines_ ? lines_->size() : 0; }

 private:
  void Trim();

  std::size_t capacity_;
  std::size_t bytes_ = 0;
  /// Made at the first line: libstdc++'s deque allocates ~600 bytes even empty, and most
  /// captured children of a big tree never write (README "Logging", issue 16).
  std::unique_ptr<std::deque<std::string>> lines_;
};

}  // namespace supd::io::log
