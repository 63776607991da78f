#!/usr/bin/env bash
# Stacks suite: --stacks, --folded and --flamegraph on this machine (tracepoint
# mode here) against the workloads' own ground truth.
#  - stackfork 120 200 64 300 traced while two loops of `storm` (a process,
#    three children and two threads writing at once) run beside it, untraced:
#    each of the child's four functions copied exactly the pages its TRUTH line
#    says, into the right mapping (heap, stack, file PATH, anon), with the
#    kernel's page fault frames below and none of the tracer's; the storm's
#    processes are not reported (the filter is the traced command);
#  - `cowtrace report REC` gives the live run's folded file (sorted) and flame
#    graph frames;
#  - the flame graph SVG: well-formed, self-contained, the four functions'
#    widths proportional to their TRUTH pages (from the SVG's own data-w and
#    titles); headless Chromium renders it and the pixels inside their frames
#    are their fill colours;
#  - speedscope (npm package, a real consumer of folded stacks) loads the
#    folded file; its sandwich view's totals are the TRUTH pages;
#  - tests/workloads/pygc.py: CPython's copy-on-read after fork (reference
#    counts and the GC's headers), two workers at once, plain and with
#    gc.freeze(): the workers' copies mostly in heap and anon mappings, in line
#    with their own Private_Dirty, and far fewer with gc.freeze(); run without
#    --stacks too (a user stack walked in the middle of a copy made the
#    kernel retry the fault and tracepoint mode count two copies: fixed by
#    walking it at the fault; this is the check that found it);
#  - bad input: --folded or --flamegraph into a missing directory, report
#    --folded on a record without stacks, --stacks=bogus: a clear error, a
#    non-zero exit, nothing run or written.
# Needs root, python3, cc (static glibc) and Debian's python3 for pygc
# (COWTRACE_PYTHON overrides /usr/bin/python3).  The render needs chromium, the
# speedscope check npm and chromium: skipped when missing, installed first when
# COWTRACE_INSTALL=1.  speedscope is cached in
# ${COWTRACE_SPEEDSCOPE_CACHE:-~/.cache/cowtrace/speedscope}.
# COWTRACE_DOC_FLAMEGRAPH=FILE writes the Python run's flame graph (the
# README's picture) there.  COWTRACE_KEEP=DIR keeps the files (reports, folded files, SVG, PNG, DOM) there.
set -u
ct=$(readlink -f "${1:-.output/cowtrace}")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/chromium.sh
. "$here/lib/chromium.sh"
work=$(mktemp -d)
storm_pids=()
stop_storm() { # each loop ends after its current run; one that does not within 10 s is ended
  local p i
  touch "$work/storm.stop"
  for p in "${storm_pids[@]}"; do
    for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  storm_pids=()
}
trap 'stop_storm; [ -n "${COWTRACE_KEEP:-}" ] && mkdir -p "$COWTRACE_KEEP" && cp -a "$work/." "$COWTRACE_KEEP/"
      rm -rf "$work"' EXIT
pass=0 fail=0 skip=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
skipped() { echo "SKIP $*"; skip=$((skip + 1)); }
finish() { echo "stacks: $pass passed, $fail failed, $skip skipped"; [ $fail -eq 0 ]; exit $?; }
# Count the PASS/FAIL/SKIP lines of stdin; INFO lines are shown, not counted.
tally() {
  local verdict rest
  while read -r verdict rest; do
    case $verdict in
      PASS) ok "$rest" ;;
      FAIL) bad "$rest" ;;
      SKIP) skipped "$rest" ;;
      INFO) echo "     $rest" ;;
      *) bad "checker: $verdict $rest" ;;
    esac
  done
}
check() { tally < <(python3 "$here/lib/stackscheck.py" "$1" "$work" 2>&1); }

if [ "$(id -u)" -ne 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
  skipped "stacks suite (needs root and /sys/kernel/btf/vmlinux)"; finish
fi
command -v python3 >/dev/null || { bad "python3 not installed"; finish; }
[ -x "$ct" ] || { bad "no cowtrace binary at '$ct'"; finish; }
"$here/vm/build-workloads.sh" "$work/w" stackfork storm >"$work/build.log" 2>&1 ||
  { bad "cannot build the workloads: $(tail -n 3 "$work/build.log")"; finish; }

# ---- (a) stackfork beside a storm of forking processes ----
H=120 S=200 F=64 M=300
storm_loop() { # storm runs one after another until told to stop (at most 400)
  local i
  for ((i = 0; i < 400; i++)); do
    [ -e "$work/storm.stop" ] && return
    "$work/w/storm" 100 200 300 1000 >/dev/null 2>&1 && echo run >>"$work/storm.runs"
  done
}
: >"$work/storm.runs"
storm_loop & storm_pids+=($!)
storm_loop & storm_pids+=($!)
for _ in $(seq 50); do [ -s "$work/storm.runs" ] && break; sleep 0.1; done
runs0=$(wc -l <"$work/storm.runs")
TRUTH_FILE=$work/sf.truth TMPDIR=$work timeout -k 5 120 "$ct" -o json --stacks --kernel-stacks --top-stacks 1000 \
  --folded "$work/sf.folded" --flamegraph "$work/sf.svg" --record "$work/sf.ctr" \
  -- "$work/w/stackfork" $H $S $F $M >"$work/sf.json" 2>"$work/sf.err"
echo $? >"$work/sf.rc"
echo $(($(wc -l <"$work/storm.runs") - runs0)) >"$work/storm.count"
stop_storm
check stackfork

# ---- (b) the record replayed ----
"$ct" report "$work/sf.ctr" --folded "$work/rp.folded" --flamegraph "$work/rp.svg" >/dev/null 2>"$work/rp.err"
rc=$?
if [ $rc -eq 0 ] && [ -s "$work/rp.folded" ] && [ -s "$work/rp.svg" ]; then
  ok "report REC --folded --flamegraph: exit 0"
  check replay
else
  bad "report REC --folded --flamegraph: exit $rc, $(head -c 300 "$work/rp.err")"
fi

# ---- (c) the flame graph: XML, self-contained, widths ----
check flamegraph

# ---- (d) rendered by headless Chromium ----
need_chromium
read -r W Ht < <(python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot(); print(int(r.get("width")), int(r.get("height")))' "$work/sf.svg" 2>/dev/null)
if [ -z "$chromium" ]; then
  skipped "flame graph rendered, its frames painted (chromium not installed; COWTRACE_INSTALL=1 installs it)"
elif [ -z "${Ht:-}" ]; then
  bad "flame graph rendered: the SVG has no width and height"
else
  chromium_run "$work/chrome" --window-size="$W,$Ht" --screenshot="$work/sf.png" "file://$work/sf.svg" >/dev/null
  rc=$?
  if [ $rc -eq 0 ] && [ -s "$work/sf.png" ]; then
    ok "flame graph rendered: $("$chromium" --version 2>/dev/null | head -n1), ${W}x$Ht"
    check pixels
  else
    bad "flame graph rendered: $chromium exit $rc: $(chromium_why "$work/chrome")"
  fi
fi

# ---- (e) speedscope reads the folded file ----
SS_VERSION=1.25.0
SS_SHA512=cpf9HWTZf1ijLXBJrk87Ve/54tnYx6rlf0gUThvn3ook6h63hLXVOQiMf44PT+XoV503cPfvfiT5gP5vojp6Ag==
ss_cache=${COWTRACE_SPEEDSCOPE_CACHE:-$HOME/.cache/cowtrace/speedscope}
ss_dir=$ss_cache/speedscope-$SS_VERSION
# speedscope-VERSION/package/ in the cache, from `npm pack` (the tarball checked against the
# pinned digest).  1: npm pack failed (offline?), 2: a different tarball or one that does not unpack.
fetch_speedscope() {
  local tmp tgz rc=0
  [ -f "$ss_dir/package/dist/release/index.html" ] && return 0
  mkdir -p "$ss_cache" && tmp=$(mktemp -d "$ss_cache/.fetch.XXXXXX") || return 1
  tgz=$tmp/speedscope-$SS_VERSION.tgz
  if ! (cd "$tmp" && npm pack --silent "speedscope@$SS_VERSION") >"$work/npm.log" 2>&1; then
    rc=1
  elif ! python3 -c 'import base64, hashlib, sys
sys.exit(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode() != sys.argv[2])' \
      "$tgz" "$SS_SHA512" 2>>"$work/npm.log"; then
    echo "speedscope-$SS_VERSION.tgz: its sha512 is not the pinned one" >>"$work/npm.log"; rc=2
  elif ! { mkdir "$tmp/x" && tar -xzf "$tgz" -C "$tmp/x" && [ -f "$tmp/x/package/dist/release/index.html" ] &&
           rm -rf "$ss_dir" && mv "$tmp/x" "$ss_dir"; } >>"$work/npm.log" 2>&1; then
    echo "speedscope-$SS_VERSION.tgz: no package/dist/release/index.html in it" >>"$work/npm.log"; rc=2
  fi
  rm -rf "$tmp"
  return $rc
}
why=
if ! command -v npm >/dev/null && [ "${COWTRACE_INSTALL:-0}" = 1 ] && [ ! -f "$ss_dir/package/dist/release/index.html" ]; then
  echo "installing npm (COWTRACE_INSTALL=1)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null 2>&1
fi
if [ -z "$chromium" ]; then
  why="chromium not installed; COWTRACE_INSTALL=1 installs it"
elif [ ! -f "$ss_dir/package/dist/release/index.html" ] && ! command -v npm >/dev/null; then
  why="npm not installed and speedscope not in $ss_cache; COWTRACE_INSTALL=1 installs npm"
else
  fetch_speedscope
  case $? in
    0) ;;
    1) why="npm pack speedscope@$SS_VERSION failed: $(tail -n 2 "$work/npm.log" | tr '\n' ' ')" ;;
    *) bad "speedscope@$SS_VERSION from npm: $(tail -n 1 "$work/npm.log")"; why=- ;;
  esac
fi
if [ "$why" = - ]; then
  :
elif [ -n "$why" ]; then
  skipped "speedscope: sandwich totals of the four functions ($why)"
else
  # what speedscope's own CLI does: a script that hands it the file in base64
  python3 - "$work/sf.folded" "$work/prof.js" <<'PY'
import base64, json, sys
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "w") as f:
    f.write("speedscope.loadFileFromBase64(%s, %s);\n" %
            (json.dumps("stackfork.folded.txt"), json.dumps(base64.b64encode(data).decode())))
PY
  # a tall window: the sandwich table draws only the rows it can show.  It
  # draws them a frame after its header; on a loaded machine the DOM can be
  # dumped in between (a header, no rows: seen in CI), so it is loaded again
  # with more virtual time, at most three times.
  for budget in 10000 30000 60000; do
    chromium_run "$work/ss" --window-size=1400,4000 --virtual-time-budget=$budget --dump-dom \
      "file://$ss_dir/package/dist/release/index.html#localProfilePath=$work/prof.js&view=sandwich" \
      >"$work/ss.dom"
    rc=$?
    [ $rc -eq 0 ] && [ "$(grep -o '<tr' "$work/ss.dom" | wc -l)" -gt 1 ] && break
    echo "     speedscope: no table rows after ${budget} ms of virtual time (exit $rc)"
  done
  if [ $rc -eq 0 ] && [ -s "$work/ss.dom" ]; then
    ok "speedscope $SS_VERSION loaded the folded file in headless Chromium"
    check speedscope
  else
    bad "speedscope in headless Chromium: exit $rc: $(chromium_why "$work/ss")"
  fi
fi

# ---- (f) CPython's copy-on-read: two workers, plain and with gc.freeze() ----
py=${COWTRACE_PYTHON:-/usr/bin/python3}
if [ ! -x "$py" ]; then
  bad "pygc: no Debian python3 at $py (make test-deps installs it)"
else
  for run in plain freeze plain-nostacks freeze-nostacks; do
    opts=(--stacks --top-stacks 100000)
    [ "${run%-nostacks}" != "$run" ] && opts=()
    [ "$run" = plain ] && opts+=(--kernel-stacks --flamegraph "$work/pygc-plain.svg")
    TRUTH_FILE=$work/pygc-$run.truth timeout -k 5 120 "$ct" -o json "${opts[@]}" \
      -- "$py" -I "$here/workloads/pygc.py" "${run%-nostacks}" >"$work/pygc-$run.json" 2>"$work/pygc-$run.err"
    echo $? >"$work/pygc-$run.rc"
  done
  check pygc
  # the README's picture: COWTRACE_DOC_FLAMEGRAPH=doc/flamegraph-pygc.svg
  if [ -n "${COWTRACE_DOC_FLAMEGRAPH:-}" ] && [ -s "$work/pygc-plain.svg" ]; then
    cp "$work/pygc-plain.svg" "$COWTRACE_DOC_FLAMEGRAPH" && echo "     wrote $COWTRACE_DOC_FLAMEGRAPH"
  fi
fi

# ---- (g) bad input ----
for opt in --folded --flamegraph; do
  "$ct" "$opt" "$work/nodir/out" -- touch "$work/ran1" >/dev/null 2>"$work/bad1.err"
  rc=$?
  if [ $rc -ne 0 ] && grep -q "$work/nodir" "$work/bad1.err" && [ ! -e "$work/ran1" ]; then
    ok "$opt into a missing directory: exit $rc before running the command: $(head -n1 "$work/bad1.err")"
  else
    bad "$opt into a missing directory: exit $rc, command ran: $([ -e "$work/ran1" ] && echo yes || echo no), '$(head -c 200 "$work/bad1.err")'"
  fi
done
"$ct" --record "$work/nostacks.ctr" -- true >/dev/null 2>"$work/bad2.err" ||
  bad "a record without --stacks: $(head -c 200 "$work/bad2.err")"
"$ct" report "$work/nostacks.ctr" --folded "$work/nostacks.folded" >"$work/bad2.out" 2>"$work/bad2.err"
rc=$?
if [ $rc -ne 0 ] && grep -q -- "--stacks" "$work/bad2.err" && [ ! -e "$work/nostacks.folded" ] && [ ! -s "$work/bad2.out" ]; then
  ok "report --folded on a record made without --stacks: exit $rc, no file, no report: $(head -n1 "$work/bad2.err")"
else
  bad "report --folded on a record made without --stacks: exit $rc, file $([ -e "$work/nostacks.folded" ] && echo written || echo absent), $(wc -c <"$work/bad2.out") bytes on stdout, '$(head -c 200 "$work/bad2.err")'"
fi
"$ct" --stacks=bogus -- touch "$work/ran3" >/dev/null 2>"$work/bad3.err"
rc=$?
if [ $rc -ne 0 ] && grep -q "'bogus'" "$work/bad3.err" && [ ! -e "$work/ran3" ]; then
  ok "--stacks=bogus: exit $rc before running the command: $(head -n1 "$work/bad3.err")"
else
  bad "--stacks=bogus: exit $rc, command ran: $([ -e "$work/ran3" ] && echo yes || echo no), '$(head -c 200 "$work/bad3.err")'"
fi
finish
