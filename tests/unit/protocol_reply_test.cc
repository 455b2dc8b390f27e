// Reply and event rendering (protocol/reply.h) and the client-side reading of
// them (protocol/view.h).
#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "protocol/reply.h"
#include "protocol/view.h"

namespace supd::protocol {
namespace {

using nlohmann::json;

core::NodeStatus SampleTree() {
  core::NodeStatus db;
  db.path = db.id = "db";
  db.state = core::NodeState::kRunning;
  db.pid = 4242;
  db.since = 2000;
  db.ready = true;
  db.ready_after = 35;
  db.status_text = "accepting connections";
  core::NodeStatus index;
  index.path = "pipeline/index";
  index.id = "index";
  index.state = core::NodeState::kBackoff;
  index.restarts = 2;
  index.restart = core::RestartType::kTransient;
  index.last_exit = core::NodeStatus::LastExit{core::ExitStatus::Exited(3),
                                               core::ExitReason::kAbnormal};
  core::NodeStatus pipeline;
  pipeline.path = pipeline.id = "pipeline";
  pipeline.supervisor = true;
  pipeline.state = core::NodeState::kRunning;
  pipeline.children = {index};
  core::NodeStatus root;
  root.supervisor = true;
  root.state = core::NodeState::kRunning;
  root.children = {db, pipeline};
  return root;
}

NodeContext Ctx() {
  return {[](core::Millis ms) { return 1000.0 + ms / 1000.0; },
          [](std::string_view path) { return path == "db" ? "cgroup" : "group"; }};
}

TEST_CASE("protocol: NODE objects as the README's Control protocol describes") {
  json root = json::parse(NodeJson(SampleTree(), Ctx()));
  CHECK(root["path"] == "");
  CHECK(root["kind"] == "supervisor");
  CHECK(root["state"] == "running");
  CHECK_FALSE(root.contains("pid"));
  CHECK_FALSE(root.contains("kill_mode"));
  REQUIRE(root["children"].size() == 2);
  json db = root["children"][0];
  CHECK(db == json::parse(R"({"path":"db","id":"db","kind":"worker","state":"running",
      "pid":4242,"since":1002.0,"restarts":0,"last_exit":null,"ready":true,
      "restart":"permanent","kill_mode":"cgroup","ready_after_ms":35,
      "status_text":"accepting connections"})"));
  json index = root["children"][1]["children"][0];
  CHECK(index["last_exit"] == json::parse(R"({"code":3,"reason":"abnormal"})"));
  CHECK(index["restarts"] == 2);
  CHECK(index["restart"] == "transient");
  CHECK_FALSE(index.contains("children"));

  core::NodeStatus killed;
  killed.last_exit = core::NodeStatus::LastExit{core::ExitStatus::Signaled(9),
                                                core::ExitReason::kShutdown};
  CHECK(json::parse(NodeJson(killed, Ctx()))["last_exit"] ==
        json::parse(R"({"signal":"SIGKILL","reason":"shutdown"})"));
}

TEST_CASE("protocol: NODE text is what nlohmann/json would print, escapes included") {
  core::NodeStatus root = SampleTree();
  root.children[0].status_text = "say \"hi\"\n\tback\\slash \x01 caf\xc3\xa9 bad \xff byte";
  root.children[0].last_exit = core::NodeStatus::LastExit{core::ExitStatus::Signaled(15),
                                                          core::ExitReason::kShutdown,
                                                          "exec /x: No such file"};
  root.children[0].operator_stopped = true;
  root.children[0].dynamic = true;
  root.children[0].autostart_off = true;
  NodeContext ctx = Ctx();
  ctx.log_health = [](std::string_view path) -> std::optional<LogHealth> {
    if (path == "db") return LogHealth{7, "disk full"};
    return LogHealth{};
  };
  for (double t0 : {0.0, 1796656446.4503663, 1e21, 0.1}) {
    ctx.to_unix = [t0](core::Millis ms) { return t0 + static_cast<double>(ms); };
    std::string text = NodeJson(root, ctx, true);
    json parsed = json::parse(text);
    // Same bytes as the DOM printer: sorted keys, same numbers, same escapes.
    CHECK(parsed.dump(-1, ' ', false, json::error_handler_t::replace) == text);
    CHECK(parsed["idle"] == true);
    CHECK(parsed["children"][0]["log_dropped"] == 7);
    CHECK(parsed["children"][0]["log_error"] == "disk full");
    CHECK(parsed["children"][0]["last_exit"] ==
          json::parse(R"({"signal":"SIGTERM","reason":"shutdown","error":"exec /x: No such file"})"));
    CHECK(parsed["children"][0]["status_text"].get<std::string>().find("caf\xc3\xa9") !=
          std::string::npos);
    CHECK(parsed["since"].get<double>() == t0);
  }
  std::string line = NodeReplyLine(root, ctx);
  CHECK(line.back() == '\n');
  CHECK(json::parse(line)["ok"] == true);
  CHECK_FALSE(json::parse(line)["node"].contains("idle"));
}

TEST_CASE("protocol: lifecycle events") {
  core::Lifecycle e;
  e.kind = core::Lifecycle::Kind::kExited;
  e.path = "pipeline/index";
  e.pid = 77;
  e.reason = core::ExitReason::kShutdown;
  e.status = core::ExitStatus::Signaled(9);
  e.detail = "killed after the 5s shutdown timeout";
  CHECK(LifecycleToJson(e, 12.5) == json::parse(R"({"event":"exited","path":"pipeline/index",
      "kind":"worker","pid":77,"reason":"shutdown","signal":"SIGKILL","time":12.5,
      "detail":"killed after the 5s shutdown timeout"})"));
  core::Lifecycle g;
  g.kind = core::Lifecycle::Kind::kGaveUp;
  g.path = "pipeline";
  g.supervisor = true;
  CHECK(LifecycleToJson(g, 1) ==
        json::parse(R"({"event":"gave_up","path":"pipeline","kind":"supervisor","time":1.0})"));
  for (auto k : {core::Lifecycle::Kind::kStarted, core::Lifecycle::Kind::kReady,
                 core::Lifecycle::Kind::kRestarting, core::Lifecycle::Kind::kStopping,
                 core::Lifecycle::Kind::kAutoShutdown, core::Lifecycle::Kind::kReloaded}) {
    g.kind = k;
    CHECK(LifecycleToJson(g, 1)["event"] == core::ToString(k));
  }
}

TEST_CASE("protocol: reply lines") {
  CHECK(OkLine() == "{\"ok\":true}\n");
  CHECK(json::parse(OkLine(json{{"version", "1"}})) == json{{"ok", true}, {"version", "1"}});
  CHECK(json::parse(ErrorLine(core::ErrorCode::kNotFound, "no child \"x\"")) ==
        json{{"ok", false}, {"error", "not_found"}, {"message", "no child \"x\""}});
  // Invalid UTF-8 in a message is replaced, never thrown.
  std::string line = ErrorLine(core::ErrorCode::kBadRequest, "bad \xff byte");
  CHECK(line.back() == '\n');
  CHECK(json::parse(line)["error"] == "bad_request");
  core::Reply r;
  r.id = "3";
  r.path = "jobs/3";
  CHECK(json::parse(ReplyLine(r)) == json{{"ok", true}, {"id", "3"}, {"path", "jobs/3"}});
  r.error = core::ErrorCode::kBadState;
  r.message = "jobs is stopping";
  CHECK(json::parse(ReplyLine(r))["error"] == "bad_state");
  for (auto c : {core::ErrorCode::kNotFound, core::ErrorCode::kBadRequest,
                 core::ErrorCode::kBadState, core::ErrorCode::kInvalidConfig,
                 core::ErrorCode::kForbidden, core::ErrorCode::kTimeout}) {
    CHECK(json::parse(ErrorLine(c, "m"))["error"] == core::ToString(c));
  }
}

TEST_CASE("protocol: the client reads replies and nodes back") {
  auto reply = ParseReply(NodeReplyLine(SampleTree(), Ctx()));
  REQUIRE(reply);
  CHECK(reply->ok);
  auto node = NodeFromJson(reply->body["node"]);
  REQUIRE(node);
  CHECK(node->supervisor);
  REQUIRE(node->children.size() == 2);
  const NodeView& db = node->children[0];
  CHECK(db.pid == 4242);
  CHECK(db.since == doctest::Approx(1002.0));
  CHECK(db.kill_mode == "cgroup");
  CHECK(db.ready);
  CHECK_FALSE(db.last_exit);
  const NodeView& index = node->children[1].children[0];
  REQUIRE(index.last_exit);
  CHECK(index.last_exit->code == 3);
  CHECK(index.last_exit->reason == "abnormal");
  CHECK(AllPaths(*node) == std::vector<std::string>{"", "db", "pipeline", "pipeline/index"});

  auto err = ParseReply(ErrorLine(core::ErrorCode::kTimeout, "too slow"));
  REQUIRE(err);
  CHECK_FALSE(err->ok);
  CHECK(err->error == "timeout");
  CHECK(err->message == "too slow");
  CHECK_FALSE(ParseReply("garbage"));
  CHECK_FALSE(ParseReply("{\"no\":1}"));
  CHECK_FALSE(NodeFromJson(json{{"path", 1}}));
}

TEST_CASE("protocol: a NODE reply read in one pass matches the JSON tree's reading") {
  // supctl reads status replies with ParseNodeReply (no JSON tree); NodeFromJson and
  // ParseReply are the reference. Both must agree, duplicates and wrong types included.
  auto same = [](const std::string& line) {
    auto fast = ParseNodeReply(line);
    auto slow = ParseReply(line);
    REQUIRE(fast.has_value() == slow.has_value());
    if (!slow) return;
    CHECK(fast->head.ok == slow->ok);
    CHECK(fast->head.error == slow->error);
    CHECK(fast->head.message == slow->message);
    std::optional<NodeView> want;
    if (auto it = slow->body.find("node"); it != slow->body.end()) want = NodeFromJson(*it);
    REQUIRE(fast->node.has_value() == want.has_value());
    if (want) {
      CHECK(AllPaths(*fast->node) == AllPaths(*want));
      CHECK(fast->node->state == want->state);
      CHECK(fast->node->children.size() == want->children.size());
    }
    // Visiting (supctl status) sees the same nodes, in slots of depth-first start order,
    // or says to read the tree instead.
    std::vector<std::pair<std::size_t, std::string>> visited;
    bool unusual = false;
    auto visit = VisitNodeReply(
        line,
        [&](const NodeView& n, int depth, std::size_t slot) {
          CHECK(n.children.empty());
          visited.emplace_back(slot, std::to_string(depth) + ":" + n.path);
        },
        &unusual);
    REQUIRE(visit.has_value() == fast.has_value());
    CHECK(visit->head.ok == fast->head.ok);
    REQUIRE(visit->node.has_value() == fast->node.has_value());
    if (visit->node && !unusual) {
      std::sort(visited.begin(), visited.end());
      std::vector<std::string> want_nodes, got_nodes;
      auto walk = [&](auto&& self, const NodeView& n, int depth) -> void {
        want_nodes.push_back(std::to_string(depth) + ":" + n.path);
        for (const NodeView& c : n.children) self(self, c, depth + 1);
      };
      walk(walk, *fast->node, 0);
      for (std::size_t i = 0; i < visited.size(); ++i) {
        CHECK(visited[i].first == i);
        got_nodes.push_back(visited[i].second);
      }
      CHECK(got_nodes == want_nodes);
    }
    // Checking without keeping (supctl status --json) decides the same.
    auto checked = ParseNodeReply(line, /*keep_node=*/false);
    REQUIRE(checked.has_value());
    CHECK(checked->head.ok == fast->head.ok);
    CHECK(checked->head.error == fast->head.error);
    CHECK(checked->head.message == fast->head.message);
    REQUIRE(checked->node.has_value() == fast->node.has_value());
    if (checked->node) {
      CHECK(checked->node->path == fast->node->path);
      CHECK(checked->node->children.empty());
    }
  };
  NodeContext ctx = Ctx();
  ctx.log_health = [](std::string_view) { return std::optional<LogHealth>(LogHealth{3, "x"}); };
  same(NodeReplyLine(SampleTree(), ctx, true));
  same(ErrorLine(core::ErrorCode::kNotFound, "no child \"x\""));
  for (const char* line : {
           "garbage", "[1]", "1", "{\"no\":1}", "{\"ok\":\"yes\"}", "{\"ok\":true,\"ok\":1}",
           "{\"ok\":1,\"ok\":true}", "{\"ok\":true}", "{\"ok\":true,\"node\":5}",
           "{\"ok\":true,\"node\":{\"path\":\"x\"}}",
           "{\"ok\":true,\"node\":{\"path\":\"\",\"state\":\"running\",\"children\":[1]}}",
           "{\"ok\":true,\"node\":{\"path\":\"\",\"state\":\"running\",\"children\":[{}],"
           "\"children\":[]}}",
           "{\"ok\":true,\"node\":{\"path\":\"\",\"state\":\"s\",\"children\":[{\"path\":\"a\","
           "\"state\":\"s\"}],\"children\":{}}}",
           "{\"ok\":true,\"node\":{\"path\":\"\",\"state\":\"s\"},\"node\":[]}",
           "{\"ok\":true,\"node\":{\"path\":1,\"path\":\"p\",\"state\":\"s\"}}",
           "{\"ok\":true,\"node\":{\"path\":\"p\",\"path\":1,\"state\":\"s\"}}",
           "{\"ok\":false,\"error\":{\"a\":1},\"message\":[\"m\"]}",
           // Brackets and escaped quotes inside strings, arrays in arrays: the children
           // are counted ahead of the parse (a hint to reserve), never miscounted into
           // a different reading.
           R"({"ok":true,"node":{"path":"a\"[","state":"s","children":[{"path":"[\\",)"
           R"("state":"]"},{"path":"b","state":"s","children":[],"x":[[1,2],"]",{}]},)"
           R"({"path":"c","state":"s"}]}})",
           R"({"ok":true,"node":{"path":"","state":"s","children":[{"path":"a","state":"s"},)"
           R"(2,{"path":"b","state":"s"}]}})"}) {
    CAPTURE(line);
    same(line);
  }
  for (const char* line :
       {"{\"ok\":true,\"node\":{\"path\":\"\",\"state\":\"s\",\"children\":[],\"children\":[]}}",
        "{\"ok\":true,\"node\":{\"path\":\"\",\"state\":\"s\"},\"node\":{\"path\":\"\",\"state\":"
        "\"s\"}}"}) {
    bool unusual = false;
    CHECK(VisitNodeReply(
        line, [](const NodeView&, int, std::size_t) {}, &unusual));
    CHECK(unusual);
  }
  auto n = ParseNodeReply("{\"ok\":true,\"node\":{\"path\":\"\",\"state\":\"s\",\"children\":"
                          "[{\"path\":\"a\",\"state\":\"s\"}],\"children\":{}}}");
  REQUIRE(n);
  REQUIRE(n->node);
  CHECK(n->node->children.empty());
}

TEST_CASE("protocol: did-you-mean suggestions") {
  std::vector<std::string> paths = {"", "db", "pipeline", "pipeline/ingest", "pipeline/index"};
  CHECK(ClosestPath("pipeline/idx", paths) == "pipeline/index");
  CHECK(ClosestPath("pipline", paths) == "pipeline");
  CHECK(ClosestPath("index", paths) == "pipeline/index");
  CHECK(ClosestPath("dv", paths) == "db");
  CHECK_FALSE(ClosestPath("completely-else", paths));
}

}  // namespace
}  // namespace supd::protocol
