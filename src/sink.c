// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Event consumers (aggregation, record file, --events, SVG) and cgroup naming. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "output.h"
#include "record.h"
#include "sink.h"
#include "util.h"

void sink_event(struct ct_sink *k, const struct ct_event *e, unsigned to)
{
	if (to & SINK_AGG)
		agg_add(k->agg, e);
	if ((to & SINK_RECORD) && k->rec && !k->rec_errno && rec_write_event(k->rec, e))
		k->rec_errno = errno ? errno : EIO;
	if ((to & SINK_LINES) && k->events)
		output_json_event(k->lines ? k->lines : stdout, e, k->plan);
	if ((to & SINK_SVG) && k->svg && svg_add(k->svg, e))
		fprintf(stderr, "cowtrace: --svg: out of memory\n");
}

void sink_proc(struct ct_sink *k, const struct ct_proc_rec *r, bool record)
{
	agg_proc_rec(k->agg, r);
	if (record && k->rec && !k->rec_errno && rec_write_proc(k->rec, r))
		k->rec_errno = errno ? errno : EIO;
}

void sink_fork(struct ct_sink *k, const struct ct_fork_rec *r, bool record)
{
	agg_fork_rec(k->agg, r);
	if (record && k->rec && !k->rec_errno && rec_write_fork(k->rec, r))
		k->rec_errno = errno ? errno : EIO;
}

void sink_hist(struct ct_sink *k, const struct ct_hist_rec *r, bool record)
{
	struct ct_hist_rec h = *r;
	const struct ct_proc *p;

	/* read live from the map (no start time): name the process it belongs to */
	if (!h.start_ns && (p = agg_find(k->agg, h.pid)))
		h.start_ns = p->start_ns;
	agg_hist_rec(k->agg, &h);
	if (record && k->rec && !k->rec_errno && rec_write_hist(k->rec, &h))
		k->rec_errno = errno ? errno : EIO;
}

/* ---- cgroup paths for ids, looked up only for ids the report uses ---- */

struct cg_walk {
	struct ct_sink *k;
	uint64_t *want;
	unsigned nwant;
};

static int cg_found(void *ctx, uint64_t id, const char *path)
{
	struct cg_walk *w = ctx;

	for (unsigned i = 0; i < w->nwant; i++) {
		if (w->want[i] != id)
			continue;
		if (agg_set_cgroup_name(w->k->agg, id, path))
			return 0;
		if (w->k->rec && !w->k->rec_errno && rec_write_cgroup(w->k->rec, id, path))
			w->k->rec_errno = errno ? errno : EIO;
		w->want[i] = w->want[--w->nwant];
		return w->nwant ? 0 : 1; /* 1 stops the walk */
	}
	return 0;
}

void sink_resolve_cgroups(struct ct_sink *k)
{
	struct ct_agg *a = k->agg;
	struct cg_walk w = { .k = k };
	char root[1024];

	w.want = malloc((a->t.nprocs ? a->t.nprocs : 1) * sizeof(*w.want));
	if (!w.want)
		return;
	for (uint32_t i = 0; i < a->t.nprocs; i++) {
		uint64_t id = a->t.procs[i].cgroup_id;
		bool dup = false;

		for (unsigned j = 0; j < w.nwant && !dup; j++)
			dup = w.want[j] == id;
		if (id && !dup && !agg_cgroup_name(a, id))
			w.want[w.nwant++] = id;
	}
	if (w.nwant && !cgroup2_mount(root, sizeof(root)))
		cgroup_walk(root, cg_found, &w);
	free(w.want);
}

/* ---- the record file ---- */

void sink_record_open(struct ct_sink *k, const char *path, const struct ct_plan *plan,
		      uint32_t page_size)
{
	struct timespec rt;

	k->rec = fopen(path, "we"); /* its directory was checked at start */
	if (!k->rec) {
		fprintf(stderr, "cowtrace: --record '%s': %s\n", path, strerror(errno));
		exit(2);
	}
	k->rec_path = path;
	setvbuf(k->rec, NULL, _IOFBF, 1 << 20);
	clock_gettime(CLOCK_REALTIME, &rt);
	if (rec_write_header(k->rec, plan, page_size, now_ns(), rt.tv_sec * 1000000000ull + rt.tv_nsec))
		k->rec_errno = errno;
}

void sink_record_stacks(struct ct_sink *k, const struct ct_stacks *st)
{
	for (uint32_t i = 0; i < st->n && !k->rec_errno; i++) {
		int err = st->v[i].pages ? rec_write_stack(k->rec, &st->v[i]) : 0;

		if (err)
			k->rec_errno = -err;
	}
}

int sink_record_close(struct ct_sink *k, const struct ct_misses *m, uint64_t lost, uint64_t unclassified,
		      uint64_t settled)
{
	int e = k->rec_errno;

	if (!e && m && m->known && rec_write_misses(k->rec, m))
		e = errno;
	if (!e && rec_write_stats(k->rec, lost, unclassified, now_ns(), settled))
		e = errno;
	if (!e && (fflush(k->rec) || fsync(fileno(k->rec))))
		e = errno;
	if (fclose(k->rec) && !e)
		e = errno;
	k->rec = NULL;
	if (e) {
		fprintf(stderr, "cowtrace: --record '%s': %s (the record ends early)\n", k->rec_path,
			strerror(e));
		return -1;
	}
	return 0;
}

void sink_record_discard(struct ct_sink *k)
{
	if (!k->rec)
		return;
	fclose(k->rec);
	k->rec = NULL;
	unlink(k->rec_path);
}
