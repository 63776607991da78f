#!/bin/sh
# bench/guest.sh: part 1 (exact-mode overhead) and part 3 (delivery, exact
# mode) of the bench, inside the VM.  Settings come from /bench/bench.conf
# (written by bench/vm.sh); results are @@ lines on the console (see lib.sh).
# shellcheck disable=SC2034 # used by lib.sh
BIN=/bench CT=/bin/cowtrace WORK=/tmp PIN=0
# shellcheck disable=SC2034
BPFTRACE='' BT_WHY="not in the initramfs (BENCH_VM_BPFTRACE=0, or bpftrace missing on the host)"
[ -x /usr/bin/bpftrace ] && BPFTRACE=/usr/bin/bpftrace
. /bench/bench.conf
. /bench/lib.sh

echo "@@CONF pin=$PIN rounds=$ROUNDS pages=$PAGES target_ms=$TARGET_MS cfgs=$(echo "$CFGS" | tr ' ' ,) ramp=$(echo "$RAMP_WRITERS" | tr ' ' ,)"
timeout 120 $CT probes 2>&1 | sed 's/^/@@PROBES /'
if [ -n "$BPFTRACE" ]; then
  # bpftrace's own start-up check; its failure is reported with the skip
  timeout 300 $BPFTRACE --version 2>&1 | sed 's/^/@@BPFTRACE /'
fi

calibrate 1 cow "$PAGES" "$TARGET_MS"; RC=$CREPS
calibrate 1 reuse "$PAGES" "$TARGET_MS"; RR=$CREPS
rounds 1 "$ROUNDS" "$CFGS" "cow:$PAGES:$RC reuse:$PAGES:$RR"

if [ -n "$RAMP_WRITERS" ]; then
  ramp 3vm cowtrace reuse "$RAMP_PAGES" "$RAMP_TOTAL" "$RAMP_WRITERS"
fi
echo "@@GUESTEND"
