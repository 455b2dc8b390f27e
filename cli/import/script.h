// Reading a runit / daemontools / s6 `run` script without running it: which program it
// ends in, the chain loaders in front of it (chpst -u, s6-setuidgid, fdmove -c 2 1), and
// the logger a `log/run` starts (svlogd, s6-log, multilog) with its rotation. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/import/words.h"

namespace supd::cli::import {

struct RunScript {
  enum class Lang { kShell, kExecline, kOther };  ///< kOther: another interpreter, a binary
  Lang lang = Lang::kShell;
  bool has_shebang = false;
  bool merges_stderr = false;  ///< `exec 2>&1` / `fdmove -c 2 1`
  /// Set when the script can be replaced by its program: it only sets up (`exec 2>&1`,
  /// `set -e`, `cd DIR`, `umask N`) and ends in chain loaders and literal words.
  std::optional<std::vector<std::string>> program;
  std::optional<std::string> user, group, cwd, umask;
  /// The words of the script's last command, chain loaders included (for log/run).
  std::vector<Word> last_command;
  /// Supervisor-suite tools the script calls (chpst, s6-setuidgid, ...), for notes.
  std::vector<std::string> tools;
};

/// Reads a script's text. Shell (a sh/bash/dash shebang or none) and execline
/// (`#!.../execlineb`) are understood; anything else is kOther with no program.
RunScript AnalyzeScript(std::string_view text);

/// What a logger's command line asks for. `dir` is as written (relative to log/).
struct LoggerSpec {
  std::string program;  ///< "svlogd", "s6-log" or "multilog"
  std::optional<std::string> dir;
  std::optional<std::uint64_t> max_size;  ///< from its arguments (s6-log, multilog)
  std::optional<int> keep;
  bool timestamps = false;
  std::vector<std::string> unmapped;  ///< arguments with no supd equivalent
};

/// Finds svlogd / s6-log / multilog in `words` and reads its arguments; nullopt when none
/// is there or its arguments are not literal.
std::optional<LoggerSpec> FindLogger(const std::vector<Word>& words);

/// svlogd's `config` file in the log directory: `sSIZE`, `nNUM` (0: keep every file, which
/// supd caps at 1000); other lines go to `unmapped`.
void ApplySvlogdConfig(std::string_view text, LoggerSpec& spec);

}  // namespace supd::cli::import
