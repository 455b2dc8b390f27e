#include "cli/client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "common/errno_text.h"

namespace supd::cli {
namespace {

// Milliseconds left for poll(): -1 = forever, 0 = expired.
int Remaining(Deadline deadline) {
  if (!deadline) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count());
}

}  // namespace

Client::~Client() {
  if (fd_ >= 0) close(fd_);
}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      capacity_(std::exchange(other.capacity_, 0)),
      start_(std::exchange(other.start_, 0)),
      end_(std::exchange(other.end_, 0)),
      scanned_(std::exchange(other.scanned_, 0)) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
    capacity_ = std::exchange(other.capacity_, 0);
    start_ = std::exchange(other.start_, 0);
    end_ = std::exchange(other.end_, 0);
    scanned_ = std::exchange(other.scanned_, 0);
  }
  return *this;
}

void Client::Free::operator()(char* p) const { std::free(p); }

void Client::Reserve(std::size_t want) {
  if (capacity_ - end_ >= want) return;
  if (start_ > 0) {  // the lines already returned make room
    std::memmove(buffer_.get(), buffer_.get() + start_, end_ - start_);
    end_ -= start_;
    scanned_ -= start_;
    start_ = 0;
    if (capacity_ - end_ >= want) return;
  }
  // Large enough for a status of ~1,000 nodes at once; malloc maps it, and pages the reply
  // does not reach are never touched.
  constexpr std::size_t kInitial = 512 * 1024;
  std::size_t capacity = std::max({capacity_ * 2, end_ + want, kInitial});
  char* grown = static_cast<char*>(std::realloc(buffer_.get(), capacity));
  if (grown == nullptr) throw std::bad_alloc();
  (void)buffer_.release();
  buffer_.reset(grown);
  capacity_ = capacity;
}

bool Client::Connect(const std::string& path, Deadline deadline, std::string* error) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    *error = "socket path too long";
    return false;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = common::ErrnoText(errno);
    return false;
  }
  // A Unix connect() blocks only while the listener's backlog is full; SO_SNDTIMEO bounds it.
  int ms = Remaining(deadline);
  if (ms >= 0) {
    timeval tv{ms / 1000, (ms % 1000) * 1000};
    if (ms == 0) tv.tv_usec = 1000;
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = errno == EAGAIN || errno == EINPROGRESS ? "connection timed out (backlog full)"
                                                      : common::ErrnoText(errno);
    close(fd);
    return false;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  start_ = end_ = scanned_ = 0;
  return true;
}

bool Client::Send(std::string_view line, Deadline deadline, std::string* error) {
  std::string data(line);
  data.push_back('\n');
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd_, POLLOUT, 0};
      int ms = Remaining(deadline);
      if (ms == 0 || poll(&p, 1, ms) == 0) {
        *error = "timed out sending the request";
        return false;
      }
      continue;
    }
    *error = common::ErrnoText(errno);
    return false;
  }
  return true;
}

Client::Read Client::ReadLine(std::string* line, Deadline deadline, std::string* error) {
  std::string_view view;
  Read r = ReadLineView(&view, deadline, error);
  if (r == Read::kLine) line->assign(view);
  return r;
}

Client::Read Client::ReadLineView(std::string_view* line, Deadline deadline,
                                  std::string* error) {
  while (true) {
    if (scanned_ < end_) {
      char* base = buffer_.get();
      if (auto* nl = static_cast<char*>(std::memchr(base + scanned_, '\n', end_ - scanned_))) {
        *line = std::string_view(base + start_, static_cast<std::size_t>(nl - base) - start_);
        start_ = scanned_ = static_cast<std::size_t>(nl - base) + 1;
        return Read::kLine;
      }
      scanned_ = end_;
    }
    if (start_ == end_) start_ = end_ = scanned_ = 0;
    Reserve(64 * 1024);
    ssize_t n = read(fd_, buffer_.get() + end_, capacity_ - end_);
    if (n > 0) {
      end_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) return Read::kEof;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      *error = common::ErrnoText(errno);
      return errno == ECONNRESET ? Read::kEof : Read::kError;
    }
    pollfd p{fd_, POLLIN, 0};
    int ms = Remaining(deadline);
    if (ms == 0) return Read::kTimeout;
    int rc = poll(&p, 1, ms);
    if (rc == 0) return Read::kTimeout;
    if (rc < 0 && errno != EINTR) {
      *error = common::ErrnoText(errno);
      return Read::kError;
    }
  }
}

}  // namespace supd::cli
