/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a thread has in flight: between the entry and the exit of a hooked
 * function, and in tracepoint mode between a fault and its allocation.  One
 * struct per mechanism, each written and read by its own unit (and, where
 * noted, by the one it hands over to).  They share one entry per thread,
 * for its whole life, so that a program makes one lookup whatever it needs:
 * the rmap hook, for one, needs both the fault in flight and the fork
 * window (a second map would cost a second lookup on every copy).  The
 * entry is in task-local storage where the kernel has it for tracing
 * programs, else in a hash keyed by pid_tgid, deleted at the thread's exit
 * (maps.bpf.h; thread_get() in cowtrace.bpf.h).
 */
#ifndef COWTRACE_THREAD_BPF_H
#define COWTRACE_THREAD_BPF_H

#include "vmlinux.h"
#include "cowtrace.h"

/* do_wp_page (wp.bpf.c); settled at the thread's exit (lifecycle.bpf.c) */
struct ct_wp_thread {
	__u64 ts;
	__u64 vmf;
	__u64 vma;            /* without an entry program (cfg.wp_entry 0): the rmap hook's VMA ... */
	__u64 addr;           /* page address of the fault (... and its address) */
	__u64 mark;           /* cfg.wp_entry 0: 1 + current_faults() at the rmap hook, 0 once matched */
	__u64 file;           /* the copy's file mapping (ct_file_key), 0 */
	__u8 active;          /* between entry and exit */
	__u8 unshare;         /* FAULT_FLAG_UNSHARE */
	__u8 shared;          /* VM_SHARED|VM_MAYSHARE mapping */
	__u8 copied;          /* a new anon page was mapped at addr while in flight */
	__u8 kind;            /* enum ct_wp_kind of that copy */
	__u8 uffd;            /* handle_userfault ran: the fault went to userspace */
	__u8 map;             /* enum ct_map_class of the copy */
	__u8 __pad;
};

/* do_huge_pmd_wp_page (wp.bpf.c) */
struct ct_thp_thread {
	__u64 ts;
	__u8 active;
	__u8 unshare;
	__u8 __pad[6];
};

/* handle_userfault (wp.bpf.c) */
struct ct_uffd_thread {
	__u64 ts;
	__u32 kind;
	__u8 active;
	__u8 __pad[3];
};

/*
 * A fork in flight.  The fork window: new anon pages mapped into the child
 * inside copy_page_range (wp.bpf.c), or allocated inside clone/fork in
 * tracepoint mode (tp.bpf.c); sched_process_fork takes them
 * (lifecycle.bpf.c).  The fork call: its entry and its time in
 * copy_page_range, and what sched_process_fork saw of the new process,
 * sent as one record when the call returns (fork.bpf.c).
 */
struct ct_fork_thread {
	__u64 mm;
	__u64 vma;            /* non-zero only inside copy_page_range */
	__u64 pages;
	__u64 enter_ns;       /* the fork call's entry, 0: not seen */
	__u64 cpr_ts;         /* inside copy_page_range: its entry */
	__u64 cpr_ns;         /* time in copy_page_range in this call so far */
	__u64 fork_ns;        /* sched_process_fork's time (its CT_EV_FORK ts), 0: no process made yet */
	__u64 pgtables;       /* the child's page-table bytes */
	__u64 rss[CT_RSS_MAX];/* the parent's pages by kind */
	__u32 child, vmas;
	__u16 known;          /* CT_FK_* of what sched_process_fork saw */
	__u8 parent_traced;   /* the parent passes the filters: its fork_duration histogram */
	__u8 cpr;             /* copy_page_range was timed in this call */
	__u8 __pad[4];
};

/* unmap_page_range on a uffd-wp file VMA (marker.bpf.c) */
struct ct_zap_thread {
	__u64 mm, start, end, before;
	__u8 active;
	__u8 __pad[7];
};

/* Tracepoint mode (tp.bpf.c); settled at the thread's exit (lifecycle.bpf.c) */
struct ct_tp_thread {
	__u64 flt;            /* min_flt + maj_flt at the fault */
	__u64 addr;           /* the fault's address */
	__u64 ts;
	__u64 file;           /* the copy's file mapping (ct_file_key), 0 */
	__u64 page;           /* the page a copy allocated ... */
	__u64 copy_ns;        /* ... when */
	__u64 seg_ns;         /* ... the fork it was charged to (seg_fork_ns) */
	__s32 kstack;         /* ... its kernel stack (--kernel-stacks) */
	__s32 ustack;         /* --stacks: the user stack taken at the fault */
	__u8 pending;         /* a write fault waits for its allocation */
	__u8 copied;          /* ... and it had one (2: of the zero page) */
	__u8 kernel;          /* ... taken in kernel mode */
	__u8 map;             /* enum ct_map_class of the copy */
	__u8 __pad[4];
};

struct ct_thread {
	__u8 filter;          /* follow mode: 0 not looked up, 1 traced, 2 not */
	__u8 __pad[7];
	struct ct_wp_thread wp;
	struct ct_thp_thread thp;
	struct ct_uffd_thread uffd;
	struct ct_fork_thread fork;
	struct ct_zap_thread zap;
	struct ct_tp_thread tp;
};

#endif /* COWTRACE_THREAD_BPF_H */
