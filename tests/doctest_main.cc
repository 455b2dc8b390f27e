// The main of every test binary: doctest's, plus honest skips (tests/support/skip.h), and a
// failure when a --test-case filter selects nothing (CTest runs one test case per test by
// name: a name that no longer matches must not pass by running nothing).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <set>
#include <string>
#include <string_view>

#include "tests/support/skip.h"

namespace supd::testing {
namespace {

std::string g_current;             // the test case running now
std::set<std::string> g_started;   // every test case run
std::set<std::string> g_skipped;   // those that called Skip()

// Follows which test case runs, so that Skip() knows whom it skips.
struct SkipListener : doctest::IReporter {
  explicit SkipListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData& test) override {
    g_current = test.m_name;
    g_started.insert(g_current);
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

}  // namespace

void Skip(const std::string& reason) {
  MESSAGE("skipped: " << reason);
  g_skipped.insert(g_current);
}

}  // namespace supd::testing

REGISTER_LISTENER("supd-skip", 1, supd::testing::SkipListener);

namespace {

bool HasTestCaseFilter(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    for (std::string_view flag : {"--test-case=", "-tc=", "--dt-test-case=", "--dt-tc="}) {
      if (arg.substr(0, flag.size()) == flag) return true;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  int rc = context.run();
  if (context.shouldExit()) return rc;
  using namespace supd::testing;
  if (g_started.empty() && HasTestCaseFilter(argc, argv)) {
    std::fprintf(stderr, "no test case matches the --test-case filter\n");
    return 1;
  }
  if (rc == 0 && !g_started.empty() && g_skipped == g_started) return kSkipExitCode;
  return rc;
}
