// Human output of supctl: the status table, the tree, event lines. Pure text.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
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
constexpr int kStatusColumns = 9;
/// The status table: PATH STATE PID UPTIME READY IN RESTARTS LAST EXIT KILL [STATUS TEXT],
/// each subtree indented under its node; STATUS TEXT (sd_notify STATUS=) only when some node
/// has one. Built a node at a time, keeping only each row's text: the nodes are read one by
/// one (protocol::VisitNodeReply) and never held as a tree.
class StatusTableBuilder {
 public:
  StatusTableBuilder(double now, bool color);
  /// Room for `rows` rows and `text_bytes` of cell text (a hint).
  void Reserve(std::size_t rows, std::size_t text_bytes);
  /// The row of `n` (its children are not looked at), indented by `depth`, as row `slot`
  /// of the table (rows may come in any order; Add again to a slot replaces it).
  void Add(const protocol::NodeView& n, int depth, std::size_t slot);
  /// The current unix time, for the uptimes of the rows added from now on.
  void set_now(double now) { now_ = now; }
  /// Rows from `slot` on are dropped.
  void Truncate(std::size_t slot) { rows_.resize(std::min(slot, rows_.size())); }
  std::size_t size() const { return rows_.size(); }
  /// The table, header first, handed to `sink` a chunk of whole lines at a time.
  void Write(const std::function<void(std::string_view)>& sink) const;

  /// One row's cells, reused from row to row.
  struct Row {
    std::string cells[kStatusColumns];
  };

 private:
  struct RowRef {
    std::uint32_t start = 0;  ///< its cells in text_, each as its length then its bytes
    std::uint32_t color = 0;  ///< the state's colour, an index
  };
  double now_;
  bool color_;
  Row row_;
  std::vector<RowRef> rows_;
  std::string text_;
};
/// The tree drawn with ├─ └─, one node a line with its state and a few details.
std::string TreeView(const protocol::NodeView& root, double now, bool color);
/// One event object as a line: time, event, path, pid, exit, detail.
std::string FormatEvent(const nlohmann::json& event, bool color);

}  // namespace supd::cli
