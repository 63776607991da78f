#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""bench/report.py RESULTS: the tables of bench/run.sh from its @@ lines.

Every figure is a ratio measured in one run: for each round, a config's time
divided by the "none" time of the same round (configs interleaved, order
rotated every round); the table shows the median of those per-round ratios
and their range, plus the median time and the extra time per write fault.
"""
import re
import statistics
import sys
from collections import defaultdict

DESC = {
    "none": "no tracer",
    "empty-exact": "empty progs, all cowtrace hooks (the limit)",
    "empty-wp": "empty fentry+fexit do_wp_page",
    "empty-anon": "empty fentry folio_add_new_anon_rmap",
    "empty-cpr+sched": "empty copy_page_range entry/exit + fork/exit/exec tp",
    "empty-zap": "empty fentry+fexit unmap_page_range",
    "empty-sched": "empty tp_btf sched_process_fork/exit/exec",
    "empty-tp": "empty progs, all tracepoint-mode hooks (limit)",
    "empty-tpfault": "empty tp_btf page_fault_user",
    "empty-tpkfault": "empty tp_btf page_fault_kernel",
    "empty-tpalloc": "empty tp_btf mm_page_alloc",
    "empty-tpfree": "empty tp_btf mm_page_free",
    "empty-tpsys": "empty tp_btf sys_enter + sys_exit (old tp mode)",
    "count-fentry": "count-only: fentry do_wp_page, hash pid->count",
    "count-kprobe": "count-only: kprobe do_wp_page, hash pid->count",
    "count-tp": "count-only: tp_btf page_fault_user, hash pid->count",
    "bpftrace-kprobe": "bpftrace kprobe:do_wp_page { @[pid] = count(); }",
    "bpftrace-tp": "bpftrace tracepoint:exceptions:page_fault_user {...}",
    "cowtrace": "cowtrace -o json (default ladder: fentry)",
    "cowtrace-events": "cowtrace -o json --events >/dev/null",
    "cowtrace-record": "cowtrace -o json --record FILE",
    "cowtrace-kprobe": "cowtrace -o json --mode kprobe",
    "cowtrace-fentry": "cowtrace -o json --mode fentry",
    "cowtrace-tp": "cowtrace -o json --mode tracepoint",
    "cowtrace-tp-events": "cowtrace --mode tracepoint --events >/dev/null",
    "cowtrace-tp-record": "cowtrace --mode tracepoint --record FILE",
    "cowtrace-latency": "cowtrace -o json --latency (write faults timed)",
    "cowtrace-stacks": "cowtrace -o json --stacks (user stacks of copies)",
    "cowtrace-stacks-kernel": "cowtrace -o json --stacks --kernel-stacks",
    "cowtrace-tp-stacks": "cowtrace --mode tracepoint --stacks",
    "cowtrace-tp-stacks-kernel": "cowtrace --mode tracepoint --stacks --kernel-stacks",
    "ct-wp": "cowtrace's progs: do_wp_page exit only",
    "ct-wpanon": "cowtrace's progs: do_wp_page exit + new_anon_rmap",
    "ct-wplat": "cowtrace's progs: do_wp_page entry+exit (--latency)",
    "ct-fork": "cowtrace's progs: copy_page_range + fork/exit/exec",
    "ct-zap": "cowtrace's progs: unmap_page_range (markers)",
    "ct-all": "cowtrace's progs, all hooks, no-op consumer",
    "ct-tp": "cowtrace's tracepoint-mode progs, no-op consumer",
    "ct-tpnofv": "the same, without bpf_find_vma (mapping class)",
}


def desc(cfg):
    """A config's description; ct-X-base: ct-X with the other build's object."""
    if cfg not in DESC and cfg.endswith("-base"):
        return "base: " + DESC.get(cfg[:-5], cfg[:-5])
    return DESC.get(cfg, cfg)

# the cowtrace configs whose cost is compared with the references, and the
# variants compared with them
CT_BASE = ("cowtrace", "cowtrace-tp")
CT_REFS = ("count-fentry", "count-kprobe", "count-tp", "bpftrace-kprobe", "bpftrace-tp")
CT_VARIANTS = ("latency", "events", "record", "stacks", "stacks-kernel")
W_CFG, W_WHAT = 25, 46  # column widths: config, what


def kv(line):
    return dict(re.findall(r"(\w+)=(\S+)", line))


def fmt_ratio(rs):
    if not rs:
        return "-"
    return f"{statistics.median(rs):.3f}x"


def main(path):
    lines = [l.rstrip("\n") for l in open(path, errors="replace")]
    runs = defaultdict(lambda: defaultdict(dict))  # part -> (cfg, wl) -> round -> fields
    slots = defaultdict(lambda: defaultdict(list))  # part -> cfg -> [T fields]
    skips = defaultdict(dict)                       # part -> cfg -> why
    cfg_order = defaultdict(list)
    ramps = defaultdict(list)
    meta = defaultdict(list)
    cal = defaultdict(dict)
    hooks = defaultdict(list)
    probes = []
    bpf = defaultdict(lambda: defaultdict(dict))    # part -> (cfg, wl) -> round -> fields
    bpf_order = defaultdict(list)
    iread = defaultdict(list)
    many = {}
    times = {}
    for l in lines:
        if l.startswith("@@R "):
            f = kv(l)
            runs[f["part"]][(f["cfg"], f["wl"])][int(f["round"])] = f
            if f["cfg"] not in cfg_order[f["part"]]:
                cfg_order[f["part"]].append(f["cfg"])
        elif l.startswith("@@T "):
            f = kv(l)
            slots[f["part"]][f["cfg"]].append(f)
        elif l.startswith("@@SKIP "):
            m = re.match(r"@@SKIP part=(\S+) cfg=(\S+) why=(.*)", l)
            if m:
                skips[m.group(1)][m.group(2)] = m.group(3).strip()
                if m.group(2) not in cfg_order[m.group(1)]:
                    cfg_order[m.group(1)].append(m.group(2))
        elif l.startswith("@@BPF "):
            f = kv(l)
            bpf[f["part"]][(f["cfg"], f["wl"])][int(f["round"])] = f
            if f["cfg"] not in bpf_order[f["part"]]:
                bpf_order[f["part"]].append(f["cfg"])
        elif l.startswith("@@IREAD "):
            f = kv(l)
            iread[f["part"]].append(f)
        elif l.startswith("@@MANY "):
            m = re.match(r"@@MANY (.*?) why=(.*)", l)
            if m:
                f = kv(m.group(1))
                f["why"] = m.group(2).strip()
                many[f["part"]] = f
        elif l.startswith("@@RAMP "):
            f = kv(l)
            ramps[f["part"]].append(f)
        elif l.startswith("@@CAL "):
            f = kv(l)
            cal[f["part"]][f["wl"]] = f
        elif l.startswith("@@META "):
            m = re.match(r"@@META part=(\S+) (.*)", l)
            if m:
                meta[m.group(1)].append(m.group(2))
        elif l.startswith("@@HOOKS "):
            hooks[l.split()[1].rstrip(":")].append(l.split("benchprobe: ", 1)[-1])
        elif l.startswith("@@PROBES "):
            probes.append(l[9:])
        elif l.startswith("@@TIME "):
            f = kv(l)
            times[f["part"]] = int(f["s"])
        elif l.startswith("@@VMFAIL") or l.startswith("@@ERR"):
            meta["errors"].append(l)

    titles = {
        "1": "Part 1: overhead, exact mode (fentry), in a VM",
        "2": "Part 2: overhead, tracepoint mode, natively on this host",
    }
    notes = {
        "1": ["wall = the workload's elapsed time (with 1 vCPU it includes the tracer's userspace);",
              "cpu = CPU time of the workload's own tasks: the in-kernel overhead (BPF runs in their context)."],
        "2": ["wall = the workload's elapsed time (the tracer's userspace runs on the other CPU);",
              "cpu = CPU time of the workload's own tasks: the in-kernel overhead (BPF runs in their context)."],
    }
    for part in ("1", "2"):
        if part not in runs and part not in skips:
            continue
        print()
        print("=" * 100)
        print(titles[part])
        for m in meta[part]:
            print("  " + m)
        for m in notes[part]:
            print("  " + m)
        if part == "1" and any("icount" in m for m in meta[part]):
            print("  Under -icount the guest clock counts guest instructions (1 ns each): ratios are instruction")
            print("  ratios, reproducible whatever the host load, but blind to cache and pipeline effects.")
        elif part == "1":
            print("  Real-time TCG: guest time is host time, as noisy as the host is busy.")
        wls = sorted({wl for (_, wl) in runs[part]}, key=lambda w: ("cow", "reuse").index(w) if w in ("cow", "reuse") else 9)
        for wl in wls:
            base = runs[part].get(("none", wl), {})
            if not base:
                continue
            any_r = next(iter(base.values()))
            nrounds = len(base)
            faults = int(any_r["faults"])
            reps = int(any_r["reps"])
            what = {"cow": "COW copies (child writes every page after fork)",
                    "reuse": "reuse faults (child exits, parent rewrites every page)"}.get(wl, wl)
            print()
            print(f"  workload {wl}: {any_r['pages']} pages x {reps} forks = {faults} {what}; "
                  f"{nrounds} rounds")
            hdr = (f"  {'config':<{W_CFG}} {'what':<{W_WHAT}} {'wall ms':>8} {'wall':>7} {'cpu ms':>8} {'cpu':>7}"
                   f" {'cpu range':>11} {'+cpu ns':>8} {'lost':>5} {'miss':>5}")
            print(hdr)
            print(f"  {'':<{W_CFG}} {'':<{W_WHAT}} {'median':>8} {'x none':>7} {'median':>8} {'x none':>7}"
                  f" {'min-max':>11} {'/fault':>8}")
            print("  " + "-" * (len(hdr) - 2))
            med = {}
            for cfg in cfg_order[part]:
                what = desc(cfg)[:W_WHAT]
                if cfg in skips[part] and (cfg, wl) not in runs[part]:
                    print(f"  {cfg:<{W_CFG}} {what:<{W_WHAT}} skipped: {skips[part][cfg]}")
                    continue
                rr = runs[part].get((cfg, wl), {})
                if not rr:
                    continue
                common = [r for r in rr if r in base and int(base[r]["ns"]) > 0 and int(base[r].get("cpu_ns", 0)) > 0]
                wall = [int(rr[r]["ns"]) / int(base[r]["ns"]) for r in common]
                cpu = [int(rr[r]["cpu_ns"]) / int(base[r]["cpu_ns"]) for r in common]
                wall_ms = statistics.median(int(r["ns"]) for r in rr.values()) / 1e6
                cpu_ms = statistics.median(int(r.get("cpu_ns", 0)) for r in rr.values()) / 1e6
                extra = statistics.median(
                    (int(rr[r]["cpu_ns"]) - int(base[r]["cpu_ns"])) / int(rr[r]["faults"]) for r in common) if common else 0
                med[cfg] = (statistics.median(cpu) if cpu else 0, extra, statistics.median(wall) if wall else 0)
                rng = f"{min(cpu):.2f}-{max(cpu):.2f}" if cpu else "-"
                lost = [s["lost"] for s in slots[part][cfg] if s["lost"] != "-"]
                lost_s = str(max(int(x) for x in lost)) if lost else ""
                missed = [s["missed"] for s in slots[part][cfg] if s.get("missed", "-") != "-"]
                miss_s = str(max(int(x) for x in missed)) if missed else ""
                note = ""
                calls = [s["calls"] for s in slots[part][cfg] if s["calls"] != "-"]
                if calls and all(int(c) == 0 for c in calls):
                    note = "  (never fired!)"
                # cowtrace: faults its report classified; ct-*: ring events
                # (without --events only forks and exits go through the ring:
                # the process records in its procs map are the check there)
                seen = [s["seen"] for s in slots[part][cfg] if s["seen"] != "-"]
                procs = [s["procs"] for s in slots[part][cfg] if s.get("procs", "-").isdigit()]
                if cfg.startswith("ct-"):
                    if procs and all(int(c) == 0 for c in procs) and all(int(c) == 0 for c in seen):
                        note = "  (no events, no process records!)"
                elif seen and all(int(c) == 0 for c in seen):
                    note = "  (saw no events!)"
                nst = [int(s["stacks"]) for s in slots[part][cfg] if s.get("stacks", "-").isdigit()]
                if "stacks" in cfg and nst and all(n == 0 for n in nst):
                    note += "  (no stacks in its report!)"
                if cfg == "none":
                    print(f"  {cfg:<{W_CFG}} {what:<{W_WHAT}} {wall_ms:8.1f} {'1.000':>7} {cpu_ms:8.1f} {'1.000':>7}")
                elif not common:
                    print(f"  {cfg:<{W_CFG}} {what:<{W_WHAT}} {wall_ms:8.1f}  (no round in common with none)")
                else:
                    print(f"  {cfg:<{W_CFG}} {what:<{W_WHAT}} {wall_ms:8.1f} {statistics.median(wall):7.3f}"
                          f" {cpu_ms:8.1f} {statistics.median(cpu):7.3f} {rng:>11} {extra:8.0f} {lost_s:>5} {miss_s:>5}{note}")
            ct = next((c for c in CT_BASE if c in med), None)
            for ref in CT_REFS:
                if ct and ref in med and med[ct][0] and med[ref][0]:
                    d = med[ct][1] - med[ref][1]
                    print(f"    {ct} vs {ref}: cpu {med[ct][0]:.3f}x vs {med[ref][0]:.3f}x none;"
                          f" cowtrace costs {abs(d):.0f} ns/fault {'more' if d > 0 else 'less'}")
            for var in CT_VARIANTS:
                v = f"{ct}-{var}" if ct else None
                if v in med and med[ct][0]:
                    d = med[v][1] - med[ct][1]
                    extra = ""
                    rb = [int(t["rec_bytes"]) for t in slots[part][v] if t.get("rec_bytes", "").isdigit()]
                    if var == "record" and rb:
                        extra = f"; record files {statistics.median(rb) / 1e6:.1f} MB per slot (median)"
                    nst = [int(t["stacks"]) for t in slots[part][v] if t.get("stacks", "").isdigit()]
                    if var.startswith("stacks") and nst:
                        extra = f"; wall {med[v][2]:.3f}x vs {med[ct][2]:.3f}x; {statistics.median(nst):.0f} stacks in the final report (median per slot)"
                    opt = {"stacks-kernel": "stacks --kernel-stacks"}.get(var, var)
                    print(f"    {v} vs {ct}: cpu {med[v][0]:.3f}x vs {med[ct][0]:.3f}x none;"
                          f" --{opt} costs {abs(d):.0f} ns/fault {'more' if d > 0 else 'less'}{extra}")
        for cfg, why in skips[part].items():
            if not any((cfg, w) in runs[part] for w in wls):
                pass  # already printed per workload
        if part == "1":
            # the host's seconds per slot (the guest's clock counts instructions)
            ts = sorted((int(t["host_t"]), c) for c, tl in slots[part].items() for t in tl if t.get("host_t", "").isdigit())
            per = defaultdict(list)
            for (t0, _), (t1, c) in zip(ts, ts[1:]):
                per[c].append(t1 - t0)
            if per:
                print()
                print("  host seconds per VM slot (median; tracer start and stop, timed and stats runs): "
                      + ", ".join(f"{c} {statistics.median(v):.0f}" for c, v in per.items()))
        if part == "1" and probes:
            hk = hooks.get("empty-exact")
            if hk:
                print()
                print("  empty-exact attached: " + ", ".join(h.replace(" -> ", "->") for h in hk))

    for part in sorted(bpf):
        report_bpf(part, bpf[part], bpf_order[part], skips.get(part, {}), meta)
    for part in ("1", "2"):
        if meta.get(part + "bpf") and part not in bpf:
            print()
            for m in meta[part + "bpf"]:
                print(f"  Part {part}, BPF run time: " + m)
    for part, title in (("3", "Part 3: delivery, {} on this host (default 4 MiB ring)"),
                        ("3vm", "Part 3 (VM): delivery, {} in the VM (exact mode, fentry)")):
        rs = ramps.get(part)
        if not rs:
            continue
        print()
        print("=" * 100)
        tools = sorted({f.get("tool", "?") for f in rs})
        print(title.format(", ".join(f"{t} ({desc(t)})" for t in tools)))
        for m in meta[part]:
            print("  " + m)
        print("  events/s = write faults the workload performed / its wall time; seen = write faults cowtrace")
        print("  classified in that time, system-wide (other processes' faults included)")
        hdr = f"  {'workload':<8} {'writers':>7} {'pages':>6} {'reps':>5} {'faults':>9} {'seconds':>8} {'events/s':>10} {'lost':>8} {'seen':>9}"
        print(hdr)
        print("  " + "-" * (len(hdr) - 2))
        best = {}
        firstloss = {}
        for f in rs:
            secs = int(f["ns"]) / 1e9
            rate = int(f["faults"]) / secs if secs > 0 else 0
            lost = f.get("lost", "-")
            print(f"  {f['mode']:<8} {f['writers']:>7} {f['pages']:>6} {f['reps']:>5} {f['faults']:>9} {secs:8.2f} {rate:10.0f} {lost:>8} {f.get('seen', '-'):>9}")
            if lost == "0":
                best[f["mode"]] = max(best.get(f["mode"], 0), rate)
            elif lost != "-" and f["mode"] not in firstloss:
                firstloss[f["mode"]] = (rate, lost, f["writers"])
        for wl in best.keys() | firstloss.keys():
            s = f"  {wl}: highest rate with lost_events = 0: {best.get(wl, 0):.0f} events/s"
            if wl in firstloss:
                r, l, w = firstloss[wl]
                s += f"; first loss at {r:.0f} events/s ({w} writers, {l} lost)"
            else:
                s += " (no loss at any step: the machine ran out of CPU for the workload first)"
            print(s)
    for part in sorted(many):
        report_many(part, many[part], iread.get(part, []), meta.get(part, []))
    if "4" in skips and "4" not in many:
        print()
        print("=" * 100)
        print("Part 4: interval reads with many live processes")
        for cfg, why in skips["4"].items():
            print(f"  {cfg}: skipped: {why}")

    if times:
        print()
        print("  time per part: " + ", ".join(f"part {p} {s // 60} min {s % 60} s" for p, s in sorted(times.items())))
    if meta["errors"]:
        print()
        for e in meta["errors"]:
            print("  " + e)


def med(xs):
    return statistics.median(xs) if xs else None


def report_bpf(part, runs, order, skips, meta):
    """@@BPF lines: the run time of each config's programs per write fault."""
    print()
    print("=" * 100)
    where = {"1": "exact mode, in the VM", "2": "tracepoint mode, this host"}.get(part, "")
    print(f"Part {part} (BPF run time, {where}): the tracers' BPF programs, run time per write fault")
    icount = False
    for m in meta.get(part, []):
        if m.startswith("host:") or m.startswith("VM:"):
            print("  " + m)
            icount |= "icount" in m
    for m in meta.get(part + "bpf", []):
        print("  " + m)
    frac = {"1": "a quarter of REPS", "2": "REPS/2"}.get(part, "part of REPS")
    print(f"  Per slot, one extra untimed run of each workload ({frac}) with kernel.bpf_stats_enabled=1:")
    print("  run_time_ns and run_cnt of every program the tracer's process holds, before and after.")
    print("  ns/fault = total program run time / the workload's write faults; runs/fault likewise.")
    print("  In the cow workload every write fault is a COW copy: ns/fault is the cost per copying fault.")
    if icount:
        print("  Under -icount the guest's clock counts instructions: ns here = guest instructions")
        print("  (including the two clock reads bpf_stats adds per program run).")
    print("  Programs are system-wide: runs for other processes' faults in that window count too.")
    print("  x ref = median over rounds of (ns/fault / the reference's ns/fault in the same round).")
    wls = sorted({wl for (_, wl) in runs}, key=lambda w: ("cow", "reuse", "cow-fp").index(w)
                 if w in ("cow", "reuse", "cow-fp") else 9)
    ref = next((r for r in ("bpftrace-tp", "bpftrace-kprobe", "count-tp", "count-fentry")
                if any((r, w) in runs for w in wls)), None)
    for wl in wls:
        rows = {c: runs[(c, wl)] for c in order if (c, wl) in runs}
        if not rows:
            continue
        anyf = next(iter(next(iter(rows.values())).values()))
        nr = max(len(v) for v in rows.values())
        print()
        fp = " (cowbench-fp: the cow workload built with frame pointers)" if wl.endswith("-fp") else ""
        print(f"  workload {wl}: {anyf['faults']} write faults per stats run ({anyf['reps']} forks); {nr} rounds{fp}")
        hdr = (f"  {'config':<{W_CFG}} {'what':<{W_WHAT}} {'ns/fault':>9} {'min-max':>11} {'runs/flt':>8}"
               f" {'ns/run':>7} {'x ' + (ref or 'ref'):>15} {'misses':>6}")
        print(hdr)
        print("  " + "-" * (len(hdr) - 2))
        per_fault = {}
        for cfg, rr in rows.items():
            nsf = {r: int(f["run_ns"]) / int(f["faults"]) for r, f in rr.items() if int(f["faults"]) > 0}
            rpf = [int(f["run_cnt"]) / int(f["faults"]) for f in rr.values() if int(f["faults"]) > 0]
            npr = [int(f["run_ns"]) / int(f["run_cnt"]) for f in rr.values() if int(f["run_cnt"]) > 0]
            miss = max(int(f.get("misses", 0)) for f in rr.values())
            per_fault[cfg] = nsf
            x = "-"
            if ref and cfg != ref and (ref, wl) in runs:
                refn = {r: int(f["run_ns"]) / int(f["faults"]) for r, f in runs[(ref, wl)].items()
                        if int(f["faults"]) > 0 and int(f["run_ns"]) > 0}
                rat = [nsf[r] / refn[r] for r in nsf if r in refn]
                if rat:
                    x = f"{med(rat):.2f}x"
            elif cfg == ref:
                x = "1.00x"
            vals = list(nsf.values())
            rng = f"{min(vals):.0f}-{max(vals):.0f}" if vals else "-"
            print(f"  {cfg:<{W_CFG}} {desc(cfg)[:W_WHAT]:<{W_WHAT}} {med(vals) or 0:9.0f} {rng:>11}"
                  f" {med(rpf) or 0:8.2f} {med(npr) or 0:7.0f} {x:>15} {miss:>6}")
        # per program
        print("    per program: name ns/fault (runs/fault, ns/run), medians over rounds")
        for cfg, rr in rows.items():
            progs = defaultdict(lambda: ([], [], []))
            for f in rr.values():
                fl = int(f["faults"])
                if fl <= 0 or f.get("progs", "-") == "-":
                    continue
                for item in f["progs"].split(","):
                    name, cnt, ns = item.rsplit(":", 2)
                    cnt, ns = int(cnt), int(ns)
                    progs[name][0].append(ns / fl)
                    progs[name][1].append(cnt / fl)
                    if cnt:
                        progs[name][2].append(ns / cnt)
            if not progs:
                continue
            parts = [f"{n} {med(a):.0f} ({med(b):.2f}, {med(c) or 0:.0f})" for n, (a, b, c) in
                     sorted(progs.items(), key=lambda kv: -med(kv[1][0]))]
            line = f"    {cfg}: "
            for p in parts:
                if len(line) + len(p) > 118:
                    print(line.rstrip(";"))
                    line = "      "
                line += p + "; "
            print(line.rstrip("; "))
        # what an option adds to the programs' run time, round by round
        for base in CT_BASE:
            for var in CT_VARIANTS:
                v = f"{base}-{var}"
                if base not in per_fault or v not in per_fault:
                    continue
                common = [r for r in per_fault[v] if r in per_fault[base] and per_fault[base][r] > 0]
                if not common:
                    continue
                a = med([per_fault[v][r] for r in common])
                b = med([per_fault[base][r] for r in common])
                rat = med([per_fault[v][r] / per_fault[base][r] for r in common])
                unit = "instructions" if icount else "ns"
                per = "per copying fault" if wl.startswith("cow") else "per write fault"
                opt = {"stacks-kernel": "stacks --kernel-stacks"}.get(var, var)
                print(f"    --{opt}: {v} {a:.0f} vs {base} {b:.0f} {unit} {per}: +{a - b:.0f} {unit}, x{rat:.2f}")
        for ct in [c for c in rows if c in CT_BASE]:
            if ref and ref in per_fault and per_fault[ct] and per_fault[ref]:
                common = [r for r in per_fault[ct] if r in per_fault[ref] and per_fault[ref][r] > 0]
                if not common:
                    continue
                a, b = med([per_fault[ct][r] for r in common]), med([per_fault[ref][r] for r in common])
                rat = med([per_fault[ct][r] / per_fault[ref][r] for r in common])
                verdict = "met" if rat < 1 else "NOT met"
                print(f"    target, {ct} below {ref}: {a:.0f} vs {b:.0f} ns/fault, x{rat:.2f}: {verdict}")
    for cfg, why in skips.items():
        if not any((cfg, w) in runs for w in wls):
            print(f"  {cfg}: skipped: {why}")


def report_many(part, m, reads, metas):
    """@@MANY / @@IREAD: interval reads with N live processes."""
    n = int(m.get("n", 0))
    print()
    print("=" * 100)
    print(f"Part {part}: interval reads with {n:,} live processes"
          " (cowtrace -v -i 1 -o json --mode tracepoint, this host)")
    for x in metas:
        print("  " + x)
    print("  Each process did a COW write after its fork (a record in cowtrace's procs map); stdout to /dev/null.")
    print("  read = cowtrace -v's \"read N process records (F final, ...) and M histograms in X ms\", once a second;")
    print("  final = records of ended processes the kernel left in its maps, the lifecycle ring being full.")
    print("  phase: base = before the forks; fill = while they happen; hold = all alive; release = after")
    print("  they all exited at once.")
    hdr = (f"  {'phase':<8} {'reads':>5} {'records min-max':>17} {'final sum':>10} {'hists max':>10}"
           f" {'ms median':>10} {'ms max':>8}")
    print(hdr)
    print("  " + "-" * (len(hdr) - 2))
    byph = defaultdict(list)
    for r in reads:
        byph[r["phase"]].append(r)
    for ph in ("base", "fill", "hold", "release"):
        rs = byph.get(ph)
        if not rs:
            continue
        np_ = [int(r["nprocs"]) for r in rs]
        nh = [int(r["nhists"]) for r in rs]
        ms = [float(r["ms"]) for r in rs]
        fin = sum(int(r.get("final", 0) or 0) for r in rs)
        print(f"  {ph:<8} {len(rs):>5} {f'{min(np_)}-{max(np_)}':>17} {fin:>10} {max(nh):>10} {med(ms):10.1f}"
              f" {max(ms):8.1f}")
    ready = int(m.get("ready", 0) or 0)
    print(f"  holdkids: {ready:,} of {n:,} children ready, forked in {m.get('forked_s', '-')} s,"
          f" released (all exited and reaped) in {m.get('released_s', '-')} s")

    def mib(k):
        return f"{int(k) / 1024:.1f} MiB" if k and k.isdigit() else "-"
    print(f"  cowtrace peak RSS (VmHWM): {mib(m.get('hwm_kb'))} at the end,"
          f" {mib(m.get('hold_hwm_kb'))} while holding (VmRSS then {mib(m.get('hold_rss_kb'))})")
    print(f"  cowtrace's BPF stats map: lost_events {m.get('lost_hold', '-')} with all of them alive (after the"
          f" forks), {m.get('lost', '-')} at the end (after the exits)")
    print(f"  (lost_events: ring records that found no room); no room in a map {m.get('nospace', '-')} at the end;"
          f" {m.get('after_release_s', '-')} s from the release to 2 more reads (or the time limit)")
    if m.get("why"):
        print(f"  PROBLEM: {m['why']}")
    hold = [r for r in byph.get("hold", []) if int(r["nprocs"]) >= n]
    if hold:
        ms = [float(r["ms"]) for r in hold]
        v = "met" if max(ms) < 100 else "NOT met"
        print(f"  target, read < 100 ms with {n:,} live processes: median {med(ms):.1f} ms, max {max(ms):.1f} ms"
              f" over {len(ms)} reads of >= {n:,} records: {v}")
    else:
        print(f"  target, read < 100 ms: no read saw {n:,} records")
    hwm = m.get("hwm_kb", "-")
    if hwm.isdigit():
        v = "met" if int(hwm) <= 64 * 1024 else "NOT met"
        print(f"  target, RSS <= 64 MiB: {mib(hwm)}: {v}")


if __name__ == "__main__":
    main(sys.argv[1])
