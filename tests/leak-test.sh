#!/usr/bin/env bash
# Leak suite: the unit tests (tests/unit/*.c) run twice more,
#  1. built with clang -fsanitize=address,undefined (LeakSanitizer included,
#     -fno-sanitize-recover=all) into .output/fuzz/test_core_asan;
#  2. the normal .output/test_core (make .output/test_core) under
#     valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect,possible.
# Both must pass their tests and report no error and no leak.
# No root needed.  Ends with "leak: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
out=.output/fuzz
pass=0 fail=0 skip=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
skipped() { echo "SKIP $*"; skip=$((skip + 1)); }
finish() { echo "leak: $pass passed, $fail failed, $skip skipped"; [ $fail -eq 0 ]; exit $?; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

core=($(make -s print-CORE_SRCS))
srcs=(tests/unit/*.c "${core[@]}" src/tracefs.c src/util.c src/symbolize.c)
libdw=$(pkg-config --libs libdw 2>/dev/null || echo -ldw)
make -s .output/unit_tests.inc  # the list of TEST()s the harness includes
summary() { grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1; }

# 1. ASan + UBSan + LSan.
if ${CLANG:-clang} -g -O1 -std=gnu11 -D_GNU_SOURCE -DCOWTRACE_VERSION='"test"' -I.output -Iinclude -Isrc \
     -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
     "${srcs[@]}" $libdw -lm -o "$out/test_core_asan" 2>"$work/build.log"; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$out/test_core_asan" tests/golden >"$work/asan.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error' "$work/asan.log"; then
    ok "unit tests under ASan+UBSan+LSan: $(summary "$work/asan.log"), no error, no leak"
  else
    bad "unit tests under ASan+UBSan+LSan (exit $rc): $(summary "$work/asan.log")"
    grep -E 'not ok|ERROR|SUMMARY|runtime error|^    #[0-3] ' "$work/asan.log" | head -30 | sed 's/^/    /'
  fi
else
  bad "build the ASan unit tests: $(grep -m3 error "$work/build.log")"
fi

# 2. valgrind on the normal build.
if ! command -v valgrind >/dev/null; then
  skipped "valgrind not installed (apt-get install valgrind)"
elif ! make -s .output/test_core >"$work/make.log" 2>&1; then
  bad "make .output/test_core: $(tail -3 "$work/make.log")"
else
  valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=definite,indirect,possible \
    --suppressions=tests/valgrind.supp \
    --error-exitcode=1 --log-file="$work/vg.log" .output/test_core tests/golden >"$work/vgout.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && [ ! -s "$work/vg.log" ]; then
    ok "unit tests under valgrind --leak-check=full: $(summary "$work/vgout.log"), no error, no leak"
  else
    bad "unit tests under valgrind (exit $rc): $(summary "$work/vgout.log")"
    head -30 "$work/vg.log" | sed 's/^/    /'
  fi
fi
# 3. cowtrace itself under ASan+UBSan+LSan: tracing (root) and report.
tool=($(make -s print-TOOL_SRCS) "${core[@]}")
asan_clean() { ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error|SUMMARY: ' "$1"; }
export ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ ! -f .output/cowtrace.skel.h ]; then
  skipped "cowtrace under ASan: no .output/cowtrace.skel.h (run make first)"
elif ! ${CLANG:-clang} -g -O1 -std=gnu11 -D_GNU_SOURCE -DCOWTRACE_VERSION='"asan"' -I.output -Iinclude -Isrc \
       -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all "${tool[@]}" \
       $(pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz -lm \
       $(pkg-config --libs libdw 2>/dev/null || echo -ldw) $(pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd) -o "$out/cowtrace_asan" \
       2>"$work/build2.log"; then
  bad "build cowtrace under ASan: $(grep -m3 error "$work/build2.log")"
else
  ct=$out/cowtrace_asan
  if [ "$(id -u)" -ne 0 ]; then
    skipped "cowtrace under ASan, tracing: needs root"
  else
    mkdir -p "$work/p" "$work/w"
    cc -O2 -static -o "$work/w/churn" tests/reliability/churn.c 2>/dev/null
    # exporter mode with eviction, a record and a trickle of processes, ended by -d
    "$work/w/churn" 3000 2 1 500 >/dev/null 2>&1 &
    wl=$!
    "$ct" -d 3 -i 0.05 --max-exited 64 --prom "$work/p/a.prom" --record "$work/a.ctr" -o json \
      >"$work/a.json" 2>"$work/a.err"
    rc=$?
    wait $wl
    if [ $rc -eq 0 ] && asan_clean "$work/a.err" && [ -s "$work/a.ctr" ]; then
      ok "cowtrace under ASan+LSan: 3 s, -i 0.05, --max-exited 64, --prom, --record, 3000 processes: clean"
    else
      bad "cowtrace under ASan+LSan, tracing (exit $rc)"; grep -E 'ERROR|SUMMARY|runtime error|^    #[0-3] ' "$work/a.err" | head -20 | sed 's/^/    /'
    fi
    # --stacks with user and kernel stacks over short-lived processes: maps read,
    # frames named, ended processes' stacks forgotten, flame graph and folded written
    # The workload starts once cowtrace is attached (its first interval report
    # is out): started together, a slow start under ASan once saw none of it.
    "$ct" -d 6 -i 0.5 --stacks=all --kernel-stacks --folded "$work/p/s.folded" --flamegraph "$work/p/s.svg" \
      --record "$work/s.ctr" -o json >"$work/s.json" 2>"$work/s.err" &
    ctp=$!
    n=0
    while [ ! -s "$work/s.json" ] && kill -0 $ctp 2>/dev/null && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
    "$work/w/churn" 2000 2 1 500 >/dev/null 2>&1 &
    wl=$!
    wait $ctp
    rc=$?
    wait $wl
    if [ $rc -eq 0 ] && asan_clean "$work/s.err" && [ -s "$work/p/s.folded" ]; then
      ok "cowtrace under ASan+LSan: --stacks=all --kernel-stacks, --folded, --flamegraph, 2000 processes: clean"
    else
      bad "cowtrace under ASan+LSan, --stacks (exit $rc)"; grep -E 'ERROR|SUMMARY|runtime error|^    #[0-3] ' "$work/s.err" | head -20 | sed 's/^/    /'
    fi
    # ended by SIGTERM while tracing
    "$ct" -i 0.05 --prom "$work/p/b.prom" -o json >"$work/b.json" 2>"$work/b.err" &
    cp=$!
    sleep 2; kill -TERM $cp; wait $cp; rc=$?
    if [ $rc -eq 0 ] && asan_clean "$work/b.err"; then ok "cowtrace under ASan+LSan: ended by SIGTERM: clean"
    else bad "cowtrace under ASan+LSan, SIGTERM (exit $rc)"; grep -E 'ERROR|SUMMARY|runtime error' "$work/b.err" | head | sed 's/^/    /'; fi
  fi
  # offline report of that record and of the committed fuzz seeds (no root needed)
  recs=("$work/a.ctr" tests/fuzz/corpus/record-cowfork-tp.ctr tests/fuzz/corpus/synthetic-all-types.ctr
        tests/fuzz/corpus/cut-mid-record.ctr tests/fuzz/corpus/corrupt-reserved.ctr tests/fuzz/corpus/version2.ctr)
  nrep=0 badrep=()
  for r in "${recs[@]}"; do
    [ -f "$r" ] || continue
    nrep=$((nrep + 1))
    "$ct" report "$r" -o json --prom "$work/p/r.prom" --svg "$work/p/r.svg" >/dev/null 2>"$work/r.err"
    rc=$?
    { [ $rc -le 2 ] && asan_clean "$work/r.err"; } || badrep+=("$(basename "$r") (exit $rc)")
  done
  if [ ${#badrep[@]} -eq 0 ]; then ok "cowtrace report under ASan+LSan: $nrep record files with --prom and --svg: clean"
  else bad "cowtrace report under ASan+LSan: ${badrep[*]}"; fi
  # records with stacks: folded, flame graph and the top stacks
  nst=0 badst=()
  for r in "$work/s.ctr" tests/fuzz/corpus/stacks-v2.ctr; do
    [ -f "$r" ] || continue
    nst=$((nst + 1))
    "$ct" report "$r" --folded "$work/p/r.folded" --flamegraph "$work/p/r.fg.svg" >/dev/null 2>"$work/r.err"
    rc=$?
    { [ $rc -eq 0 ] && asan_clean "$work/r.err" && [ -s "$work/p/r.folded" ]; } || badst+=("$(basename "$r") (exit $rc)")
    if command -v valgrind >/dev/null && [ -x .output/cowtrace ]; then
      valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
        --log-file="$work/vr.log" .output/cowtrace report "$r" -o json --folded "$work/p/v.folded" \
        --flamegraph "$work/p/v.fg.svg" >/dev/null 2>&1
      rc=$?
      { [ $rc -eq 0 ] && [ ! -s "$work/vr.log" ]; } || badst+=("valgrind $(basename "$r"): $(head -c 300 "$work/vr.log")")
    fi
  done
  if [ $nst -gt 0 ] && [ ${#badst[@]} -eq 0 ]; then
    ok "cowtrace report --folded --flamegraph under ASan+LSan and valgrind: $nst records with stacks: clean"
  else bad "cowtrace report of records with stacks: ${badst[*]:-none found}"; fi
  # the normal build of report under valgrind
  if command -v valgrind >/dev/null && [ -x .output/cowtrace ]; then
    vbad=()
    for r in "${recs[@]}"; do
      [ -f "$r" ] || continue
      valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
        --log-file="$work/vr.log" .output/cowtrace report "$r" -o json --prom "$work/p/v.prom" \
        --svg "$work/p/v.svg" >/dev/null 2>&1
      rc=$?
      { [ $rc -ne 99 ] && [ ! -s "$work/vr.log" ]; } || vbad+=("$(basename "$r"): $(head -c 300 "$work/vr.log")")
    done
    if [ ${#vbad[@]} -eq 0 ]; then ok "cowtrace report under valgrind --leak-check=full: $nrep record files: clean"
    else bad "cowtrace report under valgrind: ${vbad[*]}"; fi
  fi
fi
finish
