#include "daemon/core/backoff.h"

#include <algorithm>
#include <cmath>

namespace supd::core {

Millis Backoff::Next(Millis up_for, double random) {
  const Millis reset_after = spec_.reset_after > 0 ? spec_.reset_after : spec_.max;
  if (up_for >= reset_after) Reset();
  const Millis base = next_;
  const double grown = static_cast<double>(next_) * spec_.multiplier;
  next_ = std::min<Millis>(spec_.max, static_cast<Millis>(std::llround(grown)));
  const double jittered = static_cast<double>(base) * (1.0 + spec_.jitter * (2.0 * random - 1.0));
  return std::max<Millis>(0, static_cast<Millis>(std::llround(jittered)));
}

}  // namespace supd::core
