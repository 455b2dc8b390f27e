// Replacing a small file so that a crash leaves either the old or the new content.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace supd::io {

/// Writes `text` to `path` atomically: a temp file beside it, fsync, rename over `path`,
/// fsync of the directory. Returns a human error ("cannot write /x.tmp: No space left on
/// device") or nullopt. (A candidate for the common/ library.)
std::optional<std::string> WriteFileAtomically(const std::string& path, std::string_view text,
                                               mode_t mode = 0640);

}  // namespace supd::io
