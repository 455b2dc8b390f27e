#include "cli/import/supervisord.h"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cli/import/ini.h"
#include "cli/import/supervisord_keys.h"
#include "cli/import/words.h"
#include "common/signals.h"
#include "common/units.h"

namespace supd::cli::import {
namespace {

namespace fs = std::filesystem;

// supervisord's defaults for the options that decide a mapping.
constexpr int kDefaultStartRetries = 3;
constexpr int kDefaultStartSecs = 1;
constexpr int kDefaultStopWaitSecs = 10;
constexpr const char* kDefaultMaxBytes = "50MB";
constexpr int kDefaultBackups = 10;
constexpr int kDefaultPriority = 999;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\n\r"));
  s.erase(s.find_last_not_of(" \t\n\r") + 1);
  return s;
}

std::string ReadSource(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw ImportError(file, 0, "cannot read: " + std::string(std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Notes {
 public:
  explicit Notes(std::vector<std::string>* out) : out_(out) {}
  void Add(const std::string& line) {
    if (seen_.insert(line).second) out_->push_back(line);
  }
  void NotImported(const std::string& what, const std::string& reason) {
    Add("not imported: " + what + ": " + reason);
  }

 private:
  std::vector<std::string>* out_;
  std::set<std::string> seen_;
};

// The file's ini plus supervisord's reading rules around it.
class Importer {
 public:
  Importer(const SupervisordOptions& options, Result* result)
      : options_(options), result_(result), notes_(&result->notes) {}

  void Run(const std::string& file);

 private:
  struct Program {
    const IniSection* section;
    std::string name;
    int priority = kDefaultPriority;
    std::size_t order = 0;  // position among the sections, for ties
  };
  struct Ctx {  // the names a value may interpolate, besides here and ENV_*
    std::string program, group;
    std::optional<long long> num;
    long long numprocs = 1;
  };
  struct Entry {  // a child of the root or of a group, before sorting
    int priority;
    std::size_t order;
    std::vector<Node> nodes;
    const Program* program = nullptr;  // the program the nodes came from, if any
  };

  void Load(const std::string& file);
  const IniValue* Get(const IniSection& s, const std::string& key) const;
  std::string Expand(const IniSection& s, const IniValue& v, const std::string& key,
                     const Ctx& ctx);
  FormatLookup Names(const IniValue& v, const Ctx& ctx);
  [[noreturn]] void Fail(const IniValue& v, const std::string& message) const {
    throw ImportError(v.file, v.line, message);
  }
  long long Int(const IniSection& s, const std::string& key, long long fallback, const Ctx& ctx);
  bool Bool(const IniSection& s, const std::string& key, bool fallback, const Ctx& ctx);
  std::uint64_t ByteSize(const IniSection& s, const std::string& key, const char* fallback,
                         const Ctx& ctx);

  void ReadGlobalSection();
  std::vector<Program> ReadPrograms();
  std::vector<Node> Processes(const Program& p, const std::string& group);
  Node Process(const Program& p, const Ctx& ctx);
  void MapCommand(const IniSection& s, const Ctx& ctx, Node& n);
  void MapStopAndExit(const IniSection& s, const Ctx& ctx, Node& n);
  void MapCredentials(const IniSection& s, const Ctx& ctx, Node& n);
  void MapLogs(const IniSection& s, const Ctx& ctx, Node& n);
  Output LogTarget(const IniSection& s, const std::string& stream, const Ctx& ctx);
  void ReportKeys(const IniSection& s, const std::set<std::string>& mapped,
                  const std::map<std::string, std::string>& unmapped);
  void SetIntensity(Node& sup, const std::string& name,
                    const std::vector<const Program*>& programs);
  static void SortInto(std::vector<Entry>& entries, Node& parent);

  const SupervisordOptions& options_;
  Result* result_;
  Notes notes_;
  IniDocument doc_;
  std::string main_file_;
  std::vector<std::pair<std::string, std::string>> global_env_;
};

void Importer::Load(const std::string& file) {
  main_file_ = fs::absolute(file).lexically_normal().string();
  doc_.Read(ReadSource(main_file_), main_file_);
  const IniSection* include = doc_.Find("include");
  if (!include) return;
  const IniValue* files = include->Find("files");
  if (!files) {
    throw ImportError(include->file, include->line, "[include] without a \"files\" option");
  }
  for (const auto& [key, value] : include->options) {
    if (key != "files") notes_.NotImported("include." + key, "not a supervisord option");
  }
  IniValue files_value = *files;  // the section may change while includes are read
  std::string expanded = Expand(*include, files_value, "files", Ctx{});
  std::string base = fs::path(main_file_).parent_path().string();
  std::istringstream patterns(expanded);
  for (std::string pattern; patterns >> pattern;) {
    std::string full = pattern[0] == '/' ? pattern : base + "/" + pattern;
    glob_t g{};
    std::vector<std::string> matches;
    if (::glob(full.c_str(), 0, nullptr, &g) == 0) {
      for (std::size_t i = 0; i < g.gl_pathc; ++i) matches.emplace_back(g.gl_pathv[i]);
    }
    ::globfree(&g);
    if (matches.empty()) notes_.Add("note: include.files: nothing matches " + full);
    std::sort(matches.begin(), matches.end());
    for (const std::string& m : matches) {
      doc_.Read(ReadSource(m), m);
    }
  }
  const IniSection* again = doc_.Find("include");
  const IniValue* now = again ? again->Find("files") : nullptr;
  if (now && now->file != files_value.file) {
    notes_.NotImported("include.files in " + now->file,
                       "supervisord reads [include] in its main file only");
  }
}

const IniValue* Importer::Get(const IniSection& s, const std::string& key) const {
  if (const IniValue* v = s.Find(key)) return v;
  return doc_.defaults().Find(key);
}

FormatLookup Importer::Names(const IniValue& v, const Ctx& ctx) {
  std::string here = fs::path(v.file).parent_path().string();
  return [this, here, ctx](const std::string& name) -> std::optional<FormatValue> {
    if (name == "here") return here;
    if (name == "host_node_name") return options_.host_name;
    if (!ctx.program.empty() && name == "program_name") return ctx.program;
    if (!ctx.group.empty() && name == "group_name") return ctx.group;
    if (ctx.num && name == "process_num") return *ctx.num;
    if (ctx.num && name == "numprocs") return ctx.numprocs;
    if (name.rfind("ENV_", 0) != 0) return std::nullopt;
    std::string var = name.substr(4);
    for (const auto& [k, val] : global_env_) {
      if (k == var) return val;
    }
    auto it = options_.environment.find(var);
    if (it == options_.environment.end()) return std::nullopt;
    notes_.Add("note: %(" + name + ")s is \"" + it->second +
               "\", taken from the environment of supctl import");
    return it->second;
  };
}

std::string Importer::Expand(const IniSection& s, const IniValue& v, const std::string& key,
                             const Ctx& ctx) {
  std::string error;
  std::optional<std::string> out = PercentFormat(v.text, Names(v, ctx), &error);
  if (!out) Fail(v, "bad interpolation in [" + s.name + "] " + key + ": " + error);
  return *out;
}

long long Importer::Int(const IniSection& s, const std::string& key, long long fallback,
                        const Ctx& ctx) {
  const IniValue* v = Get(s, key);
  if (!v) return fallback;
  std::string text = Trim(Expand(s, *v, key, ctx));
  std::size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size()) Fail(*v, key + ": not an integer: \"" + text + "\"");
  return n;
}

bool Importer::Bool(const IniSection& s, const std::string& key, bool fallback, const Ctx& ctx) {
  const IniValue* v = Get(s, key);
  if (!v) return fallback;
  std::string text = Lower(Trim(Expand(s, *v, key, ctx)));
  if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
  if (text == "false" || text == "no" || text == "off" || text == "0") return false;
  Fail(*v, key + ": not a boolean (true/false, yes/no, on/off, 1/0): \"" + text + "\"");
}

std::uint64_t Importer::ByteSize(const IniSection& s, const std::string& key, const char* fallback,
                                 const Ctx& ctx) {
  const IniValue* v = Get(s, key);
  std::string text = Lower(Trim(v ? Expand(s, *v, key, ctx) : fallback));
  std::uint64_t scale = 1;
  for (auto [suffix, factor] :
       {std::pair{"kb", 1ull << 10}, {"mb", 1ull << 20}, {"gb", 1ull << 30}}) {
    if (text.size() > 2 && text.substr(text.size() - 2) == suffix) {
      scale = factor;
      text.resize(text.size() - 2);
    }
  }
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    Fail(*v, key + ": not a size like 50MB: \"" + text + "\"");
  }
  return std::stoull(text) * scale;
}

void Importer::ReadGlobalSection() {
  const IniSection* s = doc_.Find("supervisord");
  if (!s) return;
  for (const auto& [key, value] : s->options) {
    if (key != "environment") {
      notes_.NotImported("supervisord." + key, SupervisordKeyReason(key));
      continue;
    }
    std::string text = Expand(*s, value, key, Ctx{});
    std::string error;
    auto pairs = SplitEnvironment(text, &error);
    if (!pairs) Fail(value, "[supervisord] environment: " + error);
    global_env_ = *pairs;
    notes_.Add("note: supervisord.environment: added to the env of every program");
  }
}

void Importer::MapCommand(const IniSection& s, const Ctx& ctx, Node& n) {
  const IniValue* v = Get(s, "command");
  if (!v) {
    throw ImportError(s.file, s.line, "[" + s.name + "] has no command");
  }
  std::string text = Expand(s, *v, "command", ctx);
  std::string error;
  auto words = SplitPosix(text, false, &error);
  if (!words) Fail(*v, "[" + s.name + "] command: " + error);
  if (words->empty()) Fail(*v, "[" + s.name + "] command is empty");
  auto special =
      std::find_if(words->begin(), words->end(), [](const Word& w) { return w.special; });
  if (special != words->end()) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    n.command = {"/bin/sh", "-c", text};
    notes_.Add("note: " + s.name + ".command: runs as /bin/sh -c \"...\": \"" + special->text +
               "\" is shell syntax (supervisord would have passed it as an argument)");
  } else {
    for (Word& w : *words) n.command.push_back(std::move(w.text));
  }
}

void Importer::MapStopAndExit(const IniSection& s, const Ctx& ctx, Node& n) {
  if (const IniValue* v = Get(s, "stopsignal")) {
    std::string text = Trim(Expand(s, *v, "stopsignal", ctx));
    std::optional<int> sig = common::SignalFromName(text);
    if (!sig && !text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
      sig = std::stoi(text);
    }
    if (!sig) Fail(*v, "stopsignal: not a signal: \"" + text + "\"");
    n.stop_signal = common::SignalName(*sig);
  }
  long long wait = Int(s, "stopwaitsecs", kDefaultStopWaitSecs, ctx);
  n.shutdown = common::FormatDuration(std::max(0ll, wait) * 1000);
  // supd's default (a cgroup, else the process group) kills what supervisord left behind;
  // only an explicit choice is carried over.
  if (Get(s, "stopasgroup") || Get(s, "killasgroup")) {
    bool stop = Bool(s, "stopasgroup", false, ctx);
    bool kill = Bool(s, "killasgroup", stop, ctx);
    n.kill_mode = stop || kill ? "group" : "process";
    if (kill && !stop) {
      notes_.Add(
          "note: " + s.name +
          ".killasgroup: supd's kill_mode \"group\" also sends the stop signal to the group");
    }
  }
  if (const IniValue* v = Get(s, "exitcodes")) {
    std::string text = Expand(s, *v, "exitcodes", ctx);
    std::vector<int> codes;
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, ',');) {
      item = Trim(item);
      if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos ||
          item.size() > 3 || std::stoi(item) > 255) {
        Fail(*v, "exitcodes: not a list of exit codes (0-255): \"" + text + "\"");
      }
      codes.push_back(std::stoi(item));
    }
    n.normal_exit_codes = codes;
  }
  const IniValue* restart = Get(s, "autorestart");
  std::string mode = restart ? Lower(Trim(Expand(s, *restart, "autorestart", ctx))) : "unexpected";
  if (mode == "unexpected") {
    n.restart = "transient";
  } else if (mode == "true" || mode == "yes" || mode == "on" || mode == "1") {
    n.restart = "permanent";
  } else if (mode == "false" || mode == "no" || mode == "off" || mode == "0") {
    n.restart = "temporary";
  } else {
    Fail(*restart, "autorestart: expected true, false or unexpected, got \"" + mode + "\"");
  }
}

Output Importer::LogTarget(const IniSection& s, const std::string& stream, const Ctx& ctx) {
  std::string key = stream + "_logfile";
  const IniValue* v = Get(s, key);
  std::string path = v ? Trim(Expand(s, *v, key, ctx)) : "AUTO";
  std::string lower = Lower(path);
  Output out;
  if (lower == "none" || path == "/dev/null") {
    out.kind = Output::Kind::kNull;
  } else if (lower == "auto" || path == "/dev/stdout" || path == "/dev/stderr") {
    out.kind = Output::Kind::kLog;
  } else if (lower == "syslog") {
    notes_.NotImported(s.name + "." + key, "supd does not write to syslog; output goes to \"log\"");
  } else {
    out.kind = Output::Kind::kFile;
    out.file = path;
    std::uint64_t max = ByteSize(s, stream + "_logfile_maxbytes", kDefaultMaxBytes, ctx);
    if (max > 0) {
      out.max_size = max;
      out.keep = static_cast<int>(
          std::clamp(Int(s, stream + "_logfile_backups", kDefaultBackups, ctx), 0ll, 1000ll));
    }
  }
  return out;
}

void Importer::MapLogs(const IniSection& s, const Ctx& ctx, Node& n) {
  Output out = LogTarget(s, "stdout", ctx);
  if (out.kind != Output::Kind::kLog) n.stdout_spec = out;
  if (Bool(s, "redirect_stderr", false, ctx)) {
    if (Get(s, "stderr_logfile")) {
      notes_.NotImported(s.name + ".stderr_logfile",
                         "ignored with redirect_stderr=true (as supervisord does)");
    }
    return;  // supd's default: stderr goes where stdout goes
  }
  Output err = LogTarget(s, "stderr", ctx);
  // "log" for both is what supd does by default (stderr follows stdout into the log).
  if (err.kind != Output::Kind::kLog || out.kind != Output::Kind::kLog) n.stderr_spec = err;
}

void Importer::MapCredentials(const IniSection& s, const Ctx& ctx, Node& n) {
  if (const IniValue* v = Get(s, "directory")) n.cwd = Expand(s, *v, "directory", ctx);
  if (const IniValue* v = Get(s, "user")) n.user = Trim(Expand(s, *v, "user", ctx));
  if (const IniValue* v = Get(s, "umask")) {
    std::string text = Trim(Expand(s, *v, "umask", ctx));
    std::optional<std::uint32_t> mode = common::ParseOctal(text);
    if (!mode) Fail(*v, "umask: not an octal mode: \"" + text + "\"");
    char buf[8];
    std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(*mode));
    n.umask = buf;
  }
  n.env = global_env_;
  if (const IniValue* v = Get(s, "environment")) {
    std::string error;
    auto pairs = SplitEnvironment(Expand(s, *v, "environment", ctx), &error);
    if (!pairs) Fail(*v, "[" + s.name + "] environment: " + error);
    for (auto& [key, value] : *pairs) {
      auto same =
          std::find_if(n.env.begin(), n.env.end(), [&](const auto& e) { return e.first == key; });
      if (same != n.env.end())
        same->second = value;
      else
        n.env.emplace_back(key, value);
    }
  }
}

Node Importer::Process(const Program& p, const Ctx& ctx) {
  const IniSection& s = *p.section;
  Node n;
  IniValue name = {"%(program_name)s", s.file, s.line};
  if (const IniValue* v = Get(s, "process_name")) name = *v;
  n.id = Trim(Expand(s, name, "process_name", ctx));
  n.origin = s.name;
  MapCommand(s, ctx, n);
  n.autostart = Bool(s, "autostart", true, ctx);
  MapStopAndExit(s, ctx, n);
  long long startsecs = Int(s, "startsecs", kDefaultStartSecs, ctx);
  // Only an explicit startsecs: supd starts siblings one after another, each once ready,
  // so supervisord's implicit 1s would slow every start down.
  if (Get(s, "startsecs") && startsecs > 0) {
    n.ready_after = startsecs * 1000;
    constexpr core::Millis kSupdStartTimeout = 30'000;
    if (*n.ready_after >= kSupdStartTimeout) n.start_timeout = *n.ready_after + kSupdStartTimeout;
  }
  MapCredentials(s, ctx, n);
  MapLogs(s, ctx, n);
  return n;
}

std::vector<Node> Importer::Processes(const Program& p, const std::string& group) {
  const IniSection& s = *p.section;
  Ctx ctx{p.name, group.empty() ? p.name : group, std::nullopt, 1};
  long long numprocs = Int(s, "numprocs", 1, ctx);
  long long start = Int(s, "numprocs_start", 0, ctx);
  const IniValue* name = Get(s, "process_name");
  if (numprocs > 1 && (!name || name->text.find("%(process_num)") == std::string::npos)) {
    const IniValue* at = name ? name : Get(s, "numprocs");
    throw ImportError(at->file, at->line,
                      "[" + s.name + "] numprocs > 1 needs %(process_num) in process_name");
  }
  if (numprocs < 1)
    notes_.Add("note: " + s.name + ": numprocs=" + std::to_string(numprocs) +
               " runs no process; nothing imported");
  std::vector<Node> nodes;
  for (long long num = start; num < start + numprocs; ++num) {
    ctx.num = num;
    ctx.numprocs = numprocs;
    nodes.push_back(Process(p, ctx));
  }
  return nodes;
}

void Importer::ReportKeys(const IniSection& s, const std::set<std::string>& mapped,
                          const std::map<std::string, std::string>& unmapped) {
  for (const auto& [key, value] : s.options) {
    if (mapped.count(key)) continue;
    auto it = unmapped.find(key);
    notes_.NotImported(s.name + "." + key,
                       it != unmapped.end()
                           ? it->second
                           : "not a supervisord option (supervisord ignores it too)");
  }
}

std::vector<Importer::Program> Importer::ReadPrograms() {
  std::vector<Program> programs;
  const auto& sections = doc_.sections();
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const IniSection& s = sections[i];
    if (s.name.rfind("program:", 0) != 0) continue;
    Program p{&s, Trim(s.name.substr(8)), kDefaultPriority, i};
    p.priority = static_cast<int>(
        Int(s, "priority", kDefaultPriority, Ctx{p.name, p.name, std::nullopt, 1}));
    ReportKeys(s, MappedProgramKeys(), UnmappedProgramKeys());
    programs.push_back(p);
  }
  return programs;
}

// intensity/period from startretries/startsecs: supervisord gives a program up after
// startretries failed starts in a row (a start fails when the program exits within
// startsecs). supd counts restarts per supervisor, so the supervisor may restart
// `startretries` times (the largest among its programs) within (startretries + 1) x
// startsecs (the largest, at least 1s): a program that keeps dying before startsecs trips
// it as supervisord would give it up, one that ran longer than startsecs does not.
void Importer::SetIntensity(Node& sup, const std::string& name,
                            const std::vector<const Program*>& programs) {
  long long retries = programs.empty() ? kDefaultStartRetries : 0;
  long long secs = kDefaultStartSecs;
  bool explicit_retries = false;
  for (const Program* p : programs) {
    Ctx ctx{p->name, p->name, std::nullopt, 1};
    retries = std::max(retries, Int(*p->section, "startretries", kDefaultStartRetries, ctx));
    secs = std::max(secs, Int(*p->section, "startsecs", kDefaultStartSecs, ctx));
    explicit_retries = explicit_retries || Get(*p->section, "startretries");
  }
  retries = std::clamp(retries, 0ll, 1'000'000ll);
  sup.intensity = static_cast<int>(retries);
  sup.period = (retries + 1) * secs * 1000;
  notes_.Add("note: " + name + ": intensity " + std::to_string(retries) + ", period \"" +
             common::FormatDuration(*sup.period) + "\" from startretries=" +
             std::to_string(retries) + (explicit_retries ? "" : " (supervisord's default)") +
             " and startsecs: supd counts the restarts of all of a supervisor's children, "
             "supervisord the failed starts of each program");
}

void Importer::SortInto(std::vector<Entry>& entries, Node& parent) {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.order < b.order;
  });
  for (Entry& e : entries) {
    for (Node& n : e.nodes) parent.children.push_back(std::move(n));
  }
}

void Importer::Run(const std::string& file) {
  Load(file);
  ReadGlobalSection();
  std::vector<Program> programs = ReadPrograms();
  auto program_named = [&](const std::string& name) -> const Program* {
    for (const Program& p : programs) {
      if (p.name == name) return &p;
    }
    return nullptr;
  };
  std::set<std::string> grouped;
  std::vector<Entry> root_entries;
  std::vector<const Program*> root_programs;
  const auto& sections = doc_.sections();
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const IniSection& s = sections[i];
    const std::string& name = s.name;
    if (name.rfind("group:", 0) == 0) {
      std::string group = Trim(name.substr(6));
      Ctx ctx{"", group, std::nullopt, 1};
      Node sup;
      sup.id = group;
      sup.origin = name;
      sup.supervisor = true;
      sup.strategy = "one_for_one";
      const IniValue* list = Get(s, "programs");
      if (!list) throw ImportError(s.file, s.line, "[" + name + "] has no programs= line");
      std::vector<Entry> members;
      std::vector<const Program*> member_programs;
      std::stringstream ss(Expand(s, *list, "programs", ctx));
      for (std::string item; std::getline(ss, item, ',');) {
        item = Trim(item);
        if (item.empty()) continue;
        const Program* p = program_named(item);
        if (!p) Fail(*list, "[" + name + "] names unknown program \"" + item + "\"");
        grouped.insert(item);
        member_programs.push_back(p);
        members.push_back({p->priority, members.size(), Processes(*p, group), p});
      }
      SortInto(members, sup);
      SetIntensity(sup, "group " + group, member_programs);
      ReportKeys(s, {"programs", "priority"}, {});
      result_->groups++;
      root_entries.push_back(
          {static_cast<int>(Int(s, "priority", kDefaultPriority, ctx)), i, {}, nullptr});
      root_entries.back().nodes.push_back(std::move(sup));
    } else if (name.rfind("program:", 0) == 0 || name == "supervisord" || name == "include") {
      continue;
    } else if (auto reason = WholeSectionReason(name)) {
      notes_.NotImported(name, *reason);
    } else {
      notes_.NotImported(name, "not a supervisord section (supervisord ignores it too)");
    }
  }
  for (const Program& p : programs) {
    if (grouped.count(p.name)) continue;
    root_programs.push_back(&p);
    root_entries.push_back({p.priority, p.order, Processes(p, ""), &p});
  }
  if (!doc_.defaults().options.empty()) {
    notes_.Add("note: DEFAULT: its options were read as part of every section");
  }
  result_->root.supervisor = true;
  result_->root.strategy = "one_for_one";
  SetIntensity(result_->root, "the root", root_programs);
  SortInto(root_entries, result_->root);
}

int CountWorkers(const Node& n) {
  int count = n.supervisor ? 0 : 1;
  for (const Node& c : n.children) count += CountWorkers(c);
  return count;
}

}  // namespace

Result ImportSupervisord(const std::string& file, const SupervisordOptions& options) {
  Result result;
  Importer importer(options, &result);
  importer.Run(file);
  result.programs = CountWorkers(result.root);
  return result;
}

}  // namespace supd::cli::import
