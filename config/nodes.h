// Internal: the parsers of tree nodes (root, supervisors, workers, templates).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/diag.h"
#include "daemon/core/child_spec.h"

namespace supd::config {

/// Keys every child may have, workers may have, supervisors may have.
extern const std::vector<std::string_view> kChildKeys;
extern const std::vector<std::string_view> kWorkerKeys;
extern const std::vector<std::string_view> kSupervisorKeys;

/// An `include` pattern as written and the JSON path it came from.
struct IncludePattern {
  std::string pattern;
  std::string path;
};

/// A node in `children` (with an id) or a simple_one_for_one `template` (a worker, no id).
enum class NodeRole { kChild, kTemplate };

/// Parses a node of either role at `path`. Always returns a spec (best effort).
core::ChildSpec ParseNode(Diag& diag, const Json& node, const std::string& path,
                          core::AutoShutdown parent_auto_shutdown, NodeRole role);

/// Parses the supervisor keys of `node` (the child keys are handled by the caller),
/// recursing into `children` and `template`.
core::SupervisorSpec ParseSupervisorKeys(Diag& diag, const Json& node, const std::string& path);

/// Parses a child object (worker or supervisor) at `path`; `parent_auto_shutdown` decides
/// whether `significant` is allowed. Always returns a spec (best effort); errors go to
/// `diag`.
core::ChildSpec ParseChild(Diag& diag, const Json& node, const std::string& path,
                           core::AutoShutdown parent_auto_shutdown);

/// Parses the top-level object as the root supervisor, ignoring `daemon` (parsed
/// elsewhere) and collecting `include` patterns into `includes`.
core::SupervisorSpec ParseRoot(Diag& diag, const Json& root, std::vector<IncludePattern>& includes);

/// Parses the worker keys of `node` (the child keys are handled by the caller).
core::WorkerSpec ParseWorkerKeys(Diag& diag, const Json& node, const std::string& path);

/// Parses the `daemon` section and fills the uid-dependent defaults.
core::DaemonSpec ParseDaemon(Diag& diag, const Json* section, const std::string& path);

/// The value of `key` in object `obj`, or nullptr.
const Json* Find(const Json& obj, std::string_view key);

}  // namespace supd::config
