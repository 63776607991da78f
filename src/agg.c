// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Counting: what an event adds to its process's counters and histograms,
 * and the per-process numbers derived from them (proc_stat()).  Which
 * process an event belongs to, forks and exits are agg_proc.c's.
 */
#include <stdlib.h>
#include <string.h>
#include "agg.h"

struct ct_proc_hists *proc_hists(struct ct_proc *p)
{
	if (!p->h)
		p->h = calloc(1, sizeof(*p->h));
	return p->h;
}

/* The counter an event adds to (its value or one), or -1 for a lifecycle event. */
static int event_counter(const struct ct_event *e)
{
	switch (e->type) {
	case CT_EV_WP: return CT_C_WP + e->kind;
	case CT_EV_THP: return CT_C_THP + e->kind;
	case CT_EV_UFFD: return CT_C_UFFD + e->kind;
	case CT_EV_PINNED: return CT_C_PINNED;
	case CT_EV_MARKER: return CT_C_MARKER;
	default: return -1;
	}
}

/* The histogram an event's value goes to, or -1. */
static int event_hist(const struct ct_event *e)
{
	switch (e->type) {
	case CT_EV_WP: return e->value ? (int)ct_wp_lat_hist(e->kind) : -1; /* 0: not timed */
	case CT_EV_THP: return e->value ? CT_H_LAT_THP : -1;
	case CT_EV_UFFD: return e->kind < CT_UFFD_BLOCKING && e->value ? CT_H_UFFD_BLOCKED + e->kind : -1;
	default: return -1;
	}
}

static bool event_valid(const struct ct_event *e)
{
	if (e->type == 0 || e->type >= CT_EV_TYPE_MAX ||
	    (e->type == CT_EV_WP && e->kind >= CT_WP_KIND_MAX) ||
	    (e->type == CT_EV_THP && e->kind >= CT_THP_KIND_MAX) ||
	    (e->type == CT_EV_UFFD && e->kind >= CT_UFFD_KIND_MAX))
		return false;
	/*
	 * pid 0 marks the folds of evicted processes: no process may claim it.
	 * A process never forks itself (new threads are not fork events): such
	 * a record would give one pid two live entries.
	 */
	if (e->type == CT_EV_FORK)
		return !((e->kind & CT_FORK_PARENT_TRACED) && !e->pid) &&
		       !((e->kind & CT_FORK_CHILD_TRACED) && !e->aux) && e->pid != e->aux;
	return e->pid != 0;
}

int agg_add(struct ct_agg *a, const struct ct_event *e)
{
	struct ct_proc_hists *h;
	struct ct_proc *p;
	int c, hi;

	if (!event_valid(e)) {
		a->bad_events++;
		return -1;
	}
	a->events++;
	if (!a->first_ns || e->ts_ns < a->first_ns)
		a->first_ns = e->ts_ns;
	if (e->ts_ns > a->last_ns)
		a->last_ns = e->ts_ns;

	switch (e->type) {
	case CT_EV_FORK:
		return agg_fork(a, e);
	case CT_EV_EXIT:
		if (a->count_events) /* else the process's final record ends it */
			agg_exit(a, e);
		return 0;
	}
	if (!a->count_events)
		return 0; /* the kernel counted it: its records say so */
	p = agg_proc_of(a, e);
	if (!p)
		return -1;
	c = event_counter(e);
	if (c >= 0)
		p->c[c] += (e->type == CT_EV_PINNED || e->type == CT_EV_MARKER) ? e->value : 1;
	hi = event_hist(e);
	if (hi >= 0 && (h = proc_hists(p)))
		hist_add(&h->h[hi], e->value);
	if (e->type == CT_EV_WP && ct_wp_is_copy(e->kind)) {
		if (e->map && e->map <= CT_MAP_MAX)
			p->c[CT_C_MAP + e->map - 1]++;
		agg_charge_copy(a, p, e->ts_ns, e->map);
	}
	return 0;
}

static void span(struct ct_agg *a, uint64_t first, uint64_t last)
{
	if (first && (!a->first_ns || first < a->first_ns))
		a->first_ns = first;
	if (last > a->last_ns)
		a->last_ns = last;
}

int agg_proc_rec(struct ct_agg *a, const struct ct_proc_rec *r)
{
	bool exited = r->flags & CT_PROC_EXITED;
	struct ct_proc *p;

	if (!r->pid || r->type != CT_REC_TYPE_PROC || r->seg_side > CT_SEG_PARENT) {
		a->bad_events++;
		return -1;
	}
	p = agg_proc_for_rec(a, r->pid, r->start_ns, r->birth_ns, exited);
	if (!p)
		return -1;
	memcpy(p->c, r->c, sizeof(p->c));
	p->ppid = r->ppid;
	memcpy(p->comm, r->comm, CT_COMM_LEN);
	p->comm[CT_COMM_LEN - 1] = 0;
	p->cgroup_id = r->cgroup_id;
	p->birth_ns = r->birth_ns;
	if (r->first_ns && (!p->first_ns || r->first_ns < p->first_ns))
		p->first_ns = r->first_ns;
	if (r->last_ns > p->last_ns)
		p->last_ns = r->last_ns;
	p->seen_gen = a->snap_gen;
	span(a, r->first_ns, r->last_ns);
	agg_apply_segment(a, p, r);
	if (exited)
		agg_proc_exited(a, p, r->last_ns); /* may move entries: p is stale after this */
	return 0;
}

int agg_hist_rec(struct ct_agg *a, const struct ct_hist_rec *r)
{
	struct ct_proc *p;
	struct ct_hist *h;

	if (!r->pid || r->type != CT_REC_TYPE_HIST || r->id >= CT_H_MAX) {
		a->bad_events++;
		return -1;
	}
	p = agg_proc_lookup(a, r->pid, r->start_ns);
	if (!p || !proc_hists(p))
		return -1; /* its process record has not come yet: the next read brings both */
	h = &p->h->h[r->id];
	memset(h, 0, sizeof(*h));
	for (unsigned i = 0; i < CT_HIST_SLOTS; i++) {
		h->slot[i] = r->h.slot[i];
		h->count += r->h.slot[i];
	}
	h->sum = r->h.sum;
	return 0;
}

uint64_t proc_copies(const struct ct_proc *p)
{
	uint64_t n = 0;

	for (unsigned k = 0; k < CT_WP_KIND_MAX; k++)
		if (ct_wp_is_copy(k))
			n += p->c[CT_C_WP + k];
	return n;
}

uint64_t proc_copied_bytes(const struct ct_proc *p, uint32_t page_size)
{
	return (proc_copies(p) + p->c[CT_C_WP + CT_WP_UNSHARE] + p->c[CT_C_PINNED]) *
	       (uint64_t)page_size;
}

uint64_t proc_stat(const struct ct_proc *p, enum ct_stat s, uint32_t page_size)
{
	if (s >= ST_MAX)
		return 0;
	switch (ct_stats[s].type) {
	case STAT_COUNTER: return p->c[ct_stats[s].counter];
	case STAT_COPIES: return proc_copies(p);
	case STAT_BYTES: return proc_copied_bytes(p, page_size);
	default: return 0;
	}
}

void proc_hists_merge(struct ct_proc_hists *dst, const struct ct_proc_hists *src)
{
	for (int i = 0; i < CT_H_MAX; i++)
		hist_merge(&dst->h[i], &src->h[i]);
}

void proc_add(struct ct_proc *dst, const struct ct_proc *src)
{
	for (int c = 0; c < CT_C_MAX; c++)
		dst->c[c] += src->c[c];
	if (!dst->first_ns || src->first_ns < dst->first_ns)
		dst->first_ns = src->first_ns;
	if (src->last_ns > dst->last_ns)
		dst->last_ns = src->last_ns;
	/* on failure the histograms are lost, the counters not */
	if (src->h && proc_hists(dst))
		proc_hists_merge(dst->h, src->h);
}
