#include "config/accounts.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "common/errno_text.h"

namespace supd::config {
namespace {

constexpr std::size_t kMaxBuffer = 1 << 20;

bool LooksNumeric(std::string_view text) {
  return !text.empty() && (text[0] >= '0' && text[0] <= '9');
}

}  // namespace

std::optional<std::uint32_t> ParseDecimalId(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value >= 0xFFFFFFFFu) return std::nullopt;  // (uid_t)-1 means "no change"
  return static_cast<std::uint32_t>(value);
}

std::optional<ResolvedUser> ResolveUser(const std::string& name, std::string& error) {
  std::optional<std::uint32_t> uid = ParseDecimalId(name);
  if (!uid && LooksNumeric(name)) {
    error = "\"" + name + "\" is not a user name nor a decimal uid (no hex, no leading zero)";
    return std::nullopt;
  }
  std::vector<char> buffer(4096);
  while (true) {
    passwd entry{};
    passwd* found = nullptr;
    int rc = uid ? getpwuid_r(*uid, &entry, buffer.data(), buffer.size(), &found)
                 : getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < kMaxBuffer) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (found) return ResolvedUser{entry.pw_uid, entry.pw_gid};
    if (uid) return ResolvedUser{*uid, std::nullopt};
    error = "no such user \"" + name + "\" on this machine";
    if (rc != 0) error += ": " + common::ErrnoText(rc);
    return std::nullopt;
  }
}

std::optional<std::uint32_t> ResolveGroup(const std::string& name, std::string& error) {
  if (std::optional<std::uint32_t> gid = ParseDecimalId(name)) return gid;
  if (LooksNumeric(name)) {
    error = "\"" + name + "\" is not a group name nor a decimal gid (no hex, no leading zero)";
    return std::nullopt;
  }
  std::vector<char> buffer(4096);
  while (true) {
    group entry{};
    group* found = nullptr;
    int rc = getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < kMaxBuffer) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (found) return entry.gr_gid;
    error = "no such group \"" + name + "\" on this machine";
    if (rc != 0) error += ": " + common::ErrnoText(rc);
    return std::nullopt;
  }
}

}  // namespace supd::config
