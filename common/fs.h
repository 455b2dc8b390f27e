// Files and directories the daemon keeps (state dir, socket dir, wanted state). Errors
// follow the convention of DESIGN.md ("Style"): nullopt on success, else a message
// naming the path and the cause.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace supd::common {

/// `mkdir -p dir`: creates every missing component with `mode`. Success when `dir` already
/// is a directory; an error when it, or a component, exists and is not one.
std::optional<std::string> MakeDirs(const std::string& dir, mode_t mode = 0750);

/// Replaces `path` with `data` so that a crash at any point leaves either the old file or
/// the new one, never a torn one: writes `path.tmp`, fsyncs it, renames it over `path`,
/// then fsyncs the directory so that the rename itself is durable.
std::optional<std::string> WriteFileAtomic(const std::string& path, const std::string& data,
                                           mode_t mode = 0640);

}  // namespace supd::common
