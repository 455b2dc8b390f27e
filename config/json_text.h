// Internal: JSON text -> ordered_json, with line/column errors, a depth limit and a
// duplicate-key check, so that hostile input can neither crash nor mislead the loader.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace supd::config {

using Json = nlohmann::ordered_json;  // keeps keys in file order (errors, env order)

/// Deepest nesting of arrays/objects accepted; the top-level object is depth 1.
inline constexpr int kMaxJsonDepth = 64;

/// A syntax error at a 1-based line and column (columns count UTF-8 characters).
struct JsonSyntaxError {
  int line = 0;
  int column = 0;
  std::string message;
};

/// Parses `text` as strict JSON (no comments, no trailing data). Never recurses on the
/// input's nesting and never throws. Fills `error` and returns nullopt on failure.
std::optional<Json> ParseJson(std::string_view text, JsonSyntaxError& error);

/// The 1-based line and column of byte `offset` in `text` (offset clamped to the size).
void LineColumn(std::string_view text, std::size_t offset, int& line, int& column);

}  // namespace supd::config
