// Reload plan: the comparison of specs by path, and its rendering for humans.
#include "daemon/core/reload_plan.h"

#include <cstdio>
#include <map>
#include <utility>

namespace supd::core {

namespace {

std::string Text(const Shutdown& s) {
  switch (s.kind) {
    case Shutdown::Kind::kBrutalKill: return "brutal_kill";
    case Shutdown::Kind::kInfinity: return "infinity";
    case Shutdown::Kind::kTimeout: return FormatMillis(s.timeout);
  }
  return "?";
}

template <typename E>
  requires requires { EnumWords<E>::words; }
std::string Text(E e) {
  return ToString(e);
}
std::string Text(bool b) { return b ? "true" : "false"; }
std::string Text(int i) { return std::to_string(i); }

std::string Text(const std::vector<int>& codes) {
  std::string out = "[";
  for (std::size_t i = 0; i < codes.size(); ++i) out += (i ? "," : "") + std::to_string(codes[i]);
  return out + "]";
}

std::string Text(const std::optional<std::size_t>& n) {
  return n ? std::to_string(*n) : "unlimited";
}

std::string Text(const std::optional<BackoffSpec>& b) {
  if (!b) return "none";
  return FormatMillis(b->initial) + ".." + FormatMillis(b->max);
}

/// Appends "key old→new" when the two differ.
template <typename T>
void Diff(std::vector<std::string>& out, const char* key, const T& before, const T& after) {
  if (before == after) return;
  out.push_back(std::string(key) + " " + Text(before) + "→" + Text(after));
}

void DiffMillis(std::vector<std::string>& out, const char* key, Millis before, Millis after) {
  if (before != after) out.push_back(std::string(key) + " " + FormatMillis(before) + "→" +
                                     FormatMillis(after));
}

/// The worker with its policy fields taken from `policy`: equal to `policy` exactly when
/// only policy differs.
WorkerSpec WithPolicyOf(WorkerSpec w, const WorkerSpec& policy) {
  w.normal_exit_codes = policy.normal_exit_codes;
  w.start_timeout = policy.start_timeout;
  return w;
}

bool IsSimple(const ChildSpec& c) {
  return c.supervisor && c.supervisor->strategy == Strategy::kSimpleOneForOne;
}

std::vector<std::string> KeptOrder(const std::vector<ChildSpec>& list,
                                   const std::vector<ChildSpec>& other) {
  std::vector<std::string> ids;
  for (const ChildSpec& c : list) {
    for (const ChildSpec& o : other) {
      if (o.id == c.id) {
        ids.push_back(c.id);
        break;
      }
    }
  }
  return ids;
}

std::string Join(const std::string& parent, const std::string& id) {
  return parent.empty() ? id : parent + "/" + id;
}

struct Planner {
  ReloadPlan& plan;
  bool restart_instances;

  void Add(PlannedChange::Kind kind, std::string path, bool sup,
           std::vector<std::string> details = {}) {
    plan.changes.push_back({kind, std::move(path), sup, std::move(details)});
  }

  // The children of two supervisors at `path` whose own specs are comparable.
  void Children(const std::string& path, const SupervisorSpec& before,
                const SupervisorSpec& after) {
    std::map<std::string, const ChildSpec*> now;
    for (const ChildSpec& c : after.children) now[c.id] = &c;
    for (auto it = before.children.rbegin(); it != before.children.rend(); ++it) {
      auto found = now.find(it->id);
      if (found == now.end() || Compare(*it, *found->second) == SpecChange::kReplace) {
        Add(PlannedChange::Kind::kRemoved, Join(path, it->id), it->IsSupervisor());
        ++plan.removed;
      }
    }
    for (const ChildSpec& c : after.children) {
      const ChildSpec* old = nullptr;
      for (const ChildSpec& o : before.children) {
        if (o.id == c.id) old = &o;
      }
      Child(Join(path, c.id), old, c);
    }
  }

  void Child(const std::string& path, const ChildSpec* before, const ChildSpec& after) {
    const SpecChange change = before ? Compare(*before, after) : SpecChange::kReplace;
    switch (change) {
      case SpecChange::kReplace:
        Add(PlannedChange::Kind::kAdded, path, after.IsSupervisor());
        ++plan.added;
        return;
      case SpecChange::kRestart:
        Add(PlannedChange::Kind::kRestart, path, false,
            ProcessChanges(*before->worker, *after.worker));
        ++plan.restarted;
        return;
      case SpecChange::kPolicy:
        Add(PlannedChange::Kind::kPolicy, path, after.IsSupervisor(),
            PolicyChanges(*before, after));
        ++plan.policy;
        break;
      case SpecChange::kUnchanged:
        if (!path.empty()) ++plan.unchanged;
        break;
    }
    if (!after.supervisor) return;
    if (TemplateProcessChanged(*before->supervisor, *after.supervisor)) {
      std::vector<std::string> details = ProcessChanges(
          *before->supervisor->child_template->worker, *after.supervisor->child_template->worker);
      details.push_back(restart_instances ? "running instances restarted"
                                          : "new instances only");
      Add(PlannedChange::Kind::kTemplate, path, true, std::move(details));
      if (restart_instances) ++plan.restarted;
    }
    Children(path, *before->supervisor, *after.supervisor);
  }

  void Daemon(const DaemonSpec& before, const DaemonSpec& after) {
    auto later = [&](const char* key, const std::string& a, const std::string& b) {
      if (a != b) {
        plan.warnings.push_back(std::string("daemon.") + key + " " + a + "→" + b +
                                ": takes effect at the next start of supd");
      }
    };
    later("socket", before.socket, after.socket);
    later("state_dir", before.state_dir, after.state_dir);
    later("log_dir", before.log_dir, after.log_dir);
    if (before.socket_mode != after.socket_mode) {
      char a[16], b[16];
      std::snprintf(a, sizeof a, "%04o", before.socket_mode);
      std::snprintf(b, sizeof b, "%04o", after.socket_mode);
      plan.daemon_changes.push_back(std::string("daemon.socket_mode ") + a + "→" + b);
    }
    if (before.socket_group != after.socket_group || before.socket_gid != after.socket_gid) {
      plan.daemon_changes.push_back("daemon.socket_group \"" + before.socket_group + "\"→\"" +
                                    after.socket_group + "\"");
    }
    if (before.on_root_give_up != after.on_root_give_up) {
      auto name = [](DaemonSpec::OnRootGiveUp o) {
        return o == DaemonSpec::OnRootGiveUp::kExit ? "exit" : "stay";
      };
      plan.daemon_changes.push_back(std::string("daemon.on_root_give_up ") +
                                    name(before.on_root_give_up) + "→" +
                                    name(after.on_root_give_up));
    }
    if (before.log_format != after.log_format) {
      auto name = [](DaemonSpec::LogFormat f) {
        return f == DaemonSpec::LogFormat::kJson ? "json" : "text";
      };
      plan.daemon_changes.push_back(std::string("daemon.log_format ") + name(before.log_format) +
                                    "→" + name(after.log_format));
    }
  }
};

}  // namespace

std::string FormatMillis(Millis ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

SpecChange Compare(const ChildSpec& before, const ChildSpec& after) {
  if (before.IsSupervisor() != after.IsSupervisor()) return SpecChange::kReplace;
  if (before.worker) {
    if (WithPolicyOf(*before.worker, *after.worker) != *after.worker) return SpecChange::kRestart;
  } else if (IsSimple(before) != IsSimple(after)) {
    return SpecChange::kReplace;
  }
  return PolicyChanges(before, after).empty() ? SpecChange::kUnchanged : SpecChange::kPolicy;
}

std::vector<std::string> ProcessChanges(const WorkerSpec& a, const WorkerSpec& b) {
  std::vector<std::string> out;
  auto check = [&](const char* name, bool same) {
    if (!same) out.push_back(name);
  };
  check("command", a.command == b.command);
  check("cwd", a.cwd == b.cwd);
  check("user", a.user == b.user && a.uid == b.uid);
  check("group", a.group == b.group && a.gid == b.gid);
  check("umask", a.umask == b.umask);
  check("env", a.env == b.env);
  check("env_clear", a.env_clear == b.env_clear);
  check("rlimits", a.rlimits == b.rlimits);
  check("stop_signal", a.stop_signal == b.stop_signal);
  check("kill_mode", a.kill_mode == b.kill_mode);
  check("ready", a.ready == b.ready);
  check("watchdog", a.watchdog == b.watchdog);
  check("stdout", a.stdout_spec == b.stdout_spec);
  check("stderr", a.stderr_spec == b.stderr_spec);
  check("log_buffer", a.log_buffer == b.log_buffer);
  if (out.empty() && WithPolicyOf(a, b) != b) out.push_back("spec");
  return out;
}

std::vector<std::string> PolicyChanges(const ChildSpec& a, const ChildSpec& b) {
  std::vector<std::string> out;
  Diff(out, "restart", a.restart, b.restart);
  if (!(a.shutdown == b.shutdown)) out.push_back("shutdown " + Text(a.shutdown) + "→" + Text(b.shutdown));
  Diff(out, "significant", a.significant, b.significant);
  Diff(out, "autostart", a.autostart, b.autostart);
  if (a.worker && b.worker) {
    Diff(out, "normal_exit_codes", a.worker->normal_exit_codes, b.worker->normal_exit_codes);
    DiffMillis(out, "start_timeout", a.worker->start_timeout, b.worker->start_timeout);
  }
  if (!a.supervisor || !b.supervisor) return out;
  const SupervisorSpec& x = *a.supervisor;
  const SupervisorSpec& y = *b.supervisor;
  Diff(out, "strategy", x.strategy, y.strategy);
  Diff(out, "intensity", x.intensity, y.intensity);
  DiffMillis(out, "period", x.period, y.period);
  Diff(out, "auto_shutdown", x.auto_shutdown, y.auto_shutdown);
  Diff(out, "restart_mode", x.restart_mode, y.restart_mode);
  Diff(out, "restart_order", x.restart_order, y.restart_order);
  Diff(out, "stop_order", x.stop_order, y.stop_order);
  Diff(out, "backoff", x.backoff, y.backoff);
  Diff(out, "max_children", x.max_children, y.max_children);
  if (x.child_template && y.child_template) {
    for (const std::string& d : PolicyChanges(*x.child_template, *y.child_template))
      out.push_back("template." + d);
  }
  if (KeptOrder(x.children, y.children) != KeptOrder(y.children, x.children)) {
    out.push_back("children order");
  }
  return out;
}

bool TemplateProcessChanged(const SupervisorSpec& a, const SupervisorSpec& b) {
  if (!a.child_template || !b.child_template) return false;
  const WorkerSpec& x = *a.child_template->worker;
  const WorkerSpec& y = *b.child_template->worker;
  return WithPolicyOf(x, y) != y;
}

const char* ToString(PlannedChange::Kind kind) {
  switch (kind) {
    case PlannedChange::Kind::kAdded: return "added";
    case PlannedChange::Kind::kRemoved: return "removed";
    case PlannedChange::Kind::kRestart: return "restart";
    case PlannedChange::Kind::kPolicy: return "policy";
    case PlannedChange::Kind::kTemplate: return "template";
  }
  return "?";
}

std::string ReloadPlan::Summary() const {
  return std::to_string(added) + " added, " + std::to_string(removed) + " removed, " +
         std::to_string(restarted) + " restarted, " + std::to_string(policy) + " policy, " +
         std::to_string(unchanged) + " unchanged";
}

ReloadPlan PlanReload(const Config& before, const Config& after, bool restart_instances) {
  ReloadPlan plan;
  Planner planner{plan, restart_instances};
  planner.Daemon(before.daemon, after.daemon);
  planner.Child("", &before.root, after.root);
  return plan;
}

}  // namespace supd::core
