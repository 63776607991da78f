# shellcheck shell=sh
# bench/lib.sh: the interleaved measurement loop, shared by the host (bash,
# bench/run.sh) and the VM guest (busybox sh, bench/guest.sh).  POSIX sh only.
#
# Expects:
#   BIN        directory with cowbench and benchprobe
#   CT         the cowtrace binary
#   BPFTRACE   the bpftrace binary ("" if there is none)
#   BT_WHY     why there is no bpftrace (for the report)
#   WORK       scratch directory
#   PIN        CPU the timed workload is pinned to ("" = not pinned)
#   CTOBJ      cowtrace's BPF object, for the ct-* configs (default $BIN/cowtrace.bpf.o)
#
# Configs: none; empty-SET[+SET] and count-{fentry,kprobe,tp} (benchprobe
# sets); bpftrace-{kprobe,tp}; cowtrace (default ladder),
# cowtrace-{tp,kprobe,fentry}; ct-{wp,wpanon,fork,zap,all}: cowtrace's own
# exact-mode programs on a subset of its hooks, events drained by a no-op
# consumer (see ct_progs), .rodata as cowtrace sets it for a system-wide run.
#
# Prints machine-readable lines on stdout, read by bench/report.py:
#   @@R part=P round=N cfg=C wl=W mode=W pages=N reps=R writers=N ns=T cpu_ns=C faults=F ...
#   @@T part=P round=N cfg=C lost=L seen=S calls=K start_s=S  (one per tracer slot)
#   @@SKIP part=P cfg=C why=...                          (a config that cannot run)
#   @@CAL part=P wl=W pages=N reps=R ns=T                (calibration)
#   @@RAMP part=P tool=C mode=W pages=N reps=R writers=N ns=T faults=F ... lost=L seen=S

# wait_for FILE PATTERN SECONDS PID: until PATTERN is in FILE; 1 on timeout or if PID died.
wait_for() {
  _n=0
  while ! grep -q "$2" "$1" 2>/dev/null; do
    kill -0 "$4" 2>/dev/null || return 1
    _n=$((_n + 1))
    [ $_n -gt $(($3 * 10)) ] && return 1
    sleep 0.1
  done
  return 0
}

# tracer_start CFG: start the tracer of config CFG and wait until it is
# attached.  Sets TPID (0 for none).  Returns 1 (and says why in TWHY) if it
# could not start.
# cowtrace's exact-mode programs (names in bpf/cowtrace*.bpf.[ch]) per ct-* config.
ct_progs() {
  case $1 in
    ct-wp) echo fe_wp,fx_wp ;;
    ct-wpanon) echo fe_wp,fx_wp,fe_new_anon ;;
    ct-fork) echo fe_cpr,fx_cpr,sched_fork,sched_exit ;;
    ct-zap) echo fe_zap,fx_zap ;;
    # fx_thp1: do_huge_pmd_wp_page(vmf), kernels since 5.14
    ct-all) echo fe_wp,fx_wp,fe_new_anon,fe_cpr,fx_cpr,fe_thp,fx_thp1,fe_uffd,fx_uffd,fe_zap,fx_zap,sched_fork,sched_exit ;;
  esac
}

uptime_cs() { # /proc/uptime in centiseconds
  sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime
}

tracer_start() {
  TPID=0 TWHY='' TSTART=0
  _t0=$(uptime_cs)
  TOUT=$WORK/tracer.out TERR=$WORK/tracer.err
  rm -f "$TOUT" "$TERR"
  case $1 in
    none) return 0 ;;
    empty-*|count-*)
      "$BIN/benchprobe" "$(echo "${1#empty-}" | tr + ,)" >"$TOUT" 2>"$TERR" &
      TPID=$!; _ready="benchprobe: ready" ;;
    ct-*)
      _progs=$(ct_progs "$1")
      [ -n "$_progs" ] || { TWHY="unknown config"; return 1; }
      # cowtrace's own setting (src/probes.c): wake the consumer once 1/16
      # of the 4 MiB ring is waiting, not for every event
      "$BIN/benchprobe" --obj "${CTOBJ:-$BIN/cowtrace.bpf.o}" "$_progs" cfg.wakeup_bytes=262144 \
        >"$TOUT" 2>"$TERR" &
      TPID=$!; _ready="benchprobe: ready" ;;
    bpftrace-*)
      if [ -z "$BPFTRACE" ]; then TWHY="no bpftrace: $BT_WHY"; return 1; fi
      case $1 in
        bpftrace-kprobe) _probe=kprobe:do_wp_page ;;
        *) _probe=tracepoint:exceptions:page_fault_user ;;
      esac
      # BEGIN fires after every probe is attached: the readiness signal.
      "$BPFTRACE" -e "BEGIN { printf(\"bench-ready\\n\"); } $_probe { @[pid] = count(); }" \
        >"$TOUT" 2>"$TERR" &
      TPID=$!; _ready="bench-ready" ;;
    cowtrace)
      "$CT" -v -o json >"$TOUT" 2>"$TERR" &
      TPID=$!; _ready="cowtrace: tracing in" ;;
    cowtrace-tp|cowtrace-kprobe|cowtrace-fentry)
      "$CT" -v -o json --mode "$(echo "${1#cowtrace-}" | sed 's/^tp$/tracepoint/')" >"$TOUT" 2>"$TERR" &
      TPID=$!; _ready="cowtrace: tracing in" ;;
    *) TWHY="unknown config"; return 1 ;;
  esac
  _f=$TOUT
  case $1 in cowtrace*) _f=$TERR ;; esac
  if ! wait_for "$_f" "$_ready" "${TRACER_START_TIMEOUT:-120}" "$TPID"; then
    kill -9 "$TPID" 2>/dev/null; wait "$TPID" 2>/dev/null
    _msg=$(grep -iE 'error|fail|cannot|denied|not |no ' "$TERR" 2>/dev/null | head -n 3 | tr '\n' ' ' | cut -c1-300)
    TWHY="did not start within ${TRACER_START_TIMEOUT:-120} s or exited: ${_msg:-no message}"
    TPID=0
    return 1
  fi
  _t1=$(uptime_cs)
  TSTART=$(( (_t1 - _t0) / 100 )).$(( (_t1 - _t0) % 100 / 10 ))
  # tracer threads settle (bpftrace polls its perf buffers, cowtrace its ring)
  sleep "${TRACER_SETTLE:-0.3}"
  return 0
}

# tracer_stop CFG: SIGINT, wait, and set LOST (cowtrace's lost_events),
# SEEN (write faults cowtrace classified: reuse + copy + unshare +
# shared_reuse) and CALLS (what a count program counted), "-" if n/a.
tracer_stop() {
  LOST=- SEEN=- CALLS=-
  [ "$TPID" -gt 0 ] 2>/dev/null || return 0
  kill -INT "$TPID" 2>/dev/null
  _n=0
  while kill -0 "$TPID" 2>/dev/null && [ $_n -lt 600 ]; do sleep 0.1; _n=$((_n + 1)); done
  kill -9 "$TPID" 2>/dev/null
  wait "$TPID" 2>/dev/null
  case $1 in
    cowtrace*)
      _last=$(grep '"final"' "$TOUT" | tail -n 1)
      LOST=$(echo "$_last" | sed -n 's/.*"lost_events": *\([0-9]*\).*/\1/p')
      [ -n "$LOST" ] || LOST=-
      SEEN=$(echo "$_last" | awk '{
        s = 0; t = $0
        while (match(t, /"(reuse|copy|unshare|shared_reuse)": *[0-9]+/)) {
          m = substr(t, RSTART, RLENGTH); sub(/.*: */, "", m); s += m
          t = substr(t, RSTART + RLENGTH)
        }
        print s }') ;;
    count-*)
      CALLS=$(sed -n 's/^benchprobe: counted [0-9]* pids \([0-9]*\) calls/\1/p' "$TOUT") ;;
    ct-*)
      SEEN=$(sed -n 's/^benchprobe: consumed \([0-9]*\) events.*/\1/p' "$TOUT")
      LOST=$(sed -n 's/^benchprobe: consumed .*, lost \([0-9]*\)/\1/p' "$TOUT")
      [ -n "$SEEN" ] || SEEN=-
      [ -n "$LOST" ] || LOST=- ;;
    bpftrace-*)
      CALLS=$(awk -F': ' '/^@\[/ { s += $2 } END { print s + 0 }' "$TOUT") ;;
  esac
  [ -n "$CALLS" ] || CALLS=-
  TPID=0
}

# bench WL PAGES REPS [WRITERS]: run cowbench, set BOUT to its result fields.
bench() {
  _pin=
  [ -n "$PIN" ] && _pin="-c $PIN"
  # shellcheck disable=SC2086
  BOUT=$("$BIN/cowbench" $_pin -w "${4:-1}" "$1" "$2" "$3" 2>&1 | sed -n 's/^cowbench //p')
  [ -n "$BOUT" ] || { BOUT="ns=0 faults=0"; return 1; }
  BNS=$(echo "$BOUT" | sed -n 's/.* ns=\([0-9]*\).*/\1/p')
}

# calibrate PART WL PAGES TARGET_MS: set CREPS so that a run takes about
# TARGET_MS: grow the repetitions until a run takes a quarter of it, then
# scale from the fastest of three runs of that size (noise only slows down).
calibrate() {
  _reps=1
  while :; do
    bench "$2" "$3" "$_reps" || { CREPS=1; return 1; }
    [ $((BNS / 1000000)) -ge $(($4 / 4)) ] || [ "$_reps" -ge 100000 ] && break
    _reps=$((_reps * 4))
  done
  _best=$BNS
  for _i in 1 2; do
    bench "$2" "$3" "$_reps" && [ "$BNS" -lt "$_best" ] && _best=$BNS
  done
  _ms=$((_best / 1000000))
  [ "$_ms" -gt 0 ] || _ms=1
  CREPS=$(( (_reps * $4 + _ms - 1) / _ms ))
  [ "$CREPS" -ge 1 ] || CREPS=1
  echo "@@CAL part=$1 wl=$2 pages=$3 reps=$CREPS probe_reps=$_reps probe_ns=$_best"
}

# rounds PART ROUNDS "CFG ..." "WL:PAGES:REPS ...": interleaved rounds.
# Round r runs every config once, starting at config r mod n (rotation),
# each config's tracer attached for all workloads of its slot.
rounds() {
  _part=$1 _nr=$2 _cfgs=$3 _wls=$4 _skip=" "
  # shellcheck disable=SC2086 # word splitting wanted: one config per word
  _ncfg=$(echo $_cfgs | wc -w)
  _r=1
  while [ $_r -le "$_nr" ]; do
    _i=0
    while [ $_i -lt "$_ncfg" ]; do
      _k=$(( (_i + _r - 1) % _ncfg + 1 ))
      # shellcheck disable=SC2086
      _cfg=$(echo $_cfgs | cut -d' ' -f$_k)
      _i=$((_i + 1))
      case $_skip in *" $_cfg "*) continue ;; esac
      if ! tracer_start "$_cfg"; then
        echo "@@SKIP part=$_part cfg=$_cfg why=$TWHY"
        [ -s "$TERR" ] && sed "s/^/@@ERR $_cfg: /" "$TERR" | head -n 40
        _skip="$_skip$_cfg "
        continue
      fi
      if [ $_r -eq 1 ] && [ -s "$TERR" ]; then
        grep -E '^benchprobe:' "$TERR" | sed "s/^/@@HOOKS $_cfg: /"
      fi
      for _w in $_wls; do
        _wl=${_w%%:*} _rest=${_w#*:}
        bench "$_wl" "${_rest%%:*}" "${_rest#*:}"
        echo "@@R part=$_part round=$_r cfg=$_cfg wl=$_wl $BOUT"
      done
      tracer_stop "$_cfg"
      echo "@@T part=$_part round=$_r cfg=$_cfg lost=$LOST seen=$SEEN calls=$CALLS start_s=$TSTART"
    done
    _r=$((_r + 1))
  done
}

# ramp PART CFG WL PAGES TOTAL "WRITERS ...": delivery under load, one run
# per writer count (about TOTAL faults in all, split between the writers),
# the tracer attached for that run only.
ramp() {
  for _wr in $6; do
    _rr=$(( $5 / ($4 * _wr) ))
    [ "$_rr" -ge 1 ] || _rr=1
    if ! tracer_start "$2"; then
      echo "@@SKIP part=$1 cfg=$2 why=$TWHY"
      return 1
    fi
    _savepin=$PIN; PIN=
    bench "$3" "$4" "$_rr" "$_wr"
    PIN=$_savepin
    tracer_stop "$2"
    echo "@@RAMP part=$1 tool=$2 wl=$3 $BOUT lost=$LOST seen=$SEEN"
  done
}
