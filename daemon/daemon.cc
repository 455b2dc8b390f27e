#include "daemon/daemon.h"

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/fs.h"
#include "common/paths.h"
#include "daemon/executor.h"
#include "daemon/spec_check.h"
#include "daemon/io/control/control_server.h"
#include "daemon/io/core_timers.h"
#include "daemon/io/http/http_server.h"
#include "daemon/io/log/log_hub.h"
#include "daemon/io/process/process_manager.h"
#include "daemon/io/notify_systemd.h"
#include "daemon/io/uv_handle.h"

namespace supd {
namespace {

/// Fds inherited from whoever started supd must not reach its children (DESIGN.md).
void MarkInheritedFdsCloexec() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return;
  int self = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    int fd = std::atoi(entry->d_name);
    if (fd <= 2 || fd == self) continue;
    int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
  ::closedir(dir);
}

/// The outcome of a reload asked by SIGHUP, in the daemon's log (what `supctl reload`
/// would print).
void LogReload(Logger& log, const protocol::ReloadOutcome& outcome) {
  for (const auto& e : outcome.errors) log.Error("reload: " + e.ToString());
  if (outcome.error != core::ErrorCode::kNone) {
    log.Error("reload: " + outcome.message);
    return;
  }
  for (const auto& line : protocol::PlanLines(protocol::ReloadToJson(outcome)["plan"])) {
    log.Info("reload: " + line);
  }
}

/// Watches one signal of supd's own on the loop.
class SignalWatch {
 public:
  explicit SignalWatch(std::function<void()> on_signal) : on_signal_(std::move(on_signal)) {}
  /// Starts watching `signo`; an error message if libuv cannot.
  std::optional<std::string> Start(uv_loop_t* loop, int signo) {
    int rc = handle_.Init([loop](uv_signal_t* h) { return uv_signal_init(loop, h); }, this);
    if (rc == 0) {
      rc = uv_signal_start(handle_.get(), [](uv_signal_t* h, int) {
        static_cast<SignalWatch*>(h->data)->on_signal_();
      }, signo);
    }
    if (rc == 0) return std::nullopt;
    return std::string("cannot watch SIG") + ::sigabbrev_np(signo) + ": " + uv_strerror(rc);
  }
  void Close() { handle_.Reset(); }

 private:
  io::UvHandle<uv_signal_t> handle_;
  std::function<void()> on_signal_;
};

/// "2 handle(s): timer, signal" for the handles a loop still has.
std::string OpenHandles(uv_loop_t* loop) {
  std::pair<int, std::string> found;
  uv_walk(loop, [](uv_handle_t* h, void* arg) {
    auto* f = static_cast<std::pair<int, std::string>*>(arg);
    f->second += (f->first++ ? ", " : "") + std::string(uv_handle_type_name(h->type));
  }, &found);
  return std::to_string(found.first) + " handle(s): " + found.second;
}

/// One life of supd: each step builds one part on the loop; CloseHandles is the only
/// teardown, whichever step failed or however the tree stopped.
class Daemon {
 public:
  explicit Daemon(DaemonOptions options)
      : options_(std::move(options)), config_(options_.config), log_(options_.log_level) {}
  int Run();

 private:
  bool PrepareStateDir();
  bool OpenLoop();
  bool StartProcessLayer();
  bool CheckWorkerSpecs();
  bool BuildExecutor();
  bool StartControlSocket();
  bool StartHttp();
  bool WatchOwnSignals();
  void StartTree();
  void OnTreeReady();
  void OnTreeStopped(const core::TreeStopped& stopped);
  void RequestStop(const char* why);
  void CloseHandles();
  void CloseLoop();

  DaemonOptions options_;
  const core::Config& config_;
  Logger log_;
  std::string socket_path_;
  std::string state_dir_;
  uv_loop_t loop_{};
  std::unique_ptr<io::log::LogHub> logs_;  ///< output capture; outlives processes_
  std::unique_ptr<io::ProcessManager> processes_;
  std::unique_ptr<io::CoreTimers> timers_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<io::ControlServer> control_;
  std::unique_ptr<io::http::HttpServer> http_;  ///< daemon.http, when configured
  std::vector<std::unique_ptr<SignalWatch>> signals_;
  int exit_code_ = 0;
  bool stopping_ = false;
};

int Daemon::Run() {
  std::signal(SIGPIPE, SIG_IGN);
  MarkInheritedFdsCloexec();
  if (!PrepareStateDir() || !OpenLoop()) return 1;
  if (StartProcessLayer() && CheckWorkerSpecs() && BuildExecutor() && StartControlSocket() &&
      StartHttp() && WatchOwnSignals()) {
    // Only now: the socket check above proved that no other supd runs on this state dir,
    // so what its state file records is a dead instance's, not a live one's tree.
    processes_->KillLeftoversOfPreviousInstance();
    StartTree();
  } else {
    exit_code_ = 1;
    CloseHandles();
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  CloseLoop();
  return exit_code_;
}

bool Daemon::PrepareStateDir() {
  socket_path_ = options_.socket_override.value_or(
      config_.daemon.socket.empty() ? common::DefaultSocketPath() : config_.daemon.socket);
  state_dir_ = config_.daemon.state_dir.empty() ? common::DefaultStateDir()
                                                : config_.daemon.state_dir;
  log_.SetJson(config_.daemon.log_format == core::DaemonSpec::LogFormat::kJson);
  if (auto error = common::MakeDirs(state_dir_)) {
    log_.Error(*error + " (set daemon.state_dir to a writable directory)");
    return false;
  }
  if (config_.daemon.log_dir.empty()) return true;
  if (auto error = common::MakeDirs(config_.daemon.log_dir)) {
    log_.Error(*error + " (set daemon.log_dir to a writable directory)");
    return false;
  }
  return true;
}

bool Daemon::OpenLoop() {
  if (int rc = uv_loop_init(&loop_); rc < 0) {
    log_.Error(std::string("cannot create the event loop: ") + uv_strerror(rc));
    return false;
  }
  return true;
}

bool Daemon::StartProcessLayer() {
  bool json = config_.daemon.log_format == core::DaemonSpec::LogFormat::kJson;
  logs_ = std::make_unique<io::log::LogHub>(
      &loop_, io::log::LogHubOptions{config_.daemon.log_dir, json},
      [this](const std::string& line) { log_.Warn(line); });
  // From here supd's own lines never block the loop on a stderr nobody reads.
  log_.SetSink([this](std::string_view line) { logs_->WriteDaemonLine(line); });
  processes_ = std::make_unique<io::ProcessManager>(
      &loop_, io::ProcessManagerOptions{state_dir_, config_.daemon.log_dir, logs_.get()},
      io::ProcessCallbacks{[this](const core::Event& e) {
                             if (executor_) executor_->Feed(e);
                           },
                           [this](const std::string& line) { log_.Info(line); }});
  if (auto err = processes_->Init()) {
    log_.Error(*err);
    return false;
  }
  return true;
}

bool Daemon::CheckWorkerSpecs() {
  std::vector<std::string> errors;
  CheckWorkers(config_.root, "", *processes_, &errors);
  for (const auto& e : errors) log_.Error(config_.path + ": " + e);
  return errors.empty();
}

bool Daemon::BuildExecutor() {
  timers_ = std::make_unique<io::CoreTimers>(
      &loop_, [this](core::TimerId id) { executor_->Feed(core::TimerFired{id}); });
  executor_ = std::make_unique<Executor>(
      config_, ExecutorIo{processes_.get(), timers_.get(), MonotonicNowMs, logs_.get()}, log_, state_dir_,
      [this](const core::TreeStopped& stopped) { OnTreeStopped(stopped); });
  executor_->OnTreeReady([this] { OnTreeReady(); });
  return true;
}

bool Daemon::StartControlSocket() {
  control_ = std::make_unique<io::ControlServer>(
      &loop_,
      io::ControlServerOptions{socket_path_, config_.daemon.socket_mode,
                               config_.daemon.socket_gid, ::geteuid()},
      *executor_);
  if (auto err = control_->Start()) {
    log_.Error(*err);
    return false;
  }
  executor_->OnReloaded([this](const core::DaemonSpec& daemon) {
    if (auto err = control_->SetAccess(daemon.socket_mode, daemon.socket_gid)) {
      log_.Warn("reload: " + *err);
    }
    // log_format: supd's next message and every line read from now on take the new shape.
    bool json = daemon.log_format == core::DaemonSpec::LogFormat::kJson;
    log_.SetJson(json);
    logs_->SetJson(json);
  });
  return true;
}

bool Daemon::StartHttp() {
  if (!config_.daemon.http) return true;
  io::http::HttpServerOptions options;
  options.spec = *config_.daemon.http;
  options.unix_mode = config_.daemon.socket_mode;
  options.unix_gid = config_.daemon.socket_gid;
  options.control_requests = [this] { return control_->RequestCounts(); };
  options.log_dropped_bytes = [this] { return logs_->DroppedBytes(); };
  http_ = std::make_unique<io::http::HttpServer>(&loop_, std::move(options), *executor_);
  if (auto err = http_->Start()) {
    log_.Error(*err);
    return false;
  }
  log_.Info("http: serving /metrics, /status.json, /events and / on " + http_->address());
  return true;
}

bool Daemon::WatchOwnSignals() {
  signals_.push_back(std::make_unique<SignalWatch>([this] { RequestStop("SIGTERM"); }));
  signals_.push_back(std::make_unique<SignalWatch>([this] { RequestStop("SIGINT"); }));
  signals_.push_back(std::make_unique<SignalWatch>([this] {
    log_.Info("SIGHUP: reloading " + config_.path);
    executor_->Reload({}, [this](const protocol::ReloadOutcome& o) { LogReload(log_, o); });
  }));
  signals_.push_back(std::make_unique<SignalWatch>([this] {
    log_.Info("SIGUSR1: reopening log files");
    logs_->ReopenFiles();
  }));
  const int signos[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1};
  for (std::size_t i = 0; i < signals_.size(); ++i) {
    if (auto err = signals_[i]->Start(&loop_, signos[i])) {
      log_.Error(*err);
      return false;
    }
  }
  return true;
}

void Daemon::StartTree() {
  log_.Info("supd " SUPD_VERSION " starting " + config_.path +
            (::getpid() == 1 ? " as PID 1" : ""));
  executor_->Start();
}

void Daemon::OnTreeReady() {
  io::NotifyServiceManager("READY=1");
  log_.Info("tree started; control socket " + socket_path_);
  malloc_trim(0);  // start-up's transient memory back to the kernel (see main's mallopt)
}

void Daemon::OnTreeStopped(const core::TreeStopped& stopped) {
  exit_code_ = stopped.exit_code;
  if (!stopped.exit) {
    log_.Warn("the root supervisor gave up; the tree is stopped, supd stays up "
              "(on_root_give_up: stay; supctl start \"\" or shutdown)");
    return;
  }
  switch (stopped.why) {
    case core::TreeStopped::Why::kShutdownRequested:
      log_.Info("stopped");
      break;
    case core::TreeStopped::Why::kGaveUp:
      log_.Error("the root supervisor gave up (reached max restart intensity); exiting with 3");
      break;
    case core::TreeStopped::Why::kAutoShutdown:
      log_.Info("auto_shutdown of the root; exiting with " + std::to_string(exit_code_));
      break;
  }
  io::NotifyServiceManager("STOPPING=1");
  CloseHandles();
}

void Daemon::RequestStop(const char* why) {
  if (stopping_) {  // a second SIGTERM/SIGINT: SIGKILL to everything left (as tini does)
    log_.Warn(std::string(why) + " again: killing every remaining child (SIGKILL)");
    core::OperatorRequest req;
    req.op = core::OperatorRequest::Op::kKillAll;
    executor_->Operate(std::move(req), [](const core::Reply&) {});
    return;
  }
  stopping_ = true;
  log_.Info(std::string(why) + ": stopping the tree");
  io::NotifyServiceManager("STOPPING=1");
  core::OperatorRequest req;
  req.op = core::OperatorRequest::Op::kShutdown;
  executor_->Operate(std::move(req), [](const core::Reply&) {});
}

void Daemon::CloseHandles() {
  for (auto& s : signals_) s->Close();
  if (control_) control_->Close();
  if (http_) http_->Close();
  if (timers_) timers_->Close();
  if (processes_) processes_->Close();
  if (logs_) logs_->Close();
}

void Daemon::CloseLoop() {
  // In reverse order of construction; their handles' close callbacks run below.
  signals_.clear();
  http_.reset();  // reads control_'s counters
  control_.reset();
  executor_.reset();
  timers_.reset();
  processes_.reset();
  log_.SetSink(nullptr);  // plain writes again once the hub is gone
  logs_.reset();
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop_) != 0) {
    log_.Warn("the event loop did not close cleanly: " + OpenHandles(&loop_) + " still open");
  }
}

}  // namespace

int RunDaemon(DaemonOptions options) { return Daemon(std::move(options)).Run(); }

}  // namespace supd
