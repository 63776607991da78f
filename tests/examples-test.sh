#!/usr/bin/env bash
# Examples suite: every example of the README, --help, the man page and
# doc/cowtrace_example.txt, run on Debian's redis-server and python3 and
# checked for what it promises, then the rest of a user's path
# (tests/examples/examples.py says what).
set -u
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/examples/examples.py" "$(readlink -f "${1:-.output/cowtrace}")"
