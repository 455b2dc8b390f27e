#include "config/paths.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

namespace supd::config {
namespace {

std::optional<std::string> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string HomeDir() {
  if (auto home = Env("HOME")) return *home;
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

std::optional<std::string> FindConfig(std::optional<std::string> flag) {
  if (flag && !flag->empty()) return flag;
  if (auto env = Env("SUPD_CONFIG")) return env;
  if (Exists("supd.json")) return std::string("./supd.json");
  if (Exists("/etc/supd/supd.json")) return std::string("/etc/supd/supd.json");
  return std::nullopt;
}

std::string DefaultSocketPath() {
  if (geteuid() == 0) return "/run/supd/supd.sock";
  if (auto dir = Env("XDG_RUNTIME_DIR")) return *dir + "/supd.sock";
  return "/run/user/" + std::to_string(geteuid()) + "/supd.sock";
}

std::string DefaultStateDir() {
  if (geteuid() == 0) return "/var/lib/supd";
  if (auto dir = Env("XDG_STATE_HOME")) return *dir + "/supd";
  return HomeDir() + "/.local/state/supd";
}

}  // namespace supd::config
