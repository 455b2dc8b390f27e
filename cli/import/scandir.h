// A runit / daemontools / s6 scan directory -> a supd tree: one worker per service
// directory (run, down, log/run; s6's type, notification-fd, timeout-kill, down-signal).
#pragma once

#include <string>

#include "cli/import/model.h"

namespace supd::cli::import {

enum class ScanFormat { kRunit, kDaemontools, kS6 };

/// Reads every service directory under `dir` (sorted by name; dot entries skipped;
/// symlinks followed, as runsvdir / svscan / s6-svscan do). Throws ImportError when
/// `dir` or a file that decides a mapping cannot be read or makes no sense.
Result ImportScanDir(ScanFormat format, const std::string& dir);

}  // namespace supd::cli::import
