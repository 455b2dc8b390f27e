// Rendering of captured lines: JSON strings that keep every byte, ISO 8601 timestamps.
// Pure (no I/O, no clock): callers pass the time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace supd::io::log {

/// Appends `text` to `out` as a quoted JSON string. Valid UTF-8 is copied (control
/// characters, '"' and '\\' escaped); every byte of an invalid UTF-8 sequence 0xXX becomes
/// the escape \u00XX (the code point U+00XX), so no byte is dropped (README "Logging").
void AppendJsonString(std::string* out, std::string_view text);

/// "2026-12-06T02:55:02.123456Z" for microseconds since the Unix epoch.
std::string Iso8601Micros(std::int64_t unix_micros);

/// What a captured line carries besides its bytes.
struct LineMeta {
  std::string_view path;    ///< worker path
  std::string_view stream;  ///< "stdout" or "stderr"
  int pid = 0;              ///< the run that wrote it (0: unknown)
  std::int64_t unix_micros = 0;
};

/// `PATH| line\n` (daemon.log_format "text").
void AppendTextLine(std::string* out, const LineMeta& meta, std::string_view line);
/// `{"time","path","stream","pid","line"}\n` (daemon.log_format "json").
void AppendJsonLine(std::string* out, const LineMeta& meta, std::string_view line);
/// supd's own message in the JSON shape: `{"time","path":null,"level","pid","line"}\n`.
void AppendJsonDaemonLine(std::string* out, std::int64_t unix_micros, std::string_view level,
                          int pid, std::string_view line);

}  // namespace supd::io::log
