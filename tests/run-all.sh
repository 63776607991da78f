#!/usr/bin/env bash
# Run every test suite and print one closing line: "N passed, N failed, N skipped".
#
# Suites: unit (no root), load (every BPF program's kprobe variant passes the
# verifier on the running kernel), host (tracepoint mode on this machine
# against workload ground truth), prom (the textfile checked by promtool and
# served by a real node_exporter), install (make install, man page, completion,
# systemd unit), svg (report --svg rendered by headless Chromium and checked
# pixel by pixel), stacks (--stacks, --folded and --flamegraph against the
# ground truth of stackfork beside a storm and of CPython's copy-on-read after
# fork, the flame graph rendered by headless Chromium, the folded file read by
# speedscope), fuzz (libFuzzer+ASan+UBSan on the record parser and the core,
# corpus in tests/fuzz/corpus), leak (ASan/LSan and valgrind on the unit
# tests and cowtrace), reliability (bad input, signals, SIGKILL loop, churn,
# overload, long run), examples (every example of the README, --help, the
# man page and doc/cowtrace_example.txt on Debian's redis-server and
# python3, and a user's path: exit statuses, -O, -p following forks, JSON =
# Prometheus), vm (real Debian kernels under QEMU).
# Each suite ends with its own "suite: N passed, N failed[, N skipped]" line.
# COWTRACE_SUITES="unit load" limits the run.
set -u
cd "$(dirname "$0")/.."
suites=${COWTRACE_SUITES:-unit load host prom install svg stacks examples fuzz leak reliability vm}
pass=0 fail=0 skip=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

run_suite() {
  local name=$1; shift
  echo "=== $name: $*"
  "$@" 2>&1 | tee "$log/$name"
  local rc=${PIPESTATUS[0]}
  local line
  line=$(grep -E '^([a-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log/$name" | tail -n1)
  if [ -z "$line" ]; then
    echo "$name: no summary line (exit $rc): counted as 1 failed"
    fail=$((fail + 1)); return
  fi
  local p f s
  p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.*\b([0-9]+) failed.*/\1/' <<<"$line")
  s=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+' || echo 0)
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "$name: exit status $rc with no failed test: counted as 1 failed"
    f=1
  fi
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

for s in $suites; do
  case $s in
    unit) run_suite unit .output/test_core tests/golden ;;
    load) run_suite load tests/load-test.sh .output/cowtrace ;;
    host) run_suite host tests/host-test.sh .output/cowtrace ;;
    prom) run_suite prom tests/prom-test.sh .output/cowtrace ;;
    install) run_suite install tests/install-test.sh .output/cowtrace ;;
    svg)  run_suite svg tests/svg-test.sh .output/cowtrace ;;
    stacks) run_suite stacks tests/stacks-test.sh .output/cowtrace ;;
    examples) run_suite examples tests/examples-test.sh .output/cowtrace ;;
    fuzz) run_suite fuzz tests/fuzz-test.sh ;;
    leak) run_suite leak tests/leak-test.sh ;;
    reliability) run_suite reliability tests/reliability-test.sh .output/cowtrace ;;
    vm)   run_suite vm env COWTRACE=.output/cowtrace tests/vm/run.sh ;;
    *) echo "unknown suite $s"; fail=$((fail + 1)) ;;
  esac
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
