// Where the config file is (README, "A first config"). The daemon's default socket and
// state dir are common/paths.h.
#pragma once

#include <optional>
#include <string>

namespace supd::config {

/// The config file to use: `flag` (from -c) if given, else $SUPD_CONFIG if set and
/// non-empty, else ./supd.json if it exists, else /etc/supd/supd.json if it exists,
/// else nullopt. A path given by flag or environment is returned even if missing, so
/// that loading it reports the real error.
std::optional<std::string> FindConfig(std::optional<std::string> flag);

}  // namespace supd::config
