#!/usr/bin/env bash
# Reliability suite (issue 6): cowtrace must not crash, leak, lie or leave a
# torn file.  Needs root (it traces, mounts in a private mount namespace and
# drops privileges).
#
#   tests/reliability-test.sh [.output/cowtrace]
#
# 1. Bad input: exit status (2 for usage errors), stderr is one line naming
#    the bad value (argp may add its one "Try 'cowtrace --help'" hint line,
#    nothing else), stdout empty, no output file or temp file created.
# 2. A traced pid that exits (reaped, or left a zombie): cowtrace ends with a
#    complete final report.
# 3. Signals (SIGINT, SIGTERM) at several moments: complete report and textfile.
# 4. SIGKILL loop while the textfile is rewritten every 10 ms: never a partial
#    textfile; temp files of a killed run gone after the next start.
# 5. Churn: 100,000 short-lived processes (RELIABILITY_CHURN): bounded memory,
#    eviction, every child counted once despite pid reuse.
#    Mass exit: 5,000 processes (RELIABILITY_MASSEXIT) end at once into a 256 KiB
#    ring: the final records that do not fit come from the kernel's maps,
#    none lost, every child counted once with its copies.
# 6. Overload: --events into a 4 KiB ring buffer (lost_events) and a full
#    process map (--max-procs; unclassified_faults): counted and reported,
#    never silently wrong.
# 7. Long run: -i 0.02 exporter for RELIABILITY_LONG_S seconds (default 8):
#    >= 240 textfile rewrites, flat memory.
# Ends with "reliability: N passed, N failed, N skipped"; exit 1 on failure.
# RELIABILITY_ONLY="bad signals ..." runs some sections only
# (bad pidexit signals sigkill churn massexit reuse overload inflight longrun).
set -u
ct=$(readlink -f "${1:-.output/cowtrace}")
here=$(cd "$(dirname "$0")" && pwd)
only=${RELIABILITY_ONLY:-bad pidexit signals sigkill churn massexit reuse overload inflight longrun}
work=$(mktemp -d /tmp/cowtrace-rel.XXXXXX)
log=$work/log
bg=()
cleanup() {
  for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
: >"$log"
ok() { echo "PASS $*" | tee -a "$log"; }
bad() { echo "FAIL $*" | tee -a "$log"; }
skipped() { echo "SKIP $*" | tee -a "$log"; }
finish() {
  local p f s
  p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
  echo "reliability: $p passed, $f failed, $s skipped"
  [ "$f" -eq 0 ]; exit $?
}
want() { [[ " $only " == *" $1 "* ]]; }
rel() { python3 "$here/reliability/rel.py" "$@" 2>&1 | tee -a "$log"; }

if [ "$(id -u)" -ne 0 ]; then skipped "reliability: needs root"; finish; fi
[ -x "$ct" ] || { bad "no cowtrace binary at $ct"; finish; }
for t in python3 cc setpriv unshare mount; do
  command -v $t >/dev/null || { bad "$t not installed"; finish; }
done
command -v promtool >/dev/null || skipped "promtool not installed: textfiles checked for their last line only"
chmod 755 "$work"
bin=$work/bin
mkdir -p "$bin" "$work/out" "$work/cwd"
cc -O2 -static -Wall -Wextra -Werror -o "$bin/churn" "$here/reliability/churn.c" &&
  cc -O2 -static -Wall -Wextra -Werror -o "$bin/inflight" "$here/reliability/inflight.c" &&
  cc -O2 -static -Wall -Wextra -Werror -o "$bin/cowfork" "$here/workloads/cowfork.c" ||
  { bad "cannot build the workloads"; finish; }

# ------------------------------------------------------------------ 1. bad input
# expect NAME RC PATTERN [--ns-ro DIR] [--as-nobody] [--no-btf MODE] -- ARGS...
# PATTERN (fixed string) must be on stderr's first line.  Every file under
# $work/out must be absent afterwards (outputs point there).
expect() {
  local name=$1 rc_want=$2 pat=$3; shift 3
  local pre=() ro= nobody= nobtf=
  while [ "$1" != -- ]; do
    case $1 in
      --ns-ro) ro=$2; shift 2 ;;
      --as-nobody) nobody=1; shift ;;
      --no-btf) nobtf=$2; shift 2 ;;
    esac
  done
  shift
  local cmd=("$ct" "$@")
  [ -n "$nobody" ] && cmd=(setpriv --reuid=nobody --regid=nogroup --clear-groups "$work/ct" "$@")
  cmd=(timeout -s KILL 30 "${cmd[@]}")
  if [ -n "$ro" ]; then
    (cd "$work/cwd" && unshare -m sh -c 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"' \
       "$ro" "${cmd[@]}") >"$work/o" 2>"$work/e"
  elif [ "$nobtf" = null ]; then
    (cd "$work/cwd" && unshare -m sh -c 'mount --bind /dev/null /sys/kernel/btf/vmlinux && exec "$@"' \
       sh "${cmd[@]}") >"$work/o" 2>"$work/e"
  elif [ "$nobtf" = gone ]; then
    (cd "$work/cwd" && unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$@"' \
       sh "${cmd[@]}") >"$work/o" 2>"$work/e"
  else
    (cd "$work/cwd" && "${cmd[@]}") >"$work/o" 2>"$work/e"
  fi
  local rc=$? nl first second left
  nl=$(wc -l <"$work/e")
  first=$(head -n1 "$work/e")
  second=$(sed -n 2p "$work/e")
  left=$(find "$work/out" -mindepth 1 -not -type d | sed "s|$work/out/||" | tr '\n' ' ')
  local why=()
  [ "$rc" -eq "$rc_want" ] || why+=("exit $rc, want $rc_want")
  [ -s "$work/o" ] && why+=("stdout not empty: $(head -c 120 "$work/o")")
  if [ "$nl" -eq 2 ]; then
    [[ "$second" =~ ^Try\ .cowtrace\ --help ]] || why+=("second stderr line: $second")
  elif [ "$nl" -ne 1 ]; then
    why+=("$nl stderr lines")
  fi
  [[ "$first" == *"$pat"* ]] || why+=("first stderr line does not name '$pat'")
  [ -z "$left" ] || why+=("left behind: $left")
  if [ ${#why[@]} -eq 0 ]; then ok "bad input: $name -> exit $rc: $first"
  else bad "bad input: $name: ${why[*]} [stderr: $(tr '\n' '|' <"$work/e")]"; fi
  rm -rf "$work/out"; mkdir -p "$work/out"
}

if want bad; then
  P=$work/out/x.prom R=$work/out/x.ctr
  nopid=$(( $(cat /proc/sys/kernel/pid_max) - 1 ))
  while [ -e /proc/$nopid ]; do nopid=$((nopid - 1)); done
  expect "unknown option" 2 "'--bogus'" -- --bogus --prom "$P"
  expect "-p abc" 2 "'abc'" -- -p abc --prom "$P"
  expect "-p 0" 2 "'0'" -- -p 0 --prom "$P"
  expect "-p 99999999999" 2 "'99999999999'" -- -p 99999999999
  expect "-p -5" 2 "'-5'" -- -p -5
  expect "-d -1" 2 "'-1'" -- -d -1 --prom "$P"
  expect "-d 1x" 2 "'1x'" -- -d 1x
  expect "-d nan" 2 "'nan'" -- -d nan
  expect "-i 0" 2 "'0'" -- -i 0 --prom "$P"
  expect "--ringbuf-size 1000" 2 "'1000'" -- --ringbuf-size 1000
  expect "--ringbuf-size 12288 (not a power of 2)" 2 "'12288'" -- --ringbuf-size 12288
  expect "--prom-top 0" 2 "'0'" -- --prom-top 0 --prom "$P"
  expect "--prom-labels foo" 2 "'foo'" -- --prom-labels foo --prom "$P"
  expect "--max-exited -1" 2 "'-1'" -- --max-exited -1
  expect "-o xml" 2 "'xml'" -- -o xml --record "$R"
  expect "--mode foo" 2 "'foo'" -- --mode foo
  expect "--stacks=bogus" 2 "'bogus'" -- --stacks=bogus --prom "$P"
  expect "--stacks=copy,,reuse (an empty kind)" 2 "'copy,,reuse'" -- --stacks=copy,,reuse --record "$R"
  expect "--top-stacks -1" 2 "'-1'" -- --top-stacks -1
  expect "--folded into a missing dir" 2 "'$work/out/missing'" -- --folded "$work/out/missing/x.folded" --prom "$P"
  expect "--flamegraph DIR (a directory)" 2 "is a directory" -- --flamegraph "$work/cwd" --record "$R"
  expect "stray argument" 2 "'extra'" -- -d 1 extra
  expect "-p PID -c CGROUP" 2 "cannot be combined" -- -p 1 -c /sys/fs/cgroup -- /bin/true
  expect "--no-follow without -p" 2 "--no-follow" -- --no-follow --prom "$P"
  expect "--kernel-stacks without --stacks" 2 "--kernel-stacks" -- --kernel-stacks --record "$R"
  expect "--prom-labels without --prom" 2 "--prom-labels" -- --prom-labels pid
  expect "--folded-by without --folded" 2 "--folded-by" -- --folded-by pid --prom "$P"
  expect "--top with -o json" 2 "--top" -- --top 5 -o json --prom "$P"
  expect "probes with -p" 2 "probes" -- probes -p 1
  expect "predict without -p" 2 "which process" -- predict
  expect "predict -p of no process" 2 "no process with PID 999999" -- predict -p 999999
  expect "predict --window 0" 2 "'0'" -- predict -p 1 --window 0
  expect "predict with -d" 2 "only -p, --window" -- predict -p 1 -d 5
  expect "--window without predict" 2 "--window" -- --window 5 --prom "$P"
  expect "predict --basis of no record" 2 "not a cowtrace record" -- predict -p 1 --basis /etc/hostname
  expect "-O into a missing dir" 2 "'$work/out/missing'" -- -O "$work/out/missing/x.txt" --prom "$P"
  expect "-p $nopid (no such process)" 2 "PID $nopid" -- -p "$nopid" --prom "$P" --record "$R"
  expect "-c /nonexistent" 2 "'/nonexistent'" -- -c /nonexistent --prom "$P"
  expect "-c /tmp (not cgroup2)" 2 "'/tmp'" -- -c /tmp --prom "$P"
  expect "-- /nonexistent/cmd" 127 "'/nonexistent/cmd'" -- --prom "$P" --record "$R" -o json -- /nonexistent/cmd
  expect "-- /etc/passwd (not executable)" 126 "'/etc/passwd'" -- --prom "$P" --record "$R" -- /etc/passwd
  expect "-- nosuchcommand (not in PATH)" 127 "'nosuchcommand-ct'" -- --prom "$P" -- nosuchcommand-ct
  expect "--prom /nonexistent/dir/x.prom" 2 "'/nonexistent/dir'" -- --prom /nonexistent/dir/x.prom --record "$R"
  expect "--prom DIR (a directory)" 2 "is a directory" -- --prom "$work/cwd"
  mkdir -p "$work/out/ro"
  expect "--prom into a read-only dir" 2 "not writable" --ns-ro "$work/out/ro" -- --prom "$work/out/ro/x.prom" --record "$R"
  expect "--record into a missing dir" 2 "'$work/out/missing'" -- --record "$work/out/missing/x.ctr" --prom "$P"
  mkdir -p "$work/out/ro"
  expect "--record into a read-only dir" 2 "not writable" --ns-ro "$work/out/ro" -- --record "$work/out/ro/x.ctr"
  # record files
  "$bin/cowfork" 64 128 >/dev/null 2>&1 # warm the page cache
  "$ct" --record "$work/good.ctr" -o json -- "$bin/cowfork" 64 128 >"$work/good.json" 2>"$work/good.err" ||
    bad "cannot record a run: $(cat "$work/good.err")"
  mkdir -p "$work/rec"
  : >"$work/rec/empty.ctr"
  head -c 40 "$work/good.ctr" >"$work/rec/trunc-fixed.ctr"
  head -c 200 "$work/good.ctr" >"$work/rec/trunc-text.ctr"
  cp "$work/good.ctr" "$work/rec/v4.ctr"; printf '\x04' | dd of="$work/rec/v4.ctr" bs=1 seek=8 conv=notrunc status=none
  cp "$work/good.ctr" "$work/rec/evsize.ctr"; printf '\x48' | dd of="$work/rec/evsize.ctr" bs=1 seek=16 conv=notrunc status=none
  head -c 4096 /dev/urandom >"$work/rec/random.bin"
  expect "report (no file)" 2 "which record file" -- report
  expect "report missing file" 2 "No such file" -- report "$work/rec/missing.ctr"
  expect "report a directory" 2 "not a regular file" -- report "$work/rec"
  expect "report empty file" 2 "empty file" -- report "$work/rec/empty.ctr" --prom "$P"
  expect "report truncated header (40 bytes)" 2 "truncated header" -- report "$work/rec/trunc-fixed.ctr"
  expect "report truncated header text" 2 "truncated header" -- report "$work/rec/trunc-text.ctr" --prom "$P"
  expect "report foreign file (/etc/passwd)" 2 "not a cowtrace record" -- report /etc/passwd
  expect "report random bytes" 2 "not a cowtrace record" -- report "$work/rec/random.bin"
  expect "report version 4 (a future format)" 2 "version 4" -- report "$work/rec/v4.ctr" --prom "$P"
  expect "report other event size" 2 "event size 72" -- report "$work/rec/evsize.ctr"
  expect "report with -d" 2 "apply to tracing" -- report "$work/good.ctr" -d 1
  expect "report --stacks (tracing only)" 2 "apply to tracing" -- report "$work/good.ctr" --stacks
  expect "report --latency (tracing only)" 2 "apply to tracing" -- report "$work/good.ctr" --latency
  expect "report --folded of a record without stacks" 2 "no stacks in this record" -- \
    report "$work/good.ctr" --folded "$work/out/x.folded" --prom "$P"
  expect "report --prom into a missing dir" 2 "does not exist" -- report "$work/good.ctr" --prom "$work/out/no/x.prom"
  rel record-cut "$ct" "$work" "$work/good.ctr"
  rel record-corrupt "$ct" "$work" "$work/good.ctr"
  rel old-records "$ct" "$work" "$here/fixtures/records"
  # privileges and kernel
  cp "$ct" "$work/ct"; chmod 755 "$work/ct"
  expect "not root (nobody)" 1 "root" --as-nobody -- -d 1
  expect "not root (nobody), --prom and --record into a dir nobody cannot write" 1 "root" --as-nobody -- \
    -d 1 --prom "$P" --record "$R"
  expect "no BTF (/dev/null over /sys/kernel/btf/vmlinux)" 1 "BTF" --no-btf null -- -d 1 --prom "$P" --record "$R"
  expect "no BTF (empty /sys/kernel/btf)" 1 "BTF" --no-btf gone -- -d 1 -o json --prom "$P"
fi

# -------------------------------------------------------- 2. the traced pid exits
if want pidexit; then
  sleep 2 & sp=$!; bg+=("$sp")
  t0=$(date +%s.%N)
  timeout 30 "$ct" -p "$sp" -o json >"$work/p.json" 2>"$work/p.err"; rc=$?
  t1=$(date +%s.%N)
  if [ $rc -eq 0 ] && tail -n1 "$work/p.json" | python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.stdin.read())["final"] is True else 1)' 2>/dev/null &&
     python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 3.5 else 1)"; then
    ok "pid exits while traced (sleep 2): cowtrace ended by itself after $(python3 -c "print(round($t1 - $t0, 2))") s, exit 0, final JSON"
  else
    bad "pid exits while traced: exit $rc after $(python3 -c "print(round($t1 - $t0, 2))") s, $(head -c 200 "$work/p.err")"
  fi
  # a zombie: the parent never reaps it, kill(pid, 0) still succeeds
  python3 - "$ct" "$work" <<'PY' | tee -a "$log"
import json, os, subprocess, sys, time
ct, work = sys.argv[1:3]
pid = os.fork()
if pid == 0:
    time.sleep(1.5)
    os._exit(0)
t0 = time.time()
p = subprocess.Popen([ct, "-p", str(pid), "-o", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
try:
    out, err = p.communicate(timeout=10)
    dt = time.time() - t0
    lines = out.decode().strip().splitlines()
    ok = p.returncode == 0 and lines and json.loads(lines[-1])["final"] is True and dt < 3.5
    print(("PASS" if ok else "FAIL") + f" pid exits while traced and stays a zombie (never reaped): cowtrace ended after "
          f"{dt:.2f} s, exit {p.returncode}" + ("" if ok else f", stderr {err[:200]!r}"))
except subprocess.TimeoutExpired:
    p.kill()
    print("FAIL pid exits while traced and stays a zombie: cowtrace still running 10 s later")
os.waitpid(pid, 0)
PY
fi

want signals && rel signals "$ct" "$work"
want sigkill && rel sigkill "$ct" "$work" "$bin" "${RELIABILITY_KILLS:-50}"
want churn && rel churn "$ct" "$work" "$bin" "${RELIABILITY_CHURN:-100000}"
want massexit && rel massexit "$ct" "$work" "$bin" "${RELIABILITY_MASSEXIT:-5000}"
want reuse && rel reuse "$ct" "$work" "$bin"
want overload && rel overload "$ct" "$work" "$bin"
# RELIABILITY_INFLIGHT=0 skips it (17000 processes stopped at once for a few seconds)
want inflight && rel inflight "$ct" "$work" "$bin" "${RELIABILITY_INFLIGHT:-17000}"
want longrun && rel longrun "$ct" "$work" "$bin" "${RELIABILITY_LONG_S:-8}"
finish
