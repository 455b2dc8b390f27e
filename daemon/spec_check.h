// Checks of a loaded config that need the process layer (what the config loader cannot
// know: whether this host can honour a worker's kill_mode), at start-up and on reload.
#pragma once

#include <string>
#include <vector>

#include "config/loader.h"
#include "daemon/core/child_spec.h"
#include "daemon/io/layers.h"

namespace supd {

/// Every worker (templates included) whose spec the process layer cannot honour, as
/// "PATH: reason".
void CheckWorkers(const core::ChildSpec& node, const std::string& path,
                  const io::ProcessLayer& processes, std::vector<std::string>* errors);

/// Loads `path` with the start-up loader and checks (includes re-globbed). `errors` is
/// empty exactly when `config` is set.
config::LoadResult LoadChecked(const std::string& path, const io::ProcessLayer& processes);

}  // namespace supd
