#include "daemon/io/log/line_ring.h"

namespace supd::io::log {

void LineRing::Push(std::string_view line) {
  if (capacity_ == 0) return;
  if (line.size() + 1 > capacity_) line = line.substr(line.size() - (capacity_ - 1));
  if (!lines_) lines_ = std::make_unique<std::deque<std::string>>();
  lines_->emplace_back(line);
  bytes_ += line.size() + 1;
  Trim();
}

std::vector<std::string> LineRing::Tail(std::size_t n) const {
  if (!lines_) return {};
  std::size_t start = lines_->size() > n ? lines_->size() - n : 0;
  return std::vector<std::string>(lines_->begin() + static_cast<std::ptrdiff_t>(start),
                                  lines_->end());
}

void LineRing::SetCapacity(std::size_t capacity) {
  capacity_ = capacity;
  Trim();
}

void LineRing::Trim() {
  while (bytes_ > capacity_ && lines_ && !lines_->empty()) {
    bytes_ -= lines_->front().size() + 1;
    lines_->pop_front();
  }
}

}  // namespace supd::io::log
