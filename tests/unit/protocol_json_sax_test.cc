// protocol/json_sax.h against nlohmann's sax_parse, which it stands in for: the same
// verdict and the same handler calls, with the same number kinds, on valid and invalid
// text alike.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/json_sax.h"

namespace supd::protocol {
namespace {

using nlohmann::json;

// Records every call as text; optionally refuses the n-th call.
struct Recorder {
  std::vector<std::string> calls;
  int refuse_at = -1;
  bool Add(std::string call) {
    calls.push_back(std::move(call));
    return static_cast<int>(calls.size()) - 1 != refuse_at;
  }
  bool null() { return Add("null"); }
  bool boolean(bool v) { return Add(v ? "true" : "false"); }
  bool number_integer(json::number_integer_t v) { return Add("int " + std::to_string(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return Add("uint " + std::to_string(v)); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return Add("float " + json(v).dump() + " " + s);
  }
  bool string(json::string_t& s) { return Add("string " + json(s).dump()); }
  bool binary(json::binary_t&) { return Add("binary"); }
  bool key(json::string_t& k) { return Add("key " + json(k).dump()); }
  bool start_object(std::size_t) { return Add("{"); }
  bool end_object() { return Add("}"); }
  bool start_array(std::size_t) { return Add("["); }
  bool end_array() { return Add("]"); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }
};

void Same(const std::string& text) {
  CAPTURE(text);
  Recorder want, got;
  bool want_ok = json::sax_parse(text.begin(), text.end(), &want);
  bool got_ok = JsonSaxParse(text, &got);
  REQUIRE(got_ok == want_ok);
  if (want_ok) CHECK(got.calls == want.calls);
  // A handler refusing a call stops both at the same point.
  if (want_ok && !want.calls.empty()) {
    for (int i :
         {0, static_cast<int>(want.calls.size()) / 2, static_cast<int>(want.calls.size()) - 1}) {
      Recorder a, b;
      a.refuse_at = b.refuse_at = i;
      CHECK_FALSE(json::sax_parse(text.begin(), text.end(), &a));
      CHECK_FALSE(JsonSaxParse(text, &b));
      CHECK(a.calls == b.calls);
    }
  }
}

TEST_CASE("protocol: the fast JSON reader agrees with nlohmann's sax_parse") {
  for (const char* text :
       {// Valid: every kind of value, nesting, whitespace, escapes.
        "{}", "[]", " { } ", "\t[\r\n]\n", "0", "-0", "1", "-1", "true", "false", "null", "\"\"",
        "\"a\"", "[1,2,3]", "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
        "[[[[]]],{},[{}]]", "{\"a\":{\"b\":{\"c\":[]}}}", "{\"a\" : 1 , \"a\" : 2}", "1.5", "-1.5",
        "1e5", "1E5", "1e+5", "1e-5", "-0.0", "0.1e1", "123456789.123456789", "1796680558.1616511",
        "1e-400", "4.9e-324", "1.7976931348623157e308", "9223372036854775807",
        "9223372036854775808", "18446744073709551615", "18446744073709551616",
        "-9223372036854775808", "-9223372036854775809", "99999999999999999999999", "[0,-0,0.0]",
        R"("\"\\\/\b\f\n\r\t")", R"("\u0000")", R"("\u0041\u00e9\u20AC")", R"("\ud83d\ude00")",
        R"("\uD834\uDD1E x")", "\"caf\xC3\xA9\"", "\"\xE2\x82\xAC\xF0\x9F\x98\x80\"",
        "\"\xED\x9F\xBF\"", "\"\xF4\x8F\xBF\xBF\"", "\xEF\xBB\xBF{}", "\xEF\xBB\xBF 1 ",
        // Invalid.
        "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{,}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
        "{1:2}", "{\"a\" 1}", "[1 2]", "[1]]", "{}}", "{} {}", "1 2", "01", "-", "-a", "+1", ".5",
        "1.", "1.e5", "1e", "1e+", "--1", "0x10", "1e400", "-1e400", "Infinity", "NaN", "nul",
        "nulll", "tru", "True", "\"abc", "\"\\\"", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"",
        "\"\\ud800\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"", "\"\\udc00\"", "\"\\ud800\\ud800\"",
        "\"\x01\"", "\"\t\"", "\"\n\"", "\"\x80\"", "\"\xC0\xAF\"", "\"\xC1\xBF\"", "\"\xC2\"",
        "\"\xE0\x80\xAF\"", "\"\xED\xA0\x80\"", "\"\xF0\x80\x80\xAF\"", "\"\xF4\x90\x80\x80\"",
        "\"\xF5\x80\x80\x80\"", "\"\xFF\"", "\xEF\xBB{}", "\xEF{}", "\xEF", "/* c */ {}", "{} // c",
        "[1,\x00]"}) {
    Same(text);
  }
  Same(std::string("\"a\0b\"", 5));  // a raw NUL in a string
  Same(std::string("[1]\0", 4));     // a NUL after the value ends the input
  Same(std::string("[1] \0x", 6));
  Same(std::string("[1,\0]", 5));
  Same(std::string("\0", 1));
  // Long strings and deep nesting.
  Same("\"" + std::string(100000, 'x') + "\"");
  Same(std::string(10000, '[') + std::string(10000, ']'));
  Same(std::string(10000, '[') + std::string(9999, ']'));
}

}  // namespace
}  // namespace supd::protocol
