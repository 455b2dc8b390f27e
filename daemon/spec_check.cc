#include "daemon/spec_check.h"

namespace supd {

void CheckWorkers(const core::ChildSpec& node, const std::string& path,
                  const io::ProcessLayer& processes, std::vector<std::string>* errors) {
  if (node.worker) {
    if (auto err = processes.CheckSpec(*node.worker)) errors->push_back(path + ": " + *err);
    return;
  }
  if (!node.supervisor) return;
  if (node.supervisor->child_template) {
    CheckWorkers(*node.supervisor->child_template, path.empty() ? "template" : path + "/template",
                 processes, errors);
  }
  for (const auto& child : node.supervisor->children) {
    CheckWorkers(child, path.empty() ? child.id : path + "/" + child.id, processes, errors);
  }
}

config::LoadResult LoadChecked(const std::string& path, const io::ProcessLayer& processes) {
  config::LoadResult loaded = config::LoadFile(path);
  if (!loaded.config) return loaded;
  std::vector<std::string> problems;
  CheckWorkers(loaded.config->root, "", processes, &problems);
  for (const std::string& p : problems) {
    loaded.errors.push_back(config::ConfigError{path, "", 0, 0, p});
  }
  if (!loaded.errors.empty()) loaded.config.reset();
  return loaded;
}

}  // namespace supd
