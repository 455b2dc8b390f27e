// Splitting command lines and scripts into words, the way the supervisors being imported
// do: Python's shlex (supervisord's `command` and `environment`), sh and execline words
// (runit / daemontools / s6 `run` scripts). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace supd::cli::import {

/// One word. `special`: it holds a character a shell would act on, unquoted
/// (`| & ; < > ( ) $ \` * ? [`), or (execline) a `$` substitution or a `{ }` block.
struct Word {
  std::string text;
  bool special = false;
};

/// Python's `shlex.split(text)` (POSIX mode, no comments), as supervisord splits
/// `command`; with `sh_comments`, a `#` starting a word comments out the rest of its line,
/// as in sh. nullopt with `*error` set on an unclosed quote or a trailing backslash.
std::optional<std::vector<Word>> SplitPosix(std::string_view text, bool sh_comments,
                                            std::string* error);

/// supervisord's `environment` value: `KEY=val,KEY2="v a l"` read with Python's non-POSIX
/// shlex (word characters: letters, digits and `_/.+-():`; quotes kept then stripped) as
/// supervisord's dict_of_key_value_pairs does. nullopt with `*error` set when it is not
/// a list of `KEY=value` pairs.
std::optional<std::vector<std::pair<std::string, std::string>>> SplitEnvironment(
    std::string_view text, std::string* error);

/// execline words: whitespace-separated, `"..."` with backslash escapes, `#` comments.
std::optional<std::vector<Word>> SplitExecline(std::string_view text, std::string* error);

}  // namespace supd::cli::import
