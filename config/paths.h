// Where things are: the config file (SPEC §4) and the daemon's default paths (SPEC §1).
#pragma once

#include <optional>
#include <string>

namespace supd::config {

/// The config file to use: `flag` (from -c) if given, else $SUPD_CONFIG if set and
/// non-empty, else ./supd.json if it exists, else /etc/supd/supd.json if it exists,
/// else nullopt. A path given by flag or environment is returned even if missing, so
/// that loading it reports the real error.
std::optional<std::string> FindConfig(std::optional<std::string> flag);

/// `/run/supd/supd.sock` for root, else `$XDG_RUNTIME_DIR/supd.sock`, falling back to
/// `/run/user/<uid>/supd.sock` when XDG_RUNTIME_DIR is unset. Also supctl's default.
std::string DefaultSocketPath();

/// `/var/lib/supd` for root, else `$XDG_STATE_HOME/supd`, falling back to
/// `$HOME/.local/state/supd` (HOME from the passwd entry when unset).
std::string DefaultStateDir();

}  // namespace supd::config
