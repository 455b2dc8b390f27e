// The optional delay before restarting a child that keeps failing (suture-style). Pure.
#pragma once

#include "daemon/core/child_spec.h"

namespace supd::core {

/// Per-child backoff state for a supervisor's `backoff` spec: the first restart waits
/// `initial`, each following one `multiplier` times longer, capped at `max`, with a
/// +/- `jitter` fraction drawn from the injected random source. A child that stayed up
/// for `reset_after` (0: `max`) before failing starts again from `initial`.
class Backoff {
 public:
  explicit Backoff(const BackoffSpec& spec) : spec_(spec), next_(spec.initial) {}

  /// The delay before the next restart. `up_for`: how long the failed run was ready
  /// (0 if it never became ready). `random` is uniform in [0,1).
  Millis Next(Millis up_for, double random);
  /// Back to `initial`.
  void Reset() { next_ = spec_.initial; }

 private:
  BackoffSpec spec_;
  Millis next_;  ///< delay before jitter of the next restart
};

}  // namespace supd::core
