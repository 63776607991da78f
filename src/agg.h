/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Counting, on top of the process table (proctab.h): what the kernel's
 * records and the events set or add to a process's counters and
 * histograms, the fork records and the fork each copy is charged to, and
 * the numbers derived from them (proc_stat()).  Pure userspace: no
 * libbpf, no printing; the tests drive it.  Calls go one way: into the
 * table, never back.
 *
 * Two sources of counts.  Live tracing counts in the kernel: the frontend
 * gives agg_proc_rec() and agg_hist_rec() every process's record at every
 * report (and its final one at exit), and agg_add() only the fork events
 * (count_events false).  Replaying a complete record file does the same
 * with the records it holds; one cut before its end (or of format 1) feeds
 * one event per fault to agg_add() instead (count_events true).
 */
#ifndef COWTRACE_AGG_H
#define COWTRACE_AGG_H
#include <stdbool.h>
#include <stdint.h>
#include "cowtrace.h"
#include "hist.h"
#include "proctab.h"
#include "stats.h"

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
	/* what the fork call cost (its struct ct_fork_rec); fields whose CT_FK_* bit is clear are unknown */
	uint16_t known;          /* CT_FK_*; 0: no record of the call came */
	uint64_t duration_ns;    /* the parent's time in the fork call */
	uint64_t cpr_ns;         /* of which copying page tables (copy_page_range) */
	uint64_t pgtables_bytes; /* the page tables the child got */
	uint64_t rss[CT_RSS_MAX];/* the parent's pages at the fork, by kind */
	uint32_t vmas;           /* the parent's VMAs */
	uint64_t exec_ns;        /* the child's first exec (its CT_EV_EXEC ts), 0: none seen */
};

enum { CT_FORK_SIDE_PARENT, CT_FORK_SIDE_CHILD };

struct ct_agg {
	struct ct_proctab t;     /* the processes */
	struct ct_fork *forks;
	uint32_t nforks, fork_cap;
	/* fork records no kept process refers to any more, summed; .child = how many */
	struct ct_fork forks_folded;
	bool count_events;       /* agg_add() counts faults (else the kernel's records do) */
	uint64_t events;         /* events consumed */
	uint64_t bad_events;     /* events or records with an unknown type or kind */
	uint64_t first_ns, last_ns;
	uint32_t page_size;
};

int agg_init(struct ct_agg *a, uint32_t page_size);
void agg_free(struct ct_agg *a);

/* Consume one event.  Returns 0, or -1 if the event was malformed (counted). */
int agg_add(struct ct_agg *a, const struct ct_event *e);
/*
 * A process's record from the kernel (a snapshot, or its final counts with
 * CT_PROC_EXITED): sets its counters.  0, or -1 if malformed (counted).
 */
int agg_proc_rec(struct ct_agg *a, const struct ct_proc_rec *r);
/*
 * What a fork call cost (sent when it returned): onto its fork record
 * (the fork event came first).  Replaying events (count_events), also into
 * the parent's page_table_bytes and fork_duration, as the kernel counts
 * them.  0, or -1 if malformed (counted); a fork not known (its event lost,
 * or folded) is ignored.
 */
int agg_fork_rec(struct ct_agg *a, const struct ct_fork_rec *r);
/* One histogram of a process, from the kernel: replaces it.  0 or -1. */
int agg_hist_rec(struct ct_agg *a, const struct ct_hist_rec *r);
/* A full read of the kernel's process map: pt_snapshot_begin()/end(), then eviction. */
void agg_snapshot_begin(struct ct_agg *a);
void agg_snapshot_end(struct ct_agg *a);
/* p ended and no record will say so (its exit program was skipped).  p is stale after. */
void agg_proc_exited(struct ct_agg *a, struct ct_proc *p, uint64_t ts);
/* Fold exited processes now (pt_evict()), and the fork records nobody refers to. */
void agg_evict(struct ct_agg *a);

/* Value of a per-process statistic (counters and derived numbers, not histograms). */
uint64_t proc_stat(const struct ct_proc *p, enum ct_stat s, uint32_t page_size);
uint64_t proc_copies(const struct ct_proc *p);   /* all copy kinds, not unshare */
uint64_t proc_copied_bytes(const struct ct_proc *p, uint32_t page_size);
/* Add src's counters and histograms to dst (label groups). */
void proc_add(struct ct_proc *dst, const struct ct_proc *src);
void proc_hists_merge(struct ct_proc_hists *dst, const struct ct_proc_hists *src);
/* p's histograms, allocated on first use; NULL if out of memory. */
struct ct_proc_hists *proc_hists(struct ct_proc *p);
/* Indices of procs sorted by copies (desc), then pid; caller frees. */
uint32_t *agg_sorted(const struct ct_agg *a);

/* Lookups in the table, for the readers of an aggregation. */
static inline struct ct_proc *agg_find(const struct ct_agg *a, uint32_t pid)
{
	return pt_find(&a->t, pid);
}
static inline struct ct_proc *agg_proc_lookup(const struct ct_agg *a, uint32_t pid, uint64_t start_ns)
{
	return pt_lookup(&a->t, pid, start_ns);
}
static inline const char *agg_cgroup_name(const struct ct_agg *a, uint64_t id)
{
	return pt_cgroup_name(&a->t, id);
}
static inline int agg_set_cgroup_name(struct ct_agg *a, uint64_t id, const char *path)
{
	return pt_set_cgroup_name(&a->t, id, path);
}

#endif
