// A fresh directory for one test, removed with its content when the test ends.
#pragma once

#include <string>

namespace supd::testing {

/// A fresh directory under /tmp (mkdtemp), removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// `path()/name` (nothing is created).
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  /// Writes `text` to `path()/name`, creating the directories it names; returns the path.
  std::string Write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

}  // namespace supd::testing
