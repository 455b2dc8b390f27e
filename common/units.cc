#include "common/units.h"

#include <cstdio>
#include <limits>
#include <utility>

namespace supd::common {
namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

struct Number {
  std::int64_t whole = 0;
  std::int64_t fraction = 0;     // the digits after the dot, as an integer
  std::int64_t fraction_scale = 1;  // 10^(number of those digits)
  std::string_view unit;
};

// Reads leading decimal digits into `value`; false on overflow. `count` gets how many.
bool ReadDigits(std::string_view text, std::size_t* pos, std::int64_t* value,
                std::size_t* count) {
  *count = 0;
  while (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9') {
    int digit = text[*pos] - '0';
    if (*value > (kInt64Max - digit) / 10) return false;
    *value = *value * 10 + digit;
    ++*pos;
    ++*count;
  }
  return true;
}

// Splits "DIGITS[.DIGITS]unit"; nullopt unless there are digits on each side of a dot
// and the whole part fits an int64. At most 9 fraction digits (below a nanosecond is noise).
std::optional<Number> SplitNumber(std::string_view text, bool allow_fraction) {
  Number n;
  std::size_t pos = 0, count = 0;
  if (!ReadDigits(text, &pos, &n.whole, &count) || count == 0) return std::nullopt;
  if (allow_fraction && pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    if (!ReadDigits(text, &pos, &n.fraction, &count) || count == 0 || count > 9) {
      return std::nullopt;
    }
    for (std::size_t i = start; i < pos; ++i) n.fraction_scale *= 10;
  }
  n.unit = text.substr(pos);
  return n;
}

std::optional<std::int64_t> Scale(std::int64_t value, std::int64_t factor) {
  if (value > kInt64Max / factor) return std::nullopt;
  return value * factor;
}

// Milliseconds per unit; 0 for an unknown unit.
std::int64_t MillisPer(std::string_view unit, BareNumber bare) {
  if (unit == "ms") return 1;
  if (unit == "s" || (unit.empty() && bare == BareNumber::kSeconds)) return 1000;
  if (unit == "m" || unit == "min") return 60 * 1000;
  if (unit == "h") return 60 * 60 * 1000;
  if (unit == "d") return 24 * 60 * 60 * 1000;
  return 0;
}

}  // namespace

std::optional<Millis> ParseDuration(std::string_view text, BareNumber bare) {
  auto n = SplitNumber(text, true);
  if (!n) return std::nullopt;
  std::int64_t per = MillisPer(n->unit, bare);
  if (per == 0) return std::nullopt;
  auto whole = Scale(n->whole, per);
  if (!whole) return std::nullopt;
  // fraction < 10^9 and per <= 8.64e7: the product fits; round half up.
  std::int64_t part = (n->fraction * per * 2 + n->fraction_scale) / (2 * n->fraction_scale);
  if (*whole > kInt64Max - part) return std::nullopt;
  return *whole + part;
}

std::string FormatDuration(Millis ms) {
  if (ms == 0) return "0s";
  if (ms % (60 * 60 * 1000) == 0) return std::to_string(ms / (60 * 60 * 1000)) + "h";
  if (ms % (60 * 1000) == 0) return std::to_string(ms / (60 * 1000)) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string FormatDurationCompact(Millis ms) {
  if (ms < 0) ms = 0;
  char buf[48];
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

std::optional<std::uint64_t> ParseSize(std::string_view text) {
  auto n = SplitNumber(text, false);
  if (!n) return std::nullopt;
  std::optional<std::int64_t> bytes;
  if (n->unit == "B")
    bytes = n->whole;
  else if (n->unit == "KB")
    bytes = Scale(n->whole, 1024);
  else if (n->unit == "MB")
    bytes = Scale(n->whole, 1024 * 1024);
  else if (n->unit == "GB")
    bytes = Scale(n->whole, 1024 * 1024 * 1024);
  if (!bytes) return std::nullopt;
  return static_cast<std::uint64_t>(*bytes);
}

std::string FormatSize(std::uint64_t bytes) {
  constexpr std::uint64_t kKb = 1024;
  if (bytes != 0 && bytes % (kKb * kKb * kKb) == 0) {
    return std::to_string(bytes / (kKb * kKb * kKb)) + "GB";
  }
  if (bytes != 0 && bytes % (kKb * kKb) == 0) return std::to_string(bytes / (kKb * kKb)) + "MB";
  if (bytes != 0 && bytes % kKb == 0) return std::to_string(bytes / kKb) + "KB";
  return std::to_string(bytes) + "B";
}

std::optional<std::uint32_t> ParseOctal(std::string_view text) {
  if (text.empty() || text.size() > 4) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    value = value * 8 + static_cast<std::uint32_t>(c - '0');
  }
  return value;
}

}  // namespace supd::common
