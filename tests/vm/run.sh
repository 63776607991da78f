#!/usr/bin/env bash
# End-to-end test of cowtrace in VMs (QEMU, TCG is fine).
#
#   tests/vm/run.sh [LABEL ...]          labels from fetch-kernels.sh (default: all)
#
# Environment:
#   COWTRACE=PATH        the cowtrace binary (default: .output/cowtrace at the repo top)
#   SCENARIOS="a b"      run only these scenarios (names as in tests/vm/scenarios)
#   VM_TIMEOUT=SECONDS   per VM boot (default 900: a VM takes 300-530 s under TCG
#                        here while other tracing runs; six of them, two at a
#                        time, stay well inside CI's 90 minutes)
#   VM_SCRATCH=DIR       scratch directory (default: a new mktemp -d; kept, path printed)
#   QEMU=...             qemu binary (default qemu-system-x86_64)
#   VM_KVM=1             use KVM instead of TCG (off by default: -cpu max under
#                        nested KVM can abort in qemu)
#   VM_JOBS=N            boot up to N kernels at a time (default 2)
#   VM_ICOUNT=1          one vCPU and an instruction-counted clock (-icount
#                        shift=0,sleep=off): the guest's time is its own work,
#                        so timing relations (a fork's stall against its size)
#                        are checked, not skipped; slower
#
# Builds the workloads and an initramfs (busybox, cowtrace and the shared
# libraries ldd lists, workloads, init.sh, guest.sh), boots each kernel with the
# serial console in SCRATCH/serial-LABEL.log, and checks the framed results with
# check.py.  Exit status 1 if any check failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
COWTRACE=${COWTRACE:-$top/.output/cowtrace}
VM_TIMEOUT=${VM_TIMEOUT:-900}
QEMU=${QEMU:-qemu-system-x86_64}
log() { echo "run.sh: $*" >&2; }

[ -x "$COWTRACE" ] || { log "no cowtrace binary at $COWTRACE (build it, or set COWTRACE=)"; exit 2; }
COWTRACE=$(readlink -f "$COWTRACE")
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { log "busybox (busybox-static) not installed"; exit 2; }
if ldd "$busybox" >/dev/null 2>&1; then log "$busybox is not static: install busybox-static"; exit 2; fi

scratch=${VM_SCRATCH:-$(mktemp -d "${TMPDIR:-/tmp}/cowtrace-vm.XXXXXX")}
mkdir -p "$scratch"
log "scratch directory: $scratch"

# ---- kernels ----
# One line per requested kernel: "LABEL VMLINUZ RELEASE", or "LABEL - REASON"
# when it could not be had (reported as a FAIL of that kernel, not dropped).
t0=$(date +%s)
mapfile -t kernels < <("$here/fetch-kernels.sh" "$@" || true)
[ ${#kernels[@]} -gt 0 ] || { log "no kernels"; exit 2; }
log "kernels fetched in $(( $(date +%s) - t0 )) s"

# ---- initramfs ----
root=$scratch/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,w,etc,root}
"$here/build-workloads.sh" "$root/w"
cp "$busybox" "$root/bin/busybox"
"$root/bin/busybox" --list-full | while read -r applet; do
  [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
cp "$COWTRACE" "$root/bin/cowtrace"
# Shared libraries and the dynamic loader, at the same paths.
if ldd "$COWTRACE" >/dev/null 2>&1; then
  ldd "$COWTRACE" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}' | sort -u | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
fi
# Debian's redis-server, redis-cli and redis-benchmark with their libraries
# (the redis scenarios; without them those scenarios skip, saying so).
for prog in redis-server redis-cli redis-benchmark; do
  path=$(command -v "$prog" || true)
  [ -n "$path" ] || continue
  mkdir -p "$root/usr/bin"
  cp -L "$path" "$root/usr/bin/$prog"
  ldd "$path" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}' | sort -u | while read -r lib; do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
done
install -m 0755 "$here/init.sh" "$root/init"
install -m 0755 "$here/guest.sh" "$root/guest.sh"
install -m 0644 "$here/scenarios" "$root/scenarios"
[ -e "$root/dev/console" ] || mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
initrd=$scratch/initramfs.cpio.gz
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet --owner=0:0) | gzip -1 >"$initrd"
log "initramfs: $initrd ($(du -h "$initrd" | cut -f1))"

# One TCG thread for both vCPUs (round-robin).  With multi-threaded TCG, two
# guests in ~10 died of "Oops: int3" at a fentry site (copy_page_range+0x5,
# __zap_vma_range+0x1) right after cowtrace detached: a vCPU executing the
# breakpoint text_poke_bp had already removed, i.e. cross-vCPU code
# modification racing in the emulator.  VM_TCG_THREAD=multi restores MTTCG.
accel=(-accel "tcg,thread=${VM_TCG_THREAD:-single}")
if [ -n "${VM_KVM:-}" ]; then accel=(-enable-kvm); fi
smp=2
if [ -n "${VM_ICOUNT:-}" ]; then accel+=(-icount shift=0,sleep=off); smp=1; fi
append="console=ttyS0 panic=-1 quiet"
if [ -n "${SCENARIOS:-}" ]; then append="$append ct_scenarios=$(echo "$SCENARIOS" | xargs | tr ' ' ,)"; fi

# ---- boot (VM_JOBS at a time) ----
boot() { # LABEL VMLINUZ RELEASE SERIAL
  local label=$1 vmlinuz=$2 release=$3 serial=$4 start rc
  log "booting $label ($release), serial console: $serial"
  start=$(date +%s)
  set +e
  timeout "$VM_TIMEOUT" "$QEMU" "${accel[@]}" -kernel "$vmlinuz" -initrd "$initrd" -append "$append" \
    -nographic -no-reboot -m 1G -smp "$smp" -cpu max >"$serial" 2>&1 </dev/null
  rc=$?
  set -e
  local secs=$(( $(date +%s) - start ))
  log "$label: qemu exit $rc after $secs s"
  [ $rc -eq 124 ] && echo "@@TIMEOUT after ${VM_TIMEOUT}s" >>"$serial"
  echo "@@HOST release=$release qemu_rc=$rc seconds=$secs icount=${VM_ICOUNT:-0} smp=$smp" >>"$serial"
}

jobs_max=${VM_JOBS:-2}
logs=()
running=0
for k in "${kernels[@]}"; do
  read -r label vmlinuz release <<<"$k"
  serial=$scratch/serial-$label.log
  logs+=("$label=$serial")
  if [ "$vmlinuz" = "-" ]; then
    log "$label: not booted, the kernel could not be fetched: $release"
    echo "@@FETCHFAIL $release" >"$serial"
    continue
  fi
  if [ "$running" -ge "$jobs_max" ]; then wait -n || true; running=$((running - 1)); fi
  boot "$label" "$vmlinuz" "$release" "$serial" &
  running=$((running + 1))
done
wait || true
log "all kernels done in $(( $(date +%s) - t0 )) s"

COWTRACE=$COWTRACE exec /usr/bin/python3 "$here/check.py" "${logs[@]}"
