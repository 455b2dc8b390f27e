#include "cli/import/ini.h"

#include <map>

#include "cli/import/model.h"

namespace supd::cli::import {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view Strip(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::string RStrip(std::string s) {
  while (!s.empty() && IsSpace(s.back())) s.pop_back();
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Where configparser's comment starts on `line`, or npos: a line whose first non-blank is
// `;` or `#`, else the first `;`/`#` at the start or right after whitespace.
std::size_t CommentStart(std::string_view line) {
  std::string_view stripped = Strip(line);
  if (!stripped.empty() && (stripped[0] == ';' || stripped[0] == '#')) return 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((line[i] == ';' || line[i] == '#') && (i == 0 || IsSpace(line[i - 1]))) return i;
  }
  return std::string_view::npos;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

}  // namespace

const IniValue* IniSection::Find(std::string_view key) const {
  for (const auto& [k, v] : options) {
    if (k == key) return &v;
  }
  return nullptr;
}

const IniSection* IniDocument::Find(std::string_view name) const {
  for (const IniSection& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

IniSection* IniDocument::FindMutable(std::string_view name) {
  if (name == "DEFAULT") return &defaults_;
  for (IniSection& s : sections_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

void IniDocument::Read(std::string_view text, const std::string& file) {
  // Values collect their lines while the file is read and are joined at the end, as
  // configparser does. Sections are named, not pointed to: sections_ may grow.
  struct Pending {
    std::string section;
    std::string key;
    int line;
    std::vector<std::string> lines;
  };
  std::vector<Pending> pending;
  std::optional<std::string> section;  // current section name
  constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  std::size_t option = kNone;  // index in `pending` of the option continuation lines extend
  std::size_t indent_level = 0;
  int lineno = 0;
  for (std::string_view line : Lines(text)) {
    ++lineno;
    std::size_t comment = CommentStart(line);
    std::string_view value = Strip(line.substr(0, comment));
    if (value.empty()) {
      // A blank line inside a value is kept (empty_lines_in_values); a comment is not.
      if (comment == std::string_view::npos && option != kNone)
        pending[option].lines.emplace_back();
      continue;
    }
    std::size_t indent = 0;
    while (indent < line.size() && IsSpace(line[indent])) ++indent;
    if (section && option != kNone && indent > indent_level) {
      pending[option].lines.emplace_back(value);
      continue;
    }
    indent_level = indent;
    std::size_t close = value.rfind(']');
    if (value[0] == '[' && close != std::string_view::npos && close >= 2) {
      std::string name(value.substr(1, close - 1));
      if (!FindMutable(name)) sections_.push_back({name, file, lineno, {}});
      section = name;
      option = kNone;
      continue;
    }
    if (!section) {
      throw ImportError(file, lineno,
                        "no [section] header before this line: " + std::string(Strip(line)));
    }
    std::size_t delim = value.find_first_of("=:");
    std::string key =
        delim == std::string_view::npos ? "" : RStrip(std::string(value.substr(0, delim)));
    if (key.empty()) {
      throw ImportError(
          file, lineno,
          "expected \"key = value\", a [section] header or a comment, got: " + std::string(value));
    }
    pending.push_back(
        {*section, Lower(key), lineno, {std::string(Strip(value.substr(delim + 1)))}});
    option = pending.size() - 1;
  }
  for (Pending& p : pending) {
    std::string joined;
    for (std::size_t i = 0; i < p.lines.size(); ++i) joined += (i ? "\n" : "") + p.lines[i];
    IniSection* s = FindMutable(p.section);
    IniValue v{RStrip(joined), file, p.line};
    bool replaced = false;
    for (auto& [k, old] : s->options) {
      if (k == p.key) {
        old = v;
        replaced = true;
      }
    }
    if (!replaced) s->options.emplace_back(p.key, v);
  }
}

namespace {

std::string Pad(std::string body, std::size_t width, bool left, char fill) {
  if (body.size() >= width) return body;
  std::size_t n = width - body.size();
  if (left) return body + std::string(n, ' ');
  if (fill == '0' && !body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) {
    return body.substr(0, 1) + std::string(n, '0') + body.substr(1);
  }
  return std::string(n, fill) + body;
}

std::string Integer(long long v, char conv, const std::string& flags) {
  unsigned long long mag = v < 0 ? 0ull - static_cast<unsigned long long>(v) : v;
  std::string digits;
  int base = conv == 'x' || conv == 'X' ? 16 : conv == 'o' ? 8 : 10;
  const char* set = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    digits.insert(digits.begin(), set[mag % base]);
    mag /= base;
  } while (mag);
  if (flags.find('#') != std::string::npos && base != 10) {
    digits = (base == 16 ? std::string("0") + conv : "0o") + digits;
  }
  if (v < 0) return "-" + digits;
  if (flags.find('+') != std::string::npos) return "+" + digits;
  if (flags.find(' ') != std::string::npos) return " " + digits;
  return digits;
}

}  // namespace

std::optional<std::string> PercentFormat(std::string_view text, const FormatLookup& lookup,
                                         std::string* error) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '(') {
      *error =
          "a '%' that is not \"%%\" or \"%(name)s\" at \"" + std::string(text.substr(i)) + "\"";
      return std::nullopt;
    }
    // Python matches nested parentheses in the key.
    std::size_t j = i + 2;
    int depth = 1;
    for (; j < text.size() && depth > 0; ++j) depth += text[j] == '(' ? 1 : text[j] == ')' ? -1 : 0;
    if (depth > 0) {
      *error = "unclosed \"%(\"";
      return std::nullopt;
    }
    std::string name(text.substr(i + 2, j - i - 3));
    std::string flags;
    while (j < text.size() && std::string_view("-+ #0").find(text[j]) != std::string_view::npos)
      flags += text[j++];
    std::size_t width = 0, precision = std::string::npos;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9')
      width = width * 10 + (text[j++] - '0');
    if (j < text.size() && text[j] == '.') {
      precision = 0;
      for (++j; j < text.size() && text[j] >= '0' && text[j] <= '9'; ++j)
        precision = precision * 10 + (text[j] - '0');
    }
    while (j < text.size() && (text[j] == 'h' || text[j] == 'l' || text[j] == 'L')) ++j;
    if (j >= text.size()) {
      *error = "\"%(" + name + ")\" without a conversion letter (like s or d)";
      return std::nullopt;
    }
    char conv = text[j];
    std::optional<FormatValue> value = lookup(name);
    if (!value) {
      *error =
          "unknown name \"" + name + "\" in \"" + std::string(text.substr(i, j - i + 1)) + "\"";
      return std::nullopt;
    }
    std::string body;
    if (conv == 's' || conv == 'r' || conv == 'a') {
      if (const auto* s = std::get_if<std::string>(&*value)) {
        body = conv == 's' ? *s : "'" + *s + "'";
      } else {
        body = std::to_string(std::get<long long>(*value));
      }
      if (precision != std::string::npos && precision < body.size()) body.resize(precision);
    } else if (std::string_view("diuxXo").find(conv) != std::string_view::npos) {
      const auto* n = std::get_if<long long>(&*value);
      if (!n) {
        *error = "\"%(" + name + ")" + conv + "\" needs a number, \"" + name + "\" is text";
        return std::nullopt;
      }
      body = Integer(*n, conv, flags);
    } else {
      *error = std::string("unsupported conversion '") + conv + "' in \"%(" + name + ")\"";
      return std::nullopt;
    }
    bool left = flags.find('-') != std::string::npos;
    bool zero = flags.find('0') != std::string::npos && conv != 's' && conv != 'r' && conv != 'a';
    out += Pad(body, width, left, zero ? '0' : ' ');
    i = j;
  }
  return out;
}

}  // namespace supd::cli::import
