#include "cli/import/scandir.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cli/import/script.h"
#include "common/signals.h"
#include "common/units.h"

namespace supd::cli::import {
namespace {

namespace fs = std::filesystem;

// Each suite restarts a dead service after a one-second pause, forever.
constexpr core::Millis kRestartPause = 1000;

const char* SupervisorName(ScanFormat f) {
  switch (f) {
    case ScanFormat::kRunit:
      return "runsv";
    case ScanFormat::kDaemontools:
      return "supervise";
    case ScanFormat::kS6:
      return "s6-supervise";
  }
  return "";
}

// Files of a service directory that have no supd equivalent, with the reason.
std::map<std::string, std::string> UnmappedFiles(ScanFormat f) {
  std::map<std::string, std::string> files = {
      {"finish", "supd has no finish hook; do the cleanup in run itself or in a wrapper"},
  };
  if (f == ScanFormat::kRunit) {
    files["check"] =
        "`sv check`'s probe; if it means readiness, add \"ready\": {\"command\": [...], "
        "\"interval\": \"1s\"} by hand";
    files["control"] = "custom sv control signals have no supd equivalent";
  }
  if (f == ScanFormat::kS6) {
    files["timeout-finish"] = "supd has no finish hook";
    files["max-death-tally"] = "supd keeps its own event history (`supctl events`)";
    files["nosetsid"] = "supd always gives a child its own session";
    files["lock-fd"] = "supd has no lock-fd";
    files["flag-newpidns"] = "supd does not create pid namespaces";
    files["dependencies"] = "order the children instead (they start in list order)";
    files["dependencies.d"] = "order the children instead (they start in list order)";
    files["producer-for"] = "supd captures output itself (stdout)";
    files["consumer-for"] = "supd captures output itself (stdout)";
    files["pipeline-name"] = "supd captures output itself (stdout)";
  }
  return files;
}

std::string Trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r\n"));
  s.erase(s.find_last_not_of(" \t\r\n") + 1);
  return s;
}

// The file's content; nullopt when it does not exist; throws when it cannot be read.
std::optional<std::string> ReadIfExists(const fs::path& p) {
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) throw ImportError(p.string(), 0, "cannot read: " + std::string(std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Executable(const fs::path& p) {
  std::error_code ec;
  auto perms = fs::status(p, ec).permissions();
  return (perms & (fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec)) !=
         fs::perms::none;
}

class ScanImporter {
 public:
  ScanImporter(ScanFormat format, Result* r) : format_(format), r_(r) {}

  void Service(const fs::path& svc, const std::string& name);

 private:
  void NotImported(const std::string& what, const std::string& reason) {
    r_->notes.push_back("not imported: " + what + ": " + reason);
  }
  void Note(const std::string& text) { r_->notes.push_back("note: " + text); }
  void MapRun(const fs::path& svc, const std::string& name, Node& n, RunScript& script);
  void MapLog(const fs::path& svc, const std::string& name, Node& n, const RunScript& run);
  void MapS6(const fs::path& svc, const std::string& name, Node& n);
  int IntFile(const fs::path& p, const std::string& text, long long lo, long long hi);

  ScanFormat format_;
  Result* r_;
};

int ScanImporter::IntFile(const fs::path& p, const std::string& text, long long lo, long long hi) {
  std::string t = Trim(text);
  if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos ||
      std::stoll(t) < lo || std::stoll(t) > hi) {
    throw ImportError(p.string(), 1,
                      "expected an integer from " + std::to_string(lo) + " to " +
                          std::to_string(hi) + ", got \"" + t + "\"");
  }
  return std::stoi(t);
}

void ScanImporter::MapRun(const fs::path& svc, const std::string& name, Node& n,
                          RunScript& script) {
  fs::path run = svc / "run";
  std::string text = *ReadIfExists(run);
  script = AnalyzeScript(text);
  n.cwd = svc.string();
  if (script.program) {
    n.command = *script.program;
    if (script.cwd) n.cwd = (svc / *script.cwd).lexically_normal().string();
    n.user = script.user;
    n.group = script.group;
    if (script.umask) {
      if (auto mode = common::ParseOctal(*script.umask)) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(*mode));
        n.umask = buf;
      }
    }
    Note(name + "/run: runs " + n.command[0] + " directly" +
         (script.tools.empty() ? "" : " (" + script.tools[0] + " became \"user\")"));
    return;
  }
  bool shell_without_shebang = !script.has_shebang && script.lang == RunScript::Lang::kShell;
  n.command = shell_without_shebang ? std::vector<std::string>{"/bin/sh", run.string()}
                                    : std::vector<std::string>{run.string()};
  if (!shell_without_shebang && !Executable(run)) {
    Note(name + "/run is not executable: " + SupervisorName(format_) +
         " could not start it either; supd's start will fail the same way");
  }
  for (const std::string& tool : script.tools) {
    Note(name + "/run calls " + tool + " and stays a script: keep " + tool +
         " installed, or rewrite run as \"command\" and \"user\"");
  }
}

void ScanImporter::MapLog(const fs::path& svc, const std::string& name, Node& n,
                          const RunScript& run) {
  fs::path log_run = svc / "log" / "run";
  std::optional<std::string> text = ReadIfExists(log_run);
  if (!text) return;
  RunScript script = AnalyzeScript(*text);
  std::optional<LoggerSpec> logger = FindLogger(script.last_command);
  if (!logger) {
    NotImported(name + "/log/run",
                "not svlogd, s6-log or multilog with a literal directory; "
                "the output goes to \"log\" (supctl log)");
    return;
  }
  fs::path dir =
      fs::path(*logger->dir).is_absolute() ? fs::path(*logger->dir) : (svc / "log" / *logger->dir);
  dir = dir.lexically_normal();
  if (logger->program == "svlogd") {
    if (auto config = ReadIfExists(dir / "config")) ApplySvlogdConfig(*config, *logger);
  }
  Output out;
  out.kind = Output::Kind::kFile;
  out.file = (dir / "current").string();
  if (logger->max_size && *logger->max_size > 0) {
    out.max_size = logger->max_size;
    out.keep = logger->keep;
  }
  out.timestamps = logger->timestamps;
  n.stdout_spec = out;
  // Without `exec 2>&1` a service's stderr did not reach its logger.
  if (!run.merges_stderr && run.lang != RunScript::Lang::kOther) {
    n.stderr_spec = Output{};
  }
  for (const std::string& arg : logger->unmapped) {
    NotImported(name + "/log/run", logger->program + " " + arg + ": no supd equivalent");
  }
  if (script.user) {
    Note(name + "/log/run ran " + logger->program + " as user " + *script.user + "; supd writes " +
         out.file + " itself");
  }
}

void ScanImporter::MapS6(const fs::path& svc, const std::string& name, Node& n) {
  if (auto text = ReadIfExists(svc / "notification-fd")) {
    n.ready_notify_fd = IntFile(svc / "notification-fd", *text, 3, 65535);
  }
  if (auto text = ReadIfExists(svc / "timeout-kill")) {
    int ms = IntFile(svc / "timeout-kill", *text, 0, 999'999'999);
    n.shutdown = ms == 0 ? "infinity" : common::FormatDuration(ms);
  }
  if (auto text = ReadIfExists(svc / "down-signal")) {
    std::string sig = Trim(*text);
    std::optional<int> number = common::SignalFromName(sig);
    if (!number && !sig.empty() && sig.find_first_not_of("0123456789") == std::string::npos &&
        sig.size() < 4) {
      number = std::stoi(sig);
    }
    if (!number)
      throw ImportError((svc / "down-signal").string(), 1, "not a signal: \"" + sig + "\"");
    n.stop_signal = common::SignalName(*number);
  }
  (void)name;
}

void ScanImporter::Service(const fs::path& svc, const std::string& name) {
  if (format_ == ScanFormat::kS6) {
    if (auto type = ReadIfExists(svc / "type"); type && Trim(*type) != "longrun") {
      NotImported(name, "an s6-rc " + Trim(*type) + ", not a long-running service");
      return;
    }
  }
  std::error_code ec;
  if (!fs::exists(svc / "run", ec)) {
    NotImported(name, "no run file: not a service directory");
    return;
  }
  Node n;
  n.id = name;
  n.origin = name;
  n.restart = "permanent";
  RunScript run;
  MapRun(svc, name, n, run);
  if (fs::exists(svc / "down", ec)) n.autostart = false;
  MapLog(svc, name, n, run);
  if (format_ == ScanFormat::kS6) MapS6(svc, name, n);

  std::set<std::string> known = {"run", "down", "log", "supervise", "event", "type"};
  if (format_ == ScanFormat::kS6) known.insert({"notification-fd", "timeout-kill", "down-signal"});
  std::map<std::string, std::string> unmapped = UnmappedFiles(format_);
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(svc, ec)) entries.push_back(e.path().filename());
  std::sort(entries.begin(), entries.end());
  for (const std::string& e : entries) {
    if (known.count(e)) continue;
    auto it = unmapped.find(e);
    NotImported(name + "/" + e, it != unmapped.end()
                                    ? it->second
                                    : "not read by supd (run still uses it if it reads it)");
  }
  r_->root.children.push_back(std::move(n));
}

}  // namespace

Result ImportScanDir(ScanFormat format, const std::string& dir) {
  std::error_code ec;
  fs::path root = fs::absolute(dir, ec).lexically_normal();
  if (!fs::is_directory(root, ec)) {
    throw ImportError(dir, 0, ec ? "cannot read: " + ec.message() : "not a directory");
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(root, ec)) names.push_back(e.path().filename());
  if (ec) throw ImportError(dir, 0, "cannot read: " + ec.message());
  std::sort(names.begin(), names.end());
  Result r;
  ScanImporter importer(format, &r);
  for (const std::string& name : names) {
    if (name.empty() || name[0] == '.') continue;  // s6-svscan's .s6-svscan, hidden files
    if (!fs::is_directory(root / name, ec)) {
      r.notes.push_back("not imported: " + name + ": not a service directory");
      continue;
    }
    importer.Service(root / name, name);
  }
  r.root.supervisor = true;
  r.root.strategy = "one_for_one";
  int n = std::max<int>(1, static_cast<int>(r.root.children.size()));
  // With a 1s pause before each restart a service restarts at most twice within 1s, so
  // 2 per service never trips: like the suites, supd then never gives up.
  r.root.intensity = 2 * n;
  r.root.period = kRestartPause;
  r.root.backoff_initial = kRestartPause;
  r.root.backoff_max = kRestartPause;
  r.notes.push_back(std::string("note: the root: backoff 1s and intensity ") +
                    std::to_string(2 * n) + " per 1s: like " + SupervisorName(format) +
                    ", supd restarts a dying service once a second and never gives up");
  r.programs = static_cast<int>(r.root.children.size());
  return r;
}

}  // namespace supd::cli::import
