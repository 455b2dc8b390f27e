// A Unix socket's file on disk: its parent directories and a stale file left by a dead
// daemon. Shared by the control socket and the HTTP listener's `unix:PATH`.
#pragma once

#include <optional>
#include <string>

namespace supd::io {

/// mkdir -p of the directory holding `path` (components created 0750). Returns a human
/// error or nullopt.
std::optional<std::string> MakeSocketParents(const std::string& path);

/// For an existing socket file at `path`: removes it when nobody accepts on it (stale) and
/// returns nullopt; returns an error when it is live ("another supd is running: PATH
/// accepts connections"), not a socket, or cannot be checked.
std::optional<std::string> RemoveStaleSocket(const std::string& path);

}  // namespace supd::io
