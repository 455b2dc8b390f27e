#include "daemon/io/state/wanted_state.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/fs.h"

namespace supd::io {

WantedStateFile::WantedStateFile(const std::string& state_dir, const std::string& config_path)
    : path_(state_dir + "/wanted.json") {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::weakly_canonical(config_path, ec);
  config_ = ec ? config_path : abs.string();
}

WantedStateFile::Loaded WantedStateFile::Load() {
  Loaded out;
  std::ifstream in(path_);
  if (!in) {
    if (errno != ENOENT) out.problem = path_ + ": " + std::strerror(errno);
    saved_.reset();
    if (errno == ENOENT) saved_.emplace();
    return out;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  auto ignore = [&](const std::string& reason) {
    out.problem = path_ + ": " + reason;
    out.operator_stopped.clear();
    return out;
  };
  if (!doc.is_object() || !doc.contains("operator_stopped") ||
      !doc["operator_stopped"].is_array()) {
    return ignore("corrupt (expected {\"config\": ..., \"operator_stopped\": [...]})");
  }
  if (doc.contains("config") && doc["config"] != config_) {
    return ignore("written for another config (" + doc["config"].dump() + ", not \"" + config_ +
                  "\")");
  }
  for (const auto& p : doc["operator_stopped"]) {
    if (!p.is_string()) return ignore("corrupt (operator_stopped holds " + p.dump() + ")");
    out.operator_stopped.push_back(p.get<std::string>());
  }
  saved_ = out.operator_stopped;
  return out;
}

std::optional<std::string> WantedStateFile::Save(const std::vector<std::string>& operator_stopped) {
  if (saved_ && *saved_ == operator_stopped) return std::nullopt;
  nlohmann::json doc = {{"config", config_}, {"operator_stopped", operator_stopped}};
  if (auto error = common::WriteFileAtomic(path_, doc.dump() + "\n")) return error;
  saved_ = operator_stopped;
  return std::nullopt;
}

}  // namespace supd::io
