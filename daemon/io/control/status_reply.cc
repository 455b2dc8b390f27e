#include "daemon/io/control/status_reply.h"

namespace supd::io {

protocol::NodeContext NodeContextOf(const DaemonApi& api) {
  return protocol::NodeContext{
      [&api](core::Millis ms) { return api.ToUnixTime(ms); },
      [&api](std::string_view p) { return api.EffectiveKillMode(p); },
      // A captured worker's log health: `log_dropped` always, `log_error` while failing.
      [&api](std::string_view p, nlohmann::json* node) {
        auto state = api.LogStateOf(p);
        if (!state) return;
        (*node)["log_dropped"] = state->dropped;
        if (!state->error.empty()) (*node)["log_error"] = state->error;
      }};
}

std::string NoChildMessage(std::string_view path) {
  return "no child " + nlohmann::json(std::string(path))
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string StatusReplyLine(const DaemonApi& api, std::string_view path) {
  auto st = api.Status(path);
  if (!st) return protocol::ErrorLine(core::ErrorCode::kNotFound, NoChildMessage(path));
  nlohmann::json body = nlohmann::json::object();
  body["node"] = protocol::NodeToJson(*st, NodeContextOf(api));
  if (path.empty()) body["node"]["idle"] = api.Idle();
  return protocol::OkLine(body);
}

}  // namespace supd::io
