#include "daemon/daemon_log.h"

#include <unistd.h>

#include <chrono>

#include "common/signals.h"
#include "daemon/io/log/log_text.h"

namespace supd {

bool ParseLogLevel(std::string_view text, LogLevel* out) {
  if (text == "error") *out = LogLevel::kError;
  else if (text == "warn" || text == "warning") *out = LogLevel::kWarn;
  else if (text == "info") *out = LogLevel::kInfo;
  else if (text == "debug") *out = LogLevel::kDebug;
  else return false;
  return true;
}

void Logger::Log(LogLevel level, std::string_view message) const {
  if (!Enabled(level)) return;
  std::string line;
  if (json_) {
    static constexpr const char* kNames[] = {"error", "warn", "info", "debug"};
    using namespace std::chrono;
    auto micros = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    io::log::AppendJsonDaemonLine(&line, micros, kNames[static_cast<int>(level)], ::getpid(),
                                  message);
  } else {
    line = "supd: ";
    line.append(message);
    line.push_back('\n');
  }
  if (sink_) {
    sink_(line);
    return;
  }
  // One write per line so that lines from supd and its children never interleave.
  ssize_t unused = ::write(STDERR_FILENO, line.data(), line.size());
  (void)unused;
}

namespace {
std::string Who(const core::Lifecycle& e) {
  std::string who = e.path.empty() ? "(root)" : e.path;
  if (e.pid) who += " (pid " + std::to_string(*e.pid) + ")";
  return who;
}

std::string HowItEnded(const core::Lifecycle& e) {
  if (!e.status) return "exited";
  if (e.status->kind == core::ExitStatus::Kind::kSignaled) {
    return "killed by " + common::SignalName(e.status->value);
  }
  return "exited with code " + std::to_string(e.status->value);
}
}  // namespace

std::string RenderLifecycle(const core::Lifecycle& e) {
  std::string text = Who(e);
  switch (e.kind) {
    case core::Lifecycle::Kind::kStarted:
      text += e.supervisor ? " supervisor starting" : " started";
      break;
    case core::Lifecycle::Kind::kReady: text += " ready"; break;
    case core::Lifecycle::Kind::kExited:
      text += " " + (e.supervisor ? std::string("supervisor exited") : HowItEnded(e));
      if (e.reason) text += std::string(" (") + core::ToString(*e.reason) + ")";
      break;
    case core::Lifecycle::Kind::kRestarting: text += " restarting"; break;
    case core::Lifecycle::Kind::kStopping: text += " stopping"; break;
    case core::Lifecycle::Kind::kGaveUp:
      text += " gave up: reached max restart intensity";
      break;
    case core::Lifecycle::Kind::kAutoShutdown: text += " auto_shutdown"; break;
    case core::Lifecycle::Kind::kReloaded: text += " reloaded"; break;
  }
  if (!e.detail.empty()) text += "; " + e.detail;
  return text;
}

LogLevel LifecycleLevel(const core::Lifecycle& e) {
  if (e.kind == core::Lifecycle::Kind::kGaveUp) return LogLevel::kWarn;
  if (e.kind == core::Lifecycle::Kind::kExited && e.reason == core::ExitReason::kAbnormal) {
    return LogLevel::kWarn;
  }
  return LogLevel::kInfo;
}

}  // namespace supd
