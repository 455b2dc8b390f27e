#include "daemon/io/log/log_text.h"

#include <cstdio>
#include <ctime>

namespace supd::io::log {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU00(std::string* out, unsigned char b) {
  out->append("\\u00");
  out->push_back(kHex[b >> 4]);
  out->push_back(kHex[b & 0xf]);
}

bool Cont(std::string_view s, std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
  if (i >= s.size()) return false;
  auto c = static_cast<unsigned char>(s[i]);
  return c >= lo && c <= hi;
}

// Length of the valid UTF-8 sequence starting at s[i] (Unicode Table 3-7), 0 if invalid.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return Cont(s, i + 1) ? 2 : 0;
  if (b == 0xe0) return Cont(s, i + 1, 0xa0) && Cont(s, i + 2) ? 3 : 0;
  if (b == 0xed) return Cont(s, i + 1, 0x80, 0x9f) && Cont(s, i + 2) ? 3 : 0;
  if (b >= 0xe1 && b <= 0xef) return Cont(s, i + 1) && Cont(s, i + 2) ? 3 : 0;
  if (b == 0xf0) return Cont(s, i + 1, 0x90) && Cont(s, i + 2) && Cont(s, i + 3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return Cont(s, i + 1) && Cont(s, i + 2) && Cont(s, i + 3) ? 4 : 0;
  if (b == 0xf4) return Cont(s, i + 1, 0x80, 0x8f) && Cont(s, i + 2) && Cont(s, i + 3) ? 4 : 0;
  return 0;
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    auto b = static_cast<unsigned char>(text[i]);
    switch (b) {
      case '"': out->append("\\\""); ++i; continue;
      case '\\': out->append("\\\\"); ++i; continue;
      case '\n': out->append("\\n"); ++i; continue;
      case '\r': out->append("\\r"); ++i; continue;
      case '\t': out->append("\\t"); ++i; continue;
      default: break;
    }
    if (b < 0x20 || b == 0x7f) {
      AppendU00(out, b);
      ++i;
      continue;
    }
    std::size_t n = Utf8Length(text, i);
    if (n == 0) {
      AppendU00(out, b);  // an invalid byte: kept, as U+00XX
      ++i;
      continue;
    }
    out->append(text.substr(i, n));
    i += n;
  }
  out->push_back('"');
}

std::string Iso8601Micros(std::int64_t unix_micros) {
  std::int64_t secs = unix_micros / 1000000;
  std::int64_t micros = unix_micros % 1000000;
  if (micros < 0) {
    micros += 1000000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(micros));
  out += frac;
  return out;
}

void AppendTextLine(std::string* out, const LineMeta& meta, std::string_view line) {
  out->append(meta.path);
  out->append("| ");
  out->append(line);
  out->push_back('\n');
}

void AppendJsonLine(std::string* out, const LineMeta& meta, std::string_view line) {
  out->append("{\"time\":\"");
  out->append(Iso8601Micros(meta.unix_micros));
  out->append("\",\"path\":");
  AppendJsonString(out, meta.path);
  out->append(",\"stream\":\"");
  out->append(meta.stream);
  out->append("\",\"pid\":");
  out->append(std::to_string(meta.pid));
  out->append(",\"line\":");
  AppendJsonString(out, line);
  out->append("}\n");
}

void AppendJsonDaemonLine(std::string* out, std::int64_t unix_micros, std::string_view level,
                          int pid, std::string_view line) {
  out->append("{\"time\":\"");
  out->append(Iso8601Micros(unix_micros));
  out->append("\",\"path\":null,\"level\":\"");
  out->append(level);
  out->append("\",\"pid\":");
  out->append(std::to_string(pid));
  out->append(",\"line\":");
  AppendJsonString(out, line);
  out->append("}\n");
}

}  // namespace supd::io::log
