// supd's own readiness to its service manager: sd_notify(3) datagrams to $NOTIFY_SOCKET.
#pragma once

#include <string_view>

namespace supd::io {

/// Sends `state` (e.g. "READY=1", "STOPPING=1", "STATUS=...") to $NOTIFY_SOCKET when it is
/// set (path or abstract "@name"). Returns false when unset or the send failed. Never blocks.
bool NotifyServiceManager(std::string_view state);

}  // namespace supd::io
