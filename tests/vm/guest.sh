#!/bin/sh
# guest.sh: the cowtrace VM test scenarios, run inside the VM by /init, one
# after the other as the table /scenarios (tests/vm/scenarios) lists them.
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
TABLE=/scenarios

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

# ---- the runners (RUN in the table) ----
# Each runs scenario $name: cowtrace with $opts (the OPTIONS column, split
# into words) and the workload $wl (WORKLOAD: a program of /w and its
# arguments, split into words); $info: @@INFO of the frame.

run_probes() {
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
}


# shellcheck disable=SC2086 # $opts and $wl are words
run_run() {
  clean
  TRUTH_FILE=/tmp/truth timeout $T $CT -o json $opts -- $W/$wl >/tmp/out 2>/tmp/err
  frame "$name" $? "$info"
}

# Histogram values, in the JSON report, the text report (of the run's
# record) and the Prometheus textfile.
# shellcheck disable=SC2086 # $opts and $wl are words
run_hist() {
  clean
  TRUTH_FILE=/tmp/truth timeout $T $CT -o json --prom /tmp/prom.out --record /tmp/hist.rec $opts -- $W/$wl \
    >/tmp/out 2>/tmp/err
  rc=$?
  timeout $T $CT report /tmp/hist.rec --hist-top 50 >/tmp/text.out 2>>/tmp/err
  frame "$name" $rc "$info"
}

# Where copies come from: the folded file (@@FOLDED) and the JSON report.
# shellcheck disable=SC2086 # $opts and $wl are words
run_stacks() {
  clean
  TRUTH_FILE=/tmp/truth timeout $T $CT -o json --stacks --kernel-stacks --folded /tmp/folded.out \
    $opts -- $W/$wl >/tmp/out 2>/tmp/err
  frame "$name" $? "$info"
}

# One line per event, then the summary; the record and the truth are kept
# (/tmp/rec.NAME, /tmp/truth.NAME) for a "report" scenario.
# shellcheck disable=SC2086 # $opts and $wl are words
run_record() {
  clean; rm -f "/tmp/rec.$name" "/tmp/truth.$name"
  TRUTH_FILE=/tmp/truth timeout $T $CT -o json --events --record "/tmp/rec.$name" $opts -- $W/$wl \
    >/tmp/out 2>/tmp/err
  rc=$?
  cp /tmp/truth "/tmp/truth.$name" 2>/dev/null
  frame "$name" $rc "${info:+$info }record_bytes=$(wc -c <"/tmp/rec.$name" 2>/dev/null || echo 0)"
}

# cowtrace report -o json of the record of scenario $wl, with its truth.
# shellcheck disable=SC2086 # $opts and $wl are words
run_report() {
  clean
  timeout $T $CT report "/tmp/rec.$wl" -o json $opts >/tmp/out 2>/tmp/err
  rc=$?
  cp "/tmp/truth.$wl" /tmp/truth 2>/dev/null
  frame "$name" $rc "$info"
  rm -f "/tmp/rec.$wl" "/tmp/truth.$wl"
}

# cowtrace -p PID on an already running process that waits for a go file;
# go is given once cowtrace printed its first interval line.
# shellcheck disable=SC2086 # $opts and $wl are words
run_attach() {
  clean; rm -f /tmp/pid /tmp/go
  TRUTH_FILE=/tmp/truth WORKLOAD_PID_FILE=/tmp/pid COWFORK_GO_FILE=/tmp/go \
    $W/$wl 2>/tmp/wl.err &
  WL=$!
  i=0; while [ ! -s /tmp/pid ] && [ $i -lt 20 ]; do sleep 1; i=$((i + 1)); done
  PID=$(cat /tmp/pid 2>/dev/null)
  if [ -n "$PID" ]; then
    timeout $T $CT -o json $opts -p "$PID" >/tmp/out 2>/tmp/err &
    CTP=$!
    i=0; while [ ! -s /tmp/out ] && [ $i -lt 60 ] && kill -0 $CTP 2>/dev/null; do sleep 1; i=$((i + 1)); done
    touch /tmp/go
    wait $WL; wlrc=$?
    wait $CTP; rc=$?
  else
    touch /tmp/go; wait $WL; wlrc=$?; rc=255; i=-1
  fi
  frame "$name" $rc "${info:+$info }target=$PID attach_wait_s=$i workload_rc=$wlrc"
}

# Debian's redis-server under a steady SET load (WORKLOAD: KEYS VALUE_BYTES):
# a first BGSAVE's duration is the window of cowtrace predict, then a BGSAVE
# traced by cowtrace -p (OPTIONS); Redis's own numbers are the truth.
# shellcheck disable=SC2086 # $opts and $wl are words
run_redis() {
  clean
  set -- $wl
  keys=$1 size=$2 port=6390 rc=0
  rcli() { redis-cli -p $port "$@"; }
  uptime_s() { cut -d' ' -f1 /proc/uptime; }
  saved() { # wait for the BGSAVE in progress to end
    i=0; while [ $i -lt 600 ] && rcli info persistence | grep -q '^rdb_bgsave_in_progress:1'; do
      sleep 0.2; i=$((i + 1)); done
  }
  if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
    echo "SKIP redis-server or redis-benchmark not in the initramfs (not installed on the host)" >/tmp/truth
    frame "$name" 77 "$info"; return
  fi
  ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up # the initramfs has no loopback yet
  redis-server --port $port --save "" --appendonly no --dir /tmp --dbfilename dump.rdb --daemonize yes \
    --pidfile /tmp/redis.pid --logfile /tmp/redis.log --enable-debug-command yes
  i=0; while [ $i -lt 100 ] && ! rcli ping >/dev/null 2>&1; do sleep 0.2; i=$((i + 1)); done
  rcli debug populate "$keys" key "$size" >/dev/null
  redis-benchmark -p $port -t set -n 100000000 -r "$keys" -d "$size" -c 2 -q >/dev/null 2>&1 &
  BENCH=$!
  sleep 3
  PID=$(cat /tmp/redis.pid)
  # the first BGSAVE, recorded: its duration, and its fork for predict --basis
  timeout $T $CT -q --record /tmp/first.ctr -p "$PID" -- sh -c "redis-cli -p $port bgsave >/dev/null" \
    >/dev/null 2>>/tmp/err &
  FIRST=$!
  i=0; while [ $i -lt 300 ] && ! rcli info persistence | grep -q '^rdb_bgsave_in_progress:1'; do
    sleep 0.1; i=$((i + 1)); done
  t0=$(uptime_s); saved; t1=$(uptime_s)
  wait $FIRST
  win=$(awk -v a="$t0" -v b="$t1" 'BEGIN { w = b - a; printf "%.2f", w < 0.5 ? 0.5 : w }')
  # windows up to twice that: the traced save need not last as long as the first.  A cowtrace traces
  # the server meanwhile: under TCG its programs slow the SETs, and the save it is compared with is traced
  timeout $T $CT -p "$PID" -d 120 >/dev/null 2>/tmp/tracer.err &
  TRACER=$!
  i=0; while [ $i -lt 120 ] && ! grep -q '^cowtrace: tracing' /tmp/tracer.err; do sleep 0.5; i=$((i + 1)); done
  timeout $T $CT predict -p "$PID" --window "$(awk -v w="$win" 'BEGIN { printf "%.2f", 2 * w }')" -o json \
    >/tmp/out 2>>/tmp/err || rc=$?
  kill -INT $TRACER 2>/dev/null; wait $TRACER 2>/dev/null
  rm -f /tmp/tracer.err
  timeout $T $CT predict -p "$PID" --window 1 --basis /tmp/first.ctr -o json >>/tmp/out 2>>/tmp/err || rc=$?
  timeout $T $CT -o json $opts -p "$PID" -- sh -c "redis-cli -p $port bgsave >/dev/null" >>/tmp/out 2>>/tmp/err ||
    rc=$?
  saved
  echo "TRUTH scenario=redis pid=$PID window_s=$win keys=$keys" \
    "latest_fork_usec=$(rcli info stats | sed -n 's/^latest_fork_usec:\([0-9]*\).*/\1/p')" \
    "rdb_last_cow_size=$(rcli info persistence | sed -n 's/^rdb_last_cow_size:\([0-9]*\).*/\1/p')" \
    "rdb_saves=$(rcli info persistence | sed -n 's/^rdb_saves:\([0-9]*\).*/\1/p')" >/tmp/truth
  kill $BENCH 2>/dev/null; wait $BENCH 2>/dev/null
  rcli shutdown nosave >/dev/null 2>&1
  rm -f /tmp/first.ctr /tmp/dump.rdb
  frame "$name" $rc "$info"
}

# RUN+busy: a noise process that is not ours, started before the first such
# scenario, stopped before the next scenario without it (and at the end).
BUSY=
busy_start() {
  [ -n "$BUSY" ] && return
  $W/busy 300 >/tmp/busy.out 2>&1 &
  BUSY=$!
  sleep 1
}
busy_stop() {
  [ -z "$BUSY" ] && return
  kill $BUSY 2>/dev/null; wait $BUSY 2>/dev/null
  BUSY=
}

scenario() { # NAME RUN OPTIONS WORKLOAD
  name=$1 run=$2 opts=$3 wl=$4 info=
  [ "$opts" = - ] && opts=
  [ "$wl" = - ] && wl=
  case $run in
    *+busy) busy_start; info="busy=$BUSY"; run=${run%+busy} ;;
    *) busy_stop ;;
  esac
  case $run in
    probes|run|hist|stacks|record|report|attach|redis) "run_$run" ;;
    *) echo "@@BEGIN $name"; echo "@@ERR guest.sh: RUN '$run' of $TABLE is none of guest.sh's"
       echo "@@END $name rc=2" ;;
  esac
}

# ---- the table: NAME | RUN | OPTIONS | WORKLOAD | CHECK | STAT ----
# Its lines, blanks around the fields trimmed, as NAME<tab>RUN<tab>OPTIONS<tab>WORKLOAD.
rows=$(awk -F'|' '/^[ \t]*(#|$)/ { next }
  { for (i = 1; i <= 4; i++) { gsub(/^[ \t]+|[ \t]+$/, "", $i); if ($i == "") $i = "-" }
    print $1 "\t" $2 "\t" $3 "\t" $4 }' "$TABLE")
[ -n "$rows" ] || echo "@@ERR guest.sh: no scenarios in $TABLE"
TAB=$(printf '\t')
NL='
'
IFS_SAVE=$IFS
set -f
# A report reads the record of another scenario: asking for it asks for that one too.
# shellcheck disable=SC2086 # $row is fields
if [ -n "$ONLY" ]; then
  IFS=$NL
  for row in $rows; do
    IFS=$TAB; set -- $row; IFS=$IFS_SAVE
    [ "$2" = report ] && want "$1" && ONLY="$ONLY $4"
    IFS=$NL
  done
  IFS=$IFS_SAVE
fi
IFS=$NL
# shellcheck disable=SC2086 # $row is fields
for row in $rows; do
  IFS=$TAB; set -- $row; IFS=$IFS_SAVE
  want "$1" && scenario "$1" "$2" "$3" "$4"
  IFS=$NL
done
IFS=$IFS_SAVE
set +f
busy_stop
