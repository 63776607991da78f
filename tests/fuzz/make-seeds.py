#!/usr/bin/env python3
"""Write the synthetic seed files of tests/fuzz/corpus/ (record format versions 1 and 2).

    tests/fuzz/make-seeds.py [CORPUS_DIR] [REAL_RECORD]

REAL_RECORD (optional) is a small record made on this machine with
`cowtrace --record FILE -- tests/workloads/cowfork 8 16` (tracepoint mode);
it becomes record-cowfork-tp.ctr and the cut/corrupted variants are derived
from it.  Without it, they are derived from the synthetic record.

The layout is the one documented in src/record.h; tests/reliability-test.sh
has its own reader of the same format (to count complete records).
"""
import os
import random
import struct
import sys

STATS = ["reuse", "copy", "copy_anon", "copy_zero", "copy_file", "copy_ksm", "unshare",
         "shared_reuse", "thp_reuse", "thp_split", "pinned_cow", "uffd_missing", "uffd_wp",
         "uffd_minor", "uffd_sigbus", "marker_install", "copied_bytes", "map_heap", "map_stack",
         "map_anon", "map_file", "map_shmem", "map_thp", "wp_latency", "uffd_blocked",
         "fork_to_copy"]
EV_WP, EV_THP, EV_UFFD, EV_PINNED, EV_FORK, EV_EXIT, EV_MARKER = range(1, 8)
EV_EXEC = 9
REC_EVENT, REC_CGROUP, REC_STATS, REC_PROC, REC_HIST, REC_MISS, REC_STACK, REC_FORK = range(1, 9)
N_COUNTERS, HIST_SLOTS = 22, 40   # CT_C_MAX, CT_HIST_SLOTS (include/cowtrace.h)
TYPE_PROC, TYPE_HIST, TYPE_FORK = 0x100, 0x101, 0x102
FK_DURATION, FK_CPR, FK_MM, FK_CLONE_VM = 1, 2, 4, 8


def header(mode="fentry", quality="exact", kernel="6.1.0-fuzz", page_size=4096,
           start_mono=1_000_000_000, start_real=0, version=1, extra=""):
    text = f"kernel={kernel}\nmode={mode}\n"
    for s in STATS:
        text += f"stat={s}\thook_{s}\t{mode}\t{quality}\treason for {s}\n"
    text += extra
    t = text.encode()
    return (b"COWTRACE" + struct.pack("<IIII", version, 48 + len(t), 64, page_size)
            + struct.pack("<QQ", start_mono, start_real) + struct.pack("<II", len(t), 0) + t)


def event(ts, typ, kind=0, value=0, pid=100, tid=None, ppid=1, aux=0, comm=b"worker", cg=1234):
    return struct.pack("<QQIIIIHHI16sQ", ts, value, pid, tid if tid is not None else pid, ppid, aux,
                       typ, kind, 0, comm, cg)


def rec(typ, payload, reserved=0):
    return struct.pack("<HHI", typ, len(payload), reserved) + payload


def ev(*a, **k):
    return rec(REC_EVENT, event(*a, **k))


def proc_rec(pid, start, counters, flags=0, ppid=1, birth=0, seg_fork=0, seg_side=0, seg_copies=0,
             comm=b"worker"):
    """struct ct_proc_rec (328 bytes); the segment's copies all in the heap."""
    c = list(counters) + [0] * (N_COUNTERS - len(counters))
    seg_map = [seg_copies, 0, 0, 0, 0, 0]
    return rec(REC_PROC, struct.pack(f"<{N_COUNTERS}Q9Q6QIIHBBI16s", *c, start, start + 10, start + 99, 1234,
                                     birth, seg_fork, seg_copies, seg_fork + 5 if seg_copies else 0,
                                     seg_fork + 50 if seg_copies else 0, *seg_map, pid, ppid, TYPE_PROC,
                                     seg_side, flags, 0, comm))


def hist_rec(pid, start, hid, slots):
    """struct ct_hist_rec (344 bytes)."""
    sl = list(slots) + [0] * (HIST_SLOTS - len(slots))
    return rec(REC_HIST, struct.pack(f"<QIHHQ{HIST_SLOTS}Q", start, pid, TYPE_HIST, hid,
                                     sum(i * n for i, n in enumerate(sl)), *sl))


def miss_rec(prog, hook, missed, stats):
    return rec(REC_MISS, struct.pack("<QII24s64s", missed, stats, 1, prog, hook))


def fork_rec(parent, child, fork_ns, enter=0, exit_=0, cpr=0, pgtables=0, rss=(0, 0, 0, 0), vmas=0,
             known=0, length=None):
    """CT_REC_FORK: struct ct_fork_rec (88 bytes; length: an older or newer writer's)."""
    b = struct.pack("<QQQQQ4QIIIHH", fork_ns, enter, exit_, cpr, pgtables, *rss, parent, child, vmas,
                    TYPE_FORK, known)
    if length is not None:
        b = (b + bytes(max(0, length - len(b))))[:length]
    return rec(REC_FORK, b)


def fork_costs(kernel_counts):
    """Format 3 (events counted, or the kernel's counts with a closing stats
    record): forks with what each call cost, a vfork, a fork+exec child, a
    record of a fork never seen, a short (older) and a long (newer) one."""
    extra = "counters=reuse,copy_anon,forks,page_table_bytes\nhists=fork_duration,fork_to_copy\n" + "".join(
        f"stat={s}\thook_{s}\tfentry\texact\treason for {s}\n" for s in ("forks", "page_table_bytes", "fork_duration"))
    out = [header(version=3, extra=extra)]
    ts = 1_000_000_000
    out.append(ev(ts, EV_WP, 0, pid=100))
    out.append(ev(ts + 100, EV_FORK, 3, pid=100, aux=200))
    out.append(fork_rec(100, 200, ts + 100, ts + 50, ts + 400, 200, 8192, (10, 300, 0, 1), 33,
                        FK_DURATION | FK_CPR | FK_MM))
    out.append(ev(ts + 500, EV_FORK, 3, pid=100, aux=201))
    out.append(ev(ts + 700, EV_EXEC, pid=201, ppid=100, value=ts + 500, comm=b"sh"))
    out.append(fork_rec(100, 201, ts + 500, ts + 450, ts + 800, known=FK_DURATION | FK_CLONE_VM))
    out.append(fork_rec(100, 999, ts + 900, ts + 850, ts + 950, known=FK_DURATION))   # its fork not seen
    out.append(ev(ts + 1000, EV_FORK, 3, pid=100, aux=202))
    out.append(fork_rec(100, 202, ts + 1000, pgtables=4096, known=FK_MM, length=48))  # older: tail 0
    out.append(ev(ts + 1100, EV_FORK, 3, pid=100, aux=203))
    out.append(fork_rec(100, 203, ts + 1100, ts + 1050, ts + 1200, known=FK_DURATION, length=100))
    out.append(ev(ts + 1300, EV_EXEC, pid=200, ppid=100, value=ts + 100, comm=b"true"))
    if kernel_counts:
        out.append(hist_rec(100, 0, 0, [0] * 8 + [2]))
        out.append(rec(REC_STATS, struct.pack("<QQQQ", 0, 0, ts + 10_000, 0)))
    return b"".join(out)


def stack_rec(pid, start, kind, mapping, pages, frames, file=b"", comm=b"worker", ino=0, execs=0):
    """CT_REC_STACK: struct rec_stack (src/record.c), then the frames, then the file."""
    return rec(REC_STACK, struct.pack("<IHBBQQQ16sHHI", pid, kind, mapping, execs, start, pages, ino, comm,
                                      len(frames), len(file), 0) + frames + file)


def stacks_record():
    """Version 2 with --stacks: named stacks at the end (kinds 1-5 counted: stacks=62)."""
    ts = 1_000_000_000
    out = [header(version=2, extra="stacks=62\n")]
    out.append(proc_rec(100, ts, [5, 2]))
    out.append(stack_rec(100, ts, 1, 0, 40, b"main;measured;write_heap_pages;asm_exc_page_fault_[k]"))
    out.append(stack_rec(100, ts, 3, 3, 16, b"main;write_file_pages", b"/tmp/f;x", ino=77))
    out.append(stack_rec(100, ts, 2, 2, 1, b"[outer frames cut];f9;f10"))
    out.append(stack_rec(101, ts + 5, 1, 6, 3, b"[no stack]", comm=b"a<b>&c"))
    out.append(rec(REC_STATS, struct.pack("<QQQQ", 0, 1, ts + 10_000, 0)))
    return b"".join(out)


def kernel_records():
    """Version 2: the kernel's process records (snapshots, a fork, an exit, a
    reused pid), histograms, misses and the totals that close the record."""
    out = [header(version=2, start_real=(1 << 2))]
    ts = 1_000_000_000
    out.append(proc_rec(100, ts, [5, 2]))
    out.append(ev(ts + 100, EV_FORK, 3, value=4, pid=100, aux=200))
    out.append(ev(ts + 101, EV_WP, 1, value=900, pid=200))
    out.append(proc_rec(200, ts + 99, [0, 3], birth=ts + 100, seg_fork=ts + 100, seg_side=1, seg_copies=3))
    out.append(proc_rec(100, ts, [7, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1], seg_fork=ts + 100,
                        seg_side=2, seg_copies=1, flags=2))
    out.append(proc_rec(200, ts + 99, [0, 4], flags=1, birth=ts + 100, seg_fork=ts + 100, seg_side=1,
                        seg_copies=4))
    out.append(hist_rec(200, ts + 99, 1, [0] * 9 + [2, 2]))
    out.append(hist_rec(200, ts + 99, 8, [0] * 39 + [1]))
    out.append(proc_rec(200, ts + 5000, [1]))          # the pid reused
    out.append(hist_rec(200, 0, 0, [0, 0, 0, 1]))      # read live: no start time
    out.append(miss_rec(b"fx_wp", b"do_wp_page", 17, 0x1ffff))
    out.append(rec(REC_STATS, struct.pack("<QQQQ", 0, 1, ts + 10_000, 17)))
    return b"".join(out)


def synthetic(start_real=0):
    """Every event type and kind, forks both ways, exits, pid reuse, cgroups, stats."""
    out = [header(start_real=start_real)]
    ts = 1_000_000_000
    out.append(rec(REC_CGROUP, struct.pack("<Q", 1234) + b"/system.slice/app.service"))
    out.append(rec(REC_CGROUP, struct.pack("<Q", 1) + b"/"))
    for kind in range(7):
        out.append(ev(ts + kind, EV_WP, kind, value=1000 * (kind + 1)))
    out.append(ev(ts + 10, EV_THP, 0, value=5000))
    out.append(ev(ts + 11, EV_THP, 1, value=7000))
    for kind in range(3):
        out.append(ev(ts + 12 + kind, EV_UFFD, kind, value=100_000))
    # fork with pinned pages, the child copies, exits; its pid is reused
    out.append(ev(ts + 20, EV_PINNED, value=3, aux=101))
    out.append(ev(ts + 21, EV_FORK, 3, value=3, aux=101))
    out.append(ev(ts + 22, EV_WP, 1, pid=101, ppid=100, comm=b"child"))
    out.append(ev(ts + 23, EV_WP, 2, pid=101, ppid=100, comm=b"child"))
    out.append(ev(ts + 24, EV_EXIT, pid=101, ppid=100, comm=b"child"))
    out.append(ev(ts + 25, EV_FORK, 3, aux=101))              # pid 101 reused
    out.append(ev(ts + 26, EV_WP, 1, pid=101, ppid=100, comm=b"child2"))
    out.append(ev(ts + 27, EV_FORK, 2, pid=100, aux=102))     # only the child traced
    out.append(ev(ts + 28, EV_FORK, 1, pid=100, aux=103))     # only the parent traced
    out.append(ev(ts + 29, EV_MARKER, value=4))
    out.append(rec(9, b"unknown record type, skipped"))
    for i in range(12):                                       # churn: eviction
        pid = 200 + i
        out.append(ev(ts + 40 + 3 * i, EV_FORK, 3, aux=pid))
        out.append(ev(ts + 41 + 3 * i, EV_WP, 1, pid=pid, ppid=100, comm=b"short"))
        out.append(ev(ts + 42 + 3 * i, EV_EXIT, pid=pid, ppid=100, comm=b"short"))
    out.append(ev(ts + 90, EV_EXIT, pid=100))
    out.append(rec(REC_STATS, struct.pack("<QQQ", 5, 2, ts + 100)))
    return b"".join(out)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    os.makedirs(d, exist_ok=True)
    files = {}
    synth = synthetic()
    files["synthetic-all-types.ctr"] = synth
    # same events, other option bits (label by pid, max_exited 3, prom-top 2)
    files["synthetic-pid-labels.ctr"] = synthetic(start_real=(2 | (3 << 2) | (1 << 5)))
    base = synth
    if len(sys.argv) > 2:
        base = open(sys.argv[2], "rb").read()
        files["record-cowfork-tp.ctr"] = base
    hlen = struct.unpack_from("<I", base, 12)[0]
    files["truncated-header.ctr"] = base[:30]
    files["truncated-text.ctr"] = base[:hlen - 7]
    files["cut-mid-record.ctr"] = base[:hlen + 72 * 3 + 40]
    v2 = bytearray(base)
    v2[8] = 2
    files["version2.ctr"] = bytes(v2)
    v3 = bytearray(base)
    v3[8] = 3
    files["version3.ctr"] = bytes(v3)
    files["kernel-records-v2.ctr"] = kernel_records()
    files["kernel-records-v2-cut.ctr"] = kernel_records()[:-60]
    files["stacks-v2.ctr"] = stacks_record()
    files["fork-costs-v3.ctr"] = fork_costs(False)
    files["fork-costs-v3-kernel.ctr"] = fork_costs(True)
    bad = bytearray(base)
    struct.pack_into("<I", bad, hlen + 72 + 4, 0xdeadbeef)   # second record's reserved field
    files["corrupt-reserved.ctr"] = bytes(bad)
    files["header-only.ctr"] = base[:hlen]
    files["tracepoint-plan.ctr"] = header(mode="tracepoint", quality="derived") + \
        ev(5, EV_WP, 1) + ev(6, EV_EXIT)
    files["pid-zero.ctr"] = header(start_real=1 << 2) + ev(5, EV_WP, 1, pid=0) + ev(6, EV_EXIT, pid=0) + \
        ev(7, EV_FORK, 3, pid=0, aux=0)
    # a process "forking itself" (pid == child): one pid would get two live entries
    files["fork-self.ctr"] = header(start_real=(2 << 2)) + ev(5, EV_WP, 1, pid=101) + \
        ev(6, EV_FORK, 3, pid=101, aux=101) + ev(7, EV_WP, 1, pid=101) + ev(8, EV_EXIT, pid=101) + \
        ev(9, EV_WP, 1, pid=101)
    rnd = random.Random(6)
    files["random.bin"] = bytes(rnd.getrandbits(8) for _ in range(512))
    files["random-after-magic.bin"] = b"COWTRACE" + bytes(rnd.getrandbits(8) for _ in range(256))
    files["foreign-text.txt"] = b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n"
    for name, data in files.items():
        assert len(data) < 20 * 1024, name
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    print(f"make-seeds: {len(files)} files in {d}")


if __name__ == "__main__":
    main()
