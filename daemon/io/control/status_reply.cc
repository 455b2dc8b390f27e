#include "daemon/io/control/status_reply.h"

#include <optional>

namespace supd::io {

protocol::NodeContext NodeContextOf(const DaemonApi& api) {
  return protocol::NodeContext{
      [&api](core::Millis ms) { return api.ToUnixTime(ms); },
      [&api](std::string_view p) { return api.EffectiveKillMode(p); },
      [&api](std::string_view p) -> std::optional<protocol::LogHealth> {
        auto state = api.LogStateOf(p);
        if (!state) return std::nullopt;
        return protocol::LogHealth{state->dropped, state->error};
      }};
}

std::string NoChildMessage(std::string_view path) {
  return "no child " + nlohmann::json(std::string(path))
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string StatusReplyLine(const DaemonApi& api, std::string_view path) {
  auto st = api.Status(path);
  if (!st) return protocol::ErrorLine(core::ErrorCode::kNotFound, NoChildMessage(path));
  return protocol::NodeReplyLine(*st, NodeContextOf(api),
                                 path.empty() ? std::optional<bool>(api.Idle()) : std::nullopt);
}

}  // namespace supd::io
