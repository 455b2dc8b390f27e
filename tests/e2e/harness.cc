#include "tests/e2e/harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace supd::e2e {

bool WaitFor(const std::function<bool()>& condition, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));  // a poll interval, not a wait for an event
  }
}

std::optional<int> WaitChild(pid_t pid, std::optional<int>* status, milliseconds timeout) {
  if (*status) return *status;
  WaitFor(
      [&] {
        int st;
        if (::waitpid(pid, &st, WNOHANG) == pid) *status = st;
        return status->has_value();
      },
      timeout);
  return *status;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Client::Client(const std::string& socket_path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return;
  }
  fd_ = fd;
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

bool Client::Send(const std::string& raw) {
  std::size_t done = 0;
  while (done < raw.size()) {
    ssize_t n = ::send(fd_, raw.data() + done, raw.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::optional<std::string> Client::ReadLine(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 || fd_ < 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return std::nullopt;
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<nlohmann::json> Client::Call(const nlohmann::json& request, milliseconds timeout) {
  if (fd_ < 0 || !Send(request.dump() + "\n")) return std::nullopt;
  auto line = ReadLine(timeout);
  if (!line) return std::nullopt;
  auto doc = nlohmann::json::parse(*line, nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  return doc;
}

pid_t SpawnToFile(std::vector<std::string> argv, const std::string& out_path, bool own_group,
                  const std::string& stdout_path) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (own_group) ::setpgid(0, 0);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    if (!stdout_path.empty()) ::dup2(::open(stdout_path.c_str(), O_WRONLY | O_CREAT, 0644), 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

SupdProcess::SupdProcess(const std::string& config_path, const std::string& socket_path,
                         const std::string& stderr_path, std::vector<std::string> extra_args,
                         const std::string& stdout_path)
    : socket_(socket_path), stderr_path_(stderr_path) {
  std::vector<std::string> args = {SUPD_BIN, "-c", config_path};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = SpawnToFile(std::move(args), stderr_path, false, stdout_path);
}

SupdProcess::~SupdProcess() {
  if (pid_ <= 0 || status_) return;
  ::kill(pid_, SIGTERM);
  if (!WaitExit(milliseconds(15000))) {
    ::kill(pid_, SIGKILL);  // its children die with it (PR_SET_PDEATHSIG)
    WaitExit(milliseconds(5000));
  }
}

bool SupdProcess::WaitReady(milliseconds timeout) {
  return WaitFor(
      [&] {
        if (status_) return true;
        int st;
        if (::waitpid(pid_, &st, WNOHANG) == pid_) {
          status_ = st;
          return true;
        }
        Client c(socket_);
        if (!c.connected()) return false;
        auto reply = c.Call({{"cmd", "version"}}, milliseconds(1000));
        return reply.has_value();
      },
      timeout) &&
         !status_;
}

std::optional<int> SupdProcess::WaitExit(milliseconds timeout) {
  return WaitChild(pid_, &status_, timeout);
}

void SupdProcess::Kill(int signo) {
  if (!status_) ::kill(pid_, signo);
}

std::string SupdProcess::Stderr() const { return ReadFile(stderr_path_); }

CommandResult Run(const std::vector<std::string>& argv, milliseconds timeout) {
  CommandResult result;
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return result;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::dup2(pipefd[1], 2);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(pipefd[1]);
  auto deadline = Clock::now() + timeout;
  char buf[4096];
  while (true) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{pipefd[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = ::read(pipefd[0], buf, sizeof(buf));
    if (n <= 0) break;
    result.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

bool ProcessAlive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

}  // namespace supd::e2e
