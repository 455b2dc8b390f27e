#include "config/check.h"

#include "config/loader.h"

namespace supd::config {

int RunCheck(const std::string& path, std::ostream& out, std::ostream& err) {
  LoadResult result = LoadFile(path);
  if (!result.config) {
    for (const ConfigError& e : result.errors) err << e.ToString() << "\n";
    return 1;
  }
  TreeCounts counts = CountNodes(result.config->root);
  out << "ok: " << path << ": " << counts.supervisors
      << (counts.supervisors == 1 ? " supervisor, " : " supervisors, ") << counts.workers
      << (counts.workers == 1 ? " worker" : " workers") << "\n";
  return 0;
}

}  // namespace supd::config
