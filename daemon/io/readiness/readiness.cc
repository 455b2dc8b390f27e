// Readiness per `ready` kind (README, "Readiness"): exec and notify_fd here; sd_notify in
// readiness/sd_notify_ready.cc, command probes in readiness/probe.cc. Each reports ChildReady
// once, only while the main process lives. The core owns every deadline: start_timeout,
// `ready: {"after": D}` and the watchdog (daemon/core/supervisor_run.cc).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/errno_text.h"
#include "daemon/io/process/process_manager_impl.h"
#include "daemon/io/sys.h"

namespace supd::io {
namespace {

void SetEnv(std::vector<std::string>* envp, const std::string& key, const std::string& value) {
  std::string prefix = key + "=";
  for (auto& e : *envp) {
    if (e.compare(0, prefix.size(), prefix) == 0) {
      e = prefix + value;
      return;
    }
  }
  envp->push_back(prefix + value);
}

bool SetInSpec(const core::WorkerSpec& spec, const std::string& key) {
  return std::any_of(spec.env.begin(), spec.env.end(),
                     [&](const auto& kv) { return kv.first == key; });
}

}  // namespace

std::optional<std::string> ProcessManager::Impl::PrepareReadiness(Run& r, SpawnPlan* plan,
                                                                  PlanFds* fds) {
  const core::WorkerSpec& spec = *r.spec;
  if (spec.ready.kind != core::ReadySpec::Kind::kSdNotify && !SetInSpec(spec, "NOTIFY_SOCKET")) {
    // supd's own NOTIFY_SOCKET (from systemd) is not the child's: as systemd does for a
    // service without NotifyAccess, a child that does not speak sd_notify to us gets none.
    std::erase_if(plan->envp, [](const std::string& e) {
      return e.compare(0, 14, "NOTIFY_SOCKET=") == 0;
    });
  }
  switch (spec.ready.kind) {
    case core::ReadySpec::Kind::kNotifyFd: {
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0) return "spawn failed: pipe: " + common::ErrnoText(errno);
      fds->fds.push_back(p[1]);  // our copy of the write end closes after the spawn
      r.readiness.notify_fd = p[0];
      fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
      plan->notify_fd = p[1];
      plan->notify_target = spec.ready.notify_fd;
      break;
    }
    case core::ReadySpec::Kind::kSdNotify: {
      SdNotifyReceiver& socket = r.readiness.sd_socket;
      if (auto err = socket.Open(std::to_string(r.id))) return "spawn failed: " + *err;
      SetEnv(&plan->envp, "NOTIFY_SOCKET", socket.env_value());
      if (spec.watchdog && *spec.watchdog > 0) {
        SetEnv(&plan->envp, "WATCHDOG_USEC", std::to_string(*spec.watchdog * 1000));
      }
      break;
    }
    default:
      break;
  }
  return std::nullopt;
}

void ProcessManager::Impl::StartReadiness(Run& r) {
  const core::ReadySpec& ready = r.spec->ready;
  switch (ready.kind) {
    case core::ReadySpec::Kind::kAfter:
      return;  // the core's timer, armed at ChildSpawned
    case core::ReadySpec::Kind::kNotifyFd: {
      int rc = r.readiness.notify_poll.Init(
          [&](uv_poll_t* p) { return uv_poll_init(loop, p, r.readiness.notify_fd); }, &r);
      if (rc < 0) {
        Log(Name(r) + ": cannot watch the notify fd: " + uv_strerror(rc));
        return;
      }
      uv_poll_start(r.readiness.notify_poll.get(), UV_READABLE | UV_DISCONNECT,
                    [](uv_poll_t* p, int status, int) {
                      auto* run = static_cast<Run*>(p->data);
                      if (run == nullptr) return;
                      run->owner->OnNotifyReadable(*run, status);
                      run->owner->Flush();
                    });
      return;
    }
    case core::ReadySpec::Kind::kSdNotify:
      StartSdNotify(r);
      return;
    case core::ReadySpec::Kind::kCommand:
      StartProbe(r);
      return;
    case core::ReadySpec::Kind::kExec:
      break;
  }
  MarkReady(r);
}

void ProcessManager::Impl::MarkReady(Run& r) {
  if (!r.main_alive || r.readiness.ready) return;
  r.readiness.ready = true;
  Emit(core::ChildReady{r.id});
}

bool Readiness::NotifyHasNewline(bool* eof) {
  *eof = false;
  char buf[512];
  for (;;) {
    ssize_t n = read(notify_fd, buf, sizeof buf);
    if (n > 0) {
      if (std::memchr(buf, '\n', static_cast<std::size_t>(n)) != nullptr) return true;
      continue;  // anything before the newline is ignored
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return false;
    *eof = true;  // EOF or error: the child can no longer become ready this way
    return false;
  }
}

void ProcessManager::Impl::OnNotifyReadable(Run& r, int status) {
  bool eof = status < 0;
  bool ready = !eof && r.readiness.NotifyHasNewline(&eof);
  if (ready) MarkReady(r);
  // After the newline (or EOF) supd closes its end: later writes get EPIPE.
  if (ready || eof) r.readiness.CloseNotifyFd();
}

void Readiness::CloseNotifyFd() {
  notify_poll.Reset();  // stops polling before the fd is closed
  if (notify_fd >= 0) {
    close(notify_fd);
    notify_fd = -1;
  }
}

void ProcessManager::Impl::ReadinessAtExit(Run& r) {
  // A readiness line or datagram sent right before exiting still counts, before the exit.
  Readiness& ready = r.readiness;
  if (!ready.ready && ready.notify_fd >= 0) {
    bool eof = false;
    if (ready.NotifyHasNewline(&eof)) {
      ready.ready = true;
      Emit(core::ChildReady{r.id});
    }
  }
  if (ready.sd_socket.is_open()) {
    r.main_alive = true;  // judged as of the exit: messages sent before it count
    ready.sd_socket.Drain(
        [&](std::string_view text, uid_t uid, pid_t pid) { OnSdNotifyMessage(r, text, uid, pid); });
    r.main_alive = false;
  }
  StopReadiness(r);
}

void ProcessManager::Impl::StopReadiness(Run& r) {
  r.readiness.CloseChannels();
  StopProbe(r);
}

}  // namespace supd::io
