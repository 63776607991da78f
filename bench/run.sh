#!/usr/bin/env bash
# bench/run.sh: cowtrace overhead and delivery benchmark, one command.
#
#   bench/run.sh [--quick] [--parts 1,2,3]
#
#   1  exact mode (fentry) in a QEMU VM on a Debian kernel (default 6.12):
#      no tracer vs empty BPF programs on cowtrace's hooks (the limit, also
#      per hook), count-only programs, bpftrace and cowtrace
#   2  tracepoint mode natively on this host: no tracer vs empty programs on
#      the tracepoint-mode hooks, count-only, bpftrace and cowtrace
#   3  delivery: writers ramped up until cowtrace's lost_events > 0 (host,
#      tracepoint mode; and in the VM, exact mode, when part 1 runs)
#
# Every figure is a ratio to "no tracer" measured side by side: configs run
# interleaved (A B C D, B C D A, ... the order rotated every round), several
# rounds; medians of the per-round ratios are reported.  The tables go to
# stdout; raw results and the report are kept in .output/bench/.
#
# Environment:
#   COWTRACE=PATH       use this cowtrace binary instead of building one
#   BENCH_ROUNDS=N      rounds (default 5 in the VM, 9 on the host; --quick 2)
#   BENCH_KERNEL=LABEL  VM kernel (tests/vm/fetch-kernels.sh label, default 6.12)
#   BENCH_VM_CLOCK=icount|real   VM clock: instruction-counted TCG, 1 vCPU
#                       (default; immune to host load) or TCG on the host's
#                       clock with 2 vCPUs (see vm.sh)
#   BENCH_KVM=1         KVM instead of TCG for the VM (not under nested virt.)
#   BENCH_VM_BPFTRACE=0 no bpftrace in the VM (saves ~200 MB of initramfs)
#   BENCH_PIN=CPU       CPU the timed workload is pinned to ("" = none;
#                       default: the last CPU on the host, CPU 0 in the VM)
#   BENCH_CFGS_VM, BENCH_CFGS_HOST   override the config lists (see lib.sh)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
quick=0
parts=1,2,3
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --parts) parts=$2; shift ;;
    --parts=*) parts=${1#--parts=} ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//;/^set -e/d'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
has_part() { case ",$parts," in *",$1,"*) return 0 ;; esac; return 1; }
log() { echo "bench: $*" >&2; }
[ "$(id -u)" = 0 ] || { log "must run as root (BPF)"; exit 1; }
t_start=$(date +%s)

# ---- build ----
if [ -z "${COWTRACE:-}" ]; then
  log "building cowtrace (make)"
  make -C "$top" -s >&2 || { log "make failed (set COWTRACE=PATH to bench an existing binary)"; exit 1; }
  COWTRACE=$top/.output/cowtrace
fi
COWTRACE=$(readlink -f "$COWTRACE")
built_from=$(git -C "$top" describe --always --dirty 2>/dev/null || echo '?')
OUT=$top/.output/bench
log "building the bench binaries into $OUT"
make -s -f "$here/Makefile" OUT="$OUT" >&2
# cowtrace's BPF object, for the ct-* configs (its programs on subsets of hooks)
if [ -f "$(dirname "$COWTRACE")/cowtrace.bpf.o" ]; then
  cp "$(dirname "$COWTRACE")/cowtrace.bpf.o" "$OUT/cowtrace.bpf.o"
else
  rm -f "$OUT/cowtrace.bpf.o"
fi

# ---- bpftrace ----
BT_WHY=
if ! command -v bpftrace >/dev/null; then
  log "installing bpftrace (apt-get install -y bpftrace)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bpftrace >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bpftrace >/dev/null 2>&1 ||
      BT_WHY="apt-get install bpftrace failed"
  fi
fi
BPFTRACE=$(command -v bpftrace || true)

# ---- sizes ----
if [ $quick = 1 ]; then
  V_ROUNDS=${BENCH_ROUNDS:-2} H_ROUNDS=${BENCH_ROUNDS:-2}
  H_PAGES=8192 H_MS=400
  H_CFGS=${BENCH_CFGS_HOST:-"none empty-tp count-tp bpftrace-tp cowtrace-tp"}
  H_RAMP="1 4" H_RAMP_WL="reuse" H_RAMP_TOTAL=524288
  V_PAGES=2048 V_MS=300
  V_CFGS=${BENCH_CFGS_VM:-"none empty-exact count-fentry bpftrace-kprobe ct-all cowtrace"}
  V_RAMP="1 2" V_RAMP_TOTAL=16384
else
  # the VM's clock counts instructions (little spread): fewer rounds there
  V_ROUNDS=${BENCH_ROUNDS:-5} H_ROUNDS=${BENCH_ROUNDS:-9}
  H_PAGES=16384 H_MS=1000
  H_CFGS=${BENCH_CFGS_HOST:-"none empty-tp empty-tpfault empty-tpalloc empty-tpsys empty-sched count-tp bpftrace-tp cowtrace-tp"}
  H_RAMP="1 2 4 8 16 32" H_RAMP_WL="reuse cow" H_RAMP_TOTAL=4194304
  V_PAGES=4096 V_MS=800
  V_CFGS=${BENCH_CFGS_VM:-"none empty-exact empty-wp empty-anon empty-cpr+sched empty-zap count-fentry count-kprobe bpftrace-kprobe ct-wp ct-wpanon ct-fork ct-all cowtrace cowtrace-kprobe"}
  V_RAMP="1 2 4 8" V_RAMP_TOTAL=131072
fi
has_part 3 || V_RAMP=

stamp=$(date +%Y%m%d-%H%M%S)
results=$OUT/results-$stamp.txt
report=$OUT/report-$stamp.txt
: >"$results"
log "raw results: $results"

host_meta() { # PART
  echo "@@META part=$1 host: $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; workload pinned to CPU ${PIN:-none}"
}

# ---- part 1 (and 3 in the VM) ----
if has_part 1; then
  log "part 1: VM (kernel ${BENCH_KERNEL:-6.12}, ${BENCH_KVM:+KVM}${BENCH_KVM:-TCG ${BENCH_VM_CLOCK:-icount}}), $V_ROUNDS rounds of: $V_CFGS"
  vmout=$OUT/vm-$stamp.txt
  COWTRACE=$COWTRACE BENCH_BIN=$OUT ROUNDS=$V_ROUNDS PAGES=$V_PAGES TARGET_MS=$V_MS \
    CFGS="$V_CFGS" RAMP_WRITERS="$V_RAMP" RAMP_PAGES=$V_PAGES RAMP_TOTAL=$V_RAMP_TOTAL \
    BENCH_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/cowtrace-bench.XXXXXX") \
    "$here/vm.sh" >"$vmout" || true
  # the guest's own PIN is CPU 0 unless BENCH_PIN says otherwise (see guest.sh)
  vm() { sed -n "s/^@@VM.* $1=\([^ ]*\).*/\1/p" "$vmout" | tr _ ' '; }
  vmdesc="kernel $(vm release) (label $(vm kernel)), qemu $(vm accel), $(vm smp) vCPU, $(vm mem_mb) MiB"
  {
    echo "@@META part=1 VM: $vmdesc; the VM ran $(vm seconds) s; serial log $(vm serial)"
    echo "@@META part=3vm VM: $vmdesc"
    cat "$vmout"
  } >>"$results"
fi

# ---- parts 2 and 3 on this host ----
if has_part 2 || has_part 3; then
  BIN=$OUT CT=$COWTRACE WORK=$(mktemp -d "${TMPDIR:-/tmp}/cowtrace-bench-host.XXXXXX")
  PIN=${BENCH_PIN-$(( $(nproc) - 1 ))}
  [ -n "$BT_WHY" ] || [ -n "$BPFTRACE" ] || BT_WHY="bpftrace not found"
  TRACER_SETTLE=0.3
  set +eu +o pipefail # lib.sh is plain sh, shared with the busybox guest
  # shellcheck source=bench/lib.sh
  . "$here/lib.sh"
  if has_part 2; then
    log "part 2: host, $H_ROUNDS rounds of: $H_CFGS"
    {
      host_meta 2
      calibrate 2 cow "$H_PAGES" "$H_MS"; rc=$CREPS
      calibrate 2 reuse "$H_PAGES" "$H_MS"; rr=$CREPS
      rounds 2 "$H_ROUNDS" "$H_CFGS" "cow:$H_PAGES:$rc reuse:$H_PAGES:$rr"
      echo "@@META part=2 load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    } >>"$results"
  fi
  if has_part 3; then
    log "part 3: host delivery ramp, writers: $H_RAMP"
    {
      host_meta 3
      for wl in $H_RAMP_WL; do
        ramp 3 cowtrace-tp "$wl" "$H_PAGES" "$H_RAMP_TOTAL" "$H_RAMP"
      done
    } >>"$results"
  fi
  rm -rf "$WORK"
fi

elapsed=$(( $(date +%s) - t_start ))
{
  echo "cowtrace bench ($([ $quick = 1 ] && echo quick || echo full)), $(date -u +%Y-%m-%dT%H:%M:%SZ), cowtrace $(cat "$top/VERSION" 2>/dev/null), tree at $built_from when built"
  echo "x none = median over rounds of (time with the config / time with no tracer in the same round),"
  echo "configs interleaved, order rotated each round; cpu range = min-max of the per-round cpu ratios;"
  echo "+cpu ns/fault = median extra CPU time of the workload per write fault it performed."
  python3 "$here/report.py" "$results"
  echo
  echo "took ${elapsed} s; raw results: $results"
} | tee "$report"
