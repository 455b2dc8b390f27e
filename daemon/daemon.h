// The running daemon: the loop, the process layer, the executor, the control socket and
// supd's own signals, wired together. `RunDaemon` reads like the life of supd.
#pragma once

#include <optional>
#include <string>

#include "daemon/core/child_spec.h"
#include "daemon/daemon_log.h"

namespace supd {

struct DaemonOptions {
  core::Config config;
  std::optional<std::string> socket_override;  ///< --socket
  LogLevel log_level = LogLevel::kInfo;
};

/// Runs the tree until it stops. Returns supd's exit status: 0 after a requested stop,
/// 3 when the root gave up (on_root_give_up: exit), a significant child's status after an
/// auto_shutdown of the root, 1 when it could not start.
int RunDaemon(DaemonOptions options);

}  // namespace supd
