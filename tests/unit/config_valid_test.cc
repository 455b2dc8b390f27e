// Valid configs: every default (README, "Config reference"), every variant of every key, a
// full example.
#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include "common/paths.h"
#include "config/loader.h"

namespace supd::config {
namespace {

using core::ChildSpec;
using core::OutputSpec;
using core::ReadySpec;
using core::Shutdown;

core::Config Load(const std::string& text) {
  LoadResult result = LoadString(text, "supd.json", "/nonexistent-supd-test");
  std::string errors;
  for (const ConfigError& e : result.errors) errors += e.ToString() + "\n";
  CAPTURE(errors);
  REQUIRE(result.config.has_value());
  CHECK(result.errors.empty());
  return *result.config;
}

const ChildSpec& Child(const core::Config& config, std::size_t i) {
  REQUIRE(config.root.supervisor->children.size() > i);
  return config.root.supervisor->children[i];
}

const core::WorkerSpec& Worker(const core::Config& config, std::size_t i) {
  REQUIRE(Child(config, i).worker);
  return *Child(config, i).worker;
}

// By value: the spec outlives the temporary Config.
core::WorkerSpec WorkerOf(const std::string& text) {
  core::Config config = Load(text);
  return Worker(config, 0);
}
ChildSpec ChildOf(const std::string& text) {
  core::Config config = Load(text);
  return Child(config, 0);
}

std::string WithWorker(const std::string& extra) {
  return R"({"children": [{"id": "w", "command": ["/bin/true"], )" + extra + "}]}";
}

}  // namespace

TEST_CASE("an empty object is a valid root with every supervisor and daemon default") {
  core::Config config = Load("{}");
  CHECK(config.path == "supd.json");
  CHECK(config.root.id == "");
  REQUIRE(config.root.IsSupervisor());
  CHECK_FALSE(config.root.worker);
  CHECK(config.root.shutdown.kind == Shutdown::Kind::kInfinity);
  const core::SupervisorSpec& sup = *config.root.supervisor;
  CHECK(sup.strategy == core::Strategy::kOneForOne);
  CHECK(sup.intensity == 1);
  CHECK(sup.period == 5000);
  CHECK(sup.auto_shutdown == core::AutoShutdown::kNever);
  CHECK(sup.restart_mode == core::RestartMode::kRevOrder);
  CHECK(sup.restart_order == core::RestartOrder::kRightToLeft);
  CHECK(sup.stop_order == core::StopOrder::kSequential);
  CHECK_FALSE(sup.backoff.has_value());
  CHECK_FALSE(sup.child_template.has_value());
  CHECK_FALSE(sup.max_children.has_value());
  CHECK(sup.children.empty());
  CHECK(config.daemon.socket == common::DefaultSocketPath());
  CHECK(config.daemon.state_dir == common::DefaultStateDir());
  CHECK(config.daemon.socket_mode == 0600u);
  CHECK(config.daemon.socket_group.empty());
  CHECK_FALSE(config.daemon.socket_gid.has_value());
  CHECK(config.daemon.log_dir.empty());
  CHECK(config.daemon.on_root_give_up == core::DaemonSpec::OnRootGiveUp::kExit);
  CHECK_FALSE(config.daemon.http.has_value());
}

TEST_CASE("a minimal worker gets every worker default") {
  core::Config config = Load(R"({"children": [{"id": "w", "command": ["sleep", "1"]}]})");
  const ChildSpec& child = Child(config, 0);
  CHECK(child.id == "w");
  CHECK(child.restart == core::RestartType::kPermanent);
  CHECK(child.shutdown == Shutdown{Shutdown::Kind::kTimeout, 5000});
  CHECK_FALSE(child.significant);
  CHECK(child.autostart);
  CHECK_FALSE(child.IsSupervisor());
  const core::WorkerSpec& w = Worker(config, 0);
  CHECK(w.command == std::vector<std::string>{"sleep", "1"});
  CHECK(w.cwd.empty());
  CHECK(w.user.empty());
  CHECK_FALSE(w.uid.has_value());
  CHECK(w.group.empty());
  CHECK_FALSE(w.gid.has_value());
  CHECK_FALSE(w.umask.has_value());
  CHECK(w.env.empty());
  CHECK_FALSE(w.env_clear);
  CHECK(w.rlimits.empty());
  CHECK(w.stop_signal == SIGTERM);
  CHECK(w.kill_mode == core::KillMode::kAuto);
  CHECK(w.normal_exit_codes == std::vector<int>{0});
  CHECK(w.ready.kind == ReadySpec::Kind::kExec);
  CHECK(w.start_timeout == 30000);
  CHECK_FALSE(w.watchdog.has_value());
  CHECK(w.stdout_spec.kind == OutputSpec::Kind::kLog);
  CHECK(w.stderr_spec.kind == OutputSpec::Kind::kStdout);
  CHECK(w.log_buffer == 64u * 1024);
  core::WorkerSpec expected;
  expected.command = {"sleep", "1"};
  CHECK(w == expected);
}

TEST_CASE("a supervisor child defaults to shutdown infinity and the supervisor defaults") {
  core::Config config = Load(R"({"children": [{"id": "s", "children": []},
                                              {"id": "t", "strategy": "one_for_all"}]})");
  const ChildSpec& s = Child(config, 0);
  REQUIRE(s.IsSupervisor());
  CHECK(s.shutdown.kind == Shutdown::Kind::kInfinity);
  CHECK(s.restart == core::RestartType::kPermanent);
  CHECK(s.supervisor->intensity == 1);
  CHECK(s.supervisor->period == 5000);
  CHECK(Child(config, 1).supervisor->strategy == core::Strategy::kOneForAll);
  CHECK(Child(config, 1).supervisor->children.empty());
}

TEST_CASE("every supervisor key") {
  core::Config config = Load(R"({
    "strategy": "rest_for_one", "intensity": 0, "period": "1h",
    "auto_shutdown": "all_significant", "restart_mode": "each", "restart_order": "left_to_right",
    "stop_order": "parallel",
    "backoff": {"initial": "250ms", "max": "2m", "multiplier": 1.5, "jitter": 0.25,
                "reset_after": "10m"},
    "children": [
      {"id": "jobs", "strategy": "simple_one_for_one", "max_children": 10,
       "restart": "transient", "significant": true, "shutdown": "30s",
       "template": {"command": ["./job"], "restart": "temporary", "shutdown": "brutal_kill"}},
      {"id": "b", "strategy": "one_for_one", "backoff": {}, "auto_shutdown": "any_significant",
       "restart_mode": "in_order", "autostart": false, "children": [
         {"id": "x", "command": ["x"], "restart": "temporary", "significant": true}]}
    ]})");
  CHECK(config.root.supervisor->children[0].autostart);
  CHECK_FALSE(config.root.supervisor->children[1].autostart);
  const core::SupervisorSpec& root = *config.root.supervisor;
  CHECK(root.strategy == core::Strategy::kRestForOne);
  CHECK(root.intensity == 0);
  CHECK(root.period == 3600000);
  CHECK(root.auto_shutdown == core::AutoShutdown::kAllSignificant);
  CHECK(root.restart_mode == core::RestartMode::kEach);
  CHECK(root.restart_order == core::RestartOrder::kLeftToRight);
  CHECK(root.stop_order == core::StopOrder::kParallel);
  CHECK(Child(config, 1).supervisor->stop_order == core::StopOrder::kSequential);
  REQUIRE(root.backoff.has_value());
  CHECK(*root.backoff == core::BackoffSpec{250, 120000, 1.5, 0.25, 600000});
  const ChildSpec& jobs = Child(config, 0);
  CHECK(jobs.restart == core::RestartType::kTransient);
  CHECK(jobs.significant);
  CHECK(jobs.shutdown == Shutdown{Shutdown::Kind::kTimeout, 30000});
  CHECK(jobs.supervisor->strategy == core::Strategy::kSimpleOneForOne);
  CHECK(jobs.supervisor->max_children == 10u);
  REQUIRE(jobs.supervisor->child_template.has_value());
  const ChildSpec& tmpl = *jobs.supervisor->child_template;
  CHECK(tmpl.id == "");
  CHECK(tmpl.restart == core::RestartType::kTemporary);
  CHECK(tmpl.shutdown.kind == Shutdown::Kind::kBrutalKill);
  REQUIRE(tmpl.worker);
  CHECK(tmpl.worker->command == std::vector<std::string>{"./job"});
  const ChildSpec& b = Child(config, 1);
  CHECK(b.supervisor->backoff == core::BackoffSpec{});
  CHECK(b.supervisor->restart_mode == core::RestartMode::kInOrder);
  CHECK(b.supervisor->children.at(0).significant);
}

TEST_CASE("every worker key") {
  core::Config config = Load(WithWorker(R"(
    "restart": "transient", "shutdown": "infinity", "cwd": "/srv/app",
    "user": "root", "umask": "0027",
    "env": {"Z": "last", "A": "first", "EMPTY": ""}, "env_clear": true,
    "rlimits": {"nofile": 4096, "nproc": "unlimited", "core": 0, "memlock": 65536,
                "as": "unlimited", "cpu": 60},
    "stop_signal": "INT", "kill_mode": "cgroup", "normal_exit_codes": [0, 2, 255],
    "ready": "sd_notify", "start_timeout": "2m", "watchdog": "15s",
    "stdout": {"file": "logs/w.out", "max_size": "10MB", "keep": 3, "timestamps": true},
    "stderr": "null", "stdin": "null", "log_buffer": "1MB")"));
  CHECK(Child(config, 0).shutdown.kind == Shutdown::Kind::kInfinity);
  CHECK(Child(config, 0).restart == core::RestartType::kTransient);
  const core::WorkerSpec& w = Worker(config, 0);
  CHECK(w.cwd == "/srv/app");
  CHECK(w.user == "root");
  CHECK(w.uid == 0u);
  CHECK(w.gid == 0u);  // the user's primary group
  CHECK(w.umask == 027u);
  using Env = std::vector<std::pair<std::string, std::string>>;
  CHECK(w.env == Env{{"Z", "last"}, {"A", "first"}, {"EMPTY", ""}});
  CHECK(w.env_clear);
  CHECK(w.rlimits == core::RlimitMap{{core::Rlimit::kNofile, 4096u},
                                     {core::Rlimit::kNproc, std::nullopt},
                                     {core::Rlimit::kCore, 0u},
                                     {core::Rlimit::kMemlock, 65536u},
                                     {core::Rlimit::kAs, std::nullopt},
                                     {core::Rlimit::kCpu, 60u}});
  CHECK(w.stop_signal == SIGINT);
  CHECK(w.kill_mode == core::KillMode::kCgroup);
  CHECK(w.normal_exit_codes == std::vector<int>{0, 2, 255});
  CHECK(w.ready.kind == ReadySpec::Kind::kSdNotify);
  CHECK(w.start_timeout == 120000);
  CHECK(w.watchdog == 15000);
  CHECK(w.stdout_spec == OutputSpec{OutputSpec::Kind::kFile, "logs/w.out", 10u << 20, 3, true});
  CHECK(w.stderr_spec.kind == OutputSpec::Kind::kNull);
  CHECK(w.log_buffer == 1u << 20);
}

TEST_CASE("ready variants") {
  CHECK(WorkerOf(WithWorker(R"("ready": "exec")")).ready == ReadySpec{});
  ReadySpec fd = WorkerOf(WithWorker(R"("ready": {"notify_fd": 3})")).ready;
  CHECK(fd.kind == ReadySpec::Kind::kNotifyFd);
  CHECK(fd.notify_fd == 3);
  ReadySpec after = WorkerOf(WithWorker(R"("ready": {"after": "2s"})")).ready;
  CHECK(after.kind == ReadySpec::Kind::kAfter);
  CHECK(after.after == 2000);
  ReadySpec probe =
      WorkerOf(
          WithWorker(
              R"("ready": {"command": ["curl", "-f", "http://localhost/"], "interval": "500ms"})"))
          .ready;
  CHECK(probe.kind == ReadySpec::Kind::kCommand);
  CHECK(probe.command == std::vector<std::string>{"curl", "-f", "http://localhost/"});
  CHECK(probe.interval == 500);
  ReadySpec probe_default = WorkerOf(WithWorker(R"("ready": {"command": ["p"]})")).ready;
  CHECK(probe_default.interval == 1000);
}

TEST_CASE("stdout and stderr variants") {
  auto out = [](const std::string& key, const std::string& value) {
    core::WorkerSpec w = WorkerOf(WithWorker("\"" + key + "\": " + value));
    return key == "stdout" ? w.stdout_spec : w.stderr_spec;
  };
  CHECK(out("stdout", "\"log\"").kind == OutputSpec::Kind::kLog);
  CHECK(out("stdout", "\"inherit\"").kind == OutputSpec::Kind::kInherit);
  CHECK(out("stdout", "\"null\"").kind == OutputSpec::Kind::kNull);
  CHECK(out("stderr", "\"stdout\"").kind == OutputSpec::Kind::kStdout);
  CHECK(out("stderr", "\"log\"").kind == OutputSpec::Kind::kLog);
  CHECK(out("stderr", "\"inherit\"").kind == OutputSpec::Kind::kInherit);
  OutputSpec file = out("stderr", R"({"file": "/var/log/e.log"})");
  CHECK(file == OutputSpec{OutputSpec::Kind::kFile, "/var/log/e.log", 0, 5, false});
  CHECK(out("stdout", R"({"file": "a", "max_size": 4096})").max_size == 4096u);
}

TEST_CASE("signals, sizes and durations in their accepted spellings") {
  CHECK(WorkerOf(WithWorker(R"("stop_signal": "SIGTERM")")).stop_signal == SIGTERM);
  CHECK(WorkerOf(WithWorker(R"("stop_signal": "TERM")")).stop_signal == SIGTERM);
  CHECK(WorkerOf(WithWorker(R"("stop_signal": "SIGQUIT")")).stop_signal == SIGQUIT);
  CHECK(WorkerOf(WithWorker(R"("log_buffer": "512KB")")).log_buffer == 512u * 1024);
  CHECK(WorkerOf(WithWorker(R"("log_buffer": "100B")")).log_buffer == 100u);
  CHECK(ChildOf(WithWorker(R"("shutdown": "250ms")")).shutdown.timeout == 250);
  CHECK(ChildOf(WithWorker(R"("shutdown": "2m")")).shutdown.timeout == 120000);
}

TEST_CASE("user and group resolution: names, decimal ids, primary group") {
  core::WorkerSpec w = WorkerOf(WithWorker(R"("user": "0", "group": "daemon")"));
  CHECK(w.uid == 0u);
  CHECK(w.group == "daemon");
  CHECK(w.gid.has_value());
  CHECK(*w.gid != 0u);
  core::WorkerSpec g = WorkerOf(WithWorker(R"("group": "0")"));
  CHECK_FALSE(g.uid.has_value());
  CHECK(g.gid == 0u);
  core::WorkerSpec n = WorkerOf(WithWorker(R"("user": "4000000", "group": "4000000")"));
  CHECK(n.uid == 4000000u);
  CHECK(n.gid == 4000000u);
}

TEST_CASE("the daemon section") {
  core::Config config = Load(R"({"daemon": {"socket": "/tmp/x.sock", "socket_mode": "0660",
      "socket_group": "root", "log_dir": "/var/log/supd", "state_dir": "/tmp/state",
      "on_root_give_up": "stay"}})");
  CHECK(config.daemon.socket == "/tmp/x.sock");
  CHECK(config.daemon.socket_mode == 0660u);
  CHECK(config.daemon.socket_group == "root");
  CHECK(config.daemon.socket_gid == 0u);
  CHECK(config.daemon.log_dir == "/var/log/supd");
  CHECK(config.daemon.state_dir == "/tmp/state");
  CHECK(config.daemon.on_root_give_up == core::DaemonSpec::OnRootGiveUp::kStay);
}

// A full example: nesting, every strategy kind, include, daemon keys.
constexpr const char* kSpecExample = R"({
  "daemon":  { "socket": "/run/supd/supd.sock", "socket_mode": "0660", "socket_group": "supd",
               "log_dir": "/var/log/supd", "on_root_give_up": "exit" },
  "strategy": "rest_for_one", "intensity": 3, "period": "10s",
  "include": ["conf.d/*.json"],
  "children": [
    { "id": "db",  "command": ["/usr/sbin/redis-server", "--port", "7000"],
      "ready": { "notify_fd": 3 }, "shutdown": "10s" },
    { "id": "pipeline", "strategy": "one_for_all", "intensity": 5, "period": "30s",
      "children": [
        { "id": "ingest", "command": ["./ingest"], "cwd": "/srv/app", "user": "app" },
        { "id": "index",  "command": ["./index"],  "restart": "transient" } ] },
    { "id": "jobs", "strategy": "simple_one_for_one",
      "template": { "command": ["./job"], "restart": "temporary", "shutdown": "brutal_kill" } }
  ]
})";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST_CASE("full example: exactly the unresolvable user and group are reported") {
  LoadResult result = LoadString(kSpecExample, "supd.json", "/nonexistent-supd-test");
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 2);
  CHECK(result.errors[0].path == "children[1].children[0].user");
  CHECK(result.errors[0].message == "no such user \"app\" on this machine");
  CHECK(result.errors[1].path == "daemon.socket_group");
  CHECK(result.errors[1].message == "no such group \"supd\" on this machine");
}

TEST_CASE("full example with user and group that exist here") {
  std::string text = Replace(Replace(kSpecExample, "\"user\": \"app\"", "\"user\": \"root\""),
                             "\"socket_group\": \"supd\"", "\"socket_group\": \"root\"");
  core::Config config = Load(text);
  CHECK(config.daemon.socket == "/run/supd/supd.sock");
  CHECK(config.daemon.socket_mode == 0660u);
  CHECK(config.daemon.socket_gid == 0u);
  CHECK(config.daemon.log_dir == "/var/log/supd");
  const core::SupervisorSpec& root = *config.root.supervisor;
  CHECK(root.strategy == core::Strategy::kRestForOne);
  CHECK(root.intensity == 3);
  CHECK(root.period == 10000);
  REQUIRE(root.children.size() == 3);  // conf.d/*.json matches nothing there
  const ChildSpec& db = root.children[0];
  CHECK(db.id == "db");
  CHECK(db.worker->command == std::vector<std::string>{"/usr/sbin/redis-server", "--port", "7000"});
  CHECK(db.worker->ready.kind == ReadySpec::Kind::kNotifyFd);
  CHECK(db.worker->ready.notify_fd == 3);
  CHECK(db.shutdown == Shutdown{Shutdown::Kind::kTimeout, 10000});
  const ChildSpec& pipeline = root.children[1];
  CHECK(pipeline.supervisor->strategy == core::Strategy::kOneForAll);
  CHECK(pipeline.supervisor->intensity == 5);
  CHECK(pipeline.supervisor->period == 30000);
  CHECK(pipeline.shutdown.kind == Shutdown::Kind::kInfinity);
  REQUIRE(pipeline.supervisor->children.size() == 2);
  CHECK(pipeline.supervisor->children[0].worker->cwd == "/srv/app");
  CHECK(pipeline.supervisor->children[0].worker->uid == 0u);
  CHECK(pipeline.supervisor->children[1].restart == core::RestartType::kTransient);
  const ChildSpec& jobs = root.children[2];
  CHECK(jobs.supervisor->strategy == core::Strategy::kSimpleOneForOne);
  CHECK(jobs.supervisor->child_template->shutdown.kind == Shutdown::Kind::kBrutalKill);
  CHECK(jobs.supervisor->child_template->restart == core::RestartType::kTemporary);
  TreeCounts counts = CountNodes(config.root);
  CHECK(counts.supervisors == 3);
  CHECK(counts.workers == 3);
}

TEST_CASE("daemon.http: loopback and IPv6 in brackets and a Unix socket and remote when allowed") {
  auto http = [](const std::string& value) {
    return Load(R"({"daemon": {"http": )" + value + "}}").daemon.http;
  };
  auto v4 = http(R"({"listen": "127.0.0.1:9181"})");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 9181);
  CHECK(v4->unix_path.empty());
  CHECK_FALSE(v4->allow_remote);
  auto v6 = http(R"({"listen": "[::1]:0"})");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
  auto unix_socket = http(R"({"listen": "unix:/run/supd/http.sock"})");
  REQUIRE(unix_socket);
  CHECK(unix_socket->unix_path == "/run/supd/http.sock");
  auto remote = http(R"({"listen": "0.0.0.0:9181", "allow_remote": true})");
  REQUIRE(remote);
  CHECK(remote->host == "0.0.0.0");
  CHECK(remote->allow_remote);
  auto mapped = http(R"({"listen": "[::ffff:127.0.0.1]:80"})");
  REQUIRE(mapped);
  CHECK(mapped->listen == "[::ffff:127.0.0.1]:80");
}

}  // namespace supd::config
