#!/usr/bin/env bash
# Install suite: `make install` into a temporary DESTDIR (PREFIX=/usr), then
# check what a packager or an admin gets:
#  - every file in place with the right mode; the unit's ExecStart rewritten;
#  - the installed binary runs --version and --help;
#  - the man page renders without groff warnings, `man -l` shows its
#    sections, and it documents every option `cowtrace --help` lists (so the
#    docs cannot drift from the code);
#  - the bash completion sources, completes options and their values, offers
#    every --help option, and is found by bash-completion's on-demand loader;
#  - `systemd-analyze verify` accepts the unit;
#  - `make uninstall` removes every file.
# Needs no root.  Usage: tests/install-test.sh [path/to/cowtrace]
# One line per check: "PASS name", "FAIL name" (details indented below) or
# "SKIP name (reason)"; last line "install: N passed, N failed, N skipped".
# shellcheck disable=SC2015  # "cond && ok ... || bad ...": ok always succeeds
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=$(readlink -f "${1:-.output/cowtrace}" 2>/dev/null)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C.UTF-8 MANPAGER=cat PAGER=cat
unset MANPATH MANOPT

pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() {
  echo "FAIL $1"; fail=$((fail + 1)); shift
  [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/    /'
  return 0
}
skipped() { echo "SKIP $1 ($2)"; skip=$((skip + 1)); }
finish() {
  echo "install: $pass passed, $fail failed, $skip skipped"
  [ "$fail" -eq 0 ]; exit $?
}

if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  bad "binary ${1:-.output/cowtrace} exists (run make first)"; finish
fi

# ---- make install --------------------------------------------------------
# The Makefile installs $(OUTPUT)/cowtrace; give it a private OUTPUT holding
# the binary under test, and -o so make never tries to rebuild it.
dest=$work/dest
mkdir -p "$work/out"
cp -p "$bin" "$work/out/cowtrace"
if out=$(make -C "$root" --no-print-directory -o "$work/out/cowtrace" \
        OUTPUT="$work/out" DESTDIR="$dest" PREFIX=/usr install 2>&1); then
  ok "make install DESTDIR=... PREFIX=/usr"
else
  bad "make install DESTDIR=... PREFIX=/usr" "$out"; finish
fi

sbin=$dest/usr/sbin/cowtrace
man8=$dest/usr/share/man/man8/cowtrace.8
comp=$dest/usr/share/bash-completion/completions/cowtrace
unit=$dest/usr/lib/systemd/system/cowtrace.service
for f in "$sbin:755" "$man8:644" "$comp:644" "$unit:644"; do
  path=${f%:*} want=${f##*:} rel=${path#"$dest"/}
  if [ ! -f "$path" ]; then bad "installed $rel" "missing"
  elif [ "$(stat -c %a "$path")" != "$want" ]; then
    bad "installed $rel mode 0$want" "mode is 0$(stat -c %a "$path")"
  else ok "installed $rel mode 0$want"; fi
done
# Nothing else lands in DESTDIR.
extra=$(cd "$dest" && find . -type f -o -type l | sed 's|^\./||' | grep -vxF \
  -e usr/sbin/cowtrace -e usr/share/man/man8/cowtrace.8 \
  -e usr/share/bash-completion/completions/cowtrace -e usr/lib/systemd/system/cowtrace.service)
[ -z "$extra" ] && ok "no other files installed" || bad "no other files installed" "$extra"
cmp -s "$bin" "$sbin" && ok "installed binary is the one under test" \
  || bad "installed binary is the one under test"

exec_line=$(grep '^ExecStart=' "$unit" 2>/dev/null)
if [[ $exec_line == "ExecStart=/usr/sbin/cowtrace "* ]]; then ok "unit ExecStart is PREFIX/sbin/cowtrace"
else bad "unit ExecStart is PREFIX/sbin/cowtrace" "${exec_line:-no ExecStart= line}"; fi

# ---- the installed binary ------------------------------------------------
version=$(cat "$root/VERSION" 2>/dev/null)
if out=$("$sbin" --version 2>&1) && [ "$out" = "cowtrace $version" ]; then
  ok "cowtrace --version prints 'cowtrace $version'"
else bad "cowtrace --version prints 'cowtrace $version'" "exit $?: $out"; fi

help=$("$sbin" --help 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^Usage: cowtrace' <<<"$help" && grep -q -- '--pid' <<<"$help"; then
  ok "cowtrace --help"
else bad "cowtrace --help" "exit $rc" "$help"; fi
# Options in --help: "  -p, --pid=PID   ..." and "      --mode=MODE ...".
help_long=$(grep -oE '^ {2,}(-[^ ], )?--[a-z][a-z0-9-]*' <<<"$help" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
help_short=$(grep -oE '^ {2,}-[^- ],' <<<"$help" | grep -oE -- '-[^ ,]' | sort -u)

# The statistics' names, from the table that defines them.
stats_names() {
  "$bin" stats -o json | python3 -c 'import json,sys; print(" ".join(s["name"] for s in json.load(sys.stdin)["statistics"]))'
}

# ---- man page ------------------------------------------------------------
if ! command -v groff >/dev/null; then
  skipped "man page renders without groff warnings" "groff not installed"
else
  out=$(groff -man -Tutf8 -ww -z "$man8" 2>&1)
  [ -z "$out" ] && ok "man page renders without groff warnings (groff -ww)" \
    || bad "man page renders without groff warnings (groff -ww)" "$out"
fi
if ! command -v man >/dev/null; then
  skipped "man -l" "man-db not installed"
else
  # As lintian checks man pages.
  out=$(MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$man8" 2>&1 >/dev/null)
  [ -z "$out" ] && ok "man --warnings is silent" || bad "man --warnings is silent" "$out"

  # Wide, with hyphenated line ends joined, so that no option is split.
  MANWIDTH=250 man -l "$man8" 2>"$work/man.err" | col -b \
    | LC_ALL=C sed -z 's/\xe2\x80\x90\n *//g; s/\xe2\x88\x92/-/g' >"$work/man.txt"
  missing=
  for s in NAME SYNOPSIS DESCRIPTION OPTIONS SUBCOMMANDS OUTPUT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
    grep -qx "$s" "$work/man.txt" || missing="$missing '$s'"
  done
  if [ -z "$missing" ]; then ok "man -l shows OPTIONS and the other sections"
  else bad "man -l shows OPTIONS and the other sections" "missing:$missing" "$(cat "$work/man.err")"; fi

  found=$(MANPATH=$dest/usr/share/man man -w 8 cowtrace 2>&1)
  [ "$found" = "$man8" ] && ok "man finds cowtrace(8) under PREFIX/share/man" \
    || bad "man finds cowtrace(8) under PREFIX/share/man" "$found"

  # Every option --help lists is documented (help -> man).
  tr -s ' \t,;:[]{}()|="' '\n' <"$work/man.txt" | sed 's/\.*$//' | sort -u >"$work/man.words"
  missing=
  for o in $help_long $help_short; do
    grep -qxF -e "$o" "$work/man.words" || missing="$missing $o"
  done
  n=$(wc -w <<<"$help_long $help_short")
  if [ -z "$help_long" ]; then bad "man page documents every --help option" "no options parsed from --help"
  elif [ -z "$missing" ]; then ok "man page documents all $n options of --help"
  else bad "man page documents every --help option" "not in the man page:$missing"; fi

  # Every statistic of the table (cowtrace stats) is documented (table -> man).
  stats=$(stats_names)
  missing=
  for st in $stats; do grep -qxF -e "$st" "$work/man.words" || missing="$missing $st"; done
  n=$(wc -w <<<"$stats")
  if [ -z "$stats" ]; then bad "man page documents every statistic" "no statistics from 'cowtrace stats -o json'"
  elif [ -z "$missing" ]; then ok "man page documents all $n statistics of 'cowtrace stats'"
  else bad "man page documents every statistic" "not in the man page:$missing"; fi
fi

# ---- bash completion -----------------------------------------------------
# complete LINE...: the words of a command line (the last is being completed);
# prints COMPREPLY one per line.  $1 is a setup snippet run first.
complete_words() {
  local setup=$1; shift
  bash --norc --noprofile -c '
    eval "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    fn=$(complete -p cowtrace 2>/dev/null | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
    [ -n "$fn" ] || { echo "no completion registered for cowtrace" >&2; exit 1; }
    "$fn" cowtrace "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
    printf "%s\n" "${COMPREPLY[@]}"' complete_words "$setup" "$@"
}
src="source '$comp'"
out=$(bash --norc --noprofile -c "$src && complete -p cowtrace" 2>&1)
if [[ $out == *"-F _cowtrace"*" cowtrace" ]]; then ok "completion sources and registers _cowtrace"
else bad "completion sources and registers _cowtrace" "$out"; fi
expect_completion() { # NAME EXPECTED(space-separated, sorted) WORDS...
  local name=$1 want=$2 got; shift 2
  got=$(complete_words "$src" "$@" 2>&1 | sort | xargs)
  [ "$got" = "$want" ] && ok "$name" || bad "$name" "want: $want" "got:  $got"
}
expect_completion "completion: cowtrace --prom-l -> --prom-labels" "--prom-labels" cowtrace --prom-l
expect_completion "completion: --prom-labels values" "cgroup comm pid" cowtrace --prom-labels ''
expect_completion "completion: --prom-labels=c" "cgroup comm" cowtrace --prom-labels = c
expect_completion "completion: -o values" "json text" cowtrace -o ''
expect_completion "completion: --mode values" "fentry kprobe tracepoint" cowtrace --mode ''
# --stacks kinds: the ones --help lists, from the table of kinds (help -> completion)
kinds=$("$bin" --help | tr -s ' \n' ' ' | sed -n 's/.*(KINDS: \(.*\) or all, comma-separated.*/\1 all/p' | tr -d , | tr ' ' '\n' | sort | xargs)
[ -n "$kinds" ] || bad "completion: --stacks kinds" "no kinds parsed from --help"
[ -n "$kinds" ] && expect_completion "completion: --stacks kinds" "$kinds" cowtrace --stacks ''
expect_completion "completion: subcommands" "predict probes report stats" cowtrace ''
expect_completion "completion: report options" "--svg" cowtrace report --s
mkdir -p "$work/c/sub" && touch "$work/c/run.ctr"
expect_completion "completion: report FILE" "$work/c/run.ctr" cowtrace report "$work/c/ru"
expect_completion "completion: --record FILE" "$work/c/run.ctr" cowtrace --record "$work/c/r"
expect_completion "completion: -c directories" "$work/c/sub" cowtrace -c "$work/c/"
got=$(complete_words "$src" cowtrace -p '' 2>&1)
grep -qx "$$" <<<"$got" && ! grep -qv '^[0-9]*$' <<<"$got" && ok "completion: -p pids" \
  || bad "completion: -p pids" "pid $$ not offered, or not only pids: $(head -c 200 <<<"$got")"
# Every long option --help lists is offered, for cowtrace or one of its
# subcommands (help -> completion).
offered=$(for sub in '' predict probes report stats; do complete_words "$src" cowtrace ${sub:+"$sub"} --; done 2>&1)
missing=
for o in $help_long; do grep -qxF -e "$o" <<<"$offered" || missing="$missing $o"; done
[ -z "$missing" ] && ok "completion offers every long option of --help" \
  || bad "completion offers every long option of --help" "not offered:$missing"

bc=/usr/share/bash-completion/bash_completion
if [ ! -r "$bc" ]; then
  skipped "bash-completion loads it from PREFIX/share" "bash-completion not installed"
else
  # bash-completion's on-demand loader finds completions/cowtrace in XDG_DATA_DIRS.
  lazy="source '$bc'; __load_completion cowtrace"
  got=$(XDG_DATA_DIRS=$dest/usr/share BASH_COMPLETION_USER_DIR=$work/none \
        complete_words "$lazy" cowtrace --prom-l 2>&1)
  [ "$got" = "--prom-labels" ] && ok "bash-completion loads it from PREFIX/share" \
    || bad "bash-completion loads it from PREFIX/share" "got: $got"
fi

# ---- systemd unit --------------------------------------------------------
if ! command -v systemd-analyze >/dev/null; then
  skipped "systemd-analyze verify" "systemd-analyze not installed"
else
  # A copy whose ExecStart is the binary in DESTDIR (verify checks that it is
  # executable), and MANPATH so Documentation=man:cowtrace(8) resolves.
  mkdir -p "$work/unit"
  sed "s|^ExecStart=/usr/sbin/|ExecStart=$dest/usr/sbin/|" "$unit" >"$work/unit/cowtrace.service"
  out=$(cd "$work/unit" && MANPATH=$dest/usr/share/man systemd-analyze verify "$work/unit/cowtrace.service" 2>&1)
  rc=$?
  [ $rc -eq 0 ] && [ -z "$out" ] && ok "systemd-analyze verify cowtrace.service" \
    || bad "systemd-analyze verify cowtrace.service" "exit $rc" "$out"
fi

# ---- make uninstall ------------------------------------------------------
if out=$(make -C "$root" --no-print-directory OUTPUT="$work/out" DESTDIR="$dest" PREFIX=/usr uninstall 2>&1); then
  left=$(find "$dest" -type f)
  [ -z "$left" ] && ok "make uninstall removes every file" || bad "make uninstall removes every file" "$left"
else
  bad "make uninstall removes every file" "$out"
fi
finish
