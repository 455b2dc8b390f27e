#include "daemon/core/backoff.h"

#include <algorithm>

namespace supd::core {
namespace {

// std::llround's rounding (halves away from zero) for the delays' range (|x| < 2^62):
// its only caller in supd, it made supd map libm, ~0.3 MiB of PSS where nothing else
// shares it (bench/RESULTS.md, issue 16).
Millis RoundToMillis(double x) {
  const auto truncated = static_cast<Millis>(x);  // toward zero, exact below 2^53
  const double rest = x - static_cast<double>(truncated);
  if (rest >= 0.5) return truncated + 1;
  if (rest <= -0.5) return truncated - 1;
  return truncated;
}

}  // namespace

Millis Backoff::Next(Millis up_for, double random) {
  const Millis reset_after = spec_.reset_after > 0 ? spec_.reset_after : spec_.max;
  if (up_for >= reset_after) Reset();
  const Millis base = next_;
  const double grown = static_cast<double>(next_) * spec_.multiplier;
  next_ = std::min<Millis>(spec_.max, RoundToMillis(grown));
  const double jittered = static_cast<double>(base) * (1.0 + spec_.jitter * (2.0 * random - 1.0));
  return std::max<Millis>(0, RoundToMillis(jittered));
}

}  // namespace supd::core
