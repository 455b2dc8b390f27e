// include files (temp dirs), deep nesting through the loader, RunCheck, FindConfig.
#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "config/check.h"
#include "config/loader.h"
#include "config/paths.h"
#include "tests/support/temp_dir.h"

namespace supd::config {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

std::vector<std::string> Ids(const core::Config& config) {
  std::vector<std::string> ids;
  for (const core::ChildSpec& c : config.root.supervisor->children) ids.push_back(c.id);
  return ids;
}

std::string Dump(const LoadResult& result) {
  std::string out;
  for (const ConfigError& e : result.errors) out += e.ToString() + "\n";
  return out;
}

}  // namespace

TEST_CASE("include: files appended after the root's children, in sorted order") {
  TempDir dir;
  std::string root = dir.Write("supd.json", R"({"include": ["conf.d/*.json", "extra.json"],
      "children": [{"id": "first", "command": ["x"]}]})");
  dir.Write("conf.d/b.json", R"([{"id": "b1", "command": ["x"]}, {"id": "b2", "children": []}])");
  dir.Write("conf.d/a.json", R"({"id": "a", "command": ["x"], "restart": "temporary"})");
  dir.Write("conf.d/c.txt", "not json, not matched");
  dir.Write("extra.json", R"({"id": "extra", "command": ["x"]})");
  LoadResult result = LoadFile(root);
  CAPTURE(Dump(result));
  REQUIRE(result.config.has_value());
  CHECK(Ids(*result.config) == std::vector<std::string>{"first", "a", "b1", "b2", "extra"});
  CHECK(result.config->root.supervisor->children[1].restart == core::RestartType::kTemporary);
  CHECK(result.config->root.supervisor->children[3].IsSupervisor());
  CHECK(result.config->path == root);
}

TEST_CASE("include: a file matched twice is included once, no match for a glob is fine") {
  TempDir dir;
  std::string root =
      dir.Write("supd.json", R"({"include": ["d/*.json", "d/a.json", "none/*.json"]})");
  dir.Write("d/a.json", R"({"id": "a", "command": ["x"]})");
  LoadResult result = LoadFile(root);
  CAPTURE(Dump(result));
  REQUIRE(result.config.has_value());
  CHECK(Ids(*result.config) == std::vector<std::string>{"a"});
}

TEST_CASE("include: an invalid included file is named, with the path inside it") {
  TempDir dir;
  std::string root = dir.Write("supd.json", R"({"include": "conf.d/*.json",
      "children": [{"id": "ok", "command": ["x"]}]})");
  std::string bad = dir.Write(
      "conf.d/bad.json",
      R"([{"id": "fine", "command": ["x"]}, {"id": "bad", "command": [], "restart": "sometimes"}])");
  std::string syntax =
      dir.Write("conf.d/broken.json", "{\n  \"id\": \"b\",\n  \"command\": [\"x\"\n}");
  std::string single = dir.Write("conf.d/single.json", R"({"id": "s", "comand": ["x"]})");
  LoadResult result = LoadFile(root);
  CAPTURE(Dump(result));
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 4);
  CHECK(result.errors[0].file == bad);
  CHECK(result.errors[0].path == "[1].restart");
  CHECK(result.errors[1].file == bad);
  CHECK(result.errors[1].path == "[1].command");
  CHECK(result.errors[2].file == syntax);
  CHECK(result.errors[2].line == 4);
  CHECK(result.errors[2].column == 1);
  CHECK(result.errors[3].file == single);
  CHECK(result.errors[3].path == "comand");
  CHECK(result.errors[3].ToString() ==
        single + ": comand: unknown key \"comand\"; did you mean \"command\"?");
}

TEST_CASE("include: a glob matching the root config itself is a cycle") {
  TempDir dir;
  std::string root = dir.Write("supd.json", R"({"include": ["*.json"]})");
  dir.Write("other.json", R"({"id": "o", "command": ["x"]})");
  LoadResult result = LoadFile(root);
  CAPTURE(Dump(result));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].file == root);
  CHECK(result.errors[0].path == "include[0]");
  CHECK(result.errors[0].message.find("matches the root config itself") != std::string::npos);
  CHECK(result.errors[0].message.find("cycle") != std::string::npos);
}

TEST_CASE("include: not allowed inside an included file, nor in a child") {
  TempDir dir;
  std::string root = dir.Write("supd.json", R"({"include": ["inc/*.json"]})");
  std::string inc =
      dir.Write("inc/a.json", R"({"id": "a", "command": ["x"], "include": ["../supd.json"]})");
  LoadResult result = LoadFile(root);
  CAPTURE(Dump(result));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].file == inc);
  CHECK(result.errors[0].path == "include");
  CHECK(result.errors[0].message.find("only allowed at the top of the root") != std::string::npos);
}

TEST_CASE("include: duplicate ids across files, a missing literal file, bad top-level value") {
  TempDir dir;
  std::string root =
      dir.Write("supd.json", R"({"include": ["a.json", "b.json", "missing.json", "n.json"],
      "children": [{"id": "web", "command": ["x"]}]})");
  std::string a = dir.Write("a.json", R"({"id": "web", "command": ["x"]})");
  std::string b =
      dir.Write("b.json", R"([{"id": "api", "command": ["x"]}, {"id": "api", "command": ["y"]}])");
  std::string n = dir.Write("n.json", "42");
  LoadResult result = LoadFile(root);
  CAPTURE(Dump(result));
  REQUIRE(result.errors.size() == 4);
  CHECK(result.errors[0].file == root);
  CHECK(result.errors[0].path == "include[2]");
  CHECK(result.errors[0].message.find("no such file") != std::string::npos);
  CHECK(result.errors[1].file == n);
  CHECK(result.errors[1].message.find("a child object or an array") != std::string::npos);
  CHECK(result.errors[2].file == a);
  CHECK(result.errors[2].path == "id");
  CHECK(result.errors[2].message == "duplicate id \"web\" (also children[0] of " + root + ")");
  CHECK(result.errors[3].file == b);
  CHECK(result.errors[3].path == "[1].id");
  CHECK(result.errors[3].message == "duplicate id \"api\" (also [0] of " + b + ")");
}

TEST_CASE("include: significant in an included child follows the root's auto_shutdown") {
  TempDir dir;
  std::string root =
      dir.Write("supd.json", R"({"auto_shutdown": "any_significant", "include": "c.json"})");
  dir.Write("c.json",
            R"({"id": "c", "command": ["x"], "restart": "transient", "significant": true})");
  LoadResult result = LoadFile(root);
  CAPTURE(Dump(result));
  REQUIRE(result.config.has_value());
  CHECK(result.config->root.supervisor->children.at(0).significant);
}

TEST_CASE("include: only regular files are read") {
  TempDir dir;
  std::string root = dir.Write("supd.json", R"({"include": ["/dev/null", "sub"]})");
  fs::create_directories(dir.path() + "/sub");
  LoadResult result = LoadFile(root);
  CAPTURE(Dump(result));
  REQUIRE(result.errors.size() == 2);
  CHECK(result.errors[0].file == "/dev/null");
  CHECK(result.errors[0].message == "not a regular file");
}

TEST_CASE("LoadOptions.follow_includes=false reads no file") {
  LoadResult result =
      LoadString(R"({"include": ["/etc/*"]})", "x.json", "", LoadOptions{.follow_includes = false});
  CHECK(result.config.has_value());
}

TEST_CASE("LoadFile: a missing file is one clear error") {
  LoadResult result = LoadFile("/nonexistent-supd-test/supd.json");
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].ToString() ==
        "/nonexistent-supd-test/supd.json: cannot open: No such file or directory (ENOENT)");
}

std::string DeepChildren(int levels) {
  // Each supervisor level adds two JSON levels: the children array and the object.
  std::string text = "{\"children\": [";
  for (int i = 0; i < levels; ++i) text += "{\"id\": \"s\", \"children\": [";
  for (int i = 0; i < levels; ++i) text += "]}";
  return text + "]}";
}

TEST_CASE("deep nesting: 64 levels load, 65 and 10000 are errors, not crashes") {
  std::string d64 = std::string(63, '[') + std::string(63, ']');
  LoadResult ok = LoadString("{\"x\": " + d64 + "}", "supd.json", "");
  REQUIRE(ok.errors.size() == 1);  // unknown key "x", but it parsed
  CHECK(ok.errors[0].path == "x");
  LoadResult sup = LoadString(DeepChildren(31), "supd.json", "");  // 1 + 2*31 + 1 = 64 levels
  CAPTURE(Dump(sup));
  CHECK(sup.config.has_value());
  for (int depth : {65, 10000}) {
    std::string deep = "{\"x\": " + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
    LoadResult bad = LoadString(deep, "supd.json", "");
    REQUIRE(bad.errors.size() == 1);
    CHECK(bad.errors[0].line == 1);
    CHECK(bad.errors[0].column == 7 + 63);
    CHECK(bad.errors[0].message == "nesting deeper than 64 levels");
  }
  LoadResult deep_sup = LoadString(DeepChildren(5000), "supd.json", "");
  REQUIRE(deep_sup.errors.size() == 1);
  CHECK(deep_sup.errors[0].message == "nesting deeper than 64 levels");
}

TEST_CASE("RunCheck: ok line with counts, or every error on err and 1") {
  TempDir dir;
  std::string good = dir.Write("good.json", R"({"children": [
      {"id": "a", "command": ["x"]},
      {"id": "s", "children": [{"id": "b", "command": ["x"]}, {"id": "c", "command": ["x"]}]},
      {"id": "j", "strategy": "simple_one_for_one", "template": {"command": ["x"]}}]})");
  std::ostringstream out, err;
  CHECK(RunCheck(good, out, err) == 0);
  CHECK(out.str() == "ok: " + good + ": 3 supervisors, 3 workers\n");
  CHECK(err.str().empty());
  std::string bad = dir.Write("bad.json", R"({"intensity": -1, "children": [{"id": "a"}]})");
  std::ostringstream out2, err2;
  CHECK(RunCheck(bad, out2, err2) == 1);
  CHECK(out2.str().empty());
  CHECK(err2.str() == bad + ": intensity: expected an integer from 0 to 1000000, got -1\n" + bad +
                          ": children[0]: expected \"command\" (a worker) or \"children\", "
                          "\"strategy\" or \"template\" (a supervisor)\n");
  std::ostringstream out3, err3;
  CHECK(RunCheck(dir.Write("empty.json", "{}"), out3, err3) == 0);
  CHECK(out3.str().find(": 1 supervisor, 0 workers\n") != std::string::npos);
}

TEST_CASE("FindConfig: -c, then $SUPD_CONFIG, then ./supd.json, then /etc/supd/supd.json") {
  TempDir dir;
  std::string old_cwd = fs::current_path().string();
  const char* old_env = std::getenv("SUPD_CONFIG");
  std::string saved_env = old_env ? old_env : "";
  fs::current_path(dir.path());
  ::unsetenv("SUPD_CONFIG");
  CHECK(FindConfig(std::string("/x/flag.json")) == "/x/flag.json");
  bool etc = fs::exists("/etc/supd/supd.json");
  CHECK(FindConfig(std::nullopt) ==
        (etc ? std::optional<std::string>("/etc/supd/supd.json") : std::nullopt));
  dir.Write("supd.json", "{}");
  CHECK(FindConfig(std::nullopt) == "./supd.json");
  ::setenv("SUPD_CONFIG", "/y/env.json", 1);
  CHECK(FindConfig(std::nullopt) == "/y/env.json");
  CHECK(FindConfig(std::string("/x/flag.json")) == "/x/flag.json");
  ::setenv("SUPD_CONFIG", "", 1);
  CHECK(FindConfig(std::nullopt) == "./supd.json");
  if (old_env)
    ::setenv("SUPD_CONFIG", saved_env.c_str(), 1);
  else
    ::unsetenv("SUPD_CONFIG");
  fs::current_path(old_cwd);
}

}  // namespace supd::config
