#include "daemon/io/http/metrics_text.h"

#include <array>
#include <charconv>
#include <cmath>

namespace supd::io::http {
namespace {

constexpr std::array<core::NodeState, 6> kStates = {
    core::NodeState::kStopped,  core::NodeState::kStarting, core::NodeState::kRunning,
    core::NodeState::kStopping, core::NodeState::kBackoff,  core::NodeState::kExited};
constexpr std::array<const char*, 3> kReasons = {"normal", "abnormal", "shutdown"};

void AppendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  char buf[64];
  // Whole numbers as integers ("1700000000", not the shortest form "1.7e+09").
  auto res = std::abs(value) < 1e15 && value == std::floor(value)
                 ? std::to_chars(buf, buf + sizeof buf, static_cast<long long>(value))
                 : std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, res.ptr);
}

void AppendNumber(std::string& out, std::uint64_t value) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, res.ptr);
}

void Header(std::string& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

/// `name{key="value"} ` with the value escaped; the caller appends the number and "\n".
void Sample(std::string& out, std::string_view name, std::string_view key,
            std::string_view value) {
  out.append(name).append("{").append(key).append("=\"");
  out += EscapeLabelValue(value);
  out.append("\"} ");
}

std::uint64_t Lookup(const std::map<std::string, std::uint64_t>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

/// The per-node families, filled in one walk of the tree and emitted family by family (the
/// format wants each family's samples together).
struct NodeFamilies {
  std::string up, state, restarts, exits, start, uptime, gave_up;
};

void WalkNode(const core::NodeStatus& n, const MetricsInput& in, bool is_root,
              NodeFamilies& f) {
  const std::string& path = n.path;
  if (n.supervisor) {
    Sample(f.gave_up, "supd_supervisor_gave_up_total", "path", path);
    AppendNumber(f.gave_up, Lookup(in.counters->gave_up, path));
    f.gave_up += '\n';
  }
  if (!is_root) {
    const bool up = n.state == core::NodeState::kRunning;
    Sample(f.up, "supd_child_up", "path", path);
    f.up += up ? "1\n" : "0\n";
    const std::string escaped = EscapeLabelValue(path);
    for (core::NodeState s : kStates) {
      f.state.append("supd_child_state{path=\"").append(escaped).append("\",state=\"");
      f.state.append(core::ToString(s)).append(n.state == s ? "\"} 1\n" : "\"} 0\n");
    }
    Sample(f.restarts, "supd_child_restarts_total", "path", path);
    AppendNumber(f.restarts, static_cast<std::uint64_t>(n.restarts));
    f.restarts += '\n';
    auto exits = in.counters->exits.find(path);
    for (const char* reason : kReasons) {
      f.exits.append("supd_child_exits_total{path=\"").append(escaped).append("\",reason=\"");
      f.exits.append(reason).append("\"} ");
      AppendNumber(f.exits, exits == in.counters->exits.end() ? 0 : Lookup(exits->second, reason));
      f.exits += '\n';
    }
    if (n.ready_after) {
      Sample(f.start, "supd_child_start_seconds", "path", path);
      AppendNumber(f.start, static_cast<double>(*n.ready_after) / 1000.0);
      f.start += '\n';
    }
    Sample(f.uptime, "supd_child_uptime_seconds", "path", path);
    AppendNumber(f.uptime, up ? static_cast<double>(in.now - n.since) / 1000.0 : 0.0);
    f.uptime += '\n';
  }
  for (const core::NodeStatus& c : n.children) WalkNode(c, in, false, f);
}

void RenderProcess(std::string& out, const ProcessStats& p) {
  struct Row {
    const char* name;
    const char* type;
    const char* help;
    double value;
  };
  const Row rows[] = {
      {"process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
       p.cpu_seconds},
      {"process_open_fds", "gauge", "Number of open file descriptors.", p.open_fds},
      {"process_max_fds", "gauge", "Maximum number of open file descriptors.", p.max_fds},
      {"process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", p.virtual_bytes},
      {"process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
       p.resident_bytes},
      {"process_start_time_seconds", "gauge",
       "Start time of the process since unix epoch in seconds.", p.start_time_seconds},
  };
  for (const Row& r : rows) {
    Header(out, r.name, r.type, r.help);
    out.append(r.name).append(" ");
    AppendNumber(out, r.value);
    out += '\n';
  }
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    switch (ch) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string RenderMetrics(const MetricsInput& in) {
  static const MetricsCounters kNoCounters;
  MetricsInput input = in;
  if (input.counters == nullptr) input.counters = &kNoCounters;
  NodeFamilies f;
  if (input.root != nullptr) WalkNode(*input.root, input, true, f);
  std::string out;
  out.reserve(f.up.size() + f.state.size() + f.restarts.size() + f.exits.size() +
              f.start.size() + f.uptime.size() + f.gave_up.size() + 4096);
  auto family = [&out](std::string_view name, std::string_view type, std::string_view help,
                       const std::string& samples) {
    Header(out, name, type, help);
    out += samples;
  };
  family("supd_child_up", "gauge", "1 if the child is running (and ready), else 0.", f.up);
  family("supd_child_state", "gauge", "The child's state (one series per state, 1 for the current one).",
         f.state);
  family("supd_child_restarts_total", "counter",
         "Restarts of the child decided by its supervisor.", f.restarts);
  family("supd_child_exits_total", "counter",
         "Exits of the child seen by supd since it started, by reason.", f.exits);
  family("supd_child_start_seconds", "gauge",
         "Seconds from the child's last spawn to its readiness.", f.start);
  family("supd_child_uptime_seconds", "gauge",
         "Seconds since the child became running (0 when it is not running).", f.uptime);
  family("supd_supervisor_gave_up_total", "counter",
         "Times the supervisor gave up (more than intensity restarts within period).",
         f.gave_up);
  std::string dropped;
  for (const auto& [path, bytes] : input.counters->log_dropped_bytes) {
    Sample(dropped, "supd_log_dropped_bytes_total", "path", path);
    AppendNumber(dropped, bytes);
    dropped += '\n';
  }
  family("supd_log_dropped_bytes_total", "counter",
         "Bytes of the child's output that log capture dropped.", dropped);
  std::string requests;
  for (const auto& [cmd, n] : input.counters->control_requests) {
    Sample(requests, "supd_control_requests_total", "cmd", cmd);
    AppendNumber(requests, n);
    requests += '\n';
  }
  family("supd_control_requests_total", "counter",
         "Requests on the control socket since supd started, by command.", requests);
  std::string info;
  Sample(info, "supd_build_info", "version", input.version);
  info += "1\n";
  family("supd_build_info", "gauge", "supd's version (always 1).", info);
  if (input.event_streams) {
    Header(out, "supd_http_event_streams", "gauge", "Open /events streams.");
    out += "supd_http_event_streams ";
    AppendNumber(out, static_cast<std::uint64_t>(*input.event_streams));
    out += '\n';
  }
  if (input.process) RenderProcess(out, *input.process);
  return out;
}

}  // namespace supd::io::http
