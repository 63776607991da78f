#!/bin/sh
# guest.sh: the cowtrace VM test scenarios, run inside the VM by /init.
#
# For each scenario prints on the console:
#   @@BEGIN NAME
#   @@INFO k=v ...          (only where the checker needs extra facts)
#   @@JSON {...}            one per line cowtrace printed on stdout
#   @@TRUTH TRUTH ...|SKIP  the workload's ground truth (TRUTH_FILE)
#   @@ERR ...               cowtrace's (and the workload's) stderr
#   @@END NAME rc=N         N = cowtrace's exit status
# The kernel command line option ct_scenarios=a,b,c limits the scenarios.
CT=/bin/cowtrace
W=/w
T=180   # per cowtrace run, seconds

ONLY=$(sed -n 's/.*ct_scenarios=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
want() {
  [ -z "$ONLY" ] && return 0
  for s in $ONLY; do [ "$s" = "$1" ] && return 0; done
  return 1
}

clean() { rm -f /tmp/truth /tmp/out /tmp/err /tmp/wl.err /tmp/prom.out /tmp/text.out /tmp/hist.rec /tmp/folded.out; }

frame() { # NAME RC [INFO]
  echo "@@BEGIN $1"
  [ -n "$3" ] && echo "@@INFO $3"
  [ -f /tmp/out ] && sed 's/^/@@JSON /' /tmp/out
  [ -f /tmp/truth ] && sed 's/^/@@TRUTH /' /tmp/truth
  [ -f /tmp/err ] && sed 's/^/@@ERR /' /tmp/err
  [ -f /tmp/wl.err ] && sed 's/^/@@ERR workload: /' /tmp/wl.err
  [ -f /tmp/prom.out ] && sed 's/^/@@PROM /' /tmp/prom.out
  [ -f /tmp/text.out ] && sed 's/^/@@TEXT /' /tmp/text.out
  [ -f /tmp/folded.out ] && sed 's/^/@@FOLDED /' /tmp/folded.out
  echo "@@END $1 rc=$2"
}

run_one() { # NAME [INFO] -- CMD ARGS...   (CT_ARGS: extra cowtrace options)
  name=$1; shift
  info=
  if [ "$1" != "--" ]; then info=$1; shift; fi
  shift
  want "$name" || return 0
  clean
  # shellcheck disable=SC2086
  TRUTH_FILE=/tmp/truth timeout $T $CT -o json ${CT_ARGS:-} -- "$@" >/tmp/out 2>/tmp/err
  frame "$name" $? "$info"
}

# ---- kernel facts and cowtrace's own view of this kernel ----
#   @@FACTS k=v ...    what the checker may rely on, read here from BTF and
#                      kallsyms (never from a version number)
#   @@PROBES LINE      "cowtrace probes" (stdout and stderr), then "rc=N"
#   @@PROBESV LINE     only if that failed or fell below the fentry rung:
#                      the errors in "cowtrace -v probes" (libbpf's messages)
btf_has() { # NAME: 1 if the string NAME is in the kernel's BTF
  [ -r /sys/kernel/btf/vmlinux ] || { echo -; return; }
  if [ "$(grep -c "$1" /sys/kernel/btf/vmlinux 2>/dev/null)" -gt 0 ] 2>/dev/null; then echo 1; else echo 0; fi
}
ksym_has() { # NAME: 1 if NAME (or a NAME.isra.N-style clone) is a text symbol
  if grep -qE " [tT] $1(\.[a-z]+\.[0-9]+)?( |\$)" /proc/kallsyms; then echo 1; else echo 0; fi
}
echo "@@FACTS btf=$([ -r /sys/kernel/btf/vmlinux ] && echo 1 || echo 0)" \
  "btf_FAULT_FLAG_UNSHARE=$(btf_has FAULT_FLAG_UNSHARE)" \
  "btf_uffdio_continue=$(btf_has uffdio_continue)" \
  "btf_pte_marker=$(btf_has pte_marker)" \
  "ksym_handle_userfault=$(ksym_has handle_userfault)" \
  "ksym_do_huge_pmd_wp_page=$(ksym_has do_huge_pmd_wp_page)" \
  "ksym_copy_page_range=$(ksym_has copy_page_range)" \
  "ksym_zap_install_uffd_wp_if_needed=$(ksym_has zap_install_uffd_wp_if_needed)" \
  "kprobes=$([ -e /sys/kernel/tracing/kprobe_events ] || [ -e /sys/kernel/debug/tracing/kprobe_events ] && echo 1 || echo 0)" \
  "preempt=$(sed -n 's/.*(\([a-z]*\)).*/\1/p' /sys/kernel/debug/sched/preempt 2>/dev/null || true)"
if want probes; then
  timeout 60 $CT probes >/tmp/probes 2>&1
  prc=$?
  sed 's/^/@@PROBES /' /tmp/probes
  echo "@@PROBES rc=$prc"
  if [ $prc -ne 0 ] || ! grep -q '^kernel .*, mode fentry' /tmp/probes || grep -q '^ladder:' /tmp/probes; then
    timeout 60 $CT -v probes >/dev/null 2>/tmp/probesv
    # libbpf's failures, and the end of each verifier log (where the error is)
    awk '/-- BEGIN PROG LOAD LOG --/ { print; inlog = 1; n = 0; next }
         /-- END PROG LOAD LOG --/ {
           if (n > 25) print "... (" n - 25 " verifier lines left out)"
           for (i = (n > 25 ? n - 25 : 0); i < n; i++) print buf[i]
           inlog = 0; print; next }
         inlog { buf[n++] = $0; next }
         /load failed|failed to|rung failed|no matching targets|[Ee]rror|cannot|unsupported/' /tmp/probesv |
      head -n 120 | sed 's/^/@@PROBESV /'
  fi
  rm -f /tmp/probes /tmp/probesv
fi

CT_ARGS="--latency" run_one cowfork latency=1 -- $W/cowfork 64 128
run_one cowfork_k0 -- $W/cowfork 0 32
run_one zerocopy -- $W/zerocopy 100
run_one filecopy -- $W/filecopy 100
run_one pinfork -- $W/pinfork 64
run_one uffd_missing -- $W/uffd missing 32
run_one uffd_wp -- $W/uffd wp 32
run_one uffd_minor -- $W/uffd minor 32
run_one marker -- $W/marker 32
run_one thpfork -- $W/thpfork

# ---- many writers at once: three children and two threads on 2 vCPUs ----
# Every difference from the truth must be explained by the programs the
# kernel reported it skipped (missed_events); none where it cannot skip.
run_one storm -- $W/storm 100 200 300 1000
run_one storm2 -- $W/storm 300 50 150 600
run_one storm3 -- $W/storm 250 250 250 1200
CT_ARGS="--mode kprobe" run_one storm_kprobe -- $W/storm 100 200 300 1000
CT_ARGS="--mode tracepoint" run_one tp_storm -- $W/storm 100 200 300 1000
# Two threads copying the same pages at once: each page one copy, whichever
# thread's copy the kernel kept; the other is neither a copy nor a reuse.
run_one race -- $W/race 3000 2
CT_ARGS="--mode kprobe" run_one race_kprobe -- $W/race 3000 2
CT_ARGS="--mode tracepoint" run_one tp_race -- $W/race 3000 2

# ---- every statistic with an oracle, named the same way on every kernel ----
run_one ksm -- $W/ksm 256 64
run_one gupunshare -- $W/gupunshare 64
run_one sharedreuse -- $W/sharedreuse 64 24
run_one uffd_sigbus -- $W/uffd sigbus 32

# Histogram values, in the JSON report, the text report (of the run's
# record) and the Prometheus textfile: known delays land in known buckets.
run_hist() { # NAME -- CMD ARGS...
  name=$1; shift; shift
  want "$name" || return 0
  clean
  TRUTH_FILE=/tmp/truth timeout $T $CT -o json --prom /tmp/prom.out --record /tmp/hist.rec -- "$@" \
    >/tmp/out 2>/tmp/err
  rc=$?
  timeout $T $CT report /tmp/hist.rec --hist-top 50 >/tmp/text.out 2>>/tmp/err
  frame "$name" $rc
}
run_hist uffd_delay -- $W/uffd delay 8 5 20
run_hist forkdelay -- $W/forkdelay 10 30 60

# Where copies come from: user and kernel stacks counted in the kernel,
# named by the frontend; the folded file (@@FOLDED) and the JSON report.
run_stacks() { # NAME -- CMD ARGS...   (CT_ARGS: extra cowtrace options)
  name=$1; shift; shift
  want "$name" || return 0
  clean
  # shellcheck disable=SC2086
  TRUTH_FILE=/tmp/truth timeout $T $CT -o json --stacks --kernel-stacks --folded /tmp/folded.out \
    ${CT_ARGS:-} -- "$@" >/tmp/out 2>/tmp/err
  frame "$name" $?
}
run_stacks stackfork -- $W/stackfork 40 24 16 56
CT_ARGS="--mode kprobe" run_stacks stackfork_kprobe -- $W/stackfork 40 24 16 56
CT_ARGS="--mode tracepoint" run_stacks tp_stackfork -- $W/stackfork 40 24 16 56

# ---- tracepoint mode: the same workloads, derived statistics vs exact ----
CT_ARGS="--mode tracepoint" run_one tp_cowfork -- $W/cowfork 512 1024
CT_ARGS="--mode tracepoint" run_one tp_zerocopy -- $W/zerocopy 512
CT_ARGS="--mode tracepoint" run_one tp_pinfork -- $W/pinfork 256
run_one ex_cowfork -- $W/cowfork 512 1024
run_one ex_zerocopy -- $W/zerocopy 512
run_one ex_pinfork -- $W/pinfork 256

# ---- the same run three ways: live summary, --events lines, and the record ----
# "record": cowtrace -o json --events --record FILE -- cowfork (stdout: one line
# per event, then the summary); "record_report": cowtrace report FILE -o json.
if want record; then
  clean; rm -f /tmp/rec /tmp/truth.rec
  TRUTH_FILE=/tmp/truth timeout $T $CT -o json --events --record /tmp/rec -- $W/cowfork 64 128 \
    >/tmp/out 2>/tmp/err
  rc=$?
  cp /tmp/truth /tmp/truth.rec 2>/dev/null
  frame record $rc "record_bytes=$(wc -c </tmp/rec 2>/dev/null || echo 0)"
  clean
  timeout $T $CT report /tmp/rec -o json >/tmp/out 2>/tmp/err
  rc=$?
  cp /tmp/truth.rec /tmp/truth 2>/dev/null
  frame record_report $rc
  rm -f /tmp/rec /tmp/truth.rec
fi

# ---- filters: a noise process that is not ours must never be reported ----
if want filter_cmd || want filter_pid; then
  $W/busy 300 >/tmp/busy.out 2>&1 &
  BUSY=$!
  sleep 1

  # (a) cowtrace -- CMD: only CMD and its descendants.
  run_one filter_cmd "busy=$BUSY" -- $W/cowfork 64 128

  # (b) cowtrace -p PID on an already running process that waits for a go
  #     file; go is given once cowtrace printed its first interval line.
  if want filter_pid; then
    clean; rm -f /tmp/pid /tmp/go
    TRUTH_FILE=/tmp/truth WORKLOAD_PID_FILE=/tmp/pid COWFORK_GO_FILE=/tmp/go \
      $W/cowfork 64 128 2>/tmp/wl.err &
    WL=$!
    i=0; while [ ! -s /tmp/pid ] && [ $i -lt 20 ]; do sleep 1; i=$((i + 1)); done
    PID=$(cat /tmp/pid 2>/dev/null)
    if [ -n "$PID" ]; then
      timeout $T $CT -o json -i 1 -d 20 -p "$PID" >/tmp/out 2>/tmp/err &
      CTP=$!
      i=0; while [ ! -s /tmp/out ] && [ $i -lt 60 ] && kill -0 $CTP 2>/dev/null; do sleep 1; i=$((i + 1)); done
      touch /tmp/go
      wait $WL; wlrc=$?
      wait $CTP; rc=$?
    else
      touch /tmp/go; wait $WL; wlrc=$?; rc=255; i=-1
    fi
    frame filter_pid $rc "busy=$BUSY target=$PID attach_wait_s=$i workload_rc=$wlrc"
  fi
  kill $BUSY 2>/dev/null; wait $BUSY 2>/dev/null
fi
