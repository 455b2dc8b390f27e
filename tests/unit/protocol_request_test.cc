// Request parsing and validation (protocol/request.h). Signal names and durations are
// common/ (tests/unit/common_*_test.cc).
#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include "protocol/request.h"

namespace supd::protocol {
namespace {

Request Ok(std::string_view line) {
  auto r = ParseRequest(line);
  if (auto* e = std::get_if<RequestError>(&r)) FAIL_CHECK(e->message);
  REQUIRE(std::holds_alternative<Request>(r));
  return std::get<Request>(r);
}

std::string Bad(std::string_view line) {
  auto r = ParseRequest(line);
  REQUIRE(std::holds_alternative<RequestError>(r));
  CHECK(std::get<RequestError>(r).code == core::ErrorCode::kBadRequest);
  return std::get<RequestError>(r).message;
}

bool Has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

TEST_CASE("protocol: every command parses with its arguments") {
  CHECK(Ok(R"({"cmd":"status"})").path == "");
  CHECK(Ok(R"({"cmd":"status","path":"pipeline/index"})").path == "pipeline/index");
  for (auto [line, cmd] : {std::pair{R"({"cmd":"start","path":"db"})", Cmd::kStart},
                           {R"({"cmd":"stop","path":"db"})", Cmd::kStop},
                           {R"({"cmd":"restart","path":"db"})", Cmd::kRestart},
                           {R"({"cmd":"shutdown"})", Cmd::kShutdown},
                           {R"({"cmd":"reload"})", Cmd::kReload},
                           {R"({"cmd":"version"})", Cmd::kVersion}}) {
    CHECK(Ok(line).cmd == cmd);
  }
  Request s = Ok(R"({"cmd":"signal","path":"web","signal":"SIGHUP"})");
  CHECK(s.cmd == Cmd::kSignal);
  CHECK(s.signo == SIGHUP);
  CHECK(Ok(R"({"cmd":"signal","path":"web","signal":10})").signo == 10);
  CHECK(Ok(R"({"cmd":"signal","path":"web","signal":"term"})").signo == SIGTERM);

  Request sc = Ok(R"({"cmd":"start_child","path":"jobs","args":["a","b"],"id":"n1"})");
  CHECK(sc.cmd == Cmd::kStartChild);
  CHECK(sc.args == std::vector<std::string>{"a", "b"});
  CHECK(sc.id == "n1");
  CHECK_FALSE(Ok(R"({"cmd":"start_child","path":"jobs"})").id);

  Request lg = Ok(R"({"cmd":"log","path":"web","lines":10,"follow":true})");
  CHECK(lg.lines == 10);
  CHECK(lg.follow);
  CHECK(Ok(R"({"cmd":"log","path":"web"})").lines == kDefaultLogLines);
  CHECK(Ok(R"({"cmd":"events","follow":true})").follow);
  CHECK_FALSE(Ok(R"({"cmd":"events"})").follow);
  CHECK(Ok(R"({"cmd":"reload","dry_run":true})").dry_run);

  Request w = Ok(R"({"cmd":"wait","path":"db","state":"ready","timeout":"250ms"})");
  CHECK(w.state == "running");  // ready is a synonym
  CHECK(w.timeout == 250);
  CHECK(Ok(R"({"cmd":"wait","path":"db","state":"stopped","timeout":1.5})").timeout == 1500);
  CHECK(Ok(R"({"cmd":"wait","path":"db","state":"stopped","timeout":"1.5"})").timeout == 1500);
  CHECK(Ok(R"({"cmd":"wait","path":"db","state":"stopped","timeout":"1.5s"})").timeout == 1500);
  CHECK(Ok(R"({"cmd":"wait","path":"db","state":"exited"})").timeout == kDefaultWaitTimeout);
}

TEST_CASE("protocol: bad requests say what is wrong") {
  CHECK(Has(Bad("{oops"), "malformed JSON"));
  CHECK(Has(Bad(""), "malformed JSON"));
  CHECK(Has(Bad("[1]"), "JSON object"));
  CHECK(Has(Bad(R"({"path":"db"})"), "missing \"cmd\""));
  CHECK(Has(Bad(R"({"cmd":7})"), "\"cmd\" must be a string"));
  CHECK(Has(Bad(R"({"cmd":"frob"})"), "unknown command \"frob\""));
  CHECK(Has(Bad(R"({"cmd":"status","pth":"db"})"), "unknown argument \"pth\""));
  CHECK(Has(Bad(R"({"cmd":"start"})"), "start: missing \"path\""));
  CHECK(Has(Bad(R"({"cmd":"stop","path":3})"), "must be a string"));
  CHECK(Has(Bad(R"({"cmd":"stop","path":"a//b"})"), "invalid path"));
  CHECK(Has(Bad(R"({"cmd":"signal","path":"web"})"), "missing \"signal\""));
  CHECK(Has(Bad(R"({"cmd":"signal","path":"web","signal":"SIGFOO"})"), "unknown signal"));
  CHECK(Has(Bad(R"({"cmd":"signal","path":"web","signal":99})"), "unknown signal"));
  CHECK(Has(Bad(R"({"cmd":"start_child","path":"jobs","args":"x"})"), "array of strings"));
  CHECK(Has(Bad(R"({"cmd":"start_child","path":"jobs","args":[1]})"), "array of strings"));
  CHECK(Has(Bad(R"({"cmd":"start_child","path":"jobs","id":"a/b"})"), "\"id\""));
  CHECK(Has(Bad(R"({"cmd":"wait","path":"db"})"), "missing \"state\""));
  CHECK(Has(Bad(R"({"cmd":"wait","path":"db","state":"up"})"), "unknown state \"up\""));
  CHECK(Has(Bad(R"({"cmd":"wait","path":"db","state":"running","timeout":"5y"})"), "duration"));
  CHECK(Has(Bad(R"({"cmd":"wait","path":"db","state":"running","timeout":-1})"), "duration"));
  CHECK(Has(Bad(R"({"cmd":"log","path":"db","lines":-2})"), "lines"));
  CHECK(Has(Bad(R"({"cmd":"events","follow":"yes"})"), "boolean"));
  CHECK(Has(Bad(std::string(1000, '[')), "nested"));
  CHECK(Has(Bad(std::string(kMaxRequestLine + 1, ' ')), "1 MiB"));
  // Invalid UTF-8 never throws.
  CHECK(Has(Bad("{\"cmd\":\"\xff\"}"), "malformed"));
}

TEST_CASE("protocol: paths and states") {
  CHECK(IsValidPath(""));
  CHECK(IsValidPath("db"));
  CHECK(IsValidPath("pipeline/index"));
  CHECK(IsValidPath("a.b-c_d/1"));
  CHECK_FALSE(IsValidPath("/db"));
  CHECK_FALSE(IsValidPath("db/"));
  CHECK_FALSE(IsValidPath("a//b"));
  CHECK_FALSE(IsValidPath("a b"));
  CHECK_FALSE(IsValidPath(std::string(65, 'a')));
  CHECK(IsValidPath(std::string(64, 'a')));
  for (const char* s : {"stopped", "starting", "running", "ready", "stopping", "backoff", "exited"}) {
    CHECK(IsWaitableState(s));
  }
  CHECK_FALSE(IsWaitableState("up"));
}

}  // namespace
}  // namespace supd::protocol
