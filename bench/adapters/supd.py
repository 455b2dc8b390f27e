"""supd: the daemon under test, from a JSON config (README, "Config reference"), by supctl."""
import json
import os
import subprocess

from adapters.base import Adapter
from benchlib import Broken, Skip, run


def _cgroup2_writable():
    for d in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if os.path.exists(os.path.join(d, "cgroup.controllers")) and os.access(d, os.W_OK):
            return True
    return False


_NOTES = {
    "stop": "supd stops a supervisor's children one after another, in reverse start order "
            "(as OTP; README, \"How supd behaves\"); raw and the one-process-per-service peers stop them all at once",
    "cmd": "`supctl restart` replies once the new child is started and ready",
}
_CGROUP = ("default kill_mode `auto` = a cgroup per child on this host (cgroup v2 is writable); "
           "the opt-in supd-group row shows supd without it")


def _remove_cgroups(pid):
    """Empty cgroups a SIGKILLed supd (a fast teardown) left: supd-PID-*, deepest first
    (a supd that exits removes its own; the next one on the same state dir would too)."""
    for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        try:
            names = [n for n in os.listdir(root) if n.startswith(f"supd-{pid}-")]
        except OSError:
            continue
        for name in names:
            for d, _, _ in sorted(os.walk(os.path.join(root, name)), key=lambda w: -len(w[0])):
                try:
                    os.rmdir(d)
                except OSError:
                    pass  # not empty (a process left in it) or gone


class Supd(Adapter):
    name = "supd"
    notes = dict(_NOTES)
    if _cgroup2_writable():
        notes = {k: "; ".join(x for x in (_NOTES.get(k), _CGROUP) if x)
                 for k in ("stop", "cmd", "crash", "crashloop")}
        notes["stop"] = _NOTES["stop"]

    def sock(self):
        return os.path.join(self.dir, "supd.sock")

    def ctl(self, *args, timeout="60s"):
        return [self.ctx.supctl_bin, "--socket", self.sock(), "--timeout", timeout] + list(args)

    def check(self):
        for b in (self.ctx.supd_bin, self.ctx.supctl_bin):
            if not os.access(b, os.X_OK):
                raise Skip(f"{b} not built ({self.ctx.supd_build_note or 'no build attempted'})")
        probe = self.ctx.supd_probe()  # a tiny tree: daemon up, child running, supctl answers
        if probe:
            raise Skip(probe)

    def version(self):
        try:
            out = subprocess.run([self.ctx.supd_bin, "--version"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, timeout=5).stdout.decode().strip()
        except Exception as e:
            out = str(e)
        build = ""
        origin = getattr(self.ctx, "supd_origin", self.ctx.supd_bin)
        cache = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(origin))),
                             "CMakeCache.txt")
        try:
            kv = dict(ln.split("=", 1) for ln in open(cache).read().splitlines()
                      if "=" in ln and not ln.startswith(("#", "//")))
            build = f", {kv.get('CMAKE_BUILD_TYPE:STRING', '?')} build"
            if kv.get("SUPD_SANITIZE:BOOL", "OFF") not in ("OFF", ""):
                build += " WITH SANITIZERS"
        except (OSError, ValueError):
            pass
        import time
        try:
            when = time.strftime("%H:%M UTC", time.gmtime(os.path.getmtime(self.ctx.supd_bin)))
        except OSError:
            when = "?"
        return (f"{out.splitlines()[0] if out else '?'} ({origin}{build}, built {when}, "
                "copied at the start of the run)")

    def write_config(self):
        children = []
        for s in self.specs:
            c = {"id": s.id, "command": self.child_argv(s)}
            if s.stdout == "null":
                c["stdout"] = "null"
                c["stderr"] = "null"
            elif s.stdout == "file":
                s.logfile = s.logfile or os.path.join(self.dir, f"{s.id}.log")
                c["stdout"] = {"file": s.logfile}
                c["stderr"] = "stdout"
            elif s.stdout == "prefix":
                c["stdout"] = "log"
                c["stderr"] = "stdout"
                s.logfile = os.path.join(self.dir, "daemon.out")
            if self.opts.kill_timeout_ms is not None:
                c["shutdown"] = f"{self.opts.kill_timeout_ms}ms"
            children.append(c)
        cfg = {
            "daemon": {"socket": self.sock(), "state_dir": os.path.join(self.dir, "state")},
            "strategy": "one_for_one", "intensity": 1000000, "period": "1s",
            "children": children,
        }
        self.config = os.path.join(self.dir, "supd.json")
        with open(self.config, "w") as f:
            json.dump(cfg, f, indent=1)

    def prefix_bytes(self, spec):
        return len(spec.id) + 2 if spec.stdout == "prefix" else 0  # `ID| ` before each line

    def daemon_argv(self):
        return [self.ctx.supd_bin, "-c", self.config]

    def restart(self, cid):
        run(self.ctl("restart", cid), env=self.env)

    def stop_all(self):
        # the tree's own "stop everything": stops every child (README: reverse start
        # order, one after another) and replies when done; supd then exits.
        run(self.ctl("shutdown", timeout="600s"), timeout=610, env=self.env)

    def stop_one(self, cid):
        return subprocess.Popen(self.ctl("stop", cid), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self.env)

    def status(self):
        run(self.ctl("status"), env=self.env)

    def teardown(self, timeout=30, fast=False):
        pid = self.proc.pid if self.proc else None
        killed = super().teardown(timeout, fast)
        if pid is not None:
            _remove_cgroups(pid)
        return killed

    def graceful_stop(self):
        try:
            run(self.ctl("shutdown", timeout="120s"), timeout=125, env=self.env)
        except Broken:
            super().graceful_stop()
