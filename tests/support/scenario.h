// The conformance scenarios of tests/data/conformance: the strict parser, the ChildSpec
// tree built from a scenario, the expected traces and their canonical form. Shared by the
// core's conformance test and the end-to-end adapter.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/child_spec.h"

namespace supd::testing {

/// A scenario or trace file that does not follow conformance/README.md.
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How a worker reacts when its supervisor stops it.
enum class SigtermExit { kShutdown, kCrash, kNormal };

/// One node of a scenario tree (README "Tree nodes"), with every default filled in.
struct ScenarioNode {
  std::string id;  ///< "" only for a template without id
  bool supervisor = false;
  // Supervisor keys.
  core::Strategy strategy = core::Strategy::kOneForOne;
  int intensity = 1;
  int period_s = 5;
  core::AutoShutdown auto_shutdown = core::AutoShutdown::kNever;
  std::vector<ScenarioNode> children;
  std::vector<ScenarioNode> child_template;  ///< zero or one node (simple_one_for_one)
  // Keys of every non-root node.
  core::RestartType restart = core::RestartType::kPermanent;
  core::Shutdown shutdown;  ///< workers 5000 ms, supervisors infinity unless given
  bool significant = false;
  // Worker behaviour.
  bool ignores_sigterm = false;
  SigtermExit sigterm_exit = SigtermExit::kShutdown;
};

/// One timed action (README "Actions").
struct ScenarioAction {
  enum class Verb {
    kCrash,
    kExitNormal,
    kExitShutdown,
    kKill,
    kTerminateChild,
    kRestartChild,
    kStartChild,
    kWhichChildren,
    kStopTree
  };
  core::Millis at_ms = 0;
  Verb verb = Verb::kCrash;
  std::string path;  ///< scenario path ("root/..."); empty for stop_tree
  std::string name;  ///< start_child: the instance name
  bool settle = true;
};

/// A whole scenario file.
struct Scenario {
  std::string name;
  std::string description;
  ScenarioNode root;
  std::vector<ScenarioAction> actions;
  core::Millis end_ms = 0;  ///< defaulted to last at_ms + 500
};

/// The verb as written in scenarios and traces ("crash", "terminate_child", ...).
const char* ToString(ScenarioAction::Verb verb);

/// Parses scenario JSON strictly: unknown keys, wrong types and values are errors.
/// Throws ScenarioError naming the JSON location.
Scenario ParseScenario(std::string_view json_text);
/// Reads and parses a file; checks `name` against the file name.
Scenario LoadScenario(const std::string& path);

/// The conformance scenarios and OTP's traces: the repository's copy, tests/data/conformance
/// ($SUPD_CONFORMANCE_DIR overrides it).
std::string ConformanceDir();
/// supd's own extra scenarios, traces produced by the same oracle (OTP 25):
/// tests/data/conformance_extra.
std::string ExtraConformanceDir();
/// Every `scenarios/*.json` under `dir`, sorted by name.
std::vector<std::string> ListScenarioFiles(const std::string& dir = ConformanceDir());
/// `expected/NAME.trace` under `dir`, one string per line.
std::vector<std::string> ReadExpectedTrace(const std::string& name,
                                           const std::string& dir = ConformanceDir());
std::vector<std::string> ReadLines(const std::string& path);

/// Scenario path → supd path: "root" → "", "root/sub/a" → "sub/a".
std::string SupdPath(std::string_view scenario_path);
/// supd path → scenario path: "" → "root", "sub/a" → "root/sub/a".
std::string ScenarioPath(std::string_view supd_path);

/// Makes the argv of a worker from its scenario path and behaviour flags. For the template
/// of a simple_one_for_one supervisor `scenario_path` is the supervisor's path: the
/// instance name comes with start_child (the core driver passes it as the instance id).
/// The nodes passed are those of the Scenario given to BuildChildSpec.
using WorkerCommandFn = std::function<std::vector<std::string>(const std::string& scenario_path,
                                                               const ScenarioNode& node)>;

/// How BuildChildSpec fills the worker specs.
struct SpecOptions {
  WorkerCommandFn command;  ///< default: {"scenario-worker", PATH}
  core::ReadySpec ready;    ///< default: exec
};

/// The supd spec tree of a scenario (root id ""; durations converted: period s → ms).
core::ChildSpec BuildChildSpec(const Scenario& scenario, const SpecOptions& options = {});

/// Supd paths of the simple_one_for_one supervisors of a scenario (scenario paths).
std::vector<std::string> SimpleOneForOnePaths(const Scenario& scenario);
/// README "canonical form": sorts each maximal run of consecutive `stop` lines whose
/// paths are instances of one simple_one_for_one supervisor.
std::vector<std::string> CanonicalTrace(std::vector<std::string> lines,
                                        const std::vector<std::string>& sofo_paths);
/// A readable line diff, empty when equal.
std::string DiffTraces(const std::vector<std::string>& expected,
                       const std::vector<std::string>& actual);

}  // namespace supd::testing
