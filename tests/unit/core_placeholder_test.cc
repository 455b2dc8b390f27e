#include <doctest/doctest.h>
#include "daemon/core/exit_status.h"
TEST_CASE("exit status shell code") {
  CHECK(supd::core::ExitStatus::Signaled(9).ShellCode() == 137);
  CHECK(supd::core::ExitStatus::Exited(0).IsNormal({0}));
}
