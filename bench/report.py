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
    "empty-cpr+sched": "empty copy_page_range entry/exit + fork/exit tp",
    "empty-zap": "empty fentry+fexit unmap_page_range",
    "empty-sched": "empty tp_btf sched_process_fork/exit",
    "empty-tp": "empty progs, all tracepoint-mode hooks (limit)",
    "empty-tpfault": "empty tp_btf page_fault_user",
    "empty-tpalloc": "empty tp_btf mm_page_alloc",
    "empty-tpsys": "empty tp_btf sys_enter + sys_exit",
    "count-fentry": "count-only: fentry do_wp_page, hash pid->count",
    "count-kprobe": "count-only: kprobe do_wp_page, hash pid->count",
    "count-tp": "count-only: tp_btf page_fault_user, hash pid->count",
    "bpftrace-kprobe": "bpftrace kprobe:do_wp_page { @[pid] = count(); }",
    "bpftrace-tp": "bpftrace tracepoint:exceptions:page_fault_user {...}",
    "cowtrace": "cowtrace -o json (default ladder: fentry)",
    "cowtrace-kprobe": "cowtrace -o json --mode kprobe",
    "cowtrace-fentry": "cowtrace -o json --mode fentry",
    "cowtrace-tp": "cowtrace -o json --mode tracepoint",
    "ct-wp": "cowtrace's progs: do_wp_page entry+exit only",
    "ct-wpanon": "cowtrace's progs: do_wp_page + new_anon_rmap",
    "ct-fork": "cowtrace's progs: copy_page_range + fork/exit tp",
    "ct-zap": "cowtrace's progs: unmap_page_range (markers)",
    "ct-all": "cowtrace's progs, all hooks, no-op consumer",
}


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
            hdr = (f"  {'config':<16} {'what':<50} {'wall ms':>8} {'wall':>7} {'cpu ms':>8} {'cpu':>7}"
                   f" {'cpu range':>11} {'+cpu ns':>8} {'lost':>5}")
            print(hdr)
            print(f"  {'':<16} {'':<50} {'median':>8} {'x none':>7} {'median':>8} {'x none':>7}"
                  f" {'min-max':>11} {'/fault':>8}")
            print("  " + "-" * (len(hdr) - 2))
            med = {}
            for cfg in cfg_order[part]:
                if cfg in skips[part] and (cfg, wl) not in runs[part]:
                    print(f"  {cfg:<16} {DESC.get(cfg, cfg)[:50]:<50} skipped: {skips[part][cfg]}")
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
                med[cfg] = (statistics.median(cpu) if cpu else 0, extra)
                rng = f"{min(cpu):.2f}-{max(cpu):.2f}" if cpu else "-"
                lost = [s["lost"] for s in slots[part][cfg] if s["lost"] != "-"]
                lost_s = str(max(int(x) for x in lost)) if lost else ""
                note = ""
                calls = [s["calls"] for s in slots[part][cfg] if s["calls"] != "-"]
                if calls and all(int(c) == 0 for c in calls):
                    note = "  (never fired!)"
                seen = [s["seen"] for s in slots[part][cfg] if s["seen"] != "-"]
                if seen and all(int(c) == 0 for c in seen):
                    note = "  (saw no events!)"
                if cfg == "none":
                    print(f"  {cfg:<16} {DESC.get(cfg, cfg)[:50]:<50} {wall_ms:8.1f} {'1.000':>7} {cpu_ms:8.1f} {'1.000':>7}")
                elif not common:
                    print(f"  {cfg:<16} {DESC.get(cfg, cfg)[:50]:<50} {wall_ms:8.1f}  (no round in common with none)")
                else:
                    print(f"  {cfg:<16} {DESC.get(cfg, cfg)[:50]:<50} {wall_ms:8.1f} {statistics.median(wall):7.3f}"
                          f" {cpu_ms:8.1f} {statistics.median(cpu):7.3f} {rng:>11} {extra:8.0f} {lost_s:>5}{note}")
            ct = next((c for c in ("cowtrace", "cowtrace-tp") if c in med), None)
            for ref in ("count-fentry", "count-kprobe", "count-tp", "bpftrace-kprobe", "bpftrace-tp"):
                if ct and ref in med and med[ct][0] and med[ref][0]:
                    d = med[ct][1] - med[ref][1]
                    print(f"    {ct} vs {ref}: cpu {med[ct][0]:.3f}x vs {med[ref][0]:.3f}x none;"
                          f" cowtrace costs {abs(d):.0f} ns/fault {'more' if d > 0 else 'less'}")
        for cfg, why in skips[part].items():
            if not any((cfg, w) in runs[part] for w in wls):
                pass  # already printed per workload
        if part == "1" and probes:
            hk = hooks.get("empty-exact")
            if hk:
                print()
                print("  empty-exact attached: " + ", ".join(h.replace(" -> ", "->") for h in hk))

    for part, title in (("3", "Part 3: delivery, cowtrace --mode tracepoint on this host (default 4 MiB ring)"),
                        ("3vm", "Part 3 (VM): delivery, cowtrace exact mode (fentry) in the VM")):
        rs = ramps.get(part)
        if not rs:
            continue
        print()
        print("=" * 100)
        print(title)
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
    if meta["errors"]:
        print()
        for e in meta["errors"]:
            print("  " + e)


if __name__ == "__main__":
    main(sys.argv[1])
