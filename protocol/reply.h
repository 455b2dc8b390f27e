// Daemon-side rendering of replies and events: `{"ok":true,...}` /
// `{"ok":false,"error":CODE,"message":...}`, NODE and event objects (README, "Control
// protocol"). Pure.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "daemon/core/commands.h"
#include "daemon/core/tree.h"

namespace supd::protocol {

/// Protocol revision, reported by `version`.
inline constexpr int kProtocolVersion = 1;

/// A captured worker's log health: `log_dropped` always, `log_error` while failing.
struct LogHealth {
  std::uint64_t dropped = 0;
  std::string error;
};

/// What NodeJson needs from the daemon besides the snapshot.
struct NodeContext {
  std::function<double(core::Millis)> to_unix;            ///< monotonic ms -> unix seconds
  std::function<std::string(std::string_view)> kill_mode;  ///< path -> "group", ... or ""
  /// A worker's log health, nullopt when its output is not captured; optional.
  std::function<std::optional<LogHealth>(std::string_view path)> log_health = nullptr;
};

/// NODE (README, "Control protocol") as JSON text, with the extras: restart, kill_mode
/// (workers), ready_after_ms, status_text, operator_stopped, autostart_off, dynamic, the
/// log health; `idle` (the root's) when given. `last_exit` is null before the first exit.
/// Written straight to text (protocol/json_writer.h), keys in sorted order.
std::string NodeJson(const core::NodeStatus& node, const NodeContext& ctx,
                     std::optional<bool> idle = std::nullopt);
/// `{"node":NODE,"ok":true}` + "\n": the reply of `status` and of a satisfied `wait`.
std::string NodeReplyLine(const core::NodeStatus& node, const NodeContext& ctx,
                          std::optional<bool> idle = std::nullopt);
/// `{"event","path","kind","pid"?,"reason"?,"code"?,"signal"?,"error"?,"time","detail"?}`.
nlohmann::json LifecycleToJson(const core::Lifecycle& event, double unix_time);

/// `{"ok":true, ...fields}` + "\n". `fields` must be an object (or null).
std::string OkLine(nlohmann::json fields = nullptr);
/// `{"ok":false,"error":CODE,"message":...}` + "\n".
std::string ErrorLine(core::ErrorCode code, std::string_view message);
/// The reply to an operator request (ok with id/path for start_child, or the error).
std::string ReplyLine(const core::Reply& reply);
/// Compact one-line JSON + "\n"; invalid UTF-8 is replaced, never thrown.
std::string ToLine(const nlohmann::json& j);

}  // namespace supd::protocol
