#include "protocol/view.h"

#include <algorithm>

namespace supd::protocol {

using nlohmann::json;

namespace {

std::string StringOr(const json& j, const char* key, std::string fallback = {}) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string_view LastId(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::optional<ReplyView> ParseReply(std::string_view line) {
  json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto ok = j.find("ok");
  if (ok == j.end() || !ok->is_boolean()) return std::nullopt;
  ReplyView r;
  r.ok = ok->get<bool>();
  r.error = StringOr(j, "error");
  r.message = StringOr(j, "message");
  r.body = std::move(j);
  return r;
}

std::vector<std::string> AllPaths(const NodeView& node) {
  std::vector<std::string> out{node.path};
  for (const NodeView& c : node.children) {
    auto sub = AllPaths(c);
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

std::optional<std::string> ClosestPath(std::string_view wanted,
                                       const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_score = SIZE_MAX;
  for (const std::string& c : candidates) {
    if (c.empty() || c == wanted) continue;
    std::size_t whole = EditDistance(wanted, c);
    // A bare id ("index") for a nested child ("pipeline/index") is a likely mistake too.
    std::size_t last = EditDistance(wanted, LastId(c)) + 1;
    std::size_t score = std::min(whole, last);
    std::size_t allowed = std::max<std::size_t>(2, std::min(wanted.size(), c.size()) / 3);
    if (score <= allowed && score < best_score) {
      best_score = score;
      best = c;
    }
  }
  return best;
}

}  // namespace supd::protocol
