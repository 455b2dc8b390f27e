#include "protocol/reply.h"

#include <utility>

#include "common/signals.h"
#include "protocol/json_writer.h"

namespace supd::protocol {

using nlohmann::json;

namespace {

void PutStatus(json& j, const core::ExitStatus& status) {
  if (status.kind == core::ExitStatus::Kind::kExited) {
    j["code"] = status.value;
  } else {
    j["signal"] = common::SignalName(status.value);
  }
}

}  // namespace

namespace {

// Keys in sorted order, as nlohmann/json prints the other replies.
void AppendNode(std::string& out, const core::NodeStatus& node, const NodeContext& ctx,
                std::optional<bool> idle) {
  JsonObjectWriter w(out);
  const bool worker = !node.supervisor;
  std::optional<LogHealth> log;
  if (worker && ctx.log_health) log = ctx.log_health(node.path);
  if (node.autostart_off) w.Bool("autostart_off", true);
  if (node.supervisor) {
    std::string& o = w.Key("children");
    o.push_back('[');
    for (std::size_t i = 0; i < node.children.size(); ++i) {
      if (i > 0) o.push_back(',');
      AppendNode(o, node.children[i], ctx, std::nullopt);
    }
    o.push_back(']');
  }
  if (node.dynamic) w.Bool("dynamic", true);
  w.String("id", node.id);
  if (idle) w.Bool("idle", *idle);
  if (worker && ctx.kill_mode) {
    std::string mode = ctx.kill_mode(node.path);
    if (!mode.empty()) w.String("kill_mode", mode);
  }
  w.String("kind", node.supervisor ? "supervisor" : "worker");
  if (node.last_exit) {
    const core::NodeStatus::LastExit& e = *node.last_exit;
    JsonObjectWriter x(w.Key("last_exit"));
    const bool exited = e.status.kind == core::ExitStatus::Kind::kExited;
    if (exited) x.Int("code", e.status.value);
    if (!e.error.empty()) x.String("error", e.error);
    x.String("reason", core::ToString(e.reason));
    if (!exited) x.String("signal", common::SignalName(e.status.value));
    x.Close();
  } else {
    w.Null("last_exit");
  }
  if (log) {
    w.Uint("log_dropped", log->dropped);
    if (!log->error.empty()) w.String("log_error", log->error);
  }
  if (node.operator_stopped) w.Bool("operator_stopped", true);
  w.String("path", node.path);
  if (node.pid) w.Int("pid", *node.pid);
  w.Bool("ready", node.ready);
  if (node.ready_after) w.Int("ready_after_ms", *node.ready_after);
  w.String("restart", core::ToString(node.restart));
  w.Int("restarts", node.restarts);
  w.Double("since", ctx.to_unix ? ctx.to_unix(node.since) : 0.0);
  w.String("state", core::ToString(node.state));
  if (!node.status_text.empty()) w.String("status_text", node.status_text);
  w.Close();
}

}  // namespace

std::string NodeJson(const core::NodeStatus& node, const NodeContext& ctx,
                     std::optional<bool> idle) {
  std::string out;
  AppendNode(out, node, ctx, idle);
  return out;
}

namespace {

// Nodes in the subtree, `node` included.
std::size_t CountNodes(const core::NodeStatus& node) {
  std::size_t count = 1;
  for (const core::NodeStatus& c : node.children) count += CountNodes(c);
  return count;
}

}  // namespace

std::string NodeReplyLine(const core::NodeStatus& node, const NodeContext& ctx,
                          std::optional<bool> idle) {
  std::string out = "{\"node\":";
  // About 220 bytes per node, over the whole subtree: one allocation for most trees.
  // Reserving for the root's own children only (one "pool" of 1,000) made the text grow
  // from 576 bytes a doubling at a time: ~130 page faults of supd per status (issue 16).
  out.reserve(64 + 256 * CountNodes(node));
  AppendNode(out, node, ctx, idle);
  out += ",\"ok\":true}\n";
  return out;
}

json LifecycleToJson(const core::Lifecycle& event, double unix_time) {
  json j = json::object();
  j["event"] = core::ToString(event.kind);
  j["path"] = event.path;
  j["kind"] = event.supervisor ? "supervisor" : "worker";
  if (event.pid) j["pid"] = *event.pid;
  if (event.reason) j["reason"] = core::ToString(*event.reason);
  if (event.status) PutStatus(j, *event.status);
  if (!event.error.empty()) j["error"] = event.error;
  j["time"] = unix_time;
  if (!event.detail.empty()) j["detail"] = event.detail;
  return j;
}

std::string ToLine(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  s.push_back('\n');
  return s;
}

std::string OkLine(json fields) {
  // Taken by value and extended in place: a status of 1,000 nodes was deep-copied here.
  // Objects keep their keys sorted, so "ok" lands where it always did.
  if (!fields.is_object()) fields = json::object();
  fields["ok"] = true;
  return ToLine(fields);
}

std::string ErrorLine(core::ErrorCode code, std::string_view message) {
  json j = json::object();
  j["ok"] = false;
  j["error"] = core::ToString(code == core::ErrorCode::kNone ? core::ErrorCode::kBadRequest
                                                            : code);
  j["message"] = std::string(message);
  return ToLine(j);
}

std::string ReplyLine(const core::Reply& reply) {
  if (reply.error != core::ErrorCode::kNone) return ErrorLine(reply.error, reply.message);
  json fields = json::object();
  if (reply.id) fields["id"] = *reply.id;
  if (reply.path) fields["path"] = *reply.path;
  return OkLine(std::move(fields));
}

}  // namespace supd::protocol
