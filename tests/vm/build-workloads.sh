#!/usr/bin/env bash
# Build the VM test workloads (tests/workloads/*.c) as static binaries.
#
#   tests/vm/build-workloads.sh OUTDIR [NAME...]   (CC overrides the compiler, default cc)
#
# With NAMEs, only those workloads (tests/workloads/NAME.c) are built.
# Each workload is one C file; headers in tests/workloads/ are included, not linked.
# A line "/* cflags: FLAGS */" in a workload adds FLAGS to its build.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [NAME...]" >&2; exit 2; }
out=$1
shift
src=$(cd "$(dirname "$0")/../workloads" && pwd)
cc=${CC:-cc}
mkdir -p "$out"
files=()
for name in "$@"; do files+=("$src/$name.c"); done
[ $# -gt 0 ] || files=("$src"/*.c)
for f in "${files[@]}"; do
  name=$(basename "$f" .c)
  extra=$(sed -n 's|^/\* cflags: \(.*\) \*/$|\1|p' "$f")
  # shellcheck disable=SC2086 # FLAGS are words
  "$cc" -O2 -static -Wall -Wextra -Werror $extra -o "$out/$name" "$f" -lpthread
done
echo "build-workloads: built into $out" >&2
