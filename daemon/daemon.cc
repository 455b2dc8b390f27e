#include "daemon/daemon.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "daemon/executor.h"
#include "daemon/io/control/control_server.h"
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

/// mkdir -p with mode 0750 for each missing component.
bool MakeDirs(const std::string& path, std::string* error) {
  if (path.empty()) return true;
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0750) != 0 && errno != EEXIST) {
      *error = "cannot create " + partial + ": " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

std::string DefaultStateDir() {
  if (::geteuid() == 0) return "/var/lib/supd";
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/supd";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/state/supd";
  return "/tmp/supd-" + std::to_string(::geteuid());
}

std::string DefaultSocket() {
  if (::geteuid() == 0) return "/run/supd/supd.sock";
  if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x && *x) return std::string(x) + "/supd.sock";
  return "/tmp/supd-" + std::to_string(::geteuid()) + "/supd.sock";
}

/// Every worker whose kill_mode the process layer cannot honour, with its path.
void CheckWorkers(const core::ChildSpec& node, const std::string& path,
                  const io::ProcessManager& processes, std::vector<std::string>* errors) {
  if (node.worker) {
    if (auto err = processes.CheckSpec(*node.worker)) errors->push_back(path + ": " + *err);
    return;
  }
  if (!node.supervisor) return;
  if (node.supervisor->child_template) {
    CheckWorkers(*node.supervisor->child_template, path.empty() ? "template" : path + "/template",
                 processes, errors);
  }
  for (const auto& child : node.supervisor->children) {
    CheckWorkers(child, path.empty() ? child.id : path + "/" + child.id, processes, errors);
  }
}

/// Watches one signal of supd's own on the loop.
class SignalWatch {
 public:
  SignalWatch(uv_loop_t* loop, int signo, std::function<void()> on_signal)
      : on_signal_(std::move(on_signal)) {
    handle_.Init([loop](uv_signal_t* h) { return uv_signal_init(loop, h); }, this);
    uv_signal_start(handle_.get(), [](uv_signal_t* h, int) {
      static_cast<SignalWatch*>(h->data)->on_signal_();
    }, signo);
  }
  void Close() { handle_.Reset(); }

 private:
  io::UvHandle<uv_signal_t> handle_;
  std::function<void()> on_signal_;
};

}  // namespace

int RunDaemon(DaemonOptions options) {
  Logger log(options.log_level);
  core::Config& config = options.config;
  std::signal(SIGPIPE, SIG_IGN);
  MarkInheritedFdsCloexec();

  std::string socket_path = options.socket_override.value_or(
      config.daemon.socket.empty() ? DefaultSocket() : config.daemon.socket);
  std::string state_dir = config.daemon.state_dir.empty() ? DefaultStateDir()
                                                          : config.daemon.state_dir;
  std::string error;
  if (!MakeDirs(state_dir, &error)) {
    log.Error(error + " (set daemon.state_dir to a writable directory)");
    return 1;
  }

  bool json_log = config.daemon.log_format == core::DaemonSpec::LogFormat::kJson;
  log.SetJson(json_log);
  if (!MakeDirs(config.daemon.log_dir, &error)) {
    log.Error(error + " (set daemon.log_dir to a writable directory)");
    return 1;
  }

  uv_loop_t loop;
  uv_loop_init(&loop);
  std::unique_ptr<Executor> executor;
  io::log::LogHub logs(&loop, io::log::LogHubOptions{config.daemon.log_dir, json_log},
                       [&log](const std::string& line) { log.Warn(line); });
  // From here supd's own lines never block the loop on a stderr nobody reads.
  log.SetSink([&logs](std::string_view line) { logs.WriteDaemonLine(line); });
  struct SinkReset {  // the hub goes before the logger: plain writes again
    Logger& log;
    ~SinkReset() { log.SetSink(nullptr); }
  } sink_reset{log};
  io::ProcessManager processes(
      &loop, io::ProcessManagerOptions{state_dir, config.daemon.log_dir, &logs},
      io::ProcessCallbacks{[&executor](const core::Event& e) {
                             if (executor) executor->Feed(e);
                           },
                           [&log](const std::string& line) { log.Info(line); }});
  if (auto err = processes.Init()) {
    log.Error(*err);
    return 1;
  }
  std::vector<std::string> spec_errors;
  CheckWorkers(config.root, "", processes, &spec_errors);
  if (!spec_errors.empty()) {
    for (const auto& e : spec_errors) log.Error(config.path + ": " + e);
    processes.Close();
    logs.Close();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 1;
  }

  int exit_code = 0;
  bool tree_stopped = false;
  bool stopping = false;
  bool ready_sent = false;
  std::unique_ptr<io::ControlServer> control;
  std::vector<std::unique_ptr<SignalWatch>> signals;

  auto close_all = [&] {
    for (auto& s : signals) s->Close();
    if (control) control->Close();
    executor->Close();
    processes.Close();
    logs.Close();
  };
  auto on_stopped = [&](const core::TreeStopped& stopped) {
    tree_stopped = true;
    switch (stopped.why) {
      case core::TreeStopped::Why::kShutdownRequested:
        exit_code = 0;
        log.Info("stopped");
        break;
      case core::TreeStopped::Why::kGaveUp:
        exit_code = 3;
        if (config.daemon.on_root_give_up == core::DaemonSpec::OnRootGiveUp::kStay && !stopping) {
          log.Warn("the root supervisor gave up; the tree is stopped, supd stays up "
                   "(on_root_give_up: stay; supctl start \"\" or shutdown)");
          return;
        }
        log.Error("the root supervisor gave up (reached max restart intensity); exiting with 3");
        break;
      case core::TreeStopped::Why::kAutoShutdown:
        exit_code = stopped.exit_code;
        log.Info("auto_shutdown of the root; exiting with " + std::to_string(exit_code));
        break;
    }
    io::NotifyServiceManager("STOPPING=1");
    close_all();
  };
  executor = std::make_unique<Executor>(&loop, config, processes, log, state_dir, on_stopped);
  executor->SetLogHub(&logs);

  control = std::make_unique<io::ControlServer>(
      &loop,
      io::ControlServerOptions{socket_path, config.daemon.socket_mode,
                               config.daemon.socket_gid, ::geteuid()},
      *executor);
  if (auto err = control->Start()) {
    log.Error(*err);
    control.reset();
    executor->Close();
    processes.Close();
    logs.Close();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 1;
  }
  // Only now: the socket check above proved that no other supd runs on this state dir,
  // so what its state file records is a dead instance's, not a live one's tree.
  processes.KillLeftoversOfPreviousInstance();

  auto request_stop = [&](const char* why) {
    if (tree_stopped) {  // on_root_give_up: stay, and now asked to go: a clean stop
      exit_code = 0;
      log.Info(std::string(why) + ": the tree is already stopped; exiting");
      close_all();
      return;
    }
    if (stopping) return;
    stopping = true;
    log.Info(std::string(why) + ": stopping the tree");
    io::NotifyServiceManager("STOPPING=1");
    core::OperatorRequest req;
    req.op = core::OperatorRequest::Op::kShutdown;
    executor->Operate(std::move(req), [](const core::Reply&) {});
  };
  signals.push_back(std::make_unique<SignalWatch>(&loop, SIGTERM, [&] { request_stop("SIGTERM"); }));
  signals.push_back(std::make_unique<SignalWatch>(&loop, SIGINT, [&] { request_stop("SIGINT"); }));
  signals.push_back(std::make_unique<SignalWatch>(&loop, SIGUSR1, [&] {
    log.Info("SIGUSR1: reopening log files");
    logs.ReopenFiles();
  }));
  signals.push_back(std::make_unique<SignalWatch>(&loop, SIGHUP, [&] {
    log.Warn("SIGHUP: reload is not available in this version yet; nothing changed");
  }));

  // systemd's READY=1 once the whole tree is up: after the root's own `ready` event, and
  // only when no node is still starting, stopping or waiting to restart (a child whose
  // first start failed is being restarted while the root already counts as ready).
  bool root_ready_seen = false;
  std::function<bool(const core::NodeStatus&)> settled = [&](const core::NodeStatus& n) {
    if (n.state == core::NodeState::kStarting || n.state == core::NodeState::kStopping ||
        n.state == core::NodeState::kBackoff) {
      return false;
    }
    for (const auto& c : n.children) {
      if (!settled(c)) return false;
    }
    return true;
  };
  executor->Subscribe([&](const core::Lifecycle& e, double) {
    // An operator restarted the root after it gave up (on_root_give_up: stay).
    if (e.kind == core::Lifecycle::Kind::kStarted && e.path.empty()) tree_stopped = false;
    if (ready_sent) return;
    if (e.kind == core::Lifecycle::Kind::kReady && e.path.empty()) root_ready_seen = true;
    if (!root_ready_seen) return;
    auto root = executor->Status("");
    if (!root || root->state != core::NodeState::kRunning || !settled(*root)) return;
    ready_sent = true;
    io::NotifyServiceManager("READY=1");
    log.Info("tree started; control socket " + socket_path);
  });
  log.Info("supd " SUPD_VERSION " starting " + config.path + (::getpid() == 1 ? " as PID 1" : ""));
  executor->Start();

  uv_run(&loop, UV_RUN_DEFAULT);
  executor.reset();
  uv_run(&loop, UV_RUN_DEFAULT);  // close callbacks of handles released above
  if (uv_loop_close(&loop) != 0) log.Debug("loop closed with handles still open");
  return exit_code;
}

}  // namespace supd
