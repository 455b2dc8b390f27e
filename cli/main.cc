// supctl: the command-line client of supd. The table of verbs; each verb's work is in
// commands.cc.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/import/command.h"
#include "cli/render.h"
#include "common/units.h"

namespace {

using namespace supd::cli;

CLI::App* Verb(CLI::App& app, const char* name, const char* what, const char* example) {
  CLI::App* v = app.add_subcommand(name, what);
  v->footer(std::string("Example:\n  ") + example);
  return v;
}

// A duration flag ("5s", "250ms", "1.5s", "2m", or seconds: "1.5"); CLI11 reports a bad
// one as a usage error.
CLI::Option* AddDuration(CLI::App* app, const char* name, std::optional<supd::core::Millis>* out,
                         const char* what) {
  return app->add_option_function<std::string>(
                name,
                [out](const std::string& text) {
                  using supd::common::BareNumber;
                  auto ms = supd::common::ParseDuration(text, BareNumber::kSeconds);
                  if (!ms || *ms > supd::common::kMaxDuration) {
                    throw CLI::ValidationError("--timeout", "not a duration: " + text);
                  }
                  *out = *ms;
                },
                what)
      ->type_name("D");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"supctl: control supd, the supervision-tree daemon.", "supctl"};
  app.footer(
      "Paths are slash-separated ids below the root, e.g. pipeline/index.\n"
      "Exit codes: 0 success, 1 supd refused or failed, 2 usage, 3 supd unreachable,\n"
      "4 wait timed out.\n\n"
      "Examples:\n"
      "  supctl status\n"
      "  supctl restart pipeline/index\n"
      "  supctl wait db ready --timeout 30s && supctl start pipeline\n\n"
      "Run 'supctl VERB --help' for the options of a verb.");
  app.require_subcommand(1);
  app.fallthrough();  // global flags are accepted after the verb too

  Globals g;
  std::string socket;
  std::optional<supd::core::Millis> timeout;
  app.add_option("--socket", socket,
                 "Control socket (default: $SUPD_SOCKET, /run/supd/supd.sock for root, "
                 "$XDG_RUNTIME_DIR/supd.sock otherwise)")
      ->type_name("PATH");
  app.add_flag("--json", g.json, "Print the protocol's JSON replies, one per line");
  AddDuration(&app, "--timeout", &timeout, "How long to wait for supd's reply (default 30s)");

  std::vector<std::string> paths;
  std::string path, sig, state, file, id_text;
  std::optional<std::string> id;
  std::vector<std::string> args;
  bool dry_run = false, follow = false, restart_instances = false;
  int lines = 10;
  std::optional<supd::core::Millis> wait_timeout;

  auto* status = Verb(app, "status", "Show the state of nodes (default: the whole tree)",
                      "supctl status pipeline db");
  status->add_option("PATH", paths, "Nodes to show, each with its subtree");
  auto* tree = Verb(app, "tree", "Draw the supervision tree", "supctl tree");
  // The verbs that act on one or more nodes, named by PATH.
  auto on_paths = [&](const char* name, const char* what, const char* example,
                      const char* path_help) {
    auto* verb = Verb(app, name, what, example);
    verb->add_option("PATH", paths, path_help)->required();
    return verb;
  };
  auto* start = on_paths("start", "Start nodes and wait until they are ready",
                         "supctl start pipeline/index", "Nodes to start");
  auto* stop = on_paths("stop", "Stop nodes (sticky until 'start') and wait until reaped",
                        "supctl stop pipeline", "Nodes to stop");
  auto* restart = on_paths("restart", "Stop then start nodes (not counted as failures)",
                           "supctl restart db", "Nodes to restart");
  auto* signal = Verb(app, "signal", "Send a signal to workers (not a stop)",
                      "supctl signal HUP web");
  signal->add_option("SIG", sig, "Signal name or number: HUP, SIGUSR1, 10")->required();
  signal->add_option("PATH", paths, "Workers to signal")->required();
  auto* start_child = Verb(app, "start-child",
                           "Start an instance of a simple_one_for_one supervisor's template",
                           "supctl start-child jobs --id nightly -- --date 2024-01-01");
  start_child->add_option("SUP", path, "The simple_one_for_one supervisor")->required();
  start_child->add_option("--id", id_text, "Instance id (default: the next number)");
  start_child->add_option("ARGS", args, "Arguments appended to the template's command");
  auto* reload = Verb(app, "reload", "Re-read the config and apply the difference",
                      "supctl reload --dry-run");
  reload->add_flag("--dry-run", dry_run, "Only validate and show what would change");
  reload->add_flag("--restart-instances", restart_instances,
                   "A changed simple_one_for_one template also restarts running instances");
  auto* shutdown = Verb(app, "shutdown", "Stop the whole tree and make supd exit",
                        "supctl shutdown");
  auto* log = Verb(app, "log", "Show a worker's recent output (a supervisor: all its workers')", "supctl log -f -n 100 web");
  log->add_flag("-f,--follow", follow, "Keep printing new output");
  log->add_option("-n,--lines", lines, "Lines of history (default 10)")->check(CLI::NonNegativeNumber);
  log->add_option("PATH", path, "The worker")->required();
  auto* events = Verb(app, "events", "Show recent lifecycle events (with -f: follow them)",
                      "supctl events -f");
  events->add_flag("-f,--follow", follow, "Keep printing events as they happen");
  auto* wait = Verb(app, "wait", "Wait until a node reaches a state (exit 4 on timeout)",
                    "supctl wait pipeline/index ready --timeout 1m");
  wait->add_option("PATH", path, "The node")->required();
  wait->add_option("STATE", state,
                   "stopped, starting, running (= ready), stopping, backoff, exited")
      ->required();
  AddDuration(wait, "--timeout", &wait_timeout, "Give up after D (default 30s)");
  auto* check = Verb(app, "check",
                     "Health probe: exit 0 only if every permanent worker is running and ready",
                     "supctl check || echo unhealthy");
  auto* config = Verb(app, "config", "Config file tools", "supctl config check supd.json");
  config->require_subcommand(1);
  auto* config_check = config->add_subcommand("check", "Validate a config file (no daemon needed)");
  config_check->footer("Example:\n  supctl config check /etc/supd/supd.json");
  config_check->add_option("FILE", file, "The config file")->required();
  auto* version = Verb(app, "version", "Show the versions of supctl and supd", "supctl version");
  std::string import_format, import_out;
  bool force = false;
  auto* import = Verb(app, "import",
                      "Convert a supervisord.conf or a runit/daemontools/s6 scan directory "
                      "to a supd config (no daemon needed)",
                      "supctl import supervisord /etc/supervisor/supervisord.conf -o supd.json");
  import->add_option("FORMAT", import_format, "supervisord, runit, daemontools or s6")->required();
  import->add_option("SOURCE", file, "The supervisord.conf, or the scan directory")->required();
  import->add_option("-o,--output", import_out, "Where to write the config (default: stdout)")
      ->type_name("OUT");
  import->add_flag("--force", force, "Overwrite OUT if it exists");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  g.socket = socket.empty() ? DefaultSocket() : socket;
  if (timeout) {
    g.timeout = *timeout;
    g.timeout_set = true;
  }
  g.color = !g.json && UseColor();
  if (!id_text.empty()) id = id_text;

  if (*status) return Status(g, paths);
  if (*tree) return Tree(g);
  if (*start) return Operate(g, "start", paths);
  if (*stop) return Operate(g, "stop", paths);
  if (*restart) return Operate(g, "restart", paths);
  if (*signal) return Signal(g, sig, paths);
  if (*start_child) return StartChild(g, path, id, args);
  if (*reload) return Reload(g, dry_run, restart_instances);
  if (*shutdown) return Shutdown(g);
  if (*log) return Log(g, path, lines, follow);
  if (*events) return Events(g, follow);
  if (*wait) return Wait(g, path, state, wait_timeout);
  if (*check) return Check(g);
  if (*config_check) return ConfigCheck(file);
  if (*version) return Version(g);
  if (*import) return supd::cli::import::RunImport(import_format, file, import_out, force);
  return kExitUsage;
}
