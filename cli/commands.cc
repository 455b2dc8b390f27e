#include "cli/commands.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>

#include "cli/render.h"
#include "cli/session.h"
#include "common/paths.h"
#include "common/signals.h"
#include "config/check.h"
#include "protocol/request.h"

namespace supd::cli {

using nlohmann::json;
using protocol::NodeView;

namespace {

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Out(std::string_view s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}
void OutLine(const std::string& s) {
  Out(s);
  std::fputc('\n', stdout);
}

bool ValidPathOrComplain(const std::string& path) {
  if (protocol::IsValidPath(path)) return true;
  PrintErr("invalid path \"" + path + "\": slash-separated ids of [A-Za-z0-9_.-], e.g. pipeline/index");
  return false;
}

json StatusRequest(const std::string& path) {
  json req = {{"cmd", "status"}};
  if (!path.empty()) req["path"] = path;
  return req;
}

// Status of one path; prints errors. nullopt on failure (code in *exit). `only_print`:
// the caller only prints the raw reply (--json), so the NODE is checked, not kept: building
// 1,000 NodeViews was ~100 page faults of `status --json` (bench/RESULTS.md, issue 16).
std::optional<NodeView> FetchNode(Session& s, const std::string& path, int* exit,
                                  bool only_print = false) {
  auto node = s.CallNode(StatusRequest(path), path, !only_print);
  if (!node) *exit = s.failure_code();
  return node;
}

}  // namespace

std::string DefaultSocket() {
  return common::NonEmptyEnv("SUPD_SOCKET").value_or(common::DefaultSocketPath());
}

int Status(const Globals& g, const std::vector<std::string>& paths_in) {
  std::vector<std::string> paths = paths_in;
  if (paths.empty()) paths.push_back("");
  for (const std::string& p : paths) {
    if (!ValidPathOrComplain(p)) return kExitUsage;
  }
  Session s(g);
  int exit = kExitOk;
  if (g.json) {  // the replies as they came, each checked
    for (const std::string& p : paths) {
      int code = kExitOk;
      if (!FetchNode(s, p, &code, /*only_print=*/true)) {
        exit = code;
        if (code == kExitUnreachable) return code;
      }
    }
    return exit;
  }
  // The table keeps each row's text as the nodes are read, never the NodeView tree
  // (~400 bytes a node: ~100 page faults over 1,000 children, bench/RESULTS.md, issue 16).
  StatusTableBuilder table(0, g.color);
  // Reserved, not touched: only the pages the rows fill are ever faulted in, and growing
  // by doubling (copying) would touch them twice.
  table.Reserve(8192, 1 << 20);
  bool any = false;
  for (const std::string& p : paths) {
    const std::size_t base = table.size();
    bool now_set = false;  // the time is taken once the reply is in (uptimes are >= 0)
    auto visit = [&](const NodeView& n, int depth, std::size_t slot) {
      if (!now_set) table.set_now(UnixNow());
      now_set = true;
      table.Add(n, depth, base + slot);
    };
    if (s.CallNodeVisit(StatusRequest(p), p, visit, [&] { table.Truncate(base); })) {
      any = true;
    } else {
      table.Truncate(base);
      exit = s.failure_code();
      if (exit == kExitUnreachable) return exit;
    }
  }
  if (any) table.Write([](std::string_view chunk) { Out(chunk); });
  return exit;
}

int Tree(const Globals& g) {
  Session s(g);
  int exit = kExitOk;
  auto node = FetchNode(s, "", &exit, g.json);
  if (!node) return exit;
  if (!g.json) Out(TreeView(*node, UnixNow(), g.color));
  return kExitOk;
}

namespace {

/// One request per path, in order: prints each raw reply with --json, else `done(path)` on
/// success or the error. Stops at once when supd is unreachable.
int PerPath(const Globals& g, const std::vector<std::string>& paths,
            const std::function<json(const std::string&)>& request,
            const std::function<std::string(const std::string&)>& done) {
  for (const std::string& p : paths) {
    if (!ValidPathOrComplain(p)) return kExitUsage;
  }
  Session s(g);
  int exit = kExitOk;
  for (const std::string& p : paths) {
    auto reply = s.CallOk(request(p), p);
    if (!reply) {
      if (s.failure_code() == kExitUnreachable) return kExitUnreachable;
      exit = s.failure_code();
    } else if (!g.json) {
      OutLine(done(p));
    }
  }
  return exit;
}

}  // namespace

int Operate(const Globals& g, const std::string& cmd, const std::vector<std::string>& paths) {
  static const std::pair<const char*, const char*> kDone[] = {
      {"start", "started"}, {"stop", "stopped"}, {"restart", "restarted"}};
  std::string done = cmd;
  for (auto& [verb, past] : kDone) {
    if (cmd == verb) done = past;
  }
  return PerPath(
      g, paths, [&](const std::string& p) { return json{{"cmd", cmd}, {"path", p}}; },
      [&](const std::string& p) { return done + " " + DisplayPath(p); });
}

int Signal(const Globals& g, const std::string& sig, const std::vector<std::string>& paths) {
  auto signo = common::ParseSignal(sig);
  if (!signo) {
    PrintErr("unknown signal \"" + sig + "\" (a name like HUP, SIGUSR1, or a number)");
    return kExitUsage;
  }
  return PerPath(
      g, paths,
      [&](const std::string& p) { return json{{"cmd", "signal"}, {"path", p}, {"signal", *signo}}; },
      [&](const std::string& p) {
        return "sent " + common::SignalName(*signo) + " to " + DisplayPath(p);
      });
}

int StartChild(const Globals& g, const std::string& sup, const std::optional<std::string>& id,
               const std::vector<std::string>& args) {
  if (!ValidPathOrComplain(sup)) return kExitUsage;
  json req = {{"cmd", "start_child"}, {"path", sup}, {"args", args}};
  if (id) req["id"] = *id;
  Session s(g);
  auto reply = s.CallOk(req, sup);
  if (!reply) return s.failure_code();
  if (!g.json) {
    auto path = reply->body.find("path");
    OutLine("started " + (path != reply->body.end() && path->is_string()
                              ? path->get<std::string>()
                              : sup));
  }
  return kExitOk;
}

int Shutdown(const Globals& g) {
  Session s(g);
  s.set_eof_expected(true);
  auto reply = s.CallOk({{"cmd", "shutdown"}});
  if (!reply && s.closed_without_reply()) {
    // supd stopped the tree and exited before its reply got out.
    if (!g.json) OutLine("supd stopped its tree and exited");
    return kExitOk;
  }
  if (!reply) return s.failure_code();
  if (!g.json) OutLine("supd stopped its tree and is exiting");
  return kExitOk;
}

int Log(const Globals& g, const std::string& path, int lines, bool follow) {
  if (!ValidPathOrComplain(path)) return kExitUsage;
  Session s(g);
  json req = {{"cmd", "log"}, {"path", path}, {"lines", lines}, {"follow", follow}};
  auto reply = s.CallOk(req, path);
  if (!reply) return s.failure_code();
  auto print = [&](const json& j) {
    if (auto it = j.find("lines"); it != j.end() && it->is_array()) {
      for (const json& l : *it) {
        if (l.is_string()) OutLine(l.get<std::string>());
      }
    }
    if (auto it = j.find("line"); it != j.end() && it->is_string()) {
      // Following a supervisor: each worker's lines prefixed with its path.
      auto from = j.find("path");
      bool other = from != j.end() && from->is_string() && from->get<std::string>() != path;
      OutLine(other ? from->get<std::string>() + "| " + it->get<std::string>()
                    : it->get<std::string>());
    }
  };
  if (!g.json) print(reply->body);
  std::fflush(stdout);
  while (follow) {
    std::string line;
    if (!s.ReadStreamLine(&line)) break;
    if (g.json) {
      OutLine(line);
    } else {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded()) print(j);
    }
    std::fflush(stdout);
  }
  return kExitOk;
}

int Events(const Globals& g, bool follow) {
  Session s(g);
  json req = {{"cmd", "events"}};
  if (follow) req["follow"] = true;
  auto reply = s.CallOk(req);
  if (!reply) return s.failure_code();
  if (!g.json) {
    if (auto it = reply->body.find("events"); it != reply->body.end() && it->is_array()) {
      for (const json& e : *it) OutLine(FormatEvent(e, g.color));
    }
  }
  std::fflush(stdout);
  while (follow) {
    std::string line;
    if (!s.ReadStreamLine(&line)) break;  // supd went away: the stream is over
    if (g.json) {
      OutLine(line);
    } else {
      json e = json::parse(line, nullptr, false);
      if (!e.is_discarded()) OutLine(FormatEvent(e, g.color));
    }
    std::fflush(stdout);
  }
  return kExitOk;
}

int Wait(const Globals& g, const std::string& path, const std::string& state,
         std::optional<core::Millis> timeout) {
  if (!ValidPathOrComplain(path)) return kExitUsage;
  if (!protocol::IsWaitableState(state)) {
    PrintErr("unknown state \"" + state +
             "\" (stopped, starting, running, ready, stopping, backoff, exited)");
    return kExitUsage;
  }
  core::Millis ms = timeout.value_or(g.timeout);
  Session s(g);
  std::string raw;
  json req = {{"cmd", "wait"}, {"path", path}, {"state", state},
              {"timeout", std::to_string(ms) + "ms"}};
  // The daemon answers `timeout` itself; our own deadline only guards against a stuck supd.
  auto reply = s.Call(req, Clock::now() + std::chrono::milliseconds(ms + 5000), &raw);
  if (!reply) return s.failure_code();
  if (g.json) OutLine(raw);
  if (reply->ok) return kExitOk;
  if (reply->error == "timeout") {
    PrintErr(reply->message);
    return kExitTimedOut;
  }
  s.PrintError(*reply, path);
  return kExitFailed;
}

namespace {

void FindUnhealthy(const NodeView& n, int* healthy, std::vector<std::string>* bad) {
  // A child held down by `autostart: false` is not meant to run until an operator says so.
  if (!n.supervisor && n.restart == "permanent" && !(n.autostart_off && n.state == "stopped")) {
    if (n.state == "running" && n.ready) {
      ++*healthy;
    } else {
      bad->push_back(DisplayPath(n.path) + " is " + n.state + (n.ready ? "" : ", not ready"));
    }
  }
  for (const NodeView& c : n.children) FindUnhealthy(c, healthy, bad);
}

}  // namespace

int Check(const Globals& g) {
  Session s(g);
  int exit = kExitOk;
  auto node = FetchNode(s, "", &exit);
  if (!node) return exit;
  int healthy = 0;
  std::vector<std::string> bad;
  FindUnhealthy(*node, &healthy, &bad);
  if (!bad.empty()) {
    for (const std::string& b : bad) PrintErr("unhealthy: " + b);
    return kExitFailed;
  }
  if (!g.json) {
    OutLine("ok: " + std::to_string(healthy) + " permanent worker" + (healthy == 1 ? "" : "s") +
            " running and ready");
  }
  return kExitOk;
}

int ConfigCheck(const std::string& file) {
  std::cout.flush();
  return supd::config::RunCheck(file, std::cout, std::cerr);
}

int Version(const Globals& g) {
  Session s(g);
  std::string raw;
  if (!g.json) OutLine(std::string("supctl ") + SUPD_VERSION);
  std::fflush(stdout);
  auto reply = s.Call({{"cmd", "version"}}, s.DefaultDeadline(), &raw);
  if (!reply) return s.failure_code();
  if (g.json) {
    OutLine(raw);
  } else if (reply->ok) {
    auto v = reply->body.find("version");
    auto p = reply->body.find("protocol");
    OutLine("supd " + (v != reply->body.end() && v->is_string() ? v->get<std::string>() : "?") +
            (p != reply->body.end() ? " (protocol " + p->dump() + ")" : ""));
  }
  if (!reply->ok) {
    s.PrintError(*reply);
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace supd::cli
