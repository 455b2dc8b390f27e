// What `supctl import` builds from another supervisor's configuration: a tree of supd
// nodes (not yet JSON) and the notes for the operator. Plain data, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "daemon/core/child_spec.h"

namespace supd::cli::import {

/// A `stdout` / `stderr` value of SPEC §1.
struct Output {
  enum class Kind { kLog, kNull, kStdout, kFile };
  Kind kind = Kind::kLog;
  std::string file;
  std::optional<std::uint64_t> max_size;
  std::optional<int> keep;
  bool timestamps = false;
};

/// One node of the imported tree. Optional fields are emitted only when set, so the
/// output carries what the source said and supd's defaults for the rest.
struct Node {
  std::string id;      ///< as the source names it; MakeIdsValid() fixes it
  std::string origin;  ///< where it came from, for notes: "program:web", "runit/web"
  bool supervisor = false;

  // Keys of every child.
  std::optional<std::string> restart;
  std::optional<std::string> shutdown;
  bool autostart = true;

  // Worker keys.
  std::vector<std::string> command;
  std::optional<std::string> cwd, user, group, umask;
  std::vector<std::pair<std::string, std::string>> env;
  std::optional<std::string> stop_signal, kill_mode;
  std::optional<std::vector<int>> normal_exit_codes;
  std::optional<core::Millis> ready_after;
  std::optional<int> ready_notify_fd;
  std::optional<core::Millis> start_timeout;
  std::optional<Output> stdout_spec, stderr_spec;

  // Supervisor keys.
  std::optional<std::string> strategy;
  std::optional<int> intensity;
  std::optional<core::Millis> period;
  std::optional<core::Millis> backoff_initial, backoff_max;
  std::vector<Node> children;
};

/// The outcome of an import: the root supervisor and the operator's notes (one line each,
/// `not imported: WHAT: reason` or `note: ...`), in the order found.
struct Result {
  Node root;
  std::vector<std::string> notes;
  int programs = 0;  ///< workers emitted
  int groups = 0;    ///< supervisors emitted below the root
};

/// A source that cannot be read or parsed: `file:line: message` (line 0: no line).
struct ImportError : std::runtime_error {
  ImportError(std::string file_in, int line_in, const std::string& message)
      : std::runtime_error(message), file(std::move(file_in)), line(line_in) {}
  std::string ToString() const {
    return file + (line > 0 ? ":" + std::to_string(line) : "") + ": " + what();
  }
  std::string file;
  int line;
};

}  // namespace supd::cli::import
