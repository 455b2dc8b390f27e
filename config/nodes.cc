// Parsing of tree nodes: kind detection, the keys of every child, the root.
#include "config/nodes.h"

#include <algorithm>
#include <memory>

#include "config/fields.h"
#include "common/units.h"

namespace supd::config {

const std::vector<std::string_view> kChildKeys = {"id", "restart", "shutdown", "significant",
                                                  "autostart"};
const std::vector<std::string_view> kWorkerKeys = {"command",
                                                   "cwd",
                                                   "user",
                                                   "group",
                                                   "umask",
                                                   "env",
                                                   "env_clear",
                                                   "rlimits",
                                                   "stop_signal",
                                                   "kill_mode",
                                                   "normal_exit_codes",
                                                   "ready",
                                                   "start_timeout",
                                                   "watchdog",
                                                   "stdout",
                                                   "stderr",
                                                   "stdin",
                                                   "log_buffer"};
const std::vector<std::string_view> kSupervisorKeys = {
    "strategy",      "intensity",  "period",  "auto_shutdown", "restart_mode",
    "restart_order", "stop_order", "backoff", "template",      "max_children",
    "children"};

const Json* Find(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(key));
  return it == obj.end() ? nullptr : &*it;
}

namespace {

using core::AutoShutdown;

enum class NodeKind { kWorker, kSupervisor, kUnknown };

bool Contains(const std::vector<std::string_view>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::vector<std::string_view> Concat(std::vector<std::string_view> a,
                                     const std::vector<std::string_view>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The first supervisor-making key of `node`, or "".
std::string_view SupervisorMarker(const Json& node) {
  for (std::string_view key : {"children", "strategy", "template"}) {
    if (Find(node, key)) return key;
  }
  return "";
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

// Unknown keys, and keys of the other kind with a message that says why they are wrong.
void CheckNodeKeys(Diag& diag, const Json& node, const std::string& path, NodeKind kind,
                   NodeRole role, std::string_view marker) {
  static const std::vector<std::string_view> kAll =
      Concat(Concat(kChildKeys, kWorkerKeys), kSupervisorKeys);
  for (const auto& [key, value] : node.items()) {
    bool is_worker_key = Contains(kWorkerKeys, key);
    bool is_sup_key = Contains(kSupervisorKeys, key);
    if (key == "include") {
      diag.Error(Member(path, key),
                 "\"include\" is only allowed at the top of the root "
                 "config file");
    } else if (role == NodeRole::kTemplate && key == "id") {
      diag.Error(Member(path, key), "a template has no id (start_child names the instances)");
    } else if (role == NodeRole::kTemplate && key == "autostart") {
      diag.Error(Member(path, key),
                 "a template has no autostart (its instances start when start_child asks)");
    } else if (Contains(kChildKeys, key) || kind == NodeKind::kUnknown) {
      if (!Contains(kAll, key)) {
        diag.Error(Member(path, key), "unknown key \"" + key + "\"" + DidYouMean(key, kAll));
      }
    } else if (kind == NodeKind::kSupervisor && is_worker_key) {
      diag.Error(Member(path, key), "\"" + key +
                                        "\" is a worker key, but this node is a "
                                        "supervisor (it has \"" +
                                        std::string(marker) + "\")");
    } else if (kind == NodeKind::kWorker && is_sup_key) {
      std::string why = role == NodeRole::kTemplate ? "a template must be a worker"
                                                    : "this node is a worker (it has \"command\")";
      diag.Error(Member(path, key), "\"" + key + "\" is a supervisor key, but " + why);
    } else if (!is_worker_key && !is_sup_key) {
      const auto& own = kind == NodeKind::kWorker ? kWorkerKeys : kSupervisorKeys;
      diag.Error(Member(path, key),
                 "unknown key \"" + key + "\"" + DidYouMean(key, Concat(kChildKeys, own)));
    }
  }
}

// Picks the kind from the keys present; reports "both" and "neither".
NodeKind DetectKind(Diag& diag, const Json& node, const std::string& path, NodeRole role) {
  std::string_view marker = SupervisorMarker(node);
  bool has_command = Find(node, "command") != nullptr;
  if (role == NodeRole::kTemplate) {
    if (!has_command) diag.Error(path, "missing \"command\" (a template is a worker spec)");
    return NodeKind::kWorker;
  }
  if (has_command && !marker.empty()) {
    diag.Error(path,
               "a node cannot be both a worker (it has \"command\") and a supervisor "
               "(it has \"" +
                   std::string(marker) + "\")");
    return NodeKind::kUnknown;
  }
  if (has_command) return NodeKind::kWorker;
  if (!marker.empty()) return NodeKind::kSupervisor;
  // Stay quiet when a misspelt key ("comand") is the likely cause: that error says it.
  for (const auto& [key, value] : node.items()) {
    auto s = Suggest(key, {"command", "children", "strategy", "template"});
    if (s) return NodeKind::kUnknown;
  }
  diag.Error(path,
             "expected \"command\" (a worker) or \"children\", \"strategy\" or "
             "\"template\" (a supervisor)");
  return NodeKind::kUnknown;
}

void ParseChildKeys(Diag& diag, const Json& node, const std::string& path,
                    AutoShutdown parent_auto_shutdown, core::ChildSpec& child) {
  if (const Json* v = Find(node, "restart")) {
    child.restart = ReadEnum<core::RestartType>(diag, *v, Member(path, "restart"))
                        .value_or(child.restart);
  }
  if (const Json* v = Find(node, "shutdown")) {
    using Kind = core::Shutdown::Kind;
    std::optional<core::Millis> ms;
    if (v->is_string()) ms = common::ParseDuration(v->get_ref<const std::string&>());
    if (v->is_string() && *v == "brutal_kill")
      child.shutdown = {Kind::kBrutalKill, 0};
    else if (v->is_string() && *v == "infinity")
      child.shutdown = {Kind::kInfinity, 0};
    else if (ms && *ms > 0 && *ms <= common::kMaxDuration)
      child.shutdown = {Kind::kTimeout, *ms};
    else if (ms && *ms > 0)
      Expected(diag, *v, Member(path, "shutdown"), "a duration of at most 87600h");
    else if (ms)
      diag.Error(Member(path, "shutdown"),
                 "expected a positive duration (use "
                 "\"brutal_kill\" to kill at once), got " +
                     Describe(*v));
    else
      Expected(diag, *v, Member(path, "shutdown"),
               "\"brutal_kill\", \"infinity\" or a duration like \"5s\"");
  }
  if (const Json* v = Find(node, "significant")) {
    child.significant = ReadBool(diag, *v, Member(path, "significant")).value_or(false);
    if (child.significant && parent_auto_shutdown == AutoShutdown::kNever) {
      diag.Error(Member(path, "significant"),
                 "only allowed where the parent supervisor has "
                 "auto_shutdown \"any_significant\" or \"all_significant\"; its auto_shutdown is "
                 "\"never\"");
    } else if (child.significant && child.restart == core::RestartType::kPermanent) {
      diag.Error(Member(path, "significant"),
                 "a significant child cannot be \"permanent\": "
                 "set restart to \"transient\" or \"temporary\"");
    }
  }
  if (const Json* v = Find(node, "autostart")) {
    child.autostart = ReadBool(diag, *v, Member(path, "autostart")).value_or(true);
  }
}

}  // namespace

core::ChildSpec ParseNode(Diag& diag, const Json& node, const std::string& path,
                          AutoShutdown parent_auto_shutdown, NodeRole role) {
  core::ChildSpec child;
  if (!node.is_object()) {
    Expected(diag, node, path, role == NodeRole::kTemplate ? "a worker object" : "a child object");
    return child;
  }
  if (role == NodeRole::kChild) {
    const Json* id = Find(node, "id");
    if (!id) {
      diag.Error(path, "missing \"id\"");
    } else if (id->is_string() && ValidId(id->get<std::string>())) {
      child.id = id->get<std::string>();
    } else {
      Expected(diag, *id, Member(path, "id"), "an id of 1 to 64 characters A-Z a-z 0-9 _ . -");
    }
  }
  NodeKind kind = DetectKind(diag, node, path, role);
  CheckNodeKeys(diag, node, path, kind, role, SupervisorMarker(node));
  if (kind == NodeKind::kSupervisor) child.shutdown = {core::Shutdown::Kind::kInfinity, 0};
  ParseChildKeys(diag, node, path, parent_auto_shutdown, child);
  if (kind == NodeKind::kWorker) {
    child.worker = std::make_shared<core::WorkerSpec>(ParseWorkerKeys(diag, node, path));
  } else if (kind == NodeKind::kSupervisor) {
    child.supervisor =
        std::make_shared<core::SupervisorSpec>(ParseSupervisorKeys(diag, node, path));
  }
  return child;
}

namespace {

void ParseIncludeKey(Diag& diag, const Json& v, std::vector<IncludePattern>& includes) {
  auto add = [&](const Json& item, const std::string& path) {
    if (auto s = ReadString(diag, item, path, "a glob like \"conf.d/*.json\"")) {
      includes.push_back({*s, path});
    }
  };
  if (v.is_string()) {
    add(v, "include");
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) add(v[i], Element("include", i));
  } else {
    Expected(diag, v, "include", "a glob or an array of globs like [\"conf.d/*.json\"]");
  }
}

}  // namespace

core::ChildSpec ParseChild(Diag& diag, const Json& node, const std::string& path,
                           AutoShutdown parent_auto_shutdown) {
  return ParseNode(diag, node, path, parent_auto_shutdown, NodeRole::kChild);
}

core::SupervisorSpec ParseRoot(Diag& diag, const Json& root,
                               std::vector<IncludePattern>& includes) {
  if (!root.is_object()) {
    Expected(diag, root, "", "an object (the root supervisor)");
    return {};
  }
  static const std::vector<std::string_view> kRootKeys =
      Concat(kSupervisorKeys, {"daemon", "include"});
  for (const auto& [key, value] : root.items()) {
    if (Contains(kRootKeys, key)) continue;
    if (key == "id") {
      // The root's id is always "" (its path); accepting one would suggest otherwise.
      diag.Error(key, "the root supervisor has no id (its path is \"\")");
    } else if (Contains(kChildKeys, key)) {
      diag.Error(key, "not allowed at the root (the root supervisor has no parent)");
    } else if (Contains(kWorkerKeys, key)) {
      diag.Error(key, "\"" + key +
                          "\" is a worker key; the root is a supervisor: put "
                          "workers in \"children\"");
    } else {
      diag.Error(key, "unknown key \"" + key + "\"" + DidYouMean(key, kRootKeys));
    }
  }
  if (const Json* v = Find(root, "include")) ParseIncludeKey(diag, *v, includes);
  return ParseSupervisorKeys(diag, root, "");
}

}  // namespace supd::config
