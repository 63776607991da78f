# shellcheck shell=bash
# Headless Chromium for the test suites (sourced): find it, install it on
# request, run it with a throwaway profile.
#
#   find_chromium          prints the browser's path; CHROMIUM=/path overrides,
#                          CHROMIUM=none acts as if none were installed
#   need_chromium          sets $chromium (empty when missing); with
#                          COWTRACE_INSTALL=1 installs Debian's chromium first
#   chromium_run DIR ARGS  runs it headless (90 s at most), HOME and profile in
#                          DIR, its messages in DIR/chromium.log

find_chromium() {
  local c
  if [ -n "${CHROMIUM:-}" ]; then
    [ "$CHROMIUM" != none ] && command -v "$CHROMIUM"
    return
  fi
  for c in chromium chromium-browser google-chrome chrome-headless-shell; do
    command -v "$c" && return 0
  done
  return 1
}

need_chromium() {
  chromium=$(find_chromium)
  if [ -z "$chromium" ] && [ "${COWTRACE_INSTALL:-0}" = 1 ] && [ "${CHROMIUM:-}" != none ]; then
    echo "installing chromium (COWTRACE_INSTALL=1)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1
    chromium=$(find_chromium)
  fi
}

chromium_run() {
  local dir=$1; shift
  mkdir -p "$dir"
  HOME=$dir timeout -k 5 90 "$chromium" --headless --no-sandbox --disable-gpu \
    --disable-dev-shm-usage --disable-background-networking --disable-extensions \
    --disable-component-update --no-first-run --no-default-browser-check --mute-audio \
    --hide-scrollbars --force-device-scale-factor=1 --user-data-dir="$dir/profile" \
    "$@" 2>"$dir/chromium.log"
}

# The last lines of Chromium's messages worth showing (no D-Bus noise).
chromium_why() {
  grep -v -e dbus -e '^$' "$1/chromium.log" 2>/dev/null | tail -n "${2:-3}"
}
