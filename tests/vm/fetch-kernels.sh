#!/usr/bin/env bash
# Fetch Debian kernel images for the VM suite into a cache outside the checkout.
#
#   tests/vm/fetch-kernels.sh [LABEL ...]     (default: every label below)
#
# Prints one line per requested kernel on stdout:
#   LABEL PATH-TO-vmlinuz RELEASE         the image is in the cache
#   LABEL - REASON...                     it could not be had (REASON says why)
# and exits 1 if any kernel could not be had (the others are still printed).
# Archive URIs are taken from this machine's own apt configuration at run time;
# package names are resolved from the archive's meta packages, never written
# down here.
#
# Environment:
#   COWTRACE_KERNEL_CACHE=DIR   cache (default ~/.cache/cowtrace/kernels)
#   COWTRACE_APT_KEYRING=FILE   keyring for signed-by (default: Debian's archive keyring)
set -euo pipefail

CACHE=${COWTRACE_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cowtrace/kernels}
mkdir -p "$CACHE"

# label | suites | meta package [| version family]
#
# The meta package's newest version names the image package (its
# linux-image-<abi> dependency).  With a version family, the suite's meta
# package has moved past the wanted series (trixie-backports now follows 7.x):
# the image is then the newest linux-image-<family>.* package of the same
# flavour (the meta package's suffix, "amd64") in those suites.
TARGETS=(
  "5.10|bullseye bullseye-security bullseye-updates|linux-image-amd64"
  "6.1|bookworm bookworm-security bookworm-updates|linux-image-amd64"
  "6.12|bookworm bookworm-security bookworm-updates|linux-image-6.12-amd64"
  "6.18|trixie-backports|linux-image-amd64|6.18"
  "7.3|trixie-backports|linux-image-amd64|7.3"
  "7.x|sid|linux-image-amd64"
)

log() { echo "fetch-kernels: $*" >&2; }

# The machine's Debian archive URIs: "debian" (main archive) and "security".
machine_uris() {
  {
    grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | sed 's/^URIs:[[:space:]]*//' | tr ' ' '\n'
    grep -hs '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
      sed -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | awk '{print $1}'
  } | grep -E '/debian(-security)?/?$' | sed 's:/*$::' | sort -u || true
}

main_uri=$(machine_uris | grep -v -- '-security$' | head -n1 || true)
sec_uri=$(machine_uris | grep -- '-security$' | head -n1 || true)

keyring=${COWTRACE_APT_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

# Keyrings under /usr/share/keyrings/ that hold key $1 (a key id or
# fingerprint, as apt's NO_PUBKEY / EXPKEYSIG messages print it).
keyrings_with_key() {
  local id=${1^^} k home
  home=$(mktemp -d)
  for k in /usr/share/keyrings/*.gpg /usr/share/keyrings/*.asc; do
    [ -f "$k" ] || continue
    if gpg --homedir "$home" --batch --no-default-keyring --keyring "$k" --with-colons \
         --list-keys 2>/dev/null | awk -F: '$1=="fpr"{print $10}' | grep -c -- "$id\$" >/dev/null; then
      echo "$k"
    fi
  done
  rm -rf "$home"
}

# Set up a private apt state for a set of suites (signed by the keyrings in
# $2, comma-separated); echo its apt options.
apt_state() {
  local suites=$1 keys=$2 dir=$3
  mkdir -p "$dir/lists/partial" "$dir/archives/partial" "$dir/etc/preferences.d"
  : >"$dir/etc/sources.list.new"
  local s
  for s in $suites; do
    case $s in
      *-security)
        if [ -n "$sec_uri" ]; then
          echo "deb [signed-by=$keys] $sec_uri $s main" >>"$dir/etc/sources.list.new"
        else
          log "no Debian security archive URI in this machine's apt configuration: $s left out"
        fi ;;
      *) echo "deb [signed-by=$keys] $main_uri $s main" >>"$dir/etc/sources.list.new" ;;
    esac
  done
  mv "$dir/etc/sources.list.new" "$dir/etc/sources.list"
  echo "-o Dir::Etc::SourceList=$dir/etc/sources.list -o Dir::Etc::SourceParts=- \
-o Dir::Etc::Preferences=$dir/etc/preferences -o Dir::Etc::PreferencesParts=$dir/etc/preferences.d \
-o Dir::State::Lists=$dir/lists -o Dir::State::status=/dev/null -o Dir::Cache=$dir \
-o Dir::Cache::archives=$dir/archives -o Debug::NoLocking=1 -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root"
}

# fetch_one LABEL SUITES META [FAMILY]: print "LABEL VMLINUZ RELEASE"; on
# failure write the reason to $why and exit non-zero (runs in a subshell).
why=
fail() { log "$label: $*"; echo "$*" >"$why"; exit 1; }

fetch_one() {
  label=$1 suites=$2 meta=$3 family=${4:-}
  [ -n "$main_uri" ] || fail "no Debian archive URI (…/debian) in this machine's apt configuration"
  local dir opts out keys=$keyring
  dir="$CACHE/apt/$(echo "$suites" | tr ' ' '_')"
  opts=$(apt_state "$suites" "$keys" "$dir")
  # Refresh the package lists at most once a day (stamp written on success only).
  if [ -z "$(find "$dir/stamp" -mmin -1440 2>/dev/null)" ]; then
    log "$label: updating package lists for: $suites"
    # shellcheck disable=SC2086
    out=$(apt-get $opts -q update 2>&1 >/dev/null) || true
    # A suite signed by a key the default keyring lacks: look for it in the
    # machine's other keyrings (never trusted=yes).
    local miss
    miss=$(echo "$out" | grep -oE 'NO_PUBKEY [0-9A-Fa-f]+' | awk '{print $2}' | sort -u || true)
    if [ -n "$miss" ]; then
      local id found
      for id in $miss; do
        found=$(keyrings_with_key "$id" | sed -n 1p)
        [ -n "$found" ] || fail "Release of $suites signed by key $id, which no keyring in /usr/share/keyrings/ has"
        log "$label: key $id is not in $keyring; found in $found, adding it to signed-by"
        keys="$keys,$found"
      done
      opts=$(apt_state "$suites" "$keys" "$dir")
      # shellcheck disable=SC2086
      out=$(apt-get $opts -q update 2>&1 >/dev/null) || true
    fi
    # apt-get update exits 0 on some per-source failures: judge from messages.
    if echo "$out" | grep -qE '^(E|W): .*(does not have a Release file|not signed|NO_PUBKEY|EXPKEYSIG|is expired|not valid yet|Failed to fetch|404)'; then
      fail "apt-get update for [$suites] from $main_uri failed: $(echo "$out" | grep -E '^(E|W):' | head -n3 | tr '\n' ' ')"
    fi
    echo "$out" | grep -E '^(E|W):' >&2 || true
    touch "$dir/stamp"
  fi
  # Every suite must have its index (else it is not in this machine's archive).
  local s
  for s in $suites; do
    case $s in *-security) [ -n "$sec_uri" ] || continue ;; esac
    compgen -G "$dir/lists/*_dists_${s}_*Release" >/dev/null ||
      fail "suite $s is not in this machine's archive ($main_uri)"
    # Expired Release files are accepted only if this machine's apt
    # configuration says so (Acquire::Check-Valid-Until); say it loudly.
    local vu
    vu=$(sed -n 's/^Valid-Until: //p' "$dir/lists/"*"_dists_${s}_"*Release 2>/dev/null | head -n1 || true)
    if [ -n "$vu" ] && [ "$(date -d "$vu" +%s 2>/dev/null || echo 0)" -lt "$(date +%s)" ]; then
      log "$label: WARNING: the Release file of $s expired on $vu (accepted by this machine's apt configuration: Acquire::Check-Valid-Until=$(apt-config dump Acquire::Check-Valid-Until | sed -n 's/.*"\(.*\)";/\1/p'))"
    fi
  done

  # Newest meta package -> the versioned image package it depends on.
  local dep depver
  # shellcheck disable=SC2086
  dep=$(apt-cache $opts show "$meta" 2>/dev/null | awk '/^Package:/{v=""} /^Version:/{v=$2} /^Depends:/{print v" "$0}' |
        sort -V | tail -n1 | sed -E 's/^[^ ]+ Depends:[[:space:]]*//' | tr ',' '\n' |
        sed -E 's/^[[:space:]]*//' | grep -E '^linux-image-[0-9]' | head -n1 || true)
  [ -n "$dep" ] || fail "cannot resolve $meta in [$suites] (no such package, or no linux-image-<version> dependency)"
  depver=$(echo "$dep" | sed -nE 's/.*\(= *([^)]+)\).*/\1/p')
  dep=${dep%% *}
  if [ -n "$family" ] && [[ $dep != linux-image-$family.* ]]; then
    local flavour=${meta#linux-image-} cand
    # shellcheck disable=SC2086
    cand=$(apt-cache $opts pkgnames linux-image-"$family". 2>/dev/null |
           grep -E "^linux-image-${family//./\\.}\.[0-9]+[^-]*-${flavour}\$" | sort -V | tail -n1 || true)
    [ -n "$cand" ] || fail "$meta in [$suites] now points at $dep, and there is no linux-image-$family.*-$flavour there any more"
    log "$label: $meta in [$suites] points at $dep; using the newest $family image there: $cand"
    dep=$cand depver=
  fi
  local kdir="$CACHE/$dep"
  if [ ! -s "$kdir/vmlinuz" ]; then
    log "$label: downloading $dep${depver:+ $depver}"
    local deb inner
    tmp=$(mktemp -d "$CACHE/.dl.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    # shellcheck disable=SC2086
    (cd "$tmp" && apt-get $opts -qq download "$dep${depver:+=$depver}" >&2) || fail "download of $dep failed"
    deb=$(ls "$tmp"/*.deb)
    # The image file: /boot/vmlinuz-REL, or (linux-binary-*, 6.19+)
    # /usr/lib/modules/REL/vmlinuz.  Where the image package is only a
    # dependency shell, follow it once (linux-image-X depends on
    # linux-binary-X, which has the file).
    local re='^\./(boot/vmlinuz-[^/]+|usr/lib/modules/[^/]+/vmlinuz)$' img
    img=$(dpkg-deb -c "$deb" | awk '{print $NF}' | grep -E "$re" | head -n1 || true)
    if [ -z "$img" ]; then
      inner=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/^[[:space:]]*//' |
              grep -E '^linux-(binary|image)-[0-9]' | head -n1 || true)
      [ -n "$inner" ] || fail "$dep has no vmlinuz and no linux-binary-/linux-image- dependency"
      local iname=${inner%% *} iver
      iver=$(echo "$inner" | sed -nE 's/.*\(= *([^)]+)\).*/\1/p')
      log "$label: $dep has no vmlinuz; downloading $iname${iver:+ $iver}"
      # shellcheck disable=SC2086
      (cd "$tmp" && rm -f ./*.deb && apt-get $opts -qq download "$iname${iver:+=$iver}" >&2) ||
        fail "download of $iname (the image files of $dep) failed"
      deb=$(ls "$tmp"/*.deb)
      img=$(dpkg-deb -c "$deb" | awk '{print $NF}' | grep -E "$re" | head -n1 || true)
      [ -n "$img" ] || fail "neither $dep nor $iname has /boot/vmlinuz-* or /usr/lib/modules/*/vmlinuz"
    fi
    local rel
    case $img in
      ./boot/*) rel=${img#./boot/vmlinuz-} ;;
      *) rel=${img#./usr/lib/modules/}; rel=${rel%/vmlinuz} ;;
    esac
    mkdir -p "$tmp/x" "$tmp/k"
    # (tar complains about a missing config-*; the image is checked below)
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp/x" --wildcards "$img" './boot/config-*' 2>/dev/null || true
    [ -s "$tmp/x/$img" ] || fail "could not extract $img from $(basename "$deb")"
    mv "$tmp/x/$img" "$tmp/k/vmlinuz"
    cp "$tmp/x/boot/config-$rel" "$tmp/k/config" 2>/dev/null || true
    echo "$rel" >"$tmp/k/release"
    rm -rf "$kdir"; mv "$tmp/k" "$kdir"
  fi
  local release
  release=$(cat "$kdir/release")
  case $label in
    *.x) [[ $release == "${label%.x}".* ]] || log "$label: WARNING: got $release" ;;
    *) [[ $release == "$label".* ]] || log "$label: WARNING: got $release, not a $label kernel" ;;
  esac
  echo "$label $kdir/vmlinuz $release"
}

want=("$@")
known=$(printf '%s\n' "${TARGETS[@]}" | cut -d'|' -f1)
for w in "${want[@]}"; do
  echo "$known" | grep -qxF -- "$w" || { log "unknown label $w"; echo "$w - unknown label (known: $(echo "$known" | xargs))"; failed=1; }
done
failed=${failed:-0}
for t in "${TARGETS[@]}"; do
  IFS='|' read -r label suites meta family <<<"$t"
  if [ ${#want[@]} -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qxF -- "$label"; then continue; fi
  why=$(mktemp)
  set +e
  (set -e; fetch_one "$label" "$suites" "$meta" "$family")
  rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    reason=$(cat "$why")
    echo "$label - ${reason:-fetch failed (exit $rc), see the fetch-kernels messages above}"
    failed=1
  fi
  rm -f "$why"
done
exit "$failed"
