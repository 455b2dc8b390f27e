// The status page served at `/`: one self-contained HTML document (CSS and a little plain
// JavaScript inline, no external asset). Without JavaScript it is the snapshot rendered
// here plus a refresh link; with it, it re-reads /status.json on every /events event.
#pragma once

#include <string>

#include "daemon/core/tree.h"

namespace supd::io::http {

/// The page for `root`'s snapshot at monotonic time `now` (the clock of NodeStatus::since).
/// Every node but the root is one table row `<tr data-path="PATH">`. Pure.
std::string RenderPage(const core::NodeStatus& root, core::Millis now, const std::string& version);

}  // namespace supd::io::http
