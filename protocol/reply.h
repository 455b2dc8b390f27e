// Daemon-side rendering of replies and events: `{"ok":true,...}` /
// `{"ok":false,"error":CODE,"message":...}`, NODE and event objects (README, "Control
// protocol"). Pure.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "daemon/core/commands.h"
#include "daemon/core/tree.h"

namespace supd::protocol {

/// Protocol revision, reported by `version`.
inline constexpr int kProtocolVersion = 1;

/// What NodeToJson needs from the daemon besides the snapshot.
struct NodeContext {
  std::function<double(core::Millis)> to_unix;            ///< monotonic ms -> unix seconds
  std::function<std::string(std::string_view)> kill_mode;  ///< path -> "group", ... or ""
  /// Adds daemon-side fields to a worker's NODE (`log_dropped`, `log_error`); optional.
  std::function<void(std::string_view path, nlohmann::json* node)> worker_extra = nullptr;
};

/// NODE (README, "Control protocol") with the extras: restart, kill_mode (workers),
/// ready_after_ms, status_text, operator_stopped, autostart_off, dynamic. `last_exit` is
/// null before the first exit.
nlohmann::json NodeToJson(const core::NodeStatus& node, const NodeContext& ctx);
/// `{"event","path","kind","pid"?,"reason"?,"code"?,"signal"?,"error"?,"time","detail"?}`.
nlohmann::json LifecycleToJson(const core::Lifecycle& event, double unix_time);

/// `{"ok":true, ...fields}` + "\n". `fields` must be an object (or null).
std::string OkLine(const nlohmann::json& fields = nullptr);
/// `{"ok":false,"error":CODE,"message":...}` + "\n".
std::string ErrorLine(core::ErrorCode code, std::string_view message);
/// The reply to an operator request (ok with id/path for start_child, or the error).
std::string ReplyLine(const core::Reply& reply);
/// Compact one-line JSON + "\n"; invalid UTF-8 is replaced, never thrown.
std::string ToLine(const nlohmann::json& j);

}  // namespace supd::protocol
