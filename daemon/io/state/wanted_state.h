// The wanted state in the state dir (SPEC §2 "Wanted state", runit's `down` file): which
// children an operator stopped, so that the stop survives a restart of supd.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace supd::io {

/// `STATE_DIR/wanted.json`: `{"config": CONFIG_PATH, "operator_stopped": [PATH...]}`,
/// replaced atomically on every change. Single-threaded.
class WantedStateFile {
 public:
  /// `config_path` is made absolute: a file written for another config is not applied.
  WantedStateFile(const std::string& state_dir, const std::string& config_path);

  /// What Load found: the stopped paths, or why the file was ignored.
  struct Loaded {
    std::vector<std::string> operator_stopped;
    /// "PATH: REASON" when the file exists but is corrupt, from another config or
    /// unreadable (then `operator_stopped` is empty: the config's state applies).
    std::optional<std::string> problem;
  };
  /// Reads the file; a missing one is an empty state, not a problem.
  Loaded Load();
  /// Writes `operator_stopped` unless it is what the file already holds. Returns a human
  /// error or nullopt.
  std::optional<std::string> Save(const std::vector<std::string>& operator_stopped);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string config_;
  std::optional<std::vector<std::string>> saved_;  ///< what the file holds, once known
};

}  // namespace supd::io
