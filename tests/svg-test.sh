#!/usr/bin/env bash
# SVG suite: `cowtrace report REC --svg OUT.svg` on a synthetic record whose
# picture is known by construction, checked as XML and as pixels.
#  - a record file written byte for byte per src/record.h: redis-server (pid
#    100) forks redis-rdb-bgsave (101) at t=1 s; the child copies 3000 pages
#    over 1..4 s, the parent 800 (16 of them pinned at fork), a third process
#    with a comm full of XML specials copies 40;
#  - the SVG is well-formed XML, self-contained (no scripts, no external
#    references), has one line per process with the right totals and a fork
#    marker at 1 s;
#  - headless Chromium renders it; the PNG (decoded with the python3 stdlib)
#    holds each line's colour inside the plot, the child's line reaches higher
#    than the parent's, where the SVG says, and starts at the fork;
#  - an empty record gives a valid SVG that says "no copies recorded".
# Needs python3; the render checks need chromium (Debian package `chromium`):
# skipped when it is missing, installed first when COWTRACE_INSTALL=1.
set -u
ct=$(readlink -f "${1:-.output/cowtrace}")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/chromium.sh
. "$here/lib/chromium.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0 skip=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
skipped() { echo "SKIP $*"; skip=$((skip + 1)); }
finish() { echo "svg: $pass passed, $fail failed, $skip skipped"; [ $fail -eq 0 ]; exit $?; }

command -v python3 >/dev/null || { bad "python3 not installed"; finish; }
[ -x "$ct" ] || { bad "no cowtrace binary at '$ct'"; finish; }

# ---- (a) record files ----
py() { PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$here/lib" python3 "$@"; }
py - "$ct" "$work/bgsave.ctr" "$work/empty.ctr" <<'PY' || { bad "cannot write the record files"; finish; }
import random, struct, sys
import cowstats

# The header describes every statistic of cowtrace's table (`cowtrace stats`).
TABLE = cowstats.load(sys.argv[1])
STATS = TABLE.names
HOOK = {"pinned_cow": "copy_present_page", "marker_install": "unmap_page_range",
        "uffd_missing": "handle_userfault", "uffd_wp": "handle_userfault",
        "uffd_minor": "handle_userfault", "uffd_blocked": "handle_userfault",
        "thp_reuse": "do_huge_pmd_wp_page", "thp_split": "do_huge_pmd_wp_page"}
EV_PINNED, EV_FORK, EV_EXIT = 4, 5, 6
(EV_WP, WP_REUSE), (_, WP_COPY_ANON), (_, WP_COPY_ZERO) = (TABLE.raw[s] for s in ("reuse", "copy_anon", "copy_zero"))
FORK_BOTH = 3  # CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED
S = 10**9
T0 = 81234 * S + 567890123  # monotonic clock: the machine's uptime

def header(start_mono):
    text = "kernel=6.1.0-18-amd64\nmode=fentry\n"
    for s in STATS:
        text += "stat=%s\t%s\tfentry\t%s\t\n" % (
            s, HOOK.get(s, "do_wp_page"), "derived" if s == "copied_bytes" else "exact")
    t = text.encode()
    fixed = b"COWTRACE" + struct.pack("<IIIIQQII", 1, 48 + len(t), 64, 4096, start_mono,
                                      1700000000 * S + start_mono % S, len(t), 0)
    assert len(fixed) == 48
    return fixed + t

def event(ts, typ, pid, comm, kind=0, value=0, aux=0, ppid=1, tid=None):
    c = comm.encode()[:15].ljust(16, b"\0")  # TASK_COMM_LEN: 15 bytes and a NUL
    payload = struct.pack("<QQIIIIHHI16sQ", ts, value, pid, tid or pid, ppid, aux, typ, kind,
                          0, c, 4242)
    assert len(payload) == 64
    return struct.pack("<HHI", 1, len(payload), 0) + payload

def stats(end):
    return struct.pack("<HHI", 3, 24, 0) + struct.pack("<QQQ", 0, 0, end)

rnd = random.Random(20240501)
evs = []
def add(ts, *a, **k):
    evs.append((ts, len(evs), event(ts, *a, **k)))

# redis-server serves writes before the snapshot: reuses only.
for i in range(200):
    add(T0 + i * 5 * 10**6, EV_WP, 100, "redis-server", WP_REUSE, value=900)
tf = T0 + S
add(tf, EV_PINNED, 100, "redis-server", value=16, aux=101)
add(tf, EV_FORK, 100, "redis-server", FORK_BOTH, value=16, aux=101)
# The child renames itself and writes the snapshot: 3000 copies over 1..4 s,
# dense at first (every page is still shared), then thinning out.
for i in range(3000):
    add(tf + 20000 + int(3 * S * rnd.random() ** 1.7), EV_WP, 101, "redis-rdb-bgsave",
        WP_COPY_ANON if i % 10 else WP_COPY_ZERO, value=2600, ppid=100)
# The parent keeps serving writes: 784 copies spread over the same time.
for i in range(784):
    add(tf + 50000 + int(3 * S * rnd.random()), EV_WP, 100, "redis-server", WP_COPY_ANON,
        value=2100, tid=100 + 1000 * (i % 3))
for i in range(300):
    add(tf + int(3.2 * S * rnd.random()), EV_WP, 100, "redis-server", WP_REUSE, value=800)
# A bystander with a hostile comm copies a few pages.
for i in range(40):
    add(T0 + int(4.5 * S * rnd.random()), EV_WP, 200, "cr&n<\"x'>d", WP_COPY_ANON, value=1500)
add(tf + 3 * S + 2 * 10**8, EV_EXIT, 101, "redis-rdb-bgsave", ppid=100)
evs.sort()
with open(sys.argv[2], "wb") as f:
    f.write(header(T0))
    for _, _, b in evs:
        f.write(b)
    f.write(stats(T0 + int(4.6 * S)))
with open(sys.argv[3], "wb") as f:
    f.write(header(T0))
    f.write(stats(T0 + 2 * S))
PY
ok "record files written (bgsave: $(stat -c %s "$work/bgsave.ctr") bytes)"
# The record's plan is the header's: every statistic of the table, none "not in the record's probe plan".
"$ct" report "$work/bgsave.ctr" -o json >"$work/report.json" 2>"$work/err"; rc=$?
why=$(py - "$ct" "$work/report.json" <<'PY'
import json, sys
import cowstats
names = cowstats.load(sys.argv[1]).names
try:
    probes = json.loads(open(sys.argv[2]).read().splitlines()[-1])["probes"]
except (IndexError, KeyError, ValueError) as e:
    sys.exit(print("no JSON report: %s" % e))
want = {s: "derived" if s == "copied_bytes" else "exact" for s in names}
bad = ["%s %s" % (s, (probes.get(s) or {}).get("quality")) for s in names if (probes.get(s) or {}).get("quality") != want[s]]
print("; ".join(bad[:5]) if bad else "", end="")
print(" (of %d)" % len(names) if bad else "", end="")
PY
)
if [ $rc -eq 0 ] && [ -z "$why" ]; then ok "the record's plan has every statistic of 'cowtrace stats' as its header says"
else bad "the record's plan has every statistic of 'cowtrace stats': exit $rc, $why $(head -c 200 "$work/err")"; fi

# ---- (b) cowtrace report --svg ----
"$ct" report "$work/bgsave.ctr" --svg "$work/out.svg" >"$work/report.txt" 2>"$work/err"; rc=$?
if [ $rc -eq 0 ] && [ -s "$work/out.svg" ]; then ok "report --svg: exit 0, $(stat -c %s "$work/out.svg") bytes"
else bad "report --svg: exit $rc, $(head -c 300 "$work/err")"; finish; fi
"$ct" report "$work/empty.ctr" --svg "$work/empty.svg" >/dev/null 2>"$work/err"; rc=$?
[ $rc -eq 0 ] && [ -s "$work/empty.svg" ] && ok "report --svg on an empty record: exit 0" ||
  bad "report --svg on an empty record: exit $rc, $(head -c 300 "$work/err")"

# ---- (c) well-formed, self-contained, the expected content ----
# Prints "PASS ..."/"FAIL ..." lines; stdout is counted below.
check_xml() {
python3 - "$@" <<'PY'
import re, sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
def res(ok, what):
    print(("PASS " if ok else "FAIL ") + what)

def load(path):
    raw = open(path, "rb").read()
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as e:
        res(False, "%s: not well-formed XML: %s" % (path.rsplit("/", 1)[-1], e))
        return None, raw
    res(root.tag == NS + "svg", "%s: well-formed XML, root <svg> in the SVG namespace" %
        path.rsplit("/", 1)[-1])
    return root, raw

def self_contained(root, raw, name):
    why = []
    for el in root.iter():
        tag = el.tag.replace(NS, "")
        if tag in ("script", "foreignObject", "image", "iframe", "object", "embed"):
            why.append("<%s>" % tag)
        for k, v in el.attrib.items():
            if k.endswith("href") and not v.startswith("#"):
                why.append("%s=%r" % (k, v))
            if k.startswith("on"):
                why.append("event handler %s" % k)
            if "url(" in v and not re.fullmatch(r".*url\(#[^)]*\).*", v):
                why.append("%s=%r" % (k, v))
        if tag == "style" and el.text and ("@import" in el.text or "url(" in el.text):
            why.append("<style> with an external reference")
    text = raw.decode("utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "", 1)
    for m in re.finditer(r"(https?|ftp|file):|<\?xml-stylesheet|<!DOCTYPE|<!ENTITY", text):
        why.append(repr(m.group(0)))
    res(not why, "%s: self-contained%s" % (name, (": " + ", ".join(why[:5])) if why else ""))

def texts(root):
    return ["".join(t.itertext()) for t in root.iter(NS + "text")]

out, empty = sys.argv[1], sys.argv[2]
root, raw = load(out)
if root is not None:
    self_contained(root, raw, "out.svg")
    lines = {l.get("data-pid"): l for l in root.iter(NS + "polyline")}
    want = {"101": 3000, "100": 800, "200": 40}
    got = {p: int(l.get("data-total", -1)) for p, l in lines.items()}
    res(got == want, "one line per process with its total: %s" % got)
    colours = {l.get("stroke") for l in lines.values()}
    res(len(colours) == len(lines), "line colours distinct: %s" % sorted(colours))
    t = texts(root)
    for label in ("redis-rdb-bgsav (101)", "redis-server (100)", "cr&n<\"x'>d (200)"):
        res(label in t, "legend entry %r" % label)
    res(any("16 at fork" in s for s in t), "legend shows the 16 pages pinned-COW at fork")
    # The fork marker sits on the x tick labelled "1" (1 s after the first event).
    ticks = {}
    for g in root.iter(NS + "g"):
        if g.get("class") == "ticks":
            for el in g.iter(NS + "text"):
                if el.get("text-anchor") == "middle":
                    ticks[el.text] = float(el.get("x"))
    marks = [float(l.get("x1")) for g in root.iter(NS + "g") if g.get("class") == "forks"
             for l in g.iter(NS + "line")]
    res("1" in ticks and len(marks) == 1 and abs(marks[0] - ticks["1"]) < 3,
        "one fork marker, at 1 s (marker x %s, tick '1' at x %s)" % (marks, ticks.get("1")))
    res(any(s == "fork" for s in t), "fork marker labelled")
    res(not any("no copies recorded" in s for s in t), "no 'no copies recorded' on a chart with copies")
root, raw = load(empty)
if root is not None:
    self_contained(root, raw, "empty.svg")
    res(any("no copies recorded" in s for s in texts(root)), "empty record: says 'no copies recorded'")
    res(not list(root.iter(NS + "polyline")), "empty record: no lines")
PY
}
while read -r verdict rest; do
  case $verdict in
    PASS) ok "$rest" ;;
    FAIL) bad "$rest" ;;
    *) bad "xml check: $verdict $rest" ;;
  esac
done < <(check_xml "$work/out.svg" "$work/empty.svg" 2>&1)

# ---- (d) render with headless Chromium ----
render_checks=(render "PNG size" "image not blank" "line colours in the plot"
  "child line higher than parent line" "line tops where the SVG puts them"
  "child line starts at the fork")
need_chromium
why=
[ -z "$chromium" ] && why="chromium not installed; COWTRACE_INSTALL=1 installs it"
# The SVG's own size is the window: 1 SVG unit = 1 pixel.
read -r W H < <(python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot(); print(int(r.get("width")), int(r.get("height")))' \
  "$work/out.svg" 2>/dev/null)
[ -z "$why" ] && [ -z "${H:-}" ] && why="out.svg has no width and height (failed above)"
if [ -n "$why" ]; then
  for n in "${render_checks[@]}"; do skipped "$n ($why)"; done
  finish
fi
render() { # svg png
  chromium_run "$work/chromium" --window-size="$W,$H" --screenshot="$2" "file://$1" >/dev/null
}
render "$work/out.svg" "$work/out.png"; rc=$?
if [ $rc -eq 0 ] && [ -s "$work/out.png" ]; then ok "render: $($chromium --version 2>/dev/null | head -n1), ${W}x$H"
else
  bad "render: $chromium exit $rc: $(chromium_why "$work/chromium")"
  finish
fi
[ -n "${COWTRACE_SVG_KEEP:-}" ] && cp "$work/out.svg" "$work/out.png" "$COWTRACE_SVG_KEEP/"

# ---- (e) look at the pixels ----
look() {
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$here/lib" python3 - "$work/out.svg" "$work/out.png" <<'PY'
import sys
import xml.etree.ElementTree as ET
from pngread import hexrgb, read_png

def res(ok, what):
    print(("PASS " if ok else "FAIL ") + what)

NS = "{http://www.w3.org/2000/svg}"
try:
    svg = ET.parse(sys.argv[1]).getroot()
    w, h, rows = read_png(sys.argv[2])
    plot = next(e for e in svg.iter(NS + "rect") if e.get("id") == "plot")
except Exception as e:
    res(False, "pixel check: %s: %s" % (type(e).__name__, e))
    sys.exit(0)
res((w, h) == (int(svg.get("width")), int(svg.get("height"))), "PNG is %dx%d like the SVG" % (w, h))

# Not blank: mostly white background, but a real amount of ink in several colours.
ink = sum(1 for r in rows for p in r if p != (255, 255, 255))
colours = len({p for r in rows for p in r})
res(w * h * 0.01 < ink < w * h * 0.5 and colours > 20,
    "image not blank: %d non-white pixels (%.1f%%), %d colours" % (ink, 100.0 * ink / (w * h), colours))

px, py = float(plot.get("x")), float(plot.get("y"))
pw, ph = float(plot.get("width")), float(plot.get("height"))
x0, x1, y0, y1 = int(px) + 2, int(px + pw) - 1, int(py) + 1, int(py + ph) - 1

lines = {l.get("data-pid"): l for l in svg.iter(NS + "polyline")}
found = {}
for pid, l in sorted(lines.items()):
    c = hexrgb(l.get("stroke"))
    pts = [(x, y) for x in range(x0, x1) for y in range(y0, y1)
           if max(abs(a - b) for a, b in zip(rows[y][x], c)) <= 16]
    found[pid] = pts
    res(len(pts) >= 30, "colour %s of pid %s's line: %d pixels inside the plot" % (l.get("stroke"), pid, len(pts)))

def svg_top(l):
    return min(float(p.split(",")[1]) for p in l.get("points").split())

if not (found.get("101") and found.get("100")):
    res(False, "child (101) and parent (100) lines both visible: cannot compare them")
else:
    top_c, top_p = min(y for _, y in found["101"]), min(y for _, y in found["100"])
    res(top_c + 100 < top_p, "child (3000 pages) reaches higher than parent (800): top y %d vs %d" % (top_c, top_p))
    want_c, want_p = svg_top(lines["101"]), svg_top(lines["100"])
    res(abs(top_c - want_c) <= 4 and abs(top_p - want_p) <= 4,
        "line tops where the SVG puts them: child %d (svg %.1f), parent %d (svg %.1f)" %
        (top_c, want_c, top_p, want_p))
    fork = [float(e.get("x1")) for g in svg.iter(NS + "g") if g.get("class") == "forks"
            for e in g.iter(NS + "line")]
    left_c = min(x for x, _ in found["101"])
    res(bool(fork) and abs(left_c - fork[0]) <= 4,
        "child's line starts at the fork marker: x %d, marker %s" % (left_c, fork))
PY
}
while read -r verdict rest; do
  case $verdict in
    PASS) ok "$rest" ;;
    FAIL) bad "$rest" ;;
    *) bad "pixel check: $verdict $rest" ;;
  esac
done < <(look 2>&1)
finish
