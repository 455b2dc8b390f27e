// EpollSet (daemon/io/epoll_set.h): the one epoll set and uv_poll_t that the log hub's
// capture pipes and the process layer's pidfds each sit in.
#include "daemon/io/epoll_set.h"

#include <fcntl.h>
#include <unistd.h>
#include <uv.h>

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <set>
#include <vector>

namespace supd::io::test {
namespace {

struct Pipe {
  int r = -1;
  int w = -1;
  Pipe() {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    close(r);
    close(w);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void Put() const { REQUIRE(write(w, "x", 1) == 1); }
  void Take() const {
    char c;
    REQUIRE(read(r, &c, 1) == 1);
  }
};

// Runs `loop` until `done` or a 5 s deadline; returns `done()`.
bool RunUntil(uv_loop_t* loop, const std::function<bool()>& done) {
  bool expired = false;
  uv_timer_t deadline;
  uv_timer_init(loop, &deadline);
  deadline.data = &expired;
  uv_timer_start(
      &deadline, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, 5000, 0);
  while (!done() && !expired) uv_run(loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return done();
}

TEST_CASE("io: an epoll set wakes the loop and reports each ready fd by its key") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    EpollSet set;
    std::set<std::uint64_t> keys;
    auto error = set.Open(&loop, [&] {
      set.Drain([&](std::uint64_t key) { keys.insert(key); }, EpollSet::DrainMode::kUntilEmpty);
    });
    REQUIRE_FALSE(error);
    REQUIRE(set.IsOpen());
    Pipe a, b;
    REQUIRE_FALSE(set.Add(a.r, 7));
    REQUIRE_FALSE(set.Add(b.r, 1ULL << 40));
    CHECK(set.Add(a.r, 8).has_value());  // already in the set: EEXIST

    b.Put();
    REQUIRE(RunUntil(&loop, [&] { return !keys.empty(); }));
    CHECK(keys == std::set<std::uint64_t>{1ULL << 40});

    // b stays readable (unread), but it is no longer watched.
    set.Remove(b.r);
    keys.clear();
    a.Put();
    REQUIRE(RunUntil(&loop, [&] { return !keys.empty(); }));
    CHECK(keys == std::set<std::uint64_t>{7});

    set.Close();
    CHECK_FALSE(set.IsOpen());
    set.Remove(a.r);  // closed: nothing
    keys.clear();
    set.Drain([&](std::uint64_t key) { keys.insert(key); }, EpollSet::DrainMode::kUntilEmpty);
    CHECK(keys.empty());
    uv_run(&loop, UV_RUN_NOWAIT);  // the uv_poll_t's close
  }
  CHECK(uv_loop_close(&loop) == 0);  // no handle left behind
}

TEST_CASE("io: an epoll set drains one batch, or batch after batch until empty") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  {
    EpollSet set;
    REQUIRE_FALSE(set.Open(&loop, [] {}));
    const int n = EpollSet::kBatch + 6;
    std::vector<std::unique_ptr<Pipe>> pipes;
    for (int i = 0; i < n; ++i) {
      pipes.push_back(std::make_unique<Pipe>());
      REQUIRE_FALSE(set.Add(pipes.back()->r, static_cast<std::uint64_t>(i)));
      pipes.back()->Put();
    }

    int reported = 0;
    set.Drain([&](std::uint64_t) { ++reported; }, EpollSet::DrainMode::kOneBatch);
    CHECK(reported == EpollSet::kBatch);

    // Each ready fd read as it is reported, so every batch finds only the unread ones.
    std::set<std::uint64_t> keys;
    set.Drain(
        [&](std::uint64_t key) {
          keys.insert(key);
          pipes[key]->Take();
        },
        EpollSet::DrainMode::kUntilEmpty);
    CHECK(keys.size() == static_cast<std::size_t>(n));

    reported = 0;
    set.Drain([&](std::uint64_t) { ++reported; }, EpollSet::DrainMode::kOneBatch);
    CHECK(reported == 0);
  }  // the destructor closes it
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK(uv_loop_close(&loop) == 0);
}

}  // namespace
}  // namespace supd::io::test
