// supd's default paths when the config names none (README, "Config reference", `daemon`).
// supd and supctl compute them the same way, so that they find each other.
#pragma once

#include <optional>
#include <string>

namespace supd::common {

/// The value of environment variable `name`; nullopt when it is unset or empty (an empty
/// XDG_RUNTIME_DIR means "unset", as the XDG Base Directory specification says).
std::optional<std::string> NonEmptyEnv(const char* name);

/// `/run/supd/supd.sock` for root, else `$XDG_RUNTIME_DIR/supd.sock`, falling back to
/// `/run/user/<uid>/supd.sock` when XDG_RUNTIME_DIR is unset or empty.
std::string DefaultSocketPath();

/// `/var/lib/supd` for root, else `$XDG_STATE_HOME/supd`, falling back to
/// `$HOME/.local/state/supd` (HOME from the passwd entry when unset).
std::string DefaultStateDir();

}  // namespace supd::common
