# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The table of statistics (src/stats.c), as `cowtrace stats -o json` prints it.

The suites read their lists of statistics from here instead of keeping copies,
so that a statistic added to the table is tested without editing them.
"""
import json
import subprocess


class Stats:
    def __init__(self, table):
        self.rows = table["statistics"]
        self.hist_rows = table["histograms"]
        # every statistic, in the table's order
        self.names = [s["name"] for s in self.rows]
        # the per-process numbers (the histograms are per-process histograms instead)
        self.counters = [s["name"] for s in self.rows if s["type"] != "histogram"]
        # "copy" (type "copies") is the sum of the copy kinds, and of the mapping classes
        self.copies = [s["name"] for s in self.rows if s["type"] == "copies"]
        self.copy_kinds = [s["name"] for s in self.rows if s.get("copy_kind")]
        self.maps = [s["name"] for s in self.rows if s.get("mapping")]
        # --events: ("wp", "copy_anon") -> "copy_anon"; struct ct_event (1, 1) -> "copy_anon"
        self.by_event = {(s["event"], s["event_kind"]): s["name"] for s in self.rows if s.get("event")}
        self.by_raw = {(s["raw_event"]["type"], s["raw_event"]["kind"]): s["name"]
                       for s in self.rows if s.get("raw_event")}
        self.raw = {s["name"]: (s["raw_event"]["type"], s["raw_event"]["kind"])
                    for s in self.rows if s.get("raw_event")}
        # "uffd_blocked.missing" -> {"text", "unit", "divisor", "prometheus", ...}
        self.hists = {h["name"]: h for h in self.hist_rows}

    def event_kinds(self, names):
        """The --events kinds of these statistics."""
        return {s["event_kind"] for s in self.rows if s["name"] in names and s.get("event_kind")}


def load(ct):
    """The table of the cowtrace binary ct; raises RuntimeError if it cannot be had."""
    try:
        p = subprocess.run([ct, "stats", "-o", "json"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        raise RuntimeError(f"{ct} stats -o json: {e}") from e
    if p.returncode != 0:
        raise RuntimeError(f"{ct} stats -o json: exit {p.returncode}: {p.stderr.strip()[:300]}")
    try:
        return Stats(json.loads(p.stdout))
    except (ValueError, KeyError, TypeError) as e:
        raise RuntimeError(f"{ct} stats -o json: not the table of statistics: {e}") from e
