// Units, signal names, octal modes, decimal ids, the JSON layer (line/column, depth).
#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include "config/accounts.h"
#include "config/json_text.h"
#include "config/signals.h"
#include "config/units.h"

namespace supd::config {

TEST_CASE("ParseDuration accepts ms, s, m, h and nothing else") {
  CHECK(ParseDuration("250ms") == 250);
  CHECK(ParseDuration("5s") == 5000);
  CHECK(ParseDuration("2m") == 120000);
  CHECK(ParseDuration("1h") == 3600000);
  CHECK(ParseDuration("0s") == 0);
  for (const char* bad : {"", "5", "s", "5 s", " 5s", "5s ", "-5s", "+5s", "1.5s", "5S", "5sec",
                          "5d", "99999999999999999999s", "9223372036854775807h", "0x10s"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseDuration(bad).has_value());
  }
}

TEST_CASE("ParseSize is 1024-based with B, KB, MB, GB") {
  CHECK(ParseSize("0B") == 0u);
  CHECK(ParseSize("512KB") == 512u * 1024);
  CHECK(ParseSize("10MB") == 10u * 1024 * 1024);
  CHECK(ParseSize("2GB") == 2ull * 1024 * 1024 * 1024);
  CHECK(ParseSize("17B") == 17u);
  for (const char* bad : {"", "10", "10mb", "10 MB", "10TB", "MB", "-1KB", "99999999999999999GB"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseSize(bad).has_value());
  }
}

TEST_CASE("FormatDuration and FormatSize pick the largest exact unit and round-trip") {
  CHECK(FormatDuration(10000) == "10s");
  CHECK(FormatDuration(250) == "250ms");
  CHECK(FormatDuration(1500) == "1500ms");
  CHECK(FormatDuration(120000) == "2m");
  CHECK(FormatDuration(90000) == "90s");
  CHECK(FormatDuration(7200000) == "2h");
  CHECK(FormatDuration(0) == "0s");
  for (core::Millis ms : {1, 999, 1000, 61000, 3600000, 86400000}) {
    CHECK(ParseDuration(FormatDuration(ms)) == ms);
  }
  CHECK(FormatSize(65536) == "64KB");
  CHECK(FormatSize(10 * 1024 * 1024) == "10MB");
  CHECK(FormatSize(1000) == "1000B");
  CHECK(FormatSize(0) == "0B");
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

TEST_CASE("signal names: with or without SIG, any case; canonical names back") {
  CHECK(SignalFromName("SIGTERM") == SIGTERM);
  CHECK(SignalFromName("TERM") == SIGTERM);
  CHECK(SignalFromName("sigint") == SIGINT);
  CHECK(SignalFromName("SIGQUIT") == SIGQUIT);
  CHECK(SignalFromName("KILL") == SIGKILL);
  CHECK(SignalFromName("SIGUSR1") == SIGUSR1);
  CHECK(SignalFromName("SIGHUP") == SIGHUP);
  CHECK(SignalFromName("SIGRTMIN") == SIGRTMIN);
  CHECK(SignalFromName("SIGRTMIN+3") == SIGRTMIN + 3);
  CHECK(SignalFromName("RTMAX-1") == SIGRTMAX - 1);
  for (const char* bad : {"", "SIG", "SIGFOO", "15", "TERMINATE", "SIGRTMIN+99", "SIGRTMIN-1"}) {
    CAPTURE(bad);
    CHECK_FALSE(SignalFromName(bad).has_value());
  }
  CHECK(SignalName(SIGKILL) == "SIGKILL");
  CHECK(SignalName(SIGTERM) == "SIGTERM");
  CHECK(SignalName(SIGCHLD) == "SIGCHLD");
  CHECK(SignalName(SIGABRT) == "SIGABRT");
  CHECK(SignalName(SIGRTMIN + 2) == "SIGRTMIN+2");
  CHECK(SignalName(200) == "SIG200");
  for (int sig = 1; sig < 32; ++sig) CHECK(SignalFromName(SignalName(sig)) == sig);
}

TEST_CASE("decimal ids only: no hex, no octal-looking leading zero") {
  CHECK(ParseDecimalId("0") == 0u);
  CHECK(ParseDecimalId("1000") == 1000u);
  CHECK(ParseDecimalId("4294967294") == 4294967294u);
  for (const char* bad : {"", "0x10", "010", "-1", "1e3", "4294967295", "99999999999", "12a"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseDecimalId(bad).has_value());
  }
  std::string error;
  CHECK(ResolveUser("root", error)->uid == 0u);
  CHECK(ResolveUser("root", error)->primary_gid == 0u);
  CHECK_FALSE(ResolveUser("0x10", error).has_value());
  CHECK(error.find("decimal") != std::string::npos);
  CHECK(ResolveGroup("root", error) == 0u);
  CHECK_FALSE(ResolveGroup("no_such_group_supd_test", error).has_value());
}

TEST_CASE("ParseJson: line and column of syntax errors") {
  JsonSyntaxError error;
  CHECK_FALSE(ParseJson("{\n  \"a\": 1,\n  \"b\": tru\n}", error).has_value());
  CHECK(error.line == 3);
  CHECK(error.column == 8);
  CHECK(error.message.find("invalid literal") != std::string::npos);
  CHECK_FALSE(ParseJson("", error).has_value());
  CHECK(error.line == 1);
  CHECK(error.column == 1);
  CHECK(ParseJson("{\"a\": \"é[[[[\"}", error).has_value());
}

std::string Nested(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

TEST_CASE("ParseJson: depth 64 is fine, 65 is an error, 100000 does not crash") {
  JsonSyntaxError error;
  CHECK(ParseJson(Nested(64), error).has_value());
  CHECK_FALSE(ParseJson(Nested(65), error).has_value());
  CHECK(error.message.find("deeper than 64") != std::string::npos);
  CHECK(error.line == 1);
  CHECK(error.column == 65);
  CHECK_FALSE(ParseJson(Nested(100000), error).has_value());
  CHECK_FALSE(ParseJson(std::string(100000, '['), error).has_value());
  // Brackets inside strings are not nesting.
  CHECK(ParseJson("[\"" + std::string(1000, '[') + "\"]", error).has_value());
}

TEST_CASE("ParseJson: duplicate keys are errors with a position") {
  JsonSyntaxError error;
  CHECK_FALSE(ParseJson("{\"a\": 1,\n \"a\": 2}", error).has_value());
  CHECK(error.message.find("duplicate key \"a\"") != std::string::npos);
  CHECK(error.line == 2);
  CHECK(ParseJson("{\"a\": {\"a\": 1}, \"b\": {\"a\": 2}}", error).has_value());
}

}  // namespace supd::config
