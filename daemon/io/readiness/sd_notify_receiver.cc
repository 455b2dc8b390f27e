#include "daemon/io/readiness/sd_notify_receiver.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/errno_text.h"
#include "daemon/io/sys.h"

namespace supd::io {
namespace {

// systemd's NOTIFY_BUFFER_MAX: longer datagrams are dropped.
constexpr std::size_t kMaxDatagram = 4096;

}  // namespace

SdNotifyMessage ParseSdNotify(std::string_view datagram) {
  SdNotifyMessage m;
  while (!datagram.empty()) {
    std::size_t nl = datagram.find('\n');
    std::string_view line = datagram.substr(0, nl);
    datagram = nl == std::string_view::npos ? std::string_view() : datagram.substr(nl + 1);
    if (line == "READY=1") {
      m.ready = true;
    } else if (line == "STOPPING=1") {
      m.stopping = true;
    } else if (line == "WATCHDOG=1") {
      m.watchdog = true;
    } else if (line == "WATCHDOG=trigger") {
      m.watchdog_trigger = true;
    } else if (line.substr(0, 7) == "STATUS=") {
      m.status = std::string(line.substr(7));
    } else if (line.substr(0, 14) == "WATCHDOG_USEC=") {
      std::string digits(line.substr(14));
      char* end = nullptr;
      long long v = std::strtoll(digits.c_str(), &end, 10);
      if (!digits.empty() && end != nullptr && *end == '\0' && v > 0) m.watchdog_usec = v;
    }
  }
  return m;
}

std::optional<std::string> SdNotifyReceiver::Open(const std::string& tag) {
  Close();
  unsigned char rnd[8] = {};
  if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof rnd)) {
    // Early boot without entropy: still unique, only less secret.
    for (auto& b : rnd) b = static_cast<unsigned char>(std::rand());
  }
  char hex[17];
  for (std::size_t i = 0; i < sizeof rnd; ++i) std::snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
  std::string name = "supd/" + std::to_string(getpid()) + "/" + tag + "/" + hex;
  sockaddr_un addr{};
  if (name.size() + 1 > sizeof addr.sun_path) name.resize(sizeof addr.sun_path - 1);
  addr.sun_family = AF_UNIX;
  addr.sun_path[0] = '\0';
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return "sd_notify socket: " + common::ErrnoText(errno);
  int one = 1;
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    int err = errno;
    ::close(fd);
    return "sd_notify socket: " + common::ErrnoText(err);
  }
  fd_ = fd;
  env_value_ = "@" + name;
  return std::nullopt;
}

void SdNotifyReceiver::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void SdNotifyReceiver::Drain(
    const std::function<void(std::string_view, uid_t, pid_t)>& on_message) {
  if (fd_ < 0) return;
  char buf[kMaxDatagram + 1];
  // Room for SCM_CREDENTIALS and a few SCM_RIGHTS fds (sd_notify_barrier passes one).
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * 16)];
  for (;;) {
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: nothing more queued
    }
    uid_t uid = static_cast<uid_t>(-1);
    pid_t pid = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
        ucred cred;
        std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
        uid = cred.uid;
        pid = cred.pid;
      } else if (c->cmsg_type == SCM_RIGHTS) {
        std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
          int passed;
          std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
          ::close(passed);
        }
      }
    }
    if (static_cast<std::size_t>(n) > kMaxDatagram) continue;  // truncated: dropped
    on_message(std::string_view(buf, static_cast<std::size_t>(n)), uid, pid);
  }
}

}  // namespace supd::io
