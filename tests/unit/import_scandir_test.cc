// supctl import runit / daemontools / s6 on the committed scan directories, and the reading
// of run scripts and logger command lines.
#include <doctest/doctest.h>

#include "cli/import/scandir.h"
#include "cli/import/script.h"
#include "tests/unit/import_support.h"

namespace supd::cli::import {
namespace {

using testing::DataPath;
using testing::HasNote;
using testing::ScratchDir;

const Node& Child(const Node& n, const std::string& id) {
  for (const Node& c : n.children) {
    if (c.id == id) return c;
  }
  FAIL("no child " << id);
  throw;
}

std::vector<std::string> Words(const std::vector<Word>& words) {
  std::vector<std::string> out;
  for (const Word& w : words) out.push_back(w.text);
  return out;
}

TEST_CASE("runit: three services, one down, one logging through svlogd, one with finish") {
  std::string dir = DataPath("runit");
  Result r = ImportScanDir(ScanFormat::kRunit, dir);
  REQUIRE(r.root.children.size() == 3);
  CHECK(r.programs == 3);
  CHECK(r.root.intensity == 6);
  CHECK(r.root.period == 1000);
  CHECK(r.root.backoff_initial == 1000);
  CHECK(r.root.backoff_max == 1000);

  const Node& cron = Child(r.root, "cron");  // no shebang, kept as a script, down
  CHECK(cron.command == std::vector<std::string>{"/bin/sh", dir + "/cron/run"});
  CHECK_FALSE(cron.autostart);
  CHECK(cron.cwd == dir + "/cron");
  CHECK(cron.restart == "permanent");

  const Node& web = Child(r.root, "web");  // exec chpst -u nobody /bin/sleep 1000
  CHECK(web.command == std::vector<std::string>{"/bin/sleep", "1000"});
  CHECK(web.user == "nobody");
  CHECK(web.autostart);
  REQUIRE(web.stdout_spec);
  CHECK(web.stdout_spec->file == dir + "/web/log/main/current");
  CHECK(web.stdout_spec->max_size == 500000u);  // from main/config
  CHECK(web.stdout_spec->keep == 5);
  CHECK(web.stdout_spec->timestamps);  // -tt
  CHECK(!web.stderr_spec);             // exec 2>&1

  const Node& worker = Child(r.root, "worker");  // sources ./conf: kept, run directly
  CHECK(worker.command == std::vector<std::string>{dir + "/worker/run"});

  CHECK(HasNote(r.notes, "not imported: worker/finish: "));
  CHECK(HasNote(r.notes, "not imported: worker/conf: "));
  CHECK(HasNote(r.notes, "not imported: web/log/run: svlogd config line \"!gzip\""));
  CHECK(HasNote(r.notes, "note: web/run: runs /bin/sleep directly (chpst became \"user\")"));
}

TEST_CASE("s6: notification-fd, timeout-kill, down-signal, type, s6-log") {
  std::string dir = DataPath("s6");
  Result r = ImportScanDir(ScanFormat::kS6, dir);
  REQUIRE(r.root.children.size() == 2);  // .s6-svscan is skipped

  const Node& db = Child(r.root, "db");
  CHECK(db.ready_notify_fd == 3);
  CHECK(db.shutdown == "3s");
  CHECK(db.stop_signal == "SIGINT");
  CHECK(db.command == std::vector<std::string>{dir + "/db/run"});
  CHECK(HasNote(r.notes, "not imported: db/max-death-tally: "));

  const Node& api = Child(r.root, "api");  // execline: fdmove, s6-setuidgid, program
  CHECK(api.command == std::vector<std::string>{"/bin/sleep", "1007"});
  CHECK(api.user == "nobody");
  REQUIRE(api.stdout_spec);
  CHECK(api.stdout_spec->file == dir + "/api/log/main/current");
  CHECK(api.stdout_spec->max_size == 100000u);
  CHECK(api.stdout_spec->keep == 3);
  CHECK(api.stdout_spec->timestamps);
}

TEST_CASE("daemontools: multilog rotation, oneshots and stray files are reported") {
  ScratchDir d;
  d.Write("svc/app/run", "#!/bin/sh\nexec setuidgid daemon /usr/bin/app -v\n", 0755);
  d.Write("svc/app/log/run", "#!/bin/sh\nexec setuidgid log multilog t s1048576 n20 ./main\n",
          0755);
  d.Write("svc/README", "not a service\n");
  d.Write("svc/empty/placeholder", "");
  Result r = ImportScanDir(ScanFormat::kDaemontools, d.path() + "/svc");
  REQUIRE(r.root.children.size() == 1);
  const Node& app = r.root.children[0];
  CHECK(app.command == std::vector<std::string>{"/usr/bin/app", "-v"});
  CHECK(app.user == "daemon");
  CHECK(app.stdout_spec->max_size == 1048576u);
  CHECK(app.stdout_spec->keep == 20);
  REQUIRE(app.stderr_spec);  // no exec 2>&1: stderr never reached multilog
  CHECK(app.stderr_spec->kind == Output::Kind::kLog);
  CHECK(HasNote(r.notes, "not imported: README: not a service directory"));
  CHECK(HasNote(r.notes, "not imported: empty: no run file"));

  ScratchDir s6;
  s6.Write("scan/setup/type", "oneshot\n");
  s6.Write("scan/setup/up", "/bin/true\n");
  s6.Write("scan/bad/run", "#!/bin/sh\nexec /bin/true\n", 0755);
  s6.Write("scan/bad/notification-fd", "1\n");
  try {
    ImportScanDir(ScanFormat::kS6, s6.path() + "/scan");
    FAIL("no error");
  } catch (const ImportError& e) {
    CHECK(e.ToString() == s6.path() +
                              "/scan/bad/notification-fd:1: expected an integer from 3 "
                              "to 65535, got \"1\"");
  }
  CHECK_THROWS_AS(ImportScanDir(ScanFormat::kRunit, s6.path() + "/nothing"), ImportError);
}

TEST_CASE("run scripts: simple ones become their program, others stay scripts") {
  RunScript s = AnalyzeScript(
      "#!/bin/sh\nset -e\ncd /srv/app\numask 027\nexec 2>&1\n"
      "exec chpst -u app:www /srv/app/bin/server --port 8080\n");
  REQUIRE(s.program);
  CHECK(*s.program == std::vector<std::string>{"/srv/app/bin/server", "--port", "8080"});
  CHECK(s.user == "app");
  CHECK(s.group == "www");
  CHECK(s.cwd == "/srv/app");
  CHECK(s.umask == "027");
  CHECK(s.merges_stderr);

  CHECK_FALSE(AnalyzeScript("#!/bin/sh\nexec chpst -e ./env -u app /bin/x\n").program);
  CHECK_FALSE(AnalyzeScript("#!/bin/sh\nexport A=1\nexec /bin/x\n").program);
  CHECK_FALSE(AnalyzeScript("#!/bin/sh\nexec /bin/x $OPTS\n").program);
  CHECK_FALSE(AnalyzeScript("#!/usr/bin/python3\nprint(1)\n").program);
  CHECK(AnalyzeScript("#!/usr/bin/python3\n").lang == RunScript::Lang::kOther);
  CHECK(*AnalyzeScript("exec /bin/x -a\n").program == std::vector<std::string>{"/bin/x", "-a"});

  s = AnalyzeScript(
      "#!/command/execlineb -P\nfdmove -c 2 1\ncd /srv\ns6-setuidgid app\nserver -q\n");
  REQUIRE(s.program);
  CHECK(*s.program == std::vector<std::string>{"server", "-q"});
  CHECK(s.cwd == "/srv");
  CHECK(s.user == "app");
  CHECK(s.merges_stderr);
  CHECK_FALSE(AnalyzeScript("#!/bin/execlineb -P\nimportas -D x X X\nserver $X\n").program);
}

TEST_CASE("loggers: svlogd, s6-log and multilog arguments") {
  auto logger = [](const std::string& script) {
    return FindLogger(AnalyzeScript(script).last_command);
  };
  auto l = logger("#!/bin/sh\nexec svlogd -tt -l 200 /var/log/app\n");
  REQUIRE(l);
  CHECK(l->dir == "/var/log/app");
  CHECK(l->timestamps);
  CHECK(l->max_size == 1000000u);  // svlogd's defaults until its config says otherwise
  CHECK(l->keep == 10);
  CHECK(l->unmapped == std::vector<std::string>{"-l 200"});
  ApplySvlogdConfig("s0\nn0\n", *l);
  CHECK(l->max_size == 0u);
  CHECK(l->keep == 1000);

  l = logger("#!/command/execlineb -P\ns6-log -b n3 s100000 T !zstd /var/log/api\n");
  REQUIRE(l);
  CHECK(l->program == "s6-log");
  CHECK(l->max_size == 100000u);
  CHECK(l->keep == 3);
  CHECK(l->unmapped == std::vector<std::string>{"!zstd"});

  l = logger("#!/bin/sh\nexec multilog ./main\n");
  REQUIRE(l);
  CHECK(l->max_size == 99999u);
  CHECK_FALSE(logger("#!/bin/sh\nexec multilog t $DIR\n"));
  CHECK_FALSE(logger("#!/bin/sh\nexec logger -t app\n"));
  CHECK(Words(AnalyzeScript("#!/bin/sh\nexec svlogd ./x\n").last_command) ==
        std::vector<std::string>{"exec", "svlogd", "./x"});
}

}  // namespace
}  // namespace supd::cli::import
