// supervisord's INI dialect, %-interpolation and word splitting, against what Python's
// configparser, `%` and shlex do with the same text.
#include <doctest/doctest.h>

#include "cli/import/ini.h"
#include "cli/import/model.h"
#include "cli/import/words.h"

namespace supd::cli::import {
namespace {

std::string Value(const IniDocument& doc, const std::string& section, const std::string& key) {
  const IniSection* s = doc.Find(section);
  REQUIRE(s != nullptr);
  const IniValue* v = s->Find(key);
  REQUIRE(v != nullptr);
  return v->text;
}

TEST_CASE("ini: comments, delimiters and key case follow configparser") {
  IniDocument doc;
  doc.Read(
      "; a comment\n"
      "# another\n"
      "[program:web]\n"
      "Command = /bin/web --a=1 ; the server\n"
      "semi=a;b\n"
      "hash=a#b #comment\n"
      "colon: x=y\n"
      "  ; an indented comment line\n"
      "empty=\n",
      "s.conf");
  CHECK(Value(doc, "program:web", "command") == "/bin/web --a=1");
  CHECK(Value(doc, "program:web", "semi") == "a;b");  // no whitespace before ';'
  CHECK(Value(doc, "program:web", "hash") == "a#b");
  CHECK(Value(doc, "program:web", "colon") == "x=y");  // the first delimiter wins
  CHECK(Value(doc, "program:web", "empty").empty());
  CHECK(doc.Find("program:web")->Find("command")->line == 4);
}

TEST_CASE("ini: continuation lines join with newlines, blank lines inside are kept") {
  IniDocument doc;
  doc.Read(
      "[s]\n"
      "environment=A=\"1\",\n"
      "    B=\"2\"\n"
      "\n"
      "    C=\"3\"\n"
      "\n"
      "next=1\n",
      "s.conf");
  CHECK(Value(doc, "s", "environment") == "A=\"1\",\nB=\"2\"\n\nC=\"3\"");
  CHECK(Value(doc, "s", "next") == "1");
}

TEST_CASE("ini: a second file merges into the sections already read") {
  IniDocument doc;
  doc.Read("[program:a]\ncommand=/bin/a\npriority=1\n", "main.conf");
  doc.Read("[program:b]\ncommand=/bin/b\n[program:a]\npriority=2\n", "inc.conf");
  REQUIRE(doc.sections().size() == 2);
  CHECK(doc.sections()[0].name == "program:a");
  CHECK(Value(doc, "program:a", "priority") == "2");
  CHECK(doc.Find("program:a")->Find("priority")->file == "inc.conf");
  CHECK(Value(doc, "program:a", "command") == "/bin/a");
}

TEST_CASE("ini: malformed files fail with the file and line") {
  IniDocument doc;
  try {
    doc.Read("\n; header missing\ncommand=/bin/a\n", "bad.conf");
    FAIL("no error");
  } catch (const ImportError& e) {
    CHECK(e.ToString() == "bad.conf:3: no [section] header before this line: command=/bin/a");
  }
  try {
    doc.Read("[program:a]\ncommand=/bin/a\njust words\n", "bad2.conf");
    FAIL("no error");
  } catch (const ImportError& e) {
    CHECK(e.file == "bad2.conf");
    CHECK(e.line == 3);
  }
}

TEST_CASE("PercentFormat: Python's % with a mapping") {
  FormatLookup lookup = [](const std::string& name) -> std::optional<FormatValue> {
    if (name == "program_name") return std::string("web");
    if (name == "process_num") return 3ll;
    return std::nullopt;
  };
  std::string error;
  CHECK(PercentFormat("%(program_name)s_%(process_num)02d", lookup, &error) == "web_03");
  CHECK(PercentFormat("%(process_num)s|%(process_num)3d|%(process_num)-3d|", lookup, &error) ==
        "3|  3|3  |");
  CHECK(PercentFormat("100%% sure", lookup, &error) == "100% sure");
  CHECK_FALSE(PercentFormat("%(nope)s", lookup, &error));
  CHECK(error.find("unknown name \"nope\"") != std::string::npos);
  CHECK_FALSE(PercentFormat("100%", lookup, &error));
  CHECK_FALSE(PercentFormat("%(program_name)d", lookup, &error));
  CHECK_FALSE(PercentFormat("%(program_name", lookup, &error));
}

TEST_CASE("SplitPosix: shlex.split, and which words a shell would act on") {
  std::string error;
  auto w = SplitPosix(R"(/bin/app --name 'a b' "c \"d\" \x" e\ f '')", false, &error);
  REQUIRE(w);
  REQUIRE(w->size() == 6);
  CHECK((*w)[2].text == "a b");
  CHECK((*w)[3].text == "c \"d\" \\x");
  CHECK((*w)[4].text == "e f");
  CHECK((*w)[5].text.empty());
  for (const Word& word : *w) CHECK_FALSE(word.special);
  w = SplitPosix("a | b > 'c|d' \\$HOME $HOME", false, &error);
  REQUIRE(w);
  REQUIRE(w->size() == 7);
  CHECK((*w)[1].special);
  CHECK_FALSE((*w)[2].special);
  CHECK((*w)[3].special);
  CHECK_FALSE((*w)[4].special);  // quoted
  CHECK_FALSE((*w)[5].special);  // escaped
  CHECK((*w)[6].special);
  CHECK_FALSE(SplitPosix("a 'b", false, &error));
  CHECK_FALSE(SplitPosix("a \\", false, &error));
  w = SplitPosix("exec a # b", true, &error);
  REQUIRE(w);
  CHECK(w->size() == 2);
}

TEST_CASE("SplitEnvironment: supervisord's KEY=value lists") {
  std::string error;
  auto env = SplitEnvironment("A=\"x y\",B=2,PATH=/usr/bin:/bin, C='v'", &error);
  REQUIRE(env);
  REQUIRE(env->size() == 4);
  CHECK((*env)[0] == std::pair<std::string, std::string>{"A", "x y"});
  CHECK((*env)[1].second == "2");
  CHECK((*env)[2].second == "/usr/bin:/bin");
  CHECK(SplitEnvironment("", &error)->empty());
  // As in supervisord, the token after a value is taken as the separator, whatever it is.
  CHECK(SplitEnvironment("A=x y", &error)->size() == 1);
  CHECK_FALSE(SplitEnvironment("A=x y z", &error));
  CHECK_FALSE(SplitEnvironment("A=a@b", &error));  // '@' is not a word character
  CHECK_FALSE(SplitEnvironment("A=\"unclosed", &error));
}

}  // namespace
}  // namespace supd::cli::import
