// The reload reply (SPEC §3 `reload`): what a reload did or would do, as data and as the
// lines `supctl reload` prints. Pure.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "daemon/core/commands.h"
#include "daemon/core/reload_plan.h"

namespace supd::protocol {

/// The outcome of one reload request, built by the daemon.
struct ReloadOutcome {
  core::ErrorCode error = core::ErrorCode::kNone;  ///< kInvalidConfig: nothing changed
  std::string message;                             ///< errors: the human summary
  std::vector<config::ConfigError> errors;         ///< kInvalidConfig: every error found
  core::ReloadPlan plan;                           ///< ok: the plan (carried out unless dry_run)
  bool dry_run = false;
};

/// `{"ok":true,"dry_run":B,"plan":{"changes":[{"change","path","kind","details"}],
/// "warnings":[...],"daemon":[...],"summary":{"added",...}}}` or
/// `{"ok":false,"error":"invalid_config","message":...,"errors":[{"file","path","line",
/// "column","message"}]}`, without the newline.
nlohmann::json ReloadToJson(const ReloadOutcome& outcome);

/// The plan as lines: `+ path`, `- path`, `~ path (command, env)`, `= path (shutdown
/// 5s→10s)`, `* path template (command; new instances only)`, `! warning`, then the summary
/// line `1 added, ... unchanged`. Read from the JSON form (what supctl receives).
std::vector<std::string> PlanLines(const nlohmann::json& plan);

}  // namespace supd::protocol
