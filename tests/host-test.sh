#!/usr/bin/env bash
# Host suite: cowtrace on the running kernel (the build machine runs it in
# tracepoint mode), compared with the workloads' own ground truth.  Derived
# statistics must be within 1% of the truth; exact ones must match.
set -u
ct=$(readlink -f "${1:-.output/cowtrace}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$(id -u)" -ne 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
  echo "skip host: needs root and /sys/kernel/btf/vmlinux"
  echo "host: 0 passed, 0 failed, 1 skipped"; exit 0
fi
"$here/vm/build-workloads.sh" "$work/w" 2>/dev/null || { echo "FAIL host: cannot build workloads"; echo "host: 0 passed, 1 failed"; exit 1; }

run() { # name -- cmd...
  local name=$1; shift 2
  TRUTH_FILE=$work/$name.truth "$ct" -o json -- "$@" >"$work/$name.json" 2>"$work/$name.err"
  echo $? >"$work/$name.rc"
}
run cowfork -- "$work/w/cowfork" 4096 8192
run zerocopy -- "$work/w/zerocopy" 4096
run pinfork -- "$work/w/pinfork" 256
run race -- "$work/w/race" 20000 2
# what each fork cost: three sizes, huge pages (each three times: the stall's relations take the
# fastest of each, on a machine others use too), a fork+exec child that waits 300 ms
run forkcost -- "$work/w/forkcost" 16 64 256 h64 16 64 256 h64 16 64 256 h64 x300
# text reports every 0.5 s while the child sleeps its last 2.5 s: histograms read from the live maps
TRUTH_FILE=$work/forkdelay.truth "$ct" -i 0.5 -- "$work/w/forkdelay" 10 30 2500 >"$work/forkdelay.txt" \
  2>"$work/forkdelay.err"
echo $? >"$work/forkdelay.rc"

python3 - "$work" "$here/lib" <<'PY'
import json, sys, os, re
work = sys.argv[1]
sys.path.insert(0, sys.argv[2])
import forkcost
passed = failed = 0

def res(ok, what, detail=""):
    global passed, failed
    if ok: passed += 1; print(f"ok host {what}")
    else: failed += 1; print(f"FAIL host {what}: {detail}")

def load(name):
    rc = int(open(f"{work}/{name}.rc").read())
    lines = [l for l in open(f"{work}/{name}.json") if l.strip()]
    truth = dict(kv.split("=", 1) for kv in open(f"{work}/{name}.truth").read().split()[1:])
    res(rc == 0 and lines, f"{name} cowtrace ran", open(f"{work}/{name}.err").read().strip())
    return (json.loads(lines[-1]) if lines else {}), truth

def proc(rep, pid):
    return next((p for p in rep.get("processes", []) if p["pid"] == int(pid)), None)

def near(name, rep, pid, stat, want):
    q = rep["probes"][stat]["quality"]
    p = proc(rep, pid)
    got = p.get(stat) if p else None
    if got is None:
        return res(False, f"{name} {stat}", f"pid {pid} has no {stat} ({q})")
    tol = 0 if q == "exact" else want * 0.01
    res(abs(got - want) <= tol, f"{name} {stat} ({q}, {rep['mode']}) {got} vs truth {want}",
        f"off by {got - want}, allowed {tol:g}")

rep, t = load("cowfork")
if rep:
    near("cowfork", rep, t["child"], "copy", int(t["k"]))
    near("cowfork", rep, t["parent"], "reuse", int(t["n"]))
    res(rep.get("lost_events") == 0, "cowfork lost_events == 0", rep.get("lost_events"))
rep, t = load("zerocopy")
if rep:
    # a kernel that maps no zero page on reads gives each read its own writable page: no write faults
    zp = int(t.get("zero_page", "-1"))
    near("zerocopy" if zp else "zerocopy (no zero page on reads here)", rep, t["pid"], "copy_zero",
         int(t["n"]) if zp else 0)
rep, t = load("pinfork")
if rep:
    near("pinfork", rep, t["parent"], "pinned_cow", int(t["pages"]))
    f = [f for f in rep.get("forks", []) if f["child"] == int(t["child"])]
    want = int(t["pages"])
    res(bool(f) and abs(f[0]["pinned_cow"] - want) <= want * 0.01,
        f"pinfork fork record for child {t['child']} has pinned_cow {want}", f)
rep, t = load("race")
if rep:
    # two threads copying the same pages at once: each page one copy, whichever thread's the kernel kept
    f = [f for f in rep.get("forks", []) if f["child"] == int(t["child"])]
    want, q = int(t["n"]), rep["probes"]["copy"]["quality"]
    got = f[0]["parent_copies"] if f else None
    tol = 0 if q == "exact" else want * 0.01
    res(got is not None and abs(got - want) <= tol,
        f"race ({rep['mode']}) parent's copies after the fork {got} vs truth {want}", f"allowed {tol:g}")

rep, t = load("forkcost")
if rep:
    for ok, what, detail in forkcost.check(t, rep):
        res(ok, f"forkcost ({rep['mode']}) {what}", detail)

def text_hist(block, pid, title):
    """{(lo, hi): count} of pid's histogram `title` in one text report (None: not there)."""
    lines = block.splitlines()
    head = next((i for i, l in enumerate(lines) if l.startswith(f"pid {pid} (") and l.endswith(f"{title}:")), None)
    if head is None:
        return None
    h = {}
    for l in lines[head + 2:]:
        m = re.match(r"\s*(\d+) -> (\d+)\s*: (\d+)", l)
        if not m:
            break
        h[(int(m[1]), int(m[2]))] = int(m[3])
    return h

rc = int(open(f"{work}/forkdelay.rc").read())
text = open(f"{work}/forkdelay.txt").read()
t = dict(kv.split("=", 1) for kv in open(f"{work}/forkdelay.truth").read().split()[1:])
res(rc == 0, "forkdelay cowtrace ran", open(f"{work}/forkdelay.err").read().strip())
reports = re.split(r"(?m)^(?=cowtrace \S+: kernel )", text)
d1, d2, d3 = int(t["d1"]), int(t["d2"]), int(t["d3"])
# the child copies at once, at d1 and at d1+d2 ms, then sleeps d3 ms: a report after 1.5 s, before
# d1+d2+d3, holds three copies, the last at d1+d2 ms or later; the final one a fourth, "late": in a
# bucket (usecs; a value v lies in [lo, hi] with lo > v/2) past half of d1+d2+d3
live = [r for r in reports if (m := re.match(r"cowtrace .*, ([\d.]+) s \(interval\)", r))
        and 1.5 <= float(m[1]) <= (d1 + d2 + d3) / 1000 - 0.5]
late = lambda h: sum(n for (lo, hi), n in h.items() if lo * 2 > (d1 + d2 + d3) * 1000)
h = text_hist(live[-1], t["child"], "time from fork to copy") if live else None
res(h is not None and sum(h.values()) == 3 and late(h) == 0
    and sum(n for (lo, hi), n in h.items() if hi >= (d1 + d2) * 1000) >= 1,
    "forkdelay: a live process's fork_to_copy read from the kernel's maps: 3 copies, the last at "
    f"{d1 + d2} ms or later", f"{len(live)} reports in the window, histogram {h}")
h = text_hist(reports[-1], t["child"], "time from fork to copy")
res(h is not None and sum(h.values()) == 4 and late(h) == 1,
    f"forkdelay: the final fork_to_copy: 4 copies, one after {(d1 + d2 + d3) // 2} ms", f"histogram {h}")
print(f"host: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
