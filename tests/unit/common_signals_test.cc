// common/signals.h: one table of signal names for the config, supctl and the protocol.
#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include "common/signals.h"

namespace supd::common {

TEST_CASE("SignalFromName: with or without SIG, any case, no numbers") {
  CHECK(SignalFromName("SIGTERM") == SIGTERM);
  CHECK(SignalFromName("TERM") == SIGTERM);
  CHECK(SignalFromName("sigint") == SIGINT);
  CHECK(SignalFromName("Hup") == SIGHUP);
  CHECK(SignalFromName("SIGQUIT") == SIGQUIT);
  CHECK(SignalFromName("KILL") == SIGKILL);
  CHECK(SignalFromName("SIGUSR1") == SIGUSR1);
  CHECK(SignalFromName("SIGIOT") == SIGABRT);
  CHECK(SignalFromName("SIGRTMIN") == SIGRTMIN);
  CHECK(SignalFromName("SIGRTMIN+3") == SIGRTMIN + 3);
  CHECK(SignalFromName("RTMAX-1") == SIGRTMAX - 1);
  for (const char* bad : {"", "SIG", "SIGFOO", "15", "SIG15", "TERMINATE", "SIGRTMIN+99",
                          "SIGRTMIN-1", "RTMAX+1"}) {
    CAPTURE(bad);
    CHECK_FALSE(SignalFromName(bad).has_value());
  }
}

TEST_CASE("ParseSignal: names, and numbers 1 to 64 as kill(1) takes them") {
  CHECK(ParseSignal("SIGKILL") == SIGKILL);
  CHECK(ParseSignal("kill") == SIGKILL);
  CHECK(ParseSignal("9") == 9);
  CHECK(ParseSignal("SIG32") == 32);
  CHECK(ParseSignal("64") == 64);
  for (const char* bad : {"", "0", "65", "SIG", "SIGFOO", "-9", "009", "SIG0"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseSignal(bad).has_value());
  }
}

TEST_CASE("SignalName: canonical names, never an alias, round-trips both parsers") {
  CHECK(SignalName(SIGKILL) == "SIGKILL");
  CHECK(SignalName(SIGTERM) == "SIGTERM");
  CHECK(SignalName(SIGCHLD) == "SIGCHLD");  // not CLD
  CHECK(SignalName(SIGABRT) == "SIGABRT");  // not IOT
  CHECK(SignalName(SIGRTMIN + 2) == "SIGRTMIN+2");
  CHECK(SignalName(200) == "SIG200");
  for (int sig = 1; sig < 32; ++sig) CHECK(SignalFromName(SignalName(sig)) == sig);
  for (int sig = 1; sig <= 64; ++sig) CHECK(ParseSignal(SignalName(sig)) == sig);
}

}  // namespace supd::common
