// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel's side of a live run for the unit tests (kfeed.h). */
#include "kfeed.h"

const char *const kf_path_name[] = { "records", "events" };

void kf_init(struct kfeed *k, struct ct_agg *a, enum kf_path path)
{
	memset(k, 0, sizeof(*k));
	k->a = a;
	k->path = path;
	a->count_events = path == KF_EVENTS;
}

static struct kf_proc *kp_find(struct kfeed *k, uint32_t pid)
{
	for (unsigned i = 0; i < KF_PROCS; i++)
		if (k->p[i].live && k->p[i].r.pid == pid)
			return &k->p[i];
	return NULL;
}

/* proc_new(): a process's record at first sight or at its fork (seg_fork_ns, side). */
static struct kf_proc *kp_new(struct kfeed *k, const struct ct_event *e, uint32_t pid, uint32_t ppid,
			      uint64_t seg_fork_ns, uint8_t side)
{
	struct kf_proc *p = kp_find(k, pid);

	if (p)
		p->live = false; /* a fork's child replaces a stale record of its pid */
	for (unsigned i = 0; i < KF_PROCS && !p; i++)
		if (!k->p[i].live)
			p = &k->p[i];
	if (!p) {
		CHECK(0, "kfeed: more than %d live processes", KF_PROCS);
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->live = true;
	p->r.type = CT_REC_TYPE_PROC;
	p->r.pid = pid;
	p->r.ppid = ppid;
	p->r.start_ns = ++k->starts; /* any start: pid + start is the process */
	p->r.first_ns = p->r.last_ns = e->ts_ns;
	p->r.cgroup_id = e->cgroup_id;
	p->r.seg_fork_ns = seg_fork_ns;
	p->r.seg_side = side;
	if (side == CT_SEG_CHILD)
		p->r.birth_ns = seg_fork_ns;
	memcpy(p->r.comm, e->comm, CT_COMM_LEN);
	return p;
}

/* The process of a fault: its record, made on first sight with no segment. */
static struct kf_proc *kp_current(struct kfeed *k, const struct ct_event *e)
{
	struct kf_proc *p = kp_find(k, e->pid);

	if (!p)
		return kp_new(k, e, e->pid, e->ppid, 0, CT_SEG_NONE);
	memcpy(p->r.comm, e->comm, CT_COMM_LEN); /* the kernel's at exec; the event's is the same */
	if (e->ppid)
		p->r.ppid = e->ppid;
	if (e->ts_ns > p->r.last_ns)
		p->r.last_ns = e->ts_ns;
	if (e->ts_ns < p->r.first_ns)
		p->r.first_ns = e->ts_ns;
	return p;
}

static void kp_hist(struct kf_proc *p, unsigned id, uint64_t v)
{
	p->h[id].slot[ct_hist_slot(v)]++;
	p->h[id].sum += v;
	p->hists |= 1u << id;
}

static void send_hists(struct kfeed *k, const struct kf_proc *p)
{
	for (unsigned id = 0; id < CT_H_MAX; id++) {
		struct ct_hist_rec h = { .start_ns = p->r.start_ns, .pid = p->r.pid,
					 .type = CT_REC_TYPE_HIST, .id = (uint16_t)id, .h = p->h[id] };

		if (p->hists & (1u << id))
			agg_hist_rec(k->a, &h);
	}
}

/* count_copy(): the memory it hit and the fork it follows. */
static void kp_copy(struct kf_proc *p, unsigned map, uint64_t now)
{
	bool seg = p->r.seg_side != CT_SEG_NONE;

	if (map && map <= CT_MAP_MAX) {
		p->r.c[CT_C_MAP + map - 1]++;
		if (seg)
			p->r.seg_map[map - 1]++;
	}
	if (!seg)
		return;
	p->r.seg_copies++;
	if (!p->r.seg_first_ns)
		p->r.seg_first_ns = now;
	p->r.seg_last_ns = now;
	if (now >= p->r.seg_fork_ns)
		kp_hist(p, CT_H_FORK_TO_COPY, now - p->r.seg_fork_ns);
}

/* sched_fork: the parent's segment ends (FORKED), the child's record begins; the ring's fork event. */
static int kf_fork(struct kfeed *k, const struct ct_event *e)
{
	struct kf_proc *p;

	if ((e->kind & CT_FORK_PARENT_TRACED) && (p = kp_current(k, e))) {
		if (p->r.seg_copies) {
			struct ct_proc_rec r = p->r;

			r.flags = CT_PROC_FORKED;
			agg_proc_rec(k->a, &r);
		}
		p->r.c[CT_C_FORKS]++;
		p->r.c[CT_C_PINNED] += e->value;
		p->r.seg_fork_ns = e->ts_ns;
		p->r.seg_side = CT_SEG_PARENT;
		p->r.seg_copies = p->r.seg_first_ns = p->r.seg_last_ns = 0;
		memset(p->r.seg_map, 0, sizeof(p->r.seg_map));
	}
	if (e->kind & CT_FORK_CHILD_TRACED)
		kp_new(k, e, e->aux, e->pid, e->ts_ns, CT_SEG_CHILD);
	return agg_add(k->a, e);
}

/* proc_exit: the final histograms, then the final record. */
static int kf_exit(struct kfeed *k, const struct ct_event *e)
{
	struct kf_proc *p = kp_find(k, e->pid);

	if (p) {
		if (e->ts_ns > p->r.last_ns)
			p->r.last_ns = e->ts_ns;
		p->r.flags = CT_PROC_EXITED;
		send_hists(k, p);
		agg_proc_rec(k->a, &p->r);
		p->live = false;
	}
	return agg_add(k->a, e);
}

int kf_event(struct kfeed *k, const struct ct_event *e)
{
	struct kf_proc *p;

	if (k->path == KF_EVENTS)
		return agg_add(k->a, e);
	switch (e->type) {
	case CT_EV_FORK: return kf_fork(k, e);
	case CT_EV_EXIT: return kf_exit(k, e);
	case CT_EV_WP: case CT_EV_THP: case CT_EV_UFFD: case CT_EV_MARKER: case CT_EV_PINNED:
		break;
	default:
		return agg_add(k->a, e); /* not the kernel's: the aggregation says what it is */
	}
	if ((e->type == CT_EV_WP && e->kind >= CT_WP_KIND_MAX) ||
	    (e->type == CT_EV_THP && e->kind >= CT_THP_KIND_MAX) ||
	    (e->type == CT_EV_UFFD && e->kind >= CT_UFFD_KIND_MAX) || !e->pid)
		return agg_add(k->a, e);
	if (e->type == CT_EV_PINNED)
		return 0; /* the kernel counts pinned pages at the fork (its value) */
	p = kp_current(k, e);
	if (!p)
		return -1;
	switch (e->type) {
	case CT_EV_WP:
		p->r.c[CT_C_WP + e->kind]++;
		if (e->value)
			kp_hist(p, ct_wp_lat_hist(e->kind), e->value);
		if (ct_wp_is_copy(e->kind))
			kp_copy(p, e->map, e->ts_ns);
		break;
	case CT_EV_THP:
		p->r.c[CT_C_THP + e->kind]++;
		if (e->value)
			kp_hist(p, CT_H_LAT_THP, e->value);
		break;
	case CT_EV_UFFD:
		p->r.c[CT_C_UFFD + e->kind]++;
		if (e->kind < CT_UFFD_BLOCKING && e->value)
			kp_hist(p, CT_H_UFFD_BLOCKED + e->kind, e->value);
		break;
	case CT_EV_MARKER:
		p->r.c[CT_C_MARKER] += e->value;
		break;
	}
	return 0;
}

int kf_fork_rec(struct kfeed *k, const struct ct_fork_rec *r)
{
	struct kf_proc *p = k->path == KF_RECORDS ? kp_find(k, r->parent) : NULL;

	if (p) { /* sched_fork: the page tables; fork_send: the call's time */
		p->r.c[CT_C_PGTABLES] += r->pgtables_bytes;
		if ((r->known & CT_FK_DURATION) && r->exit_ns >= r->enter_ns)
			kp_hist(p, CT_H_FORK_DURATION, r->exit_ns - r->enter_ns);
	}
	return agg_fork_rec(k->a, r);
}

void kf_snapshot(struct kfeed *k)
{
	if (k->path == KF_EVENTS)
		return;
	agg_snapshot_begin(k->a);
	for (unsigned i = 0; i < KF_PROCS; i++) {
		struct kf_proc *p = &k->p[i];

		if (!p->live)
			continue;
		agg_proc_rec(k->a, &p->r);
		send_hists(k, p);
	}
	agg_snapshot_end(k->a);
}
