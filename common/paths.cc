#include "common/paths.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace supd::common {
namespace {

std::string HomeDir() {
  if (auto home = NonEmptyEnv("HOME")) return *home;
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found &&
      entry.pw_dir) {
    return entry.pw_dir;
  }
  return "/";
}

}  // namespace

std::optional<std::string> NonEmptyEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string DefaultSocketPath() {
  if (geteuid() == 0) return "/run/supd/supd.sock";
  if (auto dir = NonEmptyEnv("XDG_RUNTIME_DIR")) return *dir + "/supd.sock";
  return "/run/user/" + std::to_string(geteuid()) + "/supd.sock";
}

std::string DefaultStateDir() {
  if (geteuid() == 0) return "/var/lib/supd";
  if (auto dir = NonEmptyEnv("XDG_STATE_HOME")) return *dir + "/supd";
  return HomeDir() + "/.local/state/supd";
}

}  // namespace supd::common
