// Human output of supctl: the status table, the tree, event lines. Pure text.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/protocol/view.h"

namespace supd::cli {

/// Whether to colour stdout: a terminal, and NO_COLOR unset or empty.
bool UseColor();

/// "(root)" for "", else the path.
std::string DisplayPath(const std::string& path);
/// "exit 1 (abnormal)", "SIGKILL (shutdown)", "-".
std::string FormatExit(const std::optional<protocol::NodeView::Exit>& exit);

/// PATH STATE PID UPTIME RESTARTS LAST EXIT KILL; each subtree indented under its node.
/// `now` is the current unix time.
std::string StatusTable(const std::vector<protocol::NodeView>& nodes, double now, bool color);
/// The tree drawn with ├─ └─, one node a line with its state and a few details.
std::string TreeView(const protocol::NodeView& root, double now, bool color);
/// One event object as a line: time, event, path, pid, exit, detail.
std::string FormatEvent(const nlohmann::json& event, bool color);

}  // namespace supd::cli
