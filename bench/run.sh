#!/usr/bin/env bash
# bench/run.sh: cowtrace overhead and delivery benchmark, one command.
#
#   bench/run.sh [--quick] [--parts 1,2,3,4]
#
#   1  exact mode (fentry) in a QEMU VM on a Debian kernel (default 6.12):
#      no tracer vs empty BPF programs on cowtrace's hooks (the limit, also
#      per hook), count-only programs, bpftrace and cowtrace (also with
#      --events, --record, --stacks and --stacks --kernel-stacks); and the
#      BPF run time per write fault of every config's programs
#      (kernel.bpf_stats_enabled in the guest, in an extra untimed run per
#      slot; under -icount its nanoseconds are guest instructions)
#   2  tracepoint mode natively on this host: no tracer vs empty programs on
#      the tracepoint-mode hooks, count-only, bpftrace and cowtrace (also
#      with --events, --record, --stacks and --stacks --kernel-stacks); and
#      the BPF run time per write fault of every config's programs
#      (kernel.bpf_stats_enabled, in an extra untimed run per slot)
#   3  delivery: writers ramped up under `cowtrace --record FILE` (one event
#      per fault through the ring) until its lost_events > 0 (host,
#      tracepoint mode; and in the VM, exact mode, when part 1 runs)
#   4  interval reads: `cowtrace -v -i 1 -o json --mode tracepoint` while
#      100,000 processes live (--quick: 10,000), each after a COW write: time
#      of each read of the kernel's maps, cowtrace's peak RSS, lost events
#      (host; raises kernel.pid_max and kernel.threads-max for the run).
#      Runs last: it loads the machine most.
#
# Every figure of parts 1 and 2 is a ratio to "no tracer" (or to bpftrace)
# measured side by side: configs run interleaved (A B C D, B C D A, ... the
# order rotated every round), several rounds; medians of the per-round ratios
# are reported.  The tables go to stdout; raw results and the report are kept
# in .output/bench/.  Sysctls changed for a part are restored at exit, and
# every process the bench started is stopped, also on failure or Ctrl-C.
#
# Environment:
#   COWTRACE=PATH       use this cowtrace binary instead of building one
#   BENCH_ROUNDS=N      rounds (default 5 in the VM, 9 on the host; --quick 2)
#   BENCH_VM_ROUNDS=N, BENCH_HOST_ROUNDS=N   the same for one side only
#                       (they win over BENCH_ROUNDS)
#   BENCH_KERNEL=LABEL  VM kernel (tests/vm/fetch-kernels.sh label, default 6.12)
#   BENCH_VM_CLOCK=icount|real   VM clock: instruction-counted TCG, 1 vCPU
#                       (default; immune to host load) or TCG on the host's
#                       clock with 2 vCPUs (see vm.sh)
#   BENCH_KVM=1         KVM instead of TCG for the VM (not under nested virt.)
#   BENCH_VM_BPFTRACE=0 no bpftrace in the VM (saves ~200 MB of initramfs)
#   BENCH_PIN=CPU       CPU the timed workload is pinned to ("" = none;
#                       default: the last CPU on the host, CPU 0 in the VM)
#   BENCH_CFGS_VM, BENCH_CFGS_HOST   override the config lists (see lib.sh)
#   BENCH_BASE_OBJ=PATH another build's cowtrace.bpf.o for the ct-X-base
#                       configs: its programs beside this build's in one run
#   BENCH_BPF_STATS=0   parts 1 and 2 without the BPF run-time measurement
#   BENCH_STATS_FP=0    part 2's BPF run time without the extra run of the cow
#                       workload built with frame pointers (cowbench-fp)
#   BENCH_PROCS=N       part 4: live processes (default 100000; --quick 10000)
#   BENCH_READS=N       part 4: interval reads with all of them alive
#                       (default 5; --quick 3)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
quick=0
parts=1,2,3,4
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
  built_from="tree at $(git -C "$top" describe --always --dirty 2>/dev/null || echo '?') when built"
elif [ "$(readlink -f "$COWTRACE")" = "$(readlink -f "$top/.output/cowtrace" 2>/dev/null)" ]; then
  built_from="tree at $(git -C "$top" describe --always --dirty 2>/dev/null || echo '?') (its .output/cowtrace)"
else
  built_from="binary $(readlink -f "$COWTRACE") (COWTRACE)"
fi
COWTRACE=$(readlink -f "$COWTRACE")
OUT=$top/.output/bench
log "building the bench binaries into $OUT"
make -s -f "$here/Makefile" OUT="$OUT" >&2
# A copy of the binary and of its BPF object (for the ct-* configs: its
# programs on subsets of hooks), so that a rebuild during the run changes
# nothing the run uses.
cp "$COWTRACE" "$OUT/cowtrace.tmp" && mv -f "$OUT/cowtrace.tmp" "$OUT/cowtrace"
if [ -f "$(dirname "$COWTRACE")/cowtrace.bpf.o" ]; then
  cp "$(dirname "$COWTRACE")/cowtrace.bpf.o" "$OUT/cowtrace.bpf.o"
else
  rm -f "$OUT/cowtrace.bpf.o"
fi
if [ -n "${BENCH_BASE_OBJ:-}" ]; then
  cp "$BENCH_BASE_OBJ" "$OUT/cowtrace-base.bpf.o"
  built_from="$built_from; ct-*-base: $BENCH_BASE_OBJ, sha256 $(sha256sum "$BENCH_BASE_OBJ" | cut -c1-12)"
else
  rm -f "$OUT/cowtrace-base.bpf.o"
fi
built_from="$built_from, sha256 $(sha256sum "$OUT/cowtrace" | cut -c1-12)"
COWTRACE=$OUT/cowtrace

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
  V_ROUNDS=${BENCH_VM_ROUNDS:-${BENCH_ROUNDS:-2}} H_ROUNDS=${BENCH_HOST_ROUNDS:-${BENCH_ROUNDS:-2}}
  H_PAGES=8192 H_MS=400
  H_CFGS=${BENCH_CFGS_HOST:-"none empty-tp count-tp bpftrace-tp ct-tp cowtrace-tp cowtrace-tp-events cowtrace-tp-record cowtrace-tp-stacks cowtrace-tp-stacks-kernel"}
  H_RAMP="1 4" H_RAMP_WL="reuse" H_RAMP_TOTAL=524288
  V_PAGES=2048 V_MS=300
  V_CFGS=${BENCH_CFGS_VM:-"none empty-exact count-fentry bpftrace-kprobe ct-all cowtrace cowtrace-latency cowtrace-events cowtrace-record cowtrace-stacks cowtrace-stacks-kernel"}
  P4_READS=${BENCH_READS:-3} P4_N=${BENCH_PROCS:-10000}
  V_RAMP="1 2" V_RAMP_TOTAL=16384
else
  # the VM's clock counts instructions (little spread): fewer rounds there
  V_ROUNDS=${BENCH_VM_ROUNDS:-${BENCH_ROUNDS:-5}} H_ROUNDS=${BENCH_HOST_ROUNDS:-${BENCH_ROUNDS:-9}}
  H_PAGES=16384 H_MS=1000
  H_CFGS=${BENCH_CFGS_HOST:-"none empty-tp empty-tpfault empty-tpkfault empty-tpalloc empty-tpfree empty-sched empty-tpsys count-tp bpftrace-tp ct-tp cowtrace-tp cowtrace-tp-events cowtrace-tp-record cowtrace-tp-stacks cowtrace-tp-stacks-kernel"}
  H_RAMP="1 2 4 8 16" H_RAMP_WL="reuse cow" H_RAMP_TOTAL=1048576
  V_PAGES=4096 V_MS=800
  V_CFGS=${BENCH_CFGS_VM:-"none empty-exact empty-wp empty-anon empty-cpr+sched empty-zap count-fentry count-kprobe bpftrace-kprobe ct-wp ct-wpanon ct-wplat ct-fork ct-all cowtrace cowtrace-latency cowtrace-events cowtrace-record cowtrace-stacks cowtrace-stacks-kernel cowtrace-kprobe"}
  P4_READS=${BENCH_READS:-5} P4_N=${BENCH_PROCS:-100000}
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
  t_part=$(date +%s)
  COWTRACE=$COWTRACE BENCH_BIN=$OUT ROUNDS=$V_ROUNDS PAGES=$V_PAGES TARGET_MS=$V_MS \
    CFGS="$V_CFGS" RAMP_WRITERS="$V_RAMP" RAMP_PAGES=$V_PAGES RAMP_TOTAL=$V_RAMP_TOTAL \
    BENCH_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/cowtrace-bench.XXXXXX") \
    "$here/vm.sh" >"$vmout" || true
  # the guest's own PIN is CPU 0 unless BENCH_PIN says otherwise (see guest.sh)
  vm() { sed -n "s/^@@VM.* $1=\([^ ]*\).*/\1/p" "$vmout" | tr _ ' '; }
  vmdesc="kernel $(vm release) (label $(vm kernel)), qemu $(vm accel), $(vm smp) vCPU, $(vm mem_mb) MiB"
  {
    echo "@@TIME part=1 s=$(( $(date +%s) - t_part ))"
    echo "@@META part=1 VM: $vmdesc; the VM ran $(vm seconds) s; serial log $(vm serial)"
    echo "@@META part=3vm VM: $vmdesc"
    cat "$vmout"
  } >>"$results"
fi

# ---- parts 2, 3 and 4 on this host ----
# What has to be undone whatever happens: sysctls, processes, scratch.
SYSCTL_RESTORE=()
# shellcheck disable=SC2034 # TPID, MP_*: set by lib.sh, read by host_cleanup
TPID=0 MP_HK=0 MP_CT=0 WORK=
set_sysctl() { # NAME VALUE: set, and restore the old value at exit (also
  # if it is the same: lib.sh toggles bpf_stats_enabled in between)
  local f=/proc/sys/${1//.//} old
  old=$(cat "$f") || return 1
  SYSCTL_RESTORE+=("$1=$old")
  [ "$old" = "$2" ] || echo "$2" >"$f"
}
host_cleanup() {
  trap - EXIT INT TERM
  if [ "${TPID:-0}" -gt 0 ] 2>/dev/null && kill -0 "$TPID" 2>/dev/null; then
    kill -INT "$TPID" 2>/dev/null; sleep 1; kill -9 "$TPID" 2>/dev/null
  fi
  declare -F manyprocs_cleanup >/dev/null && manyprocs_cleanup
  local i kv name
  for ((i = ${#SYSCTL_RESTORE[@]} - 1; i >= 0; i--)); do
    kv=${SYSCTL_RESTORE[i]} name=${SYSCTL_RESTORE[i]%%=*}
    if echo "${kv#*=}" >"/proc/sys/${name//.//}" 2>/dev/null; then
      log "restored $kv"
    else
      log "could not restore $kv"
    fi
  done
  SYSCTL_RESTORE=()
  [ -n "$WORK" ] && rm -rf "$WORK"
}
if has_part 2 || has_part 3 || has_part 4; then
  BIN=$OUT CT=$COWTRACE WORK=$(mktemp -d "${TMPDIR:-/tmp}/cowtrace-bench-host.XXXXXX")
  PIN=${BENCH_PIN-$(( $(nproc) - 1 ))}
  [ -n "$BT_WHY" ] || [ -n "$BPFTRACE" ] || BT_WHY="bpftrace not found"
  TRACER_SETTLE=0.3
  trap host_cleanup EXIT
  trap 'log "interrupted"; exit 130' INT TERM
  set +eu +o pipefail # lib.sh is plain sh, shared with the busybox guest
  # shellcheck source=bench/lib.sh
  . "$here/lib.sh"
  if has_part 2; then
    BPF_STATS=0
    if [ "${BENCH_BPF_STATS:-1}" = 1 ]; then
      # the timed runs go without statistics (they cost two clock reads per
      # program run); lib.sh turns them on for the extra run only
      if set_sysctl kernel.bpf_stats_enabled 0; then BPF_STATS=1; else log "no kernel.bpf_stats_enabled"; fi
    fi
    # the BPF run time also with the cow workload built with frame pointers
    # (cowbench-fp): what --stacks costs depends on them
    STATS_FP=${BENCH_STATS_FP:-1}
    t_part=$(date +%s)
    log "part 2: host, $H_ROUNDS rounds of: $H_CFGS"
    {
      host_meta 2
      [ "$BPF_STATS" = 1 ] || echo "@@META part=2bpf not measured (BENCH_BPF_STATS=0 or no kernel.bpf_stats_enabled)"
      calibrate 2 cow "$H_PAGES" "$H_MS"; rc=$CREPS
      calibrate 2 reuse "$H_PAGES" "$H_MS"; rr=$CREPS
      rounds 2 "$H_ROUNDS" "$H_CFGS" "cow:$H_PAGES:$rc reuse:$H_PAGES:$rr"
      echo "@@META part=2 load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
      echo "@@TIME part=2 s=$(( $(date +%s) - t_part ))"
    } >>"$results"
  fi
  if has_part 3; then
    t_part=$(date +%s)
    log "part 3: host delivery ramp, writers: $H_RAMP"
    {
      echo "@@META part=3 host: $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; writers not pinned"
      for wl in $H_RAMP_WL; do
        # --record: every fault is an event through the ring (without it
        # only forks and exits are, the counts stay in the kernel's maps)
        ramp 3 cowtrace-tp-record "$wl" "$H_PAGES" "$H_RAMP_TOTAL" "$H_RAMP"
      done
      echo "@@TIME part=3 s=$(( $(date +%s) - t_part ))"
    } >>"$results"
  fi
  if has_part 4; then
    t_part=$(date +%s)
    log "part 4: interval reads with $P4_N live processes"
    {
      echo "@@META part=4 host: $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
      # room: pids and tasks for N more (restored at exit); about 100 KiB of
      # kernel memory per process (its stack, page tables, COW copy)
      nthreads=$(ps -eL --no-headers 2>/dev/null | wc -l)
      need=$(( P4_N + nthreads + 16384 ))
      avail_kb=$(sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo)
      if [ "${avail_kb:-0}" -lt $(( P4_N * 128 + 2097152 )) ]; then
        echo "@@SKIP part=4 cfg=cowtrace-tp-i1 why=not enough memory for $P4_N processes: MemAvailable ${avail_kb} kB < $(( P4_N * 128 + 2097152 )) kB"
      else
        [ "$(cat /proc/sys/kernel/pid_max)" -ge "$need" ] || set_sysctl kernel.pid_max $(( need > 4194304 ? 4194304 : need ))
        [ "$(cat /proc/sys/kernel/threads-max)" -ge "$need" ] || set_sysctl kernel.threads-max "$need"
        echo "@@META part=4 kernel.pid_max=$(cat /proc/sys/kernel/pid_max) kernel.threads-max=$(cat /proc/sys/kernel/threads-max) for the run, $(( avail_kb / 1024 )) MiB available at start"
        manyprocs 4 "$P4_N" "$P4_READS"
      fi
      echo "@@TIME part=4 s=$(( $(date +%s) - t_part ))"
    } >>"$results"
  fi
  host_cleanup
fi

elapsed=$(( $(date +%s) - t_start ))
{
  echo "cowtrace bench ($([ $quick = 1 ] && echo quick || echo full)), $(date -u +%Y-%m-%dT%H:%M:%SZ), cowtrace $(cat "$top/VERSION" 2>/dev/null), $built_from"
  echo "x none = median over rounds of (time with the config / time with no tracer in the same round),"
  echo "configs interleaved, order rotated each round; cpu range = min-max of the per-round cpu ratios;"
  echo "+cpu ns/fault = median extra CPU time of the workload per write fault it performed."
  python3 "$here/report.py" "$results"
  echo
  echo "took ${elapsed} s; raw results: $results"
} | tee "$report"
