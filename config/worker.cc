// Parsing of the worker keys (README, "Config reference" and "Readiness").
#include <string>

#include "config/accounts.h"
#include "config/fields.h"
#include "config/nodes.h"
#include "common/signals.h"

namespace supd::config {
namespace {

using core::OutputSpec;
using core::ReadySpec;

constexpr std::string_view kReadyForms =
    "\"exec\", \"sd_notify\", {\"notify_fd\": N}, {\"after\": DURATION} or "
    "{\"command\": [...], \"interval\": DURATION}";

ReadySpec ParseReady(Diag& diag, const Json& v, const std::string& path) {
  ReadySpec ready;
  if (v.is_string() && v == "exec") return ready;
  if (v.is_string() && v == "sd_notify") {
    ready.kind = ReadySpec::Kind::kSdNotify;
    return ready;
  }
  if (!v.is_object()) {
    Expected(diag, v, path, kReadyForms);
    return ready;
  }
  CheckKeys(diag, v, path, {"notify_fd", "after", "command", "interval"});
  int forms =
      (Find(v, "notify_fd") ? 1 : 0) + (Find(v, "after") ? 1 : 0) + (Find(v, "command") ? 1 : 0);
  if (forms != 1) {
    diag.Error(path, "expected exactly one of \"notify_fd\", \"after\" or \"command\", got " +
                         std::to_string(forms));
  }
  if (const Json* fd = Find(v, "notify_fd")) {
    ready.kind = ReadySpec::Kind::kNotifyFd;
    // 0-2 are the child's stdio; the fd must be a fresh one.
    if (auto n = ReadInt(diag, *fd, Member(path, "notify_fd"), 3, 65535)) ready.notify_fd = *n;
  }
  if (const Json* after = Find(v, "after")) {
    ready.kind = ReadySpec::Kind::kAfter;
    if (auto ms = ReadDuration(diag, *after, Member(path, "after"))) ready.after = *ms;
  }
  if (const Json* command = Find(v, "command")) {
    ready.kind = ReadySpec::Kind::kCommand;
    if (auto argv = ReadArgv(diag, *command, Member(path, "command"))) ready.command = *argv;
  }
  if (const Json* interval = Find(v, "interval")) {
    if (ready.kind != ReadySpec::Kind::kCommand) {
      diag.Error(Member(path, "interval"), "only allowed with a probe \"command\"");
    } else if (auto ms = ReadDuration(diag, *interval, Member(path, "interval"), 1)) {
      ready.interval = *ms;
    }
  }
  return ready;
}

OutputSpec ParseOutput(Diag& diag, const Json& v, const std::string& path, bool is_stderr) {
  OutputSpec out;
  if (v.is_object()) {
    out.kind = OutputSpec::Kind::kFile;
    CheckKeys(diag, v, path, {"file", "max_size", "keep", "timestamps"});
    if (const Json* file = Find(v, "file")) {
      if (auto s = ReadString(diag, *file, Member(path, "file"), "a file path")) out.file = *s;
    } else {
      diag.Error(path, "missing \"file\" (the path to write to)");
    }
    if (const Json* size = Find(v, "max_size")) {
      if (auto n = ReadSize(diag, *size, Member(path, "max_size"))) out.max_size = *n;
    }
    if (const Json* keep = Find(v, "keep")) {
      if (auto n = ReadInt(diag, *keep, Member(path, "keep"), 0, 1000)) {
        out.keep = static_cast<int>(*n);
      }
    }
    if (const Json* ts = Find(v, "timestamps")) {
      if (auto b = ReadBool(diag, *ts, Member(path, "timestamps"))) out.timestamps = *b;
    }
    return out;
  }
  if (v.is_string() && v == "log") return out;
  if (v.is_string() && v == "inherit")
    out.kind = OutputSpec::Kind::kInherit;
  else if (v.is_string() && v == "null")
    out.kind = OutputSpec::Kind::kNull;
  else if (is_stderr && v.is_string() && v == "stdout")
    out.kind = OutputSpec::Kind::kStdout;
  else if (is_stderr)
    Expected(diag, v, path, "\"log\", \"stdout\", \"inherit\", \"null\" or {\"file\": PATH}");
  else if (v.is_string() && v == "stderr")
    diag.Error(path, "\"stderr\" is not allowed here (only \"stderr\": \"stdout\" merges the two)");
  else
    Expected(diag, v, path, "\"log\", \"inherit\", \"null\" or {\"file\": PATH}");
  return out;
}

void ParseRlimits(Diag& diag, const Json& v, const std::string& path, core::RlimitMap& out) {
  if (!v.is_object()) {
    Expected(diag, v, path, "an object like {\"nofile\": 4096}");
    return;
  }
  static const std::pair<std::string_view, core::Rlimit> kNames[] = {
      {"nofile", core::Rlimit::kNofile}, {"nproc", core::Rlimit::kNproc},
      {"core", core::Rlimit::kCore},     {"memlock", core::Rlimit::kMemlock},
      {"as", core::Rlimit::kAs},         {"cpu", core::Rlimit::kCpu}};
  CheckKeys(diag, v, path, {"nofile", "nproc", "core", "memlock", "as", "cpu"});
  for (const auto& [name, limit] : kNames) {
    const Json* value = Find(v, name);
    if (!value) continue;
    std::string at = Member(path, name);
    if (value->is_string() && *value == "unlimited") {
      out[limit] = std::nullopt;
    } else if (value->is_number_integer() && (value->is_number_unsigned() || *value >= 0)) {
      out[limit] = value->get<std::uint64_t>();
    } else {
      Expected(diag, *value, at, "a non-negative integer or \"unlimited\"");
    }
  }
}

void ParseEnv(Diag& diag, const Json& v, const std::string& path, core::WorkerSpec& w) {
  if (!v.is_object()) {
    Expected(diag, v, path, "an object of strings like {\"NAME\": \"value\"}");
    return;
  }
  for (const auto& [name, value] : v.items()) {
    std::string at = Member(path, name);
    if (name.empty() || name.find_first_of(std::string("=\0", 2)) != std::string::npos) {
      diag.Error(at, "an environment variable name must be non-empty, without '=' or NUL");
    } else if (!value.is_string()) {
      Expected(diag, value, at, "a string");
    } else if (value.get_ref<const std::string&>().find('\0') != std::string::npos) {
      diag.Error(at, "an environment value cannot contain NUL");
    } else {
      w.env.emplace_back(name, value.get<std::string>());
    }
  }
}

// user/group -> uid/gid; `user` alone takes the user's primary group.
void ParseCredentials(Diag& diag, const Json& node, const std::string& path, core::WorkerSpec& w) {
  const Json* user = Find(node, "user");
  const Json* group = Find(node, "group");
  std::string error;
  std::optional<std::uint32_t> primary;
  if (user) {
    if (auto name = ReadString(diag, *user, Member(path, "user"), "a user name or decimal uid")) {
      w.user = *name;
      if (auto resolved = ResolveUser(*name, error)) {
        w.uid = resolved->uid;
        primary = resolved->primary_gid;
        if (!primary && !group) {
          diag.Error(
              Member(path, "user"),
              "uid " + *name + " has no passwd entry, hence no primary group: set \"group\" too");
        }
      } else {
        diag.Error(Member(path, "user"), error);
      }
    }
  }
  if (group) {
    if (auto name =
            ReadString(diag, *group, Member(path, "group"), "a group name or decimal gid")) {
      w.group = *name;
      if (auto gid = ResolveGroup(*name, error))
        w.gid = *gid;
      else
        diag.Error(Member(path, "group"), error);
    }
  } else if (primary) {
    w.gid = primary;
  }
}

// What the process is: argv, credentials, environment, limits, how it is stopped.
void ParseProcessKeys(Diag& diag, const Json& node, const std::string& path, core::WorkerSpec& w) {
  auto at = [&](std::string_view key) { return Member(path, key); };
  if (const Json* v = Find(node, "command")) {
    if (auto argv = ReadArgv(diag, *v, at("command"))) w.command = *argv;
  }
  if (const Json* v = Find(node, "cwd")) {
    if (auto s = ReadString(diag, *v, at("cwd"), "a directory path")) w.cwd = *s;
  }
  ParseCredentials(diag, node, path, w);
  if (const Json* v = Find(node, "umask"))
    w.umask = ReadOctalMode(diag, *v, at("umask"), 0777, "0022");
  if (const Json* v = Find(node, "env")) ParseEnv(diag, *v, at("env"), w);
  if (const Json* v = Find(node, "env_clear"))
    w.env_clear = ReadBool(diag, *v, at("env_clear")).value_or(false);
  if (const Json* v = Find(node, "rlimits")) ParseRlimits(diag, *v, at("rlimits"), w.rlimits);
  if (const Json* v = Find(node, "stop_signal")) {
    std::optional<int> sig;
    if (v->is_string()) sig = common::SignalFromName(v->get_ref<const std::string&>());
    if (sig)
      w.stop_signal = *sig;
    else
      Expected(diag, *v, at("stop_signal"),
               "a signal name like \"SIGTERM\", \"SIGINT\" or \"SIGQUIT\"");
  }
  if (const Json* v = Find(node, "kill_mode")) {
    w.kill_mode = ReadEnum<core::KillMode>(diag, *v, at("kill_mode"))
                      .value_or(core::KillMode::kAuto);
  }
  if (const Json* v = Find(node, "normal_exit_codes")) {
    if (!v->is_array()) {
      Expected(diag, *v, at("normal_exit_codes"), "an array of exit codes (0 to 255)");
    } else {
      w.normal_exit_codes.clear();
      for (std::size_t i = 0; i < v->size(); ++i) {
        if (auto code = ReadInt(diag, (*v)[i], Element(at("normal_exit_codes"), i), 0, 255)) {
          w.normal_exit_codes.push_back(static_cast<int>(*code));
        }
      }
    }
  }
}

// How it becomes ready and where its output goes.
void ParseLifecycleKeys(Diag& diag, const Json& node, const std::string& path,
                        core::WorkerSpec& w) {
  auto at = [&](std::string_view key) { return Member(path, key); };
  if (const Json* v = Find(node, "ready")) w.ready = ParseReady(diag, *v, at("ready"));
  if (const Json* v = Find(node, "start_timeout")) {
    w.start_timeout = ReadDuration(diag, *v, at("start_timeout"), 1).value_or(w.start_timeout);
  }
  if (const Json* v = Find(node, "watchdog")) {
    w.watchdog = ReadDuration(diag, *v, at("watchdog"), 1);
    if (w.ready.kind != core::ReadySpec::Kind::kSdNotify) {
      diag.Error(at("watchdog"),
                 "needs \"ready\": \"sd_notify\" (the child pings WATCHDOG=1 over "
                 "NOTIFY_SOCKET); this worker's ready is not sd_notify");
    }
  }
  if (const Json* v = Find(node, "stdout"))
    w.stdout_spec = ParseOutput(diag, *v, at("stdout"), false);
  if (const Json* v = Find(node, "stderr"))
    w.stderr_spec = ParseOutput(diag, *v, at("stderr"), true);
  if (const Json* v = Find(node, "stdin")) {
    if (!(v->is_string() && *v == "null")) Expected(diag, *v, at("stdin"), "\"null\"");
  }
  if (const Json* v = Find(node, "log_buffer")) {
    auto size = ReadSize(diag, *v, at("log_buffer"));
    constexpr std::uint64_t kMaxLogBuffer = 1ull << 30;
    if (size && *size > kMaxLogBuffer)
      diag.Error(at("log_buffer"), "at most 1GB, got " + Describe(*v));
    else if (size)
      w.log_buffer = *size;
  }
}

}  // namespace

core::WorkerSpec ParseWorkerKeys(Diag& diag, const Json& node, const std::string& path) {
  core::WorkerSpec w;
  ParseProcessKeys(diag, node, path, w);
  ParseLifecycleKeys(diag, node, path, w);
  return w;
}

}  // namespace supd::config
