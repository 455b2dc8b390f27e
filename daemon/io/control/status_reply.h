// The `status` reply of SPEC §3, rendered once for every front end: the control socket's
// `status` (what `supctl status --json` prints) and the HTTP `/status.json`.
#pragma once

#include <string>
#include <string_view>

#include "daemon/api.h"
#include "protocol/reply.h"

namespace supd::io {

/// How protocol::NodeJson reaches the daemon (unix time, kill modes, log health). `api`
/// must outlive the returned context.
protocol::NodeContext NodeContextOf(const DaemonApi& api);

/// `no child "PATH"`: the message of a not_found error.
std::string NoChildMessage(std::string_view path);

/// `{"ok":true,"node":NODE}` + "\n" for `path` ("" = root, which also carries "idle"), or
/// the not_found error line.
std::string StatusReplyLine(const DaemonApi& api, std::string_view path);

}  // namespace supd::io
