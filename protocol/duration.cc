#include "protocol/duration.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace supd::protocol {

std::optional<core::Millis> ParseDuration(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  std::size_t i = 0;
  bool digits = false, dot = false;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
    if (text[i] == '.') {
      if (dot) return std::nullopt;
      dot = true;
    } else {
      digits = true;
    }
    ++i;
  }
  if (!digits) return std::nullopt;
  std::string number(text.substr(0, i));
  double value = std::strtod(number.c_str(), nullptr);
  std::string_view unit = text.substr(i);
  double scale;
  if (unit.empty() || unit == "s") scale = 1000;
  else if (unit == "ms") scale = 1;
  else if (unit == "m" || unit == "min") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else if (unit == "d") scale = 86'400'000;
  else return std::nullopt;
  double ms = value * scale;
  if (!std::isfinite(ms) || ms > 1e15) return std::nullopt;
  return static_cast<core::Millis>(std::llround(ms));
}

std::string FormatDuration(core::Millis ms) {
  if (ms < 0) ms = 0;
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
    return buf;
  }
  long long s = ms / 1000;
  if (s < 60) std::snprintf(buf, sizeof buf, "%llds", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else if (s < 86400) std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s % 3600 / 60);
  else std::snprintf(buf, sizeof buf, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
  return buf;
}

}  // namespace supd::protocol
