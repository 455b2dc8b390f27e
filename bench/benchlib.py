"""Shared helpers of the supd benchmark: clocks, child event files, /proc probes,
bounded waits, process clean-up.  Standard library only."""
import ctypes
import os
import select
import signal
import subprocess
import time

MS = 1_000_000  # ns per ms


def now():
    """CLOCK_MONOTONIC in ns: the clock bench/child.c records."""
    return time.monotonic_ns()


class Skip(Exception):
    """A system cannot run (or cannot run one workload); the text is the reason."""


class Broken(Exception):
    """Something that should work did not: the harness reports it and, in
    --smoke, exits non-zero."""


class Events:
    """Incremental reader of a child event file (see bench/child.c)."""

    def __init__(self, path):
        self.path = path
        self.off = 0
        self.recs = []  # (kind, id, pid, t, extra)
        self._tail = b""

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.off)
                data = f.read()
        except FileNotFoundError:
            return self.recs
        self.off += len(data)
        data = self._tail + data
        lines = data.split(b"\n")
        self._tail = lines.pop()
        for ln in lines:
            p = ln.split()
            if len(p) < 4:
                continue
            extra = int(p[4]) if len(p) > 4 else None
            self.recs.append((p[0].decode(), p[1].decode(), int(p[2]), int(p[3]), extra))
        return self.recs

    def of(self, kind, since=0):
        return [r for r in self.poll() if r[0] == kind and r[3] >= since]

    def wait(self, pred, timeout, what, interval=0.005):
        """Polls until pred(records) is true; raises Broken after timeout s."""
        deadline = time.monotonic() + timeout
        while True:
            recs = self.poll()
            v = pred(recs)
            if v:
                return v
            if time.monotonic() > deadline:
                raise Broken(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(interval)

    def wait_ids(self, kind, ids, since, timeout, what):
        """Waits until every id in ids has a `kind` record at or after since;
        returns {id: first such record}."""
        want = set(ids)
        got = {}
        scanned = 0

        def pred(recs):
            nonlocal scanned
            for r in recs[scanned:]:
                if r[0] == kind and r[3] >= since and r[1] in want and r[1] not in got:
                    got[r[1]] = r
            scanned = len(recs)
            return len(got) == len(want)

        try:
            self.wait(pred, timeout, what, interval=0.01)
        except Broken as e:
            raise Broken(f"{e} ({len(got)} of {len(want)})")
        return got


# ---------------------------------------------------------------- statistics
def pct(xs, p):
    """Nearest-rank percentile; None for no data."""
    if not xs:
        return None
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def median(xs):
    if not xs:
        return None
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


# ---------------------------------------------------------------- /proc
def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _proc_values(path, keys):
    """{key: int} from the "key: value" lines of a /proc file (status, io, smaps_rollup,
    sched) for the wanted `keys` (bytes, matched whole); {} when the file cannot be read
    (the process is gone)."""
    s = _read(path)
    out = {}
    if not s:
        return out
    for ln in s.split(b"\n"):
        if not ln.startswith(keys):  # most lines: skip them before splitting
            continue
        key, sep, rest = ln.partition(b":")
        key = key.strip()
        if sep and key in keys and key not in out:
            out[key] = int(rest.split()[0])
    return out


def ppid_map():
    m = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        s = _read(f"/proc/{d}/stat")
        if not s:
            continue
        rest = s[s.rfind(b")") + 2:].split()
        m[int(d)] = int(rest[1])
    return m


def descendants(root, pmap=None):
    pmap = pmap or ppid_map()
    kids = {}
    for p, pp in pmap.items():
        kids.setdefault(pp, []).append(p)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def alive(pid):
    s = _read(f"/proc/{pid}/stat")
    if not s:
        return False
    state = s[s.rfind(b")") + 2:].split()[0]
    return state not in (b"Z", b"X")


def pss_kib(pids):
    return sum(_proc_values(f"/proc/{p}/smaps_rollup", (b"Pss",)).get(b"Pss", 0) for p in pids)


def _tasks(pid):
    try:
        return os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []


def cpu_ns(pids):
    """On-CPU time of every thread of pids, ns (schedstat: ns resolution)."""
    total = 0
    for p in pids:
        for t in _tasks(p):
            s = _read(f"/proc/{p}/task/{t}/schedstat")
            if s:
                total += int(s.split()[0])
    return total


def ctxt_switches(pids):
    """voluntary + nonvoluntary context switches of every thread of pids."""
    keys = (b"voluntary_ctxt_switches", b"nonvoluntary_ctxt_switches")
    return sum(sum(_proc_values(f"/proc/{p}/task/{t}/status", keys).values())
               for p in pids for t in _tasks(p))


def rchar(pids):
    """{pid: bytes the process has read (/proc/PID/io rchar: every read(2) of every
    thread, pipes included)} for the pids that are still there."""
    out = {}
    for p in pids:
        v = _proc_values(f"/proc/{p}/io", (b"rchar",))
        if b"rchar" in v:
            out[p] = v[b"rchar"]
    return out


def utime_stime_ticks(pids):
    total = 0
    for p in pids:
        s = _read(f"/proc/{p}/stat")
        if s:
            rest = s[s.rfind(b")") + 2:].split()
            total += int(rest[11]) + int(rest[12])
    return total


def has_token(pid, token, exact=True):
    env = _read(f"/proc/{pid}/environ")
    needle = b"SUPD_BENCH_TOKEN=" + token.encode() + (b"\0" if exact else b"")
    return bool(env) and needle in env


def procs_with_token(token, exact=True):
    """Processes whose environment carries our token (the daemons we started and
    every child they spawned inherit it)."""
    me = os.getpid()
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != me and has_token(int(d), token, exact) and alive(int(d)):
            out.append(int(d))
    return out


def cmdline(pid):
    s = _read(f"/proc/{pid}/cmdline") or b""
    return s.replace(b"\0", b" ").decode(errors="replace").strip()


def kill_pids(pids, sig=signal.SIGKILL):
    for p in pids:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def reap_orphans(keep=()):
    """We are a child subreaper: reap zombies of orphans re-parented to us."""
    me = os.getpid()
    for p, pp in ppid_map().items():
        if pp == me and p not in keep:
            try:
                os.waitpid(p, os.WNOHANG)
            except ChildProcessError:
                pass


def set_fair_slice(slice_ns, nice):
    """EEVDF (Linux >= 6.12): a short custom slice gives a task an early virtual
    deadline, so it preempts CPU-bound neighbours when it wakes up, while still
    getting only its fair share.  Inherited by children.  Returns True if set."""
    import struct
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        attr = ctypes.create_string_buffer(struct.pack("IIQiIQQQII", 56, 0, 0, nice, 0, slice_ns,
                                                       0, 0, 0, 0))
        if libc.syscall(314, 0, attr, 0) != 0:  # SYS_sched_setattr (x86-64)
            return False
        return _proc_values("/proc/self/sched", (b"se.slice",)).get(b"se.slice") == slice_ns
    except (OSError, ValueError):
        return False


def become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except OSError:
        pass


def wait_gone(pids, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        reap_orphans()
        time.sleep(0.02)
    return [p for p in pids if alive(p)]


def wait_death(pid, timeout):
    """ns timestamp at which pid exited (pidfd readable), or None on timeout."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return now()
    # real-time priority while waiting, so a loaded machine does not delay our
    # timestamp (we only wake once, record the time and drop back)
    old = None
    try:
        old = (os.sched_getscheduler(0), os.sched_getparam(0))
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except (OSError, AttributeError):
        old = None
    try:
        p = select.poll()
        p.register(fd, select.POLLIN)
        ev = p.poll(timeout * 1000)
        t = now()
        return t if ev else None
    finally:
        os.close(fd)
        if old:
            try:
                os.sched_setscheduler(0, old[0], old[1])
            except OSError:
                pass


# ---------------------------------------------------------------- commands
def run(argv, timeout=30, env=None, check=True, cwd=None):
    """Runs a command to completion; returns (wall_ns, stdout).  Bounded."""
    t0 = now()
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           env=env, cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise Broken(f"{' '.join(map(str, argv))[:120]}: no answer within {timeout} s")
    t1 = now()
    if check and p.returncode != 0:
        raise Broken(f"{' '.join(map(str, argv))[:120]}: exit {p.returncode}: "
                     f"{(p.stderr or p.stdout).decode(errors='replace').strip()[:300]}")
    return t1 - t0, p.stdout.decode(errors="replace")


def write_fifo(path, text, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise Broken(f"{path}: nobody reads the control fifo")
            time.sleep(0.01)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
