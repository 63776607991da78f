/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel's side of a live run, for the unit tests: events go in, and
 * what live tracing gives the aggregation comes out: each process's record
 * (its counters, its segment since the fork its copies are charged to) and
 * histograms at every snapshot, a FORKED record at a fork that ends a
 * segment, the final record at exit, and the fork events from the ring.
 * It counts as bpf/ does (cowtrace.bpf.h: count_copy, proc_new;
 * lifecycle.bpf.c: sched_fork, proc_exit), so a test written once as a
 * sequence of events checks the live path (KF_RECORDS, the default) and the
 * replay path (KF_EVENTS: every event to agg_add()) alike.
 */
#ifndef COWTRACE_TESTS_KFEED_H
#define COWTRACE_TESTS_KFEED_H

#include "harness.h"

enum kf_path { KF_RECORDS, KF_EVENTS };

#define KF_PROCS 64

struct kf_proc {
	bool live;
	struct ct_proc_rec r;
	struct ct_hist_val h[CT_H_MAX];
	uint32_t hists;          /* bit per histogram that has a value */
};

struct kfeed {
	struct ct_agg *a;
	enum kf_path path;
	uint64_t starts;         /* start times handed out */
	struct kf_proc p[KF_PROCS];
};

/* agg: initialised; its count_events follows the path. */
void kf_init(struct kfeed *k, struct ct_agg *a, enum kf_path path);
/* One event, as the kernel sees it.  Returns what agg_add() did, or 0. */
int kf_event(struct kfeed *k, const struct ct_event *e);
/*
 * A fork's record when its call returned (fork_send), after its fork
 * event: the parent's page tables and fork_duration as the kernel counts
 * them (records path).  Returns what agg_fork_rec() did.
 */
int kf_fork_rec(struct kfeed *k, const struct ct_fork_rec *r);
/* A full read of the kernel's maps (records path; nothing on the events path). */
void kf_snapshot(struct kfeed *k);

#endif /* COWTRACE_TESTS_KFEED_H */
