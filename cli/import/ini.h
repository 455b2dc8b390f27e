// supervisord's INI dialect: Python's configparser as supervisord configures it
// (RawConfigParser, strict=False, inline_comment_prefixes=(';', '#')), and Python's
// `%(name)s` formatting that supervisord applies to values. Pure: text in, data out.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace supd::cli::import {

/// One option's value with where it was written (the line of its key).
struct IniValue {
  std::string text;
  std::string file;
  int line = 0;
};

struct IniSection {
  std::string name;
  std::string file;  ///< where the section first appeared
  int line = 0;
  /// Options in first-appearance order; keys lowercased (configparser's optionxform).
  std::vector<std::pair<std::string, IniValue>> options;

  const IniValue* Find(std::string_view key) const;
};

/// Sections in first-appearance order. Reading a second file merges into it, as
/// supervisord reads its includes into one parser: a section seen again gets the new
/// options, a repeated option its new value.
class IniDocument {
 public:
  /// Parses `text`, the content of `file`, with configparser's rules: `[section]`
  /// headers; `key = value` or `key: value`; full-line comments starting with `;` or `#`;
  /// inline comments at a `;` or `#` preceded by whitespace; continuation lines indented
  /// deeper than their key, joined with '\n' (blank lines inside kept, trailing ones
  /// dropped). Throws ImportError (file:line) for a line before any header or a line that
  /// is neither header, option nor comment.
  void Read(std::string_view text, const std::string& file);

  const std::vector<IniSection>& sections() const { return sections_; }
  const IniSection* Find(std::string_view name) const;
  /// `[DEFAULT]`: configparser offers these options in every section.
  const IniSection& defaults() const { return defaults_; }

 private:
  IniSection* FindMutable(std::string_view name);
  std::vector<IniSection> sections_;
  IniSection defaults_{"DEFAULT", "", 0, {}};
};

/// A value for `%(name)...`: a string or an integer (process_num, numprocs).
using FormatValue = std::variant<std::string, long long>;
/// Looks a name up; nullopt when unknown.
using FormatLookup = std::function<std::optional<FormatValue>(const std::string&)>;

/// Python's `text % mapping`: `%(name)s`, `%(name)d`, `%(name)02d` (flags `-+ #0`, width,
/// precision; conversions s r a d i u x X o) and `%%`. Returns nullopt and sets `*error`
/// for an unknown name or a malformed or mismatched conversion (a lone `%`, `%d` of a
/// string), where supervisord would refuse the value.
std::optional<std::string> PercentFormat(std::string_view text, const FormatLookup& lookup,
                                         std::string* error);

}  // namespace supd::cli::import
