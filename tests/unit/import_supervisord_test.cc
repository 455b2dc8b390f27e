// supctl import supervisord on the committed shop deployment and on broken files.
#include <doctest/doctest.h>

#include "cli/import/emit.h"
#include "cli/import/supervisord.h"
#include "tests/unit/import_support.h"

namespace supd::cli::import {
namespace {

using testing::DataPath;
using testing::HasNote;
using testing::ScratchDir;

SupervisordOptions Env() {
  SupervisordOptions o;
  o.environment = {{"SHOP_LOG_LEVEL", "info"}, {"SHOP_MAILER_SLEEP", "1003"}};
  o.host_name = "box";
  return o;
}

std::vector<std::string> Ids(const Node& n) {
  std::vector<std::string> ids;
  for (const Node& c : n.children) ids.push_back(c.id);
  return ids;
}

const Node& Child(const Node& n, const std::string& id) {
  for (const Node& c : n.children) {
    if (c.id == id) return c;
  }
  FAIL("no child " << id);
  throw;
}

std::string FailureOf(const std::string& text, const SupervisordOptions& o = Env()) {
  ScratchDir dir;
  std::string file = dir.Write("supervisord.conf", text);
  try {
    ImportSupervisord(file, o);
  } catch (const ImportError& e) {
    return e.ToString().substr(dir.path().size() + 1);  // relative to the scratch dir
  }
  return "no error";
}

TEST_CASE("supervisord: the shop deployment maps program by program") {
  Result r = ImportSupervisord(DataPath("supervisord/supervisord.conf"), Env());
  // Priority order at the root (cache 10, group shop 20, then 999 in file order) and in
  // the group (assets 1, web 5); numprocs expanded.
  CHECK(Ids(r.root) == std::vector<std::string>{"cache", "shop", "nightly", "mailer"});
  const Node& shop = Child(r.root, "shop");
  CHECK(shop.supervisor);
  CHECK(shop.strategy == "one_for_one");
  CHECK(Ids(shop) == std::vector<std::string>{"assets", "web_00", "web_01"});
  CHECK(r.programs == 6);
  CHECK(r.groups == 1);

  const Node& cache = Child(r.root, "cache");
  CHECK(cache.command == std::vector<std::string>{"/bin/sleep", "1001"});
  CHECK(cache.restart == "permanent");
  CHECK(cache.stop_signal == "SIGINT");
  CHECK(cache.shutdown == "3s");
  CHECK(!cache.ready_after);  // startsecs=0
  CHECK(cache.stdout_spec->kind == Output::Kind::kNull);
  CHECK(!cache.stderr_spec);  // redirect_stderr: supd's default, stderr follows stdout

  const Node& web = Child(shop, "web_01");
  std::string conf_d = DataPath("supervisord/conf.d");
  CHECK(web.command == std::vector<std::string>{"/bin/sleep", "2001"});
  CHECK(web.cwd == conf_d);  // %(here)s: the directory of the included file
  CHECK(web.env ==
        std::vector<std::pair<std::string, std::string>>{
            {"APP_ENV", "production"}, {"TZ", "UTC"}, {"PORT", "8001"}, {"LOG_LEVEL", "info"}});
  CHECK(web.restart == "transient");  // autorestart's default, unexpected
  CHECK(web.ready_after == 1000);
  CHECK(web.kill_mode == "group");
  CHECK(web.normal_exit_codes == std::vector<int>{0, 2});
  CHECK(web.stdout_spec->file == conf_d + "/web-01.log");
  CHECK(web.stdout_spec->max_size == 10u << 20);
  CHECK(web.stdout_spec->keep == 5);
  CHECK(web.stderr_spec->file == conf_d + "/web-01.err");
  CHECK(web.stderr_spec->keep == 2);

  const Node& assets = Child(shop, "assets");
  CHECK(assets.command == std::vector<std::string>{"/bin/sh", "-c", "/bin/sleep 3000 | /bin/cat"});
  CHECK(!assets.stdout_spec);  // /dev/stdout -> "log"

  const Node& nightly = Child(r.root, "nightly");
  CHECK_FALSE(nightly.autostart);
  CHECK(nightly.restart == "temporary");
  CHECK(nightly.user == "nobody");
  CHECK(nightly.cwd == "/tmp");
  CHECK(nightly.umask == "0027");

  const Node& mailer = Child(r.root, "mailer");
  CHECK(mailer.command == std::vector<std::string>{"/bin/sleep", "1003"});  // ENV_
  CHECK(mailer.stop_signal == "SIGQUIT");
  CHECK(mailer.shutdown == "20s");
  CHECK(mailer.kill_mode == "group");                // killasgroup
  CHECK(!mailer.stdout_spec);                        // AUTO
  CHECK(mailer.stderr_spec->max_size == 50u << 20);  // supervisord's defaults
  CHECK(mailer.stderr_spec->keep == 10);

  // startretries: the root's largest is 3 (cache, nightly: default; mailer: 2), the
  // group's 5 (web); startsecs at most 1 -> period (retries + 1) s.
  CHECK(r.root.intensity == 3);
  CHECK(r.root.period == 4000);
  CHECK(shop.intensity == 5);
  CHECK(shop.period == 6000);

  for (const char* expected : {
           "not imported: program:web.stdout_events_enabled: ",
           "not imported: program:mailer.serverurl: ",
           "not imported: program:mailer.stdout_capture_maxbytes: ",
           "not imported: eventlistener:crashmail: ",
           "not imported: unix_http_server: ",
           "not imported: inet_http_server: ",
           "not imported: supervisorctl: ",
           "not imported: supervisord.pidfile: ",
           "note: %(ENV_SHOP_LOG_LEVEL)s is \"info\"",
           "note: program:assets.command: runs as /bin/sh -c",
           "note: group shop: intensity 5, period \"6s\"",
       }) {
    CHECK_MESSAGE(HasNote(r.notes, expected), expected);
  }
}

TEST_CASE("supervisord: the output is JSON in the SPEC's key order") {
  Result r = ImportSupervisord(DataPath("supervisord/supervisord.conf"), Env());
  MakeIdsValid(r.root, r.notes);
  nlohmann::ordered_json j = ToJson(r.root);
  std::vector<std::string> root_keys, nightly_keys;
  for (const auto& [k, v] : j.items()) root_keys.push_back(k);
  for (const auto& [k, v] : j["children"][2].items()) nightly_keys.push_back(k);
  CHECK(root_keys == std::vector<std::string>{"strategy", "intensity", "period", "children"});
  CHECK(nightly_keys == std::vector<std::string>{"id", "restart", "shutdown", "autostart",
                                                 "command", "cwd", "user", "umask", "env"});
  CHECK(j["children"][1]["children"][1]["ready"] == nlohmann::ordered_json{{"after", "1s"}});
  CHECK(j["children"][1]["children"][1]["stdout"]["max_size"] == "10MB");
  CHECK(Summary(r.programs, r.groups, r.notes.size()) ==
        "imported 6 programs in 1 group; " + std::to_string(r.notes.size()) + " notes");
}

TEST_CASE("supervisord: what supervisord refuses fails with file and line") {
  CHECK(FailureOf("command=/bin/a\n") ==
        "supervisord.conf:1: no [section] header before this line: command=/bin/a");
  CHECK(FailureOf("[program:a]\n\ncommand=/bin/a %(nope)s\n") ==
        "supervisord.conf:3: bad interpolation in [program:a] command: unknown name \"nope\" "
        "in \"%(nope)s\"");
  CHECK(FailureOf("[program:a]\ncommand=/bin/a %(ENV_NOT_SET_ANYWHERE)s\n")
            .find("supervisord.conf:2: bad interpolation") == 0);
  CHECK(FailureOf("[program:a]\ncommand=/bin/a\nnumprocs=2\n") ==
        "supervisord.conf:3: [program:a] numprocs > 1 needs %(process_num) in process_name");
  CHECK(FailureOf("[group:g]\nprograms=a,b\n[program:a]\ncommand=/bin/a\n") ==
        "supervisord.conf:2: [group:g] names unknown program \"b\"");
  CHECK(FailureOf("[program:a]\ncommand=/bin/a\nautostart=maybe\n")
            .find("supervisord.conf:3: autostart: not a boolean") == 0);
  CHECK(FailureOf("[program:a]\ncommand='/bin/a\n").find("supervisord.conf:2: ") == 0);
  CHECK(FailureOf("[program:a]\nautostart=true\n") ==
        "supervisord.conf:1: [program:a] has no command");
  CHECK(FailureOf("[include]\nfiles=x.conf\n[program:a]\ncommand=/bin/a\n") == "no error");
}

TEST_CASE("supervisord: ids are made valid and unique, each change noted") {
  ScratchDir dir;
  std::string file = dir.Write("supervisord.conf",
                               "[program:my app]\ncommand=/bin/a\n"
                               "[program:my_app]\ncommand=/bin/b\n"
                               "[program:x]\ncommand=/bin/c\nprocess_name=" +
                                   std::string(70, 'x') + "\n");
  Result r = ImportSupervisord(file, Env());
  MakeIdsValid(r.root, r.notes);
  CHECK(Ids(r.root) == std::vector<std::string>{"my_app", "my_app-2", std::string(64, 'x')});
  CHECK(HasNote(r.notes, "note: program:my app: id \"my app\" became \"my_app\""));
  CHECK(HasNote(r.notes, "note: program:my_app: id \"my_app\" became \"my_app-2\""));
}

TEST_CASE("supervisord: includes, only from the main file, relative to it") {
  ScratchDir dir;
  dir.Write("etc/conf.d/b.conf",
            "[program:b]\ncommand=/bin/b\n[include]\nfiles=../nested/*.conf\n");
  dir.Write("etc/conf.d/a.conf", "[program:a]\ncommand=%(here)s/a\n");
  dir.Write("etc/nested/n.conf", "[program:n]\ncommand=/bin/n\n");
  std::string file =
      dir.Write("etc/supervisord.conf", "[include]\nfiles=conf.d/*.conf none/*.conf\n");
  Result r = ImportSupervisord(file, Env());
  CHECK(Ids(r.root) == std::vector<std::string>{"a", "b"});  // sorted matches; no nesting
  CHECK(r.root.children[0].command[0] == dir.path() + "/etc/conf.d/a");
  CHECK(HasNote(r.notes, "not imported: include.files in "));
  CHECK(
      HasNote(r.notes, "note: include.files: nothing matches " + dir.path() + "/etc/none/*.conf"));
}

}  // namespace
}  // namespace supd::cli::import
