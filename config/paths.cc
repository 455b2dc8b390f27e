#include "config/paths.h"

#include <sys/stat.h>

#include "common/paths.h"

namespace supd::config {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::optional<std::string> FindConfig(std::optional<std::string> flag) {
  if (flag && !flag->empty()) return flag;
  if (auto env = common::NonEmptyEnv("SUPD_CONFIG")) return env;
  if (Exists("supd.json")) return std::string("./supd.json");
  if (Exists("/etc/supd/supd.json")) return std::string("/etc/supd/supd.json");
  return std::nullopt;
}

}  // namespace supd::config
