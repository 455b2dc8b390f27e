// OTP's add_restart as a value type: the intensity bookkeeping of one supervisor. Pure.
#pragma once

#include <deque>

#include "daemon/core/child_spec.h"

namespace supd::core {

/// The restarts a supervisor decided within its last `period`, as OTP's `add_restart`:
/// a restart at `t` is kept while `now - t <= period` (monotonic ms instead of OTP's
/// whole seconds).
class RestartWindow {
 public:
  RestartWindow(int intensity, Millis period) : intensity_(intensity), period_(period) {}

  /// Records one restart decision at `now`. Returns false when more than `intensity`
  /// restarts now fall within `period`: the supervisor must give up.
  bool Add(Millis now);
  /// Restarts within the window after the last Add (the one just recorded included).
  int Count() const { return static_cast<int>(restarts_.size()); }
  int intensity() const { return intensity_; }
  Millis period() const { return period_; }
  /// New intensity and period (a reload); the restarts already recorded stay counted.
  void Reconfigure(int intensity, Millis period) {
    intensity_ = intensity;
    period_ = period;
  }
  /// Forgets every restart (a restarted supervisor gets a fresh history).
  void Clear() { restarts_.clear(); }

 private:
  int intensity_;
  Millis period_;
  std::deque<Millis> restarts_;  ///< newest first, as OTP's list
};

}  // namespace supd::core
