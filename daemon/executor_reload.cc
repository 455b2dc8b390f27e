// Executor: reloads. Reading and checking the new config is I/O and happens here; what
// changes is decided by the pure plan (daemon/core/reload_plan) and carried out by the
// core (Supervisor::Reload) as its usual steps. Reloads run one after another.
#include <memory>
#include <utility>

#include "daemon/executor.h"
#include "daemon/spec_check.h"

namespace supd {

void Executor::Reload(ReloadOptions options,
                      std::function<void(const protocol::ReloadOutcome&)> done) {
  reloads_.push_back({options, std::move(done)});
  NextReload();
}

protocol::ReloadOutcome Executor::PlanReload(const ReloadOptions& options,
                                             std::optional<core::Config>* next) {
  protocol::ReloadOutcome outcome;
  outcome.dry_run = options.dry_run;
  config::LoadResult loaded = LoadChecked(config_.path, *io_.processes);
  if (loaded.config &&
      core::Compare(config_.root, loaded.config->root) == core::SpecChange::kReplace) {
    loaded.errors.push_back(config::ConfigError{
        config_.path, "strategy", 0, 0,
        "the root cannot change to or from simple_one_for_one while supd runs "
        "(restart supd to apply it)"});
    loaded.config.reset();
  }
  if (!loaded.config) {
    outcome.error = core::ErrorCode::kInvalidConfig;
    outcome.errors = std::move(loaded.errors);
    outcome.message = std::to_string(outcome.errors.size()) + " error(s) in " + config_.path +
                      "; nothing changed";
    return outcome;
  }
  outcome.plan = core::PlanReload(config_, *loaded.config, options.restart_instances);
  *next = std::move(loaded.config);
  return outcome;
}

void Executor::NextReload() {
  while (!reloading_ && !reloads_.empty()) {
    QueuedReload job = std::move(reloads_.front());
    reloads_.pop_front();
    std::optional<core::Config> next;
    protocol::ReloadOutcome outcome = PlanReload(job.options, &next);
    if (!next || job.options.dry_run) {
      job.done(outcome);
      continue;
    }
    reloading_ = true;
    for (const std::string& w : outcome.plan.warnings) log_.Warn("reload: " + w);
    core::ReloadRequest request;
    request.request = next_request_++;
    request.root = std::make_shared<const core::ChildSpec>(next->root);
    request.restart_instances = job.options.restart_instances;
    request.summary = outcome.plan.Summary();
    request.on_root_give_up = next->daemon.on_root_give_up;
    pending_[request.request] = [this, outcome, applied = std::move(*next),
                                 done = std::move(job.done)](const core::Reply&) mutable {
      config_ = std::move(applied);
      release_all_logs_ = true;  // removed children (stopped ones too) give back their capture
      if (on_reloaded_) on_reloaded_(config_.daemon);
      reloading_ = false;
      done(outcome);
      NextReload();
    };
    Feed(std::move(request));
  }
}

}  // namespace supd
