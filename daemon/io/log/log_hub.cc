#include "daemon/io/log/log_hub.h"

#include <unistd.h>

namespace supd::io::log {
namespace {

constexpr std::size_t kReadBuffer = 64 * 1024;

bool Under(std::string_view path, std::string_view root) {
  if (root.empty() || path == root) return true;
  return path.size() > root.size() && path.substr(0, root.size()) == root &&
         path[root.size()] == '/';
}

}  // namespace

LogHub::LogHub(uv_loop_t* loop, LogHubOptions options,
               std::function<void(const std::string&)> warn)
    : loop_(loop),
      options_(std::move(options)),
      warn_(std::move(warn)),
      read_buffer_(kReadBuffer) {
  stdout_ = std::make_unique<FdWriter>(
      loop_, NonBlockingDup(options_.stdout_fd),
      [this](std::uint64_t owner, std::size_t bytes, bool lost) {
        auto it = by_id_.find(owner);
        if (it != by_id_.end()) it->second->OnStdoutDrained(bytes, lost);
      });
  stderr_ = std::make_unique<FdWriter>(loop_, NonBlockingDup(options_.stderr_fd), nullptr);
}

LogHub::~LogHub() { Close(); }

void LogHub::Close() {
  followers_.clear();
  by_id_.clear();
  captures_.clear();
  pipes_.Close();
  if (stdout_) stdout_->Close();
  if (stderr_) stderr_->Close();
}

void LogHub::WriteDaemonLine(std::string_view line) {
  if (!stderr_ || stderr_->failed()) {
    ssize_t n = write(options_.stderr_fd, line.data(), line.size());  // closed: as before
    (void)n;
    return;
  }
  if (stderr_->queued() + line.size() > kDaemonQueueMax) {
    ++daemon_dropped_;
    return;
  }
  std::size_t queued = 0;
  if (daemon_dropped_ > 0 && stderr_->queued() == 0) {
    std::string note = "supd: " + std::to_string(daemon_dropped_) +
                       " of supd's own log lines were dropped: its stderr was not read\n";
    daemon_dropped_ = 0;
    stderr_->Write(note, 0, &queued);
  }
  stderr_->Write(line, 0, &queued);
}

std::string LogHub::FilePath(const std::string& file) const {
  if (file.empty() || file[0] == '/' || options_.log_dir.empty()) return file;
  return options_.log_dir + "/" + file;
}

char* LogHub::ReadBuffer(std::size_t* size) {
  *size = read_buffer_.size();
  return read_buffer_.data();
}

std::optional<std::string> LogHub::WatchPipe(int fd, std::uint64_t id, int stream, bool on) {
  if (!on) {
    pipes_.Remove(fd);
    return std::nullopt;
  }
  if (!pipes_.IsOpen()) {
    if (auto error = pipes_.Open(loop_, [this] { OnPipesReadable(); })) return error;
  }
  return pipes_.Add(fd, id << 1 | static_cast<std::uint64_t>(stream & 1));
}

void LogHub::OnPipesReadable() {
  // One batch a wake: a chatty pipe is read again at the next turn, not in a loop here.
  pipes_.Drain(
      [this](std::uint64_t key) {
        // By id, not by pointer: handling one event may release another capture.
        auto it = by_id_.find(key >> 1);
        if (it != by_id_.end()) it->second->OnReadable(static_cast<int>(key & 1));
      },
      EpollSet::DrainMode::kOneBatch);
}

void LogHub::Warn(const std::string& message) {
  if (warn_) warn_(message);
}

ChildCapture* LogHub::Find(std::string_view path) const {
  auto it = captures_.find(path);
  return it == captures_.end() ? nullptr : it->second.get();
}

std::optional<std::string> LogHub::StdioFor(const std::string& path,
                                            const core::WorkerSpec& spec, int* out_fd,
                                            int* err_fd) {
  ChildCapture* c = Find(path);
  if (c == nullptr) {
    std::uint64_t id = next_id_++;
    auto made = std::make_unique<ChildCapture>(static_cast<CaptureHost&>(*this), id, path);
    c = made.get();
    by_id_.emplace(id, c);
    captures_.emplace(c->path(), std::move(made));
  }
  return c->Configure(spec, out_fd, err_fd);
}

void LogHub::RunStarted(const std::string& path, int pid) {
  if (ChildCapture* c = Find(path)) c->SetPid(pid);
}

void LogHub::RunEnded(const std::string& path) {
  if (ChildCapture* c = Find(path)) c->Drain();
}

std::optional<std::vector<std::string>> LogHub::Tail(std::string_view path, std::size_t n) const {
  ChildCapture* c = Find(path);
  if (c == nullptr) return std::nullopt;
  return c->Tail(n);
}

std::vector<std::string> LogHub::PathsUnder(std::string_view path) const {
  std::vector<std::string> out;
  for (const auto& [p, c] : captures_) {
    if (Under(p, path)) out.emplace_back(p);
  }
  return out;
}

std::uint64_t LogHub::Follow(std::string path, Follower f) {
  std::uint64_t token = next_follow_++;
  followers_.emplace(token, FollowEntry{std::move(path), std::move(f)});
  return token;
}

void LogHub::Unfollow(std::uint64_t token) { followers_.erase(token); }

void LogHub::Publish(std::string_view path, std::string_view stream, std::string_view line) {
  if (followers_.empty()) return;
  // A follower may unfollow itself (a slow client dropped): walk a copy of the tokens.
  std::vector<std::uint64_t> tokens;
  for (const auto& [token, entry] : followers_) {
    if (Under(path, entry.path)) tokens.push_back(token);
  }
  for (auto token : tokens) {
    auto it = followers_.find(token);
    if (it != followers_.end()) it->second.f(path, stream, line);
  }
}

std::optional<LogHub::State> LogHub::StateOf(std::string_view path) const {
  ChildCapture* c = Find(path);
  if (c == nullptr) return std::nullopt;
  return State{c->error(), c->dropped()};
}

void LogHub::Release(std::string_view path) {
  auto it = captures_.find(path);
  if (it == captures_.end()) return;
  // Its run has ended (the node is gone): what is still in the pipes is written out first,
  // back-pressure or not, so a removed child's last lines are not lost either. Bytes of it
  // still queued for supd's stdout stay queued; their drain callback finds no owner.
  it->second->Drain(/*force=*/true);
  by_id_.erase(it->second->id());
  captures_.erase(it);
}

std::map<std::string, std::uint64_t> LogHub::DroppedBytes() const {
  std::map<std::string, std::uint64_t> out;
  for (const auto& [path, c] : captures_) out.emplace(std::string(path), c->dropped());
  return out;
}

void LogHub::ReopenFiles() {
  for (auto& [path, c] : captures_) c->ReopenFiles();
}

}  // namespace supd::io::log
