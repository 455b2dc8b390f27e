#include "protocol/view.h"

#include <algorithm>

namespace supd::protocol {

using nlohmann::json;

namespace {

std::string StringOr(const json& j, const char* key, std::string fallback = {}) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool BoolOr(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
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

std::optional<NodeView> NodeFromJson(const json& j) {
  if (!j.is_object()) return std::nullopt;
  auto path = j.find("path");
  auto state = j.find("state");
  if (path == j.end() || !path->is_string() || state == j.end() || !state->is_string()) {
    return std::nullopt;
  }
  NodeView n;
  n.path = path->get<std::string>();
  n.id = StringOr(j, "id");
  n.supervisor = StringOr(j, "kind") == "supervisor";
  n.state = state->get<std::string>();
  if (auto it = j.find("pid"); it != j.end() && it->is_number_integer()) n.pid = it->get<int>();
  if (auto it = j.find("since"); it != j.end() && it->is_number()) n.since = it->get<double>();
  if (auto it = j.find("restarts"); it != j.end() && it->is_number_integer()) {
    n.restarts = it->get<int>();
  }
  if (auto it = j.find("last_exit"); it != j.end() && it->is_object()) {
    NodeView::Exit e;
    if (auto c = it->find("code"); c != it->end() && c->is_number_integer()) e.code = c->get<int>();
    e.signal = StringOr(*it, "signal");
    e.reason = StringOr(*it, "reason");
    e.error = StringOr(*it, "error");
    n.last_exit = std::move(e);
  }
  n.ready = BoolOr(j, "ready", false);
  n.restart = StringOr(j, "restart");
  n.kill_mode = StringOr(j, "kill_mode");
  n.status_text = StringOr(j, "status_text");
  if (auto it = j.find("ready_after_ms"); it != j.end() && it->is_number_integer()) {
    n.ready_after_ms = it->get<long long>();
  }
  n.operator_stopped = BoolOr(j, "operator_stopped", false);
  n.autostart_off = BoolOr(j, "autostart_off", false);
  n.dynamic = BoolOr(j, "dynamic", false);
  n.log_error = StringOr(j, "log_error");
  if (auto it = j.find("log_dropped"); it != j.end() && it->is_number_unsigned()) {
    n.log_dropped = it->get<unsigned long long>();
  }
  if (auto it = j.find("children"); it != j.end() && it->is_array()) {
    for (const json& c : *it) {
      auto child = NodeFromJson(c);
      if (!child) return std::nullopt;
      n.children.push_back(std::move(*child));
    }
  }
  return n;
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
