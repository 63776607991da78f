#!/usr/bin/env bash
# Frontend benchmark (issue 5, part 3): aggregation throughput on a recorded
# stream of N events (default 10,000,000), and instructions per event from
# callgrind.  Usage: bench/frontend.sh [COWTRACE] [N]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ct=$(readlink -f "${1:-$top/.output/cowtrace}")
n=${2:-10000000}
out=$top/.output/bench
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -g -std=gnu11 -D_GNU_SOURCE -I"$top/include" -I"$top/src" "$top/bench/frontend.c" \
  "$top"/src/{agg,proctab,hist,record,plan,progs,stats}.c -o "$out/frontend"
"$out/frontend" gen "$tmp/big.ctr" "$n"
bytes=$(stat -c %s "$tmp/big.ctr")
cat "$tmp/big.ctr" >/dev/null   # page cache: time the frontend, not the disk
# 1. cowtrace report: read + parse + aggregate + one final report, best of 3.
best=
for _ in 1 2 3; do
  t0=$(date +%s.%N)
  "$ct" report "$tmp/big.ctr" -o json >"$tmp/out.json"
  t1=$(date +%s.%N)
  t=$(echo "$t1 - $t0" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
accounted=$(python3 -c "
import json; d=json.loads(open('$tmp/out.json').read().splitlines()[-1])
print(sum(p['copy']+p['reuse']+p['uffd_missing']+p['uffd_wp']+p['uffd_minor'] for p in d['processes']))")
# 2. aggregation alone, in memory (median of 3).
agg=$(for _ in 1 2 3; do "$out/frontend" agg "$n"; done | sort -n | sed -n 2p)
# 3. instructions per event: callgrind on 1M and 2M events, the difference / 1M
#    (start-up and the final report cancel out).
for m in 1000000 2000000; do
  "$out/frontend" gen "$tmp/c$m.ctr" $m
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$m" "$ct" report "$tmp/c$m.ctr" -o json \
    >/dev/null 2>"$tmp/cg.err.$m"
done
i1=$(grep -o 'Collected : [0-9]*' "$tmp/cg.err.1000000" | grep -o '[0-9]*$')
i2=$(grep -o 'Collected : [0-9]*' "$tmp/cg.err.2000000" | grep -o '[0-9]*$')
ipe=$(( (i2 - i1) / 1000000 ))
rate=$(echo "$n / $best" | bc -l)
printf '%-58s %s\n' "frontend: events in the recorded stream" "$n ($((bytes / 1048576)) MiB)"
printf '%-58s %s\n' "frontend: write-fault/uffd events accounted in the report" "$accounted"
printf '%-58s %.1f M events/s (%.2f s, best of 3)\n' "frontend: cowtrace report FILE (parse + aggregate + report)" \
  "$(echo "$rate / 1000000" | bc -l)" "$best"
printf '%-58s %.1f M events/s (median of 3)\n' "frontend: aggregation alone (agg_add, in memory)" \
  "$(echo "$agg / 1000000" | bc -l)"
printf '%-58s %s\n' "frontend: instructions per event (callgrind, report path)" "$ipe"
