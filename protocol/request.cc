#include "protocol/request.h"

#include <algorithm>
#include <initializer_list>

#include <nlohmann/json.hpp>

#include "common/signals.h"
#include "common/units.h"
#include "daemon/core/tree.h"

namespace supd::protocol {
namespace {

using nlohmann::json;

struct CmdInfo {
  Cmd cmd;
  const char* name;
  std::initializer_list<const char*> keys;  // allowed arguments besides "cmd"
};

const CmdInfo kCommands[] = {
    {Cmd::kStatus, "status", {"path"}},
    {Cmd::kStart, "start", {"path"}},
    {Cmd::kStop, "stop", {"path"}},
    {Cmd::kRestart, "restart", {"path"}},
    {Cmd::kSignal, "signal", {"path", "signal"}},
    {Cmd::kStartChild, "start_child", {"path", "args", "id"}},
    {Cmd::kReload, "reload", {"dry_run", "restart_instances"}},
    {Cmd::kShutdown, "shutdown", {}},
    {Cmd::kLog, "log", {"path", "lines", "follow"}},
    {Cmd::kEvents, "events", {"follow"}},
    {Cmd::kWait, "wait", {"path", "state", "timeout"}},
    {Cmd::kVersion, "version", {}},
};

RequestError Bad(std::string message) {
  return RequestError{core::ErrorCode::kBadRequest, std::move(message)};
}

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '.' || c == '-';
}

bool IsValidId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), IsIdChar);
}

// Requests are flat; refuse deep nesting before the parser sees it.
bool NestingWithin(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

std::string Quote(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

// Reads `path`; `required` false leaves "" (the root).
std::optional<RequestError> ReadPath(const json& j, const char* cmd, bool required,
                                     std::string* out) {
  auto it = j.find("path");
  if (it == j.end()) {
    if (required) return Bad(std::string(cmd) + ": missing \"path\"");
    return std::nullopt;
  }
  if (!it->is_string()) return Bad(std::string(cmd) + ": \"path\" must be a string");
  *out = it->get<std::string>();
  if (!IsValidPath(*out)) {
    return Bad(std::string(cmd) + ": invalid path " + Quote(*out) +
               " (slash-separated ids of [A-Za-z0-9_.-], \"\" for the root)");
  }
  return std::nullopt;
}

std::optional<RequestError> ReadBool(const json& j, const char* cmd, const char* key,
                                     bool* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) return Bad(std::string(cmd) + ": \"" + key + "\" must be a boolean");
  *out = it->get<bool>();
  return std::nullopt;
}

std::optional<RequestError> ReadArgs(const json& j, Request* r) {
  if (auto e = ReadPath(j, "start_child", true, &r->path)) return e;
  if (auto it = j.find("args"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Bad("start_child: \"args\" must be an array of strings");
    for (const json& a : *it) {
      if (!a.is_string()) return Bad("start_child: \"args\" must be an array of strings");
      r->args.push_back(a.get<std::string>());
    }
  }
  if (auto it = j.find("id"); it != j.end() && !it->is_null()) {
    if (!it->is_string() || !IsValidId(it->get<std::string>())) {
      return Bad("start_child: \"id\" must match [A-Za-z0-9_.-]{1,64}");
    }
    r->id = it->get<std::string>();
  }
  return std::nullopt;
}

std::optional<RequestError> ReadSignal(const json& j, Request* r) {
  if (auto e = ReadPath(j, "signal", true, &r->path)) return e;
  auto it = j.find("signal");
  if (it == j.end()) return Bad("signal: missing \"signal\" (a name like \"SIGHUP\" or a number)");
  std::optional<int> signo;
  if (it->is_string()) signo = common::ParseSignal(it->get<std::string>());
  else if (it->is_number_integer()) {
    auto n = it->get<long long>();
    if (n >= 1 && n <= 64) signo = static_cast<int>(n);
  }
  if (!signo) return Bad("signal: unknown signal " + it->dump(-1, ' ', false,
                                                                json::error_handler_t::replace));
  r->signo = *signo;
  return std::nullopt;
}

std::optional<RequestError> ReadWait(const json& j, Request* r) {
  if (auto e = ReadPath(j, "wait", true, &r->path)) return e;
  auto it = j.find("state");
  if (it == j.end() || !it->is_string()) return Bad("wait: missing \"state\" (e.g. \"running\")");
  r->state = it->get<std::string>();
  if (!IsWaitableState(r->state)) {
    return Bad("wait: unknown state " + Quote(r->state) +
               " (stopped, starting, running, ready, stopping, backoff, exited)");
  }
  if (r->state == "ready") r->state = "running";
  if (auto t = j.find("timeout"); t != j.end() && !t->is_null()) {
    std::optional<core::Millis> ms;
    if (t->is_string()) {
      ms = common::ParseDuration(t->get<std::string>(), common::BareNumber::kSeconds);
    } else if (t->is_number() && t->get<double>() >= 0 && t->get<double>() < 1e9) {
      ms = static_cast<core::Millis>(t->get<double>() * 1000);  // a number is seconds
    }
    if (!ms) return Bad("wait: \"timeout\" must be a duration (\"5s\", \"250ms\") or seconds");
    r->timeout = std::min(*ms, kMaxWaitTimeout);
  }
  return std::nullopt;
}

std::optional<RequestError> ReadLog(const json& j, Request* r) {
  if (auto e = ReadPath(j, "log", true, &r->path)) return e;
  if (auto e = ReadBool(j, "log", "follow", &r->follow)) return e;
  if (auto it = j.find("lines"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > 1'000'000) {
      return Bad("log: \"lines\" must be an integer from 0 to 1000000");
    }
    r->lines = static_cast<int>(it->get<long long>());
  }
  return std::nullopt;
}

std::variant<Request, RequestError> Validate(const json& j) {
  if (!j.is_object()) return Bad("a request must be a JSON object with \"cmd\"");
  auto cmd_it = j.find("cmd");
  if (cmd_it == j.end()) return Bad("missing \"cmd\"");
  if (!cmd_it->is_string()) return Bad("\"cmd\" must be a string");
  const std::string& name = cmd_it->get_ref<const std::string&>();
  const CmdInfo* info = nullptr;
  for (const CmdInfo& c : kCommands) {
    if (name == c.name) info = &c;
  }
  if (!info) {
    return Bad("unknown command " + Quote(name) +
               " (status, start, stop, restart, signal, start_child, reload, shutdown, log, "
               "events, wait, version)");
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "cmd") continue;
    if (std::none_of(info->keys.begin(), info->keys.end(),
                     [&](const char* k) { return it.key() == k; })) {
      return Bad(std::string(info->name) + ": unknown argument " + Quote(it.key()));
    }
  }
  Request r;
  r.cmd = info->cmd;
  std::optional<RequestError> err;
  switch (info->cmd) {
    case Cmd::kStatus: err = ReadPath(j, info->name, false, &r.path); break;
    case Cmd::kStart:
    case Cmd::kStop:
    case Cmd::kRestart: err = ReadPath(j, info->name, true, &r.path); break;
    case Cmd::kSignal: err = ReadSignal(j, &r); break;
    case Cmd::kStartChild: err = ReadArgs(j, &r); break;
    case Cmd::kReload:
      err = ReadBool(j, "reload", "dry_run", &r.dry_run);
      if (!err) err = ReadBool(j, "reload", "restart_instances", &r.restart_instances);
      break;
    case Cmd::kLog: err = ReadLog(j, &r); break;
    case Cmd::kEvents: err = ReadBool(j, "events", "follow", &r.follow); break;
    case Cmd::kWait: err = ReadWait(j, &r); break;
    case Cmd::kShutdown:
    case Cmd::kVersion: break;
  }
  if (err) return *err;
  return r;
}

}  // namespace

const char* ToString(Cmd cmd) {
  for (const CmdInfo& c : kCommands) {
    if (c.cmd == cmd) return c.name;
  }
  return "?";
}

bool IsValidPath(std::string_view path) {
  if (path.empty()) return true;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    std::string_view id = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!IsValidId(id)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool IsWaitableState(std::string_view state) {
  // A node's states (status' words) and "ready".
  const auto& states = core::EnumWords<core::NodeState>::words;
  return state == "ready" || std::any_of(states.begin(), states.end(),
                                         [&](const char* s) { return state == s; });
}

std::variant<Request, RequestError> ParseRequest(std::string_view line) {
  if (line.size() > kMaxRequestLine) return Bad("request line longer than 1 MiB");
  if (!NestingWithin(line, 16)) return Bad("malformed request: nested too deeply");
  try {
    json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Bad("malformed JSON request (one JSON object per line)");
    return Validate(j);
  } catch (const std::exception& e) {
    return Bad(std::string("malformed request: ") + e.what());
  }
}

}  // namespace supd::protocol
