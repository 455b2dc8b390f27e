// Helpers shared by the import unit tests: a scratch directory and the committed inputs.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace supd::cli::import::testing {

/// tests/data/import/NAME in the source tree.
inline std::string DataPath(const std::string& name) {
  std::string path = SUPD_SOURCE_DIR;  // appended in steps: GCC 12 misreads a + chain here
  path += "/tests/data/import/";
  path += name;
  return path;
}

/// A fresh temporary directory, removed with its content at scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "supd-import-test-XXXXXX").string();
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  /// Writes NAME (creating its directories); `mode` is applied when non-zero.
  std::string Write(const std::string& name, const std::string& text, int mode = 0) const {
    std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
    if (mode != 0) std::filesystem::permissions(file, static_cast<std::filesystem::perms>(mode));
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// Whether some note contains `part`.
inline bool HasNote(const std::vector<std::string>& notes, const std::string& part) {
  return std::any_of(notes.begin(), notes.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

}  // namespace supd::cli::import::testing
