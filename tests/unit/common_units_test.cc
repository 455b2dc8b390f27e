// common/units.h: the one grammar of durations and sizes, shared by the config and supctl.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>

#include "common/units.h"

namespace supd::common {

TEST_CASE("ParseDuration: DIGITS[.DIGITS] then ms, s, m, min, h or d") {
  CHECK(ParseDuration("250ms") == 250);
  CHECK(ParseDuration("5s") == 5000);
  CHECK(ParseDuration("2m") == 120000);
  CHECK(ParseDuration("2min") == 120000);
  CHECK(ParseDuration("1h") == 3600000);
  CHECK(ParseDuration("1d") == 86400000);
  CHECK(ParseDuration("0s") == 0);
  CHECK(ParseDuration("1.5s") == 1500);
  CHECK(ParseDuration("0.25s") == 250);
  CHECK(ParseDuration("1.5h") == 5400000);
  CHECK(ParseDuration("0.0004s") == 0);  // rounded to the nearest millisecond
  CHECK(ParseDuration("0.0005s") == 1);
  CHECK(ParseDuration("2.5ms") == 3);
  CHECK(ParseDuration("9223372036854775807ms") == 9223372036854775807LL);
  for (const char* bad : {"", "5", "s", "5 s", " 5s", "5s ", "-5s", "+5s", "5S", "5sec", "5y",
                          ".5s", "5.s", "1..2s", "1.2.3s", "1e3s", "0x10s", "1.5",
                          "99999999999999999999s", "9223372036854775807h", "1.0000000001s",
                          "9223372036854775807.9ms"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseDuration(bad).has_value());
  }
}

TEST_CASE("ParseDuration: a bare number is seconds only where the caller says so") {
  CHECK_FALSE(ParseDuration("5").has_value());
  CHECK(ParseDuration("5", BareNumber::kSeconds) == 5000);
  CHECK(ParseDuration("1.5", BareNumber::kSeconds) == 1500);
  CHECK(ParseDuration("0", BareNumber::kSeconds) == 0);
  CHECK(ParseDuration("250ms", BareNumber::kSeconds) == 250);
  for (const char* bad : {"", ".", "-1", "1.", "5 "}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseDuration(bad, BareNumber::kSeconds).has_value());
  }
}

TEST_CASE("FormatDuration picks the largest exact unit up to h and round-trips") {
  CHECK(FormatDuration(10000) == "10s");
  CHECK(FormatDuration(250) == "250ms");
  CHECK(FormatDuration(1500) == "1500ms");
  CHECK(FormatDuration(120000) == "2m");
  CHECK(FormatDuration(90000) == "90s");
  CHECK(FormatDuration(7200000) == "2h");
  CHECK(FormatDuration(86400000) == "24h");
  CHECK(FormatDuration(kMaxDuration) == "87600h");
  CHECK(FormatDuration(0) == "0s");
  for (Millis ms : std::initializer_list<Millis>{1, 999, 1000, 61000, 3600000, 86400000,
                                                   kMaxDuration}) {
    CHECK(ParseDuration(FormatDuration(ms)) == ms);
  }
}

TEST_CASE("FormatDurationCompact keeps the two largest units") {
  CHECK(FormatDurationCompact(450) == "450ms");
  CHECK(FormatDurationCompact(12000) == "12s");
  CHECK(FormatDurationCompact(12999) == "12s");
  CHECK(FormatDurationCompact(185000) == "3m05s");
  CHECK(FormatDurationCompact(2 * 3600000 + 13 * 60000 + 5000) == "2h13m");
  CHECK(FormatDurationCompact(4 * 86400000LL + 3 * 3600000) == "4d03h");
  CHECK(FormatDurationCompact(-5) == "0ms");
}

TEST_CASE("ParseSize is 1024-based with B, KB, MB, GB, FormatSize round-trips") {
  CHECK(ParseSize("0B") == 0u);
  CHECK(ParseSize("512KB") == 512u * 1024);
  CHECK(ParseSize("10MB") == 10u * 1024 * 1024);
  CHECK(ParseSize("2GB") == 2ull * 1024 * 1024 * 1024);
  CHECK(ParseSize("17B") == 17u);
  for (const char* bad : {"", "10", "10mb", "10 MB", "10TB", "MB", "-1KB", "1.5MB",
                          "99999999999999999GB"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseSize(bad).has_value());
  }
  CHECK(FormatSize(65536) == "64KB");
  CHECK(FormatSize(10 * 1024 * 1024) == "10MB");
  CHECK(FormatSize(1000) == "1000B");
  CHECK(FormatSize(0) == "0B");
  for (std::uint64_t bytes : {1ull, 1023ull, 1024ull, 1ull << 20, 3ull << 30}) {
    CHECK(ParseSize(FormatSize(bytes)) == bytes);
  }
}

TEST_CASE("ParseOctal reads mode strings") {
  CHECK(ParseOctal("0022") == 022u);
  CHECK(ParseOctal("0600") == 0600u);
  CHECK(ParseOctal("755") == 0755u);
  CHECK(ParseOctal("7777") == 07777u);
  for (const char* bad : {"", "0x12", "08", "00000", "abc", "-1", "0 22"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseOctal(bad).has_value());
  }
}

}  // namespace supd::common
