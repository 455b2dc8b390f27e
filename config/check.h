// `supd --check` and `supctl config check FILE`.
#pragma once

#include <ostream>
#include <string>

namespace supd::config {

/// Loads the config at `path`. Valid: prints `ok: <path>: N supervisors, M workers`
/// (the root counts as a supervisor) to `out` and returns 0. Invalid: prints every error,
/// one per line, to `err` and returns 1.
int RunCheck(const std::string& path, std::ostream& out, std::ostream& err);

}  // namespace supd::config
