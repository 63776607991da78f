/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A fork's record (struct ct_fork_rec), sent when the fork call returns
 * (fork.bpf.c) or, where no program runs there, at sched_process_fork
 * (lifecycle.bpf.c), which notes what it holds in the thread's fork state.
 */
#ifndef COWTRACE_FORK_BPF_H
#define COWTRACE_FORK_BPF_H

#include "cowtrace.bpf.h"

/*
 * Send the fork the thread's state holds (if sched_process_fork made a
 * process in this call) and forget the call.  exit_ns: the call's return,
 * 0 if not seen.  The parent's fork_duration histogram takes the call's
 * time where both its ends were seen.
 */
static __always_inline void fork_send(struct ct_thread *t, __u32 tgid, __u64 exit_ns)
{
	struct ct_fork_thread *f = &t->fork;
	struct ct_fork_rec *r;

	if (f->fork_ns && (r = ring_reserve(&lifecycle, sizeof(*r)))) {
		bool timed = f->enter_ns && exit_ns >= f->enter_ns;

		r->fork_ns = f->fork_ns;
		r->enter_ns = timed ? f->enter_ns : 0;
		r->exit_ns = timed ? exit_ns : 0;
		r->cpr_ns = f->cpr ? f->cpr_ns : 0;
		r->pgtables_bytes = f->pgtables;
		for (int i = 0; i < CT_RSS_MAX; i++)
			r->rss[i] = f->rss[i];
		r->parent = tgid;
		r->child = f->child;
		r->vmas = f->vmas;
		r->type = CT_REC_TYPE_FORK;
		r->known = f->known | (timed ? CT_FK_DURATION : 0) | (f->cpr ? CT_FK_CPR : 0);
		bpf_ringbuf_submit(r, rb_wakeup(&lifecycle));
		if (timed && f->parent_traced)
			hist_add(tgid, CT_H_FORK_DURATION, exit_ns - f->enter_ns);
	}
	f->fork_ns = 0;
	f->enter_ns = 0;
	f->cpr_ns = 0;
	f->cpr = 0;
}

#endif /* COWTRACE_FORK_BPF_H */
