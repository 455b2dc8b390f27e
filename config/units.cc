#include "config/units.h"

#include <limits>
#include <utility>

namespace supd::config {
namespace {

// Splits "123unit" into its number and unit; nullopt unless the digits are non-empty
// and fit an int64.
std::optional<std::pair<std::int64_t, std::string_view>> SplitNumber(std::string_view text) {
  std::size_t i = 0;
  std::int64_t value = 0;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    int digit = text[i] - '0';
    if (value > (kMax - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    ++i;
  }
  if (i == 0) return std::nullopt;
  return std::make_pair(value, text.substr(i));
}

std::optional<std::int64_t> Scale(std::int64_t value, std::int64_t factor) {
  if (value > std::numeric_limits<std::int64_t>::max() / factor) return std::nullopt;
  return value * factor;
}

}  // namespace

std::optional<core::Millis> ParseDuration(std::string_view text) {
  auto split = SplitNumber(text);
  if (!split) return std::nullopt;
  auto [value, unit] = *split;
  if (unit == "ms") return value;
  if (unit == "s") return Scale(value, 1000);
  if (unit == "m") return Scale(value, 60 * 1000);
  if (unit == "h") return Scale(value, 60 * 60 * 1000);
  return std::nullopt;
}

std::optional<std::uint64_t> ParseSize(std::string_view text) {
  auto split = SplitNumber(text);
  if (!split) return std::nullopt;
  auto [value, unit] = *split;
  std::optional<std::int64_t> bytes;
  if (unit == "B")
    bytes = value;
  else if (unit == "KB")
    bytes = Scale(value, 1024);
  else if (unit == "MB")
    bytes = Scale(value, 1024 * 1024);
  else if (unit == "GB")
    bytes = Scale(value, 1024 * 1024 * 1024);
  if (!bytes) return std::nullopt;
  return static_cast<std::uint64_t>(*bytes);
}

std::string FormatDuration(core::Millis ms) {
  if (ms == 0) return "0s";
  if (ms % (60 * 60 * 1000) == 0) return std::to_string(ms / (60 * 60 * 1000)) + "h";
  if (ms % (60 * 1000) == 0) return std::to_string(ms / (60 * 1000)) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
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

}  // namespace supd::config
