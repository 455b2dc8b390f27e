// clone3(CLONE_INTO_CGROUP) for the spawner: the child starts life in its cgroup, so it never
// migrates (a write to cgroup.procs waits for an RCU grace period, ~15 ms per spawn here).
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace supd::io {

/// clone3(CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_PIDFD | CLONE_INTO_CGROUP, SIGCHLD)
/// running `fn(arg)` on [stack, stack + stack_size) (16-byte aligned top), then exit with its
/// result. Stores the pidfd in `*pidfd`. Returns the pid or -errno; -ENOSYS where there is no
/// trampoline for this architecture.
pid_t Clone3IntoCgroup(int (*fn)(void*), void* arg, void* stack, std::size_t stack_size,
                       int cgroup_fd, int* pidfd);

}  // namespace supd::io
