// One connection to supd for the length of a verb: request/reply with a deadline, error
// printing in supctl's words (with "did you mean" for unknown paths).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/client.h"
#include "cli/commands.h"
#include "protocol/view.h"

namespace supd::cli {

class Session {
 public:
  explicit Session(const Globals& g) : g_(g) {}

  /// Deadline of a request sent now, per --timeout.
  Deadline DefaultDeadline() const;
  /// Sends `request`, reads one reply. On a transport failure prints the error and
  /// returns nullopt; failure_code() then says which exit code fits. `raw` gets the line.
  std::optional<protocol::ReplyView> Call(const nlohmann::json& request, Deadline deadline,
                                          std::string* raw = nullptr);
  /// Call() as most verbs want it: prints the raw reply under --json and an error reply's
  /// message (about `path`, see PrintError); returns the reply only when it is ok, else
  /// nullopt with failure_code() set. `deadline` defaults to DefaultDeadline().
  std::optional<protocol::ReplyView> CallOk(const nlohmann::json& request,
                                            const std::string& path = {},
                                            std::optional<Deadline> deadline = std::nullopt);
  /// A request whose reply carries a NODE (`status`): read in one pass, without a JSON
  /// tree. Prints the raw reply under --json and errors like CallOk; nullopt on failure
  /// (failure_code() set). `keep_children` false: the NODE is only checked, the result
  /// has no children (a caller that only prints the raw reply).
  std::optional<protocol::NodeView> CallNode(const nlohmann::json& request,
                                             const std::string& path, bool keep_children = true);
  /// CallNode that hands every node to `visit` (protocol::VisitNodeReply) instead of
  /// keeping the tree; the result is the root without children. A reply that visiting
  /// cannot read as a JSON tree would is read again whole and walked, after `restart()`
  /// (drop what was visited).
  std::optional<protocol::NodeView> CallNodeVisit(const nlohmann::json& request,
                                                  const std::string& path,
                                                  const protocol::NodeVisitor& visit,
                                                  const std::function<void()>& restart);
  /// Next streamed line (events -f, log -f); false at the end of the stream.
  bool ReadStreamLine(std::string* line);
  /// Prints "supctl: MESSAGE" for an error reply; for not_found about `path`, adds
  /// "(did you mean ...?)" from a status of the tree.
  void PrintError(const protocol::ReplyView& reply, const std::string& path = {});
  int failure_code() const { return failure_code_; }
  /// True when the daemon closed the connection instead of replying (shutdown).
  bool closed_without_reply() const { return closed_; }
  /// Do not report a connection closed without a reply (shutdown: supd may exit first).
  void set_eof_expected(bool expected) { eof_expected_ = expected; }

 private:
  bool Open();
  /// Sends `request` and reads one reply line; prints transport errors. The line lives in
  /// the client's buffer until the next Exchange.
  std::optional<std::string_view> Exchange(const nlohmann::json& request, Deadline deadline);
  /// The common end of CallNode*: prints the raw `line` under --json, errors; the node.
  std::optional<protocol::NodeView> NodeReply(std::string_view line,
                                              std::optional<protocol::NodeReply> reply,
                                              const std::string& path);

  const Globals& g_;
  Client client_;
  int failure_code_ = kExitFailed;
  bool closed_ = false;
  bool eof_expected_ = false;
};

/// Prints "supctl: " + message to stderr.
void PrintErr(const std::string& message);

}  // namespace supd::cli
