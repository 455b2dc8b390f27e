// supctl's verbs: each builds requests, talks to supd and prints; returns the exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/core/child_spec.h"

namespace supd::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       ///< the daemon refused or failed
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;  ///< no daemon at the socket
inline constexpr int kExitTimedOut = 4;     ///< wait: the state was not reached in time

/// Default for --timeout: how long a verb waits for its reply.
inline constexpr core::Millis kDefaultTimeout = 30'000;

struct Globals {
  std::string socket;
  bool json = false;
  core::Millis timeout = kDefaultTimeout;
  bool timeout_set = false;
  bool color = false;
};

/// $SUPD_SOCKET, else supd's own default (common::DefaultSocketPath).
std::string DefaultSocket();

int Status(const Globals& g, const std::vector<std::string>& paths);
int Tree(const Globals& g);
/// `cmd`: "start", "stop" or "restart".
int Operate(const Globals& g, const std::string& cmd, const std::vector<std::string>& paths);
int Signal(const Globals& g, const std::string& sig, const std::vector<std::string>& paths);
int StartChild(const Globals& g, const std::string& sup, const std::optional<std::string>& id,
               const std::vector<std::string>& args);
/// Prints the plan (`+ added`, `- removed`, `~ restart (...)`, `= policy (...)`) and a
/// summary line; an invalid config prints every error and exits 1 (cli/reload.cc).
int Reload(const Globals& g, bool dry_run, bool restart_instances);
int Shutdown(const Globals& g);
int Log(const Globals& g, const std::string& path, int lines, bool follow);
int Events(const Globals& g, bool follow);
int Wait(const Globals& g, const std::string& path, const std::string& state,
         std::optional<core::Millis> timeout);
int Check(const Globals& g);
int ConfigCheck(const std::string& file);
int Version(const Globals& g);

}  // namespace supd::cli
