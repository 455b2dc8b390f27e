// Test harness for the process layer: a real uv loop, a ProcessManager, recorded events,
// waits with deadlines (never bare sleeps), and a teardown that leaves no process behind.
#pragma once

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "daemon/io/process/process_manager.h"
#include "daemon/io/uv_handle.h"
#include "tests/support/skip.h"

namespace supd::io::test {

inline std::string TempDir(const char* tag) {
  std::string templ = std::string("/tmp/supd-io-") + tag + "-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  REQUIRE(mkdtemp(buf.data()) != nullptr);
  return buf.data();
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

inline std::vector<pid_t> PidsIn(const std::string& path) {
  std::vector<pid_t> pids;
  for (const auto& l : Lines(ReadFile(path))) {
    if (!l.empty()) pids.push_back(static_cast<pid_t>(std::stol(l)));
  }
  return pids;
}

/// True while `pid` exists and is not a zombie.
inline bool Running(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  return stat[paren + 2] != 'Z' && stat[paren + 2] != 'X';
}

/// Direct children of this process (every thread), from /proc.
inline std::set<pid_t> OwnChildren() {
  std::set<pid_t> out;
  std::string task_dir = "/proc/self/task";
  if (DIR* d = opendir(task_dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::istringstream in(ReadFile(task_dir + "/" + e->d_name + "/children"));
      long pid;
      while (in >> pid) out.insert(static_cast<pid_t>(pid));
    }
    closedir(d);
  }
  return out;
}

inline std::shared_ptr<core::WorkerSpec> ChildSpec(std::vector<std::string> args) {
  auto spec = std::make_shared<core::WorkerSpec>();
  spec->command = {SUPD_TEST_CHILD};
  spec->command.insert(spec->command.end(), args.begin(), args.end());
  spec->stdout_spec.kind = core::OutputSpec::Kind::kInherit;
  spec->kill_mode = core::KillMode::kGroup;
  return spec;
}

/// A child that signals readiness on fd 3 once its signal handlers are installed.
inline std::shared_ptr<core::WorkerSpec> NotifyChildSpec(std::vector<std::string> args) {
  args.insert(args.begin(), {"--notify-fd", "3"});
  auto spec = ChildSpec(std::move(args));
  spec->ready.kind = core::ReadySpec::Kind::kNotifyFd;
  spec->ready.notify_fd = 3;
  return spec;
}

class Harness {
 public:
  /// Makes the output capture of the manager on the harness's loop (e.g. a log::LogHub).
  using CaptureFactory = std::function<std::unique_ptr<OutputCapture>(uv_loop_t*)>;

  /// With `capture`, the manager captures output through what it makes; the harness owns
  /// it and destroys it right after the manager.
  explicit Harness(bool init = true, std::string state_dir = "",
                   const CaptureFactory& capture = nullptr) {
    REQUIRE(uv_loop_init(&loop_) == 0);
    dir_ = TempDir("h");
    ProcessManagerOptions opts;
    opts.state_dir = state_dir.empty() ? dir_ + "/state" : state_dir;
    opts.log_dir = dir_;
    if (capture) capture_ = capture(&loop_);
    opts.capture = capture_.get();
    ProcessCallbacks cb;
    cb.on_event = [this](const core::Event& e) {
      events_.push_back(e);
      // As the core does for a run not being stopped: stop what its main process left.
      if (auto* m = std::get_if<core::MainExited>(&e); m && stop_leftovers_)
        pm_->Signal({m->run, SIGTERM});
    };
    cb.on_log = [this](const std::string& l) { logs_.push_back(l); };
    pm_ = std::make_unique<ProcessManager>(&loop_, opts, cb);
    if (init) {
      auto err = pm_->Init();
      REQUIRE_MESSAGE(!err, err.value_or(""));
    }
  }

  ~Harness() {
    // Kill whatever is still live and wait for its exit, then extra pids the test named.
    for (core::RunId id : spawned_) {
      if (!Exited(id) && !Failed(id)) pm_->Signal({id, SIGKILL});
    }
    for (pid_t pid : extra_pids_) kill(pid, SIGKILL);
    bool all = RunUntil([&] { return pm_->LiveRuns() == 0; }, 5000);
    CHECK_MESSAGE(all, "live runs left at teardown: " << pm_->LiveRuns());
    RunUntil([&] {
      for (pid_t pid : extra_pids_) {
        if (Running(pid) || OwnChildren().count(pid)) return false;
      }
      return true;
    }, 5000);
    pm_->Close();
    pm_.reset();
    capture_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);  // close callbacks
    CHECK(uv_loop_close(&loop_) == 0);
    std::set<pid_t> left = OwnChildren();
    CHECK_MESSAGE(left.empty(), "processes left behind: " << left.size());
    for (pid_t pid : left) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    std::string rm = "rm -rf '" + dir_ + "'";
    CHECK(std::system(rm.c_str()) == 0);
  }

  ProcessManager& pm() { return *pm_; }
  OutputCapture* capture() { return capture_.get(); }
  uv_loop_t* loop() { return &loop_; }
  const std::string& dir() const { return dir_; }
  std::vector<std::string>& logs() { return logs_; }
  std::vector<core::Event>& events() { return events_; }
  /// Pids killed (SIGKILL) at teardown, e.g. grandchildren from a pidfile.
  void KillAtTeardown(pid_t pid) { extra_pids_.push_back(pid); }

  /// Runs the loop until `pred` holds or `timeout_ms` passes. Returns pred's final value.
  bool RunUntil(const std::function<bool()>& pred, int timeout_ms) {
    if (pred()) return true;
    bool expired = false;
    UvHandle<uv_timer_t> timer;
    REQUIRE(timer.Init([&](uv_timer_t* t) { return uv_timer_init(&loop_, t); }, &expired) == 0);
    uv_timer_start(
        timer.get(), [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; },
        static_cast<uint64_t>(timeout_ms), 0);
    // Some predicates watch the outside world (/proc, files), not loop events: wake every
    // 10 ms to look again, or a quiet loop would sleep until the deadline.
    UvHandle<uv_timer_t> tick;
    REQUIRE(tick.Init([&](uv_timer_t* t) { return uv_timer_init(&loop_, t); }, nullptr) == 0);
    uv_timer_start(tick.get(), [](uv_timer_t*) {}, 10, 10);
    while (!pred() && !expired) uv_run(&loop_, UV_RUN_ONCE);
    return pred();
  }

  /// On MainExited the harness sends SIGTERM, as the core would (default); a test of the
  /// leftover sequence itself turns that off and signals on its own.
  void set_stop_leftovers(bool on) { stop_leftovers_ = on; }

  core::RunId Spawn(std::shared_ptr<const core::WorkerSpec> spec, std::string path = "") {
    core::RunId id = next_run_++;
    spawned_.push_back(id);
    if (path.empty()) path = "test/child" + std::to_string(id);
    pm_->Spawn(core::Spawn{id, path, std::move(spec)});
    return id;
  }

  template <typename E>
  const E* Find(core::RunId id) const {
    for (const auto& e : events_) {
      if (auto* p = std::get_if<E>(&e); p && p->run == id) return p;
    }
    return nullptr;
  }
  int Pid(core::RunId id) const {
    auto* s = Find<core::ChildSpawned>(id);
    return s ? s->pid : -1;
  }
  bool Ready(core::RunId id) const { return Find<core::ChildReady>(id) != nullptr; }
  std::optional<core::ExitStatus> Exited(core::RunId id) const {
    auto* e = Find<core::ChildExited>(id);
    return e ? std::optional<core::ExitStatus>(e->status) : std::nullopt;
  }
  std::optional<std::string> Failed(core::RunId id) const {
    auto* e = Find<core::SpawnFailed>(id);
    return e ? std::optional<std::string>(e->message) : std::nullopt;
  }
  /// The short form of a SpawnFailed ("exec: /x: ENOENT"), as status shows it.
  std::optional<std::string> FailedError(core::RunId id) const {
    auto* e = Find<core::SpawnFailed>(id);
    return e ? std::optional<std::string>(e->error) : std::nullopt;
  }
  /// Spawns and waits until ready.
  core::RunId SpawnReady(std::shared_ptr<const core::WorkerSpec> spec) {
    core::RunId id = Spawn(std::move(spec));
    bool ok = RunUntil([&] { return Ready(id) || Exited(id) || Failed(id); }, 5000);
    REQUIRE_MESSAGE((ok && Ready(id)), "run " << id << " never became ready");
    return id;
  }
  /// Waits for the exit of `id` (deadline), returns its status.
  core::ExitStatus WaitExit(core::RunId id, int timeout_ms = 5000) {
    bool ok = RunUntil([&] { return Exited(id).has_value() || Failed(id).has_value(); },
                       timeout_ms);
    REQUIRE_MESSAGE(ok, "no exit of run " << id << " within " << timeout_ms << " ms");
    REQUIRE_MESSAGE(!Failed(id), *Failed(id));
    return *Exited(id);
  }

 private:
  uv_loop_t loop_;
  std::string dir_;
  std::unique_ptr<OutputCapture> capture_;
  std::unique_ptr<ProcessManager> pm_;
  std::vector<core::Event> events_;
  std::vector<std::string> logs_;
  std::vector<core::RunId> spawned_;
  std::vector<pid_t> extra_pids_;
  core::RunId next_run_ = 1;
  bool stop_leftovers_ = true;
};

inline long long NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// True when cgroup mode works here; otherwise marks the calling test skipped
/// (testing::Skip), and the caller returns.
inline bool CgroupAvailable(Harness& h) {
  core::WorkerSpec spec = *ChildSpec({});
  spec.kill_mode = core::KillMode::kCgroup;
  auto err = h.pm().CheckSpec(spec);
  if (err) testing::Skip("no writable cgroup v2: " + *err);
  return !err;
}

}  // namespace supd::io::test
