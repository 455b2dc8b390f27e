// Supervisor: a reload of its spec, carried out as one task of the usual steps (stop,
// start) plus slot bookkeeping (replace a spec, remove a slot, reload a nested
// supervisor). Nothing here counts toward intensity, triggers the strategy or
// auto_shutdown: a reload is the operator's act, not a failure.
#include <algorithm>
#include <unordered_map>
#include <utility>

#include "daemon/core/reload_plan.h"
#include "daemon/core/supervisor.h"

namespace supd::core {

void Supervisor::Reload(std::shared_ptr<const ChildSpec> spec, bool restart_instances) {
  if (task_) {
    Pending p(Pending::Kind::kReload);
    p.spec = std::move(spec);
    p.restart_instances = restart_instances;
    queue_.push_back(std::move(p));
    return;
  }
  StartReload(*spec, restart_instances);
}

void Supervisor::StartReload(const ChildSpec& spec, bool restart_instances) {
  std::shared_ptr<const SupervisorSpec> before = spec_;
  spec_ = spec.supervisor;
  self_.spec.supervisor = spec.supervisor;
  window_.Reconfigure(spec_->intensity, spec_->period);
  if (!(before->backoff == spec_->backoff)) {
    for (const auto& c : children_) {
      c->backoff.reset();
      if (spec_->backoff) c->backoff = std::make_unique<Backoff>(*spec_->backoff);
    }
  }
  Task task(Task::Kind::kReload);
  task.restart_instances = restart_instances;
  ReloadChildren(*spec_, task);
  if (restart_instances && TemplateProcessChanged(*before, *spec_)) ReloadInstances(*before, task);
  RunTask(std::move(task));
}

void Supervisor::ReloadChildren(const SupervisorSpec& next, Task& task) {
  const bool up = state_ == State::kRunning;
  // Which slots stay: same id, comparable spec. The rest are removed.
  std::unordered_map<std::string, const ChildSpec*> wanted;
  for (const ChildSpec& cs : next.children) wanted[cs.id] = &cs;
  std::vector<Child*> removed;
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    Child& c = **it;
    if (c.dynamic) continue;
    auto found = wanted.find(c.spec.id);
    if (found == wanted.end() || Compare(c.spec, *found->second) == SpecChange::kReplace) {
      removed.push_back(&c);
      by_id_.erase(c.spec.id);
    }
  }
  for (Child* c : removed) {
    task.steps.push_back({Step::Kind::kStop, c});
    task.steps.push_back({Step::Kind::kRemove, c});
  }
  // The new start order: the specs' order, then the dynamic instances, then the slots
  // being removed (gone at the end of their steps).
  std::vector<Child*> order;
  for (const ChildSpec& cs : next.children) {
    Child* c = Find(cs.id);
    if (c == nullptr) {
      c = &AddChild(cs, cs.id, false, cs.worker);
      if (up && !c->held) task.steps.push_back({Step::Kind::kStart, c});
    } else {
      ReloadKept(*c, cs, up, task);
    }
    order.push_back(c);
  }
  for (const auto& c : children_)
    if (c->dynamic) order.push_back(c.get());
  for (auto it = removed.rbegin(); it != removed.rend(); ++it) order.push_back(*it);
  std::unordered_map<Child*, std::unique_ptr<Child>> slots;
  for (auto& c : children_) slots[c.get()] = std::move(c);
  children_.clear();
  for (Child* c : order) children_.push_back(std::move(slots.at(c)));
}

void Supervisor::ReloadKept(Child& c, const ChildSpec& next, bool up, Task& task) {
  ChildSpec spec = next;
  spec.id = c.spec.id;
  switch (Compare(c.spec, next)) {
    case SpecChange::kRestart:
      task.specs[&c] = std::move(spec);
      if (Live(c.phase)) task.steps.push_back({Step::Kind::kStop, &c});
      task.steps.push_back({Step::Kind::kReplace, &c});
      if (Live(c.phase)) task.steps.push_back({Step::Kind::kStart, &c});
      return;
    case SpecChange::kPolicy:
    case SpecChange::kUnchanged: {
      const bool was_on = c.spec.autostart;
      ApplySpec(c, spec);
      if (next.autostart != was_on) {
        // Turned off: a child that runs keeps running, it is just not started again by a
        // start of its supervisor or a branch restart. Turned on: wanted now, started now.
        c.held = !next.autostart && !Live(c.phase);
        if (next.autostart && up && !c.operator_stopped && !Live(c.phase) &&
            c.phase != Phase::kExited) {
          task.steps.push_back({Step::Kind::kStart, &c});
        }
      }
      if (c.sup) {
        task.specs[&c] = std::move(spec);
        task.steps.push_back({Step::Kind::kReloadChild, &c});
      }
      return;
    }
    case SpecChange::kReplace:
      return;  // handled as removed + added by the caller
  }
}

void Supervisor::ReloadInstances(const SupervisorSpec& before, Task& task) {
  const std::size_t base = before.child_template->worker->command.size();
  for (const auto& c : children_) {
    if (!c->dynamic) continue;
    ChildSpec spec = *spec_->child_template;
    spec.id = c->spec.id;
    auto worker = std::make_shared<WorkerSpec>(*spec.worker);
    const auto& old = c->worker->command;
    if (old.size() > base) worker->command.insert(worker->command.end(), old.begin() + base, old.end());
    spec.worker = std::move(worker);
    task.specs[c.get()] = std::move(spec);
    const bool live = Live(c->phase);
    if (live) task.steps.push_back({Step::Kind::kStop, c.get()});
    task.steps.push_back({Step::Kind::kReplace, c.get()});
    if (live) task.steps.push_back({Step::Kind::kStart, c.get()});
  }
}

void Supervisor::ApplySpec(Child& c, const ChildSpec& next) {
  // A nested supervisor's own spec is swapped by its Reload; the slot keeps the rest.
  std::shared_ptr<const SupervisorSpec> sup = c.spec.supervisor;
  c.spec = next;
  if (c.sup) c.spec.supervisor = std::move(sup);
  if (next.worker) c.worker = next.worker;
}

bool Supervisor::ReloadChild(Child& c) {
  auto it = task_->specs.find(&c);
  if (!c.sup || it == task_->specs.end()) return false;
  c.sup->Reload(std::make_shared<const ChildSpec>(it->second), task_->restart_instances);
  return true;
}

}  // namespace supd::core
