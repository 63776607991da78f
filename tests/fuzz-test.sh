#!/usr/bin/env bash
# Fuzz suite: the record-file reader and everything `cowtrace report` feeds
# from it (tests/fuzz/fuzz_record.c), under libFuzzer with ASan and UBSan
# (-fno-sanitize-recover=all: any report is a crash; LeakSanitizer is on).
#
#   tests/fuzz-test.sh            FUZZ_SECONDS (default 60) of fuzzing
#
#  1. build .output/fuzz/fuzz_record (with src/svg.c; without it if it does
#     not build, which is reported as a skipped check);
#  2. run every committed seed in tests/fuzz/corpus/ once;
#  3. fuzz for FUZZ_SECONDS with -max_len=65536 over a COPY of the corpus,
#     so CI runs never grow the committed corpus (new inputs stay in the
#     temp copy; a crashing input is kept in .output/fuzz/ and named).
# No root needed.  Ends with "fuzz: N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
out=.output/fuzz
pass=0 fail=0 skip=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
skipped() { echo "SKIP $*"; skip=$((skip + 1)); }
finish() { echo "fuzz: $pass passed, $fail failed, $skip skipped"; [ $fail -eq 0 ]; exit $?; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

cc=${FUZZ_CC:-clang}
flags=(-g -O1 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Iinclude -Isrc -fno-omit-frame-pointer
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
core=($(make -s print-CORE_SRCS | tr ' ' '\n' | grep -v '^src/svg.c$'))
if "$cc" "${flags[@]}" tests/fuzz/fuzz_record.c "${core[@]}" src/svg.c -lm -o "$out/fuzz_record" \
     2>"$work/build.log"; then
  ok "build $out/fuzz_record (ASan+UBSan+libFuzzer, with svg.c)"
elif "$cc" "${flags[@]}" -DFUZZ_NO_SVG tests/fuzz/fuzz_record.c "${core[@]}" -lm -o "$out/fuzz_record" \
     2>>"$work/build.log"; then
  ok "build $out/fuzz_record (ASan+UBSan+libFuzzer)"
  skipped "src/svg.c does not build into the harness: $(grep -m1 error "$work/build.log")"
else
  bad "build the fuzz harness: $(grep -m3 error "$work/build.log")"; finish
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# 2. Every committed seed once (the harness's own invariants included).
nseeds=0
for f in tests/fuzz/corpus/*; do
  [ -f "$f" ] || continue
  nseeds=$((nseeds + 1))
  if "$out/fuzz_record" -runs=1 -timeout=10 "$f" >"$work/one.log" 2>&1; then
    ok "seed $(basename "$f")"
  else
    bad "seed $(basename "$f"): $(grep -m2 -E 'ERROR|runtime error|invariant' "$work/one.log")"
    sed 's/^/    /' "$work/one.log" | grep -v '^    #[0-9]' | tail -20
  fi
done
[ "$nseeds" -ge 5 ] && ok "corpus has $nseeds seeds" || bad "corpus has only $nseeds seeds"

# 3. Bounded fuzzing over a copy of the corpus.
before=$(cd tests/fuzz/corpus && sha256sum -- * | sha256sum)
cp -r tests/fuzz/corpus "$work/corpus"
"$out/fuzz_record" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -dict=tests/fuzz/record.dict -print_final_stats=1 -artifact_prefix="$out/" \
  "$work/corpus" >"$work/fuzz.log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
newu=$(sed -n 's/^stat::new_units_added: *//p' "$work/fuzz.log")
cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$work/fuzz.log" | tail -1)
if [ $rc -eq 0 ] && grep -q '^Done [0-9]* runs' "$work/fuzz.log"; then
  ok "fuzzed ${secs}s: ${execs:-?} inputs, ${newu:-?} new, $cov, no crash, leak or UB"
else
  bad "fuzzing (exit $rc) after ${execs:-?} inputs: $(grep -m2 -E 'ERROR|runtime error|invariant' "$work/fuzz.log")"
  grep -E 'Test unit written|invariant|SUMMARY' "$work/fuzz.log" | sed 's/^/    /'
fi
# The committed corpus is untouched by the run.
if [ "$(cd tests/fuzz/corpus && sha256sum -- * | sha256sum)" = "$before" ]; then
  ok "committed corpus unchanged ($nseeds files)"
else
  bad "the committed corpus changed during the run"
fi
finish
