"""What each fork cost, as cowtrace reports it, against tests/workloads/forkcost's truth.

check(truth, report) -> [(ok, what, detail)], for the VM suite (check.py) and the host suite
alike.  truth: the TRUTH line's key=values; report: cowtrace's final JSON report.  The truth is
the workload's: the parent's clock around the fork syscall and its VmRSS and VMA count just
before it, the child's own VmPTE (it touches nothing whose page tables were not copied).
"""

PAGE = 4096


def _forks(truth):
    out = []
    for i in range(int(truth.get("n", 0))):
        g = lambda k: truth.get(f"f{i}_{k}")
        out.append({"i": i, "kind": g("kind"), "mb": int(g("mb")), "child": int(g("child")),
                    "vmpte": int(g("vmpte_kb")) * 1024, "rss": int(g("rss_kb")) * 1024,
                    "vmas": int(g("vmas")), "user_ns": int(g("user_ns")),
                    "huge": int(g("huge_kb")) * 1024, "delay_ms": int(g("delay_ms"))})
    return out


TCG = "the VM's clock under TCG: a vCPU stands still for milliseconds at a time; the host suite checks it"
ONE_CPU = "one vCPU: the child runs before the parent is back from the call; the host suite checks it"


def check(truth, report, timing=True, close=True):
    """timing: also check the stall's relations to the work (a clock that counts it: bare metal, or a
    VM's instruction-counted one): growing near-linearly with the memory, huge pages far cheaper.
    close: also check that it is at least half the parent's own clock around fork(), which needs a
    second CPU (on one, the child runs before the parent is back from the call).  What is not
    checked is (None, what, why): skipped."""
    res = []

    def r(ok, what, detail=""):
        res.append((bool(ok), what, detail))

    def timed(ok, what, detail=""):
        res.append((bool(ok), what, detail) if timing else (None, what, TCG))

    def closely(ok, what, detail=""):
        res.append((bool(ok), what, detail) if close else (None, what, ONE_CPU if timing else TCG))

    parent = int(truth["parent"])
    exact = report.get("mode") in ("fentry", "kprobe")
    forks = {f.get("child"): f for f in report.get("forks", []) if f.get("parent") == parent}
    got = {}
    for t in _forks(truth):
        f = forks.get(t["child"])
        name = f"fork {t['i']} ({t['kind']}{' %d MiB' % t['mb'] if t['mb'] else ''})"
        r(f is not None, f"{name}: recorded", f"no fork {parent}->{t['child']} in the report")
        if f is None:
            continue
        got[t["i"]] = f
        d, cpr = f.get("duration_s"), f.get("copy_page_range_s")
        r(isinstance(d, (int, float)) and d * 1e9 <= t["user_ns"],
          f"{name}: duration_s {d} within the parent's own clock around fork(), {t['user_ns'] / 1e9:.6f} s")

        if exact:
            r(isinstance(cpr, (int, float)) and isinstance(d, (int, float)) and 0 < cpr <= d,
              f"{name}: copy_page_range_s {cpr} is part of duration_s {d}")
        else:
            r(cpr is None, f"{name}: copy_page_range_s null in tracepoint mode", f"got {cpr}")
        if t["kind"] == "exec":
            lo = t["delay_ms"] / 1000
            ea = f.get("exec_after_s")
            r(isinstance(ea, (int, float)) and lo <= ea <= lo + 1.0,
              f"{name}: exec_after_s {ea} in [{lo}, {lo + 1.0}] (the child slept {t['delay_ms']} ms)")
            continue
        pt = f.get("page_table_bytes")
        r(isinstance(pt, int) and abs(pt - t["vmpte"]) <= PAGE,
          f"{name}: page_table_bytes {pt} = the child's VmPTE {t['vmpte']} within a page")
        rss = f.get("rss_bytes")
        r(isinstance(rss, int) and abs(rss - t["rss"]) <= t["rss"] * 0.01,
          f"{name}: rss_bytes {rss} = the parent's VmRSS {t['rss']} within 1%")
        r(f.get("vmas") == t["vmas"], f"{name}: vmas {f.get('vmas')} = the parent's VMAs {t['vmas']}")
        r(f.get("clone_vm") is False, f"{name}: clone_vm false", f"got {f.get('clone_vm')}")
        r(f.get("exec_after_s") is None, f"{name}: exec_after_s null (the child did not exec)",
          f"got {f.get('exec_after_s')}")

    # the stall grows with the memory, near-linearly: the per-MiB cost of the largest size is within
    # 3x of the smaller sizes' (a fork's fixed cost is in both ends' difference)
    # close to the parent's own clock: of an item given more than once, its least disturbed fork
    ratio = {}
    for t in _forks(truth):
        d = (got.get(t["i"]) or {}).get("duration_s")
        if isinstance(d, (int, float)) and t["user_ns"] > 0:
            k = (t["kind"], t["mb"])
            ratio[k] = max(ratio.get(k, 0), d * 1e9 / t["user_ns"])
    for (kind, mb), q in sorted(ratio.items()):
        closely(q >= 0.5, f"{kind}{' %d MiB' % mb if mb else ''}: duration_s at least half the parent's own clock "
                f"around fork() (the best of its forks: {q:.2f})")

    # an item given more than once (the host's list): its fastest fork, the one least disturbed
    def fastest(kind):
        best = {}
        for t in _forks(truth):
            d = (got.get(t["i"]) or {}).get("duration_s")
            if t["kind"] == kind and isinstance(d, (int, float)) and (t["mb"] not in best or d < best[t["mb"]][0]):
                best[t["mb"]] = (d, t)
        return best

    for t in _forks(truth):
        if t["kind"] == "anon" and t["i"] in got:
            r(t["huge"] == 0, f"fork {t['i']} (anon {t['mb']} MiB): no huge pages in the process (the truth holds)",
              f"AnonHugePages {t['huge'] >> 10} kB")
    by_mb = fastest("anon")
    anon = [by_mb[m][1] for m in sorted(by_mb)]
    dur = [by_mb[m][0] for m in sorted(by_mb)]
    if len(anon) >= 3:
        mb = [t["mb"] for t in anon]
        timed(all(a < b for a, b in zip(dur, dur[1:])), f"duration_s grows with the memory: {dict(zip(mb, dur))}")
        s1 = (dur[1] - dur[0]) / (mb[1] - mb[0])
        s2 = (dur[-1] - dur[0]) / (mb[-1] - mb[0])
        timed(s1 > 0 and s2 > 0 and 1 / 3 <= s2 / s1 <= 3,
          f"duration_s near-linear in the memory: {s1 * 1e6:.2f} and {s2 * 1e6:.2f} us per MiB")
    # huge pages: one PMD entry per 2 MiB to copy, far less work; the page-table bytes stay those of
    # 4 KiB pages on x86 (each huge page has its page table deposited, counted in mm->pgtables_bytes)
    for m, (dh, t) in sorted(fastest("thp").items()):
        if t["huge"] < t["mb"] * 0.9 * (1 << 20):
            r(True, f"fork {t['i']} (thp): skipped, {t['huge'] >> 10} kB of {t['mb']} MiB in huge pages")
        elif m in by_mb:
            d4 = by_mb[m][0]
            timed(0 < dh < d4 / 2, f"fork {t['i']} (thp {t['mb']} MiB): duration_s {dh} under half of the "
                  f"4 KiB pages' {d4}")

    # the parent's totals: forks, page_table_bytes, the fork_duration histogram
    p = next((p for p in report.get("processes", []) if p.get("pid") == parent), None)
    n = int(truth["n"])
    r(p is not None and p.get("forks") == n, f"parent forks = {n}", f"got {p and p.get('forks')}")
    want = sum(f.get("page_table_bytes") or 0 for f in got.values())
    r(p is not None and p.get("page_table_bytes") == want, f"parent page_table_bytes = its forks' sum {want}",
      f"got {p and p.get('page_table_bytes')}")
    h = ((p or {}).get("histograms") or {}).get("fork_duration")
    r(isinstance(h, dict) and h.get("count") == n, f"parent fork_duration histogram has {n} samples",
      f"got {h}")
    return res
