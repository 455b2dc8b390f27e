// Reload and wanted state end to end (issue 12): a real supd, real children, `supctl
// reload` / SIGHUP, pids compared before and after. Every wait has a deadline; each test
// checks at the end that no child it saw is left alive.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace supd::e2e {
namespace {

using nlohmann::json;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

json Sleeper(const std::string& id, const std::string& seconds = "1000") {
  return {{"id", id}, {"command", {"/bin/sleep", seconds}}};
}

/// A worker that is ready a little after it starts (so that starts in order are visible).
json SlowReady(const std::string& id) {
  return {{"id", id},
          {"command", {SUPD_TEST_CHILD, "--notify-fd", "3", "--sleep-ms", "100", "--notify-now"}},
          {"ready", {{"notify_fd", 3}}}};
}

/// supd on a config of this test's temp dir; the config is rewritten with Write().
class Daemon {
 public:
  Daemon() {
    config = {{"daemon", {{"socket", sock}, {"state_dir", dir.File("state")}}},
              {"intensity", 10},
              {"children", json::array()}};
  }
  ~Daemon() { Stop(); }

  void Write() { WriteFile(dir.File("supd.json"), config.dump(2)); }
  bool Start(const std::string& err_name = "supd.err") {
    Write();
    supd = std::make_unique<SupdProcess>(dir.File("supd.json"), sock, dir.File(err_name));
    return supd->WaitReady() && Settled();
  }
  void Stop() {
    if (!supd) return;
    supd->Kill(SIGTERM);
    supd->WaitExit(milliseconds(15000));
    supd.reset();
  }
  CommandResult Ctl(std::vector<std::string> args) const {
    args.insert(args.begin(), {SUPCTL_BIN, "--socket", sock});
    return Run(args);
  }
  json Status(const std::string& path = "") const {
    auto r = Ctl({"--json", "status", path});
    return json::parse(r.output.substr(0, r.output.find('\n')), nullptr, false);
  }
  /// The tree is quiescent (status reports idle on the root).
  bool Settled(milliseconds timeout = milliseconds(15000)) const {
    return WaitFor([&] { return Status().value("node", json::object()).value("idle", false); },
                   timeout);
  }
  /// path -> pid of every worker that has one; remembered for NothingLeft().
  std::map<std::string, int> Pids() {
    std::map<std::string, int> out;
    Collect(Status().value("node", json::object()), out);
    for (const auto& [path, pid] : out) seen.insert(pid);
    return out;
  }
  /// path -> restarts of every node.
  std::map<std::string, int> Restarts() const {
    std::map<std::string, int> out;
    std::function<void(const json&)> walk = [&](const json& n) {
      out[n.value("path", "")] = n.value("restarts", 0);
      for (const auto& c : n.value("children", json::array())) walk(c);
    };
    walk(Status().value("node", json::object()));
    return out;
  }
  /// Every child pid this test saw is gone (call after Stop()).
  bool NothingLeft() const {
    return WaitFor(
        [&] {
          for (int pid : seen)
            if (ProcessAlive(pid)) return false;
          return true;
        },
        milliseconds(5000));
  }
  json& Children() { return config["children"]; }

  TempDir dir;
  std::string sock = dir.File("run/supd.sock");
  json config;
  std::unique_ptr<SupdProcess> supd;
  std::set<int> seen;

 private:
  static void Collect(const json& n, std::map<std::string, int>& out) {
    if (n.contains("pid") && n["pid"].is_number_integer()) out[n.value("path", "")] = n["pid"];
    for (const auto& c : n.value("children", json::array())) Collect(c, out);
  }
};

/// The events supd keeps (oldest first), as "EVENT PATH".
std::vector<std::string> Events(const Daemon& d) {
  auto r = d.Ctl({"--json", "events"});
  json j = json::parse(r.output.substr(0, r.output.find('\n')), nullptr, false);
  std::vector<std::string> out;
  for (const auto& e : j.value("events", json::array()))
    out.push_back(e.value("event", "") + " " + e.value("path", ""));
  return out;
}

/// Where `s` first occurs in `v` (v.size() when it does not).
std::size_t IndexOf(const std::vector<std::string>& v, const std::string& s) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] == s) return i;
  return v.size();
}

/// Where `s` last occurs in `v` (v.size() when it does not).
std::size_t LastIndexOf(const std::vector<std::string>& v, const std::string& s) {
  for (std::size_t i = v.size(); i > 0; --i)
    if (v[i - 1] == s) return i - 1;
  return v.size();
}

/// root {a, b, s {x, y, t {p, q}}} of sleepers.
void ThreeLevels(Daemon& d) {
  d.Children() = {Sleeper("a"), Sleeper("b"),
                  {{"id", "s"},
                   {"strategy", "rest_for_one"},
                   {"children",
                    {Sleeper("x"), Sleeper("y"),
                     {{"id", "t"},
                      {"strategy", "one_for_all"},
                      {"children", {Sleeper("p"), Sleeper("q")}}}}}}};
}

TEST_CASE("reload e2e: adds, removes, restarts, updates policy, leaves alone, 3 levels deep") {
  Daemon d;
  ThreeLevels(d);
  REQUIRE(d.Start());
  auto before = d.Pids();
  REQUIRE(before.size() == 6);
  auto restarts = d.Restarts();

  json& root = d.Children();
  root[1]["command"] = {"/bin/sleep", "999"};           // b: restart in place
  root[2]["intensity"] = 4;                             // s: policy
  root[2]["children"].erase(1);                         // s/y: removed
  json& t = root[2]["children"][1];
  t["children"][0]["restart"] = "transient";            // s/t/p: policy
  t["children"].push_back(SlowReady("r"));              // s/t/r, s/t/r2: added in order
  t["children"].push_back(SlowReady("r2"));
  root.push_back(Sleeper("c"));                         // c: added
  d.Write();

  auto dry = d.Ctl({"reload", "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(Has(dry.output, "~ b restart (command)"));
  CHECK(Has(dry.output, "= s policy (intensity 1→4)"));
  CHECK(Has(dry.output, "- s/y"));
  CHECK(Has(dry.output, "= s/t/p policy (restart permanent→transient)"));
  CHECK(Has(dry.output, "+ s/t/r\n+ s/t/r2\n+ c\n"));
  CHECK(Has(dry.output, "dry run, nothing changed: 3 added, 1 removed, 1 restarted, 2 policy, "
                        "4 unchanged"));
  CHECK(d.Pids() == before);

  auto r = d.Ctl({"reload"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "reloaded: 3 added, 1 removed, 1 restarted, 2 policy, 4 unchanged"));
  // The reply came once everything was applied: the added children are ready.
  CHECK(d.Status("s/t/r2")["node"]["state"] == "running");
  CHECK(d.Status("c")["node"]["state"] == "running");
  auto after = d.Pids();
  for (const char* kept : {"a", "s/x", "s/t/p", "s/t/q"}) {
    CAPTURE(kept);
    CHECK(after.at(kept) == before.at(kept));
  }
  CHECK(after.at("b") != before.at("b"));
  CHECK(after.count("s/y") == 0);
  CHECK_FALSE(ProcessAlive(before.at("s/y")));
  CHECK_FALSE(ProcessAlive(before.at("b")));
  CHECK(d.Status("s/t/p")["node"]["restart"] == "transient");
  auto restarts_after = d.Restarts();
  for (const auto& [path, n] : restarts) {
    if (restarts_after.count(path)) CHECK(restarts_after.at(path) == n);
  }
  CHECK(restarts_after.at("b") == 0);
  auto events = d.Ctl({"--json", "events"}).output;
  CHECK(Has(events, R"("event":"reloaded")"));
  auto ev = Events(d);
  CHECK(IndexOf(ev, "ready s/t/r") < IndexOf(ev, "started s/t/r2"));
  CHECK(IndexOf(ev, "ready s/t/r2") < IndexOf(ev, "started c"));
  CHECK(IndexOf(ev, "started c") < IndexOf(ev, "reloaded "));
  d.Stop();
  CHECK(d.NothingLeft());
}

TEST_CASE("reload e2e: an invalid config changes nothing and says why") {
  Daemon d;
  d.Children() = {Sleeper("a"), {{"id", "s"}, {"children", {Sleeper("x")}}}};
  d.config["include"] = {d.dir.File("conf.d/*.json")};
  REQUIRE(d.Start());
  auto before = d.Pids();
  const std::string status_before = d.Ctl({"status"}).output;
  const std::string file = d.dir.File("supd.json");

  auto expect_invalid = [&](const std::string& text, std::vector<std::string> parts) {
    WriteFile(file, text);
    auto r = d.Ctl({"reload"});
    CHECK(r.exit_code == 1);
    for (const auto& p : parts) {
      CAPTURE(p);
      CHECK(Has(r.output, p));
    }
    CHECK(Has(r.output, "nothing changed"));
    auto j = d.Ctl({"--json", "reload"});
    CHECK(Has(j.output, R"("error":"invalid_config")"));
    CHECK(d.Pids() == before);
  };
  std::string good = d.config.dump(2);
  expect_invalid(good.substr(0, good.size() - 2), {file + ":"});  // syntax: line:column
  json bad = d.config;
  bad["children"][1]["children"][0]["comand"] = {"/bin/true"};
  expect_invalid(bad.dump(), {file + ": children[1].children[0].comand: unknown key",
                              "did you mean \"command\""});
  bad = d.config;
  bad["children"][0]["user"] = "no-such-user-supd";
  expect_invalid(bad.dump(), {"children[0].user", "no-such-user-supd"});
  bad = d.config;
  bad["include"] = {d.dir.File("missing.json")};
  expect_invalid(bad.dump(), {"missing.json"});
  std::filesystem::create_directories(d.dir.File("conf.d"));
  WriteFile(d.dir.File("conf.d/broken.json"), R"({"id": "z", "command": 5})");
  expect_invalid(good, {"broken.json", "command"});

  CHECK(d.Ctl({"status"}).output.size() == status_before.size());
  CHECK(d.Pids() == before);
  d.Stop();
  CHECK(d.NothingLeft());
}

TEST_CASE("reload e2e: SIGHUP does what supctl reload does, the log says the same") {
  Daemon d;
  d.Children() = {Sleeper("a"), Sleeper("b")};
  REQUIRE(d.Start());
  auto before = d.Pids();
  d.Children()[1]["command"] = {"/bin/sleep", "998"};
  d.Children().push_back(Sleeper("c"));
  d.Write();
  d.supd->Kill(SIGHUP);
  CHECK(WaitFor([&] { return Has(d.supd->Stderr(), "(root) reloaded; 1 added, 0 removed, "
                                                    "1 restarted, 0 policy, 1 unchanged"); },
                milliseconds(15000)));
  // The plan is logged when the reload's reply arrives, just after the `reloaded` event.
  CHECK(WaitFor([&] { return Has(d.supd->Stderr(), "reload: ~ b restart (command)"); },
                milliseconds(15000)));
  auto after = d.Pids();
  CHECK(after.at("a") == before.at("a"));
  CHECK(after.at("b") != before.at("b"));
  CHECK(after.count("c") == 1);
  // An invalid config by SIGHUP: logged with file and path, nothing changes.
  d.Children()[0]["shutdown"] = 5;
  d.Write();
  d.supd->Kill(SIGHUP);
  CHECK(WaitFor([&] { return Has(d.supd->Stderr(), "children[0].shutdown"); },
                milliseconds(15000)));
  CHECK(Has(d.supd->Stderr(), "reload: 1 error(s) in "));
  CHECK(d.Pids() == after);
  d.Stop();
  CHECK(d.NothingLeft());
}

TEST_CASE("reload e2e: --dry-run --json, daemon keys, moved and retyped children") {
  Daemon d;
  d.Children() = {Sleeper("a"), {{"id", "s"}, {"children", {Sleeper("x")}}},
                  {{"id", "jobs"}, {"strategy", "simple_one_for_one"},
                   {"template", {{"command", {"/bin/sleep"}}}}}};
  REQUIRE(d.Start());
  REQUIRE(d.Ctl({"start-child", "jobs", "--", "1000"}).exit_code == 0);
  auto before = d.Pids();
  d.config["daemon"]["socket_mode"] = "0660";
  d.config["daemon"]["state_dir"] = d.dir.File("state2");
  d.Children()[0] = {{"id", "a"}, {"children", {Sleeper("inner")}}};  // worker -> supervisor
  d.Children()[1]["children"] = json::array();                          // x moves to the root
  d.Children().push_back(Sleeper("x"));
  d.Children()[2]["template"]["command"] = {"/bin/sleep", "--"};
  d.Write();
  auto r = d.Ctl({"reload", "--dry-run"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "- a\n+ a (supervisor)\n- s/x\n"));
  CHECK(Has(r.output, "* jobs template (command; new instances only)"));
  CHECK(Has(r.output, "+ x\n"));
  CHECK(Has(r.output, "= daemon.socket_mode 0600→0660"));
  CHECK(Has(r.output, "takes effect at the next start of supd"));
  r = d.Ctl({"--json", "reload", "--dry-run"});
  json j = json::parse(r.output.substr(0, r.output.find('\n')), nullptr, false);
  CHECK(j["ok"] == true);
  CHECK(j["dry_run"] == true);
  CHECK(j["plan"]["summary"]["added"] == 2);
  CHECK(j["plan"]["summary"]["removed"] == 2);
  CHECK(j["plan"]["changes"][0]["change"] == "removed");
  CHECK(d.Pids() == before);

  r = d.Ctl({"reload", "--restart-instances"});
  CHECK(r.exit_code == 0);
  auto after = d.Pids();
  CHECK(after.at("jobs/1") != before.at("jobs/1"));
  CHECK(after.count("a/inner") == 1);
  CHECK(after.count("x") == 1);
  struct stat st;
  REQUIRE(::stat(d.sock.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0660);
  d.Stop();
  CHECK(d.NothingLeft());
}

TEST_CASE("reload e2e: a reload during a branch restart waits for it") {
  Daemon d;
  // b takes ~1s to stop (SIGTERM ignored, shutdown 1s): a's crash makes a long branch restart.
  d.Children() = {Sleeper("a"),
                  {{"id", "b"}, {"command", {SUPD_TEST_CHILD, "--ignore-term"}}, {"shutdown", "1s"}}};
  d.config["strategy"] = "one_for_all";
  REQUIRE(d.Start());
  auto before = d.Pids();
  d.Children().push_back(Sleeper("c"));
  d.Write();
  REQUIRE(d.Ctl({"signal", "KILL", "a"}).exit_code == 0);
  REQUIRE(WaitFor([&] { return d.Status("b")["node"]["state"] == "stopping"; },
                  milliseconds(5000)));
  auto r = d.Ctl({"reload"});
  CHECK(r.exit_code == 0);
  // The reload started only once the branch restart was over: b ready again, then c.
  auto ev = Events(d);
  CHECK(IndexOf(ev, "restarting a") < LastIndexOf(ev, "ready b"));
  CHECK(LastIndexOf(ev, "ready b") < IndexOf(ev, "started c"));
  CHECK(IndexOf(ev, "started c") < IndexOf(ev, "reloaded "));
  auto after = d.Pids();
  CHECK(after.at("b") != before.at("b"));
  CHECK(d.Restarts().at("a") == 1);
  d.Stop();
  CHECK(d.NothingLeft());
}

TEST_CASE("reload e2e: a crash-looping child with a fixed command stops crashing") {
  Daemon d;
  d.config["intensity"] = 1000;
  d.config["period"] = "1s";
  d.config["backoff"] = {{"initial", "200ms"}, {"max", "400ms"}};
  d.Children() = {{{"id", "loop"}, {"command", {"/bin/sh", "-c", "exit 3"}}}};
  d.Write();
  d.supd = std::make_unique<SupdProcess>(d.dir.File("supd.json"), d.sock, d.dir.File("supd.err"));
  REQUIRE(d.supd->WaitReady());
  REQUIRE(WaitFor([&] { return d.Restarts().at("loop") >= 2; }, milliseconds(10000)));
  d.Children()[0]["command"] = {"/bin/sleep", "1000"};
  d.Write();
  auto r = d.Ctl({"reload"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "~ loop restart (command)"));
  REQUIRE(d.Settled());
  int pid = d.Pids().at("loop");
  int restarts = d.Restarts().at("loop");
  // Still the same process after several of the old loop's periods.
  CHECK_FALSE(WaitFor([&] { return d.Pids().at("loop") != pid; }, milliseconds(1500)));
  CHECK(d.Status("loop")["node"]["state"] == "running");
  CHECK(d.Restarts().at("loop") == restarts);
  d.Stop();
  CHECK(d.NothingLeft());
}

TEST_CASE("wanted state e2e: a stop survives kill -TERM, kill -9 and a reload, start clears it") {
  Daemon d;
  d.Children() = {Sleeper("x"), Sleeper("y")};
  REQUIRE(d.Start());
  REQUIRE(d.Ctl({"stop", "x"}).exit_code == 0);
  std::string file = ReadFile(d.dir.File("state/wanted.json"));
  CHECK(Has(file, R"("operator_stopped":["x"])"));
  CHECK(Has(file, d.dir.File("supd.json")));

  d.Children()[0]["command"] = {"/bin/sleep", "997"};  // changed while stopped: stays stopped
  d.Write();
  REQUIRE(d.Ctl({"reload"}).exit_code == 0);
  CHECK(d.Status("x")["node"]["state"] == "stopped");

  d.supd->Kill(SIGKILL);
  REQUIRE(d.supd->WaitExit(milliseconds(10000)));
  d.supd.reset();
  REQUIRE(d.Start("supd2.err"));
  CHECK(d.Status("x")["node"]["state"] == "stopped");
  CHECK(d.Status("x")["node"]["operator_stopped"] == true);
  CHECK(d.Status("y")["node"]["state"] == "running");
  d.Stop();
  REQUIRE(d.Start("supd3.err"));
  CHECK(d.Status("x")["node"]["state"] == "stopped");
  REQUIRE(d.Ctl({"start", "x"}).exit_code == 0);
  d.Pids();
  d.supd->Kill(SIGKILL);
  REQUIRE(d.supd->WaitExit(milliseconds(10000)));
  d.supd.reset();
  REQUIRE(d.Start("supd4.err"));
  CHECK(d.Status("x")["node"]["state"] == "running");
  d.Pids();
  d.Stop();
  CHECK(d.NothingLeft());
}

TEST_CASE("wanted state e2e: a corrupt or foreign state file is reported and ignored") {
  Daemon d;
  d.Children() = {Sleeper("x")};
  std::filesystem::create_directories(d.dir.File("state"));
  WriteFile(d.dir.File("state/wanted.json"), "{not json");
  REQUIRE(d.Start());
  CHECK(Has(d.supd->Stderr(), "ignoring the wanted state " + d.dir.File("state/wanted.json") +
                                  ": corrupt"));
  CHECK(d.Status("x")["node"]["state"] == "running");
  d.Pids();
  d.Stop();
  WriteFile(d.dir.File("state/wanted.json"),
            R"({"config": "/elsewhere/supd.json", "operator_stopped": ["x"]})");
  REQUIRE(d.Start("supd2.err"));
  CHECK(Has(d.supd->Stderr(), "written for another config"));
  CHECK(d.Status("x")["node"]["state"] == "running");
  d.Pids();
  d.Stop();
  CHECK(d.NothingLeft());
}

TEST_CASE("autostart e2e: defined but not started until an operator starts it") {
  Daemon d;
  json lazy = Sleeper("lazy");
  lazy["autostart"] = false;
  d.Children() = {Sleeper("a"), lazy};
  d.config["strategy"] = "one_for_all";
  REQUIRE(d.Start());
  CHECK(d.Status("lazy")["node"]["state"] == "stopped");
  CHECK(d.Status("lazy")["node"]["autostart_off"] == true);
  CHECK(Has(d.Ctl({"status"}).output, "stopped (autostart off)"));
  CHECK(d.Ctl({"check"}).exit_code == 0);
  // A branch restart passes it by.
  REQUIRE(d.Ctl({"signal", "KILL", "a"}).exit_code == 0);
  REQUIRE(WaitFor([&] { return d.Restarts().at("a") == 1; }, milliseconds(10000)));
  REQUIRE(d.Settled());
  CHECK(d.Status("lazy")["node"]["state"] == "stopped");
  REQUIRE(d.Ctl({"start", "lazy"}).exit_code == 0);
  CHECK(d.Status("lazy")["node"]["state"] == "running");
  // Once started, supervised as usual: the next branch restart restarts it too.
  int pid = d.Pids().at("lazy");
  REQUIRE(d.Ctl({"signal", "KILL", "a"}).exit_code == 0);
  REQUIRE(WaitFor([&] { return d.Restarts().at("a") == 2; }, milliseconds(10000)));
  REQUIRE(d.Settled());
  CHECK(d.Status("lazy")["node"]["state"] == "running");
  CHECK(d.Pids().at("lazy") != pid);
  d.Stop();
  CHECK(d.NothingLeft());
}

}  // namespace
}  // namespace supd::e2e
