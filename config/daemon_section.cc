// Parsing of the `daemon` section (README, "Config reference").
#include <arpa/inet.h>
#include <sys/un.h>

#include "config/accounts.h"
#include "config/fields.h"
#include "config/nodes.h"
#include "common/paths.h"

namespace supd::config {
namespace {

/// True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 (an IP literal already validated).
bool IsLoopback(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

/// Splits "HOST:PORT" / "[V6]:PORT" / "unix:PATH" into `http`; false (and an error) if bad.
bool ParseListen(Diag& diag, const std::string& listen, const std::string& path,
                 core::HttpSpec& http) {
  const std::string usage =
      " (expected \"127.0.0.1:PORT\", \"[::1]:PORT\" or \"unix:/absolute/path\")";
  if (listen.rfind("unix:", 0) == 0) {
    http.unix_path = listen.substr(5);
    if (http.unix_path.empty() || http.unix_path[0] != '/') {
      diag.Error(path, "\"" + listen + "\": the socket path must be absolute" + usage);
      return false;
    }
    if (http.unix_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      diag.Error(path, "\"" + listen + "\": socket path longer than 107 bytes");
      return false;
    }
    return true;
  }
  std::size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? listen : listen.substr(0, colon);
  std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  in_addr v4{};
  in6_addr v6{};
  bool ok = bracketed ? inet_pton(AF_INET6, host.c_str(), &v6) == 1
                      : inet_pton(AF_INET, host.c_str(), &v4) == 1;
  if (!ok) {
    diag.Error(path, "\"" + listen + "\": \"" + host +
                         "\" is not an IP address (host names are not resolved)" + usage);
    return false;
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    diag.Error(path, "\"" + listen + "\": the port must be a number from 0 to 65535" + usage);
    return false;
  }
  http.host = host;
  http.port = std::stoi(port);
  return true;
}

std::optional<core::HttpSpec> ParseHttp(Diag& diag, const Json& v, const std::string& path) {
  if (!v.is_object()) {
    Expected(diag, v, path, "an object like {\"listen\": \"127.0.0.1:9181\"}");
    return std::nullopt;
  }
  CheckKeys(diag, v, path, {"listen", "allow_remote"});
  core::HttpSpec http;
  if (const Json* a = Find(v, "allow_remote")) {
    http.allow_remote = ReadBool(diag, *a, Member(path, "allow_remote")).value_or(false);
  }
  const Json* l = Find(v, "listen");
  if (l == nullptr) {
    diag.Error(path, "missing \"listen\" (e.g. \"127.0.0.1:9181\" or \"unix:/run/supd/http.sock\")");
    return std::nullopt;
  }
  std::string at = Member(path, "listen");
  auto listen = ReadString(diag, *l, at, "an address like \"127.0.0.1:9181\"");
  if (!listen) return std::nullopt;
  http.listen = *listen;
  if (!ParseListen(diag, http.listen, at, http)) return std::nullopt;
  if (http.unix_path.empty() && !http.allow_remote && !IsLoopback(http.host)) {
    diag.Error(at, "\"" + http.listen +
                       "\" is not a loopback address, and the HTTP endpoints have no "
                       "authentication: bind 127.0.0.1 or [::1] (and reach it through a proxy "
                       "or SSH tunnel), or set \"allow_remote\": true to serve every host "
                       "that can reach it");
    return std::nullopt;
  }
  return http;
}

}  // namespace

core::DaemonSpec ParseDaemon(Diag& diag, const Json* section, const std::string& path) {
  core::DaemonSpec d;
  if (section && !section->is_object()) {
    Expected(diag, *section, path, "an object");
  } else if (section) {
    const Json& s = *section;
    auto at = [&](std::string_view key) { return Member(path, key); };
    CheckKeys(diag, s, path,
              {"socket", "socket_mode", "socket_group", "log_dir", "state_dir", "on_root_give_up",
               "http", "log_format"});
    if (const Json* v = Find(s, "socket"))
      d.socket = ReadString(diag, *v, at("socket"), "a socket path").value_or("");
    if (const Json* v = Find(s, "socket_mode"))
      d.socket_mode = ReadOctalMode(diag, *v, at("socket_mode"), 0777, "0660").value_or(0600);
    if (const Json* v = Find(s, "socket_group")) {
      if (auto name = ReadString(diag, *v, at("socket_group"), "a group name or decimal gid")) {
        d.socket_group = *name;
        std::string error;
        d.socket_gid = ResolveGroup(*name, error);
        if (!d.socket_gid) diag.Error(at("socket_group"), error);
      }
    }
    if (const Json* v = Find(s, "log_dir"))
      d.log_dir = ReadString(diag, *v, at("log_dir"), "a directory path").value_or("");
    if (const Json* v = Find(s, "state_dir"))
      d.state_dir = ReadString(diag, *v, at("state_dir"), "a directory path").value_or("");
    if (const Json* v = Find(s, "on_root_give_up")) {
      using G = core::DaemonSpec::OnRootGiveUp;
      d.on_root_give_up =
          ReadEnum<G>(diag, *v, at("on_root_give_up"), {{"exit", G::kExit}, {"stay", G::kStay}})
              .value_or(G::kExit);
    }
    if (const Json* v = Find(s, "log_format")) {
      using F = core::DaemonSpec::LogFormat;
      d.log_format =
          ReadEnum<F>(diag, *v, at("log_format"), {{"text", F::kText}, {"json", F::kJson}})
              .value_or(F::kText);
    }
    if (const Json* v = Find(s, "http")) d.http = ParseHttp(diag, *v, at("http"));
  }
  if (d.socket.empty()) d.socket = common::DefaultSocketPath();
  if (d.state_dir.empty()) d.state_dir = common::DefaultStateDir();
  return d;
}

}  // namespace supd::config
