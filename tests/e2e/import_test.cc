// `supctl import` as someone switching runs it: the committed supervisord / runit / s6
// inputs are copied to a scratch directory, imported, checked with `supd --check`, and
// run under a real supd, whose imported programs start, stop on command and are gone
// after supd exits.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "tests/e2e/harness.h"

namespace supd::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A copy of tests/data/import/NAME in a scratch directory that the user "nobody" may
/// enter (some imported programs run as nobody, in their service directory).
class Source {
 public:
  explicit Source(const std::string& name) {
    ::chmod(dir.path().c_str(), 0755);
    fs::copy(std::string(SUPD_SOURCE_DIR) + "/tests/data/import/" + name, dir.File(name),
             fs::copy_options::recursive);
    path = dir.File(name);
  }
  TempDir dir;
  std::string path;
};

/// supctl import FORMAT SOURCE -o OUT, with `env` (VAR=value) added to its environment.
CommandResult Import(const std::string& format, const std::string& source, const std::string& out,
                     std::vector<std::string> env = {}, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"/usr/bin/env"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {SUPCTL_BIN, "import", format, source});
  if (!out.empty()) argv.insert(argv.end(), {"-o", out});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return Run(argv);
}

/// The imported config under a real supd: its own socket and state dir added.
class Daemon {
 public:
  Daemon(const TempDir& dir, const std::string& imported) : sock(dir.File("supd.sock")) {
    json config = json::parse(ReadFile(imported));
    config["daemon"] = {{"socket", sock}, {"state_dir", dir.File("state")}};
    WriteFile(dir.File("run.json"), config.dump(2));
    supd = std::make_unique<SupdProcess>(dir.File("run.json"), sock, dir.File("supd.err"));
  }
  CommandResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {SUPCTL_BIN, "--socket", sock});
    return Run(args);
  }
  json Node(const std::string& path) {
    Client c(sock);
    auto reply = c.Call({{"cmd", "status"}, {"path", path}});
    return reply ? (*reply)["node"] : json();
  }
  /// Waits until every path runs (ready); returns their pids.
  std::vector<pid_t> RunningPids(const std::vector<std::string>& paths) {
    std::vector<pid_t> pids;
    for (const std::string& p : paths) {
      auto r = Ctl({"wait", p, "running", "--timeout", "20s"});
      CHECK_MESSAGE(r.exit_code == 0, p << ": " << r.output << supd->Stderr());
      json node = Node(p);
      if (node.contains("pid")) pids.push_back(node["pid"].get<pid_t>());
    }
    return pids;
  }
  /// `supctl stop PATH` leaves no process; `supctl start PATH` runs it again.
  void StopAndStart(const std::string& path) {
    pid_t pid = Node(path)["pid"].get<pid_t>();
    CHECK(Ctl({"stop", path}).exit_code == 0);
    CHECK(Node(path)["state"] == "stopped");
    CHECK(WaitFor([&] { return !ProcessAlive(pid); }, milliseconds(5000)));
    CHECK(Ctl({"start", path}).exit_code == 0);
    CHECK(Node(path)["state"] == "running");
  }
  /// An autostart=false child is defined but not started (README, `autostart`).
  void ExpectNotAutostarted(const std::string& path) {
    REQUIRE(Node(path)["state"] == "stopped");
    CHECK(Ctl({"start", path}).exit_code == 0);
    CHECK(Node(path)["state"] == "running");
  }
  /// SIGTERM: supd stops the tree and exits 0; none of `pids` is left.
  void Shutdown(const std::vector<pid_t>& pids) {
    supd->Kill(SIGTERM);
    auto status = supd->WaitExit(milliseconds(30000));
    REQUIRE(status.has_value());
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 0);
    for (pid_t pid : pids) CHECK_MESSAGE(!ProcessAlive(pid), "pid " << pid << " survived");
  }

  std::string sock;
  std::unique_ptr<SupdProcess> supd;
};

/// Imports SOURCE to DIR/supd.json, which `supd --check` must accept; returns supctl's
/// report (stderr).
std::string ImportAndCheck(const Source& src, const std::string& format, const std::string& source,
                           std::vector<std::string> env = {}) {
  std::string out = src.dir.File("supd.json");
  auto r = Import(format, source, out, std::move(env));
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK_FALSE(Has(r.output, "warning: "));  // supctl's own check found nothing either
  auto check = Run({SUPD_BIN, "--check", "-c", out});
  CHECK_MESSAGE(check.exit_code == 0, check.output);
  return r.output;
}

TEST_CASE("import e2e: supervisord.conf with includes, a group, numprocs and env") {
  Source src("supervisord");
  std::string report = ImportAndCheck(src, "supervisord", src.path + "/supervisord.conf",
                                      {"SHOP_LOG_LEVEL=info", "SHOP_MAILER_SLEEP=1003"});
  CHECK(Has(report, "imported 6 programs in 1 group; "));
  CHECK(Has(report, "not imported: eventlistener:crashmail: "));
  CHECK(Has(report, "not imported: program:web.stdout_events_enabled: "));

  Daemon d(src.dir, src.dir.File("supd.json"));
  REQUIRE(d.supd->WaitReady());
  std::vector<pid_t> pids =
      d.RunningPids({"cache", "shop/assets", "shop/web_00", "shop/web_01", "mailer"});
  CHECK(pids.size() == 5);
  // numprocs' processes log to their own files, named with %(process_num)02d.
  CHECK(fs::exists(src.path + "/conf.d/web-00.log"));
  CHECK(fs::exists(src.path + "/conf.d/web-01.err"));
  d.StopAndStart("shop/web_01");
  d.ExpectNotAutostarted("nightly");
  pids = d.RunningPids({"cache", "shop/assets", "shop/web_00", "shop/web_01", "mailer"});
  d.Shutdown(pids);
}

TEST_CASE("import e2e: a runit scan directory (down, svlogd, finish)") {
  Source src("runit");
  std::string report = ImportAndCheck(src, "runit", src.path);
  CHECK(Has(report, "imported 3 services; "));
  CHECK(Has(report, "not imported: worker/finish: "));

  Daemon d(src.dir, src.dir.File("supd.json"));
  REQUIRE(d.supd->WaitReady());
  std::vector<pid_t> pids = d.RunningPids({"web", "worker"});
  CHECK(fs::exists(src.path + "/web/log/main/current"));  // svlogd's directory
  d.StopAndStart("worker");
  d.ExpectNotAutostarted("cron");
  d.Shutdown(d.RunningPids({"web", "worker"}));
  for (pid_t pid : pids) CHECK(!ProcessAlive(pid));
}

TEST_CASE("import e2e: an s6 scan directory with notification-fd") {
  Source src("s6");
  CHECK(Has(ImportAndCheck(src, "s6", src.path), "imported 2 services; "));

  Daemon d(src.dir, src.dir.File("supd.json"));
  REQUIRE(d.supd->WaitReady());
  // db is "running" only once it wrote its newline to fd 3.
  d.RunningPids({"db", "api"});
  CHECK(d.Node("db")["ready"] == true);
  d.StopAndStart("db");
  d.Shutdown(d.RunningPids({"db", "api"}));
}

TEST_CASE("import e2e: errors, exit codes, stdout and --force") {
  TempDir dir;
  WriteFile(dir.File("bad.conf"), "[program:a]\n; the web server\ncommand=/bin/a --port %(port\n");
  auto r = Import("supervisord", dir.File("bad.conf"), "");
  CHECK(r.exit_code == 1);
  CHECK(Has(r.output, dir.File("bad.conf") + ":3: bad interpolation in [program:a] command: "));
  WriteFile(dir.File("noheader.conf"), "; no header\ncommand=/bin/a\n");
  r = Import("supervisord", dir.File("noheader.conf"), "");
  CHECK(r.exit_code == 1);
  CHECK(Has(r.output, dir.File("noheader.conf") + ":2: no [section] header"));
  r = Import("supervisord", dir.File("missing.conf"), "");
  CHECK(r.exit_code == 1);
  CHECK(Has(r.output, dir.File("missing.conf") + ": cannot read: "));

  r = Import("upstart", dir.path(), "");
  CHECK(r.exit_code == 2);
  CHECK(Has(r.output, "known: supervisord, runit, daemontools, s6"));

  // No -o: the config on stdout, the report on stderr.
  WriteFile(dir.File("ok.conf"), "[program:a]\ncommand=/bin/sleep 1\n");
  r = Run(
      {"/bin/sh", "-c",
       std::string(SUPCTL_BIN) + " import supervisord " + dir.File("ok.conf") + " 2>/dev/null"});
  CHECK(r.exit_code == 0);
  json j = json::parse(r.output, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["children"][0]["id"] == "a");
  CHECK(Has(r.output, "\n  \"children\": [\n"));  // 2-space indent

  WriteFile(dir.File("out.json"), "precious\n");
  r = Import("supervisord", dir.File("ok.conf"), dir.File("out.json"));
  CHECK(r.exit_code == 1);
  CHECK(Has(r.output, "use --force"));
  CHECK(ReadFile(dir.File("out.json")) == "precious\n");
  r = Import("supervisord", dir.File("ok.conf"), dir.File("out.json"), {}, {"--force"});
  CHECK(r.exit_code == 0);
  CHECK(json::parse(ReadFile(dir.File("out.json")))["children"][0]["id"] == "a");
}

}  // namespace
}  // namespace supd::e2e
