"""s6: s6-svscan on a temp scan dir (one s6-supervise per service), s6-svc, s6-svstat."""
import os
import subprocess

from adapters.base import Adapter, need_binaries, pkg_version, svc_dir_tree
from benchlib import run


class S6(Adapter):
    name = "s6"
    slow_crash_loop = True
    max_children = 1000  # we raise -c up to here; beyond, a tree of s6-supervise per service is not a fair fight
    max_children_note = "the peers stop at 1,000 services here (runsvdir and svscan cannot go further; s6 is kept to the same range)"
    restart_throttle_s = 1.0  # s6-supervise waits 1 s between two launches

    notes = {
        "crash": "s6-supervise waits 1 s after a death before it respawns (seen here even for a "
                 "service that had run 2.5 s)",
        "cmd": "s6-svc -r: the same 1 s pause before the respawn",
        "start": "s6-svscan runs with `-c N+10` when N > 500, its default maximum number of services",
    }

    def check(self):
        need_binaries("s6-svscan", "s6-supervise", "s6-svc", "s6-svstat", "s6-svscanctl", "s6-log")

    def version(self):
        return pkg_version("s6")

    def write_config(self):
        self.scandir = os.path.join(self.dir, "scan")
        self.dirs = svc_dir_tree(self, self.scandir,
                                 lambda m: "s6-log ./main" if m == "file" else "s6-log t ./main")
        if self.opts.kill_timeout_ms is not None:
            for d in self.dirs:
                with open(os.path.join(d, "timeout-kill"), "w") as f:
                    f.write(f"{self.opts.kill_timeout_ms}\n")
        self.by_id = {s.id: d for s, d in zip(self.specs, self.dirs)}

    def daemon_argv(self):
        # s6-svscan's default maximum is 500 services (-c); above that, raise it (footnote)
        if len(self.specs) > 500:
            return ["s6-svscan", "-c", str(len(self.specs) + 10), self.scandir]
        return ["s6-svscan", self.scandir]

    def restart(self, cid):
        # -r sends SIGTERM; s6-supervise restarts the service; -wr waits for it
        run(["s6-svc", "-wr", "-T", "5000", "-r", self.by_id[cid]], env=self.env, check=False)

    def stop_all(self):
        # s6-svscanctl -t: SIGTERM to every s6-supervise, which brings its service down
        run(["s6-svscanctl", "-t", self.scandir], env=self.env, check=False)

    def stop_one(self, cid):
        return subprocess.Popen(["s6-svc", "-d", self.by_id[cid]], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self.env)

    def status(self):
        # s6-svstat takes one service dir: one call per service, as a script would
        run(["/bin/sh", "-c", 'for d in "$@"; do s6-svstat "$d"; done', "sh"] + self.dirs,
            env=self.env, check=False, timeout=120)


    def graceful_stop(self):
        run(["s6-svscanctl", "-t", self.scandir], env=self.env, check=False)
