#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""pygc MODE [N]: Python's "copy-on-read" after fork, for --stacks.

A preforking server in CPython: the parent builds N records (objects of a
class, each with a name, a list of tags and a few numbers; an index dict by
name), about 50 MB for the default N=120000, then forks two workers at once.
Each worker only *reads* the records: a few hundred lookups and one
gc.collect(), then it exits with os._exit() (no interpreter teardown).  Still
it copies pages: every lookup writes the reference counts of the objects it
touches, and the collection writes the GC header (gc_refs) of every tracked
object of the parent, so most of the parent's heap becomes private to each
worker.

MODE plain:  nothing done about it (gc enabled, as most programs run).
MODE freeze: what the gc module's documentation recommends: gc.disable()
             early in the parent, gc.freeze() right before fork(), gc.enable()
             early in the workers.  The collection then skips the parent's
             objects (they are in the permanent generation): only the lookups'
             reference counts and the interpreter's own state copy pages.

The ground truth is each worker's own: /proc/self/smaps_rollup and its
minor fault count (getrusage) right after the fork and again just before it
exits (after the lookups and the collection).  Right after fork() every page
the worker maps is shared with the parent, so its Private_Dirty is the pages
it has copied so far plus the new pages it has touched; Rss growth bounds the
new pages.

  TRUTH scenario=pygc mode=MODE parent=PID n=N parent_rss_kb=KB
        worker1=PID w1_pd0_kb=KB w1_pd_kb=KB w1_rss0_kb=KB w1_rss_kb=KB
        w1_minflt0=N w1_minflt=N w1_found=K worker2=PID w2_...

pd0/rss0/minflt0: Private_Dirty, Rss and minor faults right after the fork;
pd/rss/minflt: at the end; found: the lookups that hit (all of them).
Written to $TRUTH_FILE if set, else to stdout, like the C workloads
(tests/workloads/common.h).
"""
import gc
import os
import random
import resource
import sys

LOOKUPS = 500


class Record:
    def __init__(self, i):
        self.id = i
        self.name = "user-%07d" % i
        self.tags = [i % 7, i % 11, "t%d" % (i % 97)]
        self.score = i * 0.5
        self.parent = None


def rollup():
    """(Private_Dirty, Rss) of this process in kB, from smaps_rollup."""
    got = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Private_Dirty", "Rss"):
                got[k] = int(v.split()[0])
    return got["Private_Dirty"], got["Rss"]


def minflt():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def worker(mode, index, names, seed, out):
    flt0 = minflt()
    pd0, rss0 = rollup()
    if mode == "freeze":
        gc.enable()
    rnd = random.Random(seed)
    found = 0
    for _ in range(LOOKUPS):
        r = index.get(rnd.choice(names))
        if r is not None and r.tags:
            found += 1
    gc.collect()
    pd, rss = rollup()
    flt = minflt()
    os.write(out, b"pd0_kb=%d pd_kb=%d rss0_kb=%d rss_kb=%d minflt0=%d minflt=%d found=%d\n" %
             (pd0, pd, rss0, rss, flt0, flt, found))
    os.close(out)
    os._exit(0)


def main():
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in ("plain", "freeze"):
        sys.stderr.write("usage: pygc plain|freeze [N]\n")
        return 2
    mode = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 120000
    if mode == "freeze":
        gc.disable()
    records = [Record(i) for i in range(n)]
    for i, r in enumerate(records):
        r.parent = records[i // 2]
    index = {r.name: r for r in records}
    names = [records[(i * 7919) % n].name for i in range(4096)]
    _, parent_rss = rollup()
    pipes, pids = [], []
    if mode == "freeze":
        gc.freeze()
    for w in range(2):
        rd, wr = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(rd)
                worker(mode, index, names, w, wr)
            finally:
                os._exit(1)  # never back into the parent's code
        os.close(wr)
        pipes.append(rd)
        pids.append(pid)
    fields = ["scenario=pygc", "mode=%s" % mode, "parent=%d" % os.getpid(), "n=%d" % n,
              "parent_rss_kb=%d" % parent_rss]
    for w, (pid, rd) in enumerate(zip(pids, pipes), 1):
        msg = b""
        while True:
            b = os.read(rd, 4096)
            if not b:
                break
            msg += b
        _, status = os.waitpid(pid, 0)
        if status != 0 or not msg:
            sys.stderr.write("pygc: worker %d (pid %d) failed: status 0x%x\n" % (w, pid, status))
            return 1
        fields.append("worker%d=%d" % (w, pid))
        fields += ["w%d_%s" % (w, kv) for kv in msg.decode().split()]
    line = "TRUTH " + " ".join(fields) + "\n"
    path = os.environ.get("TRUTH_FILE")
    if path:
        with open(path, "a") as f:
            f.write(line)
    else:
        sys.stdout.write(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
