// supctl's side of the control socket: a blocking Unix stream client where every wait
// has a deadline.
#pragma once

#include <chrono>
#include <memory>
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
  /// The same without a copy: `line` points into the client's buffer and stays valid until
  /// the next read or Connect. A status of 1,000 nodes is ~220 KB: copying it out (and
  /// growing a string to hold it) cost supctl ~100 page faults (bench/RESULTS.md, issue 16).
  Read ReadLineView(std::string_view* line, Deadline deadline, std::string* error);

  bool connected() const { return fd_ >= 0; }

 private:
  /// Room for at least `want` more bytes after the data, by realloc (mremap for large
  /// buffers: the bytes read so far are neither copied nor touched again).
  void Reserve(std::size_t want);

  int fd_ = -1;
  /// Bytes read: [start_, end_) not yet returned as lines; malloc'd, `capacity_` bytes.
  struct Free {
    void operator()(char* p) const;
  };
  std::unique_ptr<char, Free> buffer_;
  std::size_t capacity_ = 0;
  std::size_t start_ = 0;
  std::size_t end_ = 0;
  std::size_t scanned_ = 0;  ///< [start_, scanned_) holds no newline
};

}  // namespace supd::cli
