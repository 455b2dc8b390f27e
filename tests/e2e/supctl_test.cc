// supctl against a real supd, as an operator runs it: output, exit codes, errors.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tests/e2e/harness.h"

namespace supd::e2e {
namespace {

using nlohmann::json;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A running supd with db, pipeline/{ingest,index}, jobs (simple_one_for_one), all /bin/sleep.
class Tree {
 public:
  explicit Tree(int extra_workers = 0, const std::string& socket_mode = "0600") {
    sock = dir.File("run/supd.sock");
    json children = json::array();
    children.push_back({{"id", "db"}, {"command", {"/bin/sleep", "1000"}}, {"shutdown", "2s"}});
    children.push_back(
        {{"id", "pipeline"}, {"strategy", "one_for_all"},
         {"children",
          {{{"id", "ingest"}, {"command", {"/bin/sleep", "1000"}}},
           {{"id", "index"}, {"command", {"/bin/sleep", "1000"}}, {"restart", "transient"}}}}});
    children.push_back({{"id", "jobs"}, {"strategy", "simple_one_for_one"},
                        {"template", {{"command", {"/bin/sleep"}}, {"restart", "temporary"}}}});
    for (int i = 0; i < extra_workers; ++i) {
      children.push_back({{"id", "w" + std::to_string(i)}, {"command", {"/bin/sleep", "1000"}}});
    }
    json config = {{"daemon", {{"socket", sock}, {"socket_mode", socket_mode},
                               {"state_dir", dir.File("state")}}},
                   {"intensity", 10},
                   {"children", children}};
    WriteFile(dir.File("supd.json"), config.dump(2));
    supd = std::make_unique<SupdProcess>(dir.File("supd.json"), sock, dir.File("supd.err"));
  }
  ~Tree() {
    if (supd) {
      supd->Kill(SIGTERM);
      supd->WaitExit(milliseconds(10000));
    }
  }

  /// supctl --socket SOCK ARGS...
  CommandResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {SUPCTL_BIN, "--socket", sock});
    return Run(args);
  }
  json Status(const std::string& path) {
    auto r = Ctl({"--json", "status", path});
    return json::parse(r.output.substr(0, r.output.find('\n')), nullptr, false);
  }

  TempDir dir;
  std::string sock;
  std::unique_ptr<SupdProcess> supd;
};

TEST_CASE("supctl e2e: status, tree, --json, did-you-mean") {
  Tree t;
  REQUIRE(t.supd->WaitReady());
  REQUIRE(t.Ctl({"wait", "pipeline/index", "ready", "--timeout", "10s"}).exit_code == 0);

  auto r = t.Ctl({"status"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "PATH"));
  CHECK(Has(r.output, "LAST EXIT"));
  CHECK(Has(r.output, "    pipeline/index"));  // nested twice: indented
  CHECK(Has(r.output, "running"));
  CHECK_FALSE(Has(r.output, "\033["));  // not a terminal: no colour

  r = t.Ctl({"tree"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "├─ db"));
  CHECK(Has(r.output, "│  └─ index"));
  CHECK(Has(r.output, "└─ jobs"));

  json j = t.Status("db");
  CHECK(j["ok"] == true);
  CHECK(j["node"]["state"] == "running");
  CHECK(j["node"]["pid"].is_number_integer());
  CHECK(j["node"]["since"].get<double>() > 1.6e9);

  r = t.Ctl({"status", "pipeline/idx"});
  CHECK(r.exit_code == 1);
  CHECK(Has(r.output, "supctl: no child \"pipeline/idx\" (did you mean \"pipeline/index\"?)"));
  CHECK(t.Ctl({"status", "bad//path"}).exit_code == 2);
}

TEST_CASE("supctl e2e: operator verbs, signal, start-child, wait, check") {
  Tree t;
  REQUIRE(t.supd->WaitReady());
  REQUIRE(t.Ctl({"wait", "pipeline/index", "running"}).exit_code == 0);

  auto r = t.Ctl({"stop", "db"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "stopped db"));
  CHECK(t.Status("db")["node"]["state"] == "stopped");
  r = t.Ctl({"check"});
  CHECK(r.exit_code == 1);
  CHECK(Has(r.output, "db is stopped"));
  CHECK(t.Ctl({"start", "db"}).exit_code == 0);
  CHECK(t.Status("db")["node"]["state"] == "running");
  r = t.Ctl({"start", "db"});
  CHECK(r.exit_code == 1);  // bad_state: it runs
  CHECK(Has(r.output, "supctl: "));
  int before = t.Status("db")["node"]["pid"];
  CHECK(t.Ctl({"restart", "db"}).exit_code == 0);
  CHECK(t.Status("db")["node"]["pid"] != before);
  CHECK(t.Ctl({"stop", "nope"}).exit_code == 1);

  // A signal is not a stop: the death counts as a crash and db is restarted.
  before = t.Status("db")["node"]["pid"];
  r = t.Ctl({"signal", "KILL", "db"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "sent SIGKILL to db"));
  CHECK(WaitFor([&] {
    json s = t.Status("db");
    return s["node"]["restarts"] == 1 && s["node"]["state"] == "running" &&
           s["node"]["pid"] != before;
  }, milliseconds(10000)));
  CHECK(t.Status("db")["node"]["last_exit"]["signal"] == "SIGKILL");
  CHECK(t.Ctl({"signal", "NOPE", "db"}).exit_code == 2);

  r = t.Ctl({"start-child", "jobs", "--id", "nightly", "--", "1000"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "started jobs/nightly"));
  CHECK(t.Status("jobs/nightly")["node"]["state"] == "running");
  r = t.Ctl({"--json", "start-child", "jobs", "--", "1000"});
  CHECK(json::parse(r.output)["path"] == "jobs/1");

  CHECK(t.Ctl({"wait", "db", "ready"}).exit_code == 0);
  r = t.Ctl({"wait", "db", "stopped", "--timeout", "300ms"});
  CHECK(r.exit_code == 4);
  CHECK(Has(r.output, "timed out"));
  CHECK(t.Ctl({"wait", "db", "happy"}).exit_code == 2);
  CHECK(t.Ctl({"check"}).exit_code == 0);

  r = t.Ctl({"reload"});  // the config did not change
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "reloaded: 0 added, 0 removed, 0 restarted, 0 policy, 5 unchanged"));
}

TEST_CASE("supctl e2e: events, followed") {
  Tree t;
  REQUIRE(t.supd->WaitReady());
  REQUIRE(t.Ctl({"wait", "pipeline/index", "running"}).exit_code == 0);
  auto r = t.Ctl({"events"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "started"));
  CHECK(Has(r.output, "ready"));

  // `events -f` in the background, its output in a file.
  std::string out = t.dir.File("events.out");
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(SUPCTL_BIN, SUPCTL_BIN, "--socket", t.sock.c_str(), "--json", "events", "-f",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  REQUIRE(WaitFor([&] { return Has(ReadFile(out), "{\"ok\":true}"); }, milliseconds(5000)));
  CHECK(t.Ctl({"restart", "pipeline/ingest"}).exit_code == 0);
  bool seen = WaitFor([&] {
    std::string text = ReadFile(out);
    return Has(text, "\"event\":\"stopping\"") && Has(text, "\"path\":\"pipeline/ingest\"") &&
           Has(text, "\"event\":\"ready\"");
  }, milliseconds(5000));
  CHECK(seen);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
}

TEST_CASE("supctl e2e: unreachable, usage, version, config check, shutdown") {
  TempDir none;
  auto r = Run({SUPCTL_BIN, "--socket", none.File("supd.sock"), "status"});
  CHECK(r.exit_code == 3);
  CHECK(Has(r.output, "supctl: cannot reach supd at " + none.File("supd.sock") +
                          ": No such file or directory (ENOENT); is supd running?"));
  CHECK(Run({SUPCTL_BIN, "frobnicate"}).exit_code == 2);
  CHECK(Run({SUPCTL_BIN, "--timeout", "soon", "status"}).exit_code == 2);
  r = Run({SUPCTL_BIN, "--help"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "Example"));
  r = Run({SUPCTL_BIN, "wait", "--help"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "supctl wait"));

  Tree t;
  REQUIRE(t.supd->WaitReady());
  r = t.Ctl({"version"});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, std::string("supctl ") + SUPD_VERSION));
  CHECK(Has(r.output, std::string("supd ") + SUPD_VERSION));

  r = Run({SUPCTL_BIN, "config", "check", t.dir.File("supd.json")});
  CHECK(r.exit_code == 0);
  WriteFile(t.dir.File("bad.json"), "{\"children\": [{\"id\": \"x\", \"comand\": []}]}");
  r = Run({SUPCTL_BIN, "config", "check", t.dir.File("bad.json")});
  CHECK(r.exit_code == 1);

  r = t.Ctl({"shutdown"});
  CHECK(r.exit_code == 0);
  auto status = t.supd->WaitExit(milliseconds(10000));
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(t.Ctl({"status"}).exit_code == 3);
}

TEST_CASE("supctl e2e: another uid is forbidden") {
  if (geteuid() != 0) SUPD_SKIP("needs root to run supctl as another uid");
  if (access("/usr/bin/setpriv", X_OK) != 0) SUPD_SKIP("setpriv not installed (util-linux)");
  TempDir outer;
  Tree t(0, "0666");
  // supd creates a missing socket dir 0750; let everyone reach the socket file itself.
  chmod(t.dir.path().c_str(), 0755);
  REQUIRE(t.supd->WaitReady());
  chmod(t.dir.File("run").c_str(), 0755);
  auto r = Run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                SUPCTL_BIN, "--socket", t.sock, "status"});
  CHECK(r.exit_code == 1);
  CHECK(Has(r.output, "may not use supd's control socket"));
  CHECK(t.Ctl({"status"}).exit_code == 0);
}

// How fast `status` answers is measured by bench/ (README, "Benchmarks"), not here.
TEST_CASE("supctl e2e: status of 100 children lists every one of them") {
  Tree t(100);
  REQUIRE(t.supd->WaitReady(milliseconds(30000)));
  REQUIRE(t.Ctl({"wait", "w99", "running", "--timeout", "30s"}).exit_code == 0);
  auto r = t.Ctl({"status"});
  REQUIRE(r.exit_code == 0);
  for (int i = 0; i < 100; ++i) {
    CHECK_MESSAGE(Has(r.output, "  w" + std::to_string(i) + " "), "w" << i << " missing");
  }
}

}  // namespace
}  // namespace supd::e2e
