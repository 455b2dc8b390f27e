#include "cli/import/command.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/import/emit.h"
#include "cli/import/scandir.h"
#include "cli/import/supervisord.h"
#include "common/fs.h"
#include "config/loader.h"

extern char** environ;

namespace supd::cli::import {
namespace {

SupervisordOptions FromThisProcess() {
  SupervisordOptions options;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    std::size_t eq = entry.find('=');
    if (eq != std::string::npos) options.environment[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0) options.host_name = host;
  return options;
}

// Writes `text` to `out` through a temporary file renamed into place, so a reader never
// sees half a config. Returns an error message, or "".
std::string WriteOut(const std::string& out, const std::string& text, bool force) {
  std::error_code ec;
  if (!force && std::filesystem::exists(out, ec))
    return out + " exists (use --force to overwrite it)";
  return common::WriteFileAtomic(out, text, 0644).value_or("");
}

}  // namespace

int RunImport(const std::string& format, const std::string& source, const std::string& out,
              bool force) {
  Result result;
  try {
    if (format == "supervisord") {
      result = ImportSupervisord(source, FromThisProcess());
    } else if (format == "runit" || format == "daemontools" || format == "s6") {
      result = ImportScanDir(format == "runit"         ? ScanFormat::kRunit
                             : format == "daemontools" ? ScanFormat::kDaemontools
                                                       : ScanFormat::kS6,
                             source);
    } else {
      std::string known;
      for (const char* f : kFormats) known += std::string(known.empty() ? "" : ", ") + f;
      std::cerr << "supctl: unknown import format \"" << format << "\" (known: " << known << ")\n";
      return 2;
    }
  } catch (const ImportError& e) {
    std::cerr << e.ToString() << "\n";
    return 1;
  }
  MakeIdsValid(result.root, result.notes);
  std::string text = ToJson(result.root).dump(2) + "\n";

  // What supd --check would say here (users that do not exist on this machine, ...).
  config::LoadResult check =
      config::LoadString(text, out.empty() || out == "-" ? "<stdout>" : out, "");
  for (const config::ConfigError& e : check.errors) {
    result.notes.push_back("warning: supd --check would refuse this here: " + e.ToString());
  }
  if (out.empty() || out == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  } else if (std::string error = WriteOut(out, text, force); !error.empty()) {
    std::cerr << "supctl: " << error << "\n";
    return 1;
  }
  for (const std::string& note : result.notes) std::cerr << note << "\n";
  std::cerr << Summary(result.programs, format == "supervisord" ? result.groups : -1,
                       result.notes.size())
            << "\n";
  return 0;
}

}  // namespace supd::cli::import
