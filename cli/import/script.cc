#include "cli/import/script.h"

#include <algorithm>

namespace supd::cli::import {
namespace {

constexpr int kKeepAll = 1000;  // supd's largest "keep", for "keep every file"

std::string Basename(const std::string& path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool AllLiteral(const std::vector<Word>& words, std::size_t from) {
  return std::none_of(words.begin() + static_cast<long>(from), words.end(),
                      [](const Word& w) { return w.special; });
}

std::optional<std::uint64_t> Number(std::string_view text) {
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::stoull(std::string(text));
}

void SetUser(const std::string& spec, RunScript& s) {
  std::size_t colon = spec.find(':');
  s.user = spec.substr(0, colon);
  if (colon != std::string::npos)
    s.group = spec.substr(colon + 1, spec.find(':', colon + 1) - colon - 1);
}

// Consumes the chain loaders at words[i...]; returns the index of the program, or nullopt
// when a loader is used in a way supd cannot express (the script is then kept).
std::optional<std::size_t> SkipChainLoaders(const std::vector<Word>& w, std::size_t i,
                                            RunScript& s) {
  auto literal = [&](std::size_t k) { return k < w.size() && !w[k].special; };
  while (i < w.size()) {
    std::string name = Basename(w[i].text);
    if (name == "chpst") {
      s.tools.push_back(name);
      ++i;
      for (; i < w.size() && w[i].text.size() > 1 && w[i].text[0] == '-'; ++i) {
        if (w[i].text == "-u" && literal(i + 1) && w[i + 1].text[0] != ':') {
          SetUser(w[++i].text, s);
        } else if (w[i].text.rfind("-u", 0) == 0 && w[i].text.size() > 2 && w[i].text[2] != ':') {
          SetUser(w[i].text.substr(2), s);
        } else {
          return std::nullopt;  // envdir, limits, locks, nice: keep the script
        }
      }
    } else if (name == "s6-setuidgid" || name == "setuidgid") {
      s.tools.push_back(name);
      if (!literal(i + 1)) return std::nullopt;
      SetUser(w[i + 1].text, s);
      i += 2;
    } else if (name == "fdmove" && i + 3 < w.size() && w[i + 1].text == "-c" &&
               w[i + 2].text == "2" && w[i + 3].text == "1") {
      s.merges_stderr = true;
      i += 4;
    } else if (name == "cd" && s.lang == RunScript::Lang::kExecline && literal(i + 1)) {
      s.cwd = w[i + 1].text;
      i += 2;
    } else if (name == "exec" && s.lang == RunScript::Lang::kShell) {
      ++i;
    } else {
      return i;
    }
  }
  return std::nullopt;  // only loaders, no program
}

std::vector<std::string> Texts(const std::vector<Word>& w, std::size_t from) {
  std::vector<std::string> out;
  for (std::size_t i = from; i < w.size(); ++i) out.push_back(w[i].text);
  return out;
}

void Finish(const std::vector<Word>& last, bool simple_so_far, RunScript& s) {
  s.last_command = last;
  std::optional<std::size_t> program = SkipChainLoaders(last, 0, s);
  if (simple_so_far && program && AllLiteral(last, *program)) s.program = Texts(last, *program);
}

void AnalyzeShell(std::string_view body, RunScript& s) {
  // Logical lines: a backslash-newline continues the line.
  std::vector<std::string> lines(1);
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == '\n') {
      ++i;
    } else if (body[i] == '\n') {
      lines.emplace_back();
    } else {
      lines.back() += body[i];
    }
  }
  std::vector<std::vector<Word>> commands;
  bool simple = true;
  for (const std::string& line : lines) {
    std::string error;
    auto words = SplitPosix(line, true, &error);
    if (!words) {
      simple = false;
      continue;
    }
    if (!words->empty()) commands.push_back(std::move(*words));
  }
  if (commands.empty()) return;
  for (std::size_t c = 0; c + 1 < commands.size(); ++c) {
    const std::vector<Word>& w = commands[c];
    if (w.size() == 2 && w[0].text == "exec" && w[1].text == "2>&1") {
      s.merges_stderr = true;
    } else if (w[0].text == "set" && AllLiteral(w, 0)) {
      continue;
    } else if (w.size() == 2 && w[0].text == "cd" && !w[1].special) {
      s.cwd = w[1].text;
    } else if (w.size() == 2 && w[0].text == "umask" && !w[1].special) {
      s.umask = w[1].text;
    } else {
      simple = false;
    }
  }
  Finish(commands.back(), simple, s);
}

}  // namespace

RunScript AnalyzeScript(std::string_view text) {
  RunScript s;
  std::string_view body = text;
  if (text.find('\0') != std::string_view::npos) {
    s.lang = RunScript::Lang::kOther;  // a binary
    return s;
  }
  if (text.rfind("#!", 0) == 0) {
    s.has_shebang = true;
    std::size_t nl = text.find('\n');
    std::string_view shebang = text.substr(2, nl == std::string_view::npos ? nl : nl - 2);
    body = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    std::string error;
    auto words = SplitPosix(shebang, false, &error);
    std::string interp = words && !words->empty() ? Basename((*words)[0].text) : "";
    if (interp == "env" && words->size() > 1) interp = Basename((*words)[1].text);
    if (interp.rfind("execlineb", 0) == 0) {
      s.lang = RunScript::Lang::kExecline;
    } else if (interp != "sh" && interp != "bash" && interp != "dash" && interp != "ash") {
      s.lang = RunScript::Lang::kOther;
      return s;
    }
  }
  if (s.lang == RunScript::Lang::kExecline) {
    std::string error;
    auto words = SplitExecline(body, &error);
    if (words && !words->empty()) Finish(*words, true, s);
    return s;
  }
  AnalyzeShell(body, s);
  return s;
}

std::optional<LoggerSpec> FindLogger(const std::vector<Word>& words) {
  auto at = std::find_if(words.begin(), words.end(), [](const Word& w) {
    std::string b = Basename(w.text);
    return b == "svlogd" || b == "s6-log" || b == "multilog";
  });
  if (at == words.end()) return std::nullopt;
  LoggerSpec spec;
  spec.program = Basename(at->text);
  bool svlogd = spec.program == "svlogd";
  spec.max_size = svlogd ? 1000000 : 99999;  // each tool's default file size
  spec.keep = 10;
  for (auto it = at + 1; it != words.end(); ++it) {
    if (it->special) return std::nullopt;
    const std::string& a = it->text;
    if (svlogd) {
      if (a == "-t" || a == "-tt" || a == "-ttt") {
        spec.timestamps = true;
      } else if (a == "-r" || a == "-R" || a == "-l" || a == "-b") {
        spec.unmapped.push_back(a + (it + 1 != words.end() ? " " + (it + 1)->text : ""));
        if (it + 1 != words.end()) ++it;
      } else if (a.size() > 1 && a[0] == '-') {
        spec.unmapped.push_back(a);
      } else if (!spec.dir) {
        spec.dir = a;
      } else {
        spec.unmapped.push_back("second log directory " + a);
      }
      continue;
    }
    // s6-log and multilog: a script of directives; the first directory is used.
    if (spec.program == "s6-log" && a.size() > 1 && a[0] == '-') {
      if (a == "-d" || a == "-l") {
        if (it + 1 != words.end()) ++it;
      }
      if (a != "-b" && a != "--") spec.unmapped.push_back(a);
    } else if (a[0] == '.' || a[0] == '/') {
      if (!spec.dir)
        spec.dir = a;
      else
        spec.unmapped.push_back("second log directory " + a);
    } else if (a == "t" || a == "T") {
      spec.timestamps = true;
    } else if (a[0] == 's' && Number(a.substr(1))) {
      spec.max_size = Number(a.substr(1));
    } else if (a[0] == 'n' && Number(a.substr(1))) {
      spec.keep = static_cast<int>(std::min<std::uint64_t>(*Number(a.substr(1)), kKeepAll));
    } else {
      spec.unmapped.push_back(a);
    }
  }
  if (!spec.dir) return std::nullopt;
  return spec;
}

void ApplySvlogdConfig(std::string_view text, LoggerSpec& spec) {
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string line(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.empty()) continue;
    auto n = Number(std::string_view(line).substr(1));
    if (line[0] == 's' && n) {
      spec.max_size = *n;
    } else if (line[0] == 'n' && n) {
      spec.keep = *n == 0 ? kKeepAll : static_cast<int>(std::min<std::uint64_t>(*n, kKeepAll));
    } else {
      spec.unmapped.push_back("config line \"" + line + "\"");
    }
  }
}

}  // namespace supd::cli::import
