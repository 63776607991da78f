#!/usr/bin/env python3
"""The timing-sensitive parts of tests/reliability-test.sh.

    rel.py SUBCOMMAND CT WORK [ARGS...]

Each subcommand prints "PASS ..." / "FAIL ..." / "SKIP ..." lines (counted by
the shell script) and free-form detail lines starting with two spaces.
cowtrace is always started with SIGINT and SIGTERM at their default
disposition (a shell's background jobs inherit SIGINT ignored).
"""
import collections
import ctypes
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.dont_write_bytecode = True
import cowstats  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def res(ok, what, detail=""):
    print(("PASS " if ok else "FAIL ") + what + ("" if ok or not detail else f": {detail}"), flush=True)
    return ok


def skip(what):
    print("SKIP " + what, flush=True)


def note(s):
    print("  " + s, flush=True)


def default_signals():
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start(ct, args, out, err=None):
    return subprocess.Popen([ct] + args, stdout=out, stderr=err if err is not None else subprocess.PIPE,
                            preexec_fn=default_signals)


def status(pid, key):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(key + ":"):
                return line.split()[1]
    except OSError:
        pass
    return None


def kib(pid, key):
    v = status(pid, key)
    return int(v) if v else None


def handler_installed(pid, sig, timeout=10):
    """Wait until pid catches sig (SigCgt in /proc/PID/status)."""
    end = time.time() + timeout
    while time.time() < end:
        v = status(pid, "SigCgt")
        if v is not None and int(v, 16) & (1 << (sig - 1)):
            return True
        if v is None:
            return False
        time.sleep(0.0002)
    return False


def last_json(text):
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        return None
    try:
        return json.loads(lines[-1])
    except ValueError:
        return None


def promtool_ok(path):
    """A complete textfile: ends with the build_info line, and promtool parses it."""
    try:
        data = open(path, "rb").read()
    except OSError as e:
        return False, str(e)
    if not re.search(rb"\ncowtrace_build_info\{[^\n]*\} 1\n\Z", data):
        return False, f"does not end with the cowtrace_build_info line ({len(data)} bytes)"
    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=data, capture_output=True)
        if p.returncode != 0:
            return False, "promtool: " + (p.stdout + p.stderr).decode(errors="replace").strip()[:300]
    return True, ""


def temp_files(d, base):
    pre = "." + base + "."
    return sorted(f for f in os.listdir(d) if f.startswith(pre) and len(f) == len(pre) + 6)


# ---------------------------------------------------------------- record files

def read_record(path):
    """Complete records of a record file, as src/record.h describes them."""
    d = open(path, "rb").read()
    assert d[:8] == b"COWTRACE"
    hlen = struct.unpack_from("<I", d, 12)[0]
    recs, off = [], hlen
    while off < len(d):
        if len(d) - off < 8:
            break
        typ, ln, resv = struct.unpack_from("<HHI", d, off)
        if resv or ln > 4096 or len(d) - off - 8 < ln:
            break
        recs.append((off, typ, d[off + 8:off + 8 + ln]))
        off += 8 + ln
    return d, hlen, recs


def expected_counts(recs, stats):
    """What the aggregation must report for these records: the statistics one event of a
    kind counts (each statistic's raw_event in `cowtrace stats`), in all and per pid."""
    counted = collections.Counter()
    per_pid = collections.defaultdict(collections.Counter)
    events = 0
    for _, typ, payload in recs:
        if typ != 1 or len(payload) != 64:
            continue
        ts, value, pid, tid, ppid, aux, etype, kind, pad, comm, cg = struct.unpack("<QQIIIIHHI16sQ", payload)
        events += 1
        name = stats.by_raw.get((etype, kind))
        if name:
            counted[name] += 1
            per_pid[pid][name] += 1
    return events, counted, per_pid


def cmd_record_cut(ct, work, rec, mode):
    """Cut (or corrupt) a real record mid-way; the report must hold exactly the complete records."""
    stats = cowstats.load(ct)
    d, hlen, recs = read_record(rec)
    events = [r for r in recs if r[1] == 1]
    if len(events) < 20:
        return res(False, f"record {mode}: the recorded run has only {len(events)} events")
    victim = events[len(events) // 2]  # an event record in the middle
    if mode == "cut":
        data = d[:victim[0] + 8 + 30]  # header complete, payload 30 of 64 bytes
        want_err = "cut mid-record"
    else:
        b = bytearray(d)
        struct.pack_into("<I", b, victim[0] + 4, 0x5a5a5a5a)  # reserved field
        data = bytes(b)
        want_err = "corrupted record"
    bad = os.path.join(work, f"{mode}.ctr")
    open(bad, "wb").write(data)
    complete = [r for r in recs if r[0] < victim[0]]
    nev, wp, per_pid = expected_counts(complete, stats)
    p = subprocess.run([ct, "report", bad, "-o", "json"], capture_output=True, text=True)
    err = p.stderr.strip().splitlines()
    rep = last_json(p.stdout)
    ok = res(p.returncode == 1, f"record {mode} mid-way: exit 1", f"exit {p.returncode}")
    ok &= res(len(err) == 1 and want_err in err[0] and f"{len(complete)} complete records" in err[0],
              f"record {mode} mid-way: one stderr line naming the damage and the {len(complete)} complete records",
              repr(p.stderr))
    if rep is None or rep.get("final") is not True:
        return res(False, f"record {mode} mid-way: a complete final JSON report on stdout", p.stdout[-300:])
    got = collections.Counter()
    for row in rep["processes"]:
        for k in ("reuse", "copy_zero", "copy"):
            got[k] += row.get(k) or 0
    want = {"reuse": wp["reuse"], "copy_zero": wp["copy_zero"], "copy": sum(wp[k] for k in stats.copy_kinds)}
    match = all(got[k] == v for k, v in want.items())
    rows_ok = all(
        (row.get("copy") or 0) == sum(per_pid[row["pid"]][k] for k in stats.copy_kinds)
        and (row.get("reuse") or 0) == per_pid[row["pid"]]["reuse"]
        for row in rep["processes"] if row["pid"] is not None)
    res(match and rows_ok, f"record {mode} mid-way: the report counts exactly the {nev} complete events "
        f"(reuse {want['reuse']}, copy {want['copy']}, copy_zero {want['copy_zero']}; per pid too)",
        f"report has {dict(got)}, records say {want}, per-pid ok: {rows_ok}")


# ------------------------------------------------------------------- signals

def cmd_signals(ct, work):
    d = os.path.join(work, "sig")
    os.makedirs(d, exist_ok=True)
    prom = os.path.join(d, "s.prom")
    moments = [("handler installed (0 ms)", None), ("50 ms", 0.05), ("300 ms", 0.3), ("2 s, tracing", 2.0)]
    for sig in (signal.SIGINT, signal.SIGTERM):
        for label, delay in moments:
            for f in os.listdir(d):
                os.unlink(os.path.join(d, f))
            t0 = time.time()
            p = start(ct, ["--prom", prom, "-o", "json"], subprocess.PIPE)
            if delay is None:
                handler_installed(p.pid, sig)
            else:
                time.sleep(delay)
            p.send_signal(sig)
            try:
                out, err = p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
                res(False, f"{sig.name} at {label}: cowtrace ends", "still running 30 s later")
                continue
            rep = last_json(out.decode(errors="replace"))
            okp, why = promtool_ok(prom)
            left = temp_files(d, "s.prom")
            what = f"{sig.name} at {label}: exit 0, final JSON report, complete textfile, no temp file"
            res(p.returncode == 0 and rep is not None and rep.get("final") is True and okp and not left,
                what + f" ({len(rep.get('processes', [])) if rep else 0} processes, {time.time() - t0:.2f} s)",
                f"exit {p.returncode}, report {'ok' if rep else 'missing'}, textfile: {why or 'ok'}, "
                f"temp files {left}, stderr {err.decode(errors='replace').strip()[:200]!r}")
    # A second signal while the final report is being written.
    p = start(ct, ["--prom", prom, "-o", "json"], subprocess.PIPE)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    time.sleep(0.001)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    rep = last_json(out.decode(errors="replace"))
    okp, why = promtool_ok(prom)
    res(p.returncode == 0 and rep is not None and rep.get("final") is True and okp,
        "SIGINT then SIGTERM 1 ms later: one complete final report and textfile",
        f"exit {p.returncode}, report {'ok' if rep else 'missing'}, textfile {why or 'ok'}")
    # Before main() has run (in the dynamic loader) no handler exists yet: the
    # signal's default action applies.  Then nothing may have been written.
    outcomes = collections.Counter()
    clean = True
    for _ in range(5):
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        p = start(ct, ["--prom", prom, "-o", "json"], subprocess.PIPE)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        if p.returncode == -signal.SIGINT:
            outcomes["killed before main"] += 1
            clean &= not out and not os.listdir(d)
        else:
            outcomes["complete report"] += 1
            rep = last_json(out.decode(errors="replace"))
            clean &= p.returncode == 0 and rep is not None and rep.get("final") is True and promtool_ok(prom)[0]
    res(clean, f"SIGINT right after exec, 5 times: {dict(outcomes)}; each run either wrote nothing at all "
        "or a complete report and textfile", "a partial output was left")


def cmd_report_signal(ct, work):
    """cowtrace report has nothing to report on a signal: SIGTERM must end it even when it is
    blocked writing to a full stdout pipe (a handler that only sets a flag would leave it hanging)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "make_seeds", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "make-seeds.py"))
    ms = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ms)
    rec = os.path.join(work, "many.ctr")
    with open(rec, "wb") as f:
        f.write(ms.header() + b"".join(ms.ev(1000 + i, 1, 1, pid=100 + i) for i in range(20000)))
    r, w = os.pipe()
    p = subprocess.Popen([ct, "report", rec, "-o", "json"], stdout=w, stderr=subprocess.PIPE,
                         preexec_fn=default_signals)
    os.close(w)
    time.sleep(1.0)  # the pipe (64 KiB) is full long before the report (MiBs) is written
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=5)
        res(p.returncode == -signal.SIGTERM, "cowtrace report blocked on a full stdout pipe: SIGTERM ends it",
            f"exit {p.returncode}")
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        res(False, "cowtrace report blocked on a full stdout pipe: SIGTERM ends it", "still running 5 s later")
    os.close(r)


# ------------------------------------------------------------ SIGKILL loop

def cmd_sigkill(ct, work, bindir, n):
    d = os.path.join(work, "kill")
    os.makedirs(d, exist_ok=True)
    prom = os.path.join(d, "c.prom")
    seed = int(os.environ.get("RELIABILITY_SEED", "6"))
    rnd = random.Random(seed)
    stale, bad, kills_with_tmp, absent, stale_seen, sizes = [], [], 0, 0, 0, []
    # A trickle of processes, labelled by pid: a textfile of a few hundred KiB
    # takes long enough to write that many kills land in the middle of it.
    w = subprocess.Popen([f"{bindir}/churn", "1000000", "1", "1", "2000"], stdout=subprocess.DEVNULL)
    args = ["-i", "0.01", "--prom", prom, "--prom-labels", "pid", "--prom-top", "500"]
    for i in range(n):
        p = start(ct, args, subprocess.DEVNULL, subprocess.DEVNULL)
        if stale:
            time.sleep(0.3)  # the next start has had time to clean up
            still = [f for f in stale if os.path.exists(os.path.join(d, f))]
            if still:
                stale_seen += 1
                bad.append(f"iteration {i}: temp files of the killed run still there 0.3 s after start: {still}")
            delay = max(0.0, rnd.uniform(0.05, 1.5) - 0.3)
        else:
            delay = rnd.uniform(0.05, 1.5)
        time.sleep(delay)
        p.kill()
        p.wait()
        if not os.path.exists(prom):
            absent += 1
        else:
            sizes.append(os.path.getsize(prom))
            okp, why = promtool_ok(prom)
            if not okp:
                bad.append(f"iteration {i}: partial textfile after SIGKILL: {why}")
                shutil.copy(prom, os.path.join(work, f"partial-{i}.prom"))
        stale = temp_files(d, "c.prom")
        kills_with_tmp += bool(stale)
    w.kill()
    w.wait()
    # A last clean run: everything stale goes, nothing new is left behind.
    p = start(ct, ["-i", "0.01", "-d", "0.5", "--prom", prom], subprocess.DEVNULL, subprocess.DEVNULL)
    p.wait()
    if sizes:
        note(f"textfile sizes after the kills: {min(sizes)} to {max(sizes)} bytes")
    left = temp_files(d, "c.prom")
    okp, why = promtool_ok(prom)
    res(not bad, f"SIGKILL loop, {n} kills at random 0.05-1.5 s (seed {seed}), textfile rewritten every 10 ms: "
        f"the textfile was absent {absent} times (killed before the first write), complete every other time",
        "; ".join(bad[:5]))
    res(not stale_seen, f"SIGKILL loop: {kills_with_tmp} kills left a temp file; all were gone 0.3 s after the next start",
        f"{stale_seen} times not")
    res(p.returncode == 0 and not left and okp, "after the loop, a clean run ends with a complete textfile and no temp file",
        f"exit {p.returncode}, left {left}, textfile {why or 'ok'}")


# --------------------------------------------------------------------- churn

def parse_truth(text):
    for line in text.splitlines():
        if line.startswith("TRUTH "):
            return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
    return None


VERBOSE_ONLY = ("libbpf: ", "cowtrace: read ", "cowtrace: tracing in ", "cowtrace: do_wp_page: ")


def traced_run(ct, work, args, workload, settle=1.0, sample=0.5, keep=None):
    """cowtrace ARGS (system-wide) around a workload; returns (report, truth, rss samples, peak, rc, stderr).
    keep: a list that gets every stdout line (--events).  cowtrace runs with -v, its stderr into a
    file (-v writes more than a pipe holds before anyone reads it), and the workload starts once it
    says it is tracing (and at least settle seconds, at most 1, after it started): a fixed wait was
    too short on a loaded machine, and the first children went by untraced.  Without -v in ARGS,
    -v's own lines are left out of the stderr returned."""
    asked_v = "-v" in args
    out = open(os.path.join(work, "traced.json"), "w+")
    errf = open(os.path.join(work, "traced.err"), "w+b")
    p = start(ct, args if asked_v else ["-v"] + args, out, errf)
    handler_installed(p.pid, signal.SIGINT)
    t0, end = time.time(), time.time() + 60
    while time.time() < end and p.poll() is None and b"cowtrace: tracing in " not in open(errf.name, "rb").read():
        time.sleep(0.05)
    time.sleep(max(0.0, min(settle, 1.0) - (time.time() - t0)))
    rss = []
    w = subprocess.Popen(workload, stdout=subprocess.PIPE, text=True)
    while w.poll() is None:
        v = kib(p.pid, "VmRSS")
        if v:
            rss.append(v)
        time.sleep(sample)
    truth = parse_truth(w.stdout.read())
    time.sleep(0.5)  # the last events reach the ring buffer
    peak = kib(p.pid, "VmHWM")
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    errf.seek(0)
    err = errf.read()
    errf.close()
    os.unlink(errf.name)
    if not asked_v:
        err = b"\n".join(l for l in err.splitlines() if not l.decode(errors="replace").startswith(VERBOSE_ONLY))
    out.seek(0)
    text = out.read()
    rep = last_json(text)
    if keep is not None:
        keep.extend(text.splitlines())
    out.close()
    os.unlink(out.name)
    return rep, truth, rss, peak, p.returncode, err.decode(errors="replace").strip()


def cmd_churn(ct, work, bindir, n):
    rep, t, rss, peak, rc, err = traced_run(
        ct, work, ["--max-exited", "4096", "-i", "1", "-o", "json"], [f"{bindir}/churn", str(n), "16", "2"])
    if not res(rc == 0 and rep and rep.get("final") is True and t,
               f"churn: cowtrace traced {n} short-lived processes and ended with a final JSON report",
               f"exit {rc}, stderr {err[:300]!r}, truth {t}"):
        return
    lost = rep["lost_events"]
    note(f"workload: {t}")
    note(f"cowtrace VmRSS samples (KiB): first {rss[:3]} ... last {rss[-3:]}, max {max(rss)}; VmHWM {peak} KiB; "
         f"lost_events {lost}, unclassified_faults {rep['unclassified_faults']}")
    res(peak is not None and peak <= 64 * 1024, f"churn: peak RSS (VmHWM) {peak} KiB <= 64 MiB", f"{peak} KiB")
    rows = rep["processes"]
    kids = [r for r in rows if r["comm"] == "churnkid"]
    kid_rows = [r for r in kids if r["pid"] is not None]
    folded = sum(r.get("exited_processes", 0) for r in kids if r["pid"] is None)
    folds = [r for r in rows if r["pid"] is None]
    res(rep["evicted_processes"] > 0 and folded > 0 and all(r.get("exited_processes", 0) >= 1 for r in folds),
        f"churn: exited processes evicted (evicted_processes {rep['evicted_processes']}; {len(folds)} rows with "
        f"\"pid\":null and \"exited_processes\":N hold {folded} churnkid processes)",
        f"evicted {rep['evicted_processes']}, folds {folds[:3]}")
    kept_exited = sum(1 for r in rows if r["pid"] is not None and r["exited"])
    res(kept_exited <= 4096, f"churn: {kept_exited} exited processes kept one by one <= --max-exited 4096")
    nk = len(kid_rows) + folded
    res(t["children"] - lost <= nk <= t["children"],
        f"churn: every child counted once: {len(kid_rows)} rows + {folded} folded = {nk} "
        f"(workload: {t['children']} children, {t['reused_pids']} of them got a pid an earlier one had)",
        f"expected {t['children']} (minus at most {lost} lost events)")
    copies = sum(r["copy"] or 0 for r in rows)
    kid_copies = sum(r["copy"] or 0 for r in kids)
    res(copies + lost >= t["wrote"] and kid_copies + lost >= t["wrote"],
        f"churn: copies of all rows {copies}, of churnkid rows {kid_copies} >= the {t['wrote']} pages the children "
        f"wrote ({t['children']} x {t['k']})", f"lost_events {lost}")
    worst = max(kid_rows, key=lambda r: r["copy"] or 0) if kid_rows else None
    res(worst is not None and worst["copy"] <= t["max_child_pages"],
        f"churn: no churnkid row copied more than one child can ({worst['copy'] if worst else '-'} <= "
        f"{t['max_child_pages']} resident writable pages): pid reuse never merged two processes",
        f"pid {worst and worst['pid']} has {worst and worst['copy']}")
    if t["reused_pids"] == 0:
        skip("churn: no pid was reused (pid_max larger than the workload): reuse not exercised on this host")


def cmd_reuse(ct, work, bindir):
    """--max-exited 0: every process keeps its row, so reused pids must show up as separate rows."""
    pid_max = int(open("/proc/sys/kernel/pid_max").read())
    if pid_max > 70000:
        return skip(f"pid reuse rows: pid_max {pid_max} is too large to wrap quickly")
    n = pid_max + 3000
    rep, t, rss, peak, rc, err = traced_run(ct, work, ["--max-exited", "0", "-o", "json"],
                                            [f"{bindir}/churn", str(n), "4", "2"])
    if not res(rc == 0 and rep and t, f"pid reuse: traced {n} children with --max-exited 0", f"exit {rc} {err[:200]}"):
        return
    kid_rows = [r for r in rep["processes"] if r["comm"] == "churnkid" and r["pid"] is not None]
    by_pid = collections.Counter(r["pid"] for r in kid_rows)
    dup = sum(1 for c in by_pid.values() if c > 1)
    worst = max((r["copy"] or 0) for r in kid_rows) if kid_rows else None
    lost = rep["lost_events"]
    res(t["reused_pids"] > 0 and dup > 0 and t["children"] - lost <= len(kid_rows) <= t["children"]
        and worst <= t["max_child_pages"],
        f"pid reuse: {t['reused_pids']} children got a reused pid; the report has {len(kid_rows)} rows for "
        f"{t['children']} children, {dup} pids with several rows, none above {t['max_child_pages']} copies ({worst})",
        f"reused {t['reused_pids']}, rows {len(kid_rows)}, dup pids {dup}, worst {worst}, lost {lost}")


# ------------------------------------------------------------------ overload

def cmd_overload(ct, work, bindir):
    """A 4 KiB ring with an event per fault (--events): the ring overflows;
    the events it lost are counted, and the counts (in the kernel's maps,
    not in the ring) stay whole."""
    lines = []
    rep, t, rss, peak, rc, err = traced_run(ct, work, ["--ringbuf-size", "4096", "-o", "json", "--events"],
                                            [f"{bindir}/churn", "8", "100000", "2"], keep=lines)
    if not res(rc == 0 and rep and t, "overload: 8 processes x 100000 COW pages, --events into a 4 KiB ring buffer",
               f"exit {rc} {err[:200]}"):
        return
    kids = [r for r in rep["processes"] if r["comm"] == "churnkid"]
    pids = {r["pid"] for r in kids}
    counted = sum(r["copy"] or 0 for r in kids)
    # a copy's kind: "copy" where the mode cannot tell its kind (tracepoint), else a copy kind's
    stats = cowstats.load(ct)
    copy_kinds = set(stats.copies) | stats.event_kinds(stats.copy_kinds)
    lines_seen = 0
    for ln in lines:
        if '"event":"wp"' in ln:
            try:
                o = json.loads(ln)
            except ValueError:
                continue
            lines_seen += o.get("pid") in pids and o.get("event") == "wp" and o.get("kind") in copy_kinds
    lost = rep["lost_events"]
    note(f"workload: {t}; summary copies {counted}, copy event lines {lines_seen}, lost_events {lost}, "
         f"unclassified_faults {rep['unclassified_faults']}")
    res(lost > 0, f"overload: lost_events {lost} > 0 (the full ring buffer is counted)")
    bound = t["children"] * t["max_child_pages"]
    res(t["wrote"] <= counted <= bound, f"overload: the summary's copies {counted} are all of the {t['wrote']} "
        f"pages written and within the truth bound {bound} (counted in the kernel's maps, whatever the ring lost)",
        f"counted {counted}")
    res(lines_seen < t["wrote"] and lines_seen + lost >= t["wrote"],
        f"overload: copy event lines {lines_seen} + lost {lost} >= the {t['wrote']} pages written: "
        f"never silently wrong", f"lines {lines_seen}, lost {lost}")


def cmd_inflight(ct, work, bindir, n):
    """More live processes than the kernel's process map holds (--max-procs):
    the processes that find no room are counted as unclassified, never
    silently left out."""
    if n <= 0:
        return skip("process map full: RELIABILITY_INFLIGHT=0")
    cap = 16384
    rep, t, rss, peak, rc, err = traced_run(ct, work, ["-o", "json", "--max-procs", str(cap)],
                                            [f"{bindir}/inflight", str(n)], sample=1.0)
    if not res(rc == 0 and rep and t and t["stopped"] == n,
               f"process map full: {n} processes alive at once, each with a write fault",
               f"exit {rc} {err[:200]}, truth {t}"):
        return
    unc = rep["unclassified_faults"]
    need = t["stopped"] - cap
    note(f"workload: {t}; unclassified_faults {unc}, lost_events {rep['lost_events']}")
    res(unc >= need, f"process map full: unclassified_faults {unc} >= {need} "
        f"({t['stopped']} processes at once, --max-procs {cap})", f"only {unc}")


# ------------------------------------------------------------------ long run

class Inotify:
    """Counts the temp files created in a directory: one per textfile rewrite.

    (IN_MOVED_TO of the textfile itself cannot count: identical events not
    yet read are coalesced into one.  Each temp file has a new name.)"""
    IN_CREATE = 0x100

    def __init__(self, d):
        self.libc = ctypes.CDLL("libc.so.6", use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK)
        if self.fd < 0 or self.libc.inotify_add_watch(self.fd, d.encode(), self.IN_CREATE) < 0:
            raise OSError(ctypes.get_errno(), "inotify")

    def count(self, base):
        n, pre = 0, "." + base + "."
        while True:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                return n
            off = 0
            while off < len(buf):
                wd, mask, cookie, ln = struct.unpack_from("iIII", buf, off)
                fname = buf[off + 16:off + 16 + ln].rstrip(b"\0").decode()
                n += fname.startswith(pre) and bool(mask & self.IN_CREATE)
                off += 16 + ln


def cmd_longrun(ct, work, bindir, secs):
    d = os.path.join(work, "long")
    os.makedirs(d, exist_ok=True)
    prom = os.path.join(d, "l.prom")
    ino = Inotify(d)
    p = start(ct, ["-i", "0.02", "--max-exited", "256", "--prom", prom, "-o", "json"], subprocess.PIPE)
    reports = {"n": 0, "last": b""}

    def reader():  # keep the last NDJSON line only
        for line in p.stdout:
            reports["n"] += 1
            reports["last"] = line
    th = threading.Thread(target=reader, daemon=True)
    th.start()
    # light workload: a trickle of short-lived processes, about 150 a second
    w = subprocess.Popen([f"{bindir}/churn", str(int(secs * 150)), "2", "1", "4000"], stdout=subprocess.PIPE, text=True)
    rewrites, samples, t0 = 0, [], time.time()
    while time.time() - t0 < secs:
        time.sleep(0.5)
        rewrites += ino.count("l.prom")
        v = kib(p.pid, "VmRSS")
        if v:
            samples.append((round(time.time() - t0, 1), v))
    w.wait()
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    th.join(timeout=30)
    rewrites += ino.count("l.prom")
    try:
        final = json.loads(reports["last"])
    except ValueError:
        final = {}
    t = parse_truth(w.stdout.read())
    note(f"workload {t}; {reports['n']} NDJSON reports, the final one: final={final.get('final')}, "
         f"{len(final.get('processes', []))} rows, evicted_processes {final.get('evicted_processes')}, "
         f"lost_events {final.get('lost_events')}")
    elapsed = time.time() - t0
    okp, why = promtool_ok(prom)
    warm = [v for t, v in samples if t >= 2.0]
    note(f"VmRSS (KiB) every 0.5 s: {[v for _, v in samples]}")
    res(p.returncode == 0 and okp and not temp_files(d, "l.prom") and final.get("final") is True
        and final.get("evicted_processes", 0) > 0,
        "long run: exit 0 after SIGTERM, final JSON report, complete textfile, no temp file, "
        "eviction ran (--max-exited 256)", f"exit {p.returncode}, {why}, final report {bool(final)}")
    res(rewrites >= 240,
        f"long run: textfile rewritten {rewrites} times (>= 240, an hour of 15 s intervals) in {elapsed:.1f} s "
        f"at -i 0.02: {100 * rewrites * 0.02 / elapsed:.0f}% of the intervals", f"only {rewrites}")
    flat = bool(warm) and warm[-1] <= warm[0] + 2048 and max(warm) <= warm[0] + 4096
    res(flat, "long run: memory flat after 2 s of warm-up (last sample <= first + 2 MiB, "
        f"no sample above first + 4 MiB): {warm[0] if warm else '-'} -> {warm[-1] if warm else '-'} KiB, "
        f"max {max(warm) if warm else '-'}", f"samples {warm}")


def cmd_massexit(ct, work, bindir, n):
    """n processes alive at once, each after K COW copies, ending together, under a
    256 KiB lifecycle ring (room for their fork events even when a loaded machine
    starves cowtrace for a while; 64 KiB lost some then): their final records, some
    3.5 MB, cannot all go through the ring, and
    the kernel leaves the rest in its maps for the next read.  Ground truth: the
    workload's K pages per child.  Another cowtrace traces the whole machine
    meanwhile, as other tracing may on any machine: its programs run on the
    same hooks and its frontend competes for the CPUs."""
    k = 4
    neighbour = subprocess.Popen([ct, "-q", "-o", "json", "-O", "/dev/null", "-i", "0.5"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    try:
        rep, t, rss, peak, rc, err = traced_run(
            ct, work, ["-v", "--ringbuf-size", "262144", "-i", "1", "-o", "json"],
            [f"{bindir}/churn", str(n), str(k), "0"], settle=2.0)
    finally:
        neighbour.send_signal(signal.SIGTERM)
        neighbour.wait()
    note(f"a second cowtrace traced the whole machine meanwhile (exit {neighbour.returncode})")
    if not res(rc == 0 and rep and rep.get("final") is True and t,
               f"massexit: cowtrace traced {n} processes ending at once and ended with a final JSON report",
               f"exit {rc}, stderr {err[:300]!r}, truth {t}"):
        return
    left = sum(int(m) for m in re.findall(r"\((\d+) final, left in the map", err))
    note(f"workload: {t}; {left} final records read from the maps; lost_events {rep['lost_events']}, "
         f"missed_events {rep.get('missed_events')}, exits_unseen {rep.get('exits_unseen')}, "
         f"evicted {rep.get('evicted_processes')}")
    res(left > 0, f"massexit: the ring overflowed and {left} final records came from the kernel's maps",
        "none: the mass exit did not fill the 256 KiB ring (the test did not exercise it)")
    res(rep["lost_events"] == 0, "massexit: no lost event", f"lost_events {rep['lost_events']}")
    reads = [tuple(map(int, r)) for r in re.findall(r"read (\d+) process records \((\d+) final", err)]
    if reads:
        # the kernel's copies deleted once read: a final record read twice would count twice, and
        # the last read finds only the processes still alive besides the final ones it takes
        taken = sum(f for _, f in reads)
        nproc, nfinal = reads[-1]
        res(taken <= n and nproc - nfinal < n // 5,
            f"massexit: the maps let go of them: {taken} final records taken in all (<= {n}), the last "
            f"read found {nproc - nfinal} live records besides its {nfinal} final ones",
            f"{taken} final records taken, {nproc - nfinal} live ones left of {n} ended processes")
    rows = rep["processes"]
    kids = [r for r in rows if r["comm"] == "churnhold"]
    nk = sum(1 for r in kids if r["pid"] is not None) + sum(r.get("exited_processes", 0) for r in kids
                                                             if r["pid"] is None)
    res(nk == t["children"], f"massexit: every child counted once: {nk} of {t['children']}", f"{nk}")
    live = [r for r in kids if r["pid"] is not None and not r["exited"]]
    res(not live, f"massexit: none of them still alive in the report", f"{len(live)} alive, e.g. {live[:1]}")
    anon = sum(r.get("map_anon") or 0 for r in kids)
    copies = sum(r["copy"] or 0 for r in kids)
    missed = rep.get("missed_events") or 0  # skipped runs: each may have made a copy look like a reuse
    res(anon + missed >= t["wrote"] and copies <= t["children"] * t["max_child_pages"],
        f"massexit: the children's copies: {anon} of anonymous memory (+ {missed} skipped runs reported) >= "
        f"the {t['wrote']} pages they wrote, {copies} in all <= {t['children']} x {t['max_child_pages']}",
        f"map_anon {anon}, copy {copies}")
    # every copy of a child follows its fork: one fork_to_copy sample each, through the ring or the maps
    f2c = sum((((r.get("histograms") or {}).get("fork_to_copy") or {}).get("count") or 0) for r in kids)
    res(f2c == copies and f2c + missed >= t["wrote"],
        f"massexit: the children's fork_to_copy histograms: {f2c} samples, one per copy ({copies}), "
        f">= the {t['wrote']} pages they wrote (+ {missed} skipped runs)", f"fork_to_copy {f2c}, copy {copies}")


def cmd_old_records(ct, work, fixtures):
    """Every record layout an earlier build wrote is read (tests/fixtures/records/README):
    the report of each agrees with the workload's own truth (cowfork: the child copies k
    pages, the parent then reuses n), each process once, each fork with its child's copies."""
    names = sorted(f[:-4] for f in os.listdir(fixtures) if f.endswith(".ctr"))
    res(names, f"old records: {len(names)} in {fixtures}")
    for name in names:
        t = dict(x.split("=", 1) for x in open(os.path.join(fixtures, name + ".truth")).read().split() if "=" in x)
        parent, child, k, n = (int(t[x]) for x in ("parent", "child", "k", "n"))
        r = subprocess.run([ct, "report", os.path.join(fixtures, name + ".ctr"), "-o", "json"], capture_output=True,
                           text=True)
        try:
            rep = json.loads(r.stdout.splitlines()[-1])
        except (IndexError, ValueError):
            res(False, f"old records: {name}: report", f"exit {r.returncode}: {r.stderr.strip()[:300]}")
            continue
        procs = {}
        for p in rep["processes"]:
            procs.setdefault(p["pid"], []).append(p)
        fk = [f for f in rep["forks"] if f["parent"] == parent and f["child"] == child]
        res(r.returncode == 0 and not r.stderr, f"old records: {name}: exit 0, nothing on stderr",
            f"exit {r.returncode}: {r.stderr.strip()[:300]}")
        res(all(len(v) == 1 for v in procs.values()), f"old records: {name}: each process once",
            str({pid: len(v) for pid, v in procs.items() if len(v) > 1}))
        c, pa = procs.get(child, [{}])[0], procs.get(parent, [{}])[0]
        res(c.get("copy") == k and pa.get("reuse") == n,
            f"old records: {name}: child copy {c.get('copy')} == {k}, parent reuse {pa.get('reuse')} == {n}")
        res(len(fk) == 1 and fk[0]["child_copies"] == k, f"old records: {name}: the fork's child_copies == {k}",
            str(fk))
        # copies by mapping came with 6175bdf: the older builds' records cannot have them
        had_maps = name not in ("e816776", "ebe8064")
        res(rep["probes"].get("map_anon", {}).get("quality") == ("derived" if had_maps else "unavailable"),
            f"old records: {name}: a statistic its build did not have is unavailable, not 0 (map_anon)",
            str(rep["probes"].get("map_anon")))


def main():
    cmd, ct, work = sys.argv[1], sys.argv[2], sys.argv[3]
    a = sys.argv[4:]
    {
        "record-cut": lambda: cmd_record_cut(ct, work, a[0], "cut"),
        "record-corrupt": lambda: cmd_record_cut(ct, work, a[0], "corrupt"),
        "old-records": lambda: cmd_old_records(ct, work, a[0]),
        "signals": lambda: (cmd_signals(ct, work), cmd_report_signal(ct, work)),
        "sigkill": lambda: cmd_sigkill(ct, work, a[0], int(a[1])),
        "churn": lambda: cmd_churn(ct, work, a[0], int(a[1])),
        "massexit": lambda: cmd_massexit(ct, work, a[0], int(a[1])),
        "reuse": lambda: cmd_reuse(ct, work, a[0]),
        "overload": lambda: cmd_overload(ct, work, a[0]),
        "inflight": lambda: cmd_inflight(ct, work, a[0], int(a[1])),
        "longrun": lambda: cmd_longrun(ct, work, a[0], float(a[1])),
    }[cmd]()


if __name__ == "__main__":
    main()
