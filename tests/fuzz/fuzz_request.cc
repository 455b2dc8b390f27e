// libFuzzer target: the control protocol on both sides. Any line given to the server's
// request parser yields a valid Request or an error with a message, never a crash or an
// exception; the client's reply and NODE readers take any line too.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "protocol/request.h"
#include "protocol/view.h"

namespace {

void CheckRequest(const supd::protocol::Request& r) {
  using supd::protocol::Cmd;
  if (!supd::protocol::IsValidPath(r.path)) __builtin_trap();
  if (r.cmd == Cmd::kSignal && (r.signo < 1 || r.signo > 64)) __builtin_trap();
  if (r.cmd == Cmd::kWait) {
    if (!supd::protocol::IsWaitableState(r.state)) __builtin_trap();
    if (r.timeout < 0 || r.timeout > supd::protocol::kMaxWaitTimeout) __builtin_trap();
  }
  if (r.cmd == Cmd::kLog && r.lines < 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace supd::protocol;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseRequest(line);
  if (const auto* r = std::get_if<Request>(&parsed)) {
    CheckRequest(*r);
  } else {
    const auto& e = std::get<RequestError>(parsed);
    if (e.message.empty() || e.code == supd::core::ErrorCode::kNone) __builtin_trap();
  }
  // What supctl does with a status reply: read in one pass, it must agree with the JSON
  // tree's reading (validity, head, the node's paths).
  auto fast = ParseNodeReply(line);
  auto slow = ParseReply(line);
  if (fast.has_value() != slow.has_value()) __builtin_trap();
  if (slow) {
    if (fast->head.ok != slow->ok || fast->head.error != slow->error) __builtin_trap();
    std::optional<NodeView> want;
    if (auto it = slow->body.find("node"); it != slow->body.end()) want = NodeFromJson(*it);
    if (fast->node.has_value() != want.has_value()) __builtin_trap();
    if (want && AllPaths(*fast->node) != AllPaths(*want)) __builtin_trap();
  }
  // supctl status visits the nodes: the same verdict, and (unless it says to read the
  // tree) every node of the tree once, in slots 0..n-1.
  bool unusual = false;
  std::size_t visits = 0, slots = 0;
  auto visited = VisitNodeReply(
      line,
      [&](const NodeView& n, int depth, std::size_t slot) {
        if (!n.children.empty() || depth < 0) __builtin_trap();
        ++visits;
        slots += slot;
      },
      &unusual);
  if (visited.has_value() != fast.has_value()) __builtin_trap();
  if (fast &&
      (visited->head.ok != fast->head.ok || visited->node.has_value() != fast->node.has_value())) {
    __builtin_trap();
  }
  if (fast && fast->node && !unusual) {
    std::size_t n = AllPaths(*fast->node).size();
    if (visits != n || slots != n * (n - 1) / 2) __builtin_trap();
  }
  // status --json only checks the NODE: the same verdict as reading it.
  auto checked = ParseNodeReply(line, /*keep_node=*/false);
  if (checked.has_value() != fast.has_value()) __builtin_trap();
  if (fast && (checked->head.ok != fast->head.ok || checked->head.error != fast->head.error ||
               checked->node.has_value() != fast->node.has_value())) {
    __builtin_trap();
  }
  // What supctl does with a reply line: the NODE of a status reply, its paths, a typo hint.
  if (auto reply = ParseReply(line)) {
    if (!reply->body.is_object()) __builtin_trap();
    if (auto it = reply->body.find("node"); it != reply->body.end()) {
      if (auto node = NodeFromJson(*it)) {
        auto paths = AllPaths(*node);
        if (paths.empty() || paths.front() != node->path) __builtin_trap();
        (void)ClosestPath(node->id, paths);
      }
    }
  }
  return 0;
}
