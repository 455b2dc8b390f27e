#include "tests/support/temp_dir.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace supd::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/supd-test-XXXXXX";
  REQUIRE_MESSAGE(::mkdtemp(tmpl) != nullptr, "cannot create a temporary directory in /tmp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& text) const {
  std::filesystem::path file = std::filesystem::path(path_) / name;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file) << text;
  return file.string();
}

}  // namespace supd::testing
