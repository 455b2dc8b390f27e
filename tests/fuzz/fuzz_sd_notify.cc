// libFuzzer target: one sd_notify(3) datagram from a child, any bytes. The parse never
// crashes; what it reports is in the datagram (STATUS= text, a positive WATCHDOG_USEC=).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/io/readiness/sd_notify_receiver.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view datagram(reinterpret_cast<const char*>(data), size);
  supd::io::SdNotifyMessage m = supd::io::ParseSdNotify(datagram);
  if (m.ready && datagram.find("READY=1") == std::string_view::npos) __builtin_trap();
  if (m.watchdog_usec && *m.watchdog_usec <= 0) __builtin_trap();
  if (m.status) {
    if (m.status->find('\n') != std::string::npos) __builtin_trap();
    if (datagram.find("STATUS=" + *m.status) == std::string_view::npos) __builtin_trap();
  }
  return 0;
}
