// Internal: typed readers of single JSON values. Each returns nullopt after recording
// an error that says what was expected and what was got.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/diag.h"
#include "daemon/core/child_spec.h"

namespace supd::config {

/// A string; `what` describes it in the message (e.g. "a path"). Empty strings and
/// strings containing NUL are refused.
std::optional<std::string> ReadString(Diag& diag, const Json& v, const std::string& path,
                                      std::string_view what = "a non-empty string");
std::optional<bool> ReadBool(Diag& diag, const Json& v, const std::string& path);
/// An integer in [min, max].
std::optional<std::int64_t> ReadInt(Diag& diag, const Json& v, const std::string& path,
                                    std::int64_t min, std::int64_t max);
/// A number (integer or fraction) in [min, max].
std::optional<double> ReadNumber(Diag& diag, const Json& v, const std::string& path, double min,
                                 double max);
/// A duration string (common::ParseDuration) from `min` ms to common::kMaxDuration.
std::optional<core::Millis> ReadDuration(Diag& diag, const Json& v, const std::string& path,
                                         core::Millis min = 0);
/// A size string ("10MB") or a plain non-negative byte count.
std::optional<std::uint64_t> ReadSize(Diag& diag, const Json& v, const std::string& path);
/// An octal mode string no larger than `max`; `example` ("0022") goes in the message.
std::optional<std::uint32_t> ReadOctalMode(Diag& diag, const Json& v, const std::string& path,
                                           std::uint32_t max, std::string_view example);
/// A non-empty array of non-empty strings (an argv).
std::optional<std::vector<std::string>> ReadArgv(Diag& diag, const Json& v,
                                                 const std::string& path);

/// One of a fixed set of words.
template <typename E>
using EnumTable = std::initializer_list<std::pair<std::string_view, E>>;

/// Records the error for a value that is none of `table`'s words.
void EnumError(Diag& diag, const Json& v, const std::string& path,
               std::vector<std::string_view> words);

template <typename E>
std::optional<E> ReadEnum(Diag& diag, const Json& v, const std::string& path, EnumTable<E> table) {
  if (v.is_string()) {
    for (const auto& [word, value] : table) {
      if (v.get_ref<const std::string&>() == word) return value;
    }
  }
  std::vector<std::string_view> words;
  for (const auto& entry : table) words.push_back(entry.first);
  EnumError(diag, v, path, std::move(words));
  return std::nullopt;
}

/// One of the enum's words (core::EnumWords, the table status and reload plans print).
template <typename E>
  requires requires { core::EnumWords<E>::words; }
std::optional<E> ReadEnum(Diag& diag, const Json& v, const std::string& path) {
  const auto& words = core::EnumWords<E>::words;
  if (v.is_string()) {
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (v.get_ref<const std::string&>() == words[i]) return static_cast<E>(i);
    }
  }
  EnumError(diag, v, path, std::vector<std::string_view>(words.begin(), words.end()));
  return std::nullopt;
}

/// Reports every key of object `obj` that is not in `allowed` ("unknown key", with a
/// suggestion). Returns true if all keys are allowed.
bool CheckKeys(Diag& diag, const Json& obj, const std::string& path,
               const std::vector<std::string_view>& allowed);

/// Records `expected <what>, got <v>` at `path`.
void Expected(Diag& diag, const Json& v, const std::string& path, std::string_view what);

}  // namespace supd::config
