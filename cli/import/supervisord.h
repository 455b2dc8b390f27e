// supervisord.conf -> a supd tree: programs become workers, [group:x] sections nested
// one_for_one supervisors, and whatever has no supd equivalent a note.
#pragma once

#include <map>
#include <string>

#include "cli/import/model.h"

namespace supd::cli::import {

struct SupervisordOptions {
  /// What `%(ENV_X)s` expands to (supctl import passes its own environment).
  std::map<std::string, std::string> environment;
  /// What `%(host_node_name)s` expands to.
  std::string host_name;
};

/// Reads `file` and the files its `[include] files=` globs match (relative to `file`'s
/// directory; like supervisord, an [include] inside an included file is not followed),
/// and maps them. Throws ImportError (file:line) for what supervisord would refuse: an
/// unreadable file, a malformed line, a bad `%(...)` interpolation, a value of the wrong
/// type, a group naming an unknown program, numprocs without %(process_num).
Result ImportSupervisord(const std::string& file, const SupervisordOptions& options);

}  // namespace supd::cli::import
