# shellcheck shell=sh
# bench/lib.sh: the interleaved measurement loop, shared by the host (bash,
# bench/run.sh) and the VM guest (busybox sh, bench/guest.sh).  POSIX sh only.
#
# Expects:
#   BIN        directory with cowbench, benchprobe (and holdkids for part 4)
#   CT         the cowtrace binary
#   BPFTRACE   the bpftrace binary ("" if there is none)
#   BT_WHY     why there is no bpftrace (for the report)
#   WORK       scratch directory
#   PIN        CPU the timed workload is pinned to ("" = not pinned)
#   CTOBJ      cowtrace's BPF object, for the ct-* configs (default $BIN/cowtrace.bpf.o)
#   CTOBJ_BASE another build's BPF object, for the ct-*-base configs (default
#              $BIN/cowtrace-base.bpf.o, from run.sh's BENCH_BASE_OBJ)
#   BPF_STATS  1: after a slot's timed runs, run each workload once more
#              (REPS x STATS_FRAC%, default 50) with kernel.bpf_stats_enabled=1
#              and report the run time of the config's programs (@@BPF); the
#              caller saves and restores the sysctl
#   STATS_FP   1: that run also for the cow workload built with frame
#              pointers (cowbench-fp; @@BPF wl=cow-fp)
#
# Configs: none; empty-SET[+SET] and count-{fentry,kprobe,tp} (benchprobe
# sets, see bench/benchprobe.c); bpftrace-{kprobe,tp}; cowtrace (default
# ladder), cowtrace-{tp,kprobe,fentry}, each also with -latency (--latency),
# then -stacks (--stacks) or
# -stacks-kernel (--stacks --kernel-stacks), then -events (--events, stdout to
# /dev/null) or -record (--record FILE): cowtrace-events, cowtrace-tp-record,
# cowtrace-tp-stacks-kernel, cowtrace-latency, ...; ct-{wp,wpanon,wplat,fork,zap,all,tp}: cowtrace's own
# programs on a subset of its hooks (see ct_progs), .rodata as cowtrace sets
# it for a system-wide run (benchprobe --ct-cfg), ring drained by a no-op
# consumer.  ct-X-base: ct-X with another build's object (CTOBJ_BASE), to
# compare two builds' programs in the same run.
#
# Prints machine-readable lines on stdout, read by bench/report.py:
#   @@R part=P round=N cfg=C wl=W mode=W pages=N reps=R writers=N ns=T cpu_ns=C faults=F ...
#   @@T part=P round=N cfg=C lost=L seen=S calls=K start_s=S [missed=M uncl=U stacks=N stack_pages=P]
#       [rec_bytes=B] [procs=R]     (one per tracer slot; cowtrace's own fields; procs: ct-*'s records)
#   @@BPF part=P round=N cfg=C wl=W reps=R faults=F run_cnt=N run_ns=T misses=M progs=NAME:CNT:NS,...
#   @@SKIP part=P cfg=C why=...                          (a config that cannot run)
#   @@CAL part=P wl=W pages=N reps=R ns=T                (calibration)
#   @@RAMP part=P tool=C mode=W pages=N reps=R writers=N ns=T faults=F ... lost=L seen=S
#   @@IREAD part=P phase=base|fill|hold|release nprocs=N nhists=M ms=X final=F   (part 4;
#     F: final records of ended processes read from the maps, the ring being full)
#   @@MANY part=P n=N ready=R forked_s=S ... hwm_kb=K ...                (part 4)

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

# cowtrace's programs (names in bpf/*.bpf.c) per ct-* config; the
# lifecycle programs (sched_fork, sched_exit, sched_exec) run in every mode.
ct_progs() {
  case $1 in
    # without --latency cowtrace's fentry rung has no fe_wp (cfg.wp_entry 0, as compiled);
    # ct-wplat: with it (cfg.wp_entry=1 cfg.wp_latency=1, see tracer_start)
    ct-wp) echo fx_wp ;;
    ct-wpanon) echo fx_wp,fe_new_anon ;;
    ct-wplat) echo fe_wp,fx_wp ;;
    ct-fork) echo fe_cpr,fx_cpr,sched_fork,sched_exit,sched_exec ;;
    ct-zap) echo fe_zap,fx_zap ;;
    # fx_thp1: do_huge_pmd_wp_page(vmf), kernels since 5.14
    ct-all) echo fx_wp,fe_new_anon,fe_cpr,fx_cpr,fe_thp,fx_thp1,fe_uffd,fx_uffd,fe_zap,fx_zap,sched_fork,sched_exit,sched_exec ;;
    # tracepoint mode (bpf/tp.bpf.c); benchprobe skips tp_fault_kernel where
    # the kernel has no page_fault_kernel tracepoint, as cowtrace does
    ct-tp) echo tp_fault_user,tp_fault_kernel,tp_alloc,tp_free,sched_fork,sched_exit,sched_exec ;;
    # the same without bpf_find_vma (a copy's mapping class; kernels before 5.17 load this one)
    ct-tpnofv) echo tp_fault_user,tp_fault_kernel,tp_alloc_nofv,tp_free,sched_fork,sched_exit,sched_exec ;;
  esac
}

uptime_cs() { # /proc/uptime in centiseconds
  sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime
}

# tracer_start CFG: start the tracer of config CFG and wait until it is
# attached.  Sets TPID (0 for none).  Returns 1 (and says why in TWHY) if it
# could not start.
tracer_start() {
  TPID=0 TWHY='' TSTART=0 TKIND=''
  _t0=$(uptime_cs)
  TOUT=$WORK/tracer.out TERR=$WORK/tracer.err TREC=$WORK/tracer.ctr
  rm -f "$TOUT" "$TERR" "$TREC"
  case $1 in
    none) return 0 ;;
    empty-*|count-*)
      "$BIN/benchprobe" "$(echo "${1#empty-}" | tr + ,)" >"$TOUT" 2>"$TERR" &
      TPID=$!; _ready="benchprobe: ready" ;;
    ct-*)
      _ct=$1 _obj=${CTOBJ:-$BIN/cowtrace.bpf.o}
      case $1 in
        *-base)
          _ct=${1%-base} _obj=${CTOBJ_BASE:-$BIN/cowtrace-base.bpf.o}
          [ -f "$_obj" ] || { TWHY="no base object (BENCH_BASE_OBJ)"; return 1; } ;;
      esac
      _progs=$(ct_progs "$_ct")
      [ -n "$_progs" ] || { TWHY="unknown config"; return 1; }
      # .rodata and map sizes as cowtrace sets them on this kernel (tracepoint
      # mode: its GFP values from tracefs)
      _tp=
      case $_ct in ct-tp*) _tp=tp ;; esac
      # shellcheck disable=SC2086
      if ! _cfgargs=$("$BIN/benchprobe" --ct-cfg $_tp 2>"$TERR"); then
        TWHY="benchprobe --ct-cfg $_tp: $(head -n 1 "$TERR")"
        return 1
      fi
      [ "$_ct" = ct-wplat ] && _cfgargs="$_cfgargs cfg.wp_entry=1 cfg.wp_latency=1"
      # shellcheck disable=SC2086 # one assignment per word
      "$BIN/benchprobe" --obj "$_obj" "$_progs" $_cfgargs \
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
    cowtrace*)
      # cowtrace[-tp|-kprobe|-fentry][-stacks[-kernel]][-events|-record]
      _rest=${1#cowtrace} _mode='' _xopt=''
      case $_rest in
        *-events) TKIND=events _rest=${_rest%-events} ;;
        *-record) TKIND=record _rest=${_rest%-record} ;;
      esac
      case $_rest in
        *-stacks-kernel) _xopt="--stacks --kernel-stacks" _rest=${_rest%-stacks-kernel} ;;
        *-stacks) _xopt=--stacks _rest=${_rest%-stacks} ;;
      esac
      case $_rest in
        *-latency) _xopt="$_xopt --latency" _rest=${_rest%-latency} ;;
      esac
      case $_rest in
        '') ;;
        -tp) _mode=tracepoint ;;
        -kprobe|-fentry) _mode=${_rest#-} ;;
        *) TWHY="unknown config"; return 1 ;;
      esac
      # shellcheck disable=SC2086 # ${_mode:+...}, $_xopt: words or none
      case $TKIND in
        events) "$CT" -v -o json ${_mode:+--mode $_mode} $_xopt --events >/dev/null 2>"$TERR" & ;;
        record) "$CT" -v -o json ${_mode:+--mode $_mode} $_xopt --record "$TREC" >"$TOUT" 2>"$TERR" & ;;
        *) "$CT" -v -o json ${_mode:+--mode $_mode} $_xopt >"$TOUT" 2>"$TERR" & ;;
      esac
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
# shared_reuse) and CALLS (what a count program counted), "-" if n/a;
# TEXTRA: more fields for the @@T line.
tracer_stop() {
  LOST=- SEEN=- CALLS=- TEXTRA=
  [ "$TPID" -gt 0 ] 2>/dev/null || return 0
  # --events writes its report to /dev/null: read the lost count from its
  # BPF "stats" map before it goes
  if [ "$TKIND" = events ]; then
    LOST=$("$BIN/benchprobe" --stats "$TPID" 2>/dev/null | sed -n 's/^lost //p')
    [ -n "$LOST" ] || LOST=-
  fi
  kill -INT "$TPID" 2>/dev/null
  _n=0
  while kill -0 "$TPID" 2>/dev/null && [ $_n -lt 600 ]; do sleep 0.1; _n=$((_n + 1)); done
  kill -9 "$TPID" 2>/dev/null
  wait "$TPID" 2>/dev/null
  case $1 in
    cowtrace*-events) ;;
    cowtrace*)
      _last=$(grep '"final"' "$TOUT" | tail -n 1)
      LOST=$(echo "$_last" | sed -n 's/.*"lost_events": *\([0-9]*\).*/\1/p')
      [ -n "$LOST" ] || LOST=-
      # write faults it classified; with --stacks, the stacks in the report
      # and the pages they hold (a sanity check: they were counted)
      SEEN=$(echo "$_last" | awk '{
        s = 0; t = $0
        while (match(t, /"(reuse|copy|unshare|shared_reuse)": *[0-9]+/)) {
          m = substr(t, RSTART, RLENGTH); sub(/.*: */, "", m); s += m
          t = substr(t, RSTART + RLENGTH)
        }
        print s }')
      TEXTRA=$(echo "$_last" | awk '{
        n = 0; p = 0; t = $0
        while (match(t, /\{"pages": *[0-9]+,"kind":/)) {
          m = substr(t, RSTART, RLENGTH); gsub(/[^0-9]/, "", m); n++; p += m
          t = substr(t, RSTART + RLENGTH)
        }
        mi = "-"; un = "-"
        if (match($0, /"missed_events": *[0-9]+/)) { mi = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", mi) }
        if (match($0, /"unclassified_faults": *[0-9]+/)) { un = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", un) }
        printf "missed=%s uncl=%s stacks=%d stack_pages=%d", mi, un, n, p }') ;;
    count-*)
      CALLS=$(sed -n 's/^benchprobe: counted [0-9]* pids \([0-9]*\) calls/\1/p' "$TOUT") ;;
    ct-*)
      SEEN=$(sed -n 's/^benchprobe: consumed \([0-9]*\) events.*/\1/p' "$TOUT")
      LOST=$(sed -n 's/^benchprobe: consumed .*, lost \([0-9]*\).*/\1/p' "$TOUT")
      # without --events only forks and exits go through the ring: the
      # process records its programs made are the check that they ran
      _recs=$(sed -n 's/^benchprobe: consumed .*, records \([0-9-]*\).*/\1/p' "$TOUT")
      TEXTRA="procs=${_recs:--}"
      [ -n "$SEEN" ] || SEEN=-
      [ -n "$LOST" ] || LOST=- ;;
    bpftrace-*)
      CALLS=$(awk -F': ' '/^@\[/ { s += $2 } END { print s + 0 }' "$TOUT") ;;
  esac
  if [ "$TKIND" = record ]; then
    TEXTRA="${TEXTRA:+$TEXTRA }rec_bytes=$(wc -c <"$TREC" 2>/dev/null || echo 0)"
    rm -f "$TREC"
  fi
  [ -n "$CALLS" ] || CALLS=-
  TPID=0 TKIND=
}

# bench WL PAGES REPS [WRITERS]: run cowbench, set BOUT to its result fields.
# WL cow-fp, reuse-fp: the same with cowbench-fp (built with frame pointers).
bench() {
  _pin='' _bin=cowbench _mode=$1
  [ -n "$PIN" ] && _pin="-c $PIN"
  case $1 in *-fp) _bin=cowbench-fp _mode=${1%-fp} ;; esac
  # shellcheck disable=SC2086
  BOUT=$("$BIN/$_bin" $_pin -w "${4:-1}" "$_mode" "$2" "$3" 2>&1 | sed -n 's/^cowbench //p')
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

# bpf_run_time PART ROUND CFG WL PAGES REPS: one more run of the workload
# (REPS x STATS_FRAC%) with kernel.bpf_stats_enabled=1, and the run time and
# run count of every program the tracer (TPID) holds over that run.  Not
# timed: BPF statistics cost two clock reads per program run, so the timed
# runs go without.  Programs are system-wide: runs for other processes'
# faults in that window count too (the report shows runs per fault).
bpf_run_time() {
  _sreps=$(( ($6 * ${STATS_FRAC:-50} + 99) / 100 ))
  [ "$_sreps" -ge 1 ] || _sreps=1
  echo 1 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
  "$BIN/benchprobe" --stats "$TPID" >"$WORK/bpfstat.0" 2>/dev/null
  bench "$4" "$5" "$_sreps"
  "$BIN/benchprobe" --stats "$TPID" >"$WORK/bpfstat.1" 2>/dev/null
  echo 0 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
  _faults=$(echo "$BOUT" | sed -n 's/.* faults=\([0-9]*\).*/\1/p')
  # per program (by id): deltas of run_cnt, run_ns, misses; summed
  awk -v head="@@BPF part=$1 round=$2 cfg=$3 wl=$4 reps=$_sreps faults=${_faults:-0}" '
    $1 == "prog" {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      id = f["id"]
      if (FNR == NR) { c0[id] = f["run_cnt"]; t0[id] = f["run_ns"]; m0[id] = f["misses"]; next }
      if (!(id in c0)) next   # loaded after the first snapshot: not this config
      n = f["run_cnt"] - c0[id]; t = f["run_ns"] - t0[id]; m = f["misses"] - m0[id]
      cnt += n; ns += t; miss += m
      progs = progs (progs == "" ? "" : ",") f["name"] ":" n ":" t
    }
    END { printf "%s run_cnt=%d run_ns=%d misses=%d progs=%s\n", head, cnt, ns, miss, (progs == "" ? "-" : progs) }
  ' "$WORK/bpfstat.0" "$WORK/bpfstat.1"
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
        # the end of its messages (a verifier log ends with the reason), without libbpf's chatter
        [ -s "$TERR" ] && grep -v -E "^libbpf: (elf:|sec '|prog '[^']*': (relo|skipped))" "$TERR" |
          tail -n 30 | sed "s/^/@@ERR $_cfg: /"
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
      if [ "${BPF_STATS:-0}" = 1 ] && [ "$TPID" -gt 0 ]; then
        for _w in $_wls; do
          _wl=${_w%%:*} _rest=${_w#*:}
          bpf_run_time "$_part" "$_r" "$_cfg" "$_wl" "${_rest%%:*}" "${_rest#*:}"
          # STATS_FP=1: the cow workload once more, built with frame pointers
          # (the user stack walk of --stacks ends differently without them)
          if [ "$_wl" = cow ] && [ "${STATS_FP:-0}" = 1 ] && [ -x "$BIN/cowbench-fp" ]; then
            bpf_run_time "$_part" "$_r" "$_cfg" cow-fp "${_rest%%:*}" "${_rest#*:}"
          fi
        done
      fi
      tracer_stop "$_cfg"
      echo "@@T part=$_part round=$_r cfg=$_cfg lost=$LOST seen=$SEEN calls=$CALLS start_s=$TSTART${TEXTRA:+ $TEXTRA}"
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

# ---- part 4: interval reads with many live processes (host) ----

# the count of "cowtrace: read N process records ..." lines cowtrace -v wrote
mp_nreads() {
  _c=$(grep -c '^cowtrace: read ' "$WORK/mp.err" 2>/dev/null)
  echo "${_c:-0}"
}

# mp_wait_reads N SECONDS: until cowtrace has done N interval reads; 1 on
# timeout or if it died.
mp_wait_reads() {
  _w=0
  while [ "$(mp_nreads)" -lt "$1" ]; do
    kill -0 "$MP_CT" 2>/dev/null || return 1
    _w=$((_w + 1))
    [ $_w -gt $(($2 * 5)) ] && return 1
    sleep 0.2
  done
  return 0
}

# mp_status PID FIELD: a /proc/PID/status field in kB (VmHWM, VmRSS), or -
mp_status() {
  _v=$(sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" 2>/dev/null)
  echo "${_v:--}"
}

# manyprocs_cleanup: stop what manyprocs started (also from the caller's trap).
manyprocs_cleanup() {
  if [ "${MP_HK:-0}" -gt 0 ] && kill -0 "$MP_HK" 2>/dev/null; then
    kill -TERM "$MP_HK" 2>/dev/null # releases its children and reaps them
    _w=0
    while kill -0 "$MP_HK" 2>/dev/null && [ $_w -lt 300 ]; do sleep 0.2; _w=$((_w + 1)); done
    kill -9 "$MP_HK" 2>/dev/null # its children die with it (PR_SET_PDEATHSIG)
  fi
  [ "${MP_HK:-0}" -gt 0 ] && wait "$MP_HK" 2>/dev/null
  if [ "${MP_CT:-0}" -gt 0 ] && kill -0 "$MP_CT" 2>/dev/null; then
    kill -INT "$MP_CT" 2>/dev/null
    _w=0
    while kill -0 "$MP_CT" 2>/dev/null && [ $_w -lt 300 ]; do sleep 0.2; _w=$((_w + 1)); done
    kill -9 "$MP_CT" 2>/dev/null
  fi
  [ "${MP_CT:-0}" -gt 0 ] && wait "$MP_CT" 2>/dev/null
  MP_HK=0 MP_CT=0
}

# manyprocs PART N READS: cowtrace -v -i 1 -o json --mode tracepoint while
# holdkids keeps N processes alive, each after a COW write (so each has a
# record in cowtrace's procs map): the time of each interval read (before
# the forks, while they happen, READS reads with all N alive, after their
# release), cowtrace's VmHWM/VmRSS, its lost_events and no-room count.  The caller makes
# room (kernel.pid_max, threads-max) and calls manyprocs_cleanup on failure.
manyprocs() {
  MP_HK=0 MP_CT=0
  _mp_part=$1 _mp_n=$2 _mp_reads=$3 _mp_why='' _mp_ready=0 _mp_fs=- _mp_rs=- _mp_hhwm=- _mp_hrss=- _mp_hwm=- _mp_lost=- _mp_nf=0 _mp_nh=0 _mp_nospace=- _mp_t0=0 _mp_t1=0 _mp_hlost=-
  rm -f "$WORK/mp.stats" "$WORK/mp.err" "$WORK/hk.out" "$WORK/hk.err"
  # its reports (every process, every second: tens of MB) go to /dev/null
  "$CT" -v -i 1 -o json --mode tracepoint >/dev/null 2>"$WORK/mp.err" &
  MP_CT=$!
  if ! wait_for "$WORK/mp.err" "cowtrace: tracing in" "${TRACER_START_TIMEOUT:-120}" "$MP_CT"; then
    _mp_msg=$(grep -v '^libbpf' "$WORK/mp.err" 2>/dev/null | head -n 2 | tr '\n' ' ' | cut -c1-200)
    echo "@@SKIP part=$_mp_part cfg=cowtrace-tp-i1 why=cowtrace did not start: ${_mp_msg:-no message}"
    manyprocs_cleanup
    return 1
  fi
  # two reads with only what runs on this machine
  mp_wait_reads 2 30 || _mp_why="cowtrace stopped reading before the forks"
  _mp_nb=$(mp_nreads)
  if [ -z "$_mp_why" ]; then
    "$BIN/holdkids" -j "${HOLDKIDS_J:-2}" -t "${HOLDKIDS_TIMEOUT:-600}" "$_mp_n" >"$WORK/hk.out" 2>"$WORK/hk.err" &
    MP_HK=$!
    if wait_for "$WORK/hk.out" "holdkids: ready" "${HOLDKIDS_TIMEOUT:-600}" "$MP_HK"; then
      _mp_ready=$(sed -n 's/^holdkids: ready \([0-9]*\).*/\1/p' "$WORK/hk.out")
      _mp_fs=$(sed -n 's/^holdkids: ready .* forked_s=\([0-9.]*\).*/\1/p' "$WORK/hk.out")
      _mp_nf=$(mp_nreads)
      # READS reads with all N alive (the one in progress may have started before)
      mp_wait_reads $((_mp_nf + _mp_reads + 1)) $((60 + _mp_reads * 30)) ||
        _mp_why="cowtrace did not do $_mp_reads interval reads with $_mp_n processes alive (died or too slow)"
      _mp_nh=$(mp_nreads)
      _mp_hhwm=$(mp_status "$MP_CT" VmHWM) _mp_hrss=$(mp_status "$MP_CT" VmRSS)
      # lost so far: in the forks (the release comes next)
      _mp_hlost=$("$BIN/benchprobe" --stats "$MP_CT" 2>/dev/null | sed -n 's/^lost //p')
    else
      _mp_why="holdkids: $(tail -n 1 "$WORK/hk.err" 2>/dev/null | cut -c1-200)"
      _mp_nf=$(mp_nreads) _mp_nh=$_mp_nf
    fi
    # release: all N exit at once (their exit records go through the ring)
    kill -INT "$MP_HK" 2>/dev/null
    _mp_w=0
    while kill -0 "$MP_HK" 2>/dev/null && [ $_mp_w -lt 1500 ]; do sleep 0.2; _mp_w=$((_mp_w + 1)); done
    _mp_rs=$(sed -n 's/^holdkids: released [0-9]* in \([0-9.]*\) s/\1/p' "$WORK/hk.out")
  fi
  if [ "${MP_HK:-0}" -gt 0 ] && kill -0 "$MP_HK" 2>/dev/null; then
    _mp_why="${_mp_why:+$_mp_why; }holdkids did not exit after the release"
  fi
  # two more reads: the exits are taken in
  _mp_t0=$(uptime_cs)
  [ -n "$_mp_why" ] || mp_wait_reads $(($(mp_nreads) + 2)) "${MP_RELEASE_TIMEOUT:-60}" ||
    _mp_why="cowtrace did not do 2 more reads within ${MP_RELEASE_TIMEOUT:-60} s of the release (died or too slow)"
  _mp_t1=$(uptime_cs)
  _mp_hwm=$(mp_status "$MP_CT" VmHWM)
  # lost_events and no-room counts from cowtrace's BPF stats map (its reports went to /dev/null)
  "$BIN/benchprobe" --stats "$MP_CT" >"$WORK/mp.stats" 2>/dev/null
  _mp_lost=$(sed -n 's/^lost //p' "$WORK/mp.stats")
  _mp_nospace=$(sed -n 's/^nospace //p' "$WORK/mp.stats")
  _mp_ct=$MP_CT
  manyprocs_cleanup
  _mp_i=0
  # "cowtrace: read N process records (F final, left in the map ...) and H histograms in X ms"
  grep '^cowtrace: read ' "$WORK/mp.err" |
    sed -E 's/^cowtrace: read ([0-9]+) process records( \(([0-9]+) final[^)]*\))? and ([0-9]+) histograms in ([0-9.]+) ms.*/\1 \4 \5 \3/' |
    while read -r _mp_np _mp_nhist _mp_ms _mp_final; do
    _mp_i=$((_mp_i + 1))
    if [ $_mp_i -le "$_mp_nb" ]; then _mp_ph=base
    elif [ $_mp_i -le "$_mp_nf" ]; then _mp_ph=fill
    elif [ $_mp_i -le "$_mp_nh" ]; then _mp_ph=hold
    else _mp_ph=release; fi
    echo "@@IREAD part=$_mp_part phase=$_mp_ph nprocs=$_mp_np nhists=$_mp_nhist ms=$_mp_ms final=${_mp_final:-0}"
  done
  grep -v '^cowtrace: read \|^cowtrace: tracing in \|^libbpf' "$WORK/mp.err" | head -n 20 | sed "s/^/@@ERR part 4 cowtrace: /"
  echo "@@MANY part=$_mp_part pid=$_mp_ct n=$_mp_n ready=${_mp_ready:-0} forked_s=${_mp_fs:--} released_s=${_mp_rs:--} reads=$_mp_reads hold_hwm_kb=$_mp_hhwm hold_rss_kb=$_mp_hrss hwm_kb=$_mp_hwm lost_hold=${_mp_hlost:--} lost=${_mp_lost:--} nospace=${_mp_nospace:--} after_release_s=$(( (_mp_t1 - _mp_t0) / 100 )) why=${_mp_why:-}"
}
