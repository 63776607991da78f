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
	CT_EV_UFFD = 3,   /* handle_userfault: kind = CT_UFFD_*, value = blocked ns */
	CT_EV_PINNED = 4, /* fork copied pages at once: value = pages, aux = child pid */
	CT_EV_FORK = 5,   /* process created: pid = parent tgid, aux = child pid, comm = child */
	CT_EV_EXIT = 6,   /* process (thread group) exited */
	CT_EV_MARKER = 7, /* uffd-wp pte markers installed: value = count */
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
	CT_UFFD_KIND_MAX,
};

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
	CT_C_MAX,
};

/* Per-process log2 histograms (ns). */
enum ct_hist_id {
	CT_H_LAT_REUSE,          /* do_wp_page, by outcome */
	CT_H_LAT_COPY,
	CT_H_LAT_SHARED_REUSE,
	CT_H_LAT_UNSHARE,
	CT_H_LAT_THP,            /* do_huge_pmd_wp_page */
	CT_H_UFFD_BLOCKED,       /* + enum ct_uffd_kind: time waited in handle_userfault */
	CT_H_FORK_TO_COPY = CT_H_UFFD_BLOCKED + CT_UFFD_KIND_MAX, /* fork -> each copy */
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
	__u32 __pad;
	char comm[CT_COMM_LEN];
	__u64 cgroup_id;           /* cgroup v2 id (= inode of its directory) */
};

/* Tracepoint mode: a user write fault waiting for its outcome (per thread). */
struct ct_tp_pending {
	__u64 ts;
	__u32 tgid;
	__u32 ppid;
	__u8 alloc;                /* a user page was allocated during the fault */
	__u8 zero;                 /* ... and it was zeroed: the zero page was copied */
	__u8 __pad[6];
	char comm[CT_COMM_LEN];
	__u64 cgroup_id;
};

/* Counters kept by the BPF side and read by the frontend at every report. */
enum ct_stat_idx {
	CT_STAT_LOST = 0,     /* ring buffer reservations that failed */
	CT_STAT_INFLIGHT_FULL,/* in-flight hash full: a fault could not be classified */
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
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct ct_event) == 64, "ct_event layout is ABI");
#endif

#endif /* COWTRACE_H */
