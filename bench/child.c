/* bench/child.c: the child program every benchmarked supervisor runs.
 *
 * It records CLOCK_MONOTONIC timestamps (nanoseconds) from the child's side, so
 * latencies do not depend on what any supervisor reports.  One line per event,
 * appended (O_APPEND, one write(2) per line, so concurrent children never
 * interleave) to EVFILE:
 *   S ID PID T      first instruction of main (taken before any syscall)
 *   T ID PID T      SIGTERM received
 *   E ID PID T      about to _exit
 *   L ID PID BYTES NS   log mode: bytes written and the time it took
 *
 * Usage: child EVFILE ID MODE [ARG [ARG2]]
 *   sleep           sleep forever (SIGTERM kills it, nothing recorded)
 *   term            sleep until SIGTERM, record T and E, exit 0
 *   ignore          record every SIGTERM and keep sleeping (only SIGKILL ends it)
 *   exit MS [J]     exit 1 after MS (+ 0..J, derived from the pid) milliseconds
 *   crash           exit 1 at once
 *   log MS [GO]     write 100-byte lines to stdout for MS ms (64 KiB writes, as
 *                   a fully buffered stdout would), record L, then behave as term.
 *                   GO: a FIFO opened for reading first, so that many children
 *                   start writing at once, when the harness opens it for writing
 * With fewer than 3 arguments (runit and daemontools run ./run with none, s6
 * with the service name) they are read from ./bench-args in the working
 * directory, one per line.
 *
 * Built by bench/run with: cc -O2 -static -o build/child child.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int ev_fd = -1;
static const char *id = "?";

static long long ns(const struct timespec *t) {
  return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}
static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return ns(&t);
}

static void record(char kind, long long t, long long extra) {
  char buf[160];
  int n;
  if (extra >= 0)
    n = snprintf(buf, sizeof buf, "%c %s %d %lld %lld\n", kind, id, (int)getpid(), t, extra);
  else
    n = snprintf(buf, sizeof buf, "%c %s %d %lld\n", kind, id, (int)getpid(), t);
  if (ev_fd >= 0 && n > 0) (void)!write(ev_fd, buf, (size_t)n);
}

static void sleep_ms(long long ms) {
  struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&d, &d) == -1 && errno == EINTR) {
  }
}

/* Waits for SIGTERM with the signal blocked (no handler races). */
static void wait_term(int exit_on_term) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  for (;;) {
    int s = sigwaitinfo(&set, NULL);
    if (s != SIGTERM) continue;
    long long t = now_ns();
    record('T', t, -1);
    if (exit_on_term) {
      record('E', now_ns(), -1);
      _exit(0);
    }
  }
}

static void log_mode(long long ms, const char *go) {
  if (go) { /* the start barrier: open(2) of a FIFO blocks until there is a writer */
    int fd;
    while ((fd = open(go, O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR) {
    }
    if (fd >= 0) close(fd);
  }
  static char chunk[65500];
  size_t per = 100, lines = sizeof chunk / per;
  for (size_t i = 0; i < lines; i++) {
    char *l = chunk + i * per;
    int n = snprintf(l, per, "%s line %zu ", id, i);
    memset(l + n, 'x', per - 1 - (size_t)n);
    l[per - 1] = '\n';
  }
  size_t len = lines * per;
  long long start = now_ns(), deadline = start + ms * 1000000LL, total = 0;
  for (;;) {
    ssize_t w = write(1, chunk, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      break;
    }
    total += w;
    if ((size_t)w < len) { /* finish the partial chunk so lines stay whole */
      size_t off = (size_t)w;
      while (off < len) {
        ssize_t r = write(1, chunk + off, len - off);
        if (r < 0) {
          if (errno == EINTR) continue;
          goto out;
        }
        off += (size_t)r;
        total += r;
      }
    }
    if (now_ns() >= deadline) break;
  }
out:;
  long long end = now_ns();
  char buf[160];
  int n = snprintf(buf, sizeof buf, "L %s %d %lld %lld\n", id, (int)getpid(), total, end - start);
  if (ev_fd >= 0 && n > 0) (void)!write(ev_fd, buf, (size_t)n);
}

int main(int argc, char **argv) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0); /* first thing: the start timestamp */

  static char argbuf[4096];
  char *av[8] = {0};
  if (argc < 4) { /* s6-supervise passes the service name: not ours */
    int fd = open("bench-args", O_RDONLY | O_CLOEXEC);
    if (fd < 0) goto usage;
    ssize_t n = read(fd, argbuf, sizeof argbuf - 1);
    close(fd);
    if (n <= 0) return 111;
    argbuf[n] = 0;
    int ac = 1;
    av[0] = argv[0];
    for (char *p = argbuf; *p && ac < 7;) {
      char *nl = strchr(p, '\n');
      if (nl) *nl = 0;
      av[ac++] = p;
      if (!nl) break;
      p = nl + 1;
    }
    argc = ac;
    argv = av;
  }
  if (argc < 4) {
  usage:;
    static const char usage[] = "usage: child EVFILE ID MODE [ARG [ARG2]]\n";
    (void)!write(2, usage, sizeof usage - 1);
    return 2;
  }
  id = argv[2];
  const char *mode = argv[3];

  /* Block SIGTERM before recording "S" so a stop right after start is not lost
   * in the term/ignore modes. */
  if (!strcmp(mode, "term") || !strcmp(mode, "ignore") || !strcmp(mode, "log")) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
  }
  ev_fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  record('S', ns(&t0), -1);

  if (!strcmp(mode, "sleep")) {
    for (;;) pause();
  } else if (!strcmp(mode, "term")) {
    wait_term(1);
  } else if (!strcmp(mode, "ignore")) {
    /* Real-time priority (when allowed) so that the SIGTERM record is taken when
     * the signal arrives, not when a loaded machine gets round to running us. */
    struct sched_param sp = {.sched_priority = 1};
    sched_setscheduler(0, SCHED_FIFO, &sp);
    wait_term(0);
  } else if (!strcmp(mode, "exit")) {
    long long ms = argc > 4 ? atoll(argv[4]) : 0;
    long long j = argc > 5 ? atoll(argv[5]) : 0;
    if (j > 0) ms += ((unsigned long long)getpid() * 2654435761ULL) % (unsigned long long)j;
    sleep_ms(ms);
    record('E', now_ns(), -1);
    _exit(1);
  } else if (!strcmp(mode, "crash")) {
    record('E', now_ns(), -1);
    _exit(1);
  } else if (!strcmp(mode, "log")) {
    log_mode(argc > 4 ? atoll(argv[4]) : 1000, argc > 5 ? argv[5] : NULL);
    wait_term(1);
  }
  return 2;
}
