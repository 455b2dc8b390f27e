// Turns a WorkerSpec into a SpawnPlan in the parent: environment, PATH lookup, user and
// groups (NSS), rlimits, stdio targets. May allocate and block on NSS; the child never does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/core/child_spec.h"
#include "daemon/io/process/spawner.h"

namespace supd::io {

/// Fds opened for one plan (stdout/stderr files); closed by the destructor.
struct PlanFds {
  std::vector<int> fds;
  PlanFds() = default;
  PlanFds(const PlanFds&) = delete;
  PlanFds& operator=(const PlanFds&) = delete;
  ~PlanFds();
};

/// Fills `plan` (all but the notify and cgroup fds) from `spec`. Relative output files are
/// taken relative to `log_dir`. `captured_out`/`captured_err` (when >= 0) are the capture
/// pipes that "log" and {"file"} outputs get instead (see OutputCapture). Returns the
/// SpawnFailed message on failure.
std::optional<std::string> BuildPlan(const core::WorkerSpec& spec, const std::string& log_dir,
                                     SpawnPlan* plan, PlanFds* fds, int captured_out = -1,
                                     int captured_err = -1);

}  // namespace supd::io
