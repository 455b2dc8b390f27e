/* bench/raw.c: the "raw limit": the least a supervisor can do for the same work.
 *
 * One loop, no policy: posix_spawn (glibc: clone(CLONE_VM|CLONE_VFORK) + exec,
 * returns once exec succeeded) with a new session per child, SIGCHLD through a
 * signalfd and a waitpid(-1, WNOHANG) drain, kill + waitpid for stops, and
 * pipe -> read -> write for logs.  The benchmark drives it like a supervisor.
 *
 * Usage: raw [-k KILL_MS] [-p PIPE_BYTES] [-r READ_BYTES] SPECFILE CTLFIFO
 *   SPECFILE: one child per line: "ID STDOUT ARGV0 ARGS..." with STDOUT one of
 *     null          stdin/stdout/stderr on /dev/null
 *     file:PATH     stdout+stderr captured through a pipe, appended to PATH
 *     prefix        stdout+stderr captured, each line written as "ID| line" to
 *                   raw's own stdout
 *   CTLFIFO: commands, one per line:  r ID (restart)  d ID (stop)  u ID (start)
 *     D (stop all)  q (stop all and exit)  U (start all)
 *     S (stop all one at a time, last started first: each child's SIGTERM waits
 *       for the previous one's reap, OTP's order; the floor of a sequential stop)
 *   -k KILL_MS: SIGKILL a child that is still alive KILL_MS after its SIGTERM.
 *   -p PIPE_BYTES: F_SETPIPE_SZ of the capture pipes (default 1 MiB, as supd;
 *      0 = the kernel's 64 KiB).
 *   -r READ_BYTES: bytes per read(2) of a capture pipe (default 64 KiB, as
 *      libuv; 1 MiB reads were 2-4x slower here: the copies miss the cache).
 *   Children exiting by themselves are respawned at once (permanent).
 *   SIGTERM/SIGINT to raw: stop all and exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum { OUT_NULL, OUT_FILE, OUT_PREFIX };
enum { DOWN, UP, STOPPING };

typedef struct {
  char *id;
  char **argv;
  int out, out_fd; /* OUT_FILE: the file */
  int rd;          /* read end of the capture pipe, -1 if none */
  char *partial;   /* OUT_PREFIX: an unfinished line */
  size_t partial_len;
  pid_t pid;
  int state, want_up;
  long long kill_at; /* ns, 0 = none */
} Child;

static Child *kids;
static int nkids;
static int *by_pid; /* pid -> index+1 */
static int pid_max = 32768;
static int null_fd;
static long long kill_ms = -1;
static int pipe_size = 1 << 20; /* -p: F_SETPIPE_SZ of capture pipes, 0 = kernel default */
static char buf[1 << 20];
static size_t read_size = 65536; /* -r: bytes per read(2) of a capture pipe (libuv's 64 KiB) */

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static int seq_next = -1; /* S: the next child to stop, from the end; -1 = none */

/* S: SIGTERM the next running child from seq_next down; 0 once none is left. */
static int stop_next_in_sequence(void);

static int find(const char *id) {
  for (int i = 0; i < nkids; i++)
    if (!strcmp(kids[i].id, id)) return i;
  return -1;
}

static void drain_output(int i);

static void spawn(int i) {
  Child *c = &kids[i];
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  sigset_t empty;
  int p[2] = {-1, -1};
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&at);
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&at, &empty);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGTERM);
  sigaddset(&def, SIGCHLD);
  sigaddset(&def, SIGPIPE);
  posix_spawnattr_setsigdefault(&at, &def);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
  posix_spawn_file_actions_adddup2(&fa, null_fd, 0);
  if (c->out == OUT_NULL) {
    posix_spawn_file_actions_adddup2(&fa, null_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, null_fd, 2);
  } else {
    if (c->rd < 0) {
      if (pipe2(p, O_CLOEXEC) < 0) die("pipe2");
      if (pipe_size > 0) fcntl(p[0], F_SETPIPE_SZ, pipe_size);
      fcntl(p[0], F_SETFL, O_NONBLOCK);
      c->rd = p[0];
    }
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
  }
  pid_t pid;
  int e = posix_spawn(&pid, c->argv[0], &fa, &at, c->argv, environ);
  if (p[1] >= 0) close(p[1]); /* raw keeps the read end across restarts */
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (e) {
    errno = e;
    perror(c->argv[0]);
    c->state = DOWN;
    return;
  }
  c->pid = pid;
  c->state = UP;
  c->kill_at = 0;
  if (pid < pid_max) by_pid[pid] = i + 1;
}

/* With the pipe kept across restarts (as supervisors keep a logger's pipe), a
 * restarted child needs a fresh write end: re-create the pipe when needed. */
static void spawn_child(int i) {
  Child *c = &kids[i];
  if (c->out != OUT_NULL && c->rd >= 0) {
    drain_output(i); /* what the previous instance left, then a fresh pipe */
    if (c->rd >= 0) close(c->rd);
    c->rd = -1;
  }
  spawn(i);
}

static void stop(int i) {
  Child *c = &kids[i];
  c->want_up = 0;
  if (c->state == UP) {
    kill(c->pid, SIGTERM);
    c->state = STOPPING;
    if (kill_ms >= 0) c->kill_at = now_ns() + kill_ms * 1000000LL;
  }
}

static int stop_next_in_sequence(void) {
  for (; seq_next >= 0; seq_next--) {
    if (kids[seq_next].state == UP) {
      stop(seq_next);
      seq_next--;
      return 1;
    }
    kids[seq_next].want_up = 0;
  }
  return 0;
}

static void drain_output(int i) {
  Child *c = &kids[i];
  for (;;) {
    ssize_t n = read(c->rd, buf, read_size);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) { /* EOF: every writer is gone */
      close(c->rd);
      c->rd = -1;
      return;
    }
    if (n < 0) return;
    if (c->out == OUT_FILE) {
      for (ssize_t off = 0; off < n;) {
        ssize_t w = write(c->out_fd, buf + off, (size_t)(n - off));
        if (w < 0) {
          if (errno == EINTR) continue;
          return;
        }
        off += w;
      }
    } else {
      /* "ID| line\n" for every complete line, written in one write per read. */
      static char out[(1 << 20) * 2];
      size_t o = 0, idl = strlen(c->id);
      char *p = buf, *end = buf + n;
      while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
          c->partial = realloc(c->partial, c->partial_len + (size_t)(end - p));
          memcpy(c->partial + c->partial_len, p, (size_t)(end - p));
          c->partial_len += (size_t)(end - p);
          break;
        }
        size_t len = (size_t)(nl - p) + 1;
        if (o + idl + 2 + c->partial_len + len > sizeof out) {
          (void)!write(1, out, o);
          o = 0;
        }
        memcpy(out + o, c->id, idl);
        o += idl;
        out[o++] = '|';
        out[o++] = ' ';
        if (c->partial_len) {
          memcpy(out + o, c->partial, c->partial_len);
          o += c->partial_len;
          c->partial_len = 0;
        }
        memcpy(out + o, p, len);
        o += len;
        p = nl + 1;
      }
      for (size_t off = 0; off < o;) {
        ssize_t w = write(1, out + off, o - off);
        if (w < 0) {
          if (errno == EINTR) continue;
          break;
        }
        off += (size_t)w;
      }
    }
  }
}

static void load_spec(const char *path) {
  FILE *f = fopen(path, "re");
  if (!f) die(path);
  char *line = NULL;
  size_t cap = 0;
  int cap_kids = 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = 0;
    if (!*line) continue;
    if (nkids == cap_kids) {
      cap_kids = cap_kids ? cap_kids * 2 : 64;
      kids = realloc(kids, sizeof *kids * (size_t)cap_kids);
    }
    Child *c = &kids[nkids++];
    memset(c, 0, sizeof *c);
    c->rd = -1;
    c->out_fd = -1;
    char *save, *tok = strtok_r(line, " ", &save);
    c->id = strdup(tok);
    tok = strtok_r(NULL, " ", &save);
    if (!tok) die("spec: missing stdout");
    if (!strcmp(tok, "null")) {
      c->out = OUT_NULL;
    } else if (!strcmp(tok, "prefix")) {
      c->out = OUT_PREFIX;
    } else if (!strncmp(tok, "file:", 5)) {
      c->out = OUT_FILE;
      c->out_fd = open(tok + 5, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      if (c->out_fd < 0) die(tok + 5);
    } else {
      die("spec: bad stdout");
    }
    int ac = 0;
    c->argv = calloc(16, sizeof(char *));
    while ((tok = strtok_r(NULL, " ", &save)) && ac < 15) c->argv[ac++] = strdup(tok);
    if (!ac) die("spec: missing argv");
    c->want_up = 1;
  }
  free(line);
  fclose(f);
}

int main(int argc, char **argv) {
  int opt;
  while ((opt = getopt(argc, argv, "k:p:r:")) != -1) {
    if (opt == 'k') kill_ms = atoll(optarg);
    else if (opt == 'p') pipe_size = atoi(optarg);
    else if (opt == 'r') read_size = (size_t)atol(optarg);
    else return 2;
  }
  if (argc - optind != 2) {
    fprintf(stderr, "usage: raw [-k KILL_MS] [-p PIPE_BYTES] [-r READ_BYTES] SPECFILE CTLFIFO\n");
    return 2;
  }
  if (read_size < 1 || read_size > sizeof buf) read_size = sizeof buf;
  FILE *pm = fopen("/proc/sys/kernel/pid_max", "re");
  if (pm) {
    if (fscanf(pm, "%d", &pid_max) != 1) pid_max = 4194304;
    fclose(pm);
  }
  by_pid = calloc((size_t)pid_max + 1, sizeof *by_pid);
  prctl(PR_SET_TIMERSLACK, 1UL); /* the limit: no timer slack on the kill timer */
  null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (tfd < 0) die("timerfd_create");
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");
  int ctl = open(argv[optind + 1], O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (ctl < 0) die(argv[optind + 1]);
  load_spec(argv[optind]);

  for (int i = 0; i < nkids; i++) spawn_child(i);

  int quitting = 0;
  long long armed = 0;
  struct pollfd *pfd = calloc((size_t)nkids + 3, sizeof *pfd);
  int *pidx = calloc((size_t)nkids + 3, sizeof *pidx);
  char cbuf[4096];
  size_t clen = 0;
  for (;;) {
    if (quitting) {
      int alive = 0;
      for (int i = 0; i < nkids; i++) alive += kids[i].state != DOWN;
      if (!alive) break;
    }
    int n = 0;
    pfd[n++] = (struct pollfd){sfd, POLLIN, 0};
    pfd[n++] = (struct pollfd){ctl, POLLIN, 0};
    long long next_kill = 0;
    for (int i = 0; i < nkids; i++) {
      if (kids[i].rd >= 0) {
        pidx[n] = i;
        pfd[n++] = (struct pollfd){kids[i].rd, POLLIN, 0};
      }
      if (kids[i].state == STOPPING && kids[i].kill_at &&
          (!next_kill || kids[i].kill_at < next_kill))
        next_kill = kids[i].kill_at;
    }
    /* The kill timer is a timerfd at an absolute time: poll's own timeout would
     * get a slack of 0.1 % of the timeout (1 ms for a 1 s shutdown timeout). */
    if (next_kill != armed) { /* one syscall only when the earliest deadline changes */
      struct itimerspec its = {{0, 0}, {0, 0}};
      if (next_kill) {
        its.it_value.tv_sec = next_kill / 1000000000LL;
        its.it_value.tv_nsec = next_kill % 1000000000LL;
      }
      timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
      armed = next_kill;
    }
    pfd[n++] = (struct pollfd){tfd, POLLIN, 0};
    int r = poll(pfd, (nfds_t)n, -1);
    if (r > 0 && pfd[n - 1].revents) {
      uint64_t ticks;
      (void)!read(tfd, &ticks, sizeof ticks);
    }
    if (r < 0 && errno != EINTR) die("poll");
    if (next_kill) {
      long long t = now_ns();
      for (int i = 0; i < nkids; i++)
        if (kids[i].state == STOPPING && kids[i].kill_at && kids[i].kill_at <= t) {
          kill(kids[i].pid, SIGKILL);
          kids[i].kill_at = 0;
        }
    }
    if (r <= 0) continue;
    for (int k = 2; k < n - 1; k++) /* the last one is the timerfd */
      if (pfd[k].revents) drain_output(pidx[k]);
    if (pfd[0].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si)
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
          quitting = 1;
          for (int i = 0; i < nkids; i++) stop(i);
        }
      int st;
      pid_t pid;
      while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        int i = pid < pid_max ? by_pid[pid] - 1 : -1;
        if (i < 0) continue;
        by_pid[pid] = 0;
        Child *c = &kids[i];
        c->pid = 0;
        c->state = DOWN;
        c->kill_at = 0;
        if (c->want_up && !quitting) spawn_child(i);
        if (seq_next >= 0 && !c->want_up) stop_next_in_sequence();
      }
    }
    if (pfd[1].revents) {
      ssize_t m = read(ctl, cbuf + clen, sizeof cbuf - 1 - clen);
      if (m > 0) clen += (size_t)m;
      char *nl;
      while ((nl = memchr(cbuf, '\n', clen))) {
        *nl = 0;
        char cmd = cbuf[0];
        const char *arg = cbuf[1] == ' ' ? cbuf + 2 : "";
        int i = *arg ? find(arg) : -1;
        if (cmd == 'r' && i >= 0) {
          kids[i].want_up = 1;
          if (kids[i].state == UP) {
            kill(kids[i].pid, SIGTERM);
            kids[i].state = STOPPING;
            if (kill_ms >= 0) kids[i].kill_at = now_ns() + kill_ms * 1000000LL;
          } else if (kids[i].state == DOWN) {
            spawn_child(i);
          }
        } else if (cmd == 'd' && i >= 0) {
          stop(i);
        } else if (cmd == 'u' && i >= 0) {
          kids[i].want_up = 1;
          if (kids[i].state == DOWN) spawn_child(i);
        } else if (cmd == 'U') {
          for (int j = 0; j < nkids; j++) {
            kids[j].want_up = 1;
            if (kids[j].state == DOWN) spawn_child(j);
          }
        } else if (cmd == 'S') {
          seq_next = nkids - 1;
          stop_next_in_sequence();
        } else if (cmd == 'D') {
          for (int j = 0; j < nkids; j++) stop(j);
        } else if (cmd == 'q') {
          quitting = 1;
          for (int j = 0; j < nkids; j++) stop(j);
        }
        size_t used = (size_t)(nl - cbuf) + 1;
        memmove(cbuf, cbuf + used, clen - used);
        clen -= used;
      }
      if (clen == sizeof cbuf - 1) clen = 0;
    }
  }
  return 0;
}
