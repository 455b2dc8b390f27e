// Thin syscall helpers for the process layer: pidfds, /proc reads, small files. They
// return what the kernel says (-errno, or nullopt with errno set): their callers branch
// on it (DESIGN.md, "Style": errors).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace supd::io {

/// pidfd_send_signal(2); returns 0 or -errno.
int PidfdSendSignal(int pidfd, int signo);
/// pidfd_open(2) (O_CLOEXEC by nature); returns the fd or -errno.
int PidfdOpen(pid_t pid);
/// Field 22 of /proc/PID/stat (start time in clock ticks since boot); nullopt if gone.
std::optional<std::uint64_t> ProcessStartTime(pid_t pid);
/// Field 5 of /proc/PID/stat (process group); nullopt if gone.
std::optional<pid_t> ProcessGroupOf(pid_t pid);
/// Whole file as a string; nullopt (errno set) on failure.
std::optional<std::string> ReadSmallFile(const std::string& path);
/// The same relative to the directory fd `dir` (AT_FDCWD: as ReadSmallFile).
std::optional<std::string> ReadSmallFileAt(int dir, const char* name);
/// Writes `data` to an existing file (O_WRONLY); 0 or -errno.
int WriteSmallFile(const std::string& path, const std::string& data);

}  // namespace supd::io
