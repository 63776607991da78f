/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A write fault in flight, settled when its exit program did not run: what
 * wp.bpf.c (at the thread's next fault) and lifecycle.bpf.c (at its exit)
 * share.
 */
#ifndef COWTRACE_WP_BPF_H
#define COWTRACE_WP_BPF_H

#include "cowtrace.bpf.h"

/*
 * Settle a fault whose exit program the kernel skipped (its per-CPU
 * recursion guard skips a program while a preempted run of it is pending
 * on that CPU; the skips are counted in the program's recursion_misses).
 * Settled outcomes have no latency (ct_wp_settle_kind() says which they
 * are).  next_addr: the page of the thread's next fault, 0 at its exit.
 */
static __always_inline void wp_settle(struct ct_thread *t, __u32 tgid, __u64 next_addr, __u64 now)
{
	struct ct_wp_thread *w = &t->wp;
	__u16 kind = ct_wp_settle_kind(w->copied, w->kind, w->unshare, w->uffd, next_addr == w->addr, w->shared);

	w->active = 0;
	stat_inc(CT_STAT_SETTLED);
	if (kind < CT_WP_KIND_MAX)
		count_wp(NULL, tgid, kind, 0, now, w->copied ? w->map : 0, w->copied ? w->file : 0);
}

#endif /* COWTRACE_WP_BPF_H */
