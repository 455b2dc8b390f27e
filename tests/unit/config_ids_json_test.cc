// Decimal ids, accounts, the JSON layer (line/column, depth). Units and signal names are
// common/ (tests/unit/common_*_test.cc).
#include <doctest/doctest.h>

#include <string>

#include "config/accounts.h"
#include "config/json_text.h"

namespace supd::config {

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
