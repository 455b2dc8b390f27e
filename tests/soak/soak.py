#!/usr/bin/env python3
"""Soak and chaos test of supd (python3 standard library only).

Soak: a tree of about 200 children over 3 levels and all four strategies, churned for
--duration seconds: random crashes (supctl signal), operator stop/start/restart, start_child
and stop of pool instances, status and events clients that attach and vanish, bursts of 50
concurrent supctl calls. Invariants are checked continuously from `status` (control
socket), /proc and the children's own start/stop records:
  - exactly one live process per running child, none for a stopped one;
  - no zombie left (a child of supd that stays a zombie across two scans);
  - no process in supd's cgroups that no child accounts for (across two scans);
  - supd's RSS and fd count: sampled, growth per hour reported; the fd count of the settled
    tree after the churn may not exceed the one before by more than 16;
  - control-socket latency (p50/p99/max) reported.
Chaos: --chaos-rounds times, supd is killed with SIGKILL at a random moment (during churn,
a branch restart, a start, a shutdown) and a new supd started on the same state dir: once
it is ready, exactly one instance of every running child and no process of an older
generation may exist.

Exit status: 0 all invariants held, 1 a violation (listed), 77 cannot run here (skipped).
Results go to stdout and, with --results FILE, as JSON to FILE.
"""

import argparse
import glob
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
STRATEGIES = ["one_for_one", "one_for_all", "rest_for_one"]


def now():
    return time.monotonic()


class Violations:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, text):
        with self.lock:
            self.items.append(text)
            if len(self.items) <= 20:
                print("VIOLATION: " + text, flush=True)


class Latencies:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []

    def add(self, seconds):
        with self.lock:
            self.samples.append(seconds * 1000.0)

    def summary(self):
        with self.lock:
            s = sorted(self.samples)
        if not s:
            return {"count": 0}
        pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]
        return {"count": len(s), "p50_ms": round(pick(0.5), 2), "p99_ms": round(pick(0.99), 2),
                "max_ms": round(s[-1], 2)}


def call(sock_path, request, timeout=30.0, lat=None):
    """One request on a fresh connection; returns the reply object (or None)."""
    t0 = now()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        s.sendall((json.dumps(request) + "\n").encode())
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(1 << 20)
            if not chunk:
                return None
            buf += chunk
        reply = json.loads(buf.split(b"\n", 1)[0])
        if lat is not None:
            lat.add(now() - t0)
        return reply
    except (OSError, ValueError):
        return None
    finally:
        s.close()


def flatten(node, out):
    out[node["path"]] = node
    for c in node.get("children", []):
        flatten(c, out)
    return out


def status(sock_path, lat=None):
    r = call(sock_path, {"cmd": "status"}, lat=lat)
    if not r or not r.get("ok"):
        return None
    return flatten(r["node"], {})


def proc_stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    return {"state": rest[0], "ppid": int(rest[1]), "start": int(rest[19])}


def scan_children(tag):
    """pid -> (child path, stat) for every live test-child process of this run."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if tag.encode() not in argv or b"--path" not in argv:
            continue
        i = argv.index(b"--path")
        st = proc_stat(int(d))
        if st is None or i + 1 >= len(argv):
            continue
        out[int(d)] = (argv[i + 1].decode(), st)
    return out


def cgroup2_mount():
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                parts = line.split()
                sep = parts.index("-")
                if parts[sep + 1] == "cgroup2":
                    return parts[4]
    except (OSError, ValueError):
        pass
    return None


def supd_cgroup_pids(supd_pid):
    """Pids in the cgroups supd created for its children (None: no cgroup kill scopes)."""
    mount = cgroup2_mount()
    if not mount:
        return None
    try:
        with open("/proc/%d/cgroup" % supd_pid) as f:
            own = [l.strip()[3:] for l in f if l.startswith("0::")][0]
    except (OSError, IndexError):
        return None
    bases = glob.glob(os.path.join(mount + own, "supd-%d-*" % supd_pid))
    if not bases:
        return None
    pids = set()
    for base in bases:
        for root, _dirs, files in os.walk(base):
            if "cgroup.procs" in files:
                try:
                    with open(os.path.join(root, "cgroup.procs")) as f:
                        pids.update(int(x) for x in f.read().split())
                except OSError:
                    pass
    return pids


def supd_resources(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            rss = [int(l.split()[1]) for l in f if l.startswith("VmRSS:")][0]
        fds = len(os.listdir("/proc/%d/fd" % pid))
        return rss, fds
    except (OSError, IndexError):
        return None


def build_config(work, child, records, width):
    """3 levels: root -> 3 supervisors (one per strategy) -> 3 groups -> `width` workers,
    plus a simple_one_for_one pool at the root."""
    def worker(path, i):
        cmd = [child, "--log", records, "--path", path]
        w = {"id": path.rsplit("/", 1)[1], "command": cmd, "shutdown": "2s"}
        if i % 5 == 1:
            w["command"] = cmd + ["--notify-fd", "3"]
            w["ready"] = {"notify_fd": 3}
            w["start_timeout"] = "10s"
        if i % 7 == 3:
            w["restart"] = "transient"
        return w

    top = []
    for s in STRATEGIES:
        groups = []
        for j, gs in enumerate(STRATEGIES):
            workers = [worker("%s/g%d/w%d" % (s, j, i), i) for i in range(width)]
            groups.append({"id": "g%d" % j, "strategy": gs, "intensity": 30, "period": "10s",
                           "children": workers})
        top.append({"id": s, "strategy": s, "intensity": 30, "period": "10s",
                    "children": groups})
    top.append({"id": "pool", "strategy": "simple_one_for_one", "max_children": 40,
                "template": {"command": [child, "--log", records], "restart": "temporary",
                             "shutdown": "1s"}})
    return {
        "daemon": {"socket": os.path.join(work, "supd.sock"),
                   "state_dir": os.path.join(work, "state"), "on_root_give_up": "stay"},
        "strategy": "one_for_one", "intensity": 1000000, "period": "1s",
        "children": top,
    }


class Run:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="supd-soak-")
        self.sock = os.path.join(self.work, "supd.sock")
        self.records = os.path.join(self.work, "records")
        self.config = os.path.join(self.work, "supd.json")
        cfg = build_config(self.work, args.child, self.records, args.width)
        with open(self.config, "w") as f:
            json.dump(cfg, f, indent=1)
        self.workers = [p for p in self.expected_paths(cfg)]
        self.supd = None
        self.viol = Violations()
        self.lat = Latencies()      # control socket, one request per connection
        self.ctl_lat = Latencies()  # a whole supctl run (process start included)
        self.ops = {}
        self.ops_lock = threading.Lock()
        self.stop = threading.Event()
        self.resources = []
        self.pool_ids = []
        self.op_stopped = set()
        self.rogue = None

    @staticmethod
    def expected_paths(cfg):
        out = []
        for s in cfg["children"]:
            for g in s.get("children", []):
                for w in g["children"]:
                    out.append("%s/%s/%s" % (s["id"], g["id"], w["id"]))
        return out

    def count(self, what):
        with self.ops_lock:
            self.ops[what] = self.ops.get(what, 0) + 1

    # --- supd and supctl -------------------------------------------------------------
    def start_supd(self):
        err = open(os.path.join(self.work, "supd.err"), "ab")
        self.supd = subprocess.Popen([self.args.supd, "-c", self.config],
                                     stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        deadline = now() + 60
        while now() < deadline:
            if self.supd.poll() is not None:
                raise RuntimeError("supd exited with %s; see %s/supd.err"
                                   % (self.supd.returncode, self.work))
            r = call(self.sock, {"cmd": "version"}, timeout=2)
            if r and r.get("ok"):
                return
            time.sleep(0.05)
        raise RuntimeError("supd did not answer within 60 s")

    def wait_tree_settled(self, timeout=120):
        deadline = now() + timeout
        while now() < deadline:
            st = status(self.sock)
            if st and all(n["state"] in ("running", "stopped", "exited")
                          for n in st.values()):
                return st
            time.sleep(0.2)
        return None

    def ctl(self, *argv, timeout=60):
        t0 = now()
        try:
            r = subprocess.run([self.args.supctl, "--socket", self.sock] + list(argv),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=timeout)
            self.ctl_lat.add(now() - t0)
            return r.returncode, r.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired:
            self.viol.add("supctl %s: no answer in %d s" % (" ".join(argv), timeout))
            return -1, ""

    # --- churn ---------------------------------------------------------------------
    def actor(self, period, action):
        rnd = random.Random()
        while not self.stop.wait(rnd.uniform(0.5, 1.5) * period):
            try:
                action(rnd)
            except Exception as e:  # an actor's own bug must not hide the others' results
                self.viol.add("actor %s raised %r" % (action.__name__, e))

    def crash(self, rnd):
        path = rnd.choice(self.workers)
        sig = rnd.choice(["SIGKILL", "SIGTERM", "SIGSEGV", "SIGUSR1", "SIGUSR2"])
        self.ctl("signal", sig, path)
        self.count("crash")

    def operate(self, rnd):
        if self.op_stopped and rnd.random() < 0.5:
            path = self.op_stopped.pop()
            self.ctl("start", path)
            self.count("start")
            return
        level = rnd.random()
        if level < 0.7:
            path = rnd.choice(self.workers)
        elif level < 0.95:
            path = rnd.choice(self.workers).rsplit("/", 1)[0]
        else:
            path = rnd.choice(STRATEGIES)
        verb = rnd.choice(["restart", "restart", "stop"])
        self.ctl(verb, path)
        self.count(verb)
        if verb == "stop":
            self.op_stopped.add(path)

    def pool(self, rnd):
        if self.pool_ids and (len(self.pool_ids) >= 20 or rnd.random() < 0.4):
            pid = self.pool_ids.pop(rnd.randrange(len(self.pool_ids)))
            self.ctl("stop", "pool/" + pid)
            self.count("terminate_child")
            return
        ident = "p%d" % rnd.randrange(1 << 30)
        code, _ = self.ctl("start-child", "pool", "--id", ident, "--", "--path", "pool/" + ident)
        if code == 0:
            self.pool_ids.append(ident)
        self.count("start_child")

    def watcher(self, rnd):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(self.sock)
            s.sendall(b'{"cmd":"events","follow":true}\n')
            end = now() + rnd.uniform(0.1, 3)
            while now() < end:
                try:
                    if not s.recv(65536):
                        break
                except socket.timeout:
                    break
        except OSError:
            pass
        finally:
            s.close()  # vanish mid-stream
        self.count("events_client")

    def poller(self, rnd):
        if rnd.random() < 0.5:
            call(self.sock, {"cmd": "status"}, lat=self.lat)
        else:
            call(self.sock, {"cmd": "status", "path": rnd.choice(STRATEGIES)}, lat=self.lat)
        self.count("status_client")

    def burst(self, rnd):
        verbs = [["status"], ["--json", "status"], ["tree"], ["check"],
                 ["status", rnd.choice(STRATEGIES)]]
        threads = [threading.Thread(target=self.ctl, args=tuple(rnd.choice(verbs)))
                   for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.count("burst50")

    # --- invariants ----------------------------------------------------------------
    def check_once(self, prev):
        s1 = status(self.sock, self.lat)
        procs = scan_children(self.records)
        cg = supd_cgroup_pids(self.supd.pid)
        s2 = status(self.sock, self.lat)
        if s1 is None or s2 is None:
            self.viol.add("status did not answer")
            return prev
        by_path, with_zombies = {}, {}
        for pid, (path, st) in procs.items():
            with_zombies.setdefault(path, []).append(pid)
            if st["state"] != "Z":
                by_path.setdefault(path, []).append(pid)
        for path, n1 in s1.items():
            n2 = s2.get(path)
            if n1["kind"] != "worker" or n2 is None:
                continue
            # No state change between the two snapshots (same `since`): what the scan in
            # between saw is what supd claims. A stop-start-stop in between is not stable.
            stable = (n1["state"] == n2["state"] and n1.get("pid") == n2.get("pid") and
                      n1.get("since") == n2.get("since"))
            live = sorted(by_path.get(path, []))
            # A child killed a moment ago is a zombie until supd reaps it: still its process.
            seen = sorted(with_zombies.get(path, []))
            if stable and n1["state"] == "running" and seen != [n1["pid"]]:
                self.viol.add("%s running as pid %s, but /proc has %s" % (path, n1["pid"], seen))
            if stable and n1["state"] in ("stopped", "exited") and live:
                self.viol.add("%s is %s, but /proc has %s" % (path, n1["state"], live))
        for path, live in by_path.items():
            if len(live) > 1:
                a, b = s1.get(path), s2.get(path)
                if (a and b and a.get("pid") == b.get("pid") and a["state"] == b["state"] and
                        a.get("since") == b.get("since")):
                    self.viol.add("%s has %d live processes: %s" % (path, len(live), live))
        zombies = {pid for pid, (_p, st) in procs.items()
                   if st["state"] == "Z" and st["ppid"] == self.supd.pid}
        for pid in zombies & prev.get("zombies", set()):
            self.viol.add("pid %d stayed a zombie of supd" % pid)
        known = {n.get("pid") for n in list(s1.values()) + list(s2.values())}
        stray = set()
        if cg is not None:
            stray = {p for p in cg if p not in known and p != self.supd.pid}
            for pid in stray & prev.get("stray", set()):
                self.viol.add("pid %d in supd's cgroups is no child's" % pid)
        res = supd_resources(self.supd.pid)
        if res:
            self.resources.append((now(), res[0], res[1]))
        self.count("checks")
        return {"zombies": zombies, "stray": stray}

    def checker(self):
        prev = {}
        while not self.stop.wait(self.args.check_interval):
            try:
                prev = self.check_once(prev)
            except Exception as e:
                self.viol.add("checker raised %r" % e)

    def soak(self, seconds):
        actors = [
            (self.args.crash_every, self.crash), (self.args.crash_every, self.crash),
            (1.0, self.operate), (0.5, self.pool), (1.0, self.watcher), (0.2, self.poller),
            (15.0, self.burst),
        ]
        threads = [threading.Thread(target=self.actor, args=a, daemon=True) for a in actors]
        threads.append(threading.Thread(target=self.checker, daemon=True))
        for t in threads:
            t.start()
        if self.args.inject_duplicate:
            self.stop.wait(seconds / 2)
            self.inject_duplicate()
            self.stop.wait(seconds / 2)
        else:
            self.stop.wait(seconds)
        self.stop.set()
        for t in threads:
            t.join(120)
        # Quiesce: operator-stopped children back, then a last check on a settled tree.
        for path in sorted(self.op_stopped):
            self.ctl("start", path)
        self.op_stopped.clear()
        for ident in self.pool_ids:
            self.ctl("stop", "pool/" + ident)
        self.pool_ids = []
        if self.wait_tree_settled() is None:
            self.viol.add("the tree did not settle within 120 s after the churn")
        self.check_once({})
        time.sleep(self.args.check_interval)
        self.check_once({})

    def inject_duplicate(self):
        """Self-test: a second process posing as a running child must be reported."""
        st = status(self.sock) or {}
        running = [p for p in self.workers if st.get(p, {}).get("state") == "running"]
        if not running:
            self.viol.add("self-test: no running child to duplicate")
            return
        path = running[0]
        self.rogue = subprocess.Popen([self.args.child, "--log", self.records, "--path", path],
                                      stdin=subprocess.DEVNULL)
        print("soak: self-test: injected a duplicate of %s (pid %d)" % (path, self.rogue.pid),
              flush=True)

    # --- chaos ---------------------------------------------------------------------
    def chaos_round(self, rnd, i):
        moment = rnd.choice(["churn", "branch_restart", "start", "shutdown"])
        if moment == "branch_restart":
            self.ctl("signal", "SIGKILL", "one_for_all/g1/w0")  # one_for_all inside one_for_all
            time.sleep(rnd.uniform(0, 0.3))
        elif moment == "start":
            subprocess.Popen([self.args.supctl, "--socket", self.sock, "restart",
                              rnd.choice(STRATEGIES)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
            time.sleep(rnd.uniform(0, 0.5))
        elif moment == "shutdown":
            self.supd.send_signal(signal.SIGTERM)
            time.sleep(rnd.uniform(0, 0.2))
        else:
            for _ in range(rnd.randrange(1, 6)):
                self.crash(rnd)
        old = self.supd
        old.kill()
        old.wait()
        with open("/proc/uptime") as f:  # "now" in /proc's start-time unit (clock ticks)
            old_start = int(float(f.read().split()[0]) * os.sysconf("SC_CLK_TCK"))
        self.start_supd()
        st = self.wait_tree_settled()
        if st is None:
            self.viol.add("chaos %d (%s): the new tree did not settle" % (i, moment))
            return
        time.sleep(0.5)
        procs = scan_children(self.records)
        st = status(self.sock) or st
        live = {}
        for pid, (path, pst) in procs.items():
            if pst["state"] == "Z":
                continue
            live.setdefault(path, []).append(pid)
            if proc_stat(pid) and pst["start"] < old_start:
                self.viol.add("chaos %d (%s): %s pid %d is from an older generation"
                              % (i, moment, path, pid))
        for path, node in st.items():
            if node["kind"] != "worker":
                continue
            got = sorted(live.get(path, []))
            want = [node["pid"]] if node["state"] == "running" else []
            if got != want:
                self.viol.add("chaos %d (%s): %s is %s (pid %s), /proc has %s"
                              % (i, moment, path, node["state"], node.get("pid"), got))
        self.count("chaos_" + moment)

    def chaos(self, rounds):
        rnd = random.Random()
        for i in range(rounds):
            self.chaos_round(rnd, i)

    def shutdown(self):
        if self.rogue:
            self.rogue.kill()
            self.rogue.wait()
        if self.supd and self.supd.poll() is None:
            self.supd.send_signal(signal.SIGTERM)
            try:
                self.supd.wait(120)
            except subprocess.TimeoutExpired:
                self.supd.kill()
                self.supd.wait()
        left = scan_children(self.records)
        if left:
            self.viol.add("processes left after supd exited: %s" % sorted(left))
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


def growth_per_hour(samples, index):
    """Least-squares slope of samples[*][index] over time, per hour."""
    if len(samples) < 3:
        return 0.0
    xs = [s[0] for s in samples]
    ys = [s[index] for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    if den == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den * 3600


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--supd", required=True)
    ap.add_argument("--supctl", required=True)
    ap.add_argument("--child", required=True, help="supd_test_child")
    ap.add_argument("--duration", type=float, default=60, help="soak seconds")
    ap.add_argument("--chaos-rounds", type=int, default=5)
    ap.add_argument("--width", type=int, default=20, help="workers per group (9 groups)")
    ap.add_argument("--crash-every", type=float, default=0.5, help="seconds, per crasher")
    ap.add_argument("--check-interval", type=float, default=2.0)
    ap.add_argument("--results", help="write the results as JSON to this file")
    ap.add_argument("--inject-duplicate", action="store_true",
                    help="self-test: start a rogue copy of a child mid-soak; exit 0 only if "
                         "the checker reports it")
    args = ap.parse_args()
    for exe in (args.supd, args.supctl, args.child):
        if not os.access(exe, os.X_OK):
            print("SKIP: %s is not executable (build first)" % exe)
            return SKIP

    run = Run(args)
    started = time.time()
    print("soak: %d workers + pool, %d s churn, %d chaos rounds, in %s"
          % (len(run.workers), args.duration, args.chaos_rounds, run.work), flush=True)
    try:
        run.start_supd()
        if run.wait_tree_settled() is None:
            run.viol.add("the tree did not start within 120 s")
        baseline = supd_resources(run.supd.pid)
        t0 = now()
        run.soak(args.duration)
        soak_s = now() - t0
        final = supd_resources(run.supd.pid)
        # Settled before and after: the same tree, no client attached. An fd per lost
        # connection, pipe or pidfd would show here.
        if baseline and final and final[1] > baseline[1] + 16:
            run.viol.add("supd's fds grew from %d to %d over the soak" % (baseline[1], final[1]))
        res = list(run.resources)
        run.chaos(args.chaos_rounds)
    finally:
        run.shutdown()
    starts = 0
    if os.path.exists(run.records):
        with open(run.records, errors="replace") as f:
            starts = sum(1 for line in f if line.startswith("start "))
    out = {
        "workers": len(run.workers), "soak_seconds": round(soak_s, 1),
        "chaos_rounds": args.chaos_rounds, "operations": run.ops,
        "child_starts_recorded": starts,
        "control_socket_latency": run.lat.summary(),
        "supctl_latency": run.ctl_lat.summary(),
        "supd_rss_kib": {"first": res[0][1] if res else None, "last": res[-1][1] if res else None,
                         "max": max(r[1] for r in res) if res else None,
                         "growth_per_hour": round(growth_per_hour(res, 1), 1)},
        "supd_settled_before_after": {"rss_kib": [baseline and baseline[0], final and final[0]],
                                      "fds": [baseline and baseline[1], final and final[1]]},
        "supd_fds": {"first": res[0][2] if res else None, "last": res[-1][2] if res else None,
                     "max": max(r[2] for r in res) if res else None,
                     "growth_per_hour": round(growth_per_hour(res, 2), 1)},
        "load_average": os.getloadavg(),
        "violations": run.viol.items,
        "wall_seconds": round(time.time() - started, 1),
    }
    print(json.dumps(out, indent=1))
    if args.results:
        with open(args.results, "w") as f:
            json.dump(out, f, indent=1)
    if args.inject_duplicate:
        caught = [v for v in run.viol.items if "live processes" in v or "/proc has" in v]
        print("soak: self-test %s" % ("caught the duplicate" if caught else "MISSED the duplicate"))
        subprocess.run(["rm", "-rf", run.work])
        return 0 if caught else 1
    if run.viol.items:
        print("soak: %d violations (first: %s); work dir kept: %s"
              % (len(run.viol.items), run.viol.items[0], run.work))
        return 1
    subprocess.run(["rm", "-rf", run.work])
    print("soak: all invariants held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
