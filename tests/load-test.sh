#!/usr/bin/env bash
# Every BPF program must pass the verifier, with CO-RE relocations, on the
# running kernel: load (not attach) each rung that this kernel can load.
# The kprobe rung loads the kprobe/kretprobe variant of every hook; kernels
# where kprobes cannot attach (like the build machine) still load them.
set -u
ct=${1:-.output/cowtrace}
pass=0 fail=0 skip=0
check() { # name, command...
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then
    echo "ok load $name"; pass=$((pass + 1))
  else
    echo "FAIL load $name"; echo "$out" | sed 's/^/    /'; fail=$((fail + 1))
  fi
}
if [ "$(id -u)" -ne 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
  echo "skip load: needs root and /sys/kernel/btf/vmlinux"
  echo "load: 0 passed, 0 failed, 1 skipped"; exit 0
fi
# kprobe variants: must load, and the plan must show every hook on kprobe.
out=$("$ct" probes --mode kprobe --load-only --latency 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '(loaded, not attached)' <<<"$out"; then
  echo "ok load kprobe programs verified on $(uname -r)"; pass=$((pass + 1))
  for st in reuse copy pinned_cow thp_split uffd_missing wp_latency; do
    if grep -qE "^$st +[^ ]+ +kprobe +exact" <<<"$out"; then
      echo "ok load $st on kprobe"; pass=$((pass + 1))
    else
      echo "FAIL load $st not on an exact kprobe:"; grep -E "^$st " <<<"$out" | sed 's/^/    /'
      fail=$((fail + 1))
    fi
  done
else
  echo "FAIL load kprobe programs (exit $rc):"; echo "$out" | sed 's/^/    /'; fail=$((fail + 1))
fi
# without --latency the write-fault latency is not measured, and says why
if "$ct" probes --mode kprobe --load-only 2>&1 | grep -qE '^wp_latency +do_wp_page[^ ]* +none +unavailable +not measured without --latency'; then
  echo "ok load wp_latency unavailable without --latency"; pass=$((pass + 1))
else
  echo "FAIL load wp_latency without --latency: not said unavailable"; fail=$((fail + 1))
fi
check "tracepoint programs verified" "$ct" probes --mode tracepoint --load-only
# fentry: loads only where the kernel allows fentry; say so rather than fail.
if out=$("$ct" probes --mode fentry --load-only 2>&1); then
  echo "ok load fentry programs verified"; pass=$((pass + 1))
elif grep -q 'Operation not permitted' <<<"$out"; then
  echo "skip load fentry: this kernel refuses fentry (EPERM)"; skip=$((skip + 1))
else
  echo "FAIL load fentry:"; echo "$out" | sed 's/^/    /'; fail=$((fail + 1))
fi
echo "load: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
