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

python3 - "$work" <<'PY'
import json, sys, os
work = sys.argv[1]
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
print(f"host: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
