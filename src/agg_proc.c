// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The process table and its lifecycle: processes by pid (an open-addressing
 * index of the live ones), exits and pid reuse, fork records and the fork a
 * copy is charged to, eviction of exited processes into per-command folds,
 * cgroup names.  What an event counts is agg.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"

static void gone_rebuild(struct ct_agg *a, uint32_t cap);

int agg_init(struct ct_agg *a, uint32_t page_size)
{
	memset(a, 0, sizeof(*a));
	a->page_size = page_size ? page_size : 4096;
	a->index_cap = 1024;
	a->index = malloc(a->index_cap * sizeof(*a->index));
	if (!a->index)
		return -ENOMEM;
	memset(a->index, 0xff, a->index_cap * sizeof(*a->index));
	a->cache_idx = -1;
	a->count_events = true;
	gone_rebuild(a, 1024); /* without it (no memory), exited entries are searched */
	return 0;
}

void agg_free(struct ct_agg *a)
{
	for (uint32_t i = 0; i < a->nprocs; i++)
		free(a->procs[i].h);
	free(a->procs);
	free(a->index);
	free(a->gone_index);
	free(a->forks);
	for (uint32_t i = 0; i < a->ncgroups; i++)
		free(a->cgroups[i].path);
	free(a->cgroups);
	memset(a, 0, sizeof(*a));
}

static uint32_t hash_pid(uint32_t pid)
{
	return pid * 2654435761u;
}

/* pid's slot in an index (tab, cap a power of two): its entry, or the empty slot it would take. */
static int32_t *slot_in(const struct ct_agg *a, int32_t *tab, uint32_t cap, uint32_t pid)
{
	uint32_t mask = cap - 1;

	for (uint32_t i = hash_pid(pid) & mask;; i = (i + 1) & mask) {
		int32_t *s = &tab[i];

		if (*s < 0 || a->procs[*s].pid == pid)
			return s;
	}
}

static int32_t *slot_for(const struct ct_agg *a, uint32_t pid)
{
	return slot_in(a, a->index, a->index_cap, pid);
}

/*
 * The index of exited entries, so that a late exit record, a histogram of
 * an exited process or a pid's reuse finds its entry without a search of
 * every entry (a mass exit made that quadratic).  It holds each pid's
 * latest exited entry; an older one of the same pid (pid reuse) is
 * searched for.  Rebuilt when it grows and when entries move (eviction).
 */
static void gone_rebuild(struct ct_agg *a, uint32_t cap)
{
	int32_t *tab = cap ? malloc(cap * sizeof(*tab)) : NULL;

	free(a->gone_index);
	a->gone_index = tab;
	a->gone_cap = tab ? cap : 0;
	a->gone_used = 0;
	if (!tab)
		return; /* find_exited() searches */
	memset(tab, 0xff, cap * sizeof(*tab));
	for (uint32_t i = 0; i < a->nprocs; i++) {
		const struct ct_proc *p = &a->procs[i];
		int32_t *s;

		if (!p->pid || !p->exited)
			continue;
		s = slot_in(a, tab, cap, p->pid);
		a->gone_used += *s < 0;
		*s = (int32_t)i; /* in order: the latest of a pid last */
	}
}

static void gone_add(struct ct_agg *a, const struct ct_proc *p)
{
	int32_t *s;

	if (!a->gone_cap)
		return;
	if ((a->gone_used + 1) * 4 > a->gone_cap * 3) {
		gone_rebuild(a, a->gone_cap * 2); /* p is exited already: rebuilding adds it */
		return;
	}
	s = slot_in(a, a->gone_index, a->gone_cap, p->pid);
	a->gone_used += *s < 0;
	*s = (int32_t)(p - a->procs);
}

struct ct_proc *agg_find(const struct ct_agg *a, uint32_t pid)
{
	int32_t *s = slot_for(a, pid);

	return *s < 0 ? NULL : &a->procs[*s];
}

static int index_grow(struct ct_agg *a)
{
	uint32_t old_cap = a->index_cap;
	int32_t *old = a->index;

	a->index_cap *= 2;
	a->index = malloc(a->index_cap * sizeof(*a->index));
	if (!a->index) {
		a->index = old;
		a->index_cap = old_cap;
		return -ENOMEM;
	}
	memset(a->index, 0xff, a->index_cap * sizeof(*a->index));
	for (uint32_t i = 0; i < old_cap; i++)
		if (old[i] >= 0)
			*slot_for(a, a->procs[old[i]].pid) = old[i];
	free(old);
	return 0;
}

/* Remove pid from the live index (backward-shift deletion keeps probes valid). */
static void index_remove(struct ct_agg *a, uint32_t pid)
{
	uint32_t mask = a->index_cap - 1;
	int32_t *s = slot_for(a, pid);
	uint32_t i, j;

	if (*s < 0)
		return;
	i = (uint32_t)(s - a->index);
	a->index[i] = -1;
	a->index_used--;
	for (j = (i + 1) & mask; a->index[j] >= 0; j = (j + 1) & mask) {
		uint32_t home = hash_pid(a->procs[a->index[j]].pid) & mask;

		/* Move j back to i if i lies cyclically in [home, j). */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			a->index[i] = a->index[j];
			a->index[j] = -1;
			i = j;
		}
	}
}

static struct ct_proc *proc_new(struct ct_agg *a, uint32_t pid, uint32_t ppid,
				const char *comm, uint64_t ts)
{
	struct ct_proc *p;

	if ((a->index_used + 1) * 4 > a->index_cap * 3 && index_grow(a))
		return NULL;
	if (a->nprocs == a->cap) {
		uint32_t cap = a->cap ? a->cap * 2 : 256;
		struct ct_proc *n = realloc(a->procs, cap * sizeof(*n));

		if (!n)
			return NULL;
		a->procs = n;
		a->cap = cap;
	}
	p = &a->procs[a->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = ppid;
	if (comm)
		memcpy(p->comm, comm, CT_COMM_LEN);
	p->comm[CT_COMM_LEN - 1] = 0;
	p->birth_fork = -1;
	p->last_fork = -1;
	p->first_ns = p->last_ns = ts;
	*slot_for(a, pid) = (int32_t)a->nprocs;
	a->index_used++;
	a->nprocs++;
	return p;
}

struct ct_proc *agg_proc_of(struct ct_agg *a, const struct ct_event *e)
{
	struct ct_proc *p;

	/* Events come in runs of one process: skip the hash lookup then. */
	if (a->cache_idx >= 0 && a->procs[a->cache_idx].pid == e->pid)
		p = &a->procs[a->cache_idx];
	else
		p = agg_find(a, e->pid);
	if (!p) {
		p = proc_new(a, e->pid, e->ppid, e->comm, e->ts_ns);
		if (!p)
			return NULL;
		p->cgroup_id = e->cgroup_id;
		a->cache_idx = (int32_t)(p - a->procs);
		return p;
	}
	a->cache_idx = (int32_t)(p - a->procs);
	if (e->cgroup_id)
		p->cgroup_id = e->cgroup_id;
	memcpy(p->comm, e->comm, CT_COMM_LEN); /* follows exec */
	p->comm[CT_COMM_LEN - 1] = 0;
	if (e->ppid)
		p->ppid = e->ppid;
	if (e->ts_ns > p->last_ns)
		p->last_ns = e->ts_ns;
	return p;
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

/* The child's birth fork, else the parent's last fork if it came later. */
void agg_charge_copy(struct ct_agg *a, struct ct_proc *p, uint64_t ts, unsigned map)
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
void agg_apply_segment(struct ct_agg *a, struct ct_proc *p, const struct ct_proc_rec *r)
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

static void proc_exited(struct ct_agg *a, struct ct_proc *p, uint64_t ts)
{
	uint32_t pid = p->pid;

	p->exited = true;
	if (ts > p->last_ns)
		p->last_ns = ts;
	index_remove(a, pid); /* pid may be reused from now on */
	gone_add(a, p);
	a->cache_idx = -1;
	a->nexited++;
	if (a->max_exited && a->nexited > a->max_exited && a->nexited > a->evict_retry)
		agg_evict(a);
}

void agg_proc_exited(struct ct_agg *a, struct ct_proc *p, uint64_t ts)
{
	p->awaiting_exit = false;
	if (!p->exited)
		proc_exited(a, p, ts);
}

void agg_proc_gone(struct ct_agg *a, struct ct_proc *p)
{
	p->awaiting_exit = true; /* before: exiting may evict */
	if (!p->exited)
		proc_exited(a, p, p->last_ns);
}

/* An exited entry of pid with this start time, most recent first; NULL if none. */
static struct ct_proc *find_exited(const struct ct_agg *a, uint32_t pid, uint64_t start_ns)
{
	if (a->gone_cap) {
		int32_t s = *slot_in(a, a->gone_index, a->gone_cap, pid);

		if (s < 0)
			return NULL; /* no exited entry of pid */
		if (a->procs[s].start_ns == start_ns)
			return &a->procs[s];
	}
	for (uint32_t i = a->nprocs; i-- > 0;)
		if (a->procs[i].exited && a->procs[i].pid == pid && a->procs[i].start_ns == start_ns)
			return &a->procs[i];
	return NULL;
}

struct ct_proc *agg_proc_lookup(const struct ct_agg *a, uint32_t pid, uint64_t start_ns)
{
	struct ct_proc *p = agg_find(a, pid);

	if (p && (!start_ns || !p->start_ns || p->start_ns == start_ns))
		return p; /* start_ns 0: the live process of that pid */
	return find_exited(a, pid, start_ns);
}

struct ct_proc *agg_proc_for_rec(struct ct_agg *a, uint32_t pid, uint64_t start_ns, uint64_t birth_ns,
				 bool exited)
{
	struct ct_proc *p = agg_find(a, pid), *q;
	bool other = false;

	/* Known only from events so far: the same process unless its fork differs. */
	if (p && p->start_ns)
		other = p->start_ns != start_ns;
	else if (p && birth_ns && p->birth_fork >= 0)
		other = a->forks[p->birth_fork].ts_ns != birth_ns;
	if (other) {
		/* pid reused: this record is another process */
		q = find_exited(a, pid, start_ns);
		if (q)
			return q; /* a late exit record of an exited entry */
		agg_proc_gone(a, p); /* the old one is gone; its exit record may follow */
		p = NULL;
	}
	if (!p && exited && (q = find_exited(a, pid, start_ns)))
		return q;
	if (!p) {
		p = proc_new(a, pid, 0, NULL, 0);
		if (!p)
			return NULL;
	}
	p->start_ns = start_ns;
	return p;
}

void agg_snapshot_begin(struct ct_agg *a)
{
	a->snap_gen++;
	a->evict_retry = 0; /* entries awaiting their final record may go now */
}

void agg_snapshot_end(struct ct_agg *a)
{
	uint32_t *gone, n = 0;

	/* seen in a snapshot before, but in neither this one nor the one before it */
	for (uint32_t i = 0; i < a->nprocs; i++) {
		const struct ct_proc *p = &a->procs[i];

		n += p->pid && !p->exited && p->start_ns && p->seen_gen + 1 < a->snap_gen;
	}
	if (!n || !(gone = malloc(n * sizeof(*gone))))
		goto evict;
	n = 0;
	for (uint32_t i = 0; i < a->nprocs; i++) {
		const struct ct_proc *p = &a->procs[i];

		if (p->pid && !p->exited && p->start_ns && p->seen_gen + 1 < a->snap_gen)
			gone[n++] = p->pid;
	}
	for (uint32_t i = 0; i < n; i++) { /* by pid: exiting may evict and move entries */
		struct ct_proc *p = agg_find(a, gone[i]);

		if (p) {
			a->exits_unseen++;
			agg_proc_gone(a, p);
		}
	}
	free(gone);
evict: /* those that waited for their final record long enough, and those just marked gone */
	if (a->max_exited && a->nexited > a->max_exited && a->nexited > a->evict_retry)
		agg_evict(a);
}

void agg_exit(struct ct_agg *a, const struct ct_event *e)
{
	struct ct_proc *p = agg_find(a, e->pid);

	if (p)
		proc_exited(a, p, e->ts_ns);
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
	return old->birth_fork < 0 && old->first_ns >= e->ts_ns;
}

int agg_fork(struct ct_agg *a, const struct ct_event *e)
{
	struct ct_proc *parent, *child, *old;
	struct ct_fork *f;
	uint32_t fi;

	/*
	 * A child pid seen before belonged to an earlier process whose exit was
	 * lost, unless the kernel's record of this very child came first (its
	 * birth is this fork).
	 */
	old = (e->kind & CT_FORK_CHILD_TRACED) ? agg_find(a, e->aux) : NULL;
	if (old && !same_child(old, e)) {
		proc_exited(a, old, e->ts_ns); /* may evict: before fi is taken */
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
		parent = agg_proc_of(a, e);
		if (!parent)
			return -1;
		if (a->count_events)
			parent->c[CT_C_FORKS]++;
		parent->last_fork = (int32_t)fi;
	}
	if (e->kind & CT_FORK_CHILD_TRACED) {
		child = old ? old : proc_new(a, e->aux, e->pid, e->comm, e->ts_ns);
		if (!child)
			return -1;
		child->birth_fork = (int32_t)fi;
		if (!old)
			child->cgroup_id = e->cgroup_id; /* the parent's, inherited */
	}
	return 0;
}

static int cmp_proc(const void *x, const void *y, void *ctx)
{
	const struct ct_agg *a = ctx;
	const struct ct_proc *p = &a->procs[*(const uint32_t *)x];
	const struct ct_proc *q = &a->procs[*(const uint32_t *)y];
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
	uint32_t *idx = malloc((a->nprocs ? a->nprocs : 1) * sizeof(*idx));

	if (!idx)
		return NULL;
	for (uint32_t i = 0; i < a->nprocs; i++)
		idx[i] = i;
	qsort_r(idx, a->nprocs, sizeof(*idx), cmp_proc, (void *)a);
	return idx;
}

/* ---- eviction ---- */

/* Folds beyond this many (comm, cgroup) pairs go to one "[other]" entry. */
#define MAX_FOLDS 1024
static const char fold_other[CT_COMM_LEN] = "[other]";

/* The fold for p: among the compacted procs[0..n) or the not yet visited procs(i..). */
static int32_t fold_find(const struct ct_agg *a, uint32_t n, uint32_t i, const char *comm, uint64_t cg)
{
	for (uint32_t j = 0; j < a->nprocs; j++) {
		const struct ct_proc *q;

		if (j == n)
			j = i + 1; /* skip the hole [n, i] */
		if (j >= a->nprocs)
			break;
		q = &a->procs[j];
		if (!q->pid && q->cgroup_id == cg && !strncmp(q->comm, comm, CT_COMM_LEN))
			return (int32_t)j;
	}
	return -1;
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
	for (uint32_t i = 0; i < a->nprocs; i++) {
		if (a->procs[i].birth_fork >= 0)
			map[a->procs[i].birth_fork] = 0;
		if (a->procs[i].last_fork >= 0)
			map[a->procs[i].last_fork] = 0;
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
	for (uint32_t i = 0; i < a->nprocs; i++) {
		struct ct_proc *p = &a->procs[i];

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
	uint32_t target = a->max_exited / 2, n = 0, nfolds = 0;

	a->evict_passes++;
	for (uint32_t i = 0; i < a->nprocs; i++)
		nfolds += !a->procs[i].pid;
	/*
	 * One pass in order of first sight (oldest first): kept entries move
	 * down to procs[0..n), evicted ones are summed into their fold.  A new
	 * fold takes the place of the first process it takes, so the order of
	 * everything kept is unchanged.
	 */
	for (uint32_t i = 0; i < a->nprocs; i++) {
		struct ct_proc p = a->procs[i];
		const char *comm = nfolds < MAX_FOLDS ? p.comm : fold_other;
		uint64_t cg = nfolds < MAX_FOLDS ? p.cgroup_id : 0;
		int32_t fi;

		/* an entry whose final record may still come stays a few snapshots */
		bool waits = p.awaiting_exit && a->snap_gen && p.seen_gen + 3 > a->snap_gen; /* live only */

		if (!p.pid || !p.exited || waits || a->nexited <= target || (a->keep && a->keep(a->keep_ctx, &p))) {
			a->procs[n++] = p;
			continue;
		}
		fi = fold_find(a, n, i, comm, cg);
		if (fi < 0) {
			struct ct_proc *d = &a->procs[n++];

			memset(d, 0, sizeof(*d));
			memcpy(d->comm, comm, CT_COMM_LEN);
			d->cgroup_id = cg;
			d->exited = true;
			d->birth_fork = d->last_fork = -1;
			fi = (int32_t)(d - a->procs);
			nfolds++;
		}
		proc_add(&a->procs[fi], &p);
		a->procs[fi].folded += p.folded ? p.folded : 1;
		free(p.h);
		a->nexited--;
		a->evicted++;
	}
	a->nprocs = n;
	/*
	 * Entries that must stay (awaiting their final record, or kept) can
	 * leave more than the target: passing over them again at every exit
	 * would make a mass exit quadratic.  Next pass after half as many
	 * exits again, or at the next snapshot.
	 */
	a->evict_retry = a->nexited > target ? a->nexited + (target > 64 ? target : 64) : 0;
	for (target = 1024; target < 2 * a->nexited; target *= 2)
		;
	gone_rebuild(a, target);
	/* Rebuild the live index: positions moved. */
	memset(a->index, 0xff, a->index_cap * sizeof(*a->index));
	a->index_used = 0;
	for (uint32_t i = 0; i < n; i++)
		if (a->procs[i].pid && !a->procs[i].exited) {
			*slot_for(a, a->procs[i].pid) = (int32_t)i;
			a->index_used++;
		}
	a->cache_idx = -1;
	if (a->nforks > (a->max_exited > 1024 ? a->max_exited : 1024))
		forks_compact(a);
}

int agg_set_cgroup_name(struct ct_agg *a, uint64_t id, const char *path)
{
	char *dup;

	if (agg_cgroup_name(a, id))
		return 0;
	if (a->ncgroups == a->cgroup_cap) {
		uint32_t cap = a->cgroup_cap ? a->cgroup_cap * 2 : 64;
		struct ct_cgroup_name *n = realloc(a->cgroups, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		a->cgroups = n;
		a->cgroup_cap = cap;
	}
	dup = strdup(path);
	if (!dup)
		return -ENOMEM;
	a->cgroups[a->ncgroups].id = id;
	a->cgroups[a->ncgroups++].path = dup;
	return 0;
}

const char *agg_cgroup_name(const struct ct_agg *a, uint64_t id)
{
	for (uint32_t i = 0; i < a->ncgroups; i++)
		if (a->cgroups[i].id == id)
			return a->cgroups[i].path;
	return NULL;
}
