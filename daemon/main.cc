// supd: run a supervision tree in the foreground.
#include <CLI/CLI.hpp>
#include <malloc.h>

#include <iostream>
#include <optional>
#include <string>

#include "config/check.h"
#include "config/loader.h"
#include "daemon/daemon.h"

int main(int argc, char** argv) {
  // A status of 1,000 children builds ~570 KB that is freed right after. With glibc's
  // defaults (free memory above 128 KB at the heap's top goes back to the kernel) each
  // status mapped fresh pages again: 143 page faults and 4.1 ms of supd's CPU on this VM,
  // against none and 1.2 ms when up to 1 MiB stays. Bigger blocks are still mmap'ed and
  // returned; Daemon::OnTreeReady trims what start-up left (the config's JSON tree).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 20);
  CLI::App app{
      "supd: Erlang/OTP supervision trees for operating-system processes.\n"
      "Runs the tree of CONFIG in the foreground until SIGTERM/SIGINT (or `supctl shutdown`).\n"
      "Config lookup: -c, $SUPD_CONFIG, ./supd.json, /etc/supd/supd.json.",
      "supd"};
  app.footer(
      "Examples:\n"
      "  supd -c examples/supd.json          run the example tree\n"
      "  supd --check -c /etc/supd/supd.json validate a config and exit\n"
      "Exit status: 0 after a clean stop, 1 bad config or start-up failure,\n"
      "3 the root supervisor gave up (on_root_give_up: exit; with stay, a later shutdown\n"
      "exits 0), or a significant child's status after auto_shutdown.");
  std::optional<std::string> config_flag;
  std::optional<std::string> socket;
  std::string log_level = "info";
  bool check = false;
  app.add_option("-c,--config", config_flag, "Config file (JSON, see the README)");
  app.add_flag("--check", check, "Validate the config, print every error, exit 0 or 1");
  app.add_option("--socket", socket, "Control socket path (overrides daemon.socket)");
  app.add_option("--log-level", log_level, "error, warn, info or debug")
      ->check(CLI::IsMember({"error", "warn", "warning", "info", "debug"}));
  app.set_version_flag("--version", std::string("supd ") + SUPD_VERSION);
  CLI11_PARSE(app, argc, argv);

  std::optional<std::string> path = supd::config::FindConfig(config_flag);
  if (!path) {
    std::cerr << "supd: no config file: pass -c FILE, set SUPD_CONFIG, or create ./supd.json "
                 "or /etc/supd/supd.json\n";
    return 1;
  }
  if (check) return supd::config::RunCheck(*path, std::cout, std::cerr);

  supd::config::LoadResult loaded = supd::config::LoadFile(*path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << "supd: " << e.ToString() << "\n";
    std::cerr << "supd: " << loaded.errors.size() << " error(s) in " << *path
              << "; nothing started (check with: supd --check -c " << *path << ")\n";
    return 1;
  }
  supd::DaemonOptions options;
  options.config = std::move(*loaded.config);
  options.socket_override = socket;
  supd::ParseLogLevel(log_level, &options.log_level);
  return supd::RunDaemon(std::move(options));
}
