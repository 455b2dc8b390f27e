// Skipping a test honestly: a test that cannot run here (not root, no cgroup v2, a tool
// missing, a sanitizer build) calls Skip() and returns. CTest then shows it as "Skipped"
// rather than "Passed": tests/doctest_main.cc exits with kSkipExitCode when every test case
// it ran skipped itself, and tests/CMakeLists.txt maps that code with SKIP_RETURN_CODE
// (each CTest test runs one test case).
#pragma once

#include <string>

namespace supd::testing {

/// The exit code of a test binary whose test cases all skipped themselves (automake's 77).
inline constexpr int kSkipExitCode = 77;

/// Marks the running test case as skipped and says why (a doctest MESSAGE). The caller
/// returns right after: what the test has checked so far still counts.
void Skip(const std::string& reason);

}  // namespace supd::testing

/// Skips the running test case with `reason` and returns from it.
#define SUPD_SKIP(reason)              \
  do {                                 \
    ::supd::testing::Skip(reason);     \
    return;                            \
  } while (0)
