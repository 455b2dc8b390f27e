// The config loader: a JSON file (README, "Config reference") -> core::Config, with every
// error found.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/paths.h"  // FindConfig
#include "daemon/core/child_spec.h"

namespace supd::config {

/// One problem in a config. `line`/`column` (1-based) are set for syntax errors only;
/// `path` is the JSON path inside `file` (e.g. `children[1].shutdown`, "" for the
/// document itself) for semantic errors.
struct ConfigError {
  std::string file;
  std::string path;
  int line = 0;
  int column = 0;
  std::string message;

  /// `file:line:column: message` for syntax errors, `file: path: message` otherwise
  /// (`file: message` when the path is empty).
  std::string ToString() const;
};

/// The outcome of a load: `config` is set if and only if `errors` is empty.
struct LoadResult {
  std::optional<core::Config> config;
  /// Nodes in file order (a node's own keys before its children), the root file first,
  /// then the included files in include order.
  std::vector<ConfigError> errors;
};

/// Knobs for LoadString; the defaults are what the daemon wants.
struct LoadOptions {
  /// Read the files that `include` globs match. When false the patterns are still
  /// type-checked but no file is touched (the fuzzer uses this).
  bool follow_includes = true;
};

/// Reads and loads the config file at `path`; includes are relative to its directory.
/// The result's `config->path` is `path`.
LoadResult LoadFile(const std::string& path);

/// Loads config text. `file_name` names it in errors (and, if it exists on disk, is the
/// file that an include must not match again); `base_dir` is where relative include
/// globs are resolved ("" = the current directory).
///
/// Choices (README, "Choices supd makes"): an `id` at the root is an error (the root's id is
/// always ""), as are `restart`/`shutdown`/`significant` there; durations must carry a
/// unit (a bare number is ambiguous), sizes may also be a plain byte count; `user` and
/// `group` may be names or decimal ids; a numeric uid with no passwd entry needs an
/// explicit `group`; `daemon.socket` and `daemon.state_dir` are filled with the
/// defaults for the running uid (common/paths.h).
LoadResult LoadString(std::string_view text, const std::string& file_name,
                      const std::string& base_dir, const LoadOptions& options = {});

/// Number of supervisors (the root included) and workers in a tree; templates of
/// simple_one_for_one supervisors are not counted (they are not running children).
struct TreeCounts {
  int supervisors = 0;
  int workers = 0;
};
TreeCounts CountNodes(const core::ChildSpec& root);

}  // namespace supd::config
