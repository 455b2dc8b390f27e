// Writes one JSON object straight into a string, for replies too large to build as a
// nlohmann::json tree first: a status of 1,000 nodes spent most of supd's time building,
// dumping and freeing that tree (bench/RESULTS.md, issue 16). Strings that are not plain
// printable ASCII are escaped by nlohmann/json itself (invalid UTF-8 becomes U+FFFD, as in
// every other reply), so the escaping rules live in one place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace supd::protocol {

class JsonObjectWriter {
 public:
  /// Opens an object at the end of `out`; Close() ends it.
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
  JsonObjectWriter(const JsonObjectWriter&) = delete;
  JsonObjectWriter& operator=(const JsonObjectWriter&) = delete;

  void String(std::string_view key, std::string_view value);
  void Int(std::string_view key, std::int64_t value);
  void Uint(std::string_view key, std::uint64_t value);
  /// As nlohmann/json prints it: shortest round-trip form, integral values with ".0".
  void Double(std::string_view key, double value);
  void Bool(std::string_view key, bool value);
  void Null(std::string_view key);
  /// `key` followed by JSON text the caller wrote into out() after this call.
  std::string& Key(std::string_view key);
  void Close() { out_.push_back('}'); }

  /// Appends `s` as a JSON string literal.
  static void AppendString(std::string& out, std::string_view s);

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace supd::protocol
