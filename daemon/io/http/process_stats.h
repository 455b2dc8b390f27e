// supd's own resource usage for the process_* metrics, read from /proc as the official
// Prometheus client libraries read it.
#pragma once

#include <optional>

#include "daemon/io/http/metrics_text.h"

namespace supd::io::http {

/// /proc/self/stat, /proc/stat's btime, /proc/self/fd and RLIMIT_NOFILE; nullopt when
/// /proc is not readable.
std::optional<ProcessStats> ReadProcessStats();

}  // namespace supd::io::http
