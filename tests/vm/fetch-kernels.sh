#!/usr/bin/env bash
# Fetch Debian kernel images for the VM suite into a cache outside the checkout.
#
#   tests/vm/fetch-kernels.sh [LABEL ...]     (default: every label below)
#
# Prints "LABEL PATH-TO-vmlinuz RELEASE" per kernel on stdout.  Archive URIs are
# taken from this machine's own apt configuration at run time; package names
# are resolved from the archive's meta packages, never written down here.
set -euo pipefail

CACHE=${COWTRACE_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cowtrace/kernels}
mkdir -p "$CACHE"

# label | suites (first is where the meta package is looked up) | meta package
TARGETS=(
  "6.1|bookworm bookworm-security bookworm-updates|linux-image-amd64"
  "6.12|bookworm bookworm-security bookworm-updates|linux-image-6.12-amd64"
  "5.10|bullseye bullseye-security bullseye-updates|linux-image-amd64"
  "6.18|trixie-backports|linux-image-amd64"
  "7.x|sid|linux-image-amd64"
)

log() { echo "fetch-kernels: $*" >&2; }

# The machine's Debian archive URIs: "debian" (main archive) and "security".
machine_uris() {
  {
    grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | sed 's/^URIs:[[:space:]]*//' | tr ' ' '\n'
    grep -hs '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
      sed -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | awk '{print $1}'
  } | grep -E '/debian(-security)?/?$' | sed 's:/*$::' | sort -u
}

main_uri=$(machine_uris | grep -v -- '-security$' | head -n1 || true)
sec_uri=$(machine_uris | grep -- '-security$' | head -n1 || true)
[ -n "$main_uri" ] || { log "no Debian archive URI in this machine's apt configuration"; exit 1; }

keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# Set up a private apt state for a set of suites; echo its apt options.
apt_state() {
  local suites=$1 dir="$CACHE/apt/$(echo "$1" | tr ' ' '_')"
  mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/etc/preferences.d"
  : >"$dir/etc/sources.list.new"
  local s
  for s in $suites; do
    case $s in
      *-security)
        [ -n "$sec_uri" ] && echo "deb [signed-by=$keyring] $sec_uri $s main" >>"$dir/etc/sources.list.new" ;;
      *) echo "deb [signed-by=$keyring] $main_uri $s main" >>"$dir/etc/sources.list.new" ;;
    esac
  done
  mv "$dir/etc/sources.list.new" "$dir/etc/sources.list"
  echo "-o Dir::Etc::SourceList=$dir/etc/sources.list -o Dir::Etc::SourceParts=- \
-o Dir::Etc::Preferences=$dir/etc/preferences -o Dir::Etc::PreferencesParts=$dir/etc/preferences.d \
-o Dir::State::Lists=$dir/lists -o Dir::State::status=/dev/null -o Dir::Cache=$dir \
-o Dir::Cache::archives=$dir/archives -o Debug::NoLocking=1 -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root"
}

want=("$@")
for t in "${TARGETS[@]}"; do
  IFS='|' read -r label suites meta <<<"$t"
  if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qx -- "$label"; then continue; fi
  opts=$(apt_state "$suites")
  dir="$CACHE/apt/$(echo "$suites" | tr ' ' '_')"
  # Refresh the package lists at most once a day.
  if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
    log "$label: updating package lists for: $suites"
    # shellcheck disable=SC2086
    apt-get $opts -qq update >&2 || { log "$label: apt-get update failed"; exit 1; }
  fi
  # Newest meta package -> the versioned image package it depends on.
  # shellcheck disable=SC2086
  dep=$(apt-cache $opts show "$meta" 2>/dev/null | awk '/^Version:/{v=$2} /^Depends:/{print v" "$0}' |
        sort -V | tail -n1 | sed -E 's/^[^ ]+ Depends:[[:space:]]*//; s/[ ,(].*//')
  [ -n "$dep" ] || { log "$label: cannot resolve $meta"; exit 1; }
  kdir="$CACHE/$dep"
  if [ ! -s "$kdir/vmlinuz" ]; then
    log "$label: downloading $dep"
    tmp=$(mktemp -d "$CACHE/.dl.XXXXXX")
    # shellcheck disable=SC2086
    (cd "$tmp" && apt-get $opts -qq download "$dep" >&2) || { rm -rf "$tmp"; log "$label: download of $dep failed"; exit 1; }
    deb=$(ls "$tmp"/*.deb)
    # Where the image package is only a dependency shell, follow it once
    # (sid: linux-image-X depends on linux-binary-X, which has the files).
    if ! dpkg-deb -c "$deb" | grep -c '/boot/vmlinuz-' >/dev/null; then
      inner=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/^[[:space:]]*//; s/[ (].*//' | grep -E '^linux-(binary|image)-' | head -n1)
      [ -n "$inner" ] || { rm -rf "$tmp"; log "$label: $dep has no vmlinuz and no image dependency"; exit 1; }
      log "$label: $dep has no vmlinuz; downloading $inner"
      # shellcheck disable=SC2086
      (cd "$tmp" && rm -f ./*.deb && apt-get $opts -qq download "$inner" >&2) || { rm -rf "$tmp"; exit 1; }
      deb=$(ls "$tmp"/*.deb)
    fi
    mkdir -p "$tmp/x"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" --wildcards './boot/*'
    mkdir -p "$tmp/k"
    mv "$tmp"/x/boot/vmlinuz-* "$tmp/k/vmlinuz"
    cp "$tmp"/x/boot/config-* "$tmp/k/config" 2>/dev/null || true
    basename "$(ls "$tmp"/x/boot/config-* 2>/dev/null || echo "$deb")" | sed 's/^config-//' >"$tmp/k/release"
    rm -rf "$kdir"; mv "$tmp/k" "$kdir"; rm -rf "$tmp"
  fi
  echo "$label $kdir/vmlinuz $(cat "$kdir/release")"
done
