"""The workloads.  Each runs one system at a time through its adapter and puts
numbers into Tables; latencies come from the children's own CLOCK_MONOTONIC
records, CPU and memory from /proc."""
import errno
import os
import time

from adapters.base import ChildSpec, Options
from benchlib import (MS, Broken, Events, Skip, cpu_ns, ctxt_switches, median, now, pct, pss_kib,
                      rchar, wait_death)

PARAMS = {
    # crash: children that crash every 1.0-1.5 s, for crash_s seconds
    "smoke": dict(crash_kids=2, crash_s=2.6, cmd_n=3, cmd_n_throttled=2, scale_ns=[10],
                  stop_ns=[10], status_ns=[10], status_n=3, late_n=1, idle_kids=10, idle_s=1.0,
                  log_ms=300, log_kids=5, log_many_ms=300, log_many_rounds=1, loop_s=0.5,
                  size_small=10, size_big=50, rounds=1, cmd_budget_s=5, status_budget_s=2),
    "quick": dict(crash_kids=20, crash_s=4.0, cmd_n=20, cmd_n_throttled=4,
                  scale_ns=[100, 1000, 10000], stop_ns=[100, 1000], status_ns=[100, 1000],
                  status_n=10, late_n=3, idle_kids=100, idle_s=10.0, log_ms=1200, log_kids=100,
                  log_many_ms=1000, log_many_rounds=1, loop_s=2.0,
                  size_small=10, size_big=5000, rounds=2, cmd_budget_s=4, status_budget_s=3),
    "full": dict(crash_kids=20, crash_s=30.0, cmd_n=100, cmd_n_throttled=30,
                 scale_ns=[100, 1000, 10000], stop_ns=[100, 1000], status_ns=[100, 1000],
                 status_n=30, late_n=10, idle_kids=100, idle_s=10.0, log_ms=6000, log_kids=100,
                 log_many_ms=3000, log_many_rounds=1, loop_s=10.0,
                 size_small=10, size_big=10000, rounds=3, cmd_budget_s=40, status_budget_s=15),
}


class Table:
    """One result table: systems as rows, metrics as columns."""

    def __init__(self, wid, title, how, cols, better="lower", ratio_cols=None, target=None):
        self.wid, self.title, self.how = wid, title, how
        self.cols = cols                # [(key, label)]
        self.better = better            # "lower" or "higher"
        self.ratio_cols = ratio_cols if ratio_cols is not None else [k for k, _ in cols]
        self.rows = {}                  # system -> {key: float | str}
        self.notes = []                 # footnotes
        self.target = target            # callable(table) -> [(text, verdict, why)]

    def put(self, system, key, value):
        self.rows.setdefault(system, {})[key] = value

    def putrow(self, system, row):
        for k, v in row.items():
            self.put(system, k, v)

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)
        return self.notes.index(text) + 1

    def skip_row(self, system, reason, keys=None):
        n = self.note(f"{system}: {reason}")
        for k, _ in self.cols:
            if keys is None or k in keys:
                self.put(system, k, f"– [{n}]")

    def num(self, system, key):
        v = self.rows.get(system, {}).get(key)
        return v if isinstance(v, (int, float)) else None


class Instance:
    """A system running for one measurement: setup in a fresh dir, start, and
    a teardown that always runs."""

    def __init__(self, ctx, system, tag, specs, opts=None):
        self.ctx, self.system = ctx, system
        self.a = ctx.make_adapter(system)
        d = ctx.new_dir(f"{tag}-{system}")
        self.a.setup(d, specs, opts)
        self.ev = Events(self.a.events_path)

    def __enter__(self):
        self.a.before_start()
        self.t0 = now()
        self.a.start()
        return self

    def __exit__(self, *exc):
        killed = self.a.teardown(fast=len(self.a.specs) > 2000)
        if killed:
            self.ctx.leftovers.append((self.system, self.a.dir, killed))
        return False

    def wait_started(self, ids, timeout, since=0):
        try:
            return self.ev.wait_ids("S", ids, since, timeout, f"{len(ids)} children to start")
        except Broken:
            self.a.ensure_alive()
            raise


def _ms(ns):
    return ns / MS


def _check_n(ctx, system, n):
    a = ctx.make_adapter(system)
    if a.max_children and n > a.max_children:
        raise Skip(a.max_children_note)
    if n > ctx.max_n:
        raise Skip(f"N={n} above --max-n {ctx.max_n}")


# ---------------------------------------------------------------- 1. crash restart
def crash_tables(P):
    return [Table("crash", "Restart latency after a crash",
              f"{P['crash_kids']} children each exit(1) after living 1.0–1.5 s, for "
              f"{P['crash_s']:g} s; latency = a child's exit (its last instruction) → the next "
              "instance's first instruction, both recorded by the children (CLOCK_MONOTONIC).",
              [("n", "samples"), ("p50", "p50 (ms)"), ("p90", "p90 (ms)"), ("p99", "p99 (ms)"),
               ("max", "max (ms)")], ratio_cols=["p50", "p99"], target=target_crash)]


def crash_run(ctx, s, P, T, pool):
    specs = [ChildSpec(f"c{i}", ["exit", 1000, 500]) for i in range(1, P["crash_kids"] + 1)]
    with Instance(ctx, s, "crash", specs) as inst:
        inst.wait_started([c.id for c in specs], 30)
        window = max(P["crash_s"] / P["rounds"], 3.0)  # ≥ one 1.0-1.5 s life + a 1 s respawn delay
        time.sleep(window)
        inst.a.ensure_alive()
        lat = restart_latencies(inst.ev.poll())
    if not lat:
        raise Broken(f"no restart observed in {window:g} s")
    lat = pool.setdefault("lat", []) + lat
    pool["lat"] = lat
    T[0].putrow(s, {"n": len(lat), "p50": _ms(pct(lat, 50)), "p90": _ms(pct(lat, 90)),
                    "p99": _ms(pct(lat, 99)), "max": _ms(max(lat))})


def restart_latencies(recs, since=0):
    last_exit = {}
    out = []
    for kind, cid, pid, ts, _ in sorted(recs, key=lambda r: r[3]):
        if ts < since:
            if kind == "E":
                last_exit[cid] = (pid, ts)
            continue
        if kind == "E":
            last_exit[cid] = (pid, ts)
        elif kind == "S" and cid in last_exit:
            epid, ets = last_exit.pop(cid)
            if epid != pid:
                out.append(ts - ets)
    return out


# ---------------------------------------------------------------- 2. commanded restart
def cmd_tables(P):
    return [Table("cmd", "Commanded restart",
              "One child that exits on SIGTERM; the system's CLI restarts it (`supctl restart`, "
              "`sv restart`, `s6-svc -wr -r`, `svc -t`, `supervisorctl restart`; raw: a line on "
              "its control FIFO).  done = max(CLI returned, new child's first instruction) − "
              "the moment the CLI was launched: the operator's view, CLI start-up included.",
              [("n", "samples"), ("p50", "done p50 (ms)"), ("p90", "done p90 (ms)"),
               ("p99", "done p99 (ms)"), ("child50", "→ new child p50 (ms)"),
               ("cli50", "CLI wall p50 (ms)")], ratio_cols=["p50", "child50"], target=target_cmd)]


def cmd_run(ctx, s, P, T, pool):
    specs = [ChildSpec("c1", ["term"])]
    with Instance(ctx, s, "cmd", specs) as inst:
        a = inst.a
        inst.wait_started(["c1"], 30)
        n = P["cmd_n_throttled"] if a.restart_throttle_s else P["cmd_n"]
        n = max(1, n // P["rounds"])
        gap = a.restart_throttle_s + 0.15 if a.restart_throttle_s else 0.05
        done, child, cli = (pool.setdefault(k, []) for k in ("done", "child", "cli"))
        budget = time.monotonic() + P["cmd_budget_s"] / P["rounds"]
        for i in range(n):
            if i >= 3 and time.monotonic() > budget:
                break  # a slow CLI: enough samples for a median
            time.sleep(gap)
            t0 = now()
            a.restart("c1")
            t1 = now()
            rec = inst.ev.wait_ids("S", ["c1"], t0, 15, "the restarted child")["c1"]
            done.append(max(t1, rec[3]) - t0)
            child.append(rec[3] - t0)
            cli.append(t1 - t0)
        a.ensure_alive()
    if a.restart_throttle_s:
        T[0].note(f"{s}: restarts spaced {gap:.2f} s apart (it restarts a service at most once a second)")
    T[0].putrow(s, {"n": len(done), "p50": _ms(pct(done, 50)), "p90": _ms(pct(done, 90)),
                    "p99": _ms(pct(done, 99)), "child50": _ms(pct(child, 50)),
                    "cli50": _ms(pct(cli, 50))})

# ---------------------------------------------------------------- 3-6. scale
def scale_tables(P):
    ns = P["scale_ns"]
    return [
        Table("start", "Start N children → all running",
              "The supervisor is launched with N children (SIGTERM-exiting sleepers, stdout "
              "and stderr to /dev/null); time from launching the supervisor to the last "
              "child's first instruction.  µs/child at the largest N shows linearity.",
              [(f"n{n}", f"N={n:,} (ms)") for n in ns] + [("per", "µs/child at largest N")],
              target=target_start),
        Table("stop", "Stop N children → all dead",
              "N children that exit on SIGTERM; time from issuing the system's stop-all (`supctl "
              "shutdown`, `sv down DIRS`, `s6-svscanctl -t`, `svc -d DIRS`, `supervisorctl stop "
              "all`, raw: kill all + waitpid) to the last child's exit (its own record).",
              [(f"n{n}", f"N={n:,} (ms)") for n in P["stop_ns"]], target=target_stop),
        Table("status", "Status of N children (CLI wall time)",
              "Wall time of the status CLI over the whole tree (`supctl status`, `sv status "
              "DIRS`, one `s6-svstat` per service, `svstat DIRS`, `supervisorctl status`).",
              [c for n in P["status_ns"] for c in ((f"p50_{n}", f"N={n:,} p50 (ms)"),
                                                   (f"p90_{n}", f"N={n:,} p90 (ms)"))],
              target=target_status),
        Table("memory", "Supervisor memory (PSS)",
              "Sum of Pss over all the supervisor's own processes (/proc/PID/smaps_rollup: "
              "the daemon, plus runsv / s6-supervise / supervise per service), measured after "
              "the start above settled.",
              [(f"n{n}", f"N={n:,} (MiB)") for n in ns], target=target_memory),
        Table("stopseq", "Stop N children one at a time (OTP's order)",
              "The same N children stopped in sequence, last started first, each SIGTERM "
              "sent once the previous child is reaped: supd's default (`stop_order: "
              "sequential`, its stop above) against raw's `S` command, the same loop with "
              "nothing else to do. Wall time as above; CPU = the supervisor's own on-CPU "
              "time during the stop (schedstat), per child. The peers stop all at once.",
              [c for n in P["stop_ns"] for c in ((f"w{n}", f"N={n:,} (ms)"),
                                                 (f"cpu{n}", f"N={n:,} CPU (µs/child)"))],
              target=target_stopseq),
    ]


def scale_run(ctx, s, P, T, pool):
    tstart, tstop, tstat, tmem, tseq = T
    ns = P["scale_ns"]
    done_ns = [n for n in ns if n <= ctx.max_n]
    for n in ns:
        try:
            _check_n(ctx, s, n)
        except Skip as e:
            for tb, keys in ((tstart, [f"n{n}"]), (tmem, [f"n{n}"]),
                             (tstat, [f"p50_{n}", f"p90_{n}"]), (tstop, [f"n{n}"])):
                tb.skip_row(s, str(e), keys)
            continue
        specs = [ChildSpec(f"c{i}", ["term"]) for i in range(1, n + 1)]
        ids = [c.id for c in specs]
        with Instance(ctx, s, f"scale{n}", specs) as inst:
            got = inst.wait_started(ids, 60 + n * 0.05)
            last = max(r[3] for r in got.values())
            tstart.put(s, f"n{n}", _ms(last - inst.t0))
            if n == max(x for x in done_ns if x <= (inst.a.max_children or n)):
                tstart.put(s, "per", (last - inst.t0) / n / 1000)
            time.sleep(0.5 if n < 10000 else 2.0)
            inst.a.ensure_alive()
            tmem.put(s, f"n{n}", pss_kib(inst.a.supervisor_pids()) / 1024)
            if n in P["status_ns"]:
                if "status" in inst.a.cannot:
                    tstat.skip_row(s, inst.a.cannot["status"], [f"p50_{n}", f"p90_{n}"])
                else:
                    walls = []
                    budget = time.monotonic() + P["status_budget_s"]
                    for i in range(P["status_n"]):
                        if i >= 2 and time.monotonic() > budget:
                            break  # a slow CLI: 2 samples will do
                        t0 = now()
                        inst.a.status()
                        walls.append(now() - t0)
                    tstat.put(s, f"p50_{n}", _ms(pct(walls, 50)))
                    tstat.put(s, f"p90_{n}", _ms(pct(walls, 90)))
            if n in P["stop_ns"]:
                pids = inst.a.supervisor_pids()
                cpu0 = cpu_ns(pids)
                t0 = now()
                inst.a.stop_all()
                got = inst.ev.wait_ids("E", ids, t0, 60 + n * 0.05, f"{n} children to exit")
                cpu = cpu_ns(pids) - cpu0  # a supd that exited is a zombie still: readable
                wall = _ms(max(r[3] for r in got.values()) - t0)
                tstop.put(s, f"n{n}", wall)
                if s == "supd":  # its stop-all is the sequential one
                    tseq.put(s, f"w{n}", wall)
                    if cpu > 0:
                        tseq.put(s, f"cpu{n}", cpu / n / 1000)
                elif hasattr(inst.a, "stop_all_sequential"):
                    _stop_sequential(inst, ids, n, tseq, s)
                else:
                    tseq.skip_row(s, "stops all at once (no sequential stop)")


def _stop_sequential(inst, ids, n, tseq, s):
    """raw: start the N again, then its one-at-a-time stop."""
    t = now()
    inst.a.start_all()
    inst.ev.wait_ids("S", ids, t, 60 + n * 0.05, f"{n} children to start again")
    time.sleep(0.5)
    pids = inst.a.supervisor_pids()
    cpu0 = cpu_ns(pids)
    t0 = now()
    inst.a.stop_all_sequential()
    got = inst.ev.wait_ids("E", ids, t0, 60 + n * 0.05, f"{n} children to exit in turn")
    tseq.put(s, f"cpu{n}", (cpu_ns(pids) - cpu0) / n / 1000)
    tseq.put(s, f"w{n}", _ms(max(r[3] for r in got.values()) - t0))


# ---------------------------------------------------------------- 7. SIGKILL lateness
def lateness_tables(P):
    return [Table("lateness", "SIGKILL lateness after a 1 s shutdown timeout",
                  "Children that ignore SIGTERM, stopped one at a time with a 1 s kill timeout "
                  "(supd `shutdown: \"1s\"`, s6 `timeout-kill` 1000, supervisord `stopwaitsecs=1`, "
                  "raw `-k 1000`).  lateness = death (pidfd readable in the harness) − (SIGTERM "
                  "received, as the child recorded it, + 1 s).",
                  [("n", "samples"), ("p50", "p50 (ms)"), ("max", "max (ms)")],
                  ratio_cols=["p50", "max"], target=target_lateness)]


def lateness_run(ctx, s, P, T, pool):
    a0 = ctx.make_adapter(s)
    if "lateness" in a0.cannot:
        raise Skip(a0.cannot["lateness"])
    k = P["late_n"]
    specs = [ChildSpec(f"c{i}", ["ignore"]) for i in range(1, k + 1)]
    late = []
    with Instance(ctx, s, "late", specs, Options(kill_timeout_ms=1000)) as inst:
        got = inst.wait_started([c.id for c in specs], 30)
        time.sleep(0.2)
        for c in specs:
            pid = got[c.id][2]
            cli = inst.a.stop_one(c.id)
            death = wait_death(pid, 10)
            if cli is not None:
                try:
                    cli.wait(15)
                except Exception:
                    cli.kill()
                    cli.wait()
            if death is None:
                raise Broken(f"{c.id} (pid {pid}) still alive 10 s after its stop")
            term = inst.ev.wait(lambda r: [x for x in r if x[0] == "T" and x[2] == pid], 5,
                                "the SIGTERM record")[0]
            late.append(death - (term[3] + 1000 * MS))
    T[0].putrow(s, {"n": len(late), "p50": _ms(pct(late, 50)), "max": _ms(max(late))})


# ---------------------------------------------------------------- 8. idle
def idle_tables(P):
    return [Table("idle", f"Idle cost with {P['idle_kids']} idle children",
                  f"{P['idle_kids']} sleeping children per system, every system idling at the "
                  f"same time; over {P['idle_s']:g} s, the supervisor's processes' context switches (voluntary + nonvoluntary, every thread, "
                  "/proc/PID/task/*/status) and CPU time (/proc/PID/task/*/schedstat).",
                  [("wake", "wakeups/s"), ("cpu", "CPU (ms/s)"), ("procs", "processes")],
                  ratio_cols=["wake", "cpu"], target=target_idle)]


def idle_all(ctx, systems, P, T, errors):
    """Idle supervisors do not disturb each other: all systems idle at once,
    measured over the same window (saves minutes).  errors[s] = message."""
    insts = {}
    try:
        for s in systems:
            specs = [ChildSpec(f"c{i}", ["term"]) for i in range(1, P["idle_kids"] + 1)]
            try:
                inst = Instance(ctx, s, "idle", specs)
                inst.__enter__()
                insts[s] = inst
                inst.wait_started([c.id for c in specs], 60)
            except (Broken, Skip) as e:
                errors[s] = e
        time.sleep(1.0)
        live = {s: i for s, i in insts.items() if s not in errors}
        pids = {s: i.a.supervisor_pids() for s, i in live.items()}
        c0 = {s: ctxt_switches(p) for s, p in pids.items()}
        u0 = {s: cpu_ns(p) for s, p in pids.items()}
        time.sleep(P["idle_s"])
        c1 = {s: ctxt_switches(p) for s, p in pids.items()}
        u1 = {s: cpu_ns(p) for s, p in pids.items()}
        for s, inst in live.items():
            try:
                inst.a.ensure_alive()
            except Broken as e:
                errors[s] = e
                continue
            T[0].putrow(s, {"wake": (c1[s] - c0[s]) / P["idle_s"],
                            "cpu": (u1[s] - u0[s]) / MS / P["idle_s"], "procs": len(pids[s])})
    finally:
        for inst in insts.values():
            inst.__exit__(None, None, None)


# ---------------------------------------------------------------- 9. logs
def _size(path):
    if not path or not os.path.exists(path):
        return 0
    if os.path.isdir(path):
        # A log directory rotates while we look (multilog, svlogd, s6-log rename and
        # delete files): a file gone between listdir and stat counts as 0.
        total = 0
        for f in os.listdir(path):
            try:
                total += os.path.getsize(os.path.join(path, f))
            except OSError:
                pass
        return total
    return os.path.getsize(path)


def _many_rounds(P):
    """The rounds of the log workload that also run the many-children case (the
    first ones: each costs a start and stop of log_kids services per system)."""
    return max(1, min(P["log_many_rounds"], P["rounds"]))


def logs_tables(P):
    return [Table("logs", "Log capture throughput",
                  f"One child writes 100-byte lines (in 64 KiB writes) for {P['log_ms']} ms; "
                  "throughput = bytes its writes got through / time, so the reader is what limits "
                  "it.  file: captured to a file (supd `{\"file\": …}`, svlogd, s6-log, multilog, "
                  "supervisord stdout_logfile, raw: read → write); prefixed: each line gets a "
                  "prefix (supd `\"log\"`: `PATH| ` on its stdout; svlogd -tt, s6-log t, multilog t:"
                  " a timestamp; raw: `ID| `).  Loggers keep their default rotation.",
                  [("file", "file (MB/s)"), ("prefix", "prefixed (MB/s)")], better="higher",
                  target=target_logs),
            Table("logmany", f"Log capture throughput, {P['log_kids']} children logging at once",
                  f"{P['log_kids']} children, released together (each opens a FIFO that the harness "
                  "opens for writing once all have started) and each writes 100-byte lines in 64 KiB "
                  f"writes for {P['log_many_ms'] // _many_rounds(P)} ms"
                  + (f" (×{_many_rounds(P)} rounds)" if _many_rounds(P) > 1 else "")
                  + ", each to its own destination as the system does it: supd a file per child "
                  "or `\"log\"` (all on supd's stdout), raw one poll loop over the pipes, runit, "
                  "s6 and daemontools a logger per service, supervisord a stdout_logfile per "
                  "program.  throughput = bytes all children wrote / (release → every byte read "
                  "by the loggers (/proc/PID/io rchar of the supervisor's processes) and, where "
                  "the destination is a plain file, on disk): what the pipes still held when the "
                  "writers stopped counts only once it was captured.",
                  [("file", "file (MB/s)"), ("prefix", "prefixed (MB/s)"),
                   ("drain_file", "file: tail (ms)"), ("drain_prefix", "prefixed: tail (ms)")],
                  better="higher", ratio_cols=["file", "prefix"], target=target_logs)]


def logs_run(ctx, s, P, T, pool):
    _logs_one(ctx, s, P, T[0], pool.setdefault("one", {}))
    many = pool.setdefault("many", {})
    many["round"] = many.get("round", 0) + 1
    if many["round"] <= _many_rounds(P):
        _logs_many(ctx, s, P, T[1], many)


def _logs_one(ctx, s, P, t, pool):
    for mode in ("file", "prefix"):
        a0 = ctx.make_adapter(s)
        if mode not in a0.log_modes:
            t.skip_row(s, a0.cannot.get("log-" + mode, "not supported"), [mode])
            continue
        try:
            specs = [ChildSpec("c1", ["log", P["log_ms"] // P["rounds"]], stdout=mode)]
            with Instance(ctx, s, f"log{mode}", specs) as inst:
                rec = inst.ev.wait(lambda r: [x for x in r if x[0] == "L"],
                                   P["log_ms"] / 1000 + 30, "the log writer")[0]
                inst.a.ensure_alive()
                dest = specs[0].logfile
                deadline = time.monotonic() + 10
                while _size(dest) == 0 and time.monotonic() < deadline:
                    time.sleep(0.05)
                if _size(dest) == 0:
                    raise Broken(f"nothing reached {dest}")
            b, ns_ = pool.get(mode, (0, 0))
            pool[mode] = (b + rec[3], ns_ + rec[4])
            t.put(s, mode, pool[mode][0] / (pool[mode][1] / 1e9) / 1e6)
        except (Broken, Skip) as e:
            if not s.startswith("supd"):
                raise
            n = t.note(f"supd ({mode}): {e}")
            t.put(s, mode, f"n/a: the capture run failed [{n}]")


def _disk_bytes(files):
    """{path: bytes} for plain-file destinations, with what rotation moved aside
    (supd PATH.N, supervisord PATH.N backups); one listdir per directory."""
    out = {f: 0 for f in files}
    by_dir = {}
    for f in files:
        by_dir.setdefault(os.path.dirname(f), set()).add(os.path.basename(f))
    for d, bases in by_dir.items():
        for name in os.listdir(d):
            base, _, n = name.rpartition(".")
            owner = name if name in bases else base if n.isdigit() and base in bases else None
            if owner is not None:
                try:
                    out[os.path.join(d, owner)] += os.path.getsize(os.path.join(d, name))
                except OSError:
                    pass
    return out


def _release(go, timeout):
    """Opens the start FIFO for writing once a child has it open for reading:
    every child blocked in its open(2) goes.  Returns the fd: kept open, a child
    that reaches its open later passes at once."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return os.open(go, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as e:
            if e.errno != errno.ENXIO or time.monotonic() > deadline:
                raise Broken(f"no child opened the start FIFO in {timeout} s ({e})")
            time.sleep(0.005)


def _logs_many(ctx, s, P, t, pool):
    n, ms = P["log_kids"], P["log_many_ms"] // _many_rounds(P)
    for mode in ("file", "prefix"):
        a0 = ctx.make_adapter(s)
        if mode not in a0.log_modes:
            t.skip_row(s, a0.cannot.get("log-" + mode, "not supported"), [mode, "drain_" + mode])
            continue
        try:
            _check_n(ctx, s, n)
        except Skip as e:  # this table only: the one-child numbers stand
            t.skip_row(s, str(e), [mode, "drain_" + mode])
            continue
        wfd = None
        try:
            ctx.counter += 1
            go = os.path.join(ctx.tmp, f"go-{ctx.counter:03d}")
            os.mkfifo(go)
            specs = [ChildSpec(f"c{i}", ["log", ms, go], stdout=mode) for i in range(1, n + 1)]
            with Instance(ctx, s, f"logmany{mode}", specs) as inst:
                try:
                    written, t0, t_end, t1 = _log_many_measure(inst, specs, ms, go)
                finally:
                    # children still at the barrier (SIGTERM blocked) would hold up the teardown
                    wfd = inst.go_fd if getattr(inst, "go_fd", None) is not None else \
                        os.open(go, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
            b, ns_, tail, k = pool.get(mode, (0, 0, 0, 0))
            pool[mode] = b, ns_, tail, k = b + written, ns_ + (t1 - t0), tail + (t1 - t_end), k + 1
            t.put(s, mode, b / (ns_ / 1e9) / 1e6)
            t.put(s, "drain_" + mode, _ms(tail) / k)
        except (Broken, Skip) as e:
            if not s.startswith("supd"):
                raise
            k = t.note(f"supd ({mode}): {e}")
            t.put(s, mode, f"n/a: the capture run failed [{k}]")
        finally:
            if wfd is not None:
                os.close(wfd)


def _log_many_measure(inst, specs, ms, go):
    """Releases the children, waits for every writer's L record, then until every
    byte is captured.  Returns (bytes written, release, writers done, captured) in
    ns; raises Broken when bytes are missing after 60 s."""
    n = len(specs)
    inst.wait_started([c.id for c in specs], 60 + n * 0.05)
    time.sleep(0.3)  # the loggers (a process per service for some) up as well
    inst.a.ensure_alive()
    # Everything that costs a /proc scan happens before the release: it would
    # delay the first look at the readers' counters by up to half a second.
    pids = set(inst.a.supervisor_pids())
    base = rchar(pids)
    files = {}  # plain-file destination -> its children (rotating log dirs: not counted)
    for c in specs:
        if c.logfile and not os.path.isdir(c.logfile):
            files.setdefault(c.logfile, []).append(c.id)
    disk0 = _disk_bytes(files)  # a shared stdout already holds the daemon's messages
    t0 = now()
    inst.go_fd = _release(go, 10)
    recs = inst.ev.wait(lambda r: (lambda L: L if len(L) >= n else None)(
        [x for x in r if x[0] == "L"]), ms / 1000 + 60, f"{n} log writers")
    t_end = now()  # the last writer is done (as seen here: ± 5 ms)
    by_id = {x[1]: x[3] for x in recs}  # L ID PID BYTES NS
    written = sum(by_id.values())
    prefix = {c.id: inst.a.prefix_bytes(c) for c in specs}  # 100-byte lines (child.c)
    want = {f: disk0[f] + sum(by_id.get(i, 0) * (100 + prefix[i]) // 100 for i in ids)
            for f, ids in files.items()}
    # Captured: every byte read by the supervisor's processes (svlogd, s6-log and
    # multilog delete rotated files, so reads are all that can be counted for
    # them) and each plain file holding its children's bytes (and prefixes).
    deadline = time.monotonic() + 60
    rescan = time.monotonic() + 1
    while True:
        got = sum(v - base.get(p, 0) for p, v in rchar(pids).items())
        disk = _disk_bytes(want)
        short = [f for f, w in want.items() if disk[f] < w]
        if got >= written and not short:
            break
        if time.monotonic() > deadline:
            inst.a.ensure_alive()
            raise Broken(f"lost data: {written:,} bytes written, {got:,} read by the supervisor's "
                         f"processes after 60 s; {len(short)} of {len(want)} files short "
                         + (f"({short[0]}: {disk[short[0]]:,} of {want[short[0]]:,})" if short else ""))
        if time.monotonic() > rescan:  # a logger that started after the release: from 0
            pids |= set(inst.a.supervisor_pids())
            rescan = time.monotonic() + 1
        time.sleep(0.01)
    t1 = now()
    inst.a.ensure_alive()
    dests = sorted({c.logfile for c in specs if c.logfile})
    empty = [d for d in dests if _size(d) == 0]
    if empty:
        raise Broken(f"nothing reached {len(empty)} of {len(dests)} destinations ({empty[0]})")
    return written, t0, t_end, t1


# ---------------------------------------------------------------- 10. crash loop
def _crash_loop(ctx, s, tag, others, P, pool):
    """A child that exits at once, restarted over and over, next to `others`
    sleepers; pools (seconds, restarts, cpu ns, latencies) and returns
    (restarts/s, CPU µs per restart, restart p50 ms) over the pool."""
    specs = [ChildSpec(f"s{i}", ["term"]) for i in range(1, others + 1)]
    specs.append(ChildSpec("crash", ["crash"]))
    with Instance(ctx, s, tag, specs, Options(crash_loop=True)) as inst:
        inst.wait_started([c.id for c in specs], 60 + others * 0.05)
        time.sleep(0.5)
        pids = inst.a.supervisor_pids()
        t0 = now()
        n0 = len([r for r in inst.ev.poll() if r[0] == "S" and r[1] == "crash"])
        u0 = cpu_ns(pids)
        d = P["loop_s"] / P["rounds"]
        time.sleep(max(d, 2.2) if inst.a.slow_crash_loop else d)  # ≥ 2 restarts a round
        u1 = cpu_ns(pids)
        t1 = now()
        recs = inst.ev.poll()
        inst.a.ensure_alive()
    n1 = len([r for r in recs if r[0] == "S" and r[1] == "crash" and r[3] <= t1])
    restarts = n1 - n0
    if restarts <= 0:
        raise Broken("the crashing child was not restarted")
    lat = restart_latencies([r for r in recs if r[1] == "crash" and r[3] <= t1], since=t0)
    pool["secs"] = pool.get("secs", 0) + (t1 - t0) / 1e9
    pool["restarts"] = pool.get("restarts", 0) + restarts
    pool["cpu"] = pool.get("cpu", 0) + (u1 - u0)
    pool["lat"] = pool.get("lat", []) + lat
    return (pool["restarts"] / pool["secs"], pool["cpu"] / pool["restarts"] / 1000,
            _ms(median(pool["lat"]) or 0))


def crashloop_tables(P):
    return [Table("crashloop", "Crash loop: supervisor CPU per restart",
                  f"One child exits(1) at once, over and over, for {P['loop_s']:g} s; CPU of the "
                  "supervisor's processes (schedstat) / restarts.  raw = the bare "
                  "posix_spawn + exec + waitpid loop.  runit, s6 and daemontools restart at most "
                  "once a second by design; supervisord runs with startsecs=0 here (its default "
                  "gives up after 3 fast exits).",
                  [("rate", "restarts/s"), ("cpu", "CPU µs/restart"),
                   ("lat", "exit → restart p50 (ms)")], ratio_cols=["cpu", "lat"],
                  target=target_crashloop)]


def crashloop_run(ctx, s, P, T, pool):
    rate, cpu, lat = _crash_loop(ctx, s, "loop", 0, P, pool)
    T[0].putrow(s, {"rate": rate, "cpu": cpu, "lat": lat})


# ---------------------------------------------------------------- 11. size
def size_tables(P):
    small, big = P["size_small"], P["size_big"]
    return [Table("size", "Spawn cost vs the supervisor's size",
                  f"The crash loop again, once next to {small - 1} sleeping children and once "
                  f"next to {big - 1:,} (stdout/stderr null: thousands of open fds and child specs "
                  "in the daemon).  supd and raw only: the peers stop at 1,000 services.",
                  [("cpu_s", f"CPU µs/restart ({small})"), ("cpu_b", f"CPU µs/restart ({big:,})"),
                   ("lat_s", f"restart p50 ms ({small})"), ("lat_b", f"restart p50 ms ({big:,})"),
                   ("ratio", "big/small CPU"), ("ratio_lat", "big/small latency")],
                  ratio_cols=[], target=target_size)]


def size_run(ctx, s, P, T, pool):
    small, big = P["size_small"], P["size_big"]
    if s not in ("supd", "supd-group", "raw"):
        raise Skip("the peers stop at 1,000 services (see Start N)")
    if big > ctx.max_n:
        raise Skip(f"{big:,} above --max-n {ctx.max_n}")
    P1 = dict(P, rounds=1)
    _, cs, ls = _crash_loop(ctx, s, "sizesmall", small - 1, P1, pool.setdefault("small", {}))
    _, cb, lb = _crash_loop(ctx, s, "sizebig", big - 1, P1, pool.setdefault("big", {}))
    T[0].putrow(s, {"cpu_s": cs, "cpu_b": cb, "lat_s": ls, "lat_b": lb, "ratio": cb / cs,
                    "ratio_lat": lb / ls if ls else 0})


# ---------------------------------------------------------------- targets
# Each returns [(target text, verdict, detail)] with verdict "met", "missed" or "n/a".
def _v(ok):
    return "met" if ok else "missed"


def _fmt(x):
    from report import fmt
    return "–" if x is None else fmt(x)


def target_crash(t):
    s, r = t.num("supd", "p50"), t.num("raw", "p50")
    p99 = t.num("supd", "p99")
    out = []
    out.append(("p50 ≤ 2 × raw", "n/a" if s is None or r is None else _v(s <= 2 * r),
                f"supd {_fmt(s)} ms, raw {_fmt(r)} ms"))
    out.append(("p99 ≤ 1.5 ms", "n/a" if p99 is None else _v(p99 <= 1.5), f"supd {_fmt(p99)} ms"))
    return out


def target_cmd(t):
    s = t.num("supd", "p50")
    return [("≤ 2 ms incl. CLI start-up (p50 of done)", "n/a" if s is None else _v(s <= 2),
             f"supd {_fmt(s)} ms")]


def target_start(t):
    out = []
    for k, label in t.cols:
        if k == "per":
            continue
        s, r = t.num("supd", k), t.num("raw", k)
        out.append((f"{label.split(' ')[0]}: ≤ 1.5 × raw", "n/a" if s is None or r is None
                    else _v(s <= 1.5 * r), f"supd {_fmt(s)} ms, raw {_fmt(r)} ms"))
    keys = [k for k, _ in t.cols if k != "per" and t.num("supd", k) is not None]
    if len(keys) >= 2:
        # marginal cost per child between consecutive sizes (the daemon's own start-up
        # is a fixed cost that would flatter a plain per-child average)
        pts = [(0, 0.0)] + [(int(k[1:]), t.num("supd", k)) for k in keys]
        slopes = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(pts[1:], pts[2:])]
        first, last = slopes[0], slopes[-1]
        if len(slopes) == 1:
            first = pts[1][1] / pts[1][0]
        out.append(("linear (marginal µs/child at the top ≤ 1.5 × at the bottom)",
                    _v(last <= 1.5 * first), f"{first * 1000:.0f} → {last * 1000:.0f} µs/child"))
    return out


def target_stop(t):
    out = []
    for k, label in t.cols:
        s, r = t.num("supd", k), t.num("raw", k)
        out.append((f"{label.split(' ')[0]}: ≤ 2 × raw", "n/a" if s is None or r is None
                    else _v(s <= 2 * r), f"supd {_fmt(s)} ms, raw {_fmt(r)} ms"))
    return out


def target_stopseq(t):
    """supd's time per child beyond raw's, from the marginal cost between the smallest and the
    largest N (the fixed cost, e.g. supctl's start-up against raw's FIFO write, cancels)."""
    ns = sorted(int(k[1:]) for k, _ in t.cols if k.startswith("w"))
    text = "≤ 100 µs of supd time per child beyond the children's own exit (raw's sequential stop)"
    got = {n: (t.num("supd", f"w{n}"), t.num("raw", f"w{n}")) for n in ns}
    ok = [n for n in ns if None not in got[n]]
    if not ok:
        return [(text, "n/a", "no numbers")]
    lo, hi = ok[0], ok[-1]
    cpu = t.num("supd", f"cpu{hi}")
    if lo == hi:
        per = (got[hi][0] - got[hi][1]) * 1000 / hi
        how = f"N={hi:,}: supd {_fmt(got[hi][0])} ms, raw {_fmt(got[hi][1])} ms"
    else:
        per = ((got[hi][0] - got[lo][0]) - (got[hi][1] - got[lo][1])) * 1000 / (hi - lo)
        how = (f"N={lo:,} → {hi:,}: supd {_fmt(got[lo][0])} → {_fmt(got[hi][0])} ms, raw "
               f"{_fmt(got[lo][1])} → {_fmt(got[hi][1])} ms")
    return [(text, _v(per <= 100), f"{how}: {per:.0f} µs per child beyond raw; supd CPU "
             f"{_fmt(cpu)} µs per child")]


def target_status(t):
    out = []
    for k, label in t.cols:
        if not k.startswith("p50_"):
            continue
        n = int(k[4:])
        lim = {100: 2.5, 1000: 5.0}.get(n)
        if lim is None:
            continue
        s = t.num("supd", k)
        out.append((f"N={n:,}: ≤ {lim} ms", "n/a" if s is None else _v(s <= lim),
                    f"supd p50 {_fmt(s)} ms"))
    return out


def target_memory(t):
    out = []
    for n, lim in ((100, 3), (1000, 5)):
        s = t.num("supd", f"n{n}")
        if any(k == f"n{n}" for k, _ in t.cols):
            out.append((f"N={n:,}: ≤ {lim} MiB", "n/a" if s is None else _v(s <= lim),
                        f"supd {_fmt(s)} MiB"))
    return out


def target_lateness(t):
    s50, s6_50 = t.num("supd", "p50"), t.num("s6", "p50")
    smax, s6max = t.num("supd", "max"), t.num("s6", "max")
    return [("p50 and max ≤ s6", "n/a" if None in (s50, s6_50, smax, s6max)
             else _v(s50 <= s6_50 and smax <= s6max),
             f"supd {_fmt(s50)} / {_fmt(smax)} ms, s6 {_fmt(s6_50)} / {_fmt(s6max)} ms")]


def target_idle(t):
    s = t.num("supd", "wake")
    return [("0 wakeups/s", "n/a" if s is None else _v(s == 0), f"supd {_fmt(s)} /s")]


def target_logs(t):
    # supd reads each child's pipe in its loop (README "Logging"): compared with the raw
    # read → write loop for files, with the fastest prefixing logger for prefixed lines.
    s, r = t.num("supd", "file"), t.num("raw", "file")
    sp = t.num("supd", "prefix")
    peers = [v for v in (t.num(p, "prefix") for p in ("runit", "s6", "daemontools"))
             if v is not None]
    best = max(peers) if peers else None
    return [("file ≥ 50 % of raw", "n/a" if s is None or r is None else _v(s >= 0.5 * r),
             f"supd {_fmt(s)} MB/s, raw {_fmt(r)} MB/s"),
            ("prefixed ≥ 2 × the fastest prefixing peer",
             "n/a" if sp is None or best is None else _v(sp >= 2 * best),
             f"supd {_fmt(sp)} MB/s, best peer {_fmt(best)} MB/s")]


def target_crashloop(t):
    s, r = t.num("supd", "cpu"), t.num("raw", "cpu")
    return [("CPU/restart ≤ 2 × raw", "n/a" if s is None or r is None else _v(s <= 2 * r),
             f"supd {_fmt(s)} µs, raw {_fmt(r)} µs")]


def target_size(t):
    c, l_ = t.num("supd", "ratio"), t.num("supd", "ratio_lat")
    return [("big within 20 % of small (CPU and latency)",
             "n/a" if c is None or l_ is None else _v(c <= 1.2 and l_ <= 1.2),
             f"supd ×{_fmt(c)} CPU, ×{_fmt(l_)} latency")]


ROUNDS = {"crash", "cmd", "logs", "crashloop"}  # run in rounds, system order alternating
GROUP = {"idle"}                                 # one call for all systems at once

WORKLOADS = [
    ("crash", crash_tables, crash_run),
    ("cmd", cmd_tables, cmd_run),
    ("scale", scale_tables, scale_run),
    ("lateness", lateness_tables, lateness_run),
    ("idle", idle_tables, idle_all),
    ("logs", logs_tables, logs_run),
    ("crashloop", crashloop_tables, crashloop_run),
    ("size", size_tables, size_run),
]
