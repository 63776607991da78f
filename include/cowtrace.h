/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cowtrace: types shared by the BPF programs (bpf/) and the frontend (src/).
 *
 * Everything here is fixed-width with explicit padding: the same bytes are
 * written by the kernel into the ring buffer, read by the frontend, and stored
 * in record files.
 */
#ifndef COWTRACE_H
#define COWTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CT_COMM_LEN 16

/* What an event reports.  One event = one outcome, never one hook entry. */
enum ct_event_type {
	CT_EV_WP = 1,     /* do_wp_page finished: kind = ct_wp_kind, value = latency ns */
	CT_EV_THP = 2,    /* do_huge_pmd_wp_page: kind = CT_THP_*, value = latency ns */
	CT_EV_UFFD = 3,   /* handle_userfault: kind = CT_UFFD_*, value = blocked ns (0: did not block) */
	CT_EV_PINNED = 4, /* fork copied pages at once: value = pages, aux = child pid */
	CT_EV_FORK = 5,   /* process created: pid = parent tgid, aux = child pid, comm = child */
	CT_EV_EXIT = 6,   /* process (thread group) exited */
	CT_EV_MARKER = 7, /* uffd-wp pte markers installed: value = count */
	CT_EV_STACKS = 8, /* --stacks: the first stack of the process (since exec) was counted:
			   * read its maps now; value = its start_ns, aux = its execs,
			   * kind = 1 if its fork was seen (ppid: the parent it forked from) */
	CT_EV_EXEC = 9,   /* the first exec of a process whose fork was seen: value = that fork's
			   * CT_EV_FORK ts_ns (the child is pid) */
	CT_EV_TYPE_MAX,
};

/* Outcome of one write (or unshare) fault on a present pte. */
enum ct_wp_kind {
	CT_WP_REUSE = 0,        /* private page reused in place (pgreuse) */
	CT_WP_COPY_ANON = 1,    /* copied an anonymous page */
	CT_WP_COPY_ZERO = 2,    /* copied (allocated for) the shared zero page */
	CT_WP_COPY_FILE = 3,    /* copied a private file (page cache) page */
	CT_WP_COPY_KSM = 4,     /* copied a KSM-merged page */
	CT_WP_UNSHARE = 5,      /* FAULT_FLAG_UNSHARE: a GUP R/O pin forced a copy */
	CT_WP_SHARED_REUSE = 6, /* shared mapping, write-notify: made writable */
	CT_WP_KIND_MAX,
};

enum ct_thp_kind {
	CT_THP_REUSE = 0, /* huge pmd made writable in place */
	CT_THP_SPLIT = 1, /* huge pmd split, fault falls back to ptes */
	CT_THP_KIND_MAX,
};

enum ct_uffd_kind {
	CT_UFFD_MISSING = 0,
	CT_UFFD_WP = 1,
	CT_UFFD_MINOR = 2,
	CT_UFFD_SIGBUS = 3,  /* answered with SIGBUS (UFFD_FEATURE_SIGBUS, no handler): never blocked */
	CT_UFFD_KIND_MAX,
};

/* The kinds a handler answers (the thread blocks): missing, wp, minor. */
#define CT_UFFD_BLOCKING CT_UFFD_SIGBUS

/* The outcomes that copied a page (COW copies; unshare is counted apart). */
#define CT_WP_COPY_KINDS ((1u << CT_WP_COPY_ANON) | (1u << CT_WP_COPY_ZERO) | \
			  (1u << CT_WP_COPY_FILE) | (1u << CT_WP_COPY_KSM))

static inline int ct_wp_is_copy(unsigned kind)
{
	return kind < 32 && ((CT_WP_COPY_KINDS >> kind) & 1);
}

/*
 * Per-process counters, one index per (event type, kind) that counts: the
 * layout of the counters array in the frontend's process table (and, for
 * in-kernel counting, of the BPF map values).
 */
enum ct_counter {
	CT_C_WP = 0,                             /* + enum ct_wp_kind */
	CT_C_THP = CT_C_WP + CT_WP_KIND_MAX,     /* + enum ct_thp_kind */
	CT_C_UFFD = CT_C_THP + CT_THP_KIND_MAX,  /* + enum ct_uffd_kind */
	CT_C_PINNED = CT_C_UFFD + CT_UFFD_KIND_MAX, /* pages, CT_EV_PINNED value */
	CT_C_MARKER,                             /* markers, CT_EV_MARKER value */
	CT_C_FORKS,                              /* children created */
	CT_C_PGTABLES,                           /* bytes of page tables its forks gave their children */
	CT_C_MAP,                                /* + enum ct_map_class: copies by the memory they hit */
	CT_C_MAX = CT_C_MAP + 6,
};

/* The memory a copy hit: the faulting VMA, and the old page (a huge page). */
enum ct_map_class {
	CT_MAP_HEAP = 0,   /* the brk heap */
	CT_MAP_STACK = 1,  /* the main thread's stack VMA */
	CT_MAP_ANON = 2,   /* other anonymous mappings (mmap, thread stacks, malloc arenas) */
	CT_MAP_FILE = 3,   /* a private mapping of a file */
	CT_MAP_SHMEM = 4,  /* a private mapping of kernel-internal shmem (memfd, SysV shm, shared anon) */
	CT_MAP_THP = 5,    /* the old page was part of a huge page (THP), whatever the VMA */
	CT_MAP_MAX,
};

/* --stacks: pages copied per (process, user stack, kernel stack, kind, mapping). */
struct ct_stack_key {
	__u64 start_ns;            /* the process's start: pid + start = the process */
	__u32 pid;                 /* tgid */
	__s32 ustack;              /* id in the stack map, < 0: none */
	__s32 kstack;              /* < 0: none (kernel stacks off) */
	__u16 kind;                /* enum ct_wp_kind of the copy */
	__u8 map;                  /* enum ct_map_class; CT_MAP_MAX: not a copy */
	__u8 execs;                /* the process's ct_proc_rec.execs: the image the addresses are of */
	__u64 file;                /* a file mapping: ct_file_key() of its inode (path: /proc/PID/maps), else 0 */
};

/*
 * A file, as a stack key names it: its inode number and its filesystem's
 * device (the kernel's dev_t, major << 20 | minor, as /proc/PID/maps prints
 * it), for inode numbers repeat across filesystems (/tmp and / both have an
 * inode 12).  Inode numbers below 2^32 leave the device readable in the top
 * half.
 */
static inline __u64 ct_file_key(__u64 ino, __u32 dev)
{
	return ino ^ ((__u64)dev << 32);
}

#define CT_STACK_DEPTH 127      /* frames kept per stack (PERF_MAX_STACK_DEPTH) */

/* Per-process log2 histograms (ns). */
enum ct_hist_id {
	CT_H_LAT_REUSE,          /* do_wp_page, by outcome */
	CT_H_LAT_COPY,
	CT_H_LAT_SHARED_REUSE,
	CT_H_LAT_UNSHARE,
	CT_H_LAT_THP,            /* do_huge_pmd_wp_page */
	CT_H_UFFD_BLOCKED,       /* + enum ct_uffd_kind (< CT_UFFD_BLOCKING): time waited in handle_userfault */
	CT_H_FORK_DURATION = CT_H_UFFD_BLOCKED + CT_UFFD_BLOCKING, /* the parent's time in the fork call */
	/* fork -> each copy; the last: it is kept in the process's record, not in `hists` */
	CT_H_FORK_TO_COPY,
	CT_H_MAX,
};

/* The latency histogram of a write-fault outcome. */
static inline unsigned ct_wp_lat_hist(unsigned kind)
{
	switch (kind) {
	case CT_WP_REUSE: return CT_H_LAT_REUSE;
	case CT_WP_SHARED_REUSE: return CT_H_LAT_SHARED_REUSE;
	case CT_WP_UNSHARE: return CT_H_LAT_UNSHARE;
	default: return CT_H_LAT_COPY;
	}
}

struct ct_event {
	__u64 ts_ns;               /* bpf_ktime_get_ns() when the outcome was known */
	__u64 value;               /* latency ns, blocked ns or page count (see type) */
	__u32 pid;                 /* tgid */
	__u32 tid;
	__u32 ppid;                /* tgid of real_parent */
	__u32 aux;                 /* child tgid for CT_EV_PINNED / CT_EV_FORK */
	__u16 type;                /* enum ct_event_type */
	__u16 kind;                /* enum ct_wp_kind / ct_thp_kind / ct_uffd_kind */
	__u8 map;                  /* CT_EV_WP copies: 1 + enum ct_map_class, 0: not known */
	__u8 __pad[3];
	char comm[CT_COMM_LEN];
	__u64 cgroup_id;           /* cgroup v2 id (= inode of its directory) */
};

/*
 * In-kernel counting.  The BPF side keeps a process's counters in the
 * `procs` map (keyed by tgid; fork_to_copy beside them) and its other
 * histograms in `hists` (keyed by tgid and enum ct_hist_id), updated in
 * place.  The frontend reads both maps at every report; when a process's
 * last thread exits, its record and histograms go through the ring buffer
 * and leave the maps, so a reused pid starts afresh.  Record files keep the
 * same records.
 */
#define CT_HIST_SLOTS 40 /* log2 of ns: slot 0 holds 0, slot i [2^(i-1), 2^i), the last is open */

/* The fork a process's copies are charged to (the "segment" since it). */
enum ct_seg_side {
	CT_SEG_NONE = 0,   /* no fork seen: the process was there before the trace */
	CT_SEG_CHILD = 1,  /* the fork that created it */
	CT_SEG_PARENT = 2, /* its own most recent fork */
};

/* Ring records other than struct ct_event carry one of these in `type`. */
#define CT_REC_TYPE_PROC 0x100
#define CT_REC_TYPE_HIST 0x101
#define CT_REC_TYPE_FORK 0x102

/* ct_proc_rec flags */
#define CT_PROC_EXITED 1   /* the process's last thread exited: final counts */
#define CT_PROC_FORKED 2   /* sent at a fork: its segment before the fork ends here */
#define CT_PROC_STACKS 4   /* --stacks: it has stacks (CT_EV_STACKS was sent) */

struct ct_proc_rec {
	__u64 c[CT_C_MAX];         /* enum ct_counter */
	__u64 start_ns;            /* the process's start (CLOCK_MONOTONIC): pid + start = identity */
	__u64 first_ns, last_ns;   /* its first and last counted event */
	__u64 cgroup_id;           /* cgroup v2 id when first seen */
	__u64 birth_ns;            /* the fork that created it: its CT_EV_FORK ts_ns; 0: not seen */
	__u64 seg_fork_ns;         /* the segment's fork: its CT_EV_FORK ts_ns; 0: none */
	__u64 seg_copies;          /* copies since that fork */
	__u64 seg_first_ns, seg_last_ns;
	__u64 seg_map[CT_MAP_MAX]; /* the segment's copies by enum ct_map_class */
	__u32 pid, ppid;
	__u16 type;                /* CT_REC_TYPE_PROC */
	__u8 seg_side;             /* enum ct_seg_side */
	__u8 flags;                /* CT_PROC_* */
	__u8 execs;                /* execs since first seen (mod 256): which image its stacks are of */
	__u8 __pad[3];
	char comm[CT_COMM_LEN];    /* when first seen, and again at exec */
};

/*
 * What a fork cost its parent, sent when the fork call returns (its
 * CT_EV_FORK was sent inside it, at sched_process_fork, and names the same
 * fork: child, fork_ns).  The fields the kernel could not give are 0 and
 * their bit in `known` is clear.
 */
enum ct_fork_field {
	CT_FK_DURATION = 1,     /* enter_ns: the fork call's entry was seen */
	CT_FK_CPR = 2,          /* cpr_ns: copy_page_range was timed (exact rungs) */
	CT_FK_MM = 4,           /* pgtables_bytes, rss, vmas: the child got a copy of the parent's mm */
	CT_FK_CLONE_VM = 8,     /* the child shares the parent's mm (vfork, CLONE_VM): nothing copied */
};

/* The parent's resident pages by kind, as the kernel counts them (NR_MM_COUNTERS). */
enum ct_rss_kind { CT_RSS_FILE, CT_RSS_ANON, CT_RSS_SWAP, CT_RSS_SHMEM, CT_RSS_MAX };

struct ct_fork_rec {
	__u64 fork_ns;             /* the fork's CT_EV_FORK ts_ns */
	__u64 enter_ns;            /* the fork call's entry (kernel_clone, or the syscall) */
	__u64 exit_ns;             /* its return: the parent stood still from enter_ns to here */
	__u64 cpr_ns;              /* of which in copy_page_range, summed over the VMAs */
	__u64 pgtables_bytes;      /* the child's mm->pgtables_bytes once copied */
	__u64 rss[CT_RSS_MAX];     /* the parent's pages at the fork (swap: entries) */
	__u32 parent, child;       /* tgids */
	__u32 vmas;                /* the parent's mm->map_count */
	__u16 type;                /* CT_REC_TYPE_FORK */
	__u16 known;               /* enum ct_fork_field bits */
};

struct ct_hist_key {
	__u32 pid;                 /* tgid */
	__u32 id;                  /* enum ct_hist_id */
};

struct ct_hist_val {
	__u64 sum;                 /* ns */
	__u64 slot[CT_HIST_SLOTS];
};

/*
 * The `procs` map's value: a process's record, and its fork-to-copy
 * histogram in place (a copy's hot path has the record at hand already; a
 * lookup in `hists` cost a copy as much as all its counters).  The ring and
 * record files carry that histogram as a ct_hist_rec, as the others.
 */
struct ct_proc_val {
	struct ct_proc_rec r;
	struct ct_hist_val f2c;    /* CT_H_FORK_TO_COPY */
};

/* Whether a histogram holds any value (a copy taken back leaves it empty). */
static inline int ct_hist_empty(const struct ct_hist_val *h)
{
	__u64 any = 0;

	for (int i = 0; i < CT_HIST_SLOTS; i++)
		any |= h->slot[i]; /* no branch per slot: one path for the verifier */
	return !any;
}

struct ct_hist_rec {
	__u64 start_ns;            /* the process's start, as in its ct_proc_rec */
	__u32 pid;
	__u16 type;                /* CT_REC_TYPE_HIST */
	__u16 id;                  /* enum ct_hist_id */
	struct ct_hist_val h;
};

/* log2 slot of a value (shared by the BPF side and the frontend). */
static inline unsigned ct_hist_slot(__u64 v)
{
	unsigned s = 0;

	if (v >= 1ULL << 32) { v >>= 32; s += 32; }
	if (v >= 1ULL << 16) { v >>= 16; s += 16; }
	if (v >= 1ULL << 8) { v >>= 8; s += 8; }
	if (v >= 1ULL << 4) { v >>= 4; s += 4; }
	if (v >= 1ULL << 2) { v >>= 2; s += 2; }
	if (v >= 1ULL << 1) { v >>= 1; s += 1; }
	s += v; /* v is now 0 or 1: slot 0 for 0, else floor(log2) + 1 */
	return s < CT_HIST_SLOTS ? s : CT_HIST_SLOTS - 1;
}

/* Counters kept by the BPF side (per CPU) and read by the frontend at every report. */
enum ct_stat_idx {
	CT_STAT_LOST = 0,     /* ring buffer reservations that failed */
	CT_STAT_NOSPACE,      /* a fault or process could not be counted: no room in a map, or no record left */
	CT_STAT_SETTLED,      /* faults whose do_wp_page exit was skipped, settled later */
	CT_STAT_MAX,
};

/* Values of the `traced` map (follow mode, `-- CMD`). */
#define CT_TRACED_YES      1 /* traced, and so are its children */
#define CT_TRACED_CHILDREN 2 /* not traced itself, its children are (the frontend) */

/* CT_EV_FORK kind bits: which side of the fork passes the filter. */
#define CT_FORK_PARENT_TRACED 1
#define CT_FORK_CHILD_TRACED  2

/* Filter and behaviour knobs, set in .rodata before load. */
struct ct_config {
	__u32 filter_tgid;    /* 0: any */
	__u32 filter_follow;  /* trace only tgids in the `traced` map */
	__u32 filter_cgroup;  /* 1: only tasks under the cgroup in `cgroup_filter` */
	__u32 tp_mode;        /* tracepoint mode: classify from faults + page allocations */
	__u64 gfp_user_movable; /* tracepoint mode: GFP_HIGHUSER_MOVABLE, from tracefs */
	__u64 gfp_zero;       /* tracepoint mode: __GFP_ZERO, from tracefs */
	__s32 nr_fork[4];     /* tracepoint mode: clone, clone3, fork, vfork (-1: none) */
	/* uffd-wp markers: page-table walk around unmap_page_range (x86-64). */
	__u64 page_offset_base_addr; /* &page_offset_base from kallsyms, 0: use page_offset */
	__u64 page_offset;           /* direct-map base when not randomized */
	__u64 pgdir_shift_addr;      /* &pgdir_shift from kallsyms, 0: 4-level */
	/* Wake the frontend only once this much is waiting (it polls anyway). */
	__u64 wakeup_bytes;
	__u32 per_event;      /* also one ring event per fault (--events, --record) */
	__u32 task_storage;   /* per-thread state in task-local storage (tracing programs: 5.13+), else a hash */
	__u64 shm_mnt_addr;   /* &shm_mnt from kallsyms (0: unknown): the mount of kernel-internal shmem */
	/* A program runs when the fork call returns (fork.bpf.c): the fork's record waits for it.
	 * 0: sched_process_fork sends it, without the call's duration. */
	__u32 fork_exit;
	__u32 ncpus;          /* possible CPUs: the per-CPU deltas of the rss counters summed at a fork */
	/* --stacks: the kinds (bits of enum ct_wp_kind) whose user (and with
	 * kernel_stacks, kernel) stacks are counted */
	__u32 stacks;
	__u32 kernel_stacks;
	/* Write faults (exact rungs).  wp_latency: time them (--latency).
	 * wp_entry: do_wp_page's entry program runs (kprobe rung, --latency,
	 * or a kernel that can preempt BPF programs); without it the exit
	 * program alone classifies the fault (fentry rung): the rmap hook
	 * leaves a mark it matches. */
	__u32 wp_latency;
	__u32 wp_entry;
};

#ifndef __VMLINUX_H__
_Static_assert(CT_C_MAX == CT_C_MAP + CT_MAP_MAX, "a counter per mapping class");
_Static_assert(sizeof(struct ct_stack_key) == 32, "ct_stack_key layout is ABI");
_Static_assert(sizeof(struct ct_event) == 64, "ct_event layout is ABI");
_Static_assert(sizeof(struct ct_proc_rec) == 336, "ct_proc_rec layout is ABI");
_Static_assert(sizeof(struct ct_fork_rec) == 88, "ct_fork_rec layout is ABI");
_Static_assert(CT_H_FORK_TO_COPY == CT_H_MAX - 1, "fork_to_copy, the histogram in the record, is the last id");
_Static_assert(sizeof(struct ct_hist_rec) == 344, "ct_hist_rec layout is ABI");
#endif

#endif /* COWTRACE_H */
