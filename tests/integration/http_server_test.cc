// The HTTP server on a real loop (this thread drives it) with a minimal DaemonApi: no timer
// armed while no client is connected (zero idle wake-ups), a request over a Unix socket,
// and the socket file's lifetime.
#include <doctest/doctest.h>
#include <uv.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>

#include "daemon/api.h"
#include "daemon/io/http/http_server.h"
#include "tests/integration/io_harness.h"

namespace supd {
namespace {

class OneWorkerApi : public DaemonApi {
 public:
  std::optional<core::NodeStatus> Status(std::string_view path) const override {
    core::NodeStatus w;
    w.path = w.id = "w";
    w.state = core::NodeState::kRunning;
    w.pid = 4242;
    w.ready = true;
    core::NodeStatus root;
    root.supervisor = true;
    root.state = core::NodeState::kRunning;
    root.children.push_back(w);
    if (path.empty()) return root;
    if (path == "w") return w;
    return std::nullopt;
  }
  double ToUnixTime(core::Millis ms) const override { return 1.7e9 + ms / 1000.0; }
  std::string EffectiveKillMode(std::string_view) const override { return "group"; }
  void Operate(core::OperatorRequest, std::function<void(const core::Reply&)>) override {}
  std::uint64_t Subscribe(EventCallback cb) override {
    subscriber = std::move(cb);
    return 1;
  }
  std::uint64_t WatchState(std::function<void()>) override { return 2; }
  void Unsubscribe(std::uint64_t token) override {
    if (token == 1) subscriber = nullptr;
  }
  std::string Version() const override { return "0.0.0-test"; }
  EventCallback subscriber;
};

/// Runs the loop one event at a time until `done` holds (deadline `ms`).
bool RunUntil(uv_loop_t* loop, const std::function<bool()>& done, int ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    uv_run(loop, UV_RUN_NOWAIT);
    pollfd p{uv_backend_fd(loop), POLLIN, 0};
    poll(&p, 1, 10);  // wait for the loop's own epoll fd, not a fixed time
  }
  return true;
}

int ConnectUnix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST_CASE("http server: no timer without a client and a request over unix:PATH and a clean close") {
  std::string dir = io::test::TempDir("http");
  std::string path = dir + "/sub/http.sock";
  uv_loop_t loop;
  uv_loop_init(&loop);
  OneWorkerApi api;
  {
    io::http::HttpServerOptions options;
    options.spec.listen = "unix:" + path;
    options.spec.unix_path = path;
    options.unix_mode = 0660;
    io::http::HttpServer server(&loop, options, api);
    REQUIRE_FALSE(server.Start().has_value());
    CHECK(server.address() == "unix:" + path);
    struct stat st{};
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0660);
    CHECK(api.subscriber != nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_FALSE(server.TimerArmed());  // nobody connected: nothing to wake up for

    int fd = ConnectUnix(path);
    REQUIRE(fd >= 0);
    std::string req = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    REQUIRE(send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
    std::string reply;
    bool closed = false;
    CHECK(RunUntil(&loop, [&] {
      char buf[8192];
      ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) reply.append(buf, static_cast<std::size_t>(n));
      if (n == 0) closed = true;
      return closed;
    }, 20000));
    close(fd);
    CHECK(reply.rfind("HTTP/1.1 200", 0) == 0);
    CHECK(reply.find("supd_child_up{path=\"w\"} 1") != std::string::npos);
    CHECK(reply.find("supd_build_info{version=\"0.0.0-test\"} 1") != std::string::npos);
    // The connection is gone: libmicrohttpd asks for no timeout, so no timer stays armed.
    CHECK(RunUntil(&loop, [&] { return !server.TimerArmed(); }, 20000));

    // A live HTTP server on the path: a second one refuses to replace its socket.
    io::http::HttpServer twin(&loop, options, api);
    auto err = twin.Start();
    REQUIRE(err.has_value());
    CHECK(err->find("accepts connections") != std::string::npos);
    server.Close();
  }
  struct stat st{};
  CHECK(stat(path.c_str(), &st) != 0);  // removed by Close
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  rmdir((dir + "/sub").c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace supd
