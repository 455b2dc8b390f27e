// Client-side reading of replies (what supctl needs): reply lines, NODE objects, path
// suggestions. Pure; never throws.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace supd::protocol {

/// A reply line: `ok`, and for errors `error` + `message`; `body` is the whole object.
struct ReplyView {
  bool ok = false;
  std::string error;    ///< e.g. "not_found"
  std::string message;
  nlohmann::json body;
};

/// nullopt when `line` is not a JSON object with a boolean "ok".
std::optional<ReplyView> ParseReply(std::string_view line);

/// A NODE as the client sees it.
struct NodeView {
  std::string path, id;
  bool supervisor = false;
  std::string state;
  std::optional<int> pid;
  double since = 0;
  int restarts = 0;
  struct Exit {
    std::optional<int> code;
    std::string signal;  ///< "SIGKILL" when killed by a signal
    std::string reason;
    std::string error;   ///< the failed spawn step and errno when the child never ran
  };
  std::optional<Exit> last_exit;
  bool ready = false;
  std::string restart;    ///< "permanent", ... ("" when the daemon did not say)
  std::string kill_mode;  ///< workers: the mode in force
  std::string status_text;
  std::optional<long long> ready_after_ms;  ///< spawn to ready, last start (when known)
  bool operator_stopped = false;
  bool autostart_off = false;  ///< `autostart: false`, not started by an operator yet
  bool dynamic = false;
  std::string log_error;         ///< workers: the log destination failing ("" = fine)
  unsigned long long log_dropped = 0;  ///< workers: bytes of output dropped
  std::vector<NodeView> children;
};

/// NODE text (protocol/node_reader.cc reads it in one pass, no JSON tree). nullopt when
/// it is not a JSON object with string "path" and "state", or a child is not a NODE.
std::optional<NodeView> ParseNode(std::string_view text);
/// The same for a NODE already parsed into JSON.
std::optional<NodeView> NodeFromJson(const nlohmann::json& j);

/// A reply carrying a NODE (`status`, a satisfied `wait`), read in one pass: `head` as
/// ParseReply gives it but without `body`, `node` when the reply holds a valid "node".
struct NodeReply {
  ReplyView head;
  std::optional<NodeView> node;
};
/// nullopt when `line` is not a JSON object with a boolean "ok" (as ParseReply).
/// `keep_node` false: the NODE is only checked, `node` then holds just the root's own
/// fields (no children), for a caller that prints the text as it came (--json).
std::optional<NodeReply> ParseNodeReply(std::string_view line, bool keep_node = true);

/// Called for each node of a NODE once its object is read: the node without its children,
/// its depth below the NODE's root, its slot (place in depth-first start order, the root's
/// 0). The text lists a node's "children" before its other keys, so children usually come
/// first; slots give the order.
using NodeVisitor = std::function<void(const NodeView& node, int depth, std::size_t slot)>;
/// ParseNodeReply(line, false) that also hands every valid node to `visit`: for a caller
/// that keeps a few fields per node, without the ~400 bytes of each NodeView (a status
/// table of 1,000 children). When the NODE turns out invalid, `node` is nullopt and what
/// was visited is moot. `unusual` true: "node" or some node's "children" was given twice,
/// which visiting cannot read as a JSON tree does (the later wins): read the line again
/// with ParseNodeReply.
std::optional<NodeReply> VisitNodeReply(std::string_view line, const NodeVisitor& visit,
                                        bool* unusual);

/// Every path in the subtree, the node's own first (depth-first, start order).
std::vector<std::string> AllPaths(const NodeView& node);
/// The closest of `candidates` to `wanted` (edit distance on paths and last ids), or
/// nullopt when nothing is close enough to be a plausible typo.
std::optional<std::string> ClosestPath(std::string_view wanted,
                                       const std::vector<std::string>& candidates);

}  // namespace supd::protocol
