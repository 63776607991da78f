/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tracepoint mode's write fault in flight, settled at the thread's next
 * fault (tp.bpf.c) or at its exit (lifecycle.bpf.c).
 */
#ifndef COWTRACE_TP_BPF_H
#define COWTRACE_TP_BPF_H

#include "cowtrace.bpf.h"

/* Per-event mode: the fault's outcome, once it is known (its next fault or exit). */
static __always_inline void tp_settle(struct ct_thread *t)
{
	__u16 kind = t->tp.copied == 2 ? CT_WP_COPY_ZERO : t->tp.copied ? CT_WP_COPY_ANON : CT_WP_REUSE;

	if (t->tp.pending && cfg.per_event) /* latency is not observable here */
		emit_map_to(&events, CT_EV_WP, kind, 0, 0, t->tp.ts, t->tp.copied && t->tp.map < CT_MAP_MAX ? t->tp.map + 1 : 0);
	t->tp.pending = 0;
}

#endif /* COWTRACE_TP_BPF_H */
