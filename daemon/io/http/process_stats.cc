#include "daemon/io/http/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "daemon/io/sys.h"

namespace supd::io::http {
namespace {

/// The fields of /proc/self/stat after the command name, numbered as proc(5) numbers
/// them (field 3, the state, is at index 0).
std::optional<std::vector<std::string>> StatFields() {
  auto stat = ReadSmallFile("/proc/self/stat");
  if (!stat) return std::nullopt;
  auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat->substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() < 22) return std::nullopt;
  return fields;
}

double Field(const std::vector<std::string>& fields, int number) {
  return std::stod(fields[static_cast<std::size_t>(number - 3)]);
}

double BootTime() {
  auto stat = ReadSmallFile("/proc/stat");
  if (!stat) return 0;
  auto at = stat->find("\nbtime ");
  return at == std::string::npos ? 0 : std::stod(stat->substr(at + 7));
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory's own fd
}

}  // namespace

std::optional<ProcessStats> ReadProcessStats() {
  try {
    auto fields = StatFields();
    if (!fields) return std::nullopt;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    ProcessStats p;
    p.cpu_seconds = (Field(*fields, 14) + Field(*fields, 15)) / ticks;
    p.start_time_seconds = BootTime() + Field(*fields, 22) / ticks;
    p.virtual_bytes = Field(*fields, 23);
    p.resident_bytes = Field(*fields, 24) * page;
    p.open_fds = OpenFds();
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
      p.max_fds = lim.rlim_cur == RLIM_INFINITY ? -1 : static_cast<double>(lim.rlim_cur);
    }
    return p;
  } catch (const std::exception&) {  // a /proc format we do not know: no process_* metrics
    return std::nullopt;
  }
}

}  // namespace supd::io::http
