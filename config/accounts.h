// Resolving `user` / `group` names on this machine (getpwnam_r / getgrnam_r).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supd::config {

/// A user resolved from a name or a decimal uid.
struct ResolvedUser {
  std::uint32_t uid = 0;
  std::optional<std::uint32_t> primary_gid;  ///< unset for a numeric uid with no entry
};

/// A decimal id: digits only, no sign, no leading zero ("0" itself is fine), < 2^32-1.
/// "0x10" and "010" are nullopt, so that nothing is ever silently read as root.
std::optional<std::uint32_t> ParseDecimalId(std::string_view text);

/// Resolves a user name, or a decimal uid (which need not have a passwd entry).
/// Sets `error` and returns nullopt when it does not resolve.
std::optional<ResolvedUser> ResolveUser(const std::string& name, std::string& error);

/// Resolves a group name, or a decimal gid. Sets `error` when it does not resolve.
std::optional<std::uint32_t> ResolveGroup(const std::string& name, std::string& error);

}  // namespace supd::config
