// The options and sections of supervisord.conf that supctl import maps, and why the others
// are not imported. Pure data.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

namespace supd::cli::import {

/// [program:x] options that become supd keys (startretries: the supervisor's intensity).
const std::set<std::string>& MappedProgramKeys();
/// [program:x] options supervisord knows and supd has no equivalent for -> the reason.
const std::map<std::string, std::string>& UnmappedProgramKeys();
/// Why a whole section is not imported ([unix_http_server], [eventlistener:x], ...);
/// nullopt for the sections that are ([program:x], [group:x], [supervisord], [include])
/// and for sections supervisord does not know either.
std::optional<std::string> WholeSectionReason(const std::string& name);
/// Why a [supervisord] option (other than environment) is not imported.
std::string SupervisordKeyReason(const std::string& key);

}  // namespace supd::cli::import
