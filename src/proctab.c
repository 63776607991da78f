// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The process table (proctab.h): processes by pid, their lifecycle, the
 * eviction of exited ones into folds, cgroup names.  Nothing here counts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "proctab.h"

static void gone_rebuild(struct ct_proctab *t, uint32_t cap);

int pt_init(struct ct_proctab *t, const struct ct_proctab_ops *ops)
{
	memset(t, 0, sizeof(*t));
	if (ops)
		t->ops = *ops;
	t->index_cap = 1024;
	t->index = malloc(t->index_cap * sizeof(*t->index));
	if (!t->index)
		return -ENOMEM;
	memset(t->index, 0xff, t->index_cap * sizeof(*t->index));
	t->cache_idx = -1;
	gone_rebuild(t, 1024); /* without it (no memory), exited entries are searched */
	return 0;
}

void pt_free(struct ct_proctab *t)
{
	free(t->procs);
	free(t->index);
	free(t->gone_index);
	for (uint32_t i = 0; i < t->ncgroups; i++)
		free(t->cgroups[i].path);
	free(t->cgroups);
	memset(t, 0, sizeof(*t));
}

static uint32_t hash_pid(uint32_t pid)
{
	return pid * 2654435761u;
}

/* pid's slot in an index (tab, cap a power of two): its entry, or the empty slot it would take. */
static int32_t *slot_in(const struct ct_proctab *t, int32_t *tab, uint32_t cap, uint32_t pid)
{
	uint32_t mask = cap - 1;

	for (uint32_t i = hash_pid(pid) & mask;; i = (i + 1) & mask) {
		int32_t *s = &tab[i];

		if (*s < 0 || t->procs[*s].pid == pid)
			return s;
	}
}

static int32_t *slot_for(const struct ct_proctab *t, uint32_t pid)
{
	return slot_in(t, t->index, t->index_cap, pid);
}

/*
 * The index of exited entries, so that a late exit record, a histogram of
 * an exited process or a pid's reuse finds its entry without a search of
 * every entry (a mass exit made that quadratic).  It holds each pid's
 * latest exited entry; an older one of the same pid (pid reuse) is
 * searched for.  Rebuilt when it grows and when entries move (eviction).
 */
static void gone_rebuild(struct ct_proctab *t, uint32_t cap)
{
	int32_t *tab = cap ? malloc(cap * sizeof(*tab)) : NULL;

	free(t->gone_index);
	t->gone_index = tab;
	t->gone_cap = tab ? cap : 0;
	t->gone_used = 0;
	if (!tab)
		return; /* find_exited() searches */
	memset(tab, 0xff, cap * sizeof(*tab));
	for (uint32_t i = 0; i < t->nprocs; i++) {
		const struct ct_proc *p = &t->procs[i];
		int32_t *s;

		if (!p->pid || !p->exited)
			continue;
		s = slot_in(t, tab, cap, p->pid);
		t->gone_used += *s < 0;
		*s = (int32_t)i; /* in order: the latest of a pid last */
	}
}

static void gone_add(struct ct_proctab *t, const struct ct_proc *p)
{
	int32_t *s;

	if (!t->gone_cap)
		return;
	if ((t->gone_used + 1) * 4 > t->gone_cap * 3) {
		gone_rebuild(t, t->gone_cap * 2); /* p is exited already: rebuilding adds it */
		return;
	}
	s = slot_in(t, t->gone_index, t->gone_cap, p->pid);
	t->gone_used += *s < 0;
	*s = (int32_t)(p - t->procs);
}

struct ct_proc *pt_find(const struct ct_proctab *t, uint32_t pid)
{
	int32_t *s = slot_for(t, pid);

	return *s < 0 ? NULL : &t->procs[*s];
}

static int index_grow(struct ct_proctab *t)
{
	uint32_t old_cap = t->index_cap;
	int32_t *old = t->index;

	t->index_cap *= 2;
	t->index = malloc(t->index_cap * sizeof(*t->index));
	if (!t->index) {
		t->index = old;
		t->index_cap = old_cap;
		return -ENOMEM;
	}
	memset(t->index, 0xff, t->index_cap * sizeof(*t->index));
	for (uint32_t i = 0; i < old_cap; i++)
		if (old[i] >= 0)
			*slot_for(t, t->procs[old[i]].pid) = old[i];
	free(old);
	return 0;
}

/* Remove pid from the live index (backward-shift deletion keeps probes valid). */
static void index_remove(struct ct_proctab *t, uint32_t pid)
{
	uint32_t mask = t->index_cap - 1;
	int32_t *s = slot_for(t, pid);
	uint32_t i, j;

	if (*s < 0)
		return;
	i = (uint32_t)(s - t->index);
	t->index[i] = -1;
	t->index_used--;
	for (j = (i + 1) & mask; t->index[j] >= 0; j = (j + 1) & mask) {
		uint32_t home = hash_pid(t->procs[t->index[j]].pid) & mask;

		/* Move j back to i if i lies cyclically in [home, j). */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			t->index[i] = t->index[j];
			t->index[j] = -1;
			i = j;
		}
	}
}

/* A zeroed entry with the owner's initial part. */
static void entry_init(struct ct_proctab *t, struct ct_proc *p)
{
	memset(p, 0, sizeof(*p));
	if (t->ops.init)
		t->ops.init(p);
}

struct ct_proc *pt_new(struct ct_proctab *t, uint32_t pid, uint32_t ppid, const char *comm, uint64_t ts)
{
	struct ct_proc *p;

	if ((t->index_used + 1) * 4 > t->index_cap * 3 && index_grow(t))
		return NULL;
	if (t->nprocs == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 256;
		struct ct_proc *n = realloc(t->procs, cap * sizeof(*n));

		if (!n)
			return NULL;
		t->procs = n;
		t->cap = cap;
	}
	p = &t->procs[t->nprocs];
	entry_init(t, p);
	p->pid = pid;
	p->ppid = ppid;
	if (comm)
		memcpy(p->comm, comm, CT_COMM_LEN);
	p->comm[CT_COMM_LEN - 1] = 0;
	p->first_ns = p->last_ns = ts;
	*slot_for(t, pid) = (int32_t)t->nprocs;
	t->index_used++;
	t->nprocs++;
	return p;
}

struct ct_proc *pt_of_event(struct ct_proctab *t, uint32_t pid, uint32_t ppid, const char *comm,
			    uint64_t cgroup_id, uint64_t ts)
{
	struct ct_proc *p;

	/* Events come in runs of one process: skip the hash lookup then. */
	if (t->cache_idx >= 0 && t->procs[t->cache_idx].pid == pid && !t->procs[t->cache_idx].exited)
		p = &t->procs[t->cache_idx];
	else
		p = pt_find(t, pid);
	if (!p) {
		p = pt_new(t, pid, ppid, comm, ts);
		if (!p)
			return NULL;
		p->cgroup_id = cgroup_id;
		t->cache_idx = (int32_t)(p - t->procs);
		return p;
	}
	t->cache_idx = (int32_t)(p - t->procs);
	if (cgroup_id)
		p->cgroup_id = cgroup_id;
	memcpy(p->comm, comm, CT_COMM_LEN); /* follows exec */
	p->comm[CT_COMM_LEN - 1] = 0;
	if (ppid)
		p->ppid = ppid;
	if (ts > p->last_ns)
		p->last_ns = ts;
	return p;
}

void pt_exited(struct ct_proctab *t, struct ct_proc *p, uint64_t ts)
{
	p->awaiting_exit = false;
	if (p->exited)
		return;
	p->exited = true;
	if (ts > p->last_ns)
		p->last_ns = ts;
	index_remove(t, p->pid); /* pid may be reused from now on */
	gone_add(t, p);
	t->cache_idx = -1;
	t->nexited++;
}

void pt_gone(struct ct_proctab *t, struct ct_proc *p)
{
	if (!p->exited)
		pt_exited(t, p, p->last_ns);
	p->awaiting_exit = true;
}

/* An exited entry of pid with this start time, most recent first; NULL if none. */
static struct ct_proc *find_exited(const struct ct_proctab *t, uint32_t pid, uint64_t start_ns)
{
	if (t->gone_cap) {
		int32_t s = *slot_in(t, t->gone_index, t->gone_cap, pid);

		if (s < 0)
			return NULL; /* no exited entry of pid */
		if (t->procs[s].start_ns == start_ns)
			return &t->procs[s];
	}
	for (uint32_t i = t->nprocs; i-- > 0;)
		if (t->procs[i].exited && t->procs[i].pid == pid && t->procs[i].start_ns == start_ns)
			return &t->procs[i];
	return NULL;
}

struct ct_proc *pt_lookup(const struct ct_proctab *t, uint32_t pid, uint64_t start_ns)
{
	struct ct_proc *p = pt_find(t, pid);

	if (p && (!start_ns || !p->start_ns || p->start_ns == start_ns))
		return p; /* start_ns 0: the live process of that pid */
	return find_exited(t, pid, start_ns);
}

struct ct_proc *pt_for_rec(struct ct_proctab *t, uint32_t pid, uint64_t start_ns, uint64_t birth_ns,
			   bool exited)
{
	struct ct_proc *p = pt_find(t, pid), *q;
	bool other = false;

	/* Known only from events so far: the same process unless its fork differs. */
	if (p && p->start_ns)
		other = p->start_ns != start_ns;
	else if (p && birth_ns && p->fork_seen_ns)
		other = p->fork_seen_ns != birth_ns;
	if (other) {
		/* pid reused: this record is another process */
		q = find_exited(t, pid, start_ns);
		if (q)
			return q; /* a late exit record of an exited entry */
		pt_gone(t, p); /* the old one is gone; its exit record may follow */
		p = NULL;
	}
	if (!p && exited && (q = find_exited(t, pid, start_ns)))
		return q;
	if (!p) {
		p = pt_new(t, pid, 0, NULL, 0);
		if (!p)
			return NULL;
	}
	p->start_ns = start_ns;
	return p;
}

void pt_snapshot_begin(struct ct_proctab *t)
{
	t->snap_gen++;
	t->evict_retry = 0; /* entries awaiting their final record may go now */
}

void pt_snapshot_end(struct ct_proctab *t)
{
	/* seen in a snapshot before, but in neither this one nor the one before it */
	for (uint32_t i = 0; i < t->nprocs; i++) {
		struct ct_proc *p = &t->procs[i];

		if (p->pid && !p->exited && p->start_ns && p->seen_gen + 1 < t->snap_gen) {
			t->exits_unseen++;
			pt_gone(t, p); /* entries do not move: eviction is the owner's call */
		}
	}
}

bool pt_evict_due(const struct ct_proctab *t)
{
	return t->max_exited && t->nexited > t->max_exited && t->nexited > t->evict_retry;
}

/* ---- eviction ---- */

/* Folds beyond this many (comm, cgroup) pairs go to one "[other]" entry. */
#define MAX_FOLDS 1024
static const char fold_other[CT_COMM_LEN] = "[other]";

/* The fold for p: among the compacted procs[0..n) or the not yet visited procs(i..). */
static int32_t fold_find(const struct ct_proctab *t, uint32_t n, uint32_t i, const char *comm, uint64_t cg)
{
	for (uint32_t j = 0; j < t->nprocs; j++) {
		const struct ct_proc *q;

		if (j == n)
			j = i + 1; /* skip the hole [n, i] */
		if (j >= t->nprocs)
			break;
		q = &t->procs[j];
		if (!q->pid && q->cgroup_id == cg && !strncmp(q->comm, comm, CT_COMM_LEN))
			return (int32_t)j;
	}
	return -1;
}

/* Sum src into the fold dst: its span, its count, the owner's part. */
static void fold_into(struct ct_proctab *t, struct ct_proc *dst, struct ct_proc *src)
{
	if (!dst->first_ns || src->first_ns < dst->first_ns)
		dst->first_ns = src->first_ns;
	if (src->last_ns > dst->last_ns)
		dst->last_ns = src->last_ns;
	dst->folded += src->folded ? src->folded : 1;
	if (t->ops.fold)
		t->ops.fold(dst, src);
}

void pt_evict(struct ct_proctab *t)
{
	uint32_t target = t->max_exited / 2, n = 0, nfolds = 0;

	t->evict_passes++;
	for (uint32_t i = 0; i < t->nprocs; i++)
		nfolds += !t->procs[i].pid;
	/*
	 * One pass in order of first sight (oldest first): kept entries move
	 * down to procs[0..n), evicted ones are summed into their fold.  A new
	 * fold takes the place of the first process it takes, so the order of
	 * everything kept is unchanged.
	 */
	for (uint32_t i = 0; i < t->nprocs; i++) {
		struct ct_proc p = t->procs[i];
		const char *comm = nfolds < MAX_FOLDS ? p.comm : fold_other;
		uint64_t cg = nfolds < MAX_FOLDS ? p.cgroup_id : 0;
		int32_t fi;

		/* an entry whose final record may still come stays a few snapshots */
		bool waits = p.awaiting_exit && t->snap_gen && p.seen_gen + 3 > t->snap_gen; /* live only */

		if (!p.pid || !p.exited || waits || t->nexited <= target || (t->keep && t->keep(t->keep_ctx, &p))) {
			t->procs[n++] = p;
			continue;
		}
		fi = fold_find(t, n, i, comm, cg);
		if (fi < 0) {
			struct ct_proc *d = &t->procs[n++];

			entry_init(t, d);
			memcpy(d->comm, comm, CT_COMM_LEN);
			d->cgroup_id = cg;
			d->exited = true;
			fi = (int32_t)(d - t->procs);
			nfolds++;
		}
		fold_into(t, &t->procs[fi], &p);
		t->nexited--;
		t->evicted++;
	}
	t->nprocs = n;
	/*
	 * Entries that must stay (awaiting their final record, or kept) can
	 * leave more than the target: passing over them again at every exit
	 * would make a mass exit quadratic.  Next pass after half as many
	 * exits again, or at the next snapshot.
	 */
	t->evict_retry = t->nexited > target ? t->nexited + (target > 64 ? target : 64) : 0;
	for (target = 1024; target < 2 * t->nexited; target *= 2)
		;
	gone_rebuild(t, target);
	/* Rebuild the live index: positions moved. */
	memset(t->index, 0xff, t->index_cap * sizeof(*t->index));
	t->index_used = 0;
	for (uint32_t i = 0; i < n; i++)
		if (t->procs[i].pid && !t->procs[i].exited) {
			*slot_for(t, t->procs[i].pid) = (int32_t)i;
			t->index_used++;
		}
	t->cache_idx = -1;
}

int pt_set_cgroup_name(struct ct_proctab *t, uint64_t id, const char *path)
{
	char *dup;

	if (pt_cgroup_name(t, id))
		return 0;
	if (t->ncgroups == t->cgroup_cap) {
		uint32_t cap = t->cgroup_cap ? t->cgroup_cap * 2 : 64;
		struct ct_cgroup_name *n = realloc(t->cgroups, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->cgroups = n;
		t->cgroup_cap = cap;
	}
	dup = strdup(path);
	if (!dup)
		return -ENOMEM;
	t->cgroups[t->ncgroups].id = id;
	t->cgroups[t->ncgroups++].path = dup;
	return 0;
}

const char *pt_cgroup_name(const struct ct_proctab *t, uint64_t id)
{
	for (uint32_t i = 0; i < t->ncgroups; i++)
		if (t->cgroups[i].id == id)
			return t->cgroups[i].path;
	return NULL;
}
