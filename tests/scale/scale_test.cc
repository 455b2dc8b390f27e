// Scale (issue 16): a real supd with thousands of real children — a flat tree and supervisors
// nested 3 deep — starts them all, restarts crashing ones and a commanded subtree, and stops
// everything, within this machine's pid_max and RLIMIT_NOFILE. Correctness only: timing is
// bench/'s business. SUPD_SCALE_N sets the flat tree's size: 2,000 by default to stay within CI
// time on 2 cores; SUPD_SCALE_N=10000 is the case (~1 min on a quiet 2-core machine).
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <doctest/doctest.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/harness.h"

namespace supd::e2e {
namespace {

using json = nlohmann::json;

std::size_t Occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// Processes whose environment holds `token` (one /proc scan).
std::size_t ProcessesWithToken(const std::string& token) {
  std::size_t n = 0;
  DIR* d = opendir("/proc");
  if (d == nullptr) return 0;
  std::string needle = "SUPD_SCALE_TOKEN=" + token;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/environ", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().find(needle) != std::string::npos) ++n;
  }
  closedir(d);
  return n;
}

struct Tree {
  TempDir dir;
  std::string sock = dir.File("supd.sock");
  std::string err = dir.File("supd.err");
  json env = {{"SUPD_SCALE_TOKEN", dir.path()}};

  json Sleeper(const std::string& id) const {
    return {{"id", id}, {"command", {"/bin/sleep", "100000"}}, {"env", env},
            {"stdout", "null"}, {"stderr", "null"}};
  }
  // Exits 1 after a moment, over and over (the "few crashes").
  json Crasher(const std::string& id) const {
    return {{"id", id}, {"command", {"/bin/sh", "-c", "sleep 0.2; exit 1"}}, {"env", env},
            {"stdout", "null"}, {"stderr", "null"}};
  }
  std::string Write(const json& children) {
    json config = {{"daemon", {{"socket", sock}, {"state_dir", dir.File("state")}}},
                   {"intensity", 1000000},
                   {"period", "1s"},
                   {"children", children}};
    std::string path = dir.File("supd.json");
    WriteFile(path, config.dump());
    return path;
  }
  CommandResult Ctl(std::vector<std::string> args) const {
    args.insert(args.begin(), {SUPCTL_BIN, "--socket", sock, "--timeout", "600s"});
    return Run(args, milliseconds(610000));
  }
  std::size_t Started(const std::string& path) const {
    return Occurrences(ReadFile(err), "supd: " + path + " (pid");
  }
};

// Starts all `workers`, sees each crasher restart, restarts `restart_path` by command
// (`restart_workers` workers under it), shuts down: supd exits 0 and nothing is left.
void RunScale(Tree& t, const json& children, std::size_t workers,
              const std::vector<std::string>& crashers, const std::string& restart_path,
              std::size_t restart_workers) {
  SupdProcess supd(t.Write(children), t.sock, t.err);
  const milliseconds long_wait(600000);
  REQUIRE(supd.WaitReady(long_wait));  // supd answers once the tree has started
  bool all_started = WaitFor(
      [&] { return Occurrences(ReadFile(t.err), ") started") >= workers; }, long_wait);
  REQUIRE_MESSAGE(all_started, "started: " << Occurrences(ReadFile(t.err), ") started"));
  for (const auto& c : crashers) {
    CAPTURE(c);
    CHECK(WaitFor([&] { return t.Started(c) >= 6; }, long_wait));  // 3 runs: start+exit lines
  }
  std::size_t before = Occurrences(ReadFile(t.err), ") started");
  auto r = t.Ctl({"restart", restart_path});
  CHECK_MESSAGE(r.exit_code == 0, r.output);
  // The restarted workers, plus whatever the crashers did meanwhile.
  CHECK(Occurrences(ReadFile(t.err), ") started") >= before + restart_workers);
  CHECK(ProcessesWithToken(t.dir.path()) >= workers - crashers.size());

  r = t.Ctl({"shutdown"});
  CHECK_MESSAGE(r.exit_code == 0, r.output);
  auto status = supd.WaitExit(long_wait);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(WaitFor([&] { return ProcessesWithToken(t.dir.path()) == 0; }, milliseconds(30000)));
  rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    CHECK(Occurrences(ReadFile(t.err), "raised supd's open-file limit") == 1);
  }
}

TEST_CASE("scale: a flat tree of SUPD_SCALE_N (2,000) children starts, restarts and stops") {
  std::size_t n = 2000;
  if (const char* e = std::getenv("SUPD_SCALE_N")) n = std::strtoul(e, nullptr, 10);
  REQUIRE(n >= 10);
  Tree t;
  json children = json::array();
  std::vector<std::string> crashers = {"crash1", "crash2", "crash3"};
  for (std::size_t i = 0; i + crashers.size() < n; ++i) {
    children.push_back(t.Sleeper("s" + std::to_string(i)));
  }
  for (const auto& c : crashers) children.push_back(t.Crasher(c));
  // A one_for_one root: `restart s7` restarts that one child.
  RunScale(t, children, n, crashers, "s7", 1);
}

TEST_CASE("scale: 1,000 supervisors nested 3 deep start, restart and stop") {
  Tree t;
  json top = json::array();
  for (int a = 0; a < 10; ++a) {
    json mid = json::array();
    for (int b = 0; b < 10; ++b) {
      json leaf = json::array();
      for (int c = 0; c < 10; ++c) {
        std::string id = "c" + std::to_string(c);
        bool crash = a == 9 && b == 9 && c >= 7;  // three leaves hold a crasher
        json sup = {{"id", id},
                    {"intensity", 1000000},
                    {"period", "1s"},
                    {"children", {crash ? t.Crasher("w") : t.Sleeper("w")}}};
        leaf.push_back(sup);
      }
      mid.push_back({{"id", "b" + std::to_string(b)}, {"children", leaf}});
    }
    top.push_back({{"id", "a" + std::to_string(a)}, {"children", mid}});
  }
  std::vector<std::string> crashers = {"a9/b9/c7/w", "a9/b9/c8/w", "a9/b9/c9/w"};
  // `restart a3`: its 100 leaf supervisors and their workers, in order.
  RunScale(t, top, 1000, crashers, "a3", 100);
}

}  // namespace
}  // namespace supd::e2e
