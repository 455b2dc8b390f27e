// supctl's side of the control socket: a blocking Unix stream client where every wait
// has a deadline.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace supd::cli {

using Clock = std::chrono::steady_clock;
/// nullopt = wait forever (streams: events -f, log -f).
using Deadline = std::optional<Clock::time_point>;

class Client {
 public:
  Client() = default;
  ~Client();
  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Connects to `path`; on failure returns false with `error` = common::ErrnoText.
  bool Connect(const std::string& path, Deadline deadline, std::string* error);
  /// Writes `line` + "\n". False on error (the peer may have replied and closed: read on).
  bool Send(std::string_view line, Deadline deadline, std::string* error);

  enum class Read { kLine, kEof, kTimeout, kError };
  /// Next line without its newline.
  Read ReadLine(std::string* line, Deadline deadline, std::string* error);

  bool connected() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
  std::string buffer_;
  std::size_t start_ = 0;  ///< consumed prefix of buffer_
};

}  // namespace supd::cli
