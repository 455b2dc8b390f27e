#include "cli/session.h"

#include <cstdio>

#include "common/units.h"
#include "protocol/reply.h"

namespace supd::cli {

void PrintErr(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "supctl: %s\n", message.c_str());
}

Deadline Session::DefaultDeadline() const {
  return Clock::now() + std::chrono::milliseconds(g_.timeout);
}

bool Session::Open() {
  if (client_.connected()) return true;
  std::string error;
  if (!client_.Connect(g_.socket, DefaultDeadline(), &error)) {
    PrintErr("cannot reach supd at " + g_.socket + ": " + error + "; is supd running?");
    failure_code_ = kExitUnreachable;
    return false;
  }
  return true;
}

std::optional<protocol::ReplyView> Session::CallOk(const nlohmann::json& request,
                                                   const std::string& path,
                                                   std::optional<Deadline> deadline) {
  std::string raw;
  auto reply = Call(request, deadline ? *deadline : DefaultDeadline(), &raw);
  if (!reply) return std::nullopt;
  if (g_.json) std::printf("%s\n", raw.c_str());
  if (!reply->ok) {
    PrintError(*reply, path);
    failure_code_ = kExitFailed;
    return std::nullopt;
  }
  return reply;
}

std::optional<std::string_view> Session::Exchange(const nlohmann::json& request,
                                             Deadline deadline) {
  if (!Open()) return std::nullopt;
  failure_code_ = kExitFailed;
  std::string error;
  std::string line = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  bool sent = client_.Send(line, deadline, &error);
  // Even when sending failed the daemon may have answered (forbidden) before closing.
  std::string_view reply;
  std::string read_error;
  switch (client_.ReadLineView(&reply, deadline, &read_error)) {
    case Client::Read::kLine:
      return reply;
    case Client::Read::kTimeout:
      PrintErr(sent ? "no reply from supd within " +
                          common::FormatDurationCompact(g_.timeout) +
                          " (an operation goes on in supd; see supctl status)"
                    : "cannot send to supd: " + error);
      return std::nullopt;
    case Client::Read::kEof:
      closed_ = true;
      if (!eof_expected_) PrintErr("supd closed the connection without replying");
      return std::nullopt;
    case Client::Read::kError:
      PrintErr("cannot read from supd: " + read_error);
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<protocol::ReplyView> Session::Call(const nlohmann::json& request,
                                                 Deadline deadline, std::string* raw) {
  auto reply = Exchange(request, deadline);
  if (!reply) return std::nullopt;
  auto view = protocol::ParseReply(*reply);
  if (!view) {
    PrintErr("unexpected reply from supd: " + std::string(reply->substr(0, 200)));
    return std::nullopt;
  }
  if (raw) raw->assign(*reply);
  return view;
}

std::optional<protocol::NodeView> Session::CallNode(const nlohmann::json& request,
                                                    const std::string& path,
                                                    bool keep_children) {
  auto line = Exchange(request, DefaultDeadline());
  if (!line) return std::nullopt;
  return NodeReply(*line, protocol::ParseNodeReply(*line, keep_children), path);
}

namespace {

// `visit` over the subtree of `n` in depth-first start order, slots from `*slot` on.
void VisitTree(const protocol::NodeView& n, int depth, std::size_t* slot,
               const protocol::NodeVisitor& visit) {
  visit(n, depth, (*slot)++);
  for (const protocol::NodeView& c : n.children) VisitTree(c, depth + 1, slot, visit);
}

}  // namespace

std::optional<protocol::NodeView> Session::CallNodeVisit(const nlohmann::json& request,
                                                         const std::string& path,
                                                         const protocol::NodeVisitor& visit,
                                                         const std::function<void()>& restart) {
  auto line = Exchange(request, DefaultDeadline());
  if (!line) return std::nullopt;
  bool unusual = false;
  auto reply = protocol::VisitNodeReply(*line, visit, &unusual);
  if (reply && unusual) {  // a duplicate key: read as a JSON tree, the later one wins
    restart();
    reply = protocol::ParseNodeReply(*line);
    if (reply && reply->head.ok && reply->node) {
      std::size_t slot = 0;
      VisitTree(*reply->node, 0, &slot, visit);
      reply->node->children.clear();
    }
  }
  return NodeReply(*line, std::move(reply), path);
}

std::optional<protocol::NodeView> Session::NodeReply(std::string_view line,
                                                     std::optional<protocol::NodeReply> reply,
                                                     const std::string& path) {
  if (!reply) {
    PrintErr("unexpected reply from supd: " + std::string(line.substr(0, 200)));
    return std::nullopt;
  }
  if (g_.json) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  }
  if (!reply->head.ok) {
    PrintError(reply->head, path);
    return std::nullopt;
  }
  if (!reply->node) {
    PrintErr("unexpected status reply from supd (no valid \"node\")");
    return std::nullopt;
  }
  return std::move(reply->node);
}

bool Session::ReadStreamLine(std::string* line) {
  std::string error;
  return client_.ReadLine(line, std::nullopt, &error) == Client::Read::kLine;
}

void Session::PrintError(const protocol::ReplyView& reply, const std::string& path) {
  std::string message = reply.message.empty() ? reply.error : reply.message;
  if (reply.error == "not_found" && !path.empty()) {
    auto line = Exchange({{"cmd", "status"}}, DefaultDeadline());
    auto tree = line ? protocol::ParseNodeReply(*line) : std::nullopt;
    if (tree && tree->head.ok && tree->node) {
      if (auto best = protocol::ClosestPath(path, protocol::AllPaths(*tree->node))) {
        message += " (did you mean \"" + *best + "\"?)";
      }
    }
  }
  // Name the node when supd's message does not (a verb may act on several paths).
  if (!path.empty() && message.find(path) == std::string::npos) message = path + ": " + message;
  PrintErr(message);
}

}  // namespace supd::cli
