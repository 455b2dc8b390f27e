// Human output of supctl: the status table, the tree, event lines. Pure text.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/view.h"

namespace supd::cli {

/// Whether to colour stdout: a terminal, and NO_COLOR unset or empty.
bool UseColor();

/// "(root)" for "", else the path.
std::string DisplayPath(const std::string& path);
/// "exit 1 (abnormal)", "SIGKILL (shutdown)", "-".
std::string FormatExit(const std::optional<protocol::NodeView::Exit>& exit);

/// Time from spawn to ready: "850ms", "1.2s", then as common::FormatDurationCompact
/// ("2m05s").
std::string FormatReadyAfter(long long ms);
/// PATH STATE PID UPTIME READY IN RESTARTS LAST EXIT KILL [STATUS TEXT]; each subtree
/// indented under its node. STATUS TEXT (sd_notify STATUS=) only when some node has one.
/// `now` is the current unix time.
std::string StatusTable(const std::vector<protocol::NodeView>& nodes, double now, bool color);
/// The tree drawn with ├─ └─, one node a line with its state and a few details.
std::string TreeView(const protocol::NodeView& root, double now, bool color);
/// One event object as a line: time, event, path, pid, exit, detail.
std::string FormatEvent(const nlohmann::json& event, bool color);

}  // namespace supd::cli
