#!/bin/sh
# bench/guest.sh: part 1 (exact-mode overhead; configs as in lib.sh, e.g.
# cowtrace-events, cowtrace-stacks; and the BPF run time of every config's
# programs) and part 3 (delivery, exact mode) of the bench, inside the VM.
# Settings come from /bench/bench.conf
# (written by bench/vm.sh); results are @@ lines on the console (see lib.sh).
# shellcheck disable=SC2034 # used by lib.sh
BIN=/bench CT=/bin/cowtrace WORK=/tmp PIN=0
# shellcheck disable=SC2034
BPFTRACE='' BT_WHY="not in the initramfs (BENCH_VM_BPFTRACE=0, or bpftrace missing on the host)"
[ -x /usr/bin/bpftrace ] && BPFTRACE=/usr/bin/bpftrace
. /bench/bench.conf
. /bench/lib.sh

echo "@@CONF pin=$PIN bpf_stats=${BPF_STATS:-1} rounds=$ROUNDS pages=$PAGES target_ms=$TARGET_MS cfgs=$(echo "$CFGS" | tr ' ' ,) ramp=$(echo "$RAMP_WRITERS" | tr ' ' ,)"
timeout 120 $CT probes 2>&1 | sed 's/^/@@PROBES /'
if [ -n "$BPFTRACE" ]; then
  # bpftrace's own start-up check; its failure is reported with the skip
  timeout 300 $BPFTRACE --version 2>&1 | sed 's/^/@@BPFTRACE /'
fi

# BPF run time per program (kernel.bpf_stats_enabled, on only for the extra
# untimed run of each slot, see lib.sh); under -icount its nanoseconds are
# guest instructions.  A quarter of the repetitions: the VM's clock has
# little spread.
BPF_STATS=${BPF_STATS:-1} STATS_FRAC=${STATS_FRAC:-25}
if [ "$BPF_STATS" != 1 ]; then
  echo "@@META part=1bpf not measured (BENCH_BPF_STATS=0)"
elif ! echo 0 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null; then
  BPF_STATS=0
  echo "@@META part=1bpf not measured: no kernel.bpf_stats_enabled in the guest"
fi

calibrate 1 cow "$PAGES" "$TARGET_MS"; RC=$CREPS
calibrate 1 reuse "$PAGES" "$TARGET_MS"; RR=$CREPS
rounds 1 "$ROUNDS" "$CFGS" "cow:$PAGES:$RC reuse:$PAGES:$RR"

if [ -n "$RAMP_WRITERS" ]; then
  # --record: one event per fault through the ring (see run.sh)
  ramp 3vm cowtrace-record reuse "$RAMP_PAGES" "$RAMP_TOTAL" "$RAMP_WRITERS"
fi
echo "@@GUESTEND"
