"""daemontools: svscan on a temp scan dir (one supervise per service), svc, svstat."""
import os
import signal
import subprocess

from adapters.base import Adapter, need_binaries, pkg_version, svc_dir_tree
from benchlib import run


class Daemontools(Adapter):
    name = "daemontools"
    slow_crash_loop = True
    cannot = {"lateness": "supervise has no kill timeout (svc -d sends TERM and CONT only)"}
    max_children = 1000
    max_children_note = "svscan starts at most 1,000 services"
    restart_throttle_s = 1.0  # supervise sleeps 1 s after every start

    def check(self):
        need_binaries("svscan", "supervise", "svc", "svstat", "multilog")

    def version(self):
        return pkg_version("daemontools")

    def write_config(self):
        self.scandir = os.path.join(self.dir, "scan")
        self.dirs = svc_dir_tree(self, self.scandir,
                                 lambda m: "multilog ./main" if m == "file" else "multilog t ./main")
        self.by_id = {s.id: d for s, d in zip(self.specs, self.dirs)}

    def daemon_argv(self):
        return ["svscan", self.scandir]

    def restart(self, cid):
        run(["svc", "-t", self.by_id[cid]], env=self.env, check=False)

    def stop_all(self):
        run(["svc", "-d"] + self.dirs, env=self.env, check=False)

    def stop_one(self, cid):
        return subprocess.Popen(["svc", "-d", self.by_id[cid]], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self.env)

    def status(self):
        run(["svstat"] + self.dirs, env=self.env, check=False, timeout=120)


    def graceful_stop(self):
        logs = [os.path.join(d, "log") for d in self.dirs if os.path.isdir(os.path.join(d, "log"))]
        run(["svc", "-dx"] + self.dirs + logs, env=self.env, check=False)
        self.proc.send_signal(signal.SIGTERM)  # svscan has no orderly exit of its own
