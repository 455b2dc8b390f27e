#include "cli/import/supervisord_keys.h"

namespace supd::cli::import {

// Program options supd has no equivalent for, with the reason shown to the operator.
const std::map<std::string, std::string>& UnmappedProgramKeys() {
  static const std::map<std::string, std::string> kKeys = {
      {"stdout_capture_maxbytes", "supd has no capture mode (it feeds event listeners)"},
      {"stderr_capture_maxbytes", "supd has no capture mode (it feeds event listeners)"},
      {"stdout_events_enabled", "supd has no event listeners; follow `supctl events -f`"},
      {"stderr_events_enabled", "supd has no event listeners; follow `supctl events -f`"},
      {"stdout_syslog", "supd does not write to syslog; run it under journald or use a file"},
      {"stderr_syslog", "supd does not write to syslog; run it under journald or use a file"},
      {"serverurl", "supd has no XML-RPC server; programs use supctl and its control socket"},
  };
  return kKeys;
}

const std::set<std::string>& MappedProgramKeys() {
  static const std::set<std::string> kKeys = {"command",
                                              "process_name",
                                              "numprocs",
                                              "numprocs_start",
                                              "priority",
                                              "autostart",
                                              "autorestart",
                                              "startsecs",
                                              "startretries",
                                              "exitcodes",
                                              "stopsignal",
                                              "stopwaitsecs",
                                              "stopasgroup",
                                              "killasgroup",
                                              "user",
                                              "redirect_stderr",
                                              "stdout_logfile",
                                              "stdout_logfile_maxbytes",
                                              "stdout_logfile_backups",
                                              "stderr_logfile",
                                              "stderr_logfile_maxbytes",
                                              "stderr_logfile_backups",
                                              "environment",
                                              "directory",
                                              "umask"};
  return kKeys;
}

// Sections that configure supervisord itself or a feature supd does not have.
std::optional<std::string> WholeSectionReason(const std::string& name) {
  auto starts = [&](const char* prefix) { return name.rfind(prefix, 0) == 0; };
  if (name == "unix_http_server" || name == "inet_http_server" || name == "supervisorctl" ||
      starts("rpcinterface:") || starts("ctlplugin:")) {
    return "supctl talks to supd over its own control socket (daemon.socket in supd.json)";
  }
  if (starts("eventlistener:")) {
    return "supd has no event listener protocol; `supctl events -f` streams lifecycle events";
  }
  if (starts("fcgi-program:")) return "supd does not create sockets for its children";
  return std::nullopt;
}

std::string SupervisordKeyReason(const std::string& key) {
  if (key == "nodaemon") return "supd always runs in the foreground";
  if (key == "pidfile") return "supd runs in the foreground and writes no pid file";
  if (key.rfind("logfile", 0) == 0 || key == "loglevel")
    return "supd logs to its stderr (see `supd --log-level`)";
  if (key == "childlogdir") return "AUTO log files became \"log\" (read them with `supctl log`)";
  if (key == "user") return "run supd itself as that user (e.g. User= in its systemd unit)";
  if (key == "minfds" || key == "minprocs")
    return "supd raises its own RLIMIT_NOFILE; per-program limits are \"rlimits\"";
  return "a setting of supervisord itself, with no supd equivalent";
}

}  // namespace supd::cli::import
