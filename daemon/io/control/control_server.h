// The control socket: a Unix stream socket on the daemon's loop, one JSON request per
// line in, one JSON reply per line out (README, "Control protocol"), served through DaemonApi.
#pragma once

#include <uv.h>

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "daemon/api.h"
#include "protocol/request.h"
#include "daemon/io/uv_handle.h"

namespace supd::io {

struct ControlServerOptions {
  std::string path;                    ///< socket path (<= 107 bytes)
  std::uint32_t mode = 0600;           ///< chmod of the socket file
  std::optional<gid_t> gid;            ///< socket_group: chown + allowed peers
  uid_t daemon_uid = 0;                ///< peers with this uid (and root) are served
  std::size_t max_line = 1 << 20;      ///< longer request lines: error reply, then close
  std::size_t max_output = 4u << 20;   ///< unsent reply/event bytes before a client is dropped
  std::size_t event_ring = 1000;       ///< recent events kept for `events` without follow
};

/// Serves the control protocol. Owns its listening handle and every connection.
/// Single-threaded (the loop's thread). Lifetime: construct, Start(), run the loop,
/// Close() (closes every handle; the loop must run once more to free them), destroy.
/// Destroying without Close() closes too. DaemonApi must outlive the server.
class ControlServer {
 public:
  ControlServer(uv_loop_t* loop, ControlServerOptions options, DaemonApi& api);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  /// Creates the parent dir (0750) if missing, replaces a stale socket, binds, sets mode
  /// and group, listens, subscribes to lifecycle events. Returns a human error (e.g.
  /// "another supd is running: /run/supd/supd.sock accepts connections") or nullopt.
  std::optional<std::string> Start();
  /// Stops listening, unsubscribes, removes the socket file, and closes every client once
  /// what was already queued for it (a shutdown's reply, the last events) is written —
  /// within `kCloseFlushMs`, after which the rest are dropped. Pending operations' replies
  /// are discarded. Idempotent; a second call drops every client at once.
  void Close();
  static constexpr std::uint64_t kCloseFlushMs = 1000;

  /// A reload changed socket_mode/socket_group: chmod/chown the socket and serve the new
  /// group's members from now on. Returns a human error or nullopt.
  std::optional<std::string> SetAccess(std::uint32_t mode, std::optional<gid_t> gid);

  std::size_t ClientCount() const { return conns_.size(); }
  /// Requests received since Start(), by command ("status", "stop", ...; "invalid" for
  /// lines that were no valid request): supd_control_requests_total of /metrics.
  const std::map<std::string, std::uint64_t>& RequestCounts() const { return request_counts_; }
  const std::string& path() const { return options_.path; }

 private:
  struct Connection;
  class Guard;

  static void OnConnection(uv_stream_t* server, int status);
  static void OnAlloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWritten(uv_write_t* req, int status);
  static void OnWaitTimer(uv_timer_t* timer);

  void Accept();
  bool PeerAllowed(int fd, std::string* who) const;
  void HandleInput(Connection& c, const char* data, std::size_t len);
  void ProcessQueued(Connection& c);
  void HandleLine(Connection& c, std::string_view line);
  /// Marks `c` busy; the returned callback sends its reply line and resumes it.
  std::function<void(std::string)> ReplyLater(Connection& c);
  void Operate(Connection& c, core::OperatorRequest req);
  void Reload(Connection& c, DaemonApi::ReloadOptions options);
  void StartWait(Connection& c, std::string path, std::string state, std::int64_t timeout);
  bool CheckWait(Connection& c);  ///< true when the wait got its reply (and ended)
  bool CheckWaitOrThrow(Connection& c);  ///< true when it sent the reply
  void EndWait(Connection& c);
  void OnEvent(const core::Lifecycle& event, double unix_time);
  /// `log {path, lines?, follow?}` (control_log.cc).
  void HandleLog(Connection& c, const protocol::Request& r);
  void OnStateChanged();
  void Send(Connection& c, std::string line);
  void Finish(Connection& c);     ///< a request got its reply: go on with the next
  static void OnResume(uv_timer_t* timer);
  void CloseAfterFlush(Connection& c);
  void Drop(Connection& c);
  void Collect();

  uv_loop_t* loop_;
  ControlServerOptions options_;
  DaemonApi& api_;
  UvHandle<uv_pipe_t> listener_;
  /// Requests queued behind one that finished inside a DaemonApi callback are handled on
  /// the next loop turn, so the executor is never re-entered from its own callbacks.
  UvHandle<uv_timer_t> resume_timer_;
  UvHandle<uv_timer_t> flush_timer_;  ///< bounds the flush of Close()
  bool closed_ = false;
  std::unordered_set<std::uint64_t> resume_;
  bool bound_ = false;
  ino_t bound_inode_ = 0;
  std::optional<std::uint64_t> subscription_;
  std::optional<std::uint64_t> state_watch_;
  std::uint64_t next_conn_ = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> conns_;
  std::unordered_set<Connection*> followers_;
  std::unordered_set<Connection*> waiters_;
  std::deque<std::string> recent_;  ///< serialized events, oldest first
  std::map<std::string, std::uint64_t> request_counts_;
  std::vector<std::unique_ptr<Connection>> graveyard_;  ///< dropped, freed at depth 0
  int depth_ = 0;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace supd::io
