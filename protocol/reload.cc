#include "protocol/reload.h"

namespace supd::protocol {

using nlohmann::json;

namespace {

json PlanToJson(const core::ReloadPlan& plan) {
  json changes = json::array();
  for (const core::PlannedChange& c : plan.changes) {
    changes.push_back({{"change", core::ToString(c.kind)},
                       {"path", c.path},
                       {"kind", c.supervisor ? "supervisor" : "worker"},
                       {"details", c.details}});
  }
  return {{"changes", changes},
          {"warnings", plan.warnings},
          {"daemon", plan.daemon_changes},
          {"summary",
           {{"added", plan.added},
            {"removed", plan.removed},
            {"restarted", plan.restarted},
            {"policy", plan.policy},
            {"unchanged", plan.unchanged}}},
          {"text", plan.Summary()}};
}

std::string Joined(const json& details, const char* sep) {
  std::string out;
  for (const auto& d : details) {
    if (!d.is_string()) continue;
    if (!out.empty()) out += sep;
    out += d.get<std::string>();
  }
  return out;
}

}  // namespace

json ReloadToJson(const ReloadOutcome& outcome) {
  if (outcome.error != core::ErrorCode::kNone) {
    json errors = json::array();
    for (const config::ConfigError& e : outcome.errors) {
      json item = {{"file", e.file}, {"path", e.path}, {"message", e.message},
                   {"text", e.ToString()}};
      if (e.line > 0) {
        item["line"] = e.line;
        item["column"] = e.column;
      }
      errors.push_back(std::move(item));
    }
    return {{"ok", false}, {"error", core::ToString(outcome.error)},
            {"message", outcome.message}, {"errors", errors}};
  }
  return {{"ok", true}, {"dry_run", outcome.dry_run}, {"plan", PlanToJson(outcome.plan)}};
}

std::vector<std::string> PlanLines(const json& plan) {
  std::vector<std::string> lines;
  if (!plan.is_object()) return lines;
  for (const auto& c : plan.value("changes", json::array())) {
    const std::string change = c.value("change", "");
    std::string path = c.value("path", "");
    if (path.empty()) path = "(root)";
    const std::string sep = change == "restart" ? ", " : "; ";
    const std::string details = Joined(c.value("details", json::array()), sep.c_str());
    std::string line;
    if (change == "added") line = "+ " + path;
    else if (change == "removed") line = "- " + path;
    else if (change == "restart") line = "~ " + path + " restart (" + details + ")";
    else if (change == "policy") line = "= " + path + " policy (" + details + ")";
    else if (change == "template") line = "* " + path + " template (" + details + ")";
    else continue;
    if ((change == "added" || change == "removed") && c.value("kind", "") == "supervisor")
      line += " (supervisor)";
    lines.push_back(std::move(line));
  }
  for (const auto& d : plan.value("daemon", json::array()))
    if (d.is_string()) lines.push_back("= " + d.get<std::string>());
  for (const auto& w : plan.value("warnings", json::array()))
    if (w.is_string()) lines.push_back("! " + w.get<std::string>());
  lines.push_back(plan.value("text", ""));
  return lines;
}

}  // namespace supd::protocol
