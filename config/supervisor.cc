// Parsing of the supervisor keys (README, "Config reference").
#include <map>

#include "config/fields.h"
#include "config/nodes.h"
#include "common/units.h"

namespace supd::config {
namespace {

using core::AutoShutdown;
using core::Strategy;

void CheckDuplicateIds(Diag& diag, const std::vector<core::ChildSpec>& children,
                       const std::string& path) {
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < children.size(); ++i) {
    const std::string& id = children[i].id;
    if (id.empty()) continue;  // missing or invalid: reported already
    auto [it, fresh] = seen.emplace(id, i);
    if (!fresh) {
      diag.Error(Member(Element(path, i), "id"),
                 "duplicate id \"" + id + "\" (also " + Element(path, it->second) + ")");
    }
  }
}

void ParseChildren(Diag& diag, const Json& v, const std::string& path, core::SupervisorSpec& sup) {
  if (!v.is_array()) {
    Expected(diag, v, path, "an array of child objects");
    return;
  }
  for (std::size_t i = 0; i < v.size(); ++i) {
    sup.children.push_back(
        ParseNode(diag, v[i], Element(path, i), sup.auto_shutdown, NodeRole::kChild));
  }
  CheckDuplicateIds(diag, sup.children, path);
}

std::optional<core::BackoffSpec> ParseBackoff(Diag& diag, const Json& v, const std::string& path) {
  if (!v.is_object()) {
    Expected(diag, v, path, "an object like {\"initial\": \"1s\", \"max\": \"1m\"}");
    return std::nullopt;
  }
  core::BackoffSpec b;
  std::size_t errors = diag.count();
  CheckKeys(diag, v, path, {"initial", "max", "multiplier", "jitter", "reset_after"});
  auto at = [&](std::string_view key) { return Member(path, key); };
  if (const Json* x = Find(v, "initial"))
    b.initial = ReadDuration(diag, *x, at("initial"), 1).value_or(b.initial);
  if (const Json* x = Find(v, "max")) b.max = ReadDuration(diag, *x, at("max"), 1).value_or(b.max);
  if (const Json* x = Find(v, "multiplier"))
    b.multiplier = ReadNumber(diag, *x, at("multiplier"), 1.0, 1000.0).value_or(b.multiplier);
  if (const Json* x = Find(v, "jitter"))
    b.jitter = ReadNumber(diag, *x, at("jitter"), 0.0, 1.0).value_or(b.jitter);
  if (const Json* x = Find(v, "reset_after"))
    b.reset_after = ReadDuration(diag, *x, at("reset_after")).value_or(0);
  if (diag.count() == errors && b.initial > b.max) {
    diag.Error(path, "initial (" + common::FormatDuration(b.initial) +
                         ") must not exceed max (" + common::FormatDuration(b.max) + ")");
  }
  return b;
}

}  // namespace

core::SupervisorSpec ParseSupervisorKeys(Diag& diag, const Json& node, const std::string& path) {
  core::SupervisorSpec sup;
  auto at = [&](std::string_view key) { return Member(path, key); };
  if (const Json* v = Find(node, "strategy")) {
    sup.strategy = ReadEnum<Strategy>(diag, *v, at("strategy"))
                       .value_or(sup.strategy);
  }
  if (const Json* v = Find(node, "intensity")) {
    sup.intensity = static_cast<int>(ReadInt(diag, *v, at("intensity"), 0, 1000000).value_or(1));
  }
  if (const Json* v = Find(node, "period")) {
    sup.period = ReadDuration(diag, *v, at("period"), 1).value_or(sup.period);
  }
  if (const Json* v = Find(node, "auto_shutdown")) {
    sup.auto_shutdown = ReadEnum<AutoShutdown>(diag, *v, at("auto_shutdown"))
                            .value_or(sup.auto_shutdown);
  }
  if (const Json* v = Find(node, "restart_mode")) {
    sup.restart_mode = ReadEnum<core::RestartMode>(diag, *v, at("restart_mode"))
                           .value_or(sup.restart_mode);
  }
  if (const Json* v = Find(node, "restart_order")) {
    sup.restart_order =
        ReadEnum<core::RestartOrder>(diag, *v, at("restart_order"))
            .value_or(sup.restart_order);
  }
  if (const Json* v = Find(node, "stop_order")) {
    sup.stop_order = ReadEnum<core::StopOrder>(diag, *v, at("stop_order"))
                         .value_or(sup.stop_order);
  }
  if (const Json* v = Find(node, "backoff")) sup.backoff = ParseBackoff(diag, *v, at("backoff"));

  bool simple = sup.strategy == Strategy::kSimpleOneForOne;
  std::string not_simple = "only allowed with strategy \"simple_one_for_one\", not \"" +
                           std::string(core::ToString(sup.strategy)) + "\"";
  if (const Json* v = Find(node, "template")) {
    if (!simple)
      diag.Error(at("template"), not_simple);
    else
      sup.child_template =
          ParseNode(diag, *v, at("template"), sup.auto_shutdown, NodeRole::kTemplate);
  } else if (simple && Find(node, "strategy")->is_string()) {
    diag.Error(path,
               "strategy \"simple_one_for_one\" needs a \"template\" (the worker spec "
               "of its instances)");
  }
  if (const Json* v = Find(node, "max_children")) {
    if (!simple)
      diag.Error(at("max_children"), not_simple);
    else if (auto n = ReadInt(diag, *v, at("max_children"), 1, 1000000000))
      sup.max_children = *n;
  }
  if (const Json* v = Find(node, "children")) {
    if (simple) {
      diag.Error(at("children"),
                 "not allowed with strategy \"simple_one_for_one\" (its "
                 "children are instances of \"template\")");
    } else {
      ParseChildren(diag, *v, at("children"), sup);
    }
  }
  return sup;
}

}  // namespace supd::config
