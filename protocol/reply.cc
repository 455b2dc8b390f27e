#include "protocol/reply.h"

#include "common/signals.h"

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

json NodeToJson(const core::NodeStatus& node, const NodeContext& ctx) {
  json j = json::object();
  j["path"] = node.path;
  j["id"] = node.id;
  j["kind"] = node.supervisor ? "supervisor" : "worker";
  j["state"] = core::ToString(node.state);
  if (node.pid) j["pid"] = *node.pid;
  j["since"] = ctx.to_unix ? ctx.to_unix(node.since) : 0.0;
  j["restarts"] = node.restarts;
  if (node.last_exit) {
    json e = json::object();
    PutStatus(e, node.last_exit->status);
    e["reason"] = core::ToString(node.last_exit->reason);
    if (!node.last_exit->error.empty()) e["error"] = node.last_exit->error;
    j["last_exit"] = std::move(e);
  } else {
    j["last_exit"] = nullptr;
  }
  j["ready"] = node.ready;
  j["restart"] = core::ToString(node.restart);
  if (!node.supervisor) {
    std::string mode = ctx.kill_mode ? ctx.kill_mode(node.path) : std::string();
    if (!mode.empty()) j["kill_mode"] = mode;
    if (ctx.worker_extra) ctx.worker_extra(node.path, &j);
  }
  if (node.ready_after) j["ready_after_ms"] = *node.ready_after;
  if (!node.status_text.empty()) j["status_text"] = node.status_text;
  if (node.operator_stopped) j["operator_stopped"] = true;
  if (node.autostart_off) j["autostart_off"] = true;
  if (node.dynamic) j["dynamic"] = true;
  if (node.supervisor) {
    json children = json::array();
    for (const core::NodeStatus& c : node.children) children.push_back(NodeToJson(c, ctx));
    j["children"] = std::move(children);
  }
  return j;
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

std::string OkLine(const json& fields) {
  json j = json::object();
  j["ok"] = true;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) j[it.key()] = it.value();
  }
  return ToLine(j);
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
  return OkLine(fields);
}

}  // namespace supd::protocol
