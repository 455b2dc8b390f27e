// Prometheus text exposition format 0.0.4 of supd's tree and counters: a pure function of
// a status snapshot and counters (no clock, no I/O), so every line is unit-tested.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/core/tree.h"

namespace supd::io::http {

/// supd's own process, named as the official Prometheus client libraries name it.
struct ProcessStats {
  double cpu_seconds = 0;         ///< process_cpu_seconds_total (user + system)
  double resident_bytes = 0;      ///< process_resident_memory_bytes
  double virtual_bytes = 0;       ///< process_virtual_memory_bytes
  double open_fds = 0;            ///< process_open_fds
  double max_fds = 0;             ///< process_max_fds (soft RLIMIT_NOFILE)
  double start_time_seconds = 0;  ///< process_start_time_seconds (unix time)
};

/// What only the event stream and the control socket know (counted since supd started).
struct MetricsCounters {
  /// path -> exit reason ("normal", "abnormal", "shutdown") -> exits.
  std::map<std::string, std::map<std::string, std::uint64_t>> exits;
  std::map<std::string, std::uint64_t> gave_up;            ///< supervisor path -> give-ups
  std::map<std::string, std::uint64_t> control_requests;   ///< cmd -> requests
  std::map<std::string, std::uint64_t> log_dropped_bytes;  ///< worker path -> bytes
};

/// Everything one scrape renders. `root` is the whole tree's snapshot.
struct MetricsInput {
  const core::NodeStatus* root = nullptr;
  core::Millis now = 0;  ///< the clock of NodeStatus::since (monotonic ms)
  const MetricsCounters* counters = nullptr;
  std::optional<ProcessStats> process;  ///< absent: no process_* metrics
  std::string version;                  ///< supd_build_info{version}
  std::optional<std::size_t> event_streams;  ///< supd_http_event_streams (open /events)
};

/// The whole /metrics document: a `# HELP` and `# TYPE` line per family, then its
/// samples. Per child (every node but the root, label `path`): supd_child_up,
/// supd_child_state (one-hot over every state), supd_child_restarts_total,
/// supd_child_exits_total{reason} (all three reasons, zero included),
/// supd_child_start_seconds (last spawn to ready, when known), supd_child_uptime_seconds;
/// per supervisor (root included, path ""): supd_supervisor_gave_up_total; then
/// supd_log_dropped_bytes_total, supd_control_requests_total{cmd}, supd_build_info,
/// supd_http_event_streams and the process_* family.
std::string RenderMetrics(const MetricsInput& in);

/// A label value escaped as the format requires: `\` -> `\\`, `"` -> `\"`, newline -> `\n`.
std::string EscapeLabelValue(std::string_view value);

}  // namespace supd::io::http
