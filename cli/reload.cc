// supctl reload [--dry-run] [--restart-instances]: the plan, one line per child.
#include <cstdio>

#include "cli/commands.h"
#include "cli/session.h"
#include "protocol/reload.h"

namespace supd::cli {

int Reload(const Globals& g, bool dry_run, bool restart_instances) {
  nlohmann::json req = {{"cmd", "reload"}};
  if (dry_run) req["dry_run"] = true;
  if (restart_instances) req["restart_instances"] = true;
  Session s(g);
  std::string raw;
  auto reply = s.Call(req, s.DefaultDeadline(), &raw);
  if (!reply) return s.failure_code();
  if (g.json) {
    std::printf("%s\n", raw.c_str());
    return reply->ok ? kExitOk : kExitFailed;
  }
  if (!reply->ok) {
    for (const auto& e : reply->body.value("errors", nlohmann::json::array())) {
      PrintErr(e.value("text", e.value("message", "")));
    }
    s.PrintError(*reply);
    return kExitFailed;
  }
  std::vector<std::string> lines = protocol::PlanLines(reply->body.value("plan", nlohmann::json()));
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const bool summary = i + 1 == lines.size();
    std::printf("%s%s\n", summary ? (dry_run ? "dry run, nothing changed: " : "reloaded: ") : "",
                lines[i].c_str());
  }
  return kExitOk;
}

}  // namespace supd::cli
