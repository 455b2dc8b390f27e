// Table of invalid configs: each must give the exact JSON path (or line/column for
// syntax errors) and a message with the listed words.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config/loader.h"

namespace supd::config {
namespace {

struct Case {
  std::string json;
  std::string path;                // expected path of the (single) error
  std::vector<std::string> words;  // each must appear in the message
  int line = 0;                    // syntax errors: expected line and column
  int column = 0;
  std::size_t count = 1;  // expected number of errors
};

// A root holding one child, so that the child's path is children[0].
std::string One(const std::string& child) {
  return "{\"children\": [" + child + "]}";
}
// A worker with id "w" and the given extra keys.
std::string W(const std::string& extra) {
  return One("{\"id\": \"w\", \"command\": [\"/bin/true\"]" + (extra.empty() ? "" : ", " + extra) +
             "}");
}
// A supervisor with id "s" and the given keys.
std::string S(const std::string& keys) {
  return One("{\"id\": \"s\", " + keys + "}");
}

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      // --- syntax ---
      {"{\"children\": [}", "", {"syntax error", "unexpected '}'"}, 1, 15},
      {"{\n  \"strategy\": \"one_for_one\",\n  \"intensity\": 3,\n}", "", {"syntax error"}, 4, 1},
      {"{\n  // comment\n}", "", {"syntax error"}, 2, 3},
      {"{\"intensity\": 1,\n \"intensity\": 2}", "", {"duplicate key \"intensity\""}, 2, 12},
      {"{} x", "", {"expected end of input"}, 1, 4},
      {"{\"children\": [{\"id\": \"a\", \"command\": [\"x\"], \"restart\": tru}]}",
       "",
       {"invalid literal"},
       1,
       56},
      {std::string(65, '[') + std::string(65, ']'), "", {"deeper than 64"}, 1, 65},
      // --- root ---
      {"[]", "", {"expected an object", "got []"}},
      {"{\"strategey\": \"one_for_all\"}",
       "strategey",
       {"unknown key \"strategey\"", "did you mean \"strategy\"?"}},
      {"{\"id\": \"main\"}", "id", {"root supervisor has no id"}},
      {"{\"restart\": \"transient\"}", "restart", {"not allowed at the root"}},
      {"{\"command\": [\"x\"]}", "command", {"worker key", "children"}},
      {"{\"include\": 5}", "include", {"expected a glob", "got 5"}},
      {"{\"include\": [\"\"]}", "include[0]", {"expected a glob", "got \"\""}},
      // --- ids ---
      {One("{\"command\": [\"x\"]}"), "children[0]", {"missing \"id\""}},
      {One("{\"id\": \"a/b\", \"command\": [\"x\"]}"),
       "children[0].id",
       {"A-Z a-z 0-9 _ . -", "got \"a/b\""}},
      {One("{\"id\": \"" + std::string(65, 'a') + "\", \"command\": [\"x\"]}"),
       "children[0].id",
       {"1 to 64"}},
      {One("{\"id\": \"\", \"command\": [\"x\"]}"), "children[0].id", {"1 to 64", "got \"\""}},
      {One("{\"id\": 5, \"command\": [\"x\"]}"), "children[0].id", {"got 5"}},
      {One("{\"id\": \"a\", \"command\": [\"x\"]}, {\"id\": \"a\", \"command\": [\"y\"]}"),
       "children[1].id",
       {"duplicate id \"a\"", "children[0]"}},
      // --- kind ---
      {One("{\"id\": \"a\", \"command\": [\"x\"], \"children\": []}"),
       "children[0]",
       {"both a worker", "\"command\"", "\"children\""}},
      {One("{\"id\": \"a\", \"command\": [\"x\"], \"strategy\": \"one_for_one\"}"),
       "children[0]",
       {"both a worker", "\"strategy\""}},
      {One("{\"id\": \"a\"}"), "children[0]", {"expected \"command\" (a worker)", "supervisor"}},
      {One("{\"id\": \"a\", \"comand\": [\"x\"]}"),
       "children[0].comand",
       {"unknown key", "did you mean \"command\"?"}},
      {One("5"), "children[0]", {"expected a child object", "got 5"}},
      {"{\"children\": {}}", "children", {"expected an array", "got {}"}},
      {S("\"children\": [], \"cwd\": \"/tmp\""),
       "children[0].cwd",
       {"worker key", "supervisor", "\"children\""}},
      {W("\"intensity\": 3"), "children[0].intensity", {"supervisor key", "worker", "\"command\""}},
      {S("\"strategy\": \"simple_one_for_one\", \"template\": {\"command\": [\"x\"], "
         "\"period\": \"5s\"}"),
       "children[0].template.period",
       {"supervisor key"}},
      {W("\"restrat\": \"temporary\""), "children[0].restrat", {"did you mean \"restart\"?"}},
      // --- command ---
      {One("{\"id\": \"a\", \"command\": []}"),
       "children[0].command",
       {"non-empty array of strings", "got []"}},
      {One("{\"id\": \"a\", \"command\": \"/bin/true\"}"),
       "children[0].command",
       {"non-empty array of strings", "got \"/bin/true\""}},
      {One("{\"id\": \"a\", \"command\": [\"x\", 5]}"),
       "children[0].command[1]",
       {"expected a string", "got 5"}},
      {One("{\"id\": \"a\", \"command\": [\"\"]}"),
       "children[0].command[0]",
       {"program name", "got \"\""}},
      // --- child keys ---
      {W("\"restart\": \"permanant\""),
       "children[0].restart",
       {"\"permanent\", \"transient\" or \"temporary\"", "got \"permanant\"",
        "did you mean \"permanent\"?"}},
      {W("\"shutdown\": 5000"),
       "children[0].shutdown",
       {"expected \"brutal_kill\", \"infinity\" or a duration like \"5s\", got 5000"}},
      {W("\"shutdown\": \"5 s\""), "children[0].shutdown", {"duration", "got \"5 s\""}},
      {W("\"shutdown\": \"87601h\""), "children[0].shutdown", {"at most 87600h"}},
      {S("\"children\": [], \"period\": \"9999999999h\""),
       "children[0].period",
       {"at most 87600h"}},
      {W("\"shutdown\": \"0s\""), "children[0].shutdown", {"positive duration", "brutal_kill"}},
      {W("\"significant\": true, \"restart\": \"transient\""),
       "children[0].significant",
       {"auto_shutdown", "\"never\""}},
      {"{\"auto_shutdown\": \"any_significant\", \"children\": [{\"id\": \"a\", \"command\": "
       "[\"x\"], \"significant\": true}]}",
       "children[0].significant",
       {"cannot be \"permanent\"", "transient"}},
      {W("\"significant\": \"yes\""), "children[0].significant", {"true or false", "\"yes\""}},
      // --- supervisors ---
      {S("\"strategy\": \"one_for_none\""),
       "children[0].strategy",
       {"\"simple_one_for_one\"", "did you mean \"one_for_one\"?"}},
      {S("\"template\": {\"command\": [\"x\"]}"),
       "children[0].template",
       {"only allowed with strategy \"simple_one_for_one\", not \"one_for_one\""}},
      {S("\"strategy\": \"simple_one_for_one\", \"template\": {\"command\": [\"x\"]}, "
         "\"children\": []"),
       "children[0].children",
       {"not allowed with strategy \"simple_one_for_one\""}},
      {S("\"strategy\": \"simple_one_for_one\""), "children[0]", {"needs a \"template\""}},
      {S("\"children\": [], \"max_children\": 3"),
       "children[0].max_children",
       {"only allowed with strategy \"simple_one_for_one\""}},
      {S("\"strategy\": \"simple_one_for_one\", \"template\": {\"command\": [\"x\"]}, "
         "\"max_children\": 0"),
       "children[0].max_children",
       {"integer from 1", "got 0"}},
      {S("\"strategy\": \"simple_one_for_one\", \"template\": {\"autostart\": false, "
         "\"command\": [\"x\"]}"),
       "children[0].template.autostart",
       {"template has no autostart"}},
      {S("\"command\": [\"x\"], \"autostart\": \"no\""), "children[0].autostart", {"expected"}},
      {S("\"strategy\": \"simple_one_for_one\", \"template\": {\"id\": \"t\", \"command\": "
         "[\"x\"]}"),
       "children[0].template.id",
       {"template has no id"}},
      {S("\"strategy\": \"simple_one_for_one\", \"template\": {\"command\": [\"x\"], "
         "\"children\": []}"),
       "children[0].template.children",
       {"template must be a worker"}},
      {S("\"strategy\": \"simple_one_for_one\", \"template\": {\"restart\": \"temporary\"}"),
       "children[0].template",
       {"missing \"command\""}},
      {S("\"children\": [], \"intensity\": -1"),
       "children[0].intensity",
       {"integer from 0", "got -1"}},
      {S("\"children\": [], \"intensity\": \"3\""), "children[0].intensity", {"got \"3\""}},
      {S("\"children\": [], \"intensity\": 1.5"), "children[0].intensity", {"got 1.5"}},
      {S("\"children\": [], \"period\": \"0s\""),
       "children[0].period",
       {"duration of at least 1ms", "got \"0s\""}},
      {S("\"children\": [], \"period\": -5"), "children[0].period", {"duration", "got -5"}},
      {S("\"children\": [], \"auto_shutdown\": \"always\""),
       "children[0].auto_shutdown",
       {"\"never\", \"any_significant\" or \"all_significant\""}},
      {S("\"children\": [], \"restart_mode\": \"inorder\""),
       "children[0].restart_mode",
       {"did you mean \"in_order\"?"}},
      {S("\"children\": [], \"restart_order\": \"ltr\""),
       "children[0].restart_order",
       {"\"right_to_left\" or \"left_to_right\""}},
      {S("\"children\": [], \"stop_order\": \"concurrent\""),
       "children[0].stop_order",
       {"\"sequential\" or \"parallel\"", "got \"concurrent\""}},
      {S("\"children\": [], \"stop_order\": \"paralel\""),
       "children[0].stop_order",
       {"did you mean \"parallel\"?"}},
      {S("\"children\": [], \"stop_order\": true"), "children[0].stop_order", {"got true"}},
      {S("\"children\": [], \"backoff\": {\"initial\": \"10s\", \"max\": \"5s\"}"),
       "children[0].backoff",
       {"initial (10s) must not exceed max (5s)"}},
      {S("\"children\": [], \"backoff\": {\"multiplier\": 0.5}"),
       "children[0].backoff.multiplier",
       {"number from 1", "got 0.5"}},
      {S("\"children\": [], \"backoff\": {\"jitter\": 1.5}"),
       "children[0].backoff.jitter",
       {"number from 0", "to 1", "got 1.5"}},
      {S("\"children\": [], \"backoff\": {\"inital\": \"1s\"}"),
       "children[0].backoff.inital",
       {"did you mean \"initial\"?"}},
      {S("\"children\": [], \"backoff\": \"1s\""), "children[0].backoff", {"expected an object"}},
      {S("\"children\": [{\"id\": \"x\", \"command\": [\"x\"], \"include\": \"a.json\"}]"),
       "children[0].children[0].include",
       {"only allowed at the top of the root"}},
      {"{\"children\": [{\"id\": \"p\", \"children\": [{\"id\": \"a\", \"command\": [\"x\"]}]},"
       " {\"id\": \"q\", \"children\": [{\"id\": \"i\", \"command\": [\"x\"], \"shutdown\": "
       "5000}]}]}",
       "children[1].children[0].shutdown",
       {"expected \"brutal_kill\", \"infinity\" or a duration like \"5s\", got 5000"}},
      // --- worker keys ---
      {W("\"stop_signal\": \"SIGFOO\""), "children[0].stop_signal", {"signal name", "\"SIGFOO\""}},
      {W("\"stop_signal\": 15"), "children[0].stop_signal", {"signal name", "got 15"}},
      {W("\"user\": \"no_such_user_supd_test\""),
       "children[0].user",
       {"no such user \"no_such_user_supd_test\""}},
      {W("\"user\": \"0x10\""), "children[0].user", {"decimal uid"}},
      {W("\"user\": \"010\""), "children[0].user", {"decimal uid", "leading zero"}},
      {W("\"user\": 0"), "children[0].user", {"user name or decimal uid", "got 0"}},
      {W("\"user\": \"4000000\""), "children[0].user", {"no passwd entry", "\"group\""}},
      {W("\"group\": \"no_such_group_supd_test\""), "children[0].group", {"no such group"}},
      {W("\"kill_mode\": \"cgroups\""), "children[0].kill_mode", {"did you mean \"cgroup\"?"}},
      {W("\"ready\": {\"notify_fd\": 2}"),
       "children[0].ready.notify_fd",
       {"integer from 3", "got 2"}},
      {W("\"ready\": \"notify\""),
       "children[0].ready",
       {"\"exec\", \"sd_notify\", {\"notify_fd\": N}", "got \"notify\""}},
      {W("\"ready\": {}"), "children[0].ready", {"exactly one of"}},
      {W("\"ready\": {\"after\": \"1s\", \"notify_fd\": 3}"),
       "children[0].ready",
       {"exactly one of", "got 2"}},
      {W("\"ready\": {\"after\": \"1s\", \"interval\": \"1s\"}"),
       "children[0].ready.interval",
       {"only allowed with a probe \"command\""}},
      {W("\"ready\": {\"command\": [\"probe\"], \"intreval\": \"1s\"}"),
       "children[0].ready.intreval",
       {"did you mean \"interval\"?"}},
      {W("\"normal_exit_codes\": [0, 256]"),
       "children[0].normal_exit_codes[1]",
       {"integer from 0 to 255", "got 256"}},
      {W("\"normal_exit_codes\": 0"), "children[0].normal_exit_codes", {"array of exit codes"}},
      {W("\"watchdog\": \"10s\""), "children[0].watchdog", {"needs \"ready\": \"sd_notify\""}},
      {W("\"ready\": {\"notify_fd\": 3}, \"watchdog\": \"10s\""),
       "children[0].watchdog",
       {"sd_notify"}},
      {W("\"stdout\": \"stderr\""), "children[0].stdout", {"not allowed"}},
      {W("\"stdout\": \"stdout\""),
       "children[0].stdout",
       {"\"log\", \"inherit\"", "got \"stdout\""}},
      {W("\"stderr\": \"bogus\""), "children[0].stderr", {"\"log\", \"stdout\"", "got \"bogus\""}},
      {W("\"stdout\": {\"max_size\": \"1MB\"}"), "children[0].stdout", {"missing \"file\""}},
      {W("\"stdout\": {\"file\": \"a.log\", \"max_size\": \"10XB\"}"),
       "children[0].stdout.max_size",
       {"size like", "got \"10XB\""}},
      {W("\"stdout\": {\"file\": \"a.log\", \"keep\": -1}"), "children[0].stdout.keep", {"got -1"}},
      {W("\"umask\": 18"), "children[0].umask", {"octal string like \"0022\"", "got 18"}},
      {W("\"umask\": \"0999\""), "children[0].umask", {"octal string"}},
      {W("\"env\": {\"A\": 1}"), "children[0].env.A", {"expected a string", "got 1"}},
      {W("\"env\": \"A=B\""), "children[0].env", {"object of strings"}},
      {W("\"env\": {\"A=B\": \"c\"}"), "children[0].env.A=B", {"without '='"}},
      {W("\"env_clear\": \"yes\""), "children[0].env_clear", {"true or false"}},
      {W("\"rlimits\": {\"nofile\": -1}"),
       "children[0].rlimits.nofile",
       {"non-negative integer or \"unlimited\"", "got -1"}},
      {W("\"rlimits\": {\"nfile\": 10}"),
       "children[0].rlimits.nfile",
       {"did you mean \"nofile\"?"}},
      {W("\"rlimits\": {\"core\": \"infinite\"}"), "children[0].rlimits.core", {"\"unlimited\""}},
      {W("\"start_timeout\": \"0s\""), "children[0].start_timeout", {"at least 1ms"}},
      {W("\"log_buffer\": \"2GB\""), "children[0].log_buffer", {"at most 1GB"}},
      {W("\"stdin\": \"inherit\""), "children[0].stdin", {"expected \"null\""}},
      {W("\"cwd\": \"\""), "children[0].cwd", {"directory path", "got \"\""}},
      {W("\"cwd\": \"/a\\u0000b\""), "children[0].cwd", {"NUL"}},
      // --- daemon ---
      {"{\"daemon\": {\"sokcet\": \"/tmp/s\"}}", "daemon.sokcet", {"did you mean \"socket\"?"}},
      {"{\"daemon\": {\"socket_mode\": 600}}",
       "daemon.socket_mode",
       {"octal string like \"0660\"", "got 600"}},
      {"{\"daemon\": {\"on_root_give_up\": \"restart\"}}",
       "daemon.on_root_give_up",
       {"\"exit\" or \"stay\""}},
      {"{\"daemon\": {\"socket_group\": \"no_such_group_supd_test\"}}",
       "daemon.socket_group",
       {"no such group"}},
      {"{\"daemon\": []}", "daemon", {"expected an object"}},
      {R"({"daemon": {"http": {"listen": "0.0.0.0:9181"}}})",
       "daemon.http.listen",
       {"not a loopback address", "\"allow_remote\": true"}},
      {R"({"daemon": {"http": {"listen": "[2001:db8::1]:80"}}})",
       "daemon.http.listen",
       {"not a loopback address"}},
      {R"({"daemon": {"http": {"listen": "localhost:9181"}}})",
       "daemon.http.listen",
       {"\"localhost\" is not an IP address"}},
      {R"({"daemon": {"http": {"listen": "127.0.0.1:99999"}}})",
       "daemon.http.listen",
       {"port must be a number from 0 to 65535"}},
      {R"({"daemon": {"http": {"listen": "127.0.0.1"}}})",
       "daemon.http.listen",
       {"port must be a number"}},
      {R"({"daemon": {"http": {"listen": "unix:relative.sock"}}})",
       "daemon.http.listen",
       {"must be absolute"}},
      {R"({"daemon": {"http": {"listen": 9181}}})", "daemon.http.listen", {"got 9181"}},
      {R"({"daemon": {"http": {"allow_remote": true}}})", "daemon.http", {"missing \"listen\""}},
      {R"({"daemon": {"http": {"listen": "127.0.0.1:1", "alow_remote": true}}})",
       "daemon.http.alow_remote",
       {"did you mean \"allow_remote\"?"}},
      {R"({"daemon": {"http": "127.0.0.1:9181"}})", "daemon.http", {"expected an object"}},
      {"{\"strategy\": \"simple_one_for_one\", \"template\": {\"command\": [\"x\"]}, "
       "\"include\": \"*.json\"}",
       "include",
       {"not allowed with strategy \"simple_one_for_one\""}},
  };
  return cases;
}

std::string Dump(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& e : errors) out += "  " + e.ToString() + "\n";
  return out;
}

}  // namespace

TEST_CASE("invalid configs: exact path and message of every error") {
  CHECK(Cases().size() >= 40);
  for (const Case& c : Cases()) {
    CAPTURE(c.json);
    LoadResult result = LoadString(c.json, "supd.json", "/nonexistent-supd-test");
    std::string errors = Dump(result.errors);
    CAPTURE(errors);
    CHECK_FALSE(result.config.has_value());
    CHECK(result.errors.size() == c.count);
    if (result.errors.empty()) continue;
    const ConfigError& e = result.errors.front();
    CHECK(e.file == "supd.json");
    CHECK(e.path == c.path);
    CHECK(e.line == c.line);
    CHECK(e.column == c.column);
    for (const std::string& word : c.words) {
      CAPTURE(word);
      CHECK(e.message.find(word) != std::string::npos);
    }
  }
}

TEST_CASE("every error of a file is reported, in file order") {
  LoadResult result = LoadString(R"({
    "strategey": "one_for_all",
    "children": [
      {"id": "a", "command": [], "shutdown": 5000},
      {"id": "b", "command": ["x"], "restart": "sometimes", "stop_signal": "SIGNOPE"},
      {"id": "a", "strategy": "one_for_one", "period": "5"}
    ],
    "daemon": {"socket_mode": "0800"}
  })",
                                 "supd.json", "");
  std::vector<std::string> paths;
  for (const ConfigError& e : result.errors) paths.push_back(e.path);
  std::string errors = Dump(result.errors);
  CAPTURE(errors);
  // Nodes in file order; within a node, the child keys come first.
  CHECK(paths == std::vector<std::string>{"strategey", "children[0].shutdown",
                                          "children[0].command", "children[1].restart",
                                          "children[1].stop_signal", "children[2].period",
                                          "children[2].id", "daemon.socket_mode"});
}

TEST_CASE("ConfigError::ToString") {
  CHECK(ConfigError{"supd.json", "children[1].shutdown", 0, 0, "expected x, got 5"}.ToString() ==
        "supd.json: children[1].shutdown: expected x, got 5");
  CHECK(ConfigError{"supd.json", "", 3, 7, "syntax error"}.ToString() ==
        "supd.json:3:7: syntax error");
  CHECK(ConfigError{"a.json", "", 0, 0, "cannot open"}.ToString() == "a.json: cannot open");
}

}  // namespace supd::config
