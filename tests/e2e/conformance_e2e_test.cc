// Every scenario of tests/data/conformance, end to end: a real supd running real
// supd_test_child processes, driven through supctl, must produce the trace real Erlang/OTP
// produced (conformance/README.md "Running a scenario against supd").
//
// Trace lines come from three writers, merged by CLOCK_REALTIME timestamps (one clock):
//   - the children append "<ns> start P" / "<ns> stop P REASON" to one file (--log-ts);
//   - supd's `events` stream gives sup_start / sup_give_up / sup_exit and "stop P killed"
//     (its "time" is taken when supd acts, before it signals the next child);
//   - this adapter writes action / result / children lines as it performs the actions.
// Causality orders every pair of lines that the trace orders, so sorting by time gives the
// real order.
#include <doctest/doctest.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <thread>

#include "tests/e2e/harness.h"
#include "tests/support/scenario.h"

namespace supd::e2e {
namespace {

using nlohmann::json;
using testing::Scenario;
using testing::ScenarioAction;
using testing::ScenarioNode;

std::int64_t RealtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string ShutdownText(const core::Shutdown& s) {
  switch (s.kind) {
    case core::Shutdown::Kind::kBrutalKill: return "brutal_kill";
    case core::Shutdown::Kind::kInfinity: return "infinity";
    case core::Shutdown::Kind::kTimeout: return std::to_string(s.timeout) + "ms";
  }
  return "5s";
}

/// The supd config node of a scenario node. `path` is the scenario path ("root/...").
json NodeJson(const ScenarioNode& node, const std::string& path, const std::string& log,
              bool is_root, bool is_template) {
  json j = json::object();
  if (!is_root && !is_template) j["id"] = node.id;
  if (!is_root) {
    j["restart"] = core::ToString(node.restart);
    j["shutdown"] = ShutdownText(node.shutdown);
    if (node.significant) j["significant"] = true;
  }
  if (node.supervisor) {
    j["strategy"] = core::ToString(node.strategy);
    j["intensity"] = node.intensity;
    j["period"] = std::to_string(node.period_s) + "s";
    if (node.auto_shutdown != core::AutoShutdown::kNever) {
      j["auto_shutdown"] = core::ToString(node.auto_shutdown);
    }
    if (!node.child_template.empty()) {
      j["template"] = NodeJson(node.child_template[0], path, log, false, true);
    } else {
      json children = json::array();
      for (const auto& c : node.children) {
        children.push_back(NodeJson(c, path + "/" + c.id, log, false, false));
      }
      j["children"] = std::move(children);
    }
    return j;
  }
  std::vector<std::string> cmd = {SUPD_TEST_CHILD, "--log", log, "--log-ts", "--notify-fd", "3"};
  if (node.ignores_sigterm) {
    cmd.push_back("--ignore-term");
  } else {
    cmd.push_back("--term-exit");
    switch (node.sigterm_exit) {
      case testing::SigtermExit::kShutdown: cmd.push_back("shutdown"); break;
      case testing::SigtermExit::kCrash: cmd.push_back("crash"); break;
      case testing::SigtermExit::kNormal: cmd.push_back("normal"); break;
    }
  }
  // A template's instances get "--path P" appended by start_child (OTP appends args).
  if (!is_template) {
    cmd.push_back("--path");
    cmd.push_back(path);
  }
  j["command"] = cmd;
  j["ready"] = {{"notify_fd", 3}};
  j["stdout"] = "null";
  j["stderr"] = "inherit";
  return j;
}

const ScenarioNode* FindNode(const ScenarioNode& root, const std::string& scenario_path) {
  if (scenario_path == "root") return &root;
  const ScenarioNode* node = &root;
  std::stringstream parts(scenario_path.substr(5));
  std::string id;
  while (std::getline(parts, id, '/')) {
    const ScenarioNode* next = nullptr;
    for (const auto& c : node->children) {
      if (c.id == id) next = &c;
    }
    if (!next && !node->child_template.empty()) next = &node->child_template[0];
    if (!next) return nullptr;
    node = next;
  }
  return node;
}

struct Line {
  std::int64_t ns;
  int seq;
  std::string text;
};

/// Runs one scenario against a real supd; returns the trace (not yet canonical).
class Adapter {
 public:
  explicit Adapter(const Scenario& s) : s_(s) {}
  ~Adapter() {
    stop_reader_ = true;
    if (reader_.joinable()) reader_.join();
  }

  std::vector<std::string> Run() {
    log_ = dir_.File("trace.log");
    WriteFile(log_, "");
    json config = NodeJson(s_.root, "root", log_, true, false);
    config["daemon"] = {{"socket", dir_.File("supd.sock")},
                        {"state_dir", dir_.File("state")},
                        {"on_root_give_up", "exit"}};
    WriteFile(dir_.File("supd.json"), config.dump(2));
    supd_ = std::make_unique<SupdProcess>(dir_.File("supd.json"), dir_.File("supd.sock"),
                                          dir_.File("supd.err"));
    REQUIRE_MESSAGE(supd_->WaitReady(), "supd did not come up:\n" << supd_->Stderr());
    StartEventReader();
    REQUIRE_MESSAGE(WaitFor([&] { return RootRunning(); }, milliseconds(10000)),
                    "the tree did not start:\n" << supd_->Stderr());
    auto t0 = Clock::now();
    for (const auto& action : s_.actions) {
      std::this_thread::sleep_until(t0 + milliseconds(action.at_ms));  // the scenario's clock
      if (action.settle) Settle();
      Perform(action);
    }
    Settle();
    std::this_thread::sleep_until(t0 + milliseconds(s_.end_ms));
    Settle();
    return Collect();
  }

  std::string SupdStderr() const { return supd_ ? supd_->Stderr() : ""; }

 private:
  std::string Supctl() const { return SUPCTL_BIN; }

  std::optional<json> Ctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {Supctl(), "--socket", dir_.File("supd.sock"), "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult r = e2e::Run(argv, milliseconds(30000));
    std::stringstream lines(r.output);
    std::string line;
    while (std::getline(lines, line)) {
      auto doc = json::parse(line, nullptr, false);
      if (doc.is_object()) return doc;
    }
    return std::nullopt;
  }

  std::optional<json> StatusOf(const std::string& supd_path) {
    Client c(dir_.File("supd.sock"));
    auto reply = c.Call({{"cmd", "status"}, {"path", supd_path}}, milliseconds(5000));
    if (!reply || !(*reply)["ok"].get<bool>()) return std::nullopt;
    return (*reply)["node"];
  }

  bool RootRunning() {
    auto root = StatusOf("");
    return root && (*root)["state"] == "running";
  }

  /// Idle: supd says so (or no node is starting/stopping/backoff) and neither the child
  /// log nor the event stream grew for three rounds of 10 ms.
  void Settle() {
    if (supd_->WaitExit(milliseconds(0))) return;
    int quiet = 0;
    std::size_t last_log = 0, last_events = 0;
    auto deadline = Clock::now() + milliseconds(20000);
    while (quiet < 3 && Clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(10));  // the README's 10 ms settle rounds
      if (supd_->WaitExit(milliseconds(0))) return;
      std::size_t log_size = ReadFile(log_).size();
      std::size_t events = EventCount();
      bool idle = TreeIdle();
      if (idle && log_size == last_log && events == last_events) {
        ++quiet;
      } else {
        quiet = 0;
      }
      last_log = log_size;
      last_events = events;
    }
  }

  bool TreeIdle() {
    Client c(dir_.File("supd.sock"));
    auto reply = c.Call({{"cmd", "status"}}, milliseconds(5000));
    if (!reply || !reply->value("ok", false)) return true;  // supd going away
    if (reply->contains("idle")) return (*reply)["idle"].get<bool>();
    std::function<bool(const json&)> busy = [&](const json& n) {
      std::string st = n.value("state", "");
      if (st == "starting" || st == "stopping" || st == "backoff") return true;
      if (n.contains("children")) {
        for (const auto& c : n["children"]) {
          if (busy(c)) return true;
        }
      }
      return false;
    };
    return !busy((*reply)["node"]);
  }

  void AddLine(std::string text) {
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back({RealtimeNs(), seq_++, std::move(text)});
  }

  void Perform(const ScenarioAction& a) {
    std::string verb = testing::ToString(a.verb);
    std::string target = a.verb == ScenarioAction::Verb::kStartChild ? a.path + "/" + a.name
                                                                      : a.path;
    AddLine(a.verb == ScenarioAction::Verb::kStopTree ? "action stop_tree"
                                                      : "action " + verb + " " + target);
    std::string supd_path = a.path.empty() ? std::string() : testing::SupdPath(a.path);
    switch (a.verb) {
      case ScenarioAction::Verb::kCrash: SignalChild(supd_path, SIGUSR1); break;
      case ScenarioAction::Verb::kExitNormal: SignalChild(supd_path, SIGUSR2); break;
      case ScenarioAction::Verb::kExitShutdown: SignalChild(supd_path, SIGHUP); break;
      case ScenarioAction::Verb::kKill: SignalChild(supd_path, SIGKILL); break;
      case ScenarioAction::Verb::kTerminateChild:
        AddLine("result terminate_child " + target + " " + Result(Ctl({"stop", supd_path})));
        break;
      case ScenarioAction::Verb::kRestartChild:
        AddLine("result restart_child " + target + " " + Result(Ctl({"start", supd_path})));
        break;
      case ScenarioAction::Verb::kStartChild:
        AddLine("result start_child " + target + " " +
                Result(Ctl({"start-child", supd_path, "--id", a.name, "--", "--path", target})));
        break;
      case ScenarioAction::Verb::kWhichChildren: AddLine(Children(a.path)); break;
      case ScenarioAction::Verb::kStopTree:
        Ctl({"shutdown"});
        CHECK_MESSAGE(supd_->WaitExit(milliseconds(30000)).has_value(),
                      "supd did not exit after shutdown");
        break;
    }
  }

  void SignalChild(const std::string& supd_path, int signo) {
    auto node = StatusOf(supd_path);
    REQUIRE_MESSAGE((node && node->contains("pid")), "no running process at " << supd_path);
    pid_t pid = (*node)["pid"].get<pid_t>();
    ::kill(pid, signo);
    // The action completes when the target process is gone.
    CHECK_MESSAGE(WaitFor([&] { return !ProcessAlive(pid); }, milliseconds(10000)),
                  "process " << pid << " of " << supd_path << " did not exit");
  }

  std::string Result(const std::optional<json>& reply) {
    if (!reply) return "error:no_reply";
    if (reply->value("ok", false)) return "ok";
    std::string otp = reply->value("otp_error", "");
    if (!otp.empty()) return "error:" + otp;
    std::string code = reply->value("error", "");
    std::string message = reply->value("message", "");
    if (code == "not_found") return "error:not_found";
    if (message.find("simple_one_for_one") != std::string::npos) {
      return "error:simple_one_for_one";
    }
    if (code == "bad_state") return "error:running";
    return "error:" + code;
  }

  std::string Children(const std::string& scenario_path) {
    auto node = StatusOf(testing::SupdPath(scenario_path));
    std::string line = "children " + scenario_path;
    if (!node) return line + " <no status>";
    const ScenarioNode* spec = FindNode(s_.root, scenario_path);
    bool sofo = spec && spec->strategy == core::Strategy::kSimpleOneForOne;
    std::vector<std::string> items;
    for (const auto& c : (*node)["children"]) {
      std::string state = c.value("state", "");
      bool live = state == "running" || state == "starting" || state == "stopping";
      if (sofo) {
        if (live) items.push_back(c.value("id", "") + ":running");
        continue;
      }
      if (c.value("restart", "") == "temporary" && !live) continue;  // OTP forgot it
      std::string otp_state = live ? "running" : state == "backoff" ? "restarting" : "stopped";
      items.push_back(c.value("id", "") + ":" + otp_state);
    }
    if (sofo) std::sort(items.begin(), items.end());
    for (const auto& i : items) line += " " + i;
    return line;
  }

  void StartEventReader() {
    auto ready = std::make_shared<std::atomic<bool>>(false);
    reader_ = std::thread([this, ready] {
      Client c(dir_.File("supd.sock"));
      if (!c.Send(json({{"cmd", "events"}, {"follow", true}}).dump() + "\n")) return;
      auto ack = c.ReadLine(milliseconds(5000));
      *ready = true;
      bool exited = false;
      while (true) {
        // Stop only after a read that began once supd had exited or Collect() had asked:
        // supd may write its last events (sup_exit root) and exit while a read is timing
        // out, and what it sent is still in the socket for the next read.
        bool last = exited || stop_reader_;
        auto line = c.ReadLine(milliseconds(50));
        if (!line) {
          if (last) break;
          exited = supd_->WaitExit(milliseconds(0)).has_value();
          continue;
        }
        std::lock_guard<std::mutex> lock(mu_);
        streamed_.push_back(*line);
      }
    });
    WaitFor([&] { return ready->load(); }, milliseconds(5000));
    // Events from before the stream was connected (the tree's start) come from the ring.
    Client c(dir_.File("supd.sock"));
    auto history = c.Call({{"cmd", "events"}}, milliseconds(5000));
    if (history && history->contains("events")) {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& e : (*history)["events"]) history_.push_back(e.dump());
    }
  }

  std::size_t EventCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return streamed_.size();
  }

  std::vector<std::string> Collect() {
    stop_reader_ = true;
    if (reader_.joinable()) reader_.join();
    std::vector<Line> all = lines_;
    int seq = seq_;
    // Child lines: "<ns> start P" / "<ns> stop P REASON".
    std::stringstream child_lines(ReadFile(log_));
    std::string l;
    while (std::getline(child_lines, l)) {
      auto sp = l.find(' ');
      if (sp == std::string::npos) continue;
      all.push_back({std::atoll(l.substr(0, sp).c_str()), seq++, l.substr(sp + 1)});
    }
    // Events: the ring's history plus the stream, each event once.
    std::vector<json> events;
    std::vector<std::string> seen;
    for (const auto* src : {&history_, &streamed_}) {
      for (const auto& raw : *src) {
        auto e = json::parse(raw, nullptr, false);
        if (!e.is_object() || !e.contains("event")) continue;
        std::string key = e.dump();
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(key);
        events.push_back(e);
      }
    }
    for (const auto& e : events) {
      std::string kind = e.value("kind", "");
      std::string ev = e.value("event", "");
      std::string path = testing::ScenarioPath(e.value("path", ""));
      auto ns = static_cast<std::int64_t>(e.value("time", 0.0) * 1e9);
      std::string text;
      if (kind == "supervisor" && ev == "started") text = "sup_start " + path;
      if (kind == "supervisor" && ev == "gave_up") {
        text = "sup_give_up " + path + " reached_max_restart_intensity";
      }
      if (kind == "supervisor" && ev == "exited") text = "sup_exit " + path + " shutdown";
      if (kind == "worker" && ev == "exited" && e.value("signal", "") == "SIGKILL") {
        text = "stop " + path + " killed";
      }
      if (!text.empty()) all.push_back({ns, seq++, text});
    }
    std::stable_sort(all.begin(), all.end(), [](const Line& a, const Line& b) {
      return a.ns != b.ns ? a.ns < b.ns : a.seq < b.seq;
    });
    std::vector<std::string> trace;
    for (auto& line : all) trace.push_back(line.text);
    return trace;
  }

  const Scenario& s_;
  TempDir dir_;
  std::string log_;
  std::unique_ptr<SupdProcess> supd_;
  std::thread reader_;
  std::atomic<bool> stop_reader_{false};
  std::mutex mu_;
  std::vector<Line> lines_;
  int seq_ = 0;
  std::vector<std::string> streamed_;
  std::vector<std::string> history_;
};

}  // namespace

TEST_CASE("conformance: every scenario end to end (real supd, real processes, supctl)") {
  // The conformance scenarios (traces from real OTP 25), then the project's own extra ones
  // (also produced by the oracle; tests/data/conformance_extra/README.md).
  const char* only = std::getenv("SUPD_SCENARIO");
  const std::vector<std::string> dirs = {testing::ConformanceDir(),
                                         testing::ExtraConformanceDir()};
  REQUIRE_MESSAGE(!testing::ListScenarioFiles(dirs[0]).empty(),
                  "no scenarios under " << dirs[0]);
  int ran = 0;
  for (const auto& dir : dirs) {
    for (const auto& file : testing::ListScenarioFiles(dir)) {
      Scenario s = testing::LoadScenario(file);
      if (only && s.name != only) continue;
      ++ran;
      INFO("scenario " << s.name);
      Adapter adapter(s);
      auto sofo = testing::SimpleOneForOnePaths(s);
      auto actual = testing::CanonicalTrace(adapter.Run(), sofo);
      auto expected = testing::CanonicalTrace(testing::ReadExpectedTrace(s.name, dir), sofo);
      std::string diff = testing::DiffTraces(expected, actual);
      CHECK_MESSAGE(diff.empty(), "trace of " << s.name << " differs:\n"
                                              << diff << "\nsupd's stderr:\n"
                                              << adapter.SupdStderr());
    }
  }
  CHECK(ran > 0);
}

}  // namespace supd::e2e
