// The per-child sd_notify(3) socket of `ready: "sd_notify"`: a datagram socket in the
// abstract namespace (nothing to clean up on disk), one per run, so a message needs no
// pid lookup to be attributed. The child finds it in NOTIFY_SOCKET ("@name").
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace supd::io {

/// What one datagram says (systemd's "KEY=VALUE\n..." format; unknown keys ignored).
struct SdNotifyMessage {
  bool ready = false;             ///< READY=1
  bool stopping = false;          ///< STOPPING=1 (accepted; the stop is supd's business)
  bool watchdog = false;          ///< WATCHDOG=1
  bool watchdog_trigger = false;  ///< WATCHDOG=trigger: act as if the watchdog expired
  std::optional<std::string> status;           ///< STATUS=...
  std::optional<long long> watchdog_usec;      ///< WATCHDOG_USEC=N (a new watchdog period)
};

/// Parses one datagram. Pure.
SdNotifyMessage ParseSdNotify(std::string_view datagram);

/// One bound socket. Owns its fd (SOCK_CLOEXEC, nonblocking, SO_PASSCRED).
class SdNotifyReceiver {
 public:
  SdNotifyReceiver() = default;
  ~SdNotifyReceiver() { Close(); }
  SdNotifyReceiver(const SdNotifyReceiver&) = delete;
  SdNotifyReceiver& operator=(const SdNotifyReceiver&) = delete;

  /// Binds a fresh abstract socket whose name contains `tag` and random bytes (not
  /// guessable by other local users). Returns an error message on failure.
  std::optional<std::string> Open(const std::string& tag);
  /// The NOTIFY_SOCKET value: "@" + the abstract name.
  const std::string& env_value() const { return env_value_; }
  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  void Close();

  /// Reads every queued datagram (never blocks) and calls `on_message(text, uid, pid)`
  /// for each. Fds passed with a datagram (sd_notify_barrier's) are closed at once, which
  /// is what releases a waiting sender.
  void Drain(const std::function<void(std::string_view, uid_t, pid_t)>& on_message);

 private:
  int fd_ = -1;
  std::string env_value_;
};

}  // namespace supd::io
