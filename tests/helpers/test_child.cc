// supd_test_child: the argv-driven child program of the integration and e2e tests.
//
// Settings (any order):
//   --log FILE --path P   conformance contract: append "start P" to FILE (one O_APPEND
//                         write) at start, "stop P REASON" right before a handled exit.
//   --log-ts              prefix each --log line with CLOCK_REALTIME nanoseconds and a
//                         space ("1700000000123456789 start P"), so the e2e conformance
//                         adapter can merge the children's lines with supd's events.
//   --notify-fd N         after the start line, write "\n" to fd N and close it.
//   --notify-raw STR      write STR (no newline added; may be "") to fd N instead.
//   --notify-hold         keep fd N open and never write to it.
//   --ignore-term         SIGTERM is ignored (no stop line).
//   --term-exit MODE      on SIGTERM: log "stop P MODE" and exit; shutdown → 0,
//                         crash → 1, normal → 0. A handler is installed only with --log
//                         or --term-exit; otherwise SIGTERM kills (default disposition).
//   --fork-ignore-term    grandchildren (--fork) ignore SIGTERM.
//   --fork-setsid         grandchildren call setsid() (leave the process group).
//   --fork-pidfile FILE   grandchildren append their pid ("PID\n") to FILE.
// Actions, run left to right after the start line:
//   --fork N              fork N grandchildren that sleep until killed (each set up —
//                         dispositions, setsid, pidfile — before the next action).
//   --list-fds            print the fd numbers open in this process, one per line.
//   --print-info          print "cwd=", "umask=", "uid=", "gid=", "groups=", "nofile=",
//                         "nproc=", "core=", "as=", "sigmask=" (hex), "sigign=" (hex, ignored
//                         signals), then "env K=V" lines.
//   --print-lines N       print N lines "line I" to stdout.
//   --say TEXT            write TEXT and a newline to stdout in one write(2) (unbuffered);
//                         "\xHH" in TEXT is the byte 0xHH (e.g. invalid UTF-8).
//   --say-err TEXT        the same on stderr.
//   --say-partial TEXT    write TEXT without a newline (a partial last line).
//   --numbered N          write N lines "n=<8-digit I> <padding to 100 bytes>", one
//                         write(2) each.
//   --big-line N          write one line of N bytes ("B" repeated), then a newline.
//   --flood               write 100-byte lines to stdout forever, as fast as it can.
//   --tick MS             write "tick I" to stdout every MS ms forever.
//   --close-stdout        close fd 1.
//   --write-pidfile FILE  write "PID\n" to FILE.
//   --sleep-ms N          sleep N ms (also --after-ms).
//   --sleep-until-ms T    sleep until CLOCK_REALTIME reaches T (ms since the epoch).
//   --signal-self SIG     kill(getpid(), SIG) (after restoring the default disposition).
//   --exit N              exit with code N now.
//   --notify-now          do the --notify-fd write here instead of after the start line;
//                         with --log, first append "ready P" (timestamped with --log-ts).
//   --sd-notify STR       send STR as one datagram to $NOTIFY_SOCKET ("@name" = abstract);
//                         the two characters \n in STR become a newline.
//   --sd-ping MS N        send "WATCHDOG=1" N times, MS ms apart (the first at once).
// Without --exit the program then waits for signals forever.
//
// Control while running (the conformance adapter's "crash"/"exit_normal" actions):
//   SIGUSR1 → log "stop P crash",    exit 1
//   SIGUSR2 → log "stop P normal",   exit 0
//   SIGHUP  → log "stop P shutdown", exit 0   (exit_shutdown)
// Plain C++ and POSIX only.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

extern char** environ;

namespace {

const char* g_log = nullptr;
const char* g_path = "?";
const char* g_term_mode = "shutdown";
bool g_log_ts = false;

// Writes all of `text` to `fd` (one write(2) unless the pipe takes less).
void WriteAll(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// "\xHH" → the byte 0xHH; everything else as is.
std::string Unescape(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 3 < in.size() && in[i + 1] == 'x') {
      out.push_back(static_cast<char>(std::strtoul(in.substr(i + 2, 2).c_str(), nullptr, 16)));
      i += 3;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// "n=00000042 xxx...\n", 100 bytes in all.
std::string NumberedLine(int k) {
  char head[16];
  std::snprintf(head, sizeof head, "n=%08d ", k);
  std::string line(head);
  line.append(99 - line.size(), 'x');
  line.push_back('\n');
  return line;
}

// Async-signal-safe: "<CLOCK_REALTIME ns> " into buf (or nothing without --log-ts).
std::size_t TimestampPrefix(char* buf, std::size_t size) {
  if (!g_log_ts) return 0;
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  unsigned long long v = static_cast<unsigned long long>(ts.tv_sec) * 1000000000ULL +
                         static_cast<unsigned long long>(ts.tv_nsec);
  char digits[24];
  std::size_t d = 0;
  do {
    digits[d++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  std::size_t n = 0;
  while (d > 0 && n + 2 < size) buf[n++] = digits[--d];
  buf[n++] = ' ';
  return n;
}

void AppendLine(const char* file, const std::string& line) {
  int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ssize_t n = write(fd, line.data(), line.size());
  (void)n;
  close(fd);
}

// Async-signal-safe: a single write of a preformatted line.
void LogStopAndExit(const char* reason, int code) {
  if (g_log != nullptr) {
    char line[512];
    std::size_t n = TimestampPrefix(line, sizeof line);
    auto put = [&](const char* s) {
      while (*s != '\0' && n + 1 < sizeof line) line[n++] = *s++;
    };
    put("stop ");
    put(g_path);
    put(" ");
    put(reason);
    put("\n");
    int fd = open(g_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ssize_t w = write(fd, line, n);
      (void)w;
      close(fd);
    }
  }
  _exit(code);
}

void OnTerm(int) {
  int code = std::strcmp(g_term_mode, "crash") == 0 ? 1 : 0;
  LogStopAndExit(g_term_mode, code);
}
void OnUsr1(int) { LogStopAndExit("crash", 1); }
void OnUsr2(int) { LogStopAndExit("normal", 0); }
void OnHup(int) { LogStopAndExit("shutdown", 0); }

void Handle(int sig, void (*fn)(int)) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, nullptr);
}

void SleepMs(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

void Print(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

std::string Limit(int res) {
  rlimit l;
  getrlimit(res, &l);
  auto f = [](rlim_t v) {
    return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v);
  };
  return f(l.rlim_cur) + "/" + f(l.rlim_max);
}

void PrintInfo() {
  char cwd[4096];
  Print(std::string("cwd=") + (getcwd(cwd, sizeof cwd) ? cwd : "?") + "\n");
  mode_t m = umask(0);
  umask(m);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m));
  Print(std::string("umask=") + buf + "\n");
  Print("uid=" + std::to_string(getuid()) + "\n");
  Print("gid=" + std::to_string(getgid()) + "\n");
  gid_t groups[256];
  int n = getgroups(256, groups);
  std::string g;
  for (int i = 0; i < n; ++i) g += (i ? "," : "") + std::to_string(groups[i]);
  Print("groups=" + g + "\n");
  Print("nofile=" + Limit(RLIMIT_NOFILE) + "\n");
  Print("nproc=" + Limit(RLIMIT_NPROC) + "\n");
  Print("core=" + Limit(RLIMIT_CORE) + "\n");
  Print("as=" + Limit(RLIMIT_AS) + "\n");
  sigset_t mask;
  sigprocmask(SIG_BLOCK, nullptr, &mask);
  unsigned long long bits = 0, ign = 0;
  for (int s = 1; s < 64; ++s) {
    if (sigismember(&mask, s) == 1) bits |= 1ULL << (s - 1);
    struct sigaction sa;
    if (sigaction(s, nullptr, &sa) == 0 && sa.sa_handler == SIG_IGN) ign |= 1ULL << (s - 1);
  }
  std::snprintf(buf, sizeof buf, "%llx", bits);
  Print(std::string("sigmask=") + buf + "\n");
  std::snprintf(buf, sizeof buf, "%llx", ign);
  Print(std::string("sigign=") + buf + "\n");
  for (char** e = environ; *e != nullptr; ++e) Print(std::string("env ") + *e + "\n");
}

void ListFds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return;
  int self = dirfd(d);
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = std::atoi(e->d_name);
    if (fd != self) Print(std::string(e->d_name) + "\n");
  }
  closedir(d);
}

// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET.
void SdNotify(std::string msg) {
  for (std::size_t p; (p = msg.find("\\n")) != std::string::npos;) msg.replace(p, 2, "\n");
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || *path == '\0') {
    std::fprintf(stderr, "supd_test_child: NOTIFY_SOCKET is not set\n");
    return;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::size_t len = std::strlen(path);
  if (len >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  socklen_t alen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  if (sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&addr), alen) < 0) {
    std::perror("supd_test_child: sendto NOTIFY_SOCKET");
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  int notify_fd = -1;
  const char* notify_raw = nullptr;
  bool notify_hold = false, ignore_term = false, term_handler = false;
  bool fork_ignore_term = false, fork_setsid = false;
  const char* fork_pidfile = nullptr;
  bool notify_later = false;
  std::vector<std::pair<std::string, std::string>> actions;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "supd_test_child: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--log") { g_log = next(); term_handler = true; }
    else if (a == "--log-ts") { g_log_ts = true; }
    else if (a == "--path") g_path = next();
    else if (a == "--notify-fd") notify_fd = std::atoi(next());
    else if (a == "--notify-raw") notify_raw = next();
    else if (a == "--notify-hold") notify_hold = true;
    else if (a == "--ignore-term") ignore_term = true;
    else if (a == "--term-exit") { g_term_mode = next(); term_handler = true; }
    else if (a == "--fork-ignore-term") fork_ignore_term = true;
    else if (a == "--fork-setsid") fork_setsid = true;
    else if (a == "--fork-setsid-ignore-term") fork_setsid = fork_ignore_term = true;
    else if (a == "--fork-pidfile") fork_pidfile = next();
    else if (a == "--list-fds" || a == "--print-info" || a == "--close-stdout" ||
             a == "--notify-now") {
      if (a == "--notify-now") notify_later = true;
      actions.emplace_back(a, "");
    } else if (a == "--sd-ping") {
      std::string ms = next();
      actions.emplace_back(a, ms + " " + next());
    } else if (a == "--say" || a == "--say-err" || a == "--say-partial" || a == "--numbered" ||
               a == "--big-line" || a == "--tick") {
      actions.emplace_back(a, next());
    } else if (a == "--flood") {
      actions.emplace_back(a, "");
    } else if (a == "--fork" || a == "--print-lines" || a == "--write-pidfile" ||
               a == "--sleep-ms" || a == "--after-ms" || a == "--sleep-until-ms" || a == "--signal-self" ||
               a == "--exit" || a == "--sd-notify") {
      actions.emplace_back(a, next());
    } else {
      std::fprintf(stderr, "supd_test_child: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  Handle(SIGUSR1, OnUsr1);
  Handle(SIGUSR2, OnUsr2);
  Handle(SIGHUP, OnHup);
  if (ignore_term) {
    Handle(SIGTERM, SIG_IGN);
  } else if (term_handler) {
    Handle(SIGTERM, OnTerm);
  }
  if (g_log != nullptr) {
    char ts[32];
    std::size_t n = TimestampPrefix(ts, sizeof ts);
    AppendLine(g_log, std::string(ts, n) + "start " + g_path + "\n");
  }
  auto notify = [&] {
    if (notify_fd < 0 || notify_hold) return;
    std::string msg = notify_raw != nullptr ? notify_raw : "\n";
    if (!msg.empty()) {
      ssize_t n = write(notify_fd, msg.data(), msg.size());
      (void)n;
    }
    close(notify_fd);
  };
  if (!notify_later) notify();
  for (const auto& [a, v] : actions) {
    std::fflush(stdout);
    if (a == "--fork") {
      int n = std::atoi(v.c_str());
      for (int k = 0; k < n; ++k) {
        // The grandchild reports through a pipe once its dispositions are set, so the
        // parent continues (e.g. exits) only when the grandchild is fully set up.
        int ready[2];
        if (pipe(ready) != 0) {
          std::perror("supd_test_child: pipe");
          break;
        }
        pid_t pid = fork();
        if (pid == 0) {
          close(ready[0]);
          if (fork_setsid) setsid();
          // Grandchildren never run the parent's handlers.
          Handle(SIGUSR1, SIG_DFL);
          Handle(SIGUSR2, SIG_DFL);
          Handle(SIGHUP, SIG_DFL);
          Handle(SIGTERM, fork_ignore_term ? SIG_IGN : SIG_DFL);
          if (fork_pidfile != nullptr) {
            AppendLine(fork_pidfile, std::to_string(getpid()) + "\n");
          }
          close(ready[1]);
          for (;;) pause();
        }
        close(ready[1]);
        if (pid < 0) {
          std::perror("supd_test_child: fork");
        } else {
          char c;
          while (read(ready[0], &c, 1) < 0 && errno == EINTR) {
          }
        }
        close(ready[0]);
      }
    } else if (a == "--notify-now") {
      if (g_log != nullptr) {
        char ts[32];
        std::size_t n = TimestampPrefix(ts, sizeof ts);
        AppendLine(g_log, std::string(ts, n) + "ready " + g_path + "\n");
      }
      notify();
    } else if (a == "--sd-notify") {
      SdNotify(v);
    } else if (a == "--sd-ping") {
      long ms = std::atol(v.c_str());
      int count = std::atoi(v.c_str() + v.find(' ') + 1);
      for (int k = 0; k < count; ++k) {
        if (k > 0) SleepMs(ms);
        SdNotify("WATCHDOG=1");
      }
    } else if (a == "--list-fds") {
      ListFds();
    } else if (a == "--print-info") {
      PrintInfo();
    } else if (a == "--print-lines") {
      int n = std::atoi(v.c_str());
      for (int k = 0; k < n; ++k) std::printf("line %d\n", k);
    } else if (a == "--say" || a == "--say-err" || a == "--say-partial") {
      std::string text = Unescape(v) + (a == "--say-partial" ? "" : "\n");
      WriteAll(a == "--say-err" ? 2 : 1, text);
    } else if (a == "--numbered") {
      int n = std::atoi(v.c_str());
      for (int k = 0; k < n; ++k) WriteAll(1, NumberedLine(k));
    } else if (a == "--big-line") {
      WriteAll(1, std::string(std::strtoul(v.c_str(), nullptr, 10), 'B') + "\n");
    } else if (a == "--flood") {
      std::string block;
      for (int k = 0; k < 100; ++k) block += NumberedLine(k);
      for (;;) WriteAll(1, block);
    } else if (a == "--tick") {
      for (int k = 0;; ++k) {
        WriteAll(1, "tick " + std::to_string(k) + "\n");
        SleepMs(std::atol(v.c_str()));
      }
    } else if (a == "--close-stdout") {
      close(1);
    } else if (a == "--write-pidfile") {
      AppendLine(v.c_str(), std::to_string(getpid()) + "\n");
    } else if (a == "--sleep-ms" || a == "--after-ms") {
      SleepMs(std::atol(v.c_str()));
    } else if (a == "--sleep-until-ms") {
      timespec now;
      clock_gettime(CLOCK_REALTIME, &now);
      long long ms = std::atoll(v.c_str()) - (now.tv_sec * 1000LL + now.tv_nsec / 1000000);
      if (ms > 0) SleepMs(static_cast<long>(ms));
    } else if (a == "--signal-self") {
      int sig = std::atoi(v.c_str());
      Handle(sig, SIG_DFL);
      std::fflush(stdout);
      kill(getpid(), sig);
      SleepMs(1000);
    } else if (a == "--exit") {
      std::fflush(stdout);
      _exit(std::atoi(v.c_str()));
    }
  }
  std::fflush(stdout);
  for (;;) pause();
}
