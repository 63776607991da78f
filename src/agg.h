/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The aggregation core: per-process and per-fork statistics.  Pure
 * userspace: no libbpf, no printing; the tests drive it.  Two parts:
 *
 * - the process table and its lifecycle (agg_proc.c): processes by pid,
 *   exits and pid reuse, fork records and which fork a copy is charged to,
 *   eviction of exited processes into per-command folds, cgroup names;
 * - counting (agg.c): what an event adds to a process's counters and
 *   histograms, or what a process record from the kernel's maps sets them
 *   to, and the numbers derived from them (proc_stat()).
 *
 * Two sources of counts.  Live tracing counts in the kernel: the frontend
 * gives agg_proc_rec() and agg_hist_rec() every process's record at every
 * report (and its final one at exit), and agg_add() only the fork events
 * (count_events false).  Replaying an old record, and the unit tests, feed
 * one event per fault to agg_add() (count_events true).
 */
#ifndef COWTRACE_AGG_H
#define COWTRACE_AGG_H
#include <stdbool.h>
#include <stdint.h>
#include "cowtrace.h"
#include "hist.h"
#include "stats.h"

struct ct_proc_hists {
	struct ct_hist h[CT_H_MAX];  /* enum ct_hist_id, ns */
};

struct ct_proc {
	uint32_t pid, ppid;      /* pid 0: a fold of evicted exited processes */
	char comm[CT_COMM_LEN];
	bool exited;
	uint32_t folded;         /* processes summed into this entry (pid 0) */
	uint64_t cgroup_id;      /* cgroup v2 id of its last event */
	uint64_t first_ns, last_ns;
	uint64_t start_ns;       /* from its kernel record: pid + start_ns = the process (0: unknown) */
	uint64_t birth_ns;       /* from its kernel record: its fork's time, 0: not seen */
	uint32_t seen_gen;       /* the last snapshot that had it */
	bool awaiting_exit;      /* ended without its final record, which may still come:
				    not evicted for a few snapshots */
	uint64_t c[CT_C_MAX];    /* enum ct_counter */
	int32_t birth_fork;      /* index into forks[] of the fork that made it, -1 */
	int32_t last_fork;       /* its most recent fork as a parent, -1 */
	struct ct_proc_hists *h; /* allocated at the first timed sample */
	uint64_t rate_base[2];   /* reuse and copy at the previous report (-i rates; the reporter sets them) */
};

struct ct_fork {
	uint32_t parent, child;
	uint64_t ts_ns;
	uint64_t pinned_cow;     /* pages copied at once by the fork */
	uint64_t parent_copies;  /* pages the parent copied afterwards (until its next fork) */
	uint64_t child_copies;   /* pages the child copied */
	uint64_t first_copy_ns;  /* first and last of those copies (0: none) */
	uint64_t last_copy_ns;
	uint64_t side_first[2], side_last[2]; /* the same, per side: CT_FORK_SIDE_* */
	uint64_t side_map[2][CT_MAP_MAX];     /* per side, the copies by the memory they hit */
	uint8_t traced;          /* the sides that were traced: CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED;
				    a side not traced has no copies to tell (shown "-", null) */
};

enum { CT_FORK_SIDE_PARENT, CT_FORK_SIDE_CHILD };

struct ct_cgroup_name {
	uint64_t id;
	char *path;              /* relative to the cgroup2 mount, "/" for the root */
};

struct ct_agg {
	struct ct_proc *procs;   /* every process seen, in order of first sight */
	uint32_t nprocs, cap;
	int32_t *index;          /* open addressing: pid -> live procs[] index */
	uint32_t index_cap;      /* power of two */
	uint32_t index_used;
	int32_t *gone_index;     /* open addressing: pid -> its latest exited procs[] index */
	uint32_t gone_cap, gone_used; /* gone_cap 0: no index (out of memory), search them all */
	struct ct_fork *forks;
	uint32_t nforks, fork_cap;
	bool count_events;       /* agg_add() counts faults (else the kernel's records do) */
	uint32_t snap_gen;       /* agg_snapshot_begin() generation */
	uint64_t exits_unseen;   /* processes gone from the kernel's maps without their exit record */
	uint64_t events;         /* events consumed */
	uint64_t bad_events;     /* events with an unknown type or kind */
	uint64_t first_ns, last_ns;
	uint32_t page_size;
	/*
	 * Bounded memory: once more than max_exited exited processes are kept,
	 * the oldest are folded into one pid-0 entry per (comm, cgroup), and
	 * fork records nobody refers to any more into forks_folded.  keep()
	 * may veto the eviction of a process (e.g. a pid with its own series).
	 */
	uint32_t max_exited;     /* 0: never evict */
	uint32_t nexited;        /* exited, unfolded entries in procs[] */
	uint32_t evict_retry;    /* a pass left more than max_exited (entries awaiting their final
				    record): the next pass when nexited passes this, or at the
				    next snapshot; 0: at max_exited */
	uint64_t evicted;        /* processes folded so far */
	uint64_t evict_passes;   /* agg_evict() calls */
	struct ct_fork forks_folded; /* sums of dropped fork records; .child = how many */
	bool (*keep)(void *ctx, const struct ct_proc *p);
	void *keep_ctx;
	int32_t cache_idx;       /* procs[] index of the last event's process, -1 */
	struct ct_cgroup_name *cgroups;
	uint32_t ncgroups, cgroup_cap;
};

/* ---- counting (agg.c) ---- */

/* Consume one event.  Returns 0, or -1 if the event was malformed (counted). */
int agg_add(struct ct_agg *a, const struct ct_event *e);
/*
 * A process's record from the kernel (a snapshot, or its final counts with
 * CT_PROC_EXITED): sets its counters.  0, or -1 if malformed (counted).
 */
int agg_proc_rec(struct ct_agg *a, const struct ct_proc_rec *r);
/* One histogram of a process, from the kernel: replaces it.  0 or -1. */
int agg_hist_rec(struct ct_agg *a, const struct ct_hist_rec *r);
/*
 * A full read of the kernel's process map is bracketed by these: a live
 * process missing from two reads in a row left the map without its exit
 * record reaching us (the ring was full); it is marked exited.
 */
void agg_snapshot_begin(struct ct_agg *a);
void agg_snapshot_end(struct ct_agg *a);
/* Value of a per-process statistic (counters and derived numbers, not histograms). */
uint64_t proc_stat(const struct ct_proc *p, enum ct_stat s, uint32_t page_size);
uint64_t proc_copies(const struct ct_proc *p);   /* all copy kinds, not unshare */
uint64_t proc_copied_bytes(const struct ct_proc *p, uint32_t page_size);
/* Add src's counters and histograms to dst (folds, label groups). */
void proc_add(struct ct_proc *dst, const struct ct_proc *src);
void proc_hists_merge(struct ct_proc_hists *dst, const struct ct_proc_hists *src);
/* p's histograms, allocated on first use; NULL if out of memory. */
struct ct_proc_hists *proc_hists(struct ct_proc *p);

/* ---- the process table and its lifecycle (agg_proc.c) ---- */

int agg_init(struct ct_agg *a, uint32_t page_size);
void agg_free(struct ct_agg *a);
/* The live entry for pid, or NULL. */
struct ct_proc *agg_find(const struct ct_agg *a, uint32_t pid);
/* The live entry for the event's process, created on first sight; NULL: out of memory. */
struct ct_proc *agg_proc_of(struct ct_agg *a, const struct ct_event *e);
/* A process created by a fork, or one whose last thread exited. */
int agg_fork(struct ct_agg *a, const struct ct_event *e);
void agg_exit(struct ct_agg *a, const struct ct_event *e);
/*
 * Charge a copy by p at ts to the fork it follows (fork records,
 * fork_to_copy); map: 1 + the memory it hit (enum ct_map_class), 0 unknown.
 */
void agg_charge_copy(struct ct_agg *a, struct ct_proc *p, uint64_t ts, unsigned map);
/*
 * The entry of the process a kernel record describes (pid and start_ns):
 * the live one, a new one (a reused pid ends the old entry), or an exited
 * one for a late exit record.  NULL: out of memory.
 */
struct ct_proc *agg_proc_for_rec(struct ct_agg *a, uint32_t pid, uint64_t start_ns, uint64_t birth_ns,
				 bool exited);
/* The entry (live or exited) of pid with that start; NULL if none. */
struct ct_proc *agg_proc_lookup(const struct ct_agg *a, uint32_t pid, uint64_t start_ns);
/* A kernel record's segment: the copies since the fork its process's copies are charged to. */
void agg_apply_segment(struct ct_agg *a, struct ct_proc *p, const struct ct_proc_rec *r);
void agg_proc_exited(struct ct_agg *a, struct ct_proc *p, uint64_t ts);
/* Ended, though its final record has not come (it may yet, from the ring). */
void agg_proc_gone(struct ct_agg *a, struct ct_proc *p);

/* Fold exited processes now, down to max_exited / 2 (0: all that may go). */
void agg_evict(struct ct_agg *a);

/* cgroup id -> path, for labels and JSON.  0 or -ENOMEM; NULL if unknown. */
int agg_set_cgroup_name(struct ct_agg *a, uint64_t id, const char *path);
const char *agg_cgroup_name(const struct ct_agg *a, uint64_t id);

/* Indices of procs sorted by copies (desc), then pid; caller frees. */
uint32_t *agg_sorted(const struct ct_agg *a);

#endif
