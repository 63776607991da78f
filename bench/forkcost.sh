#!/usr/bin/env bash
# What tracing the fork itself costs: fork+wait and a cheap system call
# (getppid) per call, untraced, under an older cowtrace (OLD) and under this
# one (NEW), interleaved in rounds so the machine's drift hits all alike;
# then each BPF program's run time per run (kernel.bpf_stats_enabled) under
# NEW.  Root; the running kernel's mode (tracepoint mode on the build
# machine: the fork system calls' tracepoints, which put every system call
# of every task on the slow path while they are enabled).
#
#   bench/forkcost.sh NEW_COWTRACE [OLD_COWTRACE] [ROUNDS]
set -euo pipefail
new=$(readlink -f "$1"); old=${2:+$(readlink -f "$2")}; rounds=${3:-4}
work=$(mktemp -d); trap 'rm -rf "$work"; sysctl -qw kernel.bpf_stats_enabled=0' EXIT
cc -O2 -o "$work/loop" -x c - <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
int main(int argc, char **argv)
{
	int n = atoi(argv[1]), g = atoi(argv[2]);
	double a = now();
	for (int i = 0; i < n; i++) { pid_t p = fork(); if (!p) _exit(0); waitpid(p, 0, 0); }
	double b = now();
	for (int i = 0; i < g; i++) syscall(SYS_getppid);
	double c = now();
	printf("%.2f %.1f\n", (b - a) / n / 1e3, (c - b) / g);
	return 0;
}
EOF
run() { # label tracer|-
  local t=$2 pid=""
  if [ "$t" != - ]; then "$t" -d 60 >/dev/null 2>&1 & pid=$!; sleep 1.5; fi
  read -r f s < <("$work/loop" 3000 3000000)
  [ -n "$pid" ] && { kill -INT "$pid"; wait "$pid" 2>/dev/null || true; }
  echo "$1 $f $s"
}
for r in $(seq "$rounds"); do
  run none -
  [ -n "$old" ] && run old "$old"
  run new "$new"
done | tee "$work/rows"
python3 - "$work/rows" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for k, f, s in rows:
    by.setdefault(k, []).append((float(f), float(s)))
base = by["none"]
for k in by:
    fr = [a[0] / b[0] for a, b in zip(by[k], base)]
    sr = [a[1] / b[1] for a, b in zip(by[k], base)]
    print(f"{k:5} fork+wait {st.median(x[0] for x in by[k]):8.2f} us ({st.median(fr):.3f}x untraced)   "
          f"getppid {st.median(x[1] for x in by[k]):7.1f} ns ({st.median(sr):.3f}x)")
PY
# each program's time per run under NEW
sysctl -qw kernel.bpf_stats_enabled=1
"$new" -d 60 >/dev/null 2>&1 & pid=$!; sleep 1.5
"$work/loop" 3000 1000 >/dev/null
bpftool prog show -j | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    n = p.get("name", "")
    if p.get("run_cnt") and any(k in n for k in ("clone", "fork", "exec", "sched_f", "cpr", "tp_enter", "tp_exit")):
        print("  %-20s %8d runs %8.0f ns/run" % (n, p["run_cnt"], p["run_time_ns"] / p["run_cnt"]))'
kill -INT "$pid"; wait "$pid" 2>/dev/null || true
