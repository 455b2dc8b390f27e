// Internal: error collection and the small vocabulary of messages shared by the parsers.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/json_text.h"
#include "config/loader.h"

namespace supd::config {

/// Collects the semantic errors of one file.
class Diag {
 public:
  Diag(std::string file, std::vector<ConfigError>* errors)
      : file_(std::move(file)), errors_(errors) {}
  /// Records `message` at JSON path `path` of this file.
  void Error(const std::string& path, std::string message);
  const std::string& file() const { return file_; }
  std::size_t count() const { return errors_->size(); }

 private:
  std::string file_;
  std::vector<ConfigError>* errors_;
};

/// `path.key` (or `key` at the top).
std::string Member(const std::string& path, std::string_view key);
/// `path[index]`.
std::string Element(const std::string& path, std::size_t index);
/// The value as JSON, shortened for messages: `5000`, `"fast"`, `{...}`.
std::string Describe(const Json& value);
/// `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
std::string Alternatives(std::initializer_list<std::string_view> words);
/// The closest candidate to `word` by edit distance, if close enough to be a typo.
std::optional<std::string_view> Suggest(std::string_view word,
                                        const std::vector<std::string_view>& candidates);
/// `; did you mean "x"?` or "".
std::string DidYouMean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace supd::config
