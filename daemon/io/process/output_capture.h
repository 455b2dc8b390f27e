// What the process layer asks of output capture (daemon/io/log): pipes for a worker's
// stdout/stderr that outlive its runs, and when a run starts and ends.
#pragma once

#include <optional>
#include <string>

#include "daemon/core/child_spec.h"

namespace supd::io {

/// Implemented by log::LogHub. All calls on the loop's thread.
class OutputCapture {
 public:
  virtual ~OutputCapture() = default;
  /// The write ends the next run of the worker at `path` gets as stdout and stderr, per
  /// its spec: -1 where that stream is not captured ("inherit", "null"). The fds stay
  /// owned by the capture (the spawner dup2s them). Error text when capture is impossible
  /// (e.g. out of fds); a log file that cannot be opened is not an error here.
  virtual std::optional<std::string> StdioFor(const std::string& path,
                                              const core::WorkerSpec& spec, int* out_fd,
                                              int* err_fd) = 0;
  /// A run of `path` was spawned with pid `pid`.
  virtual void RunStarted(const std::string& path, int pid) = 0;
  /// The run of `path` ended (reaped, its scope empty): read what it left in the pipes
  /// and write out a partial last line.
  virtual void RunEnded(const std::string& path) = 0;
};

}  // namespace supd::io
