#include "config/fields.h"

#include <algorithm>

#include "common/units.h"

namespace supd::config {

void Expected(Diag& diag, const Json& v, const std::string& path, std::string_view what) {
  diag.Error(path, "expected " + std::string(what) + ", got " + Describe(v));
}

std::optional<std::string> ReadString(Diag& diag, const Json& v, const std::string& path,
                                      std::string_view what) {
  if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
    Expected(diag, v, path, what);
    return std::nullopt;
  }
  const std::string& s = v.get_ref<const std::string&>();
  if (s.find('\0') != std::string::npos) {
    diag.Error(path, "expected " + std::string(what) + " without NUL characters");
    return std::nullopt;
  }
  return s;
}

std::optional<bool> ReadBool(Diag& diag, const Json& v, const std::string& path) {
  if (!v.is_boolean()) {
    Expected(diag, v, path, "true or false");
    return std::nullopt;
  }
  return v.get<bool>();
}

std::optional<std::int64_t> ReadInt(Diag& diag, const Json& v, const std::string& path,
                                    std::int64_t min, std::int64_t max) {
  std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (max == INT64_MAX) range = "an integer >= " + std::to_string(min);
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(max) && static_cast<std::int64_t>(u) >= min) {
      return static_cast<std::int64_t>(u);
    }
  } else if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (i >= min && i <= max) return i;
  }
  Expected(diag, v, path, range);
  return std::nullopt;
}

std::optional<double> ReadNumber(Diag& diag, const Json& v, const std::string& path, double min,
                                 double max) {
  if (v.is_number()) {
    double d = v.get<double>();
    if (d >= min && d <= max) return d;
  }
  std::string range = "a number from " + Describe(Json(min)) + " to " + Describe(Json(max));
  if (max > 1e300) range = "a number >= " + Describe(Json(min));
  Expected(diag, v, path, range);
  return std::nullopt;
}

std::optional<core::Millis> ReadDuration(Diag& diag, const Json& v, const std::string& path,
                                         core::Millis min) {
  std::optional<core::Millis> ms;
  if (v.is_string()) ms = common::ParseDuration(v.get_ref<const std::string&>());
  if (ms && *ms >= min && *ms <= common::kMaxDuration) return ms;
  std::string what = "a duration like \"250ms\", \"5s\", \"2m\" or \"1h\"";
  if (ms && *ms < min) what = "a duration of at least " + common::FormatDuration(min);
  if (ms && *ms > common::kMaxDuration) {
    what = "a duration of at most " + common::FormatDuration(common::kMaxDuration);
  }
  Expected(diag, v, path, what);
  return std::nullopt;
}

std::optional<std::uint64_t> ReadSize(Diag& diag, const Json& v, const std::string& path) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_string()) {
    if (auto size = common::ParseSize(v.get_ref<const std::string&>())) return size;
  }
  Expected(diag, v, path, "a size like \"512KB\" or \"10MB\" (units B, KB, MB, GB)");
  return std::nullopt;
}

std::optional<std::uint32_t> ReadOctalMode(Diag& diag, const Json& v, const std::string& path,
                                           std::uint32_t max, std::string_view example) {
  if (v.is_string()) {
    auto mode = common::ParseOctal(v.get_ref<const std::string&>());
    if (mode && *mode <= max) return mode;
  }
  Expected(diag, v, path, "an octal string like \"" + std::string(example) + "\"");
  return std::nullopt;
}

std::optional<std::vector<std::string>> ReadArgv(Diag& diag, const Json& v,
                                                 const std::string& path) {
  if (!v.is_array() || v.empty()) {
    Expected(diag, v, path, "a non-empty array of strings");
    return std::nullopt;
  }
  std::vector<std::string> argv;
  bool ok = true;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const Json& arg = v[i];
    // Arguments may be empty strings, but argv[0] may not.
    if (arg.is_string() && (i > 0 || !arg.get_ref<const std::string&>().empty())) {
      if (arg.get_ref<const std::string&>().find('\0') == std::string::npos) {
        argv.push_back(arg.get<std::string>());
        continue;
      }
    }
    Expected(diag, arg, Element(path, i), i == 0 ? "a program name or path" : "a string");
    ok = false;
  }
  if (!ok) return std::nullopt;
  return argv;
}

void EnumError(Diag& diag, const Json& v, const std::string& path,
               std::vector<std::string_view> words) {
  std::string what;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) what += (i + 1 == words.size()) ? " or " : ", ";
    what += "\"" + std::string(words[i]) + "\"";
  }
  std::string message = "expected " + what + ", got " + Describe(v);
  if (v.is_string()) message += DidYouMean(v.get_ref<const std::string&>(), words);
  diag.Error(path, std::move(message));
}

bool CheckKeys(Diag& diag, const Json& obj, const std::string& path,
               const std::vector<std::string_view>& allowed) {
  bool ok = true;
  for (const auto& [key, value] : obj.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    diag.Error(Member(path, key), "unknown key \"" + key + "\"" + DidYouMean(key, allowed));
    ok = false;
  }
  return ok;
}

}  // namespace supd::config
