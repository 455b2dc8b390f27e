"""runit: runsvdir on a temp service dir (one runsv per service), sv commands."""
import os
import signal
import subprocess

from adapters.base import Adapter, need_binaries, pkg_version, svc_dir_tree
from benchlib import run


class Runit(Adapter):
    name = "runit"
    slow_crash_loop = True
    cannot = {"lateness": "runsv has no kill timeout (only `sv force-stop`, a client-side 7 s wait)"}
    max_children = 1000
    max_children_note = "runsvdir supervises at most 1,000 services (MAXSERVICES)"
    restart_throttle_s = 1.0  # runsv sleeps 1 s when a service ran for less than 1 s

    notes = {
        "cmd": "`sv restart` polls for the new state in 420 ms steps: its CLI wall time is mostly that",
        "start": "the service dirs are created > 1 s before runsvdir starts (runsvdir does not trust "
                 "a directory modified within the current second and rescans it a second later)",
    }

    def before_start(self):
        import time
        time.sleep(1.1)  # see notes["start"]

    def check(self):
        need_binaries("runsvdir", "runsv", "sv", "svlogd")

    def version(self):
        return pkg_version("runit")

    def write_config(self):
        self.svdir = os.path.join(self.dir, "service")
        self.dirs = svc_dir_tree(self, self.svdir,
                                 lambda m: "svlogd ./main" if m == "file" else "svlogd -tt ./main")
        self.by_id = {s.id: d for s, d in zip(self.specs, self.dirs)}

    def daemon_argv(self):
        return ["runsvdir", "-P", self.svdir]

    def restart(self, cid):
        run(["sv", "restart", self.by_id[cid]], env=self.env, check=False)

    def stop_all(self):
        run(["sv", "down"] + self.dirs, env=self.env, check=False)

    def stop_one(self, cid):
        return subprocess.Popen(["sv", "down", self.by_id[cid]], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self.env)

    def status(self):
        run(["sv", "status"] + self.dirs, env=self.env, check=False)



    def graceful_stop(self):
        run(["sv", "down"] + self.dirs, env=self.env, check=False)
        self.proc.send_signal(signal.SIGHUP)  # runsvdir: TERM to every runsv, exit
