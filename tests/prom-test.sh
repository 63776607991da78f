#!/usr/bin/env bash
# Prometheus suite: cowtrace's textfile checked by the real consumers.
#  - promtool check metrics reports nothing;
#  - a node_exporter on loopback, textfile collector pointed at the output
#    directory, serves cowtrace's series with node_textfile_scrape_error 0;
#  - the numbers in the textfile are the workload's ground truth (derived
#    statistics within 1%).
set -u
ct=$(readlink -f "${1:-.output/cowtrace}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
nx_pid=
cleanup() { [ -n "$nx_pid" ] && kill "$nx_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0 skip=0
ok() { echo "ok prom $*"; pass=$((pass + 1)); }
bad() { echo "FAIL prom $*"; fail=$((fail + 1)); }
finish() { echo "prom: $pass passed, $fail failed, $skip skipped"; [ $fail -eq 0 ]; exit $?; }

if [ "$(id -u)" -ne 0 ]; then echo "skip prom: needs root"; skip=1; finish; fi
for t in promtool prometheus-node-exporter python3; do
  command -v $t >/dev/null || { bad "$t not installed (make test-deps)"; finish; }
done
"$here/vm/build-workloads.sh" "$work/w" 2>/dev/null || { bad "cannot build workloads"; finish; }
mkdir -p "$work/textfiles"
prom=$work/textfiles/cowtrace.prom

# Bad destinations are refused before tracing starts, with exit status 2.
"$ct" --prom "$work/missing/cowtrace.prom" -d 1 >/dev/null 2>"$work/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "does not exist" "$work/err"; then ok "missing --prom directory: exit 2, '$(cat "$work/err")'"
else bad "missing --prom directory: exit $rc, $(cat "$work/err")"; fi

# A stale temp file from a killed run is removed at start.
touch "$work/textfiles/.cowtrace.prom.AbC123"
TRUTH_FILE=$work/truth "$ct" --prom "$prom" --prom-labels pid -o json -- "$work/w/cowfork" 512 1024 \
  >"$work/out.json" 2>"$work/err" || bad "cowtrace exit $?: $(cat "$work/err")"
[ -s "$prom" ] && ok "textfile written" || bad "no textfile at $prom"
left=$(find "$work/textfiles" -name '.*' -type f | wc -l)
[ "$left" -eq 0 ] && ok "no temp files left behind" || bad "$left temp files left in $work/textfiles"
mode=$(stat -c %a "$prom" 2>/dev/null)
[ "$mode" = 644 ] && ok "textfile mode 0644" || bad "textfile mode $mode"

out=$(promtool check metrics <"$prom" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then ok "promtool check metrics: clean"
else bad "promtool check metrics (exit $rc): $out"; fi

# Ground truth: the child's copies and the parent's reuses, from its pid-labelled series.
python3 - "$prom" "$work/truth" <<'PY' && ok "textfile numbers match the workload's truth" || bad "textfile numbers"
import re, sys
series = {}
for line in open(sys.argv[1]):
    m = re.match(r'^(\w+)\{(.*)\} (\S+)$', line)
    if m:
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
        series.setdefault(m.group(1), []).append((labels, float(m.group(3))))
t = dict(kv.split("=", 1) for kv in open(sys.argv[2]).read().split()[1:])
def get(name, **want):
    v = [val for l, val in series.get(name, []) if all(l.get(k) == w for k, w in want.items())]
    return v[0] if v else None
copy = get("cowtrace_write_faults_total", pid=t["child"], outcome="copy")
reuse = get("cowtrace_write_faults_total", pid=t["parent"], outcome="reuse")
k, n = int(t["k"]), int(t["n"])
print(f"  child {t['child']} copy {copy} (truth {k}), parent {t['parent']} reuse {reuse} (truth {n})")
sys.exit(0 if copy is not None and reuse is not None and abs(copy - k) <= k * 0.01 and abs(reuse - n) <= n * 0.01 else 1)
PY

# --prom-labels cgroup: the workload runs in a cgroup of its own; its series
# carry that cgroup's path, and hold the workload's numbers.
cg2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -z "$cg2" ]; then
  echo "skip prom cgroup labels: no cgroup2 mount"; skip=$((skip + 1))
else
  cgname=cowtrace-prom-test-$$
  mkdir "$cg2/$cgname"
  TRUTH_FILE=$work/truth.cg "$ct" --prom "$work/textfiles/cg.prom" --prom-labels cgroup -o json -- \
    sh -c "echo \$\$ > '$cg2/$cgname/cgroup.procs' && exec '$work/w/cowfork' 512 1024" \
    >"$work/cg.json" 2>"$work/err" || bad "cowtrace --prom-labels cgroup exit $?: $(cat "$work/err")"
  rmdir "$cg2/$cgname" 2>/dev/null
  python3 - "$work/textfiles/cg.prom" "$work/truth.cg" "/$cgname" "$work/cg.json" <<'PY' && ok "cgroup-labelled series: the workload's copies under cgroup=\"/$cgname\"" || bad "cgroup-labelled series"
import json, re, sys
t = dict(kv.split("=", 1) for kv in open(sys.argv[2]).read().split()[1:])
got = None
for line in open(sys.argv[1]):
    m = re.match(r'^cowtrace_write_faults_total\{cgroup="([^"]*)",outcome="copy"\} (\S+)$', line)
    if m and m.group(1) == sys.argv[3]:
        got = float(m.group(2))
k = int(t["k"])
# The cgroup also holds the shell and the workload's own start-up copies
# (exec, relocations): the child's k copies plus a few.  And the series is
# the sum of the processes the JSON report places in that cgroup.
rep = json.loads(open(sys.argv[4]).read().splitlines()[-1])
in_cg = sum(p["copy"] for p in rep["processes"] if p.get("cgroup") == sys.argv[3])
print(f"  cgroup {sys.argv[3]}: copy {got} (truth: the child copied {k}; JSON processes in the cgroup: {in_cg})")
sys.exit(0 if got is not None and k <= got <= k * 1.10 and got == in_cg else 1)
PY
  out=$(promtool check metrics <"$work/textfiles/cg.prom" 2>&1)
  [ -z "$out" ] && ok "promtool check metrics (cgroup labels): clean" || bad "promtool (cgroup labels): $out"
fi

# node_exporter on loopback, only the textfile collector.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
  --collector.textfile --collector.textfile.directory="$work/textfiles" >"$work/nx.log" 2>&1 &
nx_pid=$!
scrape=
for _ in $(seq 50); do
  scrape=$(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$port/metrics', timeout=2).read().decode())" 2>/dev/null) && break
  sleep 0.2
done
if [ -z "$scrape" ]; then bad "node_exporter did not answer: $(tail -3 "$work/nx.log")"; finish; fi
grep -q '^node_textfile_scrape_error 0$' <<<"$scrape" && ok "node_textfile_scrape_error 0" \
  || bad "node_textfile_scrape_error: $(grep node_textfile_scrape_error <<<"$scrape")"
n=$(grep -c '^cowtrace_' <<<"$scrape")
[ "$n" -gt 10 ] && ok "node_exporter serves $n cowtrace series" || bad "node_exporter serves $n cowtrace series"
grep -q '^cowtrace_probe_info{' <<<"$scrape" && ok "cowtrace_probe_info served" || bad "no cowtrace_probe_info"
finish
