#include "cli/import/emit.h"

#include <set>

#include "common/units.h"

namespace supd::cli::import {
namespace {

using nlohmann::ordered_json;

constexpr std::size_t kMaxId = 64;

bool IdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string Sanitize(const std::string& id) {
  std::string out;
  for (char c : id) out += IdChar(c) ? c : '_';
  if (out.empty()) out = "_";
  if (out.size() > kMaxId) out.resize(kMaxId);
  return out;
}

void FixChildren(Node& parent, std::vector<std::string>& notes) {
  std::set<std::string> taken;
  for (Node& child : parent.children) {
    std::string id = Sanitize(child.id);
    for (int n = 2; taken.count(id); ++n) {
      std::string suffix = "-" + std::to_string(n);
      id = Sanitize(child.id).substr(0, kMaxId - suffix.size()) + suffix;
    }
    taken.insert(id);
    if (id != child.id) {
      notes.push_back("note: " + child.origin + ": id \"" + child.id + "\" became \"" + id +
                      "\" (ids are [A-Za-z0-9_.-]{1,64}, unique among siblings)");
      child.id = id;
    }
    FixChildren(child, notes);
  }
}

ordered_json OutputJson(const Output& o) {
  switch (o.kind) {
    case Output::Kind::kLog:
      return "log";
    case Output::Kind::kNull:
      return "null";
    case Output::Kind::kStdout:
      return "stdout";
    case Output::Kind::kFile:
      break;
  }
  ordered_json j;
  j["file"] = o.file;
  if (o.max_size) j["max_size"] = common::FormatSize(*o.max_size);
  if (o.keep) j["keep"] = *o.keep;
  if (o.timestamps) j["timestamps"] = true;
  return j;
}

void WorkerKeys(const Node& n, ordered_json& j) {
  j["command"] = n.command;
  if (n.cwd) j["cwd"] = *n.cwd;
  if (n.user) j["user"] = *n.user;
  if (n.group) j["group"] = *n.group;
  if (n.umask) j["umask"] = *n.umask;
  if (!n.env.empty()) {
    ordered_json env = ordered_json::object();
    for (const auto& [k, v] : n.env) env[k] = v;
    j["env"] = env;
  }
  if (n.stop_signal) j["stop_signal"] = *n.stop_signal;
  if (n.kill_mode) j["kill_mode"] = *n.kill_mode;
  if (n.normal_exit_codes) j["normal_exit_codes"] = *n.normal_exit_codes;
  if (n.ready_after) j["ready"] = {{"after", common::FormatDuration(*n.ready_after)}};
  if (n.ready_notify_fd) j["ready"] = {{"notify_fd", *n.ready_notify_fd}};
  if (n.start_timeout) j["start_timeout"] = common::FormatDuration(*n.start_timeout);
  if (n.stdout_spec) j["stdout"] = OutputJson(*n.stdout_spec);
  if (n.stderr_spec) j["stderr"] = OutputJson(*n.stderr_spec);
}

void SupervisorKeys(const Node& n, ordered_json& j) {
  if (n.strategy) j["strategy"] = *n.strategy;
  if (n.intensity) j["intensity"] = *n.intensity;
  if (n.period) j["period"] = common::FormatDuration(*n.period);
  if (n.backoff_initial || n.backoff_max) {
    ordered_json b = ordered_json::object();
    if (n.backoff_initial) b["initial"] = common::FormatDuration(*n.backoff_initial);
    if (n.backoff_max) b["max"] = common::FormatDuration(*n.backoff_max);
    j["backoff"] = b;
  }
  ordered_json children = ordered_json::array();
  for (const Node& c : n.children) children.push_back(ToJson(c));
  j["children"] = children;
}

std::string Count(long long n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

void MakeIdsValid(Node& root, std::vector<std::string>& notes) {
  FixChildren(root, notes);
}

ordered_json ToJson(const Node& n) {
  ordered_json j = ordered_json::object();
  if (!n.id.empty()) j["id"] = n.id;  // the root has none
  if (n.restart) j["restart"] = *n.restart;
  if (n.shutdown) j["shutdown"] = *n.shutdown;
  if (!n.autostart) j["autostart"] = false;
  if (n.supervisor)
    SupervisorKeys(n, j);
  else
    WorkerKeys(n, j);
  return j;
}

std::string Summary(int programs, int groups, std::size_t notes) {
  std::string what = groups < 0 ? Count(programs, "service", "services")
                                : Count(programs, "program", "programs") + " in " +
                                      Count(groups, "group", "groups");
  return "imported " + what + "; " + Count(static_cast<long long>(notes), "note", "notes");
}

}  // namespace supd::cli::import
