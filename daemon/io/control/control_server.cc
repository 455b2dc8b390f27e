#include "daemon/io/control/control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/errno_text.h"
#include "common/fs.h"
#include "common/units.h"
#include "daemon/io/control/status_reply.h"
#include "daemon/io/log/log_text.h"
#include "daemon/io/socket_file.h"
#include "protocol/reply.h"
#include "protocol/request.h"

namespace supd::io {

namespace protocol = supd::protocol;
using core::ErrorCode;

/// One client. Owned by `conns_` (then `graveyard_` once dropped, freed when no callback
/// of ours is on the stack); its handles close when it is destroyed or dropped.
struct ControlServer::Connection {
  ControlServer* server = nullptr;
  std::uint64_t id = 0;
  UvHandle<uv_pipe_t> pipe;
  std::string in;                 ///< bytes after the last newline
  std::deque<std::string> queue;  ///< complete lines not handled yet
  std::size_t queued_bytes = 0;
  std::size_t out_pending = 0;    ///< bytes handed to uv_write, not written yet
  bool reading = false;
  bool busy = false;        ///< a request awaits its reply (operation, wait)
  bool processing = false;  ///< ProcessQueued is on the stack
  bool follow = false;      ///< an `events` or `log` stream
  std::uint64_t log_follow = 0;  ///< FollowLog token of a `log` stream
  bool eof = false;
  bool closing = false;     ///< close once the output is flushed
  bool dead = false;
  // wait
  UvHandle<uv_timer_t> wait_timer;
  std::string wait_path, wait_state;
  std::int64_t wait_timeout = 0;

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(pipe.get()); }
};

/// Marks "one of our callbacks is running"; dropped connections are freed when the
/// outermost one returns, so no frame ever holds a dangling Connection&.
class ControlServer::Guard {
 public:
  explicit Guard(ControlServer* s) : s_(s) { ++s_->depth_; }
  ~Guard() {
    if (--s_->depth_ == 0) s_->Collect();
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  ControlServer* s_;
};

namespace {

struct WriteReq {
  uv_write_t req;
  std::string data;
};

std::string Quote(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace);
}


bool InSupplementaryGroups(pid_t pid, gid_t gid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("Groups:", 0) != 0) continue;
    std::istringstream groups(line.substr(7));
    long long g;
    while (groups >> g) {
      if (g == static_cast<long long>(gid)) return true;
    }
    return false;
  }
  return false;
}

// After EOF: a peer that only shut down its writing side (`nc -N`) still reads replies; one
// that closed the socket (POLLHUP on a Unix socket) does not.
template <typename Conn>
bool PeerGone(Conn& c) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(c.pipe.get()), &fd) != 0) return true;
  pollfd p{fd, 0, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

}  // namespace

ControlServer::ControlServer(uv_loop_t* loop, ControlServerOptions options, DaemonApi& api)
    : loop_(loop), options_(std::move(options)), api_(api) {}

ControlServer::~ControlServer() {
  Close();
  Close();  // no loop turn left to flush in: drop whoever is left
  graveyard_.clear();
}

std::optional<std::string> ControlServer::Start() {
  const std::string& path = options_.path;
  if (path.empty()) return "no control socket path";
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return "control socket path too long (" + std::to_string(path.size()) +
           " bytes, at most 107): " + path;
  }
  if (auto err = MakeSocketParents(path)) return err;
  if (auto err = RemoveStaleSocket(path)) return err;
  int rc = listener_.Init([&](uv_pipe_t* p) { return uv_pipe_init(loop_, p, 0); }, this);
  if (rc < 0) return std::string("uv_pipe_init: ") + uv_strerror(rc);
  rc = uv_pipe_bind(listener_.get(), path.c_str());
  if (rc < 0) {
    listener_.Reset();
    return "cannot bind " + path + ": " + uv_strerror(rc);
  }
  bound_ = true;
  if (struct stat st; lstat(path.c_str(), &st) == 0) bound_inode_ = st.st_ino;
  // No client can connect before uv_listen, so mode and group are set in time.
  std::optional<std::string> err;
  if (chmod(path.c_str(), options_.mode) != 0) {
    err = "chmod " + path + ": " + common::ErrnoText(errno);
  }
  if (!err && options_.gid && chown(path.c_str(), static_cast<uid_t>(-1), *options_.gid) != 0) {
    err = "chown " + path + ": " + common::ErrnoText(errno);
  }
  if (!err) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), 4096, OnConnection);
    if (rc < 0) err = "listen on " + path + ": " + uv_strerror(rc);
  }
  if (err) {
    Close();
    return err;
  }
  rc = resume_timer_.Init([&](uv_timer_t* t) { return uv_timer_init(loop_, t); }, this);
  if (rc < 0) {
    Close();
    return std::string("uv_timer_init: ") + uv_strerror(rc);
  }
  subscription_ = api_.Subscribe(
      [this](const core::Lifecycle& event, double unix_time) { OnEvent(event, unix_time); });
  state_watch_ = api_.WatchState([this] { OnStateChanged(); });
  return std::nullopt;
}

void ControlServer::Close() {
  Guard guard(this);
  if (subscription_) api_.Unsubscribe(*std::exchange(subscription_, std::nullopt));
  if (state_watch_) api_.Unsubscribe(*std::exchange(state_watch_, std::nullopt));
  listener_.Reset();
  resume_timer_.Reset();
  resume_.clear();
  if (bound_) {
    bound_ = false;
    // Only our own socket file: a newer supd may have replaced it meanwhile.
    struct stat st;
    if (lstat(options_.path.c_str(), &st) == 0 && st.st_ino == bound_inode_) {
      unlink(options_.path.c_str());
    }
  }
  std::vector<Connection*> all;
  for (auto& [id, c] : conns_) all.push_back(c.get());
  if (closed_) {
    flush_timer_.Reset();
    for (Connection* c : all) Drop(*c);
    return;
  }
  closed_ = true;
  // A shutdown's reply and the tree's last events may still sit in a write queue: let
  // them out, but never wait on a client that does not read.
  for (Connection* c : all) CloseAfterFlush(*c);
  if (conns_.empty()) return;
  flush_timer_.Init([this](uv_timer_t* t) { return uv_timer_init(loop_, t); }, this);
  uv_timer_start(flush_timer_.get(), [](uv_timer_t* t) {
    auto* self = static_cast<ControlServer*>(t->data);
    self->Close();  // the second call drops whoever is left
  }, kCloseFlushMs, 0);
}

void ControlServer::Collect() { graveyard_.clear(); }

// ---- accepting -------------------------------------------------------------------------

void ControlServer::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<ControlServer*>(server->data);
  if (self == nullptr || status < 0) return;  // EMFILE & co: libuv already sheds the client
  Guard guard(self);
  self->Accept();
}

void ControlServer::Accept() {
  auto conn = std::make_unique<Connection>();
  Connection& c = *conn;
  c.server = this;
  c.id = next_conn_++;
  if (c.pipe.Init([&](uv_pipe_t* p) { return uv_pipe_init(loop_, p, 0); }, &c) < 0) return;
  if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_.get()), c.stream()) < 0) return;
  conns_.emplace(c.id, std::move(conn));
  uv_os_fd_t fd;
  std::string who;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(c.pipe.get()), &fd) != 0 ||
      !PeerAllowed(fd, &who)) {
    Send(c, protocol::ErrorLine(ErrorCode::kForbidden,
                                who + " may not use supd's control socket"));
    CloseAfterFlush(c);
    return;
  }
  if (uv_read_start(c.stream(), OnAlloc, OnRead) < 0) {
    Drop(c);
    return;
  }
  c.reading = true;
}

bool ControlServer::PeerAllowed(int fd, std::string* who) const {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    *who = "a peer without credentials";
    return false;
  }
  *who = "uid " + std::to_string(cred.uid);
  if (cred.uid == 0 || cred.uid == options_.daemon_uid) return true;
  if (!options_.gid) return false;
  return cred.gid == *options_.gid || InSupplementaryGroups(cred.pid, *options_.gid);
}

// ---- reading ---------------------------------------------------------------------------

void ControlServer::OnAlloc(uv_handle_t*, std::size_t, uv_buf_t* buf) {
  // The loop is single-threaded and OnRead consumes the bytes at once.
  static thread_local char buffer[64 * 1024];
  *buf = uv_buf_init(buffer, sizeof buffer);
}

void ControlServer::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(stream->data);
  if (c == nullptr || c->dead) return;
  ControlServer* self = c->server;
  Guard guard(self);
  if (nread > 0) {
    self->HandleInput(*c, buf->base, static_cast<std::size_t>(nread));
  } else if (nread == UV_EOF) {
    c->eof = true;
    c->reading = false;
    if (c->follow || PeerGone(*c)) {
      self->Drop(*c);  // nobody is left to read a reply
    } else {
      self->ProcessQueued(*c);
    }
  } else if (nread < 0) {
    self->Drop(*c);
  }
}

void ControlServer::HandleInput(Connection& c, const char* data, std::size_t len) {
  if (c.closing) return;
  std::string_view chunk(data, len);
  while (!chunk.empty()) {
    auto nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      c.in.append(chunk);
      break;
    }
    c.in.append(chunk.substr(0, nl));
    chunk.remove_prefix(nl + 1);
    if (c.in.size() > options_.max_line) break;  // reported below
    std::string line = std::exchange(c.in, {});
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (c.follow) continue;  // a stream takes no more requests
    c.queued_bytes += line.size();
    c.queue.push_back(std::move(line));
  }
  if (c.in.size() > options_.max_line) {
    c.queue.clear();
    c.in.clear();
    Send(c, protocol::ErrorLine(ErrorCode::kBadRequest,
                                "request line longer than " +
                                    std::to_string(options_.max_line) + " bytes; closing"));
    CloseAfterFlush(c);
    return;
  }
  // A client piling up requests behind a slow one waits in the kernel, not in our memory.
  if (c.busy && c.queued_bytes > options_.max_line && c.reading) {
    uv_read_stop(c.stream());
    c.reading = false;
  }
  ProcessQueued(c);
}

void ControlServer::ProcessQueued(Connection& c) {
  if (c.processing || c.dead) return;
  c.processing = true;
  while (!c.dead && !c.busy && !c.closing && !c.follow && !c.queue.empty()) {
    std::string line = std::move(c.queue.front());
    c.queue.pop_front();
    c.queued_bytes -= line.size();
    try {
      HandleLine(c, line);
    } catch (const std::exception& e) {  // never across libuv: answer and go on
      Send(c, protocol::ErrorLine(ErrorCode::kBadRequest,
                                  std::string("internal error: ") + e.what()));
      c.busy = false;
    }
  }
  c.processing = false;
  if (c.dead || c.closing) return;
  if (c.eof && !c.busy && !c.follow && c.queue.empty()) {
    CloseAfterFlush(c);
  } else if (!c.reading && !c.eof && c.queued_bytes <= options_.max_line) {
    if (uv_read_start(c.stream(), OnAlloc, OnRead) == 0) c.reading = true;
  }
}

// ---- requests --------------------------------------------------------------------------

void ControlServer::HandleLine(Connection& c, std::string_view line) {
  auto parsed = protocol::ParseRequest(line);
  if (auto* err = std::get_if<protocol::RequestError>(&parsed)) {
    ++request_counts_["invalid"];
    Send(c, protocol::ErrorLine(err->code, err->message));
    return;
  }
  const protocol::Request& r = std::get<protocol::Request>(parsed);
  ++request_counts_[std::string(protocol::ToString(r.cmd))];
  using protocol::Cmd;
  using Op = core::OperatorRequest::Op;
  core::OperatorRequest op;
  op.path = r.path;
  switch (r.cmd) {
    case Cmd::kStatus:
      Send(c, StatusReplyLine(api_, r.path));
      return;
    case Cmd::kStart: op.op = Op::kStart; break;
    case Cmd::kStop: op.op = Op::kStop; break;
    case Cmd::kRestart: op.op = Op::kRestart; break;
    case Cmd::kShutdown: op.op = Op::kShutdown; break;
    case Cmd::kStartChild:
      op.op = Op::kStartChild;
      op.args = r.args;
      op.id = r.id;
      break;
    case Cmd::kSignal:
      op.op = Op::kSignal;
      op.signo = r.signo;
      break;
    case Cmd::kReload:
      Reload(c, DaemonApi::ReloadOptions{r.dry_run, r.restart_instances});
      return;
    case Cmd::kLog:
      HandleLog(c, r);
      return;
    case Cmd::kEvents:
      if (r.follow) {
        Send(c, protocol::OkLine());
        if (c.dead) return;
        c.follow = true;
        c.queue.clear();
        c.queued_bytes = 0;
        followers_.insert(&c);
      } else {
        std::string reply = R"({"ok":true,"events":[)";
        for (std::size_t i = 0; i < recent_.size(); ++i) {
          if (i) reply.push_back(',');
          reply += recent_[i];
        }
        reply += "]}\n";
        Send(c, std::move(reply));
      }
      return;
    case Cmd::kWait:
      StartWait(c, r.path, r.state, r.timeout);
      return;
    case Cmd::kVersion: {
      nlohmann::json body = nlohmann::json::object();
      body["version"] = api_.Version();
      body["protocol"] = protocol::kProtocolVersion;
      Send(c, protocol::OkLine(std::move(body)));
      return;
    }
  }
  Operate(c, std::move(op));
}

std::function<void(std::string)> ControlServer::ReplyLater(Connection& c) {
  c.busy = true;
  std::weak_ptr<char> alive = alive_;
  std::uint64_t id = c.id;
  return [this, alive, id](std::string line) {
    if (alive.expired()) return;
    auto it = conns_.find(id);
    if (it == conns_.end()) return;  // the client left; the operation still happened
    Guard guard(this);
    Connection& conn = *it->second;
    Send(conn, std::move(line));
    Finish(conn);
  };
}

void ControlServer::Operate(Connection& c, core::OperatorRequest req) {
  api_.Operate(std::move(req), [reply = ReplyLater(c)](const core::Reply& r) {
    reply(protocol::ReplyLine(r));
  });
}

void ControlServer::Reload(Connection& c, DaemonApi::ReloadOptions options) {
  api_.Reload(options, [reply = ReplyLater(c)](const protocol::ReloadOutcome& outcome) {
    reply(protocol::ToLine(protocol::ReloadToJson(outcome)));
  });
}

std::optional<std::string> ControlServer::SetAccess(std::uint32_t mode, std::optional<gid_t> gid) {
  options_.mode = mode;
  options_.gid = gid;
  if (!bound_) return std::nullopt;
  const std::string& path = options_.path;
  if (chmod(path.c_str(), mode) != 0) return "chmod " + path + ": " + common::ErrnoText(errno);
  if (gid && chown(path.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
    return "chown " + path + ": " + common::ErrnoText(errno);
  }
  return std::nullopt;
}

void ControlServer::Finish(Connection& c) {
  c.busy = false;
  if (c.queue.empty() && !c.eof && c.reading) return;  // nothing to resume
  resume_.insert(c.id);
  if (resume_timer_) uv_timer_start(resume_timer_.get(), OnResume, 0, 0);
}

void ControlServer::OnResume(uv_timer_t* timer) {
  auto* self = static_cast<ControlServer*>(timer->data);
  if (self == nullptr) return;
  Guard guard(self);
  auto ids = std::exchange(self->resume_, {});
  for (std::uint64_t id : ids) {
    auto it = self->conns_.find(id);
    if (it != self->conns_.end()) self->ProcessQueued(*it->second);
  }
}

// ---- wait ------------------------------------------------------------------------------

void ControlServer::StartWait(Connection& c, std::string path, std::string state,
                              std::int64_t timeout) {
  c.busy = true;
  c.wait_path = std::move(path);
  c.wait_state = std::move(state);
  c.wait_timeout = timeout;
  if (CheckWait(c)) return;
  waiters_.insert(&c);
  if (c.wait_timer.Init([&](uv_timer_t* t) { return uv_timer_init(loop_, t); }, &c) < 0) {
    Send(c, protocol::ErrorLine(ErrorCode::kBadRequest, "wait: cannot arm a timer"));
    EndWait(c);
    return;
  }
  // Every state change re-checks at once (OnStateChanged): the timer is the deadline only.
  uv_timer_start(c.wait_timer.get(), OnWaitTimer, static_cast<std::uint64_t>(timeout), 0);
}

void ControlServer::OnWaitTimer(uv_timer_t* timer) {
  auto* c = static_cast<Connection*>(timer->data);
  if (c == nullptr || c->dead) return;
  ControlServer* self = c->server;
  Guard guard(self);
  if (self->CheckWait(*c)) return;
  auto st = self->api_.Status(c->wait_path);
  std::string is = st ? core::ToString(st->state) : "gone";
  self->Send(*c, protocol::ErrorLine(
                     ErrorCode::kTimeout,
                     "timed out after " + common::FormatDurationCompact(c->wait_timeout) +
                         " waiting for " + Quote(c->wait_path) + " to be " + c->wait_state +
                         " (it is " + is + ")"));
  self->EndWait(*c);
}

bool ControlServer::CheckWait(Connection& c) {
  try {
    if (!CheckWaitOrThrow(c)) return false;
  } catch (const std::exception& e) {
    Send(c, protocol::ErrorLine(ErrorCode::kBadRequest,
                                std::string("internal error: ") + e.what()));
  }
  EndWait(c);
  return true;
}

bool ControlServer::CheckWaitOrThrow(Connection& c) {
  auto st = api_.Status(c.wait_path);
  if (!st) {
    Send(c, protocol::ErrorLine(ErrorCode::kNotFound, NoChildMessage(c.wait_path)));
  } else if (core::ToString(st->state) == c.wait_state) {
    Send(c, protocol::NodeReplyLine(*st, NodeContextOf(api_)));
  } else {
    return false;
  }
  return true;
}

void ControlServer::EndWait(Connection& c) {
  waiters_.erase(&c);
  c.wait_timer.Reset();
  if (!c.dead) Finish(c);
}

// ---- events ----------------------------------------------------------------------------

void ControlServer::OnEvent(const core::Lifecycle& event, double unix_time) {
  Guard guard(this);
  std::string line;
  try {
    line = protocol::ToLine(protocol::LifecycleToJson(event, unix_time));
  } catch (const std::exception&) {
    return;
  }
  recent_.push_back(line.substr(0, line.size() - 1));
  while (recent_.size() > options_.event_ring) recent_.pop_front();
  std::vector<Connection*> followers(followers_.begin(), followers_.end());
  for (Connection* f : followers) Send(*f, line);
}

void ControlServer::OnStateChanged() {
  Guard guard(this);
  std::vector<Connection*> waiters(waiters_.begin(), waiters_.end());
  for (Connection* w : waiters) {
    if (!w->dead && waiters_.count(w)) CheckWait(*w);
  }
}

// ---- writing and closing ---------------------------------------------------------------

void ControlServer::Send(Connection& c, std::string line) {
  if (c.dead) return;
  // One reply of any size may wait; more than max_output pending means a client that
  // does not read (or a subscriber that fell behind): drop it rather than buffer forever.
  if (c.out_pending > 0 && c.out_pending + line.size() > options_.max_output) {
    Drop(c);
    return;
  }
  if (c.out_pending == 0) {
    uv_buf_t b = uv_buf_init(line.data(), static_cast<unsigned>(line.size()));
    int n = uv_try_write(c.stream(), &b, 1);
    if (n == static_cast<int>(line.size())) return;
    if (n < 0 && n != UV_EAGAIN) {
      Drop(c);
      return;
    }
    if (n > 0) line.erase(0, static_cast<std::size_t>(n));
  }
  auto* w = new WriteReq;
  w->data = std::move(line);
  uv_buf_t b = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  if (uv_write(&w->req, c.stream(), &b, 1, OnWritten) < 0) {
    delete w;
    Drop(c);
    return;
  }
  c.out_pending += w->data.size();
}

void ControlServer::OnWritten(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<WriteReq*>(req);
  std::size_t size = w->data.size();
  auto* c = static_cast<Connection*>(req->handle->data);  // nullptr once closed
  delete w;
  if (c == nullptr || c->dead) return;
  Guard guard(c->server);
  c->out_pending -= size;
  if (status < 0 || (c->closing && c->out_pending == 0)) c->server->Drop(*c);
}

void ControlServer::CloseAfterFlush(Connection& c) {
  if (c.dead) return;
  c.closing = true;
  if (c.reading) {
    uv_read_stop(c.stream());
    c.reading = false;
  }
  if (c.out_pending == 0) Drop(c);
}

void ControlServer::Drop(Connection& c) {
  if (c.dead) return;
  c.dead = true;
  followers_.erase(&c);
  waiters_.erase(&c);
  if (c.log_follow != 0) api_.UnfollowLog(std::exchange(c.log_follow, 0));
  c.wait_timer.Reset();
  c.pipe.Reset();
  auto it = conns_.find(c.id);
  if (it != conns_.end()) {
    graveyard_.push_back(std::move(it->second));
    conns_.erase(it);
  }
  if (closed_ && conns_.empty()) flush_timer_.Reset();  // everyone flushed: no wait
  if (depth_ == 0) Collect();
}

// ---- log ---------------------------------------------------------------------------------

void ControlServer::HandleLog(Connection& c, const protocol::Request& r) {
  auto lines = api_.LogTail(r.path, static_cast<std::size_t>(r.lines));
  if (!lines) {
    Send(c, protocol::ErrorLine(ErrorCode::kNotFound, NoChildMessage(r.path)));
    return;
  }
  // Captured lines are arbitrary bytes: escaped by hand (invalid UTF-8 kept as \u00XX).
  std::string reply = R"({"ok":true,"lines":[)";
  for (std::size_t i = 0; i < lines->size(); ++i) {
    if (i) reply.push_back(',');
    log::AppendJsonString(&reply, (*lines)[i]);
  }
  reply += "]}\n";
  Send(c, std::move(reply));
  if (!r.follow || c.dead) return;
  c.follow = true;
  c.queue.clear();
  c.queued_bytes = 0;
  std::uint64_t id = c.id;
  // A follower that does not read is dropped by Send (max_output), never waited for.
  c.log_follow = api_.FollowLog(
      r.path, [this, id](std::string_view path, std::string_view stream, std::string_view line) {
        auto it = conns_.find(id);
        if (it == conns_.end() || it->second->dead) return;
        Guard guard(this);
        std::string out = "{\"path\":";
        log::AppendJsonString(&out, path);
        out += ",\"stream\":\"";
        out += stream;
        out += "\",\"line\":";
        log::AppendJsonString(&out, line);
        out += "}\n";
        Send(*it->second, std::move(out));
      });
}

}  // namespace supd::io
