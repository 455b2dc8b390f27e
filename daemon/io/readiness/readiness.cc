// Readiness per `ready` kind (README, "Readiness"): exec, after, notify_fd here; sd_notify in
// readiness/sd_notify_ready.cc, command probes in readiness/probe.cc. Each reports ChildReady once, only
// while the main process lives; the core owns start_timeout.
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
      r.notify_fd = p[0];
      fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
      plan->notify_fd = p[1];
      plan->notify_target = spec.ready.notify_fd;
      break;
    }
    case core::ReadySpec::Kind::kSdNotify: {
      if (auto err = r.sd_socket.Open(std::to_string(r.id))) return "spawn failed: " + *err;
      SetEnv(&plan->envp, "NOTIFY_SOCKET", r.sd_socket.env_value());
      if (spec.watchdog && *spec.watchdog > 0) {
        r.watchdog_ms = *spec.watchdog;
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
    case core::ReadySpec::Kind::kAfter: {
      int rc = r.ready_timer.Init([&](uv_timer_t* t) { return uv_timer_init(loop, t); }, &r);
      if (rc < 0) break;
      // D counts from now, not from the loop's cached time (which may be long past after
      // a burst of spawns): otherwise "ready" could come before D.
      uv_update_time(loop);
      uv_timer_start(
          r.ready_timer.get(),
          [](uv_timer_t* t) {
            auto* run = static_cast<Run*>(t->data);
            if (run == nullptr) return;
            Impl* self = run->owner;
            self->MarkReady(*run);
            run->ready_timer.Reset();
            self->Flush();
          },
          static_cast<uint64_t>(std::max<core::Millis>(ready.after, 0)), 0);
      return;
    }
    case core::ReadySpec::Kind::kNotifyFd: {
      int rc = r.notify_poll.Init(
          [&](uv_poll_t* p) { return uv_poll_init(loop, p, r.notify_fd); }, &r);
      if (rc < 0) {
        Log(Name(r) + ": cannot watch the notify fd: " + uv_strerror(rc));
        return;
      }
      uv_poll_start(r.notify_poll.get(), UV_READABLE | UV_DISCONNECT,
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
  if (!r.main_alive || r.ready) return;
  r.ready = true;
  Emit(core::ChildReady{r.id});
  ArmWatchdog(r);  // the watchdog runs from readiness on
}

bool ProcessManager::Impl::NotifyHasNewline(Run& r, bool* eof) {
  *eof = false;
  char buf[512];
  for (;;) {
    ssize_t n = read(r.notify_fd, buf, sizeof buf);
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
  bool ready = !eof && NotifyHasNewline(r, &eof);
  if (ready) MarkReady(r);
  // After the newline (or EOF) supd closes its end: later writes get EPIPE.
  if (ready || eof) CloseNotifyFd(r);
}

void ProcessManager::Impl::CloseNotifyFd(Run& r) {
  r.notify_poll.Reset();  // stops polling before the fd is closed
  if (r.notify_fd >= 0) {
    close(r.notify_fd);
    r.notify_fd = -1;
  }
}

void ProcessManager::Impl::ReadinessAtExit(Run& r) {
  // A readiness line or datagram sent right before exiting still counts, before the exit.
  if (!r.ready && r.notify_fd >= 0) {
    bool eof = false;
    if (NotifyHasNewline(r, &eof)) {
      r.ready = true;
      Emit(core::ChildReady{r.id});
    }
  }
  if (r.sd_socket.is_open()) {
    r.main_alive = true;  // judged as of the exit: messages sent before it count
    r.sd_socket.Drain([&](std::string_view text, uid_t uid, pid_t pid) {
      OnSdNotifyMessage(r, text, uid, pid);
    });
    r.main_alive = false;
  }
  StopReadiness(r);
}

void ProcessManager::Impl::StopReadiness(Run& r) {
  r.ready_timer.Reset();
  CloseNotifyFd(r);
  r.sd_poll.Reset();
  r.sd_socket.Close();
  r.watchdog_timer.Reset();
  StopProbe(r);
}

}  // namespace supd::io
