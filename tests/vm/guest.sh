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

clean() { rm -f /tmp/truth /tmp/out /tmp/err /tmp/wl.err; }

frame() { # NAME RC [INFO]
  echo "@@BEGIN $1"
  [ -n "$3" ] && echo "@@INFO $3"
  [ -f /tmp/out ] && sed 's/^/@@JSON /' /tmp/out
  [ -f /tmp/truth ] && sed 's/^/@@TRUTH /' /tmp/truth
  [ -f /tmp/err ] && sed 's/^/@@ERR /' /tmp/err
  [ -f /tmp/wl.err ] && sed 's/^/@@ERR workload: /' /tmp/wl.err
  echo "@@END $1 rc=$2"
}

run_one() { # NAME [INFO] -- CMD ARGS...
  name=$1; shift
  info=
  if [ "$1" != "--" ]; then info=$1; shift; fi
  shift
  want "$name" || return 0
  clean
  TRUTH_FILE=/tmp/truth timeout $T $CT -o json -- "$@" >/tmp/out 2>/tmp/err
  frame "$name" $? "$info"
}

run_one cowfork -- $W/cowfork 64 128
run_one cowfork_k0 -- $W/cowfork 0 32
run_one zerocopy -- $W/zerocopy 100
run_one filecopy -- $W/filecopy 100
run_one pinfork -- $W/pinfork 64
run_one uffd_missing -- $W/uffd missing 32
run_one uffd_wp -- $W/uffd wp 32
run_one uffd_minor -- $W/uffd minor 32
run_one marker -- $W/marker 32
run_one thpfork -- $W/thpfork

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
