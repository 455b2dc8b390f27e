"""The adapter contract: one small file per supervisor.

An adapter knows how to write its system's configuration for a list of children,
start the supervisor in the foreground under a temp dir, drive it with its own
CLI, and stop it by pid.  Measurements never come from the adapter: the
children record their own timestamps (bench/child.c) and the harness reads
/proc for the pids the adapter names.
"""
import os
import signal
import subprocess
import time

from benchlib import Broken, Skip, descendants, kill_pids, reap_orphans, wait_gone, alive


class ChildSpec:
    """One child: id, the argv after the child binary's EVFILE ID, stdout mode
    ("null", "file" -> logfile, "prefix")."""

    def __init__(self, cid, mode_args, stdout="null", logfile=None):
        self.id = cid
        self.mode_args = [str(a) for a in mode_args]
        self.stdout = stdout
        self.logfile = logfile


class Options:
    def __init__(self, kill_timeout_ms=None, crash_loop=False):
        self.kill_timeout_ms = kill_timeout_ms  # None: the system's default
        self.crash_loop = crash_loop            # children exit at once, over and over


class Adapter:
    name = "?"
    # workload -> reason it cannot run on this system (printed as a footnote)
    cannot = {}
    max_children = None       # the largest tree the system handles with its defaults
    max_children_note = ""
    restart_throttle_s = 0.0  # the system refuses to restart faster than this
    slow_crash_loop = False   # restarts a crashing child about once a second
    log_modes = ("file", "prefix")
    notes = {}                # table id -> footnote about how this system behaves there

    def __init__(self, ctx):
        self.ctx = ctx
        self.proc = None
        self.dir = None
        self.specs = []
        self.opts = Options()

    # -- to override ---------------------------------------------------------
    def prefix_bytes(self, spec):
        """Bytes the system adds to each line of spec's output in its destination
        (counted by the log workload's completeness check; 0: as written)."""
        return 0

    def check(self):
        """Raises Skip(reason) when the system cannot run here."""

    def version(self):
        return "?"

    def write_config(self):
        raise NotImplementedError

    def daemon_argv(self):
        raise NotImplementedError

    def restart(self, cid):
        raise NotImplementedError

    def stop_all(self):
        raise NotImplementedError

    def stop_one(self, cid):
        """Returns a Popen (the CLI may block until the stop is done)."""
        raise NotImplementedError

    def status(self):
        raise NotImplementedError

    def before_start(self):
        """Runs after setup, before the start clock starts."""

    def graceful_stop(self):
        """Asks the supervisor to stop everything and exit (bounded)."""
        self.proc.send_signal(signal.SIGTERM)

    def supervisor_pids(self):
        """Pids of the supervisor's own processes: the daemon and every
        descendant that is not a benchmark child (runsv, s6-supervise, supervise,
        loggers)."""
        if not self.proc:
            return []
        child = os.path.realpath(self.ctx.child_bin)
        out = [self.proc.pid]
        for p in descendants(self.proc.pid):
            try:
                if os.readlink(f"/proc/{p}/exe") == child:
                    continue
            except OSError:
                continue
            out.append(p)
        return out

    # -- common --------------------------------------------------------------
    def setup(self, d, specs, opts=None):
        self.dir = d
        self.specs = specs
        self.opts = opts or Options()
        os.makedirs(d, exist_ok=True)
        self.events_path = os.path.join(d, "events")
        self.token = f"{self.ctx.token}-{os.path.basename(d)}"
        self.env = dict(self.ctx.env, SUPD_BENCH_TOKEN=self.token)
        self.write_config()

    def child_argv(self, s):
        return [self.ctx.child_bin, self.events_path, s.id] + s.mode_args

    def start(self):
        out = open(os.path.join(self.dir, "daemon.out"), "wb")
        self.proc = subprocess.Popen(self.daemon_argv(), stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, env=self.env, cwd=self.dir,
                                     start_new_session=True)
        out.close()

    def daemon_output(self, limit=400):
        try:
            with open(os.path.join(self.dir, "daemon.out"), "rb") as f:
                return f.read()[-limit:].decode(errors="replace").strip()
        except OSError:
            return ""

    def ensure_alive(self):
        if self.proc and self.proc.poll() is not None:
            raise Broken(f"{self.name} exited with status {self.proc.returncode}: "
                         f"{self.daemon_output()!r}")

    def teardown(self, timeout=30, fast=False):
        """Graceful stop, then SIGKILL whatever of this instance is left (found by
        the instance's environment token).  Returns the leftovers it killed.
        fast: SIGKILL the supervisor and sweep its children (big trees: a
        graceful stop of 10,000 children one after another is not measured and
        would take half a minute)."""
        if not self.proc:
            return []
        tree = [self.proc.pid] + descendants(self.proc.pid)
        if fast and self.proc.poll() is None:
            from benchlib import procs_with_token
            self.proc.kill()
            self.proc.wait(10)
            kids = procs_with_token(self.token)
            kill_pids(kids)
            wait_gone(kids, 20)
            tree = []
        if self.proc.poll() is None:
            try:
                self.graceful_stop()
            except Exception:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        left = wait_gone(tree, 5)
        # token-scan: children re-parented away from the tree, if any
        from benchlib import procs_with_token
        strays = set(procs_with_token(self.token)) | set(left)
        killed = []
        if strays:
            killed = [(p, _cmd(p)) for p in strays]
            kill_pids(sorted(strays))  # supervisors and children alike: SIGKILL
            wait_gone(list(strays), 5)
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        reap_orphans()
        self.proc = None
        return killed


def _cmd(p):
    from benchlib import cmdline
    return cmdline(p)[:100]


def svc_dir_tree(adapter, root, log_cmd=None):
    """Service directories in the daemontools family: root/ID/run is the child
    binary (a symlink: no shell in between), root/ID/bench-args its arguments;
    log_cmd(mode) gives the logger's command line for root/ID/log/run."""
    os.makedirs(root, exist_ok=True)
    dirs = []
    for s in adapter.specs:
        d = os.path.join(root, s.id)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "bench-args"), "w") as f:
            f.write("\n".join([adapter.events_path, s.id] + s.mode_args))
        os.symlink(adapter.ctx.child_bin, os.path.join(d, "run"))
        if s.stdout != "null":
            ld = os.path.join(d, "log")
            os.makedirs(os.path.join(ld, "main"), exist_ok=True)
            with open(os.path.join(ld, "run"), "w") as f:
                f.write("#!/bin/sh\nexec " + log_cmd(s.stdout) + "\n")
            os.chmod(os.path.join(ld, "run"), 0o755)
            s.logfile = os.path.join(ld, "main")  # a directory: sizes are summed
        dirs.append(d)
    return dirs


def pkg_version(pkg):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=10).stdout.decode()
        return f"{pkg} {out}" if out else f"{pkg} (not installed)"
    except Exception:
        return pkg


def need_binaries(*names):
    import shutil
    missing = [n for n in names if not shutil.which(n)]
    if missing:
        raise Skip(f"not installed: {', '.join(missing)}")


def children_of_tree(adapter):
    return descendants(adapter.proc.pid) if adapter.proc else []


def poll_until(fn, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.01)
    raise Broken(f"timed out after {timeout} s waiting for {what}")


__all__ = ["Adapter", "ChildSpec", "Options", "Skip", "Broken", "svc_dir_tree", "pkg_version",
           "need_binaries", "poll_until", "alive"]
