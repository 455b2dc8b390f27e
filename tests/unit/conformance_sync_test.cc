// The repository's copy of the conformance scenarios (tests/data/conformance) against an
// upstream copy named by $SUPD_CONFORMANCE_UPSTREAM (the set the project was given, wherever
// it lives), when that is set. A scenario added or changed there fails here until it is
// copied. The repository never reaches outside itself on its own: without the variable the
// test reports itself skipped.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include "tests/support/scenario.h"
#include "tests/support/skip.h"

namespace supd::testing {
namespace {

namespace fs = std::filesystem;

// Every regular file below `dir`, as paths relative to it.
std::set<std::string> FilesUnder(const fs::path& dir) {
  std::set<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files.insert(fs::relative(e.path(), dir).string());
  }
  return files;
}

std::string Contents(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_CASE("conformance data: the repository's copy is the upstream one") {
  const char* upstream = std::getenv("SUPD_CONFORMANCE_UPSTREAM");
  if (upstream == nullptr || *upstream == '\0') {
    SUPD_SKIP("SUPD_CONFORMANCE_UPSTREAM is not set: the repository's copy is used as it is "
              "(set it to a directory of scenarios to compare the copy with it)");
  }
  const fs::path shared = fs::path(upstream).lexically_normal();
  const fs::path ours = SUPD_CONFORMANCE_DIR;
  REQUIRE_MESSAGE(fs::is_directory(shared),
                  "SUPD_CONFORMANCE_UPSTREAM=" << upstream << " is not a directory");
  const std::set<std::string> theirs = FilesUnder(shared);
  const std::set<std::string> mine = FilesUnder(ours);
  REQUIRE_FALSE(theirs.empty());
  std::ostringstream fix;
  for (const std::string& f : theirs) {
    if (!mine.count(f)) {
      FAIL_CHECK("new in the upstream copy: " << f);
      fix << "  cp " << (shared / f).string() << " " << (ours / f).string() << "\n";
    } else if (Contents(shared / f) != Contents(ours / f)) {
      FAIL_CHECK("changed in the upstream copy: " << f);
      fix << "  cp " << (shared / f).string() << " " << (ours / f).string() << "\n";
    }
  }
  for (const std::string& f : mine) {
    if (!theirs.count(f)) FAIL_CHECK("gone from the upstream copy: " << f << " (git rm it?)");
  }
  if (!fix.str().empty()) {
    MESSAGE("bring tests/data/conformance up to date, then commit:\n" << fix.str());
  }
}

TEST_CASE("conformance data: every scenario has its expected trace") {
  for (const std::string& dir : {ConformanceDir(), ExtraConformanceDir()}) {
    const auto files = ListScenarioFiles(dir);
    CHECK_MESSAGE(!files.empty(), "no scenarios under " << dir);
    for (const std::string& file : files) {
      const fs::path trace =
          fs::path(dir) / "expected" / (fs::path(file).stem().string() + ".trace");
      CHECK_MESSAGE(fs::is_regular_file(trace), file << " has no " << trace.string());
    }
  }
}

}  // namespace
}  // namespace supd::testing
