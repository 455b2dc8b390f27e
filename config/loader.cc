// The loader's driver: text -> JSON -> specs, then the root's include files.
#include "config/loader.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <utility>

#include "common/errno_text.h"
#include "config/diag.h"
#include "config/fields.h"
#include "config/json_text.h"
#include "config/nodes.h"

namespace supd::config {
namespace {

constexpr std::size_t kMaxFileBytes = 16 << 20;

using FileId = std::pair<dev_t, ino_t>;

std::optional<FileId> IdOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

// Reads a regular file of at most kMaxFileBytes (an include of /dev/zero must not hang).
std::optional<std::string> ReadFile(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    error = "cannot open: " + common::ErrnoText(errno);
    return std::nullopt;
  }
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "not a regular file";
  } else {
    char buffer[65536];
    while (true) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) error = "cannot read: " + common::ErrnoText(errno);
      if (n <= 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
      if (text.size() > kMaxFileBytes) {
        error = "larger than 16MB";
        break;
      }
    }
  }
  ::close(fd);
  if (!error.empty()) return std::nullopt;
  return text;
}

// Parses JSON, turning a syntax error into a ConfigError with line and column.
std::optional<Json> ParseText(std::string_view text, const std::string& file,
                              std::vector<ConfigError>& errors) {
  JsonSyntaxError syntax;
  std::optional<Json> json = ParseJson(text, syntax);
  if (!json) errors.push_back({file, "", syntax.line, syntax.column, syntax.message});
  return json;
}

bool HasGlobMeta(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

// The files a pattern names, sorted bytewise (independent of the locale).
std::vector<std::string> Expand(Diag& diag, const IncludePattern& inc,
                                const std::string& base_dir) {
  std::string full = inc.pattern;
  if (full[0] != '/' && !base_dir.empty()) full = base_dir + "/" + full;
  glob_t g{};
  int rc = ::glob(full.c_str(), 0, nullptr, &g);
  std::vector<std::string> files;
  for (std::size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  if (rc == GLOB_NOMATCH && !HasGlobMeta(inc.pattern)) {
    diag.Error(inc.path, "no such file: " + full);
  } else if (rc != 0 && rc != GLOB_NOMATCH) {
    diag.Error(inc.path, "cannot expand \"" + full + "\"");
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Where a child of the root came from, to name it in duplicate-id errors.
struct Origin {
  std::string file;
  std::string path;  // "" for a file holding one child object
  std::string ToString() const { return path.empty() ? file : path + " of " + file; }
};

// One included file: an object (one child) or an array of children.
void LoadIncluded(const std::string& file, core::AutoShutdown auto_shutdown,
                  core::SupervisorSpec& root, std::vector<Origin>& origins,
                  std::vector<ConfigError>& errors) {
  std::string error;
  std::optional<std::string> text = ReadFile(file, error);
  if (!text) {
    errors.push_back({file, "", 0, 0, error});
    return;
  }
  std::optional<Json> json = ParseText(*text, file, errors);
  if (!json) return;
  Diag diag(file, &errors);
  if (json->is_object()) {
    root.children.push_back(ParseChild(diag, *json, "", auto_shutdown));
    origins.push_back({file, ""});
  } else if (json->is_array()) {
    for (std::size_t i = 0; i < json->size(); ++i) {
      root.children.push_back(ParseChild(diag, (*json)[i], Element("", i), auto_shutdown));
      origins.push_back({file, Element("", i)});
    }
  } else {
    Expected(diag, *json, "", "a child object or an array of child objects");
  }
}

void LoadIncludes(const std::vector<IncludePattern>& includes, const std::string& root_file,
                  const std::string& base_dir, Diag& root_diag, core::SupervisorSpec& root,
                  std::vector<ConfigError>& errors) {
  std::vector<Origin> origins;
  std::size_t own = root.children.size();
  for (std::size_t i = 0; i < own; ++i) origins.push_back({root_file, Element("children", i)});
  std::optional<FileId> root_id = IdOf(root_file);
  std::set<FileId> seen;
  for (const IncludePattern& inc : includes) {
    for (const std::string& file : Expand(root_diag, inc, base_dir)) {
      std::optional<FileId> id = IdOf(file);
      if (id && root_id && *id == *root_id) {
        root_diag.Error(inc.path, "\"" + inc.pattern + "\" matches the root config itself (" +
                                      file + "): an include cycle");
        continue;
      }
      if (id && !seen.insert(*id).second) continue;  // matched by an earlier pattern
      LoadIncluded(file, root.auto_shutdown, root, origins, errors);
    }
  }
  // Duplicates among the root's own children were reported by the parser.
  for (std::size_t i = own; i < root.children.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (root.children[i].id.empty() || root.children[i].id != root.children[j].id) continue;
      Diag diag(origins[i].file, &errors);
      diag.Error(Member(origins[i].path, "id"), "duplicate id \"" + root.children[i].id +
                                                    "\" (also " + origins[j].ToString() + ")");
      break;
    }
  }
}

}  // namespace

LoadResult LoadString(std::string_view text, const std::string& file_name,
                      const std::string& base_dir, const LoadOptions& options) {
  LoadResult result;
  std::optional<Json> json = ParseText(text, file_name, result.errors);
  if (!json) return result;
  Diag diag(file_name, &result.errors);
  std::vector<IncludePattern> includes;
  core::SupervisorSpec root = ParseRoot(diag, *json, includes);
  core::Config config;
  config.path = file_name;
  config.daemon = ParseDaemon(diag, Find(*json, "daemon"), "daemon");
  if (!includes.empty() && root.strategy == core::Strategy::kSimpleOneForOne) {
    diag.Error("include",
               "not allowed with strategy \"simple_one_for_one\" (its children are "
               "instances of \"template\")");
  } else if (options.follow_includes) {
    LoadIncludes(includes, file_name, base_dir, diag, root, result.errors);
  }
  config.root.shutdown = {core::Shutdown::Kind::kInfinity, 0};
  config.root.supervisor = std::make_shared<const core::SupervisorSpec>(std::move(root));
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

LoadResult LoadFile(const std::string& path) {
  std::string error;
  std::optional<std::string> text = ReadFile(path, error);
  if (!text) {
    LoadResult result;
    result.errors.push_back({path, "", 0, 0, error});
    return result;
  }
  std::size_t slash = path.rfind('/');
  std::string base_dir = slash == std::string::npos ? "" : slash == 0 ? "/" : path.substr(0, slash);
  return LoadString(*text, path, base_dir);
}

TreeCounts CountNodes(const core::ChildSpec& node) {
  TreeCounts counts;
  if (node.worker) ++counts.workers;
  if (!node.supervisor) return counts;
  ++counts.supervisors;
  for (const core::ChildSpec& child : node.supervisor->children) {
    TreeCounts sub = CountNodes(child);
    counts.supervisors += sub.supervisors;
    counts.workers += sub.workers;
  }
  return counts;
}

}  // namespace supd::config
