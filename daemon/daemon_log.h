// The daemon's own log: one line per lifecycle event on stderr, prefixed "supd: ".
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "daemon/core/commands.h"

namespace supd {

enum class LogLevel { kError, kWarn, kInfo, kDebug };

/// Parses "error", "warn", "info", "debug"; nullopt-like false on anything else.
bool ParseLogLevel(std::string_view text, LogLevel* out);

class Logger {
 public:
  explicit Logger(LogLevel level = LogLevel::kInfo) : level_(level) {}
  void SetLevel(LogLevel level) { level_ = level; }
  /// daemon.log_format "json": each message as {"time","path":null,"level","pid","line"}.
  void SetJson(bool json) { json_ = json; }
  /// Where rendered lines go instead of a blocking write(2) to stderr (the log hub's
  /// non-blocking writer); nullptr restores the plain write.
  void SetSink(std::function<void(std::string_view line)> sink) { sink_ = std::move(sink); }
  bool Enabled(LogLevel level) const { return level <= level_; }
  /// Writes "supd: <message>\n" (or its JSON object) to stderr in one write.
  void Log(LogLevel level, std::string_view message) const;
  void Error(std::string_view m) const { Log(LogLevel::kError, m); }
  void Warn(std::string_view m) const { Log(LogLevel::kWarn, m); }
  void Info(std::string_view m) const { Log(LogLevel::kInfo, m); }
  void Debug(std::string_view m) const { Log(LogLevel::kDebug, m); }

 private:
  LogLevel level_;
  bool json_ = false;
  std::function<void(std::string_view)> sink_;
};

/// "web/worker-1 (pid 4242) killed by SIGSEGV; restart 3 of 5 within 10s" and the like.
/// The root is rendered as "(root)".
std::string RenderLifecycle(const core::Lifecycle& event);
/// Which level a lifecycle line is logged at (abnormal exits and give-ups warn).
LogLevel LifecycleLevel(const core::Lifecycle& event);

}  // namespace supd
