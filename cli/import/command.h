// `supctl import FORMAT SOURCE [-o OUT] [--force]`: the verb's I/O around the importers.
#pragma once

#include <string>

namespace supd::cli::import {

/// The formats, as `supctl import` names them.
inline constexpr const char* kFormats[] = {"supervisord", "runit", "daemontools", "s6"};

/// Imports SOURCE (a supervisord.conf or a scan directory) and writes the supd config to
/// `out` ("" or "-": stdout; an existing file only with `force`). Notes and a summary go
/// to stderr. Returns 0, 1 (source unreadable or invalid, OUT not written) or 2 (unknown
/// format).
int RunImport(const std::string& format, const std::string& source, const std::string& out,
              bool force);

}  // namespace supd::cli::import
