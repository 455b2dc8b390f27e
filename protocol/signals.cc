#include "protocol/signals.h"

#include "config/signals.h"

namespace supd::protocol {

std::optional<int> ParseSignal(std::string_view text) {
  // "SIG32" is how SignalName renders numbers without a name: accept it back.
  if (text.size() > 3 && (text.substr(0, 3) == "SIG" || text.substr(0, 3) == "sig") &&
      text.find_first_not_of("0123456789", 3) == std::string_view::npos) {
    text.remove_prefix(3);
  }
  if (!text.empty() && text.size() <= 2 &&
      text.find_first_not_of("0123456789") == std::string_view::npos) {
    int n = 0;
    for (char c : text) n = n * 10 + (c - '0');
    if (n >= 1 && n <= 64) return n;
    return std::nullopt;
  }
  return config::SignalFromName(text);
}

std::string SignalName(int signo) { return config::SignalName(signo); }

}  // namespace supd::protocol
