/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The process table: every process seen, by pid (an open-addressing index
 * of the live ones and one of the exited ones), its lifecycle (exit, a
 * reused pid, an exit that never came) and the eviction of exited
 * processes into one entry per (command, cgroup), plus cgroup names.
 *
 * It knows nothing of counting.  An entry's counters, histograms and fork
 * links are carried along, never read: what a new entry starts with and
 * how an evicted entry is summed into its fold are the owner's (ops).  The
 * table never evicts on its own; its owner calls pt_evict() when
 * pt_evict_due() says so, at a point where no entry pointer is held.
 */
#ifndef COWTRACE_PROCTAB_H
#define COWTRACE_PROCTAB_H
#include <stdbool.h>
#include <stdint.h>
#include "cowtrace.h"
#include "hist.h"

struct ct_proc_hists {
	struct ct_hist h[CT_H_MAX];  /* enum ct_hist_id, ns */
};

struct ct_proc {
	/* the table's: who the process is and where it is in its life */
	uint32_t pid, ppid;      /* pid 0: a fold of evicted exited processes */
	char comm[CT_COMM_LEN];
	bool exited;
	uint32_t folded;         /* processes summed into this entry (pid 0) */
	uint64_t cgroup_id;      /* cgroup v2 id of its last event */
	uint64_t first_ns, last_ns;
	uint64_t start_ns;       /* from its kernel record: pid + start_ns = the process (0: unknown) */
	uint64_t birth_ns;       /* from its kernel record: its fork's time, 0: not seen */
	uint64_t fork_seen_ns;   /* the fork event that made it, 0: none seen */
	uint32_t seen_gen;       /* the last snapshot that had it */
	bool awaiting_exit;      /* ended without its final record, which may still come:
				    not evicted for a few snapshots */
	/* the owner's (agg.c): carried, never read, by the table */
	uint64_t c[CT_C_MAX];    /* enum ct_counter */
	int32_t birth_fork;      /* index into forks[] of the fork that made it, -1 */
	int32_t last_fork;       /* its most recent fork as a parent, -1 */
	struct ct_proc_hists *h; /* allocated at the first timed sample */
	uint64_t rate_base[2];   /* reuse and copy at the previous report (-i rates; the reporter sets them) */
};

struct ct_cgroup_name {
	uint64_t id;
	char *path;              /* relative to the cgroup2 mount, "/" for the root */
};

struct ct_proctab_ops {
	void (*init)(struct ct_proc *p);   /* a new entry's owner part (the rest is zero) */
	/* sum src's owner part into dst, a fold; src is dropped after */
	void (*fold)(struct ct_proc *dst, struct ct_proc *src);
};

struct ct_proctab {
	struct ct_proc *procs;   /* every process seen, in order of first sight */
	uint32_t nprocs, cap;
	int32_t *index;          /* open addressing: pid -> live procs[] index */
	uint32_t index_cap;      /* power of two */
	uint32_t index_used;
	int32_t *gone_index;     /* open addressing: pid -> its latest exited procs[] index */
	uint32_t gone_cap, gone_used; /* gone_cap 0: no index (out of memory), search them all */
	int32_t cache_idx;       /* procs[] index of the last looked-up process, -1 */
	uint32_t snap_gen;       /* pt_snapshot_begin() generation */
	uint64_t exits_unseen;   /* processes gone from the kernel's maps without their exit record */
	/*
	 * Bounded memory: once more than max_exited exited processes are kept,
	 * the oldest are folded into one pid-0 entry per (comm, cgroup).
	 * keep() may veto the eviction of a process (e.g. a pid with its own
	 * series).
	 */
	uint32_t max_exited;     /* 0: never evict */
	uint32_t nexited;        /* exited, unfolded entries in procs[] */
	uint32_t evict_retry;    /* a pass left more than max_exited (entries awaiting their final
				    record): the next pass when nexited passes this, or at the
				    next snapshot; 0: at max_exited */
	uint64_t evicted;        /* processes folded so far */
	uint64_t evict_passes;   /* pt_evict() calls */
	bool (*keep)(void *ctx, const struct ct_proc *p);
	void *keep_ctx;
	struct ct_proctab_ops ops;
	struct ct_cgroup_name *cgroups;
	uint32_t ncgroups, cgroup_cap;
};

int pt_init(struct ct_proctab *t, const struct ct_proctab_ops *ops);
void pt_free(struct ct_proctab *t);      /* the owner frees its part first */

/* The live entry for pid, or NULL. */
struct ct_proc *pt_find(const struct ct_proctab *t, uint32_t pid);
/* A new live entry for pid (first sight, or a fork's child); NULL: out of memory. */
struct ct_proc *pt_new(struct ct_proctab *t, uint32_t pid, uint32_t ppid, const char *comm, uint64_t ts);
/*
 * The live entry of an event's process, made on first sight; its comm,
 * ppid, cgroup (when given) and last_ns follow the event.  NULL: out of memory.
 */
struct ct_proc *pt_of_event(struct ct_proctab *t, uint32_t pid, uint32_t ppid, const char *comm,
			    uint64_t cgroup_id, uint64_t ts);
/*
 * The entry of the process a kernel record describes (pid and start_ns):
 * the live one, a new one (a reused pid ends the old entry), or an exited
 * one for a late exit record.  NULL: out of memory.
 */
struct ct_proc *pt_for_rec(struct ct_proctab *t, uint32_t pid, uint64_t start_ns, uint64_t birth_ns,
			   bool exited);
/* The entry (live or exited) of pid with that start (0: the live one); NULL if none. */
struct ct_proc *pt_lookup(const struct ct_proctab *t, uint32_t pid, uint64_t start_ns);

/* It ended (its exit event or final record): its pid may be reused from now on. */
void pt_exited(struct ct_proctab *t, struct ct_proc *p, uint64_t ts);
/* It ended, though its final record has not come (it may yet, from the ring). */
void pt_gone(struct ct_proctab *t, struct ct_proc *p);
/*
 * A full read of the kernel's process map is bracketed by these: a live
 * process missing from two reads in a row left the map without its exit
 * record reaching us (the ring was full); it is marked gone.
 */
void pt_snapshot_begin(struct ct_proctab *t);
void pt_snapshot_end(struct ct_proctab *t);

/* More exited entries than max_exited, past the retry mark. */
bool pt_evict_due(const struct ct_proctab *t);
/* Fold exited entries now, down to max_exited / 2 (0: all that may go).  Entries move. */
void pt_evict(struct ct_proctab *t);

/* cgroup id -> path, for labels and JSON.  0 or -ENOMEM; NULL if unknown. */
int pt_set_cgroup_name(struct ct_proctab *t, uint64_t id, const char *path);
const char *pt_cgroup_name(const struct ct_proctab *t, uint64_t id);

#endif
