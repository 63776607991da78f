"""Checks of tests/stacks-test.sh: cowtrace --stacks against workload ground truth.

  python3 stackscheck.py PHASE WORK

reads the files tests/stacks-test.sh left in WORK and prints one line per
check: "PASS what", "FAIL what: why", "SKIP what (why)", or "INFO text" (not
counted).  Phases: stackfork, replay, flamegraph, pixels, speedscope, pygc.
The ground truth is the workloads' TRUTH lines, never cowtrace's output.
"""
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the checkout (pngread is imported from here)
import xml.etree.ElementTree as ET
from folded import parse_folded  # noqa: E402 (tests/lib, on the path: this file's folder)
from privdirty import copy_bounds  # noqa: E402
from html.parser import HTMLParser

NS = "{http://www.w3.org/2000/svg}"
FUNCS = ("write_heap_pages", "write_stack_pages", "write_file_pages", "write_mmap_pages")


def res(ok, what, why=""):
    print(("PASS %s" % what) if ok else ("FAIL %s: %s" % (what, why)))
    return ok


def skip(what, why):
    print("SKIP %s (%s)" % (what, why))


def info(text):
    print("INFO " + text)


def truth(path):
    """The TRUTH line's key=value pairs, or {}."""
    try:
        for line in open(path):
            if line.startswith("TRUTH "):
                return dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    except OSError:
        pass
    return {}


def report(path):
    """The final NDJSON report of a cowtrace -o json run, or {}."""
    try:
        lines = [l for l in open(path) if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {}
    except (OSError, ValueError):
        return {}


def proc(rep, pid):
    e = [p for p in rep.get("processes", []) if p.get("pid") == pid]
    return e[0] if len(e) == 1 else None


def sf_want(t):
    """function -> (pages, mapping, leaf of its folded lines) from stackfork's TRUTH (tracepoint mode)."""
    return {"write_heap_pages": (int(t["heap"]), "heap", "[copy in heap]"),
            "write_stack_pages": (int(t["stack"]), "stack", "[copy in stack]"),
            "write_file_pages": (int(t["file"]), "file", "[copy in file %s]" % t["path"]),
            "write_mmap_pages": (int(t["mmap"]), "anon", "[copy in anon]")}


# ---- stackfork: the live run's folded file and JSON against the TRUTH line ----
def phase_stackfork(w):
    t = truth(w + "/sf.truth")
    rep = report(w + "/sf.json")
    rc = open(w + "/sf.rc").read().strip()
    if not res(rc == "0" and t and rep, "stackfork traced: cowtrace exit 0, TRUTH line and JSON report",
               "exit %s, truth %s, %s" % (rc, bool(t), open(w + "/sf.err").read()[-300:])):
        return
    storms = int(open(w + "/storm.count").read().split()[0])
    res(storms >= 1, "background stress ran alongside: %d storm runs (3 children, 2 threads each) during the trace"
        % storms, "only %d" % storms)
    res(rep.get("mode") == "tracepoint", "cowtrace picked tracepoint mode", rep.get("mode"))
    res(rep.get("lost_events") == 0 and rep.get("stacks_dropped_pages") == 0,
        "no lost events, no dropped stack pages", "lost %s, dropped %s" %
        (rep.get("lost_events"), rep.get("stacks_dropped_pages")))
    comms = sorted({p.get("comm") for p in rep.get("processes", [])})
    res(comms == ["stackfork"], "only the traced command's processes reported (not the storm)", comms)
    child = int(t["child"])
    p = proc(rep, child)
    if not res(p is not None, "the child (pid %d) reported once" % child, "absent"):
        return
    want = sf_want(t)
    folded, bad = parse_folded(open(w + "/sf.folded").read().splitlines())
    res(not bad and folded, "folded file: %d lines, every one 'comm;frames... pages'" % len(folded), bad[:2])
    res(len(folded) == len({";".join(f) for f, _ in folded}), "folded file: one line per distinct stack",
        "duplicates")
    res(all(f[0] == "stackfork" for f, _ in folded), "folded file: only stackfork's stacks",
        sorted({f[0] for f, _ in folded}))
    stacks = p.get("stacks") or []
    for fn, (n, mapping, leaf) in want.items():
        mine = [(f, k) for f, k in folded if fn in f]
        res(sum(k for _, k in mine) == n, "folded: %s copied its %d pages" % (fn, n),
            "%d" % sum(k for _, k in mine))
        leaves = {}
        for f, k in mine:
            leaves[f[-1]] = leaves.get(f[-1], 0) + k
        res(leaves == {leaf: n}, "folded: %s's pages are %s" % (fn, leaf), leaves)
        nokern = [f for f, _ in mine if not any(x.endswith("_[k]") and "fault" in x for x in f)]
        res(not nokern, "folded: %s's stacks have the kernel's page fault frames" % fn, nokern[:1])
        tracer = [x for f, _ in mine for x in f if x.startswith(("bpf_prog_", "bpf_trace_run", "__bpf_prog_enter"))]
        res(not tracer, "folded: %s's stacks end before the tracer's frames" % fn, tracer[:1])
        top = [s for s in stacks if fn in (s.get("frames") or [])]
        res(sum(s.get("pages", 0) for s in top) == n, "JSON: the child's stacks list %s with %d pages" % (fn, n),
            sum(s.get("pages", 0) for s in top))
        if not top:
            continue
        s = top[0]
        user = [x for x in s["frames"] if not x.endswith("_[k]")]
        res(user[-4:] == ["main", "measured", "child_work", fn],
            "JSON: %s unwound through its callers (... main, measured, child_work)" % fn, user[-5:])
        res(s.get("kind") == "copy" and s.get("mapping") == mapping,
            "JSON: %s's kind 'copy', mapping '%s'" % (fn, mapping), (s.get("kind"), s.get("mapping")))
        if fn == "write_file_pages":
            res(s.get("file") == t["path"], "JSON: write_file_pages's file is %s" % t["path"], s.get("file"))
    # the mapping counters: exact for the heap and the file; the child's own frames add a few stack pages
    for st, n, slack in (("map_heap", want["write_heap_pages"][0], 0), ("map_file", want["write_file_pages"][0], 0),
                         ("map_anon", want["write_mmap_pages"][0], 2),
                         ("map_stack", want["write_stack_pages"][0], 8)):
        got = p.get(st)
        res(isinstance(got, int) and n <= got <= n + slack, "child %s in [%d, %d] (%s)" % (st, n, n + slack, got),
            got)
    total = sum(s.get("pages", 0) for s in stacks)
    res(total == p.get("copy"), "JSON: the child's stacks add up to its %s copies" % p.get("copy"), total)


# ---- replay: cowtrace report REC gives the live run's folded file and flame graph ----
def fg_frames(path):
    root = ET.parse(path).getroot()
    out = []
    for g in root.iter(NS + "g"):
        if g.get("class") == "f":
            r = g.find(NS + "rect")
            out.append((g.get("data-n"), g.get("data-d"), r.get("data-x"), r.get("data-w"), r.get("fill"),
                        "".join(g.find(NS + "title").itertext())))
    return sorted(out)


def phase_replay(w):
    live = sorted(open(w + "/sf.folded").read().splitlines())
    rep = sorted(open(w + "/rp.folded").read().splitlines())
    diff = sorted(set(live) ^ set(rep))
    res(live == rep and live, "report REC --folded: the live run's %d folded lines, sorted, byte for byte" % len(live),
        "%d vs %d lines, differing: %s" % (len(live), len(rep), diff[:2]))
    try:
        a, b = fg_frames(w + "/sf.svg"), fg_frames(w + "/rp.svg")
    except (OSError, ET.ParseError, AttributeError) as e:
        res(False, "report REC --flamegraph: the live run's frames", e)
        return
    res(a == b and a, "report REC --flamegraph: the live run's %d frames (name, depth, x, width, colour, title)"
        % len(a), "first difference: %s" % (sorted(set(a) ^ set(b))[:2],))


# ---- flamegraph: well-formed, self-contained, widths proportional to the TRUTH pages ----
def self_contained(root, raw):
    why = []
    for el in root.iter():
        tag = el.tag.replace(NS, "")
        if tag in ("image", "foreignObject", "iframe", "object", "embed", "use"):
            why.append("<%s>" % tag)
        for k, v in el.attrib.items():
            if (k.endswith("href") or k == "src") and not v.startswith("#"):
                why.append("%s=%r" % (k, v))
            if "url(" in v and not re.fullmatch(r".*url\(#[^)]*\).*", v):
                why.append("%s=%r" % (k, v))
        if tag == "style" and el.text and ("@import" in el.text or "url(" in el.text):
            why.append("<style> with an external reference")
        if tag == "script" and el.text and re.search(r"https?:|import\(|fetch\(|XMLHttpRequest|src\s*=", el.text):
            why.append("a script that loads something")
    text = raw.decode("utf-8").replace('xmlns="http://www.w3.org/2000/svg"', "", 1)
    for m in re.finditer(r"(https?|ftp|file):|<\?xml-stylesheet|<!DOCTYPE|<!ENTITY", text):
        why.append(repr(m.group(0)))
    return why


def fg_load(w):
    raw = open(w + "/sf.svg", "rb").read()
    return ET.fromstring(raw), raw


def fg_func_frames(root):
    """name -> [(g, rect)] for the g.f frames."""
    out = {}
    for g in root.iter(NS + "g"):
        if g.get("class") == "f":
            out.setdefault(g.get("data-n"), []).append((g, g.find(NS + "rect")))
    return out


def title_pages(g):
    m = re.match(r".*: ([\d,]+) pages?\b", "".join(g.find(NS + "title").itertext()))
    return int(m.group(1).replace(",", "")) if m else None


def phase_flamegraph(w):
    t = truth(w + "/sf.truth")
    try:
        root, raw = fg_load(w)
    except (OSError, ET.ParseError) as e:
        res(False, "flame graph: well-formed XML", e)
        return
    res(root.tag == NS + "svg" and root.get("width") and root.get("height"),
        "flame graph: well-formed XML, <svg> root in the SVG namespace, %sx%s" % (root.get("width"), root.get("height")),
        root.tag)
    why = self_contained(root, raw)
    res(not why, "flame graph: self-contained (inline script and style, no external reference)", why[:4])
    fr = fg_func_frames(root)
    want = sf_want(t)
    allf = fr.get("all", [])
    if not res(len(allf) == 1, "flame graph: one root frame 'all'", len(allf)):
        return
    all_w, all_pages = float(allf[0][1].get("data-w")), title_pages(allf[0][0])
    got = {}
    for fn, (n, _, leaf) in want.items():
        f = fr.get(fn, [])
        if not res(len(f) == 1, "flame graph: one frame for %s" % fn, len(f)):
            continue
        g, r = f[0]
        got[fn] = (g, r)
        res(title_pages(g) == n, "flame graph: %s's title says its %d pages" % (fn, n), title_pages(g))
        res(r.get("fill") == r.get("data-c") and re.fullmatch(r"#[0-9a-f]{6}", r.get("fill") or ""),
            "flame graph: %s filled %s" % (fn, r.get("fill")), (r.get("fill"), r.get("data-c")))
    if len(got) != 4:
        return
    # widths: data-w has 2 decimals, so each is within 0.005 px of pages * (px per page)
    tot_n = sum(want[fn][0] for fn in got)
    tot_w = sum(float(r.get("data-w")) for _, r in got.values())
    k = tot_w / tot_n
    off = {fn: round(float(r.get("data-w")) - want[fn][0] * k, 4) for fn, (_, r) in got.items()}
    res(all(abs(v) <= 0.011 for v in off.values()),
        "flame graph: the four write_* widths are proportional to their TRUTH pages (%s at %.4f px/page)" %
        (", ".join("%s %s" % (fn[6:-6], r.get("data-w")) for fn, (_, r) in got.items()), k),
        "px off: %s" % off)
    res(all_pages and abs(k - all_w / all_pages) <= 0.011 / min(want[fn][0] for fn in got),
        "flame graph: one scale with the whole graph (root %s px for %s pages)" % (all_w, all_pages),
        "%.5f vs %.5f px/page" % (k, all_w / all_pages if all_pages else 0))
    # geometry: each write_* frame inside child_work's span, one row above it
    parent = fr.get("child_work", [])
    if res(len(parent) == 1, "flame graph: one child_work frame", len(parent)):
        pg, pr = parent[0]
        px, pw, py = float(pr.get("data-x")), float(pr.get("data-w")), float(pr.get("y"))
        inside = [fn for fn, (g, r) in got.items()
                  if px - 0.01 <= float(r.get("data-x")) and float(r.get("data-x")) + float(r.get("data-w")) <= px + pw + 0.02
                  and float(r.get("y")) < py and int(g.get("data-d")) == int(pg.get("data-d")) + 1]
        res(len(inside) == 4, "flame graph: the write_* frames sit on child_work, inside its span", inside)


# ---- pixels: Chromium painted the frames ----
def phase_pixels(w):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from pngread import hexrgb, read_png
    t = truth(w + "/sf.truth")
    try:
        root, _ = fg_load(w)
        width, height, rows = read_png(w + "/sf.png")
    except Exception as e:  # noqa: BLE001 -- any decoding problem is a failed check
        res(False, "flame graph PNG decoded", "%s: %s" % (type(e).__name__, e))
        return
    res((width, height) == (int(root.get("width")), int(root.get("height"))),
        "PNG is %dx%d like the SVG" % (width, height), (root.get("width"), root.get("height")))
    fr = fg_func_frames(root)
    bg = rows[2][width // 2]
    res(max(abs(a - b) for a, b in zip(bg, hexrgb("#fdfdf8"))) <= 6, "background painted #fdfdf8 (%s)" % (bg,), bg)
    want = sf_want(t)
    frames = {fn: fr[fn][0] for fn in want if len(fr.get(fn, [])) == 1}
    if not res(len(frames) == 4, "the four write_* frames in the SVG", sorted(frames)):
        return
    widest = max(frames, key=lambda fn: float(frames[fn][1].get("width")))
    for fn, (g, r) in sorted(frames.items()):
        x, y = float(r.get("x")), float(r.get("y"))
        fw, fh = float(r.get("width")), float(r.get("height"))
        if fn == widest:
            # its centre: right of its label (11px monospace, 6.6 px a character, 3 px in)
            cx, cy = x + fw / 2, y + fh / 2
            if cx < x + 3 + len(fn) * 6.6 + 4:
                cx = x + 3 + len(fn) * 6.6 + 4
            where = "centre"
        else:
            cx, cy = x + fw / 2, y + 2.5  # above the label's glyphs
            where = "top band"
        px = rows[int(cy)][int(cx)]
        want_c = hexrgb(r.get("fill"))
        d = max(abs(a - b) for a, b in zip(px, want_c))
        res(d <= 8, "pixel (%d, %d) at the %s of %s%s is its fill %s: %s" %
            (int(cx), int(cy), where, fn, " (the widest)" if fn == widest else "", r.get("fill"),
             "#%02x%02x%02x" % px), "off by %d" % d)


# ---- speedscope: its sandwich view's per-symbol totals ----
class Rows(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.cur, self.cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.cur = []
        elif tag in ("td", "th") and self.cur is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.cur is not None:
            self.cur.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.cur is not None:
            self.rows.append(self.cur)
            self.cur = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def ss_value(cell):
    m = re.match(r"([\d.,]+)\s*([KMG]?)", cell)
    if not m:
        return None
    return round(float(m.group(1).replace(",", "")) * {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}[m.group(2)])


def phase_speedscope(w):
    t = truth(w + "/sf.truth")
    p = Rows()
    p.feed(open(w + "/ss.dom", errors="replace").read())
    head = [r for r in p.rows if r[:3] == ["Total", "Self", "Symbol Name"]]
    if not res(bool(head), "speedscope: the sandwich view's table (Total, Self, Symbol Name)",
               "no such table in the DOM (%d rows)" % len(p.rows)):
        return
    table = {r[2]: (ss_value(r[0]), ss_value(r[1])) for r in p.rows if len(r) >= 3 and r[:3] != head[0][:3]}
    info("speedscope: %d symbols in the sandwich table" % len(table))
    for fn, (n, _, leaf) in sf_want(t).items():
        got = table.get(fn)
        res(got is not None and got[0] == n, "speedscope: %s total %d pages" % (fn, n), got)
        got = table.get(leaf)
        res(got is not None and got[1] >= n, "speedscope: %s self >= %d pages" % (leaf, n), got)


# ---- pygc: Python's copy-on-read, plain vs gc.freeze(), with --stacks and without ----
def pygc_run(w, run):
    """(TRUTH, report, [(i, pid, process, truth of worker i)]) of one pygc run, checks printed."""
    t = truth(w + "/pygc-%s.truth" % run)
    rep = report(w + "/pygc-%s.json" % run)
    rc = open(w + "/pygc-%s.rc" % run).read().strip()
    if not res(rc == "0" and t.get("scenario") == "pygc" and rep,
               "pygc %s traced: cowtrace exit 0, TRUTH line and JSON report" % run,
               "exit %s, %s" % (rc, open(w + "/pygc-%s.err" % run).read()[-300:])):
        return None
    res(rep.get("lost_events") == 0 and rep.get("stacks_dropped_pages", 0) == 0,
        "pygc %s: no lost events, no dropped stack pages" % run, (rep.get("lost_events"), rep.get("stacks_dropped_pages")))
    workers = []
    for i in (1, 2):
        pid = int(t["worker%d" % i])
        p = proc(rep, pid)
        if not res(p is not None and p.get("comm", "").startswith("python3"),
                   "pygc %s: worker %d (pid %d) reported once" % (run, i, pid), p and p.get("comm")):
            continue
        g = lambda k: int(t["w%d_%s" % (i, k)])  # noqa: E731
        tr = {"pd": g("pd_kb") // 4, "pd0": g("pd0_kb") // 4, "new": max(0, g("rss_kb") - g("rss0_kb")) // 4,
              "faults": g("minflt") - g("minflt0"), "found": g("found")}
        res(tr["found"] == 500, "pygc %s worker %d: its 500 lookups hit" % (run, i), tr["found"])
        workers.append((i, pid, p, tr))
    return t, rep, workers


def pd_agreement(name, copies, tr, stacks):
    """Check copies against the worker's own Private_Dirty."""
    # the bounds and why: tests/lib/privdirty.py
    lowest, _, tol = copy_bounds(tr["pd"], tr["new"])
    hi = tr["pd"]
    res(copies >= lowest, "%s: no copy missed: %d copies >= Private_Dirty %d - new pages %d (- %d)" %
        (name, copies, tr["pd"], tr["new"], tol), "%d missing" % (lowest + tol - copies))
    excess = copies - hi
    what = "%s: copies agree with its Private_Dirty: %d vs %d pages (%+.1f%%, allowed %+d)" % (
        name, copies, hi, 100.0 * excess / hi if hi else 0, tol)
    if excess <= tol:
        res(True, what)
        return
    # A tracer that reads user memory in the middle of a copy (a stack walk at mm_page_alloc) sets the
    # pte's Accessed bit, the kernel's pte_same() check fails and the fault comes again: one copy counted
    # twice.  cowtrace takes its user stacks at the fault, before the pte is read; the worker's own fault
    # count says how many of its faults made no new private page, to tell such retries apart.
    retried = tr["faults"] - (tr["pd"] - tr["pd0"])
    res(False, what, "%d more copies than Private_Dirty, %d faults without a new private page" %
        (excess, retried))


def phase_pygc(w):
    runs = {r: pygc_run(w, r) for r in ("plain", "freeze", "plain-nostacks", "freeze-nostacks")}
    # without --stacks: cowtrace's copies against the workers' own Private_Dirty
    for run in ("plain-nostacks", "freeze-nostacks"):
        for i, _, p, tr in runs[run][2] if runs[run] else []:
            pd_agreement("pygc %s worker %d" % (run, i), p.get("copy") or 0, tr, False)
    # with --stacks: where the copies are, and the same agreement
    for run in ("plain", "freeze"):
        for i, _, p, tr in runs[run][2] if runs[run] else []:
            name = "pygc %s worker %d" % (run, i)
            copies = p.get("copy") or 0
            # Python's objects live in pymalloc's arenas (anonymous mmaps) and malloc's heap; the rest is
            # the interpreter's own static data (python3.11's .data, a file mapping) and a page of stack
            ha = (p.get("map_heap") or 0) + (p.get("map_anon") or 0)
            res(copies > 0 and ha >= 0.9 * copies, "%s: %d of its %d copies (%.1f%%) in heap+anon mappings, >= 90%%"
                % (name, ha, copies, 100.0 * ha / copies if copies else 0),
                "map_heap %s, map_anon %s, map_file %s, map_stack %s" %
                (p.get("map_heap"), p.get("map_anon"), p.get("map_file"), p.get("map_stack")))
            stacks = p.get("stacks") or []
            sp = sum(s.get("pages", 0) for s in stacks)
            sha = sum(s.get("pages", 0) for s in stacks if s.get("mapping") in ("heap", "anon"))
            res(sp == copies, "%s: its stacks add up to its %d copies" % (name, copies), sp)
            res(sp > 0 and sha >= 0.9 * sp, "%s: stacks with mapping heap or anon hold %d of %d pages, >= 90%%" %
                (name, sha, sp), "%.1f%%" % (100.0 * sha / sp if sp else 0))
            pd_agreement(name, copies, tr, True)
    if runs["plain"]:
        frames = {}
        for _, _, p, _ in runs["plain"][2]:
            for s in p.get("stacks") or []:
                user = [x for x in s.get("frames") or [] if not x.endswith("_[k]")]
                key = user[-1] if user else "(no user frame)"
                frames[key] = frames.get(key, 0) + s.get("pages", 0)
        top = sorted(frames.items(), key=lambda kv: -kv[1])[:3]
        info("pygc plain: the workers' top innermost user frames: %s" % ", ".join("%s %d pages" % kv for kv in top))
    for base in ("", "-nostacks"):
        a, b = runs["plain" + base], runs["freeze" + base]
        if not (a and b and len(a[2]) == 2 and len(b[2]) == 2):
            continue
        for what, key in (("Private_Dirty (ground truth)", lambda p, tr: tr["pd"]),
                          ("cowtrace's copies", lambda p, tr: p.get("copy") or 0)):
            if base and what.startswith("Private"):
                continue
            na = sum(key(p, tr) for _, _, p, tr in a[2])
            nb = sum(key(p, tr) for _, _, p, tr in b[2])
            res(nb * 2 < na, "pygc%s: gc.freeze() workers copy less than half of plain ones, by %s: %d vs %d pages "
                "(%.0f%%)" % (base and " (no --stacks)", what, nb, na, 100.0 * nb / na if na else 0),
                "not less than half")


PHASES = {"stackfork": phase_stackfork, "replay": phase_replay, "flamegraph": phase_flamegraph,
          "pixels": phase_pixels, "speedscope": phase_speedscope, "pygc": phase_pygc}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in PHASES:
        sys.stderr.write("usage: stackscheck.py %s WORK\n" % "|".join(PHASES))
        sys.exit(2)
    try:
        PHASES[sys.argv[1]](sys.argv[2])
    except Exception as e:  # noqa: BLE001 -- a crash is one failed check, with its cause
        print("FAIL %s checks crashed: %s: %s" % (sys.argv[1], type(e).__name__, e))
