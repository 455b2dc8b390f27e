#include "tests/support/scenario.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace supd::testing {

namespace {

using nlohmann::json;

[[noreturn]] void Fail(const std::string& where, const std::string& what) {
  throw ScenarioError(where + ": " + what);
}

void CheckKeys(const json& obj, const std::string& where, const std::set<std::string>& allowed) {
  if (!obj.is_object()) Fail(where, "expected an object");
  for (const auto& [key, value] : obj.items()) {
    if (!allowed.contains(key)) Fail(where, "unknown key \"" + key + "\"");
  }
}

std::string GetString(const json& obj, const std::string& key, const std::string& where) {
  const json& v = obj.at(key);
  if (!v.is_string()) Fail(where + "." + key, "expected a string");
  return v.get<std::string>();
}

std::int64_t GetInt(const json& obj, const std::string& key, const std::string& where,
                    std::int64_t min) {
  const json& v = obj.at(key);
  if (!v.is_number_integer()) Fail(where + "." + key, "expected an integer");
  const auto n = v.get<std::int64_t>();
  if (n < min) Fail(where + "." + key, "must be >= " + std::to_string(min));
  return n;
}

bool GetBool(const json& obj, const std::string& key, const std::string& where) {
  const json& v = obj.at(key);
  if (!v.is_boolean()) Fail(where + "." + key, "expected a boolean");
  return v.get<bool>();
}

template <typename E>
E GetEnum(const json& obj, const std::string& key, const std::string& where,
          const std::vector<std::pair<std::string, E>>& names) {
  const std::string s = GetString(obj, key, where);
  for (const auto& [name, value] : names)
    if (name == s) return value;
  Fail(where + "." + key, "unknown value \"" + s + "\"");
}

const std::vector<std::pair<std::string, core::Strategy>> kStrategies = {
    {"one_for_one", core::Strategy::kOneForOne},
    {"one_for_all", core::Strategy::kOneForAll},
    {"rest_for_one", core::Strategy::kRestForOne},
    {"simple_one_for_one", core::Strategy::kSimpleOneForOne}};
const std::vector<std::pair<std::string, core::RestartType>> kRestarts = {
    {"permanent", core::RestartType::kPermanent},
    {"transient", core::RestartType::kTransient},
    {"temporary", core::RestartType::kTemporary}};
const std::vector<std::pair<std::string, core::AutoShutdown>> kAutoShutdowns = {
    {"never", core::AutoShutdown::kNever},
    {"any_significant", core::AutoShutdown::kAnySignificant},
    {"all_significant", core::AutoShutdown::kAllSignificant}};
const std::vector<std::pair<std::string, SigtermExit>> kSigtermExits = {
    {"shutdown", SigtermExit::kShutdown},
    {"crash", SigtermExit::kCrash},
    {"normal", SigtermExit::kNormal}};

ScenarioNode ParseNode(const json& j, const std::string& where, bool is_root, bool is_template,
                       core::AutoShutdown parent_auto) {
  if (!j.is_object()) Fail(where, "expected an object");
  ScenarioNode n;
  if (!j.contains("type")) Fail(where, "missing \"type\"");
  const std::string type = GetString(j, "type", where);
  if (type != "supervisor" && type != "worker") Fail(where + ".type", "unknown type " + type);
  n.supervisor = type == "supervisor";
  if (is_root && !n.supervisor) Fail(where, "the root must be a supervisor");
  if (is_template && n.supervisor) Fail(where, "a template must be a worker");

  std::set<std::string> allowed = {"id", "type"};
  if (!is_root) allowed.insert({"restart", "shutdown", "significant"});
  if (n.supervisor) {
    allowed.insert({"strategy", "intensity", "period", "auto_shutdown", "children", "template"});
  } else {
    allowed.insert({"ignores_sigterm", "sigterm_exit"});
  }
  CheckKeys(j, where, allowed);

  if (j.contains("id")) {
    n.id = GetString(j, "id", where);
    if (n.id.empty() || n.id.find('/') != std::string::npos)
      Fail(where + ".id", "must be non-empty and without '/'");
  } else if (!is_template) {
    Fail(where, "missing \"id\"");
  }
  if (is_root && n.id != "root") Fail(where + ".id", "the root's id must be \"root\"");

  if (j.contains("restart")) n.restart = GetEnum(j, "restart", where, kRestarts);
  if (n.supervisor)
    n.shutdown = core::Shutdown{core::Shutdown::Kind::kInfinity, 0};
  else
    n.shutdown = core::Shutdown{core::Shutdown::Kind::kTimeout, 5000};
  if (j.contains("shutdown")) {
    const json& s = j.at("shutdown");
    if (s.is_number_integer()) {
      const auto ms = s.get<std::int64_t>();
      if (ms < 0) Fail(where + ".shutdown", "must be >= 0");
      n.shutdown = core::Shutdown{core::Shutdown::Kind::kTimeout, ms};
    } else if (s == "brutal_kill") {
      n.shutdown = core::Shutdown{core::Shutdown::Kind::kBrutalKill, 0};
    } else if (s == "infinity") {
      n.shutdown = core::Shutdown{core::Shutdown::Kind::kInfinity, 0};
    } else {
      Fail(where + ".shutdown", "expected ms, \"brutal_kill\" or \"infinity\"");
    }
  }
  if (j.contains("significant")) {
    n.significant = GetBool(j, "significant", where);
    if (n.significant &&
        (parent_auto == core::AutoShutdown::kNever || n.restart == core::RestartType::kPermanent))
      Fail(where + ".significant",
           "only where the parent has auto_shutdown and restart is not permanent");
  }

  if (n.supervisor) {
    if (j.contains("strategy")) n.strategy = GetEnum(j, "strategy", where, kStrategies);
    if (j.contains("intensity")) n.intensity = static_cast<int>(GetInt(j, "intensity", where, 0));
    if (j.contains("period")) n.period_s = static_cast<int>(GetInt(j, "period", where, 1));
    if (j.contains("auto_shutdown"))
      n.auto_shutdown = GetEnum(j, "auto_shutdown", where, kAutoShutdowns);
    const bool sofo = n.strategy == core::Strategy::kSimpleOneForOne;
    if (j.contains("children")) {
      if (sofo) Fail(where + ".children", "not allowed with simple_one_for_one");
      const json& cs = j.at("children");
      if (!cs.is_array()) Fail(where + ".children", "expected an array");
      std::set<std::string> ids;
      for (std::size_t i = 0; i < cs.size(); ++i) {
        const std::string w = where + ".children[" + std::to_string(i) + "]";
        n.children.push_back(ParseNode(cs[i], w, false, false, n.auto_shutdown));
        if (!ids.insert(n.children.back().id).second) Fail(w + ".id", "duplicate id");
      }
    }
    if (j.contains("template")) {
      if (!sofo) Fail(where + ".template", "only with simple_one_for_one");
      n.child_template.push_back(
          ParseNode(j.at("template"), where + ".template", false, true, n.auto_shutdown));
    } else if (sofo) {
      Fail(where, "simple_one_for_one needs a template");
    }
  } else {
    if (j.contains("ignores_sigterm")) n.ignores_sigterm = GetBool(j, "ignores_sigterm", where);
    if (j.contains("sigterm_exit"))
      n.sigterm_exit = GetEnum(j, "sigterm_exit", where, kSigtermExits);
    if (n.ignores_sigterm && n.shutdown.kind != core::Shutdown::Kind::kTimeout)
      Fail(where + ".ignores_sigterm", "needs an integer shutdown");
  }
  return n;
}

const std::vector<std::pair<std::string, ScenarioAction::Verb>> kVerbs = {
    {"crash", ScenarioAction::Verb::kCrash},
    {"exit_normal", ScenarioAction::Verb::kExitNormal},
    {"exit_shutdown", ScenarioAction::Verb::kExitShutdown},
    {"kill", ScenarioAction::Verb::kKill},
    {"terminate_child", ScenarioAction::Verb::kTerminateChild},
    {"restart_child", ScenarioAction::Verb::kRestartChild},
    {"start_child", ScenarioAction::Verb::kStartChild},
    {"which_children", ScenarioAction::Verb::kWhichChildren},
    {"stop_tree", ScenarioAction::Verb::kStopTree}};

ScenarioAction ParseAction(const json& j, const std::string& where) {
  std::set<std::string> allowed = {"at_ms", "settle", "name"};
  for (const auto& [verb, v] : kVerbs) allowed.insert(verb);
  CheckKeys(j, where, allowed);
  ScenarioAction a;
  if (!j.contains("at_ms")) Fail(where, "missing \"at_ms\"");
  a.at_ms = GetInt(j, "at_ms", where, 0);
  if (j.contains("settle")) a.settle = GetBool(j, "settle", where);
  int verbs = 0;
  for (const auto& [name, verb] : kVerbs) {
    if (!j.contains(name)) continue;
    ++verbs;
    a.verb = verb;
    if (verb == ScenarioAction::Verb::kStopTree) {
      if (j.at(name) != true) Fail(where + "." + name, "expected true");
    } else {
      a.path = GetString(j, name, where);
      if (a.path != "root" && !a.path.starts_with("root/"))
        Fail(where + "." + name, "a path starts with root");
    }
  }
  if (verbs != 1) Fail(where, "exactly one verb expected");
  if (a.verb == ScenarioAction::Verb::kStartChild) {
    if (!j.contains("name")) Fail(where, "start_child needs \"name\"");
    a.name = GetString(j, "name", where);
    if (a.name.empty() || a.name.find('/') != std::string::npos)
      Fail(where + ".name", "must be non-empty and without '/'");
  } else if (j.contains("name")) {
    Fail(where + ".name", "only with start_child");
  }
  return a;
}

void AddSofoPaths(const ScenarioNode& n, const std::string& path, std::vector<std::string>& out) {
  if (!n.supervisor) return;
  if (n.strategy == core::Strategy::kSimpleOneForOne) out.push_back(path);
  for (const ScenarioNode& c : n.children) AddSofoPaths(c, path + "/" + c.id, out);
}

core::ChildSpec BuildNode(const ScenarioNode& n, const std::string& path,
                          const SpecOptions& options) {
  core::ChildSpec spec;
  spec.id = path == "root" ? "" : n.id;
  spec.restart = n.restart;
  spec.shutdown = n.shutdown;
  spec.significant = n.significant;
  if (!n.supervisor) {
    auto w = std::make_shared<core::WorkerSpec>();
    w->command = options.command ? options.command(path, n)
                                 : std::vector<std::string>{"scenario-worker", path};
    w->ready = options.ready;
    spec.worker = std::move(w);
    return spec;
  }
  auto s = std::make_shared<core::SupervisorSpec>();
  s->strategy = n.strategy;
  s->intensity = n.intensity;
  s->period = static_cast<core::Millis>(n.period_s) * 1000;
  s->auto_shutdown = n.auto_shutdown;
  for (const ScenarioNode& c : n.children)
    s->children.push_back(BuildNode(c, path + "/" + c.id, options));
  if (!n.child_template.empty()) {
    // Instances get their own paths; the template's command names the supervisor.
    core::ChildSpec t = BuildNode(n.child_template.front(), path, options);
    t.id = "";
    s->child_template = std::move(t);
  }
  spec.supervisor = std::move(s);
  return spec;
}

}  // namespace

const char* ToString(ScenarioAction::Verb verb) {
  for (const auto& [name, v] : kVerbs)
    if (v == verb) return name.c_str();
  return "?";
}

Scenario ParseScenario(std::string_view json_text) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw ScenarioError(std::string("invalid JSON: ") + e.what());
  }
  CheckKeys(j, "$", {"name", "description", "tree", "actions", "end_ms"});
  Scenario s;
  if (!j.contains("name")) Fail("$", "missing \"name\"");
  s.name = GetString(j, "name", "$");
  if (j.contains("description")) s.description = GetString(j, "description", "$");
  if (!j.contains("tree")) Fail("$", "missing \"tree\"");
  s.root = ParseNode(j.at("tree"), "$.tree", true, false, core::AutoShutdown::kNever);
  if (!j.contains("actions") || !j.at("actions").is_array()) Fail("$.actions", "expected an array");
  const json& actions = j.at("actions");
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const std::string where = "$.actions[" + std::to_string(i) + "]";
    s.actions.push_back(ParseAction(actions[i], where));
    if (i > 0 && s.actions[i].at_ms < s.actions[i - 1].at_ms)
      Fail(where + ".at_ms", "actions must be in non-decreasing at_ms order");
  }
  const core::Millis last = s.actions.empty() ? 0 : s.actions.back().at_ms;
  s.end_ms = j.contains("end_ms") ? GetInt(j, "end_ms", "$", 0) : last + 500;
  return s;
}

Scenario LoadScenario(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ScenarioError("cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  Scenario s;
  try {
    s = ParseScenario(buf.str());
  } catch (const ScenarioError& e) {
    throw ScenarioError(path + ": " + e.what());
  }
  const std::string stem = std::filesystem::path(path).stem().string();
  if (s.name != stem) throw ScenarioError(path + ": name \"" + s.name + "\" != file name");
  return s;
}

std::string ConformanceDir() {
  if (const char* env = std::getenv("SUPD_CONFORMANCE_DIR")) return env;
  return SUPD_CONFORMANCE_DIR;
}

std::string ExtraConformanceDir() {
  return std::string(SUPD_SOURCE_DIR) + "/tests/data/conformance_extra";
}

std::vector<std::string> ListScenarioFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/scenarios")) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ScenarioError("cannot read " + path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> ReadExpectedTrace(const std::string& name, const std::string& dir) {
  return ReadLines(dir + "/expected/" + name + ".trace");
}

std::string SupdPath(std::string_view scenario_path) {
  if (scenario_path == "root") return "";
  if (scenario_path.starts_with("root/")) return std::string(scenario_path.substr(5));
  throw ScenarioError("not a scenario path: " + std::string(scenario_path));
}

std::string ScenarioPath(std::string_view supd_path) {
  if (supd_path.empty()) return "root";
  return "root/" + std::string(supd_path);
}

core::ChildSpec BuildChildSpec(const Scenario& scenario, const SpecOptions& options) {
  return BuildNode(scenario.root, "root", options);
}

std::vector<std::string> SimpleOneForOnePaths(const Scenario& scenario) {
  std::vector<std::string> out;
  AddSofoPaths(scenario.root, "root", out);
  return out;
}

std::vector<std::string> CanonicalTrace(std::vector<std::string> lines,
                                        const std::vector<std::string>& sofo_paths) {
  // The simple_one_for_one supervisor a `stop` line's path is an instance of, or "".
  auto group_of = [&](const std::string& line) -> std::string {
    if (!line.starts_with("stop ")) return {};
    const std::size_t end = line.find(' ', 5);
    const std::string path = line.substr(5, end == std::string::npos ? end : end - 5);
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) return {};
    const std::string parent = path.substr(0, slash);
    return std::find(sofo_paths.begin(), sofo_paths.end(), parent) != sofo_paths.end()
               ? parent
               : std::string{};
  };
  std::size_t i = 0;
  while (i < lines.size()) {
    const std::string g = group_of(lines[i]);
    std::size_t j = i + 1;
    if (!g.empty()) {
      while (j < lines.size() && group_of(lines[j]) == g) ++j;
      std::sort(lines.begin() + static_cast<std::ptrdiff_t>(i),
                lines.begin() + static_cast<std::ptrdiff_t>(j));
    }
    i = j;
  }
  return lines;
}

std::string DiffTraces(const std::vector<std::string>& expected,
                       const std::vector<std::string>& actual) {
  if (expected == actual) return {};
  // Longest common subsequence: the traces are short.
  const std::size_t n = expected.size(), m = actual.size();
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      lcs[i][j] =
          expected[i] == actual[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::ostringstream out;
  out << "--- expected\n+++ actual\n";
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] == actual[j]) {
      out << "  " << expected[i++] << "\n";
      ++j;
    } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out << "+ " << actual[j++] << "\n";
    } else {
      out << "- " << expected[i++] << "\n";
    }
  }
  return out.str();
}

}  // namespace supd::testing
