// Executor: the `log` side of DaemonApi, served from the LogHub.
#include "daemon/executor.h"

#include "daemon/io/log/log_hub.h"

namespace supd {

std::optional<std::vector<std::string>> Executor::LogTail(std::string_view path,
                                                          std::size_t lines) const {
  auto node = tree_.Status(path);
  if (!node) return std::nullopt;
  std::vector<std::string> out;
  if (logs_ == nullptr) return out;
  if (!node->supervisor) return logs_->Tail(path, lines).value_or(out);
  for (const auto& worker : logs_->PathsUnder(path)) {
    if (worker == path) continue;
    for (auto& line : logs_->Tail(worker, lines).value_or(out)) {
      out.push_back(worker + "| " + line);
    }
  }
  return out;
}

std::uint64_t Executor::FollowLog(std::string_view path, LogCallback cb) {
  if (logs_ == nullptr) return 0;
  return logs_->Follow(std::string(path), std::move(cb));
}

void Executor::UnfollowLog(std::uint64_t token) {
  if (logs_ != nullptr) logs_->Unfollow(token);
}

std::optional<DaemonApi::LogState> Executor::LogStateOf(std::string_view path) const {
  if (logs_ == nullptr) return std::nullopt;
  auto state = logs_->StateOf(path);
  if (!state) return std::nullopt;
  return LogState{state->error, state->dropped};
}

}  // namespace supd
