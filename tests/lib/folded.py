# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Folded stacks ("comm;outer;...;inner;[kind mapping] PAGES"), as the VM and stacks suites read them."""


def parse_folded(lines):
    """[(frames, pages)] of a folded file's lines, and the lines that are not "comm;frame;... PAGES"."""
    out, bad = [], []
    for line in lines:
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if not n.isdigit() or int(n) <= 0 or len(frames) < 2 or any(not f for f in frames):
            bad.append(line)
        else:
            out.append((frames, int(n)))
    return out, bad
