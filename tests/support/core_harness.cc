#include "tests/support/core_harness.h"

#include <memory>
#include <sstream>

namespace supd::testing {

core::ChildSpec Worker(const std::string& id, core::RestartType restart) {
  core::ChildSpec spec;
  spec.id = id;
  spec.restart = restart;
  auto w = std::make_shared<core::WorkerSpec>();
  w->command = {"/bin/" + id};
  spec.worker = std::move(w);
  return spec;
}

core::ChildSpec Sup(const std::string& id, core::Strategy strategy, int intensity,
                    core::Millis period, std::vector<core::ChildSpec> children,
                    core::RestartType restart) {
  core::ChildSpec spec;
  spec.id = id;
  spec.restart = restart;
  spec.shutdown = core::Shutdown{core::Shutdown::Kind::kInfinity, 0};
  auto s = std::make_shared<core::SupervisorSpec>();
  s->strategy = strategy;
  s->intensity = intensity;
  s->period = period;
  s->children = std::move(children);
  spec.supervisor = std::move(s);
  return spec;
}

core::SupervisorSpec& SupOf(core::ChildSpec& spec) {
  return const_cast<core::SupervisorSpec&>(*spec.supervisor);
}

core::WorkerSpec& WorkerOf(core::ChildSpec& spec) {
  return const_cast<core::WorkerSpec&>(*spec.worker);
}

core::ChildSpec WithShutdown(core::ChildSpec spec, core::Shutdown::Kind kind, core::Millis ms) {
  spec.shutdown = core::Shutdown{kind, ms};
  return spec;
}

core::ChildSpec DeepCopy(const core::ChildSpec& spec) {
  core::ChildSpec out = spec;
  if (spec.worker) out.worker = std::make_shared<core::WorkerSpec>(*spec.worker);
  if (!spec.supervisor) return out;
  auto sup = std::make_shared<core::SupervisorSpec>(*spec.supervisor);
  for (auto& c : sup->children) c = DeepCopy(c);
  if (sup->child_template) sup->child_template = DeepCopy(*sup->child_template);
  out.supervisor = std::move(sup);
  return out;
}

namespace {

std::string P(const std::string& path) {
  return path.empty() ? "-" : path;
}

std::string SignalName(int signo) {
  if (signo == core::kSigKill) return "KILL";
  if (signo == core::kSigTerm) return "TERM";
  return std::to_string(signo);
}

struct Describer {
  std::string operator()(const core::Spawn& s) const {
    std::string out = "spawn r" + std::to_string(s.run) + " " + P(s.path);
    if (s.spec && s.spec->command.size() > 1) {
      out += " [";
      for (std::size_t i = 0; i < s.spec->command.size(); ++i)
        out += (i ? " " : "") + s.spec->command[i];
      out += "]";
    }
    return out;
  }
  std::string operator()(const core::Signal& s) const {
    return "signal r" + std::to_string(s.run) + " " + SignalName(s.signo) +
           (s.why.empty() ? "" : ": " + s.why);
  }
  std::string operator()(const core::OperatorSignal& s) const {
    return "operator_signal r" + std::to_string(s.run) + " " + SignalName(s.signo);
  }
  std::string operator()(const core::ArmTimer& t) const {
    return "arm t" + std::to_string(t.timer) + " " + std::to_string(t.after);
  }
  std::string operator()(const core::CancelTimer& t) const {
    return "cancel t" + std::to_string(t.timer);
  }
  std::string operator()(const core::Reply& r) const {
    std::string out = "reply " + std::to_string(r.request) + " " + core::ToString(r.error);
    if (!r.otp_error.empty()) out += " " + r.otp_error;
    if (r.id) out += " id=" + *r.id;
    if (r.path) out += " path=" + *r.path;
    return out;
  }
  std::string operator()(const core::Lifecycle& l) const {
    std::string out =
        std::string(core::ToString(l.kind)) + " " + (l.supervisor ? "sup " : "") + P(l.path);
    if (l.reason) out += std::string(" ") + core::ToString(*l.reason);
    if (l.status) {
      out += l.status->kind == core::ExitStatus::Kind::kExited
                 ? " code=" + std::to_string(l.status->value)
                 : " signal=" + std::to_string(l.status->value);
    }
    if (!l.detail.empty()) out += ": " + l.detail;
    return out;
  }
  std::string operator()(const core::TreeStopped& t) const {
    const char* why = t.why == core::TreeStopped::Why::kGaveUp         ? "gave_up"
                      : t.why == core::TreeStopped::Why::kAutoShutdown ? "auto_shutdown"
                                                                       : "shutdown";
    return std::string("tree_stopped ") + why + " " + std::to_string(t.exit_code) +
           (t.exit ? "" : " stay");
  }
  std::string operator()(const core::TreeReady&) const { return "tree_ready"; }
};

}  // namespace

std::string Describe(const core::Command& command) {
  return std::visit(Describer{}, command);
}

std::vector<std::string> Describe(const std::vector<core::Command>& commands) {
  std::vector<std::string> out;
  for (const auto& c : commands) out.push_back(Describe(c));
  return out;
}

CoreHarness::CoreHarness(core::ChildSpec root, std::function<double()> random)
    : tree_(std::move(root), std::move(random)) {}

CoreHarness::CoreHarness(core::ChildSpec root, core::TreeOptions options)
    : tree_(std::move(root), std::move(options)) {}

std::vector<std::string> CoreHarness::Record(std::vector<core::Command> commands) {
  all_.insert(all_.end(), commands.begin(), commands.end());
  return Describe(commands);
}

std::vector<std::string> CoreHarness::Start() {
  return Record(tree_.Start(now_));
}

std::vector<std::string> CoreHarness::Handle(const core::Event& e) {
  return Record(tree_.Handle(e, now_));
}

std::vector<std::string> CoreHarness::Up(core::RunId run) {
  std::vector<std::string> out = Handle(core::ChildSpawned{run, static_cast<int>(100 + run)});
  for (auto& s : Handle(core::ChildReady{run})) out.push_back(std::move(s));
  return out;
}

std::vector<std::string> CoreHarness::Exit(core::RunId run, core::ExitStatus status) {
  return Handle(core::ChildExited{run, status});
}

std::vector<std::string> CoreHarness::Fire(core::TimerId timer) {
  return Handle(core::TimerFired{timer});
}

std::vector<std::string> CoreHarness::Request(core::OperatorRequest::Op op, const std::string& path,
                                              std::vector<std::string> args,
                                              std::optional<std::string> id) {
  core::OperatorRequest r;
  r.request = ++next_request_;
  r.op = op;
  r.path = path;
  r.args = std::move(args);
  r.id = std::move(id);
  return Handle(r);
}

}  // namespace supd::testing
