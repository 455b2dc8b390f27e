#include "daemon/io/process/clone3.h"

#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace supd::io {

pid_t Clone3IntoCgroup(int (*fn)(void*), void* arg, void* stack, std::size_t stack_size,
                       int cgroup_fd, int* pidfd) {
#if defined(__x86_64__)
  clone_args args{};
  args.flags = CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_PIDFD | CLONE_INTO_CGROUP;
  args.pidfd = reinterpret_cast<std::uintptr_t>(pidfd);
  args.exit_signal = SIGCHLD;
  args.stack = reinterpret_cast<std::uintptr_t>(stack);
  args.stack_size = stack_size;
  args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
  // glibc 2.36 has no clone3 wrapper, and a CLONE_VM child on a new stack cannot return
  // into C code: the child calls fn itself and exits. It starts with the parent's registers,
  // so fn and arg travel in callee-saved r12/r13; rsp is stack + stack_size (the kernel's
  // doing), 16-byte aligned as the call needs. The parent sees only rax (pid or -errno) and
  // the syscall's rcx/r11 change.
  register std::uintptr_t fn_reg asm("r12") = reinterpret_cast<std::uintptr_t>(fn);
  register std::uintptr_t arg_reg asm("r13") = reinterpret_cast<std::uintptr_t>(arg);
  long ret = SYS_clone3;
  asm volatile(
      "syscall\n\t"
      "testq %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xorl %%ebp, %%ebp\n\t"   // end of the frame chain for unwinders and ASan
      "movq %%r13, %%rdi\n\t"
      "callq *%%r12\n\t"
      "movl %%eax, %%edi\n\t"
      "movl %[sys_exit], %%eax\n\t"
      "syscall\n\t"
      "hlt\n\t"                 // not reached
      "1:\n\t"
      : "+a"(ret)
      : "D"(&args), "S"(sizeof args), "r"(fn_reg), "r"(arg_reg), [sys_exit] "i"(SYS_exit)
      : "rcx", "r11", "memory");
  return static_cast<pid_t>(ret);
#else
  (void)fn, (void)arg, (void)stack, (void)stack_size, (void)cgroup_fd, (void)pidfd;
  return -ENOSYS;
#endif
}

}  // namespace supd::io
