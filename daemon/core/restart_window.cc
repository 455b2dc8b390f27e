#include "daemon/core/restart_window.h"

namespace supd::core {

bool RestartWindow::Add(Millis now) {
  restarts_.push_front(now);
  while (!restarts_.empty() && now - restarts_.back() > period_) restarts_.pop_back();
  return Count() <= intensity_;
}

}  // namespace supd::core
