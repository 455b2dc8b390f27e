// Child specifications as plain data: what config/ builds and the core reads.
// Pure: standard library only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace supd::core {

/// Monotonic milliseconds (the core never reads a clock; callers pass `now`).
using Millis = std::int64_t;

/// Linux signal numbers the core itself needs (the rest come from specs as ints).
inline constexpr int kSigKill = 9;
inline constexpr int kSigTerm = 15;

enum class RestartType { kPermanent, kTransient, kTemporary };
enum class Strategy { kOneForOne, kOneForAll, kRestForOne, kSimpleOneForOne };
enum class AutoShutdown { kNever, kAnySignificant, kAllSignificant };
enum class RestartMode { kRevOrder, kInOrder, kEach };
enum class RestartOrder { kRightToLeft, kLeftToRight };
enum class KillMode { kAuto, kCgroup, kGroup, kProcess };
/// How a supervisor stopped as a whole stops its children: one after another in reverse
/// start order, each waited for (OTP), or all signalled at once, each with its own
/// SIGKILL deadline (a deviation from OTP; README, "How supd behaves"). Branch restarts
/// and single-child operations are always sequential.
enum class StopOrder { kSequential, kParallel };

/// The word of each value of an enum, in declaration order: the one table that config/
/// parses (`config::ReadEnum`) and that status, reload plans, supctl and the tests print
/// (`ToString`). Specialized next to each enum that has config or status words.
template <typename E>
struct EnumWords;
template <>
struct EnumWords<RestartType> {
  static constexpr std::array<const char*, 3> words = {"permanent", "transient", "temporary"};
};
template <>
struct EnumWords<Strategy> {
  static constexpr std::array<const char*, 4> words = {"one_for_one", "one_for_all",
                                                       "rest_for_one", "simple_one_for_one"};
};
template <>
struct EnumWords<AutoShutdown> {
  static constexpr std::array<const char*, 3> words = {"never", "any_significant",
                                                       "all_significant"};
};
template <>
struct EnumWords<RestartMode> {
  static constexpr std::array<const char*, 3> words = {"rev_order", "in_order", "each"};
};
template <>
struct EnumWords<RestartOrder> {
  static constexpr std::array<const char*, 2> words = {"right_to_left", "left_to_right"};
};
template <>
struct EnumWords<StopOrder> {
  static constexpr std::array<const char*, 2> words = {"sequential", "parallel"};
};
template <>
struct EnumWords<KillMode> {
  static constexpr std::array<const char*, 4> words = {"auto", "cgroup", "group", "process"};
};

/// The word of `e` (EnumWords), "?" for a value outside the enum.
template <typename E>
  requires requires { EnumWords<E>::words; }
constexpr const char* ToString(E e) {
  auto i = static_cast<std::size_t>(e);
  return i < EnumWords<E>::words.size() ? EnumWords<E>::words[i] : "?";
}

/// `shutdown`: brutal_kill (SIGKILL at once), a timeout (stop signal, SIGKILL when it
/// expires), or infinity (stop signal, wait forever).
struct Shutdown {
  enum class Kind { kBrutalKill, kTimeout, kInfinity };
  Kind kind = Kind::kTimeout;
  Millis timeout = 5000;  ///< only meaningful for kTimeout
  bool operator==(const Shutdown&) const = default;
};

/// `ready`: when a started worker counts as up.
struct ReadySpec {
  enum class Kind { kExec, kNotifyFd, kSdNotify, kAfter, kCommand };
  Kind kind = Kind::kExec;
  int notify_fd = -1;                ///< kNotifyFd
  Millis after = 0;                  ///< kAfter
  std::vector<std::string> command;  ///< kCommand: the probe's argv
  Millis interval = 1000;            ///< kCommand: probe period (and probe time limit)
  bool operator==(const ReadySpec&) const = default;
};

/// `stdout` / `stderr`.
struct OutputSpec {
  enum class Kind { kLog, kFile, kInherit, kNull, kStdout /* stderr only */ };
  Kind kind = Kind::kLog;
  std::string file;             ///< kFile: as written (relative to daemon.log_dir)
  std::uint64_t max_size = 0;   ///< kFile: bytes before rotation; 0 = never rotate
  int keep = 5;                 ///< kFile: rotated files kept
  bool timestamps = false;      ///< kFile
  bool operator==(const OutputSpec&) const = default;
};

enum class Rlimit { kNofile, kNproc, kCore, kMemlock, kAs, kCpu };
/// nullopt value = "unlimited".
using RlimitMap = std::map<Rlimit, std::optional<std::uint64_t>>;

/// A worker's process-affecting spec. Changing any of these means a restart on reload.
struct WorkerSpec {
  std::vector<std::string> command;  ///< argv; argv[0] searched in PATH when it has no '/'
  std::string cwd;                   ///< empty = the daemon's
  std::string user;                  ///< empty = the daemon's; as written in the config
  std::optional<std::uint32_t> uid;  ///< resolved by config/ (never a fallback to root)
  std::string group;                 ///< empty = the user's primary group (or the daemon's)
  std::optional<std::uint32_t> gid;  ///< resolved by config/
  std::optional<std::uint32_t> umask;
  std::vector<std::pair<std::string, std::string>> env;  ///< in config order
  bool env_clear = false;
  RlimitMap rlimits;
  int stop_signal = kSigTerm;
  KillMode kill_mode = KillMode::kAuto;
  std::vector<int> normal_exit_codes{0};
  ReadySpec ready;
  Millis start_timeout = 30000;
  std::optional<Millis> watchdog;
  OutputSpec stdout_spec;                                   ///< default kLog
  OutputSpec stderr_spec{OutputSpec::Kind::kStdout, {}, 0, 5, false};
  std::uint64_t log_buffer = 64 * 1024;
  bool operator==(const WorkerSpec&) const = default;
};

struct SupervisorSpec;

struct BackoffSpec {
  Millis initial = 1000;
  Millis max = 60000;
  double multiplier = 2.0;
  double jitter = 0.0;      ///< fraction, 0..1, of the delay added or removed at random
  Millis reset_after = 0;   ///< a child up this long resets its delay; 0 = `max`
  bool operator==(const BackoffSpec&) const = default;
};

/// One node of the tree: a worker or a supervisor (exactly one of `worker`/`supervisor`).
struct ChildSpec {
  std::string id;  ///< "" for the root and for a template
  RestartType restart = RestartType::kPermanent;
  Shutdown shutdown;  ///< config/ sets the kind-dependent default (workers 5s, sups infinity)
  bool significant = false;
  /// false: defined but not started at boot or by a branch restart until an operator
  /// starts it (supervisord's autostart=false, runit's `down` file).
  bool autostart = true;
  std::shared_ptr<const WorkerSpec> worker;
  std::shared_ptr<const SupervisorSpec> supervisor;

  bool IsSupervisor() const { return supervisor != nullptr; }
};

struct SupervisorSpec {
  Strategy strategy = Strategy::kOneForOne;
  int intensity = 1;
  Millis period = 5000;
  AutoShutdown auto_shutdown = AutoShutdown::kNever;
  RestartMode restart_mode = RestartMode::kRevOrder;
  RestartOrder restart_order = RestartOrder::kRightToLeft;
  StopOrder stop_order = StopOrder::kSequential;
  std::optional<BackoffSpec> backoff;
  std::optional<ChildSpec> child_template;   ///< simple_one_for_one only; a worker, id ""
  std::optional<std::size_t> max_children;   ///< simple_one_for_one only
  std::vector<ChildSpec> children;           ///< in start order
};

/// The `daemon` section.
/// `daemon.http`: where the read-only HTTP endpoints listen (README, Monitoring).
struct HttpSpec {
  std::string listen;          ///< as written: "127.0.0.1:9181", "[::1]:9181", "unix:/run/x"
  std::string unix_path;       ///< set for "unix:PATH"; then host/port are unused
  std::string host;            ///< an IPv4 or IPv6 literal (without brackets)
  int port = 0;                ///< 0: any free port (the daemon logs the one it got)
  bool allow_remote = false;   ///< a non-loopback host was explicitly allowed
};

struct DaemonSpec {
  enum class OnRootGiveUp { kExit, kStay };
  std::string socket;              ///< empty = the default for the running uid
  std::uint32_t socket_mode = 0600;
  std::string socket_group;        ///< empty = none
  std::optional<std::uint32_t> socket_gid;
  std::string log_dir;             ///< empty = none (relative log files: relative to config dir)
  std::string state_dir;           ///< empty = the default for the running uid
  OnRootGiveUp on_root_give_up = OnRootGiveUp::kExit;
  /// `log_format`: captured lines on supd's stdout and supd's own messages as text
  /// (`PATH| line`) or one JSON object per line.
  enum class LogFormat { kText, kJson };
  LogFormat log_format = LogFormat::kText;
  std::optional<HttpSpec> http;    ///< absent: no HTTP listener
};

/// A whole loaded config: the daemon section plus the root supervisor (id "").
struct Config {
  std::string path;  ///< the file it was read from
  DaemonSpec daemon;
  ChildSpec root;
};

}  // namespace supd::core
