// Executor: the `log` side of DaemonApi, served from the log layer (io::log::LogHub).
#include "daemon/executor.h"

#include <utility>

namespace supd {

std::optional<std::vector<std::string>> Executor::LogTail(std::string_view path,
                                                          std::size_t lines) const {
  auto node = tree_.Status(path);
  if (!node) return std::nullopt;
  std::vector<std::string> out;
  if (io_.logs == nullptr) return out;
  if (!node->supervisor) return io_.logs->Tail(path, lines).value_or(out);
  for (const auto& worker : io_.logs->PathsUnder(path)) {
    if (worker == path) continue;
    for (auto& line : io_.logs->Tail(worker, lines).value_or(out)) {
      out.push_back(worker + "| " + line);
    }
  }
  return out;
}

std::uint64_t Executor::FollowLog(std::string_view path, LogCallback cb) {
  if (io_.logs == nullptr) return 0;
  return io_.logs->Follow(std::string(path), std::move(cb));
}

void Executor::UnfollowLog(std::uint64_t token) {
  if (io_.logs != nullptr) io_.logs->Unfollow(token);
}

std::optional<DaemonApi::LogState> Executor::LogStateOf(std::string_view path) const {
  if (io_.logs == nullptr) return std::nullopt;
  auto state = io_.logs->StateOf(path);
  if (!state) return std::nullopt;
  return LogState{state->error, state->dropped};
}

void Executor::ReleaseGoneLogs() {
  std::vector<std::string> exited = std::move(exited_paths_);
  exited_paths_.clear();
  const bool all = std::exchange(release_all_logs_, false);
  if (io_.logs == nullptr) return;
  const std::vector<std::string> paths = all ? io_.logs->PathsUnder("") : std::move(exited);
  // A path that is no longer a worker (removed by a reload, a dynamic child that ended,
  // a worker turned supervisor) will never run again under this capture.
  for (const auto& path : paths) {
    auto node = tree_.Status(path);
    if (!node || node->supervisor) io_.logs->Release(path);
  }
}

}  // namespace supd
