#!/usr/bin/env bash
# bench/vm.sh: boot one Debian kernel in QEMU with the bench initramfs and
# print the guest's @@ result lines on stdout (the pattern of tests/vm/run.sh).
#
#   bench/vm.sh            (called by bench/run.sh; settings in the environment)
#
# Environment:
#   COWTRACE=PATH          cowtrace binary (default .output/cowtrace)
#   BENCH_BIN=DIR          cowbench and benchprobe (default .output/bench)
#   BENCH_KERNEL=LABEL     kernel label of tests/vm/fetch-kernels.sh (default 6.12)
#   BENCH_VM_CLOCK=icount  TCG with -icount shift=0,sleep=off and 1 vCPU (default):
#                          guest time = guest instructions, immune to host load
#   BENCH_VM_CLOCK=real    TCG on the host's clock, 2 vCPUs in one TCG thread
#                          (noisy on a busy host)
#   BENCH_VM_SMP=N         vCPUs (default 1 with icount, else 2)
#   BENCH_KVM=1            KVM (-cpu host) instead of TCG (fails under nested
#                          virtualization where KVM cannot set the CPU's MSRs)
#   BENCH_VM_BPFTRACE=0    leave bpftrace (and its ~200 MB of LLVM) out
#   BENCH_BPF_STATS=0      no BPF run-time measurement in the guest
#   BENCH_VM_TIMEOUT=S     QEMU time limit (default 5400)
#   BENCH_VM_MEM=MB        guest memory (default 2048)
#   BENCH_SCRATCH=DIR      where the initramfs and the serial log go (default mktemp -d)
#   ROUNDS PAGES TARGET_MS CFGS RAMP_WRITERS RAMP_PAGES RAMP_TOTAL: see guest.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
COWTRACE=$(readlink -f "${COWTRACE:-$top/.output/cowtrace}")
BIN=${BENCH_BIN:-$top/.output/bench}
KERNEL=${BENCH_KERNEL:-6.12}
QEMU=${QEMU:-qemu-system-x86_64}
log() { echo "vm.sh: $*" >&2; }

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { log "busybox (busybox-static) not installed"; exit 2; }
if ldd "$busybox" >/dev/null 2>&1; then log "$busybox is not static: install busybox-static"; exit 2; fi
command -v "$QEMU" >/dev/null || { log "no $QEMU (apt-get install qemu-system-x86)"; exit 2; }

scratch=${BENCH_SCRATCH:-$(mktemp -d "${TMPDIR:-/tmp}/cowtrace-bench.XXXXXX")}
mkdir -p "$scratch"

# ---- kernel ----
read -r label vmlinuz release < <("$top/tests/vm/fetch-kernels.sh" "$KERNEL" || true)
if [ "${vmlinuz:-}" = "-" ] || [ -z "${vmlinuz:-}" ]; then
  echo "@@VMFAIL kernel $KERNEL could not be fetched: ${release:-}"
  exit 1
fi

# ---- initramfs ----
root=$scratch/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root,bench}
cp "$busybox" "$root/bin/busybox"
"$root/bin/busybox" --list-full | while read -r applet; do
  [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
copy_with_libs() { # SRC DEST: the binary and the shared libraries ldd lists, at the same paths
  cp "$1" "$root$2"
  if ldd "$1" >/dev/null 2>&1; then
    ldd "$1" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}' | sort -u | while read -r lib; do
      [ -e "$root$lib" ] && continue
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  fi
}
copy_with_libs "$COWTRACE" /bin/cowtrace
copy_with_libs "$BIN/benchprobe" /bench/benchprobe
cp "$BIN/cowbench" "$root/bench/cowbench"
[ -f "$BIN/cowtrace.bpf.o" ] && cp "$BIN/cowtrace.bpf.o" "$root/bench/cowtrace.bpf.o"
[ -f "$BIN/cowtrace-base.bpf.o" ] && cp "$BIN/cowtrace-base.bpf.o" "$root/bench/cowtrace-base.bpf.o"
bt_note=
if [ "${BENCH_VM_BPFTRACE:-1}" = 1 ]; then
  if bt=$(command -v bpftrace); then
    copy_with_libs "$bt" /usr/bin/bpftrace
  else
    bt_note="bpftrace is not installed on the host"
  fi
else
  bt_note="left out (BENCH_VM_BPFTRACE=0)"
fi
install -m 0755 "$here/init.sh" "$root/init"
install -m 0644 "$here/guest.sh" "$here/lib.sh" "$root/bench/"
cat >"$root/bench/bench.conf" <<EOF
ROUNDS='${ROUNDS:-5}'
PAGES='${PAGES:-4096}'
TARGET_MS='${TARGET_MS:-700}'
CFGS='${CFGS:-none empty-exact count-fentry bpftrace-kprobe cowtrace}'
PIN='${BENCH_PIN-0}'
RAMP_WRITERS='${RAMP_WRITERS:-}'
RAMP_PAGES='${RAMP_PAGES:-4096}'
RAMP_TOTAL='${RAMP_TOTAL:-65536}'
BPF_STATS='${BENCH_BPF_STATS:-1}'
EOF
[ -z "$bt_note" ] || printf "BT_WHY='%s'\n" "$bt_note" >>"$root/bench/bench.conf"
[ -e "$root/dev/console" ] || mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
initrd=$scratch/initramfs.cpio.gz
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet --owner=0:0) | gzip -1 >"$initrd"
log "initramfs $initrd ($(du -h "$initrd" | cut -f1)); kernel $label ($release)"

# icount: the guest clock counts guest instructions (shift=0: 1 ns each) and
# skips idle time, so guest timings do not depend on the host's load; the
# vCPUs then run one at a time, hence 1 vCPU (see run.sh).
# shellcheck disable=SC2054 # shift=0,sleep=off is one argument
case ${BENCH_VM_CLOCK:-icount} in
  icount) accel=(-accel tcg -cpu max -icount shift=0,sleep=off); smp=${BENCH_VM_SMP:-1} ;;
  # one TCG thread for both vCPUs, as tests/vm/run.sh: under MTTCG a vCPU
  # can run a fentry site's int3 that text_poke_bp already removed
  real) accel=(-accel tcg,thread=single -cpu max); smp=${BENCH_VM_SMP:-2} ;;
  *) log "BENCH_VM_CLOCK must be icount or real"; exit 2 ;;
esac
[ -n "${BENCH_KVM:-}" ] && accel=(-enable-kvm -cpu host) && smp=${BENCH_VM_SMP:-2}
serial=$scratch/serial-$label.log
log "booting; serial console: $serial"
start=$(date +%s)
set +e
# every console line gets the host's time (the guest's clock counts
# instructions): where the VM's time goes, per slot
timeout "${BENCH_VM_TIMEOUT:-5400}" "$QEMU" "${accel[@]}" -kernel "$vmlinuz" -initrd "$initrd" \
  -append "console=ttyS0 panic=-1 quiet" -nographic -nic none -no-reboot -m "${BENCH_VM_MEM:-2048}" -smp "$smp" \
  2>&1 </dev/null | while IFS= read -r line; do printf '%(%s)T %s\n' -1 "$line"; done >"$serial"
rc=${PIPESTATUS[0]}
set -e
log "qemu exit $rc after $(( $(date +%s) - start )) s"
# the @@ lines; a slot's end (@@T) with the host's time
tr -d '\r' <"$serial" | awk '{ i = index($0, "@@"); if (!i) next
  l = substr($0, i); if (l ~ /^@@T /) l = l " host_t=" $1; print l }' || true
[ "$rc" -eq 124 ] && echo "@@VMFAIL timeout after ${BENCH_VM_TIMEOUT:-5400} s"
grep -aq '@@DONE' "$serial" || echo "@@VMFAIL no @@DONE (qemu exit $rc); see $serial"
grep -aq '@@GUESTEND' "$serial" || echo "@@VMFAIL the guest script did not finish; see $serial"
acc="${accel[*]}"
echo "@@VM kernel=$label release=$release accel=${acc// /_} smp=$smp mem_mb=${BENCH_VM_MEM:-2048} seconds=$(( $(date +%s) - start )) serial=$serial"
