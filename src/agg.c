// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Counting (agg.h): events and kernel records into a process's counters
 * and histograms, fork records and the fork each copy is charged to.
 * Which entry a process has is the table's (proctab.c), asked, never
 * asking back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"

/* The table's hooks: an entry's counting part starts empty and folds by sum. */
static void proc_init(struct ct_proc *p)
{
	p->birth_fork = -1;
	p->last_fork = -1;
}

static void proc_fold(struct ct_proc *dst, struct ct_proc *src)
{
	proc_add(dst, src);
	free(src->h);
	src->h = NULL;
}

int agg_init(struct ct_agg *a, uint32_t page_size)
{
	static const struct ct_proctab_ops ops = { .init = proc_init, .fold = proc_fold };

	memset(a, 0, sizeof(*a));
	a->page_size = page_size ? page_size : 4096;
	a->count_events = true;
	return pt_init(&a->t, &ops);
}

void agg_free(struct ct_agg *a)
{
	for (uint32_t i = 0; i < a->t.nprocs; i++)
		free(a->t.procs[i].h);
	pt_free(&a->t);
	free(a->forks);
	memset(a, 0, sizeof(*a));
}

/* Drop fork records no kept process refers to, summing them into forks_folded. */
static void forks_compact(struct ct_agg *a)
{
	int32_t *map = malloc((a->nforks ? a->nforks : 1) * sizeof(*map));
	uint32_t n = 0;

	if (!map)
		return;
	for (uint32_t i = 0; i < a->nforks; i++)
		map[i] = -1;
	for (uint32_t i = 0; i < a->t.nprocs; i++) {
		if (a->t.procs[i].birth_fork >= 0)
			map[a->t.procs[i].birth_fork] = 0;
		if (a->t.procs[i].last_fork >= 0)
			map[a->t.procs[i].last_fork] = 0;
	}
	for (uint32_t i = 0; i < a->nforks; i++) {
		struct ct_fork *f = &a->forks[i];

		if (map[i] < 0) {
			a->forks_folded.child++;
			a->forks_folded.pinned_cow += f->pinned_cow;
			a->forks_folded.parent_copies += f->parent_copies;
			a->forks_folded.child_copies += f->child_copies;
			continue;
		}
		map[i] = (int32_t)n;
		a->forks[n++] = *f;
	}
	for (uint32_t i = 0; i < a->t.nprocs; i++) {
		struct ct_proc *p = &a->t.procs[i];

		if (p->birth_fork >= 0)
			p->birth_fork = map[p->birth_fork];
		if (p->last_fork >= 0)
			p->last_fork = map[p->last_fork];
	}
	a->nforks = n;
	free(map);
}

void agg_evict(struct ct_agg *a)
{
	pt_evict(&a->t);
	if (a->nforks > (a->t.max_exited > 1024 ? a->t.max_exited : 1024))
		forks_compact(a);
}

/* At the end of each call that may end a process: entries move, no pointer is held. */
static void evict_due(struct ct_agg *a)
{
	if (pt_evict_due(&a->t))
		agg_evict(a);
}

void agg_snapshot_begin(struct ct_agg *a)
{
	pt_snapshot_begin(&a->t);
}

void agg_snapshot_end(struct ct_agg *a)
{
	pt_snapshot_end(&a->t);
	evict_due(a);
}

void agg_proc_exited(struct ct_agg *a, struct ct_proc *p, uint64_t ts)
{
	pt_exited(&a->t, p, ts);
	evict_due(a);
}

/* A fork's first and last copy, over both sides. */
static void fork_span(struct ct_fork *f)
{
	f->first_copy_ns = f->last_copy_ns = 0;
	for (int s = 0; s < 2; s++) {
		if (f->side_first[s] && (!f->first_copy_ns || f->side_first[s] < f->first_copy_ns))
			f->first_copy_ns = f->side_first[s];
		if (f->side_last[s] > f->last_copy_ns)
			f->last_copy_ns = f->side_last[s];
	}
}

/*
 * Charge a copy by p at ts to the fork it follows: the child's birth fork,
 * else the parent's last fork if it came later.  map: 1 + the memory it
 * hit (enum ct_map_class), 0 unknown.
 */
static void charge_copy(struct ct_agg *a, struct ct_proc *p, uint64_t ts, unsigned map)
{
	struct ct_fork *f = NULL;
	struct ct_proc_hists *h;
	int side;

	if (p->last_fork >= 0 && (p->birth_fork < 0 ||
				  a->forks[p->last_fork].ts_ns >= a->forks[p->birth_fork].ts_ns)) {
		f = &a->forks[p->last_fork];
		f->parent_copies++;
		side = CT_FORK_SIDE_PARENT;
	} else if (p->birth_fork >= 0) {
		f = &a->forks[p->birth_fork];
		f->child_copies++;
		side = CT_FORK_SIDE_CHILD;
	}
	if (!f)
		return;
	if (map && map <= CT_MAP_MAX)
		f->side_map[side][map - 1]++;
	if (!f->side_first[side] || ts < f->side_first[side])
		f->side_first[side] = ts;
	if (ts > f->side_last[side])
		f->side_last[side] = ts;
	fork_span(f);
	if (ts >= f->ts_ns && (h = proc_hists(p)))
		hist_add(&h->h[CT_H_FORK_TO_COPY], ts - f->ts_ns);
}

/*
 * The kernel counts the copies since the fork a process's copies are
 * charged to (its birth, then each fork of its own) and sends them with
 * its record: set them on that fork, if it is the fork we know (a fork
 * whose event has not arrived yet is set by a later record).
 */
static void apply_segment(struct ct_agg *a, struct ct_proc *p, const struct ct_proc_rec *r)
{
	int32_t fi = r->seg_side == CT_SEG_CHILD ? p->birth_fork :
		     r->seg_side == CT_SEG_PARENT ? p->last_fork : -1;
	int side = r->seg_side == CT_SEG_CHILD ? CT_FORK_SIDE_CHILD : CT_FORK_SIDE_PARENT;
	struct ct_fork *f;

	if (r->seg_side == CT_SEG_NONE)
		return;
	/*
	 * Not the fork the process's entry points at (a later fork's event
	 * came first, e.g. from another ring): look among the recent forks.
	 */
	if (fi < 0 || (uint32_t)fi >= a->nforks || a->forks[fi].ts_ns != r->seg_fork_ns) {
		fi = -1;
		for (uint32_t i = a->nforks, n = 0; i-- > 0 && n < 256; n++) {
			const struct ct_fork *g = &a->forks[i];

			if (g->ts_ns == r->seg_fork_ns &&
			    (side == CT_FORK_SIDE_CHILD ? g->child : g->parent) == p->pid) {
				fi = (int32_t)i;
				break;
			}
		}
		if (fi < 0)
			return;
	}
	f = &a->forks[fi];
	if (side == CT_FORK_SIDE_CHILD)
		f->child_copies = r->seg_copies;
	else
		f->parent_copies = r->seg_copies;
	f->side_first[side] = r->seg_first_ns;
	f->side_last[side] = r->seg_last_ns;
	for (int m = 0; m < CT_MAP_MAX; m++)
		f->side_map[side][m] = r->seg_map[m];
	fork_span(f);
}

/*
 * The fork that made child at fork_ns (its CT_EV_FORK ts): the child's
 * entry says, else the recent forks.  NULL: not known.
 */
static struct ct_fork *fork_find(struct ct_agg *a, uint32_t child, uint64_t fork_ns)
{
	const struct ct_proc *p = pt_find(&a->t, child);

	if (p && p->birth_fork >= 0 && (uint32_t)p->birth_fork < a->nforks &&
	    a->forks[p->birth_fork].ts_ns == fork_ns && a->forks[p->birth_fork].child == child)
		return &a->forks[p->birth_fork];
	for (uint32_t i = a->nforks, n = 0; i-- > 0 && n < 4096; n++)
		if (a->forks[i].ts_ns == fork_ns && a->forks[i].child == child)
			return &a->forks[i];
	return NULL;
}

int agg_fork_rec(struct ct_agg *a, const struct ct_fork_rec *r)
{
	struct ct_fork *f;
	struct ct_proc *p;

	if (r->type != CT_REC_TYPE_FORK || !r->parent || !r->child || r->parent == r->child ||
	    ((r->known & CT_FK_DURATION) && r->exit_ns < r->enter_ns)) {
		a->bad_events++;
		return -1;
	}
	f = fork_find(a, r->child, r->fork_ns);
	if (!f || f->parent != r->parent)
		return 0;
	f->known = r->known;
	f->duration_ns = (r->known & CT_FK_DURATION) ? r->exit_ns - r->enter_ns : 0;
	f->cpr_ns = (r->known & CT_FK_CPR) ? r->cpr_ns : 0;
	f->pgtables_bytes = r->pgtables_bytes;
	memcpy(f->rss, r->rss, sizeof(f->rss));
	f->vmas = r->vmas;
	if (a->count_events && (f->traced & CT_FORK_PARENT_TRACED) && (p = pt_find(&a->t, r->parent))) {
		struct ct_proc_hists *h;

		p->c[CT_C_PGTABLES] += r->pgtables_bytes;
		if ((r->known & CT_FK_DURATION) && (h = proc_hists(p)))
			hist_add(&h->h[CT_H_FORK_DURATION], f->duration_ns);
	}
	return 0;
}

/* A forked child's first exec: onto its fork record. */
static void exec_event(struct ct_agg *a, const struct ct_event *e)
{
	struct ct_fork *f = fork_find(a, e->pid, e->value);

	if (f && !f->exec_ns && e->ts_ns >= f->ts_ns)
		f->exec_ns = e->ts_ns;
}

/*
 * Whether old, an entry with the pid of a fork's child, is that child: its
 * kernel record names this fork as its birth, or (events of another ring
 * came first) it has no fork and was first seen at or after this one.
 */
static bool same_child(const struct ct_proc *old, const struct ct_event *e)
{
	if (old->birth_ns)
		return old->birth_ns == e->ts_ns;
	return !old->fork_seen_ns && old->first_ns >= e->ts_ns;
}

static struct ct_proc *proc_of(struct ct_agg *a, const struct ct_event *e)
{
	return pt_of_event(&a->t, e->pid, e->ppid, e->comm, e->cgroup_id, e->ts_ns);
}

/* A process created by a fork: its fork record, the child's entry. */
static int fork_event(struct ct_agg *a, const struct ct_event *e)
{
	struct ct_proc *parent, *child, *old;
	struct ct_fork *f;
	uint32_t fi;

	/*
	 * A child pid seen before belonged to an earlier process whose exit was
	 * lost, unless the kernel's record of this very child came first (its
	 * birth is this fork).
	 */
	old = (e->kind & CT_FORK_CHILD_TRACED) ? pt_find(&a->t, e->aux) : NULL;
	if (old && !same_child(old, e)) {
		pt_exited(&a->t, old, e->ts_ns);
		old = NULL;
	}
	if (a->nforks == a->fork_cap) {
		uint32_t cap = a->fork_cap ? a->fork_cap * 2 : 256;
		struct ct_fork *n = realloc(a->forks, cap * sizeof(*n));

		if (!n)
			return -1;
		a->forks = n;
		a->fork_cap = cap;
	}
	fi = a->nforks++;
	f = &a->forks[fi];
	memset(f, 0, sizeof(*f));
	f->parent = e->pid;
	f->child = e->aux;
	f->ts_ns = e->ts_ns;
	f->pinned_cow = e->value;
	f->traced = e->kind & (CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED);
	if (e->kind & CT_FORK_PARENT_TRACED) {
		parent = proc_of(a, e);
		if (!parent)
			return -1;
		if (a->count_events)
			parent->c[CT_C_FORKS]++;
		parent->last_fork = (int32_t)fi;
	}
	if (e->kind & CT_FORK_CHILD_TRACED) {
		child = old ? old : pt_new(&a->t, e->aux, e->pid, e->comm, e->ts_ns);
		if (!child)
			return -1;
		child->birth_fork = (int32_t)fi;
		child->fork_seen_ns = e->ts_ns;
		if (!old)
			child->cgroup_id = e->cgroup_id; /* the parent's, inherited */
	}
	return 0;
}

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
		c = fork_event(a, e);
		evict_due(a); /* a lost exit of the child's pid */
		return c;
	case CT_EV_EXIT:
		if (a->count_events && (p = pt_find(&a->t, e->pid))) /* else its final record ends it */
			agg_proc_exited(a, p, e->ts_ns);
		return 0;
	case CT_EV_EXEC:
		exec_event(a, e);
		return 0;
	}
	if (!a->count_events)
		return 0; /* the kernel counted it: its records say so */
	p = proc_of(a, e);
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
		charge_copy(a, p, e->ts_ns, e->map);
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
	p = pt_for_rec(&a->t, r->pid, r->start_ns, r->birth_ns, exited);
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
	p->seen_gen = a->t.snap_gen;
	span(a, r->first_ns, r->last_ns);
	apply_segment(a, p, r);
	if (exited)
		pt_exited(&a->t, p, r->last_ns);
	evict_due(a); /* also after a reused pid ended the old entry */
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
	p = pt_lookup(&a->t, r->pid, r->start_ns);
	/*
	 * A final histogram comes before its process's final record (the ring
	 * sends them so): a process that was in no snapshot yet has no entry.
	 * Its record follows and fills this one.  A histogram read live (no
	 * start) of a process not seen yet waits for the next read, and one of
	 * a pid another live entry has is not guessed at.
	 */
	if (!p && r->start_ns && !pt_find(&a->t, r->pid))
		p = pt_for_rec(&a->t, r->pid, r->start_ns, 0, false);
	if (!p || !proc_hists(p))
		return -1;
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

static int cmp_proc(const void *x, const void *y, void *ctx)
{
	const struct ct_agg *a = ctx;
	const struct ct_proc *p = &a->t.procs[*(const uint32_t *)x];
	const struct ct_proc *q = &a->t.procs[*(const uint32_t *)y];
	uint64_t cp = proc_copies(p) + p->c[CT_C_PINNED], cq = proc_copies(q) + q->c[CT_C_PINNED];
	uint64_t rp = p->c[CT_C_WP + CT_WP_REUSE], rq = q->c[CT_C_WP + CT_WP_REUSE];

	if (cp != cq)
		return cp > cq ? -1 : 1;
	if (rp != rq)
		return rp > rq ? -1 : 1;
	if (p->pid != q->pid)
		return p->pid < q->pid ? -1 : 1;
	return p->first_ns < q->first_ns ? -1 : p->first_ns > q->first_ns;
}

uint32_t *agg_sorted(const struct ct_agg *a)
{
	uint32_t *idx = malloc((a->t.nprocs ? a->t.nprocs : 1) * sizeof(*idx));

	if (!idx)
		return NULL;
	for (uint32_t i = 0; i < a->t.nprocs; i++)
		idx[i] = i;
	qsort_r(idx, a->t.nprocs, sizeof(*idx), cmp_proc, (void *)a);
	return idx;
}
