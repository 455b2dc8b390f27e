// The /metrics renderer and the status page, on snapshots of the pure core driven on a
// fake clock (no socket, no process).
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <sstream>

#include "daemon/io/http/metrics_text.h"
#include "daemon/io/http/page.h"
#include "tests/support/core_harness.h"

namespace supd::testing {
namespace {

using core::ExitStatus;
using core::Strategy;
using io::http::MetricsCounters;
using io::http::MetricsInput;
using io::http::RenderMetrics;

/// sample line ("name{labels}") -> value, and every "# TYPE" line's name -> type.
struct Parsed {
  std::map<std::string, std::string> samples;
  std::map<std::string, std::string> types;
  std::vector<std::string> order;  ///< family names in order of their TYPE lines
};

Parsed Parse(const std::string& text) {
  Parsed p;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      auto sp = line.find(' ', 7);
      p.types[line.substr(7, sp - 7)] = line.substr(sp + 1);
      p.order.push_back(line.substr(7, sp - 7));
    } else if (!line.empty() && line[0] != '#') {
      auto sp = line.rfind(' ');
      p.samples[line.substr(0, sp)] = line.substr(sp + 1);
    }
  }
  return p;
}

/// root (one_for_one) -> a, pipe (rest_for_one) -> {db, ingest}.
CoreHarness Tree() {
  return CoreHarness(Sup("", Strategy::kOneForOne, 5, 10000,
                         {Worker("a"), Sup("pipe", Strategy::kRestForOne, 3, 10000,
                                           {Worker("db"), Worker("ingest")})}));
}

TEST_CASE("metrics: one series per child and state and counters from the tree and the events") {
  CoreHarness h = Tree();
  h.Start();
  h.Up(1);  // a
  h.Up(2);  // pipe/db
  h.Up(3);  // pipe/ingest
  h.Advance(1500);
  h.Exit(1, ExitStatus::Signaled(9));  // a crashes and is restarted as run 4
  h.Advance(250);
  auto root = h.tree().Status("");
  REQUIRE(root);
  MetricsCounters counters;
  counters.exits["a"]["abnormal"] = 1;
  counters.gave_up["pipe"] = 2;
  counters.control_requests["status"] = 7;
  counters.log_dropped_bytes["pipe/db"] = 4096;
  MetricsInput in;
  in.root = &*root;
  in.now = h.now();
  in.counters = &counters;
  in.version = "9.9.9";
  Parsed p = Parse(RenderMetrics(in));

  CHECK(p.samples.at("supd_child_up{path=\"a\"}") == "0");  // spawned, not ready yet
  CHECK(p.samples.at("supd_child_up{path=\"pipe/db\"}") == "1");
  CHECK(p.samples.at("supd_child_up{path=\"pipe\"}") == "1");
  CHECK(p.samples.count("supd_child_up{path=\"\"}") == 0);  // the root is no child
  CHECK(p.samples.at("supd_child_state{path=\"a\",state=\"starting\"}") == "1");
  CHECK(p.samples.at("supd_child_state{path=\"a\",state=\"running\"}") == "0");
  CHECK(p.samples.at("supd_child_state{path=\"pipe/ingest\",state=\"running\"}") == "1");
  int one_hot = 0;
  for (const char* s : {"stopped", "starting", "running", "stopping", "backoff", "exited"}) {
    one_hot += std::stoi(p.samples.at("supd_child_state{path=\"pipe/db\",state=\"" +
                                      std::string(s) + "\"}"));
  }
  CHECK(one_hot == 1);
  CHECK(p.samples.at("supd_child_restarts_total{path=\"a\"}") == "1");
  CHECK(p.samples.at("supd_child_restarts_total{path=\"pipe/db\"}") == "0");
  CHECK(p.samples.at("supd_child_exits_total{path=\"a\",reason=\"abnormal\"}") == "1");
  CHECK(p.samples.at("supd_child_exits_total{path=\"a\",reason=\"normal\"}") == "0");
  CHECK(p.samples.at("supd_child_exits_total{path=\"pipe/db\",reason=\"shutdown\"}") == "0");
  CHECK(p.samples.at("supd_child_uptime_seconds{path=\"pipe/db\"}") == "1.75");
  CHECK(p.samples.at("supd_child_uptime_seconds{path=\"a\"}") == "0");
  CHECK(p.samples.at("supd_child_start_seconds{path=\"pipe/db\"}") == "0");  // ready at once
  CHECK(p.samples.at("supd_supervisor_gave_up_total{path=\"pipe\"}") == "2");
  CHECK(p.samples.at("supd_supervisor_gave_up_total{path=\"\"}") == "0");
  CHECK(p.samples.at("supd_log_dropped_bytes_total{path=\"pipe/db\"}") == "4096");
  CHECK(p.samples.at("supd_control_requests_total{cmd=\"status\"}") == "7");
  CHECK(p.samples.at("supd_build_info{version=\"9.9.9\"}") == "1");
  CHECK(p.types.at("supd_child_restarts_total") == "counter");
  CHECK(p.types.at("supd_child_state") == "gauge");
  CHECK(p.types.count("process_cpu_seconds_total") == 0);  // no process stats given
  // Each family once, its samples right after its header.
  std::set<std::string> unique(p.order.begin(), p.order.end());
  CHECK(unique.size() == p.order.size());
}

TEST_CASE("metrics: process_* families as the client libraries name them") {
  io::http::ProcessStats stats;
  stats.cpu_seconds = 1.5;
  stats.resident_bytes = 4096;
  stats.open_fds = 12;
  stats.max_fds = 1024;
  stats.start_time_seconds = 1.7e9;
  MetricsInput in;
  in.process = stats;
  Parsed p = Parse(RenderMetrics(in));
  CHECK(p.samples.at("process_cpu_seconds_total") == "1.5");
  CHECK(p.types.at("process_cpu_seconds_total") == "counter");
  CHECK(p.samples.at("process_resident_memory_bytes") == "4096");
  CHECK(p.samples.at("process_open_fds") == "12");
  CHECK(p.samples.at("process_max_fds") == "1024");
  CHECK(p.samples.at("process_start_time_seconds") == "1700000000");
  CHECK(p.types.count("process_virtual_memory_bytes") == 1);
}

TEST_CASE("metrics: label values escaped as the exposition format requires") {
  CHECK(io::http::EscapeLabelValue(R"(a"b\c)") == R"(a\"b\\c)");
  CHECK(io::http::EscapeLabelValue("x\ny") == "x\\ny");
  CHECK(io::http::EscapeLabelValue("pipeline/db-1.x") == "pipeline/db-1.x");
  MetricsCounters counters;
  counters.control_requests["we\"ird\n"] = 1;
  MetricsInput in;
  in.counters = &counters;
  CHECK(RenderMetrics(in).find("supd_control_requests_total{cmd=\"we\\\"ird\\n\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("page: every child is a row with state and pid and restarts and last exit") {
  CoreHarness h = Tree();
  h.Start();
  h.Up(1);
  h.Up(2);
  h.Up(3);
  h.Exit(1, ExitStatus::Exited(3));
  h.Up(4);
  h.Advance(65000);
  auto root = h.tree().Status("");
  REQUIRE(root);
  std::string page = io::http::RenderPage(*root, h.now(), "1.2.3");
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* path : {"a", "pipe", "pipe/db", "pipe/ingest"}) {
    CHECK(page.find("<tr data-path=\"" + std::string(path) + "\"") != std::string::npos);
  }
  CHECK(page.find("<td class=\"pid\">104</td>") != std::string::npos);
  CHECK(page.find("<td class=\"exit\">code 3 (abnormal)</td>") != std::string::npos);
  CHECK(page.find("<td class=\"uptime\">1m 5s</td>") != std::string::npos);
  CHECK(page.find("<td class=\"restarts\">1</td>") != std::string::npos);
  CHECK(page.find("supd <span id=\"version\">1.2.3</span>") != std::string::npos);
  // Self-contained: no external script, style or font.
  CHECK(page.find("src=") == std::string::npos);
  CHECK(page.find("<link") == std::string::npos);
  CHECK(page.find("href=\"/\"") != std::string::npos);  // the refresh link
}

}  // namespace
}  // namespace supd::testing
