"""raw: bench/raw.c, the least a supervisor can do (posix_spawn, signalfd +
waitpid, kill, pipe -> write).  Driven through a FIFO: its "CLI" costs a write."""
import os

from adapters.base import Adapter
from benchlib import write_fifo


class Raw(Adapter):
    name = "raw"
    cannot = {"status": "raw has no status interface"}

    def version(self):
        return "bench/raw.c (posix_spawn + signalfd + waitpid loop)"

    def check(self):
        if not os.access(self.ctx.raw_bin, os.X_OK):
            from benchlib import Skip
            raise Skip(f"{self.ctx.raw_bin} not built")

    def write_config(self):
        self.ctl = os.path.join(self.dir, "ctl")
        os.mkfifo(self.ctl)
        with open(os.path.join(self.dir, "spec"), "w") as f:
            for s in self.specs:
                out = {"null": "null", "prefix": "prefix"}.get(s.stdout)
                if s.stdout == "file":
                    s.logfile = s.logfile or os.path.join(self.dir, f"{s.id}.log")
                    out = "file:" + s.logfile
                elif s.stdout == "prefix":
                    s.logfile = os.path.join(self.dir, "daemon.out")
                f.write(" ".join([s.id, out] + self.child_argv(s)) + "\n")

    def prefix_bytes(self, spec):
        return len(spec.id) + 2 if spec.stdout == "prefix" else 0  # `ID| ` before each line

    def daemon_argv(self):
        argv = [self.ctx.raw_bin]
        if self.opts.kill_timeout_ms is not None:
            argv += ["-k", str(self.opts.kill_timeout_ms)]
        return argv + [os.path.join(self.dir, "spec"), self.ctl]

    def restart(self, cid):
        write_fifo(self.ctl, f"r {cid}\n")

    def stop_all(self):
        write_fifo(self.ctl, "D\n")

    def stop_all_sequential(self):
        # one at a time, last started first: each SIGTERM waits for the previous reap
        write_fifo(self.ctl, "S\n")

    def start_all(self):
        write_fifo(self.ctl, "U\n")

    def stop_one(self, cid):
        write_fifo(self.ctl, f"d {cid}\n")
        return None

    def graceful_stop(self):
        write_fifo(self.ctl, "q\n")
