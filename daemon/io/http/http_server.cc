#include "daemon/io/http/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "daemon/io/control/status_reply.h"
#include "daemon/io/http/mhd.h"
#include "daemon/io/http/page.h"
#include "daemon/io/http/process_stats.h"
#include "daemon/io/socket_file.h"
#include "protocol/reply.h"

namespace supd::io::http {

/// One /events client: what is queued for it, and whether libmicrohttpd holds it suspended
/// (nothing to send). Owned by its libmicrohttpd response; freed in FreeEvents.
struct HttpServer::Sse {
  HttpServer* server = nullptr;
  MHD_Connection* conn = nullptr;
  std::string pending;
  bool suspended = false;
  bool drop = false;  ///< fell behind max_event_backlog: end the stream with an error
};

namespace {

constexpr const char* kTextPlain = "text/plain; charset=utf-8";

std::string Errno(int err) { return std::strerror(err); }

core::Millis NowMs() { return static_cast<core::Millis>(uv_hrtime() / 1000000); }

/// Queues a copied body with its content type; the response is released at once (the
/// connection keeps its reference).
bool Queue(MHD_Connection* conn, unsigned status, const std::string& body, const char* type,
           const char* allow = nullptr) {
  MHD_Response* r = mhd::Fn().create_response_from_buffer(body.size(), const_cast<char*>(body.data()),
                                                    MHD_RESPMEM_MUST_COPY);
  if (r == nullptr) return false;
  mhd::Fn().add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  mhd::Fn().add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  mhd::Fn().add_response_header(r, "X-Content-Type-Options", "nosniff");
  if (allow != nullptr) mhd::Fn().add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
  bool ok = mhd::Fn().queue_response(conn, status, r) == MHD_YES;
  mhd::Fn().destroy_response(r);
  return ok;
}

/// Without allow_remote, only a Host header naming an address (or localhost) is served: a
/// web page whose own name an attacker re-pointed at 127.0.0.1 (DNS rebinding) gets 421.
bool HostAllowed(const char* header) {
  if (header == nullptr) return true;  // HTTP/1.0
  std::string host = header;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host.resize(colon);
  }
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (host == "localhost" || host.ends_with(".localhost")) return true;
  in6_addr any{};
  return inet_pton(AF_INET, host.c_str(), &any) == 1 || inet_pton(AF_INET6, host.c_str(), &any) == 1;
}

}  // namespace

/// libmicrohttpd's C callbacks, forwarding to the server.
struct MhdCallbacks {
  static MHD_Result OnRequest(void* cls, MHD_Connection* conn, const char* url,
                              const char* method, const char*, const char*,
                              std::size_t* upload_size, void** req_cls) {
    auto* self = static_cast<HttpServer*>(cls);
    // Called with the headers, then with any body (read and ignored), then once more at
    // its end: answer the first call only.
    if (*upload_size != 0) {
      *upload_size = 0;
      return MHD_YES;
    }
    if (*req_cls != nullptr) return MHD_YES;
    *req_cls = self;
    try {
      return self->Respond(conn, url, method) ? MHD_YES : MHD_NO;
    } catch (const std::exception&) {  // never across libmicrohttpd: close the connection
      return MHD_NO;
    }
  }

  static ssize_t ReadEvents(void* cls, std::uint64_t, char* buf, std::size_t max) {
    auto* s = static_cast<HttpServer::Sse*>(cls);
    if (s->drop) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (s->pending.empty()) {
      if (s->server == nullptr || s->server->closed_) return MHD_CONTENT_READER_END_OF_STREAM;
      // Nothing to send: out of libmicrohttpd's loop until the next event (Resume).
      mhd::Fn().suspend_connection(s->conn);
      s->suspended = true;
      return 0;
    }
    std::size_t n = std::min(max, s->pending.size());
    std::memcpy(buf, s->pending.data(), n);
    s->pending.erase(0, n);
    return static_cast<ssize_t>(n);
  }

  static void FreeEvents(void* cls) {
    auto* s = static_cast<HttpServer::Sse*>(cls);
    if (s->server != nullptr) s->server->sse_.erase(s);
    if (s->server != nullptr && s->server->sse_.empty()) s->server->keepalive_.Reset();
    delete s;
  }
};

HttpServer::HttpServer(uv_loop_t* loop, HttpServerOptions options, DaemonApi& api)
    : loop_(loop), options_(std::move(options)), api_(api) {}

HttpServer::~HttpServer() { Close(); }

std::optional<std::string> HttpServer::Listen(int* out_fd) {
  const core::HttpSpec& spec = options_.spec;
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_UNIX;
  if (!spec.unix_path.empty()) {
    if (auto err = MakeSocketParents(spec.unix_path)) return err;
    if (auto err = RemoveStaleSocket(spec.unix_path)) return err;
    auto* un = reinterpret_cast<sockaddr_un*>(&addr);
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, spec.unix_path.c_str(), spec.unix_path.size() + 1);
    len = sizeof(sockaddr_un);
  } else if (spec.host.find(':') == std::string::npos) {
    family = AF_INET;
    if (uv_ip4_addr(spec.host.c_str(), spec.port, reinterpret_cast<sockaddr_in*>(&addr)) != 0) {
      return "bad address " + spec.listen;
    }
    len = sizeof(sockaddr_in);
  } else {
    family = AF_INET6;
    if (uv_ip6_addr(spec.host.c_str(), spec.port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
      return "bad address " + spec.listen;
    }
    len = sizeof(sockaddr_in6);
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return "socket: " + Errno(errno);
  int one = 1;
  if (family != AF_UNIX) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  // No client can connect before listen(), so a Unix socket's mode is set in time.
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    std::string err = "cannot bind " + spec.listen + " (daemon.http.listen): " + Errno(errno);
    close(fd);
    return err;
  }
  if (family == AF_UNIX) {
    address_ = "unix:" + spec.unix_path;
    if (chmod(spec.unix_path.c_str(), options_.unix_mode) != 0 ||
        (options_.unix_gid && chown(spec.unix_path.c_str(), static_cast<uid_t>(-1),
                                    static_cast<gid_t>(*options_.unix_gid)) != 0)) {
      std::string err = "cannot set the mode or group of " + spec.unix_path + ": " + Errno(errno);
      close(fd);
      unlink(spec.unix_path.c_str());
      return err;
    }
  } else {
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
    char host[INET6_ADDRSTRLEN] = "";
    uv_ip_name(reinterpret_cast<sockaddr*>(&bound), host, sizeof host);
    int port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                       : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    address_ = (family == AF_INET6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" +
               std::to_string(port);
  }
  if (listen(fd, 128) != 0) {
    std::string err = "cannot listen on " + spec.listen + ": " + Errno(errno);
    close(fd);
    return err;
  }
  *out_fd = fd;
  return std::nullopt;
}

std::optional<std::string> HttpServer::Start() {
  std::string load_error;
  if (mhd::Load(&load_error) == nullptr) return load_error;
  int fd = -1;
  if (auto err = Listen(&fd)) return err;
  // MHD_USE_EPOLL without an internal thread: we poll its epoll fd from the loop.
  mhd_ = mhd::Fn().start_daemon(
      MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, nullptr, nullptr, &MhdCallbacks::OnRequest,
      this, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned>(options_.max_clients), MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned>(options_.idle_timeout_s), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      static_cast<std::size_t>(options_.max_request_bytes), MHD_OPTION_END);
  if (mhd_ == nullptr) {
    close(fd);
    return "cannot start the HTTP server on " + address_ + " (libmicrohttpd)";
  }
  const MHD_DaemonInfo* info = mhd::Fn().get_daemon_info(mhd_, MHD_DAEMON_INFO_EPOLL_FD);
  int rc = info == nullptr ? UV_EINVAL : poll_.Init([&](uv_poll_t* p) {
    return uv_poll_init(loop_, p, info->epoll_fd);
  }, this);
  if (rc == 0) rc = timer_.Init([&](uv_timer_t* t) { return uv_timer_init(loop_, t); }, this);
  if (rc == 0) {
    rc = uv_poll_start(poll_.get(), UV_READABLE, [](uv_poll_t* p, int, int) {
      if (auto* self = static_cast<HttpServer*>(p->data)) self->Run();
    });
  }
  if (rc != 0) {
    Close();
    return std::string("cannot poll the HTTP server: ") + uv_strerror(rc);
  }
  subscription_ = api_.Subscribe(
      [this](const core::Lifecycle& event, double unix_time) { OnEvent(event, unix_time); });
  Reschedule();
  return std::nullopt;
}

void HttpServer::Close() {
  if (closed_) return;
  closed_ = true;
  if (subscription_) api_.Unsubscribe(*std::exchange(subscription_, std::nullopt));
  poll_.Reset();  // before MHD closes the epoll fd it watches
  timer_.Reset();
  keepalive_.Reset();
  if (mhd_ != nullptr) {
    // libmicrohttpd must not be stopped with suspended connections: resume them (their
    // readers now end the stream) and let it close everything.
    for (Sse* s : sse_) Resume(*s);
    mhd::Fn().stop_daemon(std::exchange(mhd_, nullptr));
  }
  for (Sse* s : sse_) s->server = nullptr;  // freed by libmicrohttpd already
  sse_.clear();
  const std::string& path = options_.spec.unix_path;
  if (!path.empty() && address_ == "unix:" + path) unlink(path.c_str());
}

namespace {

unsigned Connections(MHD_Daemon* mhd) {
  const MHD_DaemonInfo* info = mhd::Fn().get_daemon_info(mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
  return info == nullptr ? 0 : info->num_connections;
}

}  // namespace

void HttpServer::Run() {
  if (mhd_ == nullptr || running_) return;
  running_ = true;
  // At the client cap libmicrohttpd stops watching the listening socket, and watches it
  // again only at the start of the run after one that closed a connection: without that
  // second run nothing would wake us while clients wait in the backlog.
  for (int pass = 0; pass < 2; ++pass) {
    unsigned before = Connections(mhd_);
    mhd::Fn().run(mhd_);
    if (Connections(mhd_) >= before) break;
  }
  running_ = false;
  Reschedule();
}

void HttpServer::Reschedule() {
  if (mhd_ == nullptr || !timer_) return;
  MHD_UNSIGNED_LONG_LONG ms = 0;
  // No connection: no timeout, so no timer and no wake-up while nobody is connected.
  if (mhd::Fn().get_timeout(mhd_, &ms) != MHD_YES) {
    uv_timer_stop(timer_.get());
    return;
  }
  uv_timer_start(timer_.get(), [](uv_timer_t* t) {
    if (auto* self = static_cast<HttpServer*>(t->data)) self->Run();
  }, ms, 0);
}

void HttpServer::Kick() {
  if (timer_) uv_timer_start(timer_.get(), [](uv_timer_t* t) {
    if (auto* self = static_cast<HttpServer*>(t->data)) self->Run();
  }, 0, 0);
}

bool HttpServer::TimerArmed() const {
  return timer_ && uv_is_active(reinterpret_cast<uv_handle_t*>(timer_.get())) != 0;
}

MetricsCounters HttpServer::Counters() const {
  MetricsCounters c = counters_;
  if (options_.control_requests) c.control_requests = options_.control_requests();
  if (options_.log_dropped_bytes) c.log_dropped_bytes = options_.log_dropped_bytes();
  return c;
}

// ---- requests --------------------------------------------------------------------------

bool HttpServer::Respond(MHD_Connection* conn, const std::string& url,
                         const std::string& method) {
  if (!options_.spec.allow_remote &&
      !HostAllowed(mhd::Fn().lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST))) {
    return Queue(conn, MHD_HTTP_MISDIRECTED_REQUEST,
                 "this server answers to an IP address or localhost only (daemon.http)\n",
                 kTextPlain);
  }
  if (method != "GET" && method != "HEAD") {
    return Queue(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                 method + " is not allowed: these endpoints are read-only (GET, HEAD)\n",
                 kTextPlain, "GET, HEAD");
  }
  if (url == "/metrics") {
    return Queue(conn, MHD_HTTP_OK, MetricsText(), "text/plain; version=0.0.4; charset=utf-8");
  }
  if (url == "/status.json") {
    return Queue(conn, MHD_HTTP_OK, StatusReplyLine(api_, ""), "application/json");
  }
  if (url == "/events") return StartEvents(conn);
  if (url == "/") {
    auto root = api_.Status("");
    std::string page = root ? RenderPage(*root, NowMs(), api_.Version()) : std::string();
    return Queue(conn, MHD_HTTP_OK, page, "text/html; charset=utf-8");
  }
  return Queue(conn, MHD_HTTP_NOT_FOUND,
               "not found: " + url + " (try /, /metrics, /status.json or /events)\n", kTextPlain);
}

std::string HttpServer::MetricsText() const {
  auto root = api_.Status("");
  MetricsCounters counters = Counters();
  MetricsInput in;
  in.root = root ? &*root : nullptr;
  in.now = NowMs();
  in.counters = &counters;
  in.process = ReadProcessStats();
  in.version = api_.Version();
  in.event_streams = sse_.size();
  return RenderMetrics(in);
}

// ---- events ----------------------------------------------------------------------------

bool HttpServer::StartEvents(MHD_Connection* conn) {
  auto* s = new Sse;
  s->server = this;
  s->conn = conn;
  // A comment first, so that the client sees the stream open before any event.
  s->pending = ": supd lifecycle events, one JSON object per event\nretry: 2000\n\n";
  MHD_Response* r = mhd::Fn().create_response_from_callback(
      MHD_SIZE_UNKNOWN, 16 * 1024, &MhdCallbacks::ReadEvents, s, &MhdCallbacks::FreeEvents);
  if (r == nullptr) {
    delete s;
    return false;
  }
  sse_.insert(s);
  mhd::Fn().add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
  mhd::Fn().add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  bool ok = mhd::Fn().queue_response(conn, MHD_HTTP_OK, r) == MHD_YES;
  mhd::Fn().destroy_response(r);  // frees `s` through FreeEvents when the connection is done
  if (ok && !keepalive_) {
    keepalive_.Init([&](uv_timer_t* t) { return uv_timer_init(loop_, t); }, this);
    uv_timer_start(keepalive_.get(), [](uv_timer_t* t) {
      // A suspended connection's disconnect goes unnoticed until we write to it.
      if (auto* self = static_cast<HttpServer*>(t->data)) self->Push(": keepalive\n\n");
    }, options_.keepalive_ms, options_.keepalive_ms);
  }
  return ok;
}

void HttpServer::OnEvent(const core::Lifecycle& event, double unix_time) {
  if (event.kind == core::Lifecycle::Kind::kExited && event.reason) {
    ++counters_.exits[event.path][core::ToString(*event.reason)];
  } else if (event.kind == core::Lifecycle::Kind::kGaveUp) {
    ++counters_.gave_up[event.path];
  }
  if (sse_.empty()) return;
  std::string line;
  try {
    line = protocol::ToLine(protocol::LifecycleToJson(event, unix_time));
  } catch (const std::exception&) {
    return;
  }
  line.pop_back();
  Push("data: " + line + "\n\n");
}

void HttpServer::Push(const std::string& chunk) {
  for (Sse* s : sse_) {
    if (s->drop) continue;
    if (s->pending.size() + chunk.size() > options_.max_event_backlog) {
      s->drop = true;  // a client that does not read: end its stream, keep our memory
      s->pending.clear();
    } else {
      s->pending += chunk;
    }
    Resume(*s);
  }
  Kick();
}

void HttpServer::Resume(Sse& s) {
  if (!s.suspended) return;
  s.suspended = false;
  mhd::Fn().resume_connection(s.conn);
}

}  // namespace supd::io::http
