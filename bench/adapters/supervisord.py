"""supervisord: `supervisord -c` a temp conf (unix_http_server in the temp dir),
supervisorctl for commands.  Defaults except where a workload needs a setting:
stopwaitsecs (the kill-timeout workload) and startsecs=0 (crash loop, else the
default startsecs=1 + startretries=3 gives up after 3 fast exits)."""
import os
import subprocess

from adapters.base import Adapter, need_binaries, pkg_version
from benchlib import run


class Supervisord(Adapter):
    name = "supervisord"
    slow_crash_loop = True
    max_children = 1000
    max_children_note = "supervisord keeps 2 pipes per program: 10,000 need more than RLIMIT_NOFILE 20,000"
    log_modes = ("file",)
    cannot = {"log-prefix": "supervisord has no prefixed-lines mode (stdout_logfile is a plain file)"}

    notes = {
        "crash": "supervisord respawns an exited program on its next 1 s tick",
        "start": "supervisord spawns its programs on the first tick of its loop, 1 s after it started",
        "cmd": "`supervisorctl restart` = stop, start, then wait startsecs (1 s) for RUNNING; "
               "supervisorctl is Python (~0.2 s of start-up)",
        "crashloop": "startsecs=0 (with the default startsecs=1 a program that exits at once is given up after 3 tries)",
        "lateness": "stopwaitsecs=1 (default 10)",
    }

    def check(self):
        need_binaries("supervisord", "supervisorctl")

    def version(self):
        return pkg_version("supervisor")

    def write_config(self):
        d = self.dir
        self.conf = os.path.join(d, "supervisord.conf")
        os.makedirs(os.path.join(d, "childlogs"), exist_ok=True)
        lines = [
            "[unix_http_server]", f"file={d}/supervisor.sock", "",
            "[supervisord]", "nodaemon=true", f"logfile={d}/supervisord.log",
            f"pidfile={d}/supervisord.pid", f"childlogdir={d}/childlogs", "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
            "[supervisorctl]", f"serverurl=unix://{d}/supervisor.sock", "",
        ]
        for s in self.specs:
            lines += [f"[program:{s.id}]", "command=" + " ".join(self.child_argv(s))]
            if s.stdout == "null":
                lines += ["stdout_logfile=NONE", "stderr_logfile=NONE"]
            else:
                s.logfile = s.logfile or os.path.join(d, f"{s.id}.log")
                lines += [f"stdout_logfile={s.logfile}", "redirect_stderr=true"]
            if self.opts.kill_timeout_ms is not None:
                lines.append(f"stopwaitsecs={max(1, self.opts.kill_timeout_ms // 1000)}")
            if self.opts.crash_loop:
                lines.append("startsecs=0")
            lines.append("")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines))

    def daemon_argv(self):
        return ["supervisord", "-c", self.conf]

    def ctl(self, *args):
        return ["supervisorctl", "-c", self.conf] + list(args)

    def restart(self, cid):
        run(self.ctl("restart", cid), env=self.env, check=False)

    def stop_all(self):
        run(self.ctl("stop", "all"), env=self.env, check=False, timeout=300)

    def stop_one(self, cid):
        return subprocess.Popen(self.ctl("stop", cid), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self.env)

    def status(self):
        run(self.ctl("status"), env=self.env, check=False, timeout=120)
