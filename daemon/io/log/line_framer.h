// Splits a byte stream into lines. Pure (no I/O): unit-tested and fuzzed on its own.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace supd::io::log {

/// Longest line kept whole; longer lines are cut into pieces of this size (README "Logging").
inline constexpr std::size_t kMaxLine = 64 * 1024;

/// Frames one stream of bytes (a child's stdout or stderr) into lines. A line is what lies
/// before a '\n' (the newline itself is not part of it); a line longer than `max_line`
/// bytes comes out as pieces of exactly `max_line` bytes, then the rest. Holds at most
/// `max_line - 1` bytes between calls, so its memory is bounded whatever the input.
class LineFramer {
 public:
  using Emit = std::function<void(std::string_view line)>;

  explicit LineFramer(std::size_t max_line = kMaxLine) : max_(max_line == 0 ? 1 : max_line) {}

  /// Calls `emit` once per complete line (or full piece) found in `data`, in order. The
  /// string_view is valid only during the call.
  void Feed(std::string_view data, const Emit& emit);
  /// Emits the partial last line, if any (the writer exited without a final newline).
  void Flush(const Emit& emit);
  /// Bytes held for the next line.
  std::size_t pending() const { return partial_.size(); }

 private:
  std::string partial_;
  std::size_t max_;
};

}  // namespace supd::io::log
