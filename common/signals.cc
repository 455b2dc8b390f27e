#include "common/signals.h"

#include <cctype>
#include <csignal>

namespace supd::common {
namespace {

struct NamedSignal {
  std::string_view name;  // without the "SIG" prefix
  int number;
};

// Canonical names first: SignalName() returns the first entry of a number.
constexpr NamedSignal kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"PWR", SIGPWR},       {"SYS", SIGSYS},   {"IOT", SIGIOT},
    {"POLL", SIGPOLL}, {"CLD", SIGCHLD},
};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "+3" / "-3" after RTMIN/RTMAX; empty means 0.
std::optional<int> RtOffset(std::string_view rest, int sign_allowed) {
  if (rest.empty()) return 0;
  if (rest[0] != sign_allowed || rest.size() < 2 || rest.size() > 3) return std::nullopt;
  int value = 0;
  for (char c : rest.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

std::optional<int> SignalFromName(std::string_view name) {
  std::string upper = Upper(name);
  std::string_view bare = upper;
  if (bare.substr(0, 3) == "SIG") bare.remove_prefix(3);
  if (bare.empty()) return std::nullopt;
  for (const NamedSignal& s : kSignals) {
    if (s.name == bare) return s.number;
  }
  int rt_min = SIGRTMIN, rt_max = SIGRTMAX;
  if (bare.substr(0, 5) == "RTMIN") {
    auto offset = RtOffset(bare.substr(5), '+');
    if (offset && rt_min + *offset <= rt_max) return rt_min + *offset;
  } else if (bare.substr(0, 5) == "RTMAX") {
    auto offset = RtOffset(bare.substr(5), '-');
    if (offset && rt_max - *offset >= rt_min) return rt_max - *offset;
  }
  return std::nullopt;
}

std::optional<int> ParseSignal(std::string_view text) {
  // "SIG32" is how SignalName renders numbers without a name: accept it back.
  if (text.size() > 3 && (text.substr(0, 3) == "SIG" || text.substr(0, 3) == "sig") &&
      text.find_first_not_of("0123456789", 3) == std::string_view::npos) {
    text.remove_prefix(3);
  }
  if (!text.empty() && text.size() <= 2 &&
      text.find_first_not_of("0123456789") == std::string_view::npos) {
    int n = 0;
    for (char c : text) n = n * 10 + (c - '0');
    if (n >= 1 && n <= 64) return n;
    return std::nullopt;
  }
  return SignalFromName(text);
}

std::string SignalName(int signal) {
  for (const NamedSignal& s : kSignals) {
    if (s.number == signal) return "SIG" + std::string(s.name);
  }
  int rt_min = SIGRTMIN, rt_max = SIGRTMAX;
  if (signal == rt_min) return "SIGRTMIN";
  if (signal > rt_min && signal <= rt_max) return "SIGRTMIN+" + std::to_string(signal - rt_min);
  return "SIG" + std::to_string(signal);
}

}  // namespace supd::common
