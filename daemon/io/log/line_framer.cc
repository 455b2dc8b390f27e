#include "daemon/io/log/line_framer.h"

namespace supd::io::log {
namespace {

// A partial line's buffer is kept for the next one up to this capacity; a bigger one (up
// to max_line, 64 KiB) is given back once its line is out, so a child that wrote one long
// line does not hold it for the life of supd (issue 16: memory).
constexpr std::size_t kKeptCapacity = 4096;

void Release(std::string& partial) {
  partial.clear();
  if (partial.capacity() > kKeptCapacity) std::string().swap(partial);
}

}  // namespace

void LineFramer::Feed(std::string_view data, const Emit& emit) {
  while (!data.empty()) {
    std::size_t room = max_ - partial_.size();
    std::size_t nl = data.substr(0, room).find('\n');
    if (nl != std::string_view::npos) {
      if (partial_.empty()) {
        emit(data.substr(0, nl));  // the common case: no copy
      } else {
        partial_.append(data.substr(0, nl));
        emit(partial_);
        Release(partial_);
      }
      data.remove_prefix(nl + 1);
      continue;
    }
    if (data.size() < room) {
      partial_.append(data);
      return;
    }
    // No newline within the room left: a full piece of max_ bytes.
    if (partial_.empty()) {
      emit(data.substr(0, room));
    } else {
      partial_.append(data.substr(0, room));
      emit(partial_);
      Release(partial_);
    }
    data.remove_prefix(room);
  }
}

void LineFramer::Flush(const Emit& emit) {
  if (partial_.empty()) return;
  emit(partial_);
  Release(partial_);
}

}  // namespace supd::io::log
