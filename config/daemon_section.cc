// Parsing of the `daemon` section (README, "Config reference").
#include "config/accounts.h"
#include "config/fields.h"
#include "config/nodes.h"
#include "common/paths.h"

namespace supd::config {

core::DaemonSpec ParseDaemon(Diag& diag, const Json* section, const std::string& path) {
  core::DaemonSpec d;
  if (section && !section->is_object()) {
    Expected(diag, *section, path, "an object");
  } else if (section) {
    const Json& s = *section;
    auto at = [&](std::string_view key) { return Member(path, key); };
    CheckKeys(diag, s, path,
              {"socket", "socket_mode", "socket_group", "log_dir", "state_dir", "on_root_give_up",
               "log_format"});
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
  }
  if (d.socket.empty()) d.socket = common::DefaultSocketPath();
  if (d.state_dir.empty()) d.state_dir = common::DefaultStateDir();
  return d;
}

}  // namespace supd::config
