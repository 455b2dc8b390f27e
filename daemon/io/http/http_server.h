// The read-only HTTP endpoints of `daemon.http` (README, Monitoring): /metrics, /status.json,
// /events (Server-Sent Events) and / (the status page). GNU libmicrohttpd parses HTTP; it
// runs in external-epoll mode inside supd's libuv loop (a uv_poll_t on its epoll fd and a
// uv_timer_t armed from MHD_get_timeout), without threads.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "daemon/api.h"
#include "daemon/core/child_spec.h"
#include "daemon/io/http/metrics_text.h"
#include "daemon/io/uv_handle.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace supd::io::http {

struct HttpServerOptions {
  core::HttpSpec spec;
  /// `unix:PATH`: chmod and chown of the socket file (the control socket's socket_mode and
  /// socket_group), set before anyone can connect.
  std::uint32_t unix_mode = 0600;
  std::optional<std::uint32_t> unix_gid;
  /// Concurrent HTTP clients; more are accepted and closed at once (README, Monitoring).
  unsigned max_clients = 64;
  /// A connection idle this long (no byte in either direction) is closed: slow clients
  /// and slowloris. Event streams are kept alive by a comment line every `keepalive_ms`.
  unsigned idle_timeout_s = 10;
  std::uint64_t keepalive_ms = 15000;
  /// Request line + headers; larger requests get an error status and are closed.
  std::size_t max_request_bytes = 16 * 1024;
  /// Unsent event bytes for one /events client before it is dropped (it does not read).
  std::size_t max_event_backlog = 1 << 20;
  /// Counters kept elsewhere, read at each scrape (may be empty).
  std::function<std::map<std::string, std::uint64_t>()> control_requests;
  /// Log capture's dropped bytes per worker path (io::log::LogHub::DroppedBytes).
  std::function<std::map<std::string, std::uint64_t>()> log_dropped_bytes;
};

/// Serves the endpoints from DaemonApi's snapshot and event stream; never changes the tree.
/// Single-threaded (the loop's thread). Lifetime: construct, Start(), run the loop, Close()
/// (the loop must run once more to free the handles), destroy. DaemonApi must outlive it.
class HttpServer {
 public:
  HttpServer(uv_loop_t* loop, HttpServerOptions options, DaemonApi& api);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds and listens (for `unix:PATH`: creates the parent dir, replaces a stale socket),
  /// starts libmicrohttpd, subscribes to lifecycle events. Returns a human error or nullopt.
  std::optional<std::string> Start();
  /// Ends every event stream, closes every connection and the listener, unsubscribes,
  /// removes the socket file. Idempotent.
  void Close();

  /// Where it listens: "127.0.0.1:41234" (the real port when 0 was asked), "unix:/path".
  const std::string& address() const { return address_; }
  /// True when a libuv timer is armed for libmicrohttpd (never with no client connected).
  bool TimerArmed() const;
  /// Open /events streams.
  std::size_t EventClients() const { return sse_.size(); }
  /// The counters gathered from the event stream so far (and the hooks' values).
  MetricsCounters Counters() const;

 private:
  struct Sse;

  std::optional<std::string> Listen(int* fd);
  void Run();         ///< MHD_run, then re-arm the timer from MHD_get_timeout
  void Reschedule();
  void Kick();        ///< run MHD on the next loop turn (after a resume)
  void OnEvent(const core::Lifecycle& event, double unix_time);
  void Push(const std::string& chunk);  ///< to every event stream
  void Resume(Sse& s);

  friend struct MhdCallbacks;  ///< libmicrohttpd's C callbacks (http_server.cc)
  /// Queues the response to one request; false makes libmicrohttpd close the connection.
  bool Respond(MHD_Connection* conn, const std::string& url, const std::string& method);
  bool StartEvents(MHD_Connection* conn);
  std::string MetricsText() const;

  uv_loop_t* loop_;
  HttpServerOptions options_;
  DaemonApi& api_;
  std::string address_;
  MHD_Daemon* mhd_ = nullptr;
  UvHandle<uv_poll_t> poll_;
  UvHandle<uv_timer_t> timer_;      ///< MHD_get_timeout, or 0 after a resume
  UvHandle<uv_timer_t> keepalive_;  ///< only while an event stream is open
  std::optional<std::uint64_t> subscription_;
  std::unordered_set<Sse*> sse_;
  MetricsCounters counters_;
  bool closed_ = false;
  bool running_ = false;  ///< inside MHD_run (no re-entry)
};

}  // namespace supd::io::http
