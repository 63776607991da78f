// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reading the kernel's maps during a run: BPF-side counters, process
 * records and histograms (batch reads), stacks, the runs the kernel skipped,
 * and forgetting what the frontend has taken.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cowtrace.h"
#include "cowtrace.skel.h"
#include "probes.h"

uint64_t probes_stat(const struct ct_session *s, int idx)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1];
	__u32 key = idx;
	uint64_t sum = 0;

	if (ncpu <= 0 || bpf_map__lookup_elem(s->skel->maps.stats, &key, sizeof(key), vals,
					      sizeof(vals), 0))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

/* Every entry of a hash map, in batches; cb per entry.  0 or -errno. */
static int read_map(int fd, size_t ksize, size_t vsize,
		    int (*cb)(void *ctx, const void *k, const void *v), void *ctx)
{
	enum { BATCH = 1024 };
	char *keys = malloc(BATCH * ksize), *vals = malloc(BATCH * vsize);
	__u64 in = 0, out = 0;
	bool first = true;
	int err = 0;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (;;) {
		__u32 count = BATCH;

		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, NULL);
		if (err && errno != ENOENT) {
			err = -errno;
			break;
		}
		for (__u32 i = 0; i < count; i++)
			cb(ctx, keys + i * ksize, vals + i * vsize);
		if (err) { /* ENOENT: that was the last batch */
			err = 0;
			break;
		}
		in = out;
		first = false;
	}
	free(keys);
	free(vals);
	return err;
}

struct rec_cb {
	int (*proc)(void *ctx, const struct ct_proc_rec *r, const struct ct_hist_val *f2c);
	void *ctx;
};

static int proc_cb(void *ctx, const void *k, const void *v)
{
	(void)k;
	struct rec_cb *c = ctx;
	const struct ct_proc_val *pv = v;

	return c->proc(c->ctx, &pv->r, ct_hist_empty(&pv->f2c) ? NULL : &pv->f2c);
}

int probes_read_procs(struct ct_session *s,
		      int (*cb)(void *ctx, const struct ct_proc_rec *r, const struct ct_hist_val *f2c), void *ctx)
{
	struct rec_cb c = { .proc = cb, .ctx = ctx };

	return read_map(bpf_map__fd(s->skel->maps.procs), sizeof(__u32), sizeof(struct ct_proc_val),
			proc_cb, &c);
}

struct hist_cb {
	int (*hist)(void *ctx, const struct ct_hist_rec *r);
	void *ctx;
};

/* The hists map's values carry no key: a record of key and value together. */
static int hist_cb(void *ctx, const void *k, const void *v)
{
	const struct ct_hist_key *key = k;
	struct hist_cb *c = ctx;
	struct ct_hist_rec r = { .type = CT_REC_TYPE_HIST, .pid = key->pid, .id = key->id };

	r.start_ns = 0; /* the live process of that pid */
	memcpy(&r.h, v, sizeof(r.h));
	return c->hist(c->ctx, &r);
}

int probes_read_hists(struct ct_session *s, int (*cb)(void *ctx, const struct ct_hist_rec *r), void *ctx)
{
	struct hist_cb c = { .hist = cb, .ctx = ctx };

	return read_map(bpf_map__fd(s->skel->maps.hists), sizeof(struct ct_hist_key), sizeof(struct ct_hist_val),
			hist_cb, &c);
}

/* ---- programs the kernel skipped ---- */

/*
 * A perf-event kprobe link's own miss count (the kprobe's nmissed: it fired
 * while another kprobe ran on the CPU, or a kretprobe had no free instance),
 * where the kernel reports it ("bpf: Add missed value to kprobe perf link
 * info", 6.7).  The 6.1 uapi headers predate it: the layout is spelled out.
 */
struct link_info_kprobe {
	__u32 type, id, prog_id, __pad;
	__u32 pe_type, __pad2;   /* perf_event.type */
	__u64 func_name;
	__u32 name_len, offset;
	__u64 addr, missed, cookie;
};

static bool link_kprobe_missed(struct bpf_link *l, uint64_t *missed)
{
	struct link_info_kprobe info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_link__fd(l), &info, &len) ||
	    len < offsetof(struct link_info_kprobe, missed) + sizeof(info.missed) ||
	    info.type != 7 /* BPF_LINK_TYPE_PERF_EVENT */ ||
	    (info.pe_type != 3 && info.pe_type != 4) /* BPF_PERF_EVENT_KPROBE, _KRETPROBE */)
		return false;
	*missed = info.missed;
	return true;
}

void probes_misses(const struct ct_session *s, struct ct_misses *m)
{
	if (s->detached) {
		*m = s->final_misses;
		return;
	}
	memset(m, 0, sizeof(*m));
	m->known = s->nlinks > 0;
	for (int i = 0; i < s->nlinks && m->n < CT_MISS_MAX; i++) {
		const struct ct_link *l = &s->links[i];
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		struct ct_miss *x = &m->m[m->n++];
		uint64_t kp;

		snprintf(x->prog, sizeof(x->prog), "%s", bpf_program__name(l->prog));
		snprintf(x->hook, sizeof(x->hook), "%s", l->target);
		x->stats = plan_prog_stats(x->prog);
		memset(&info, 0, sizeof(info));
		/* recursion_misses: 9ed9e9ba2337 "bpf: Count the number of times recursion was prevented" (5.12) */
		if (bpf_obj_get_info_by_fd(bpf_program__fd(l->prog), &info, &len) ||
		    len < offsetof(struct bpf_prog_info, recursion_misses) + sizeof(info.recursion_misses))
			m->known = false;
		else
			x->missed = info.recursion_misses;
		if (l->kprobe && link_kprobe_missed(l->link, &kp))
			x->missed += kp;
	}
}

struct stack_cb {
	int (*cb)(void *ctx, const struct ct_stack_key *k, uint64_t pages);
	void *ctx;
};

static int stack_cb(void *ctx, const void *k, const void *v)
{
	struct stack_cb *c = ctx;
	uint64_t pages;

	memcpy(&pages, v, sizeof(pages));
	if ((int64_t)pages <= 0)
		return 0; /* its only pages were copies the kernel threw away (tracepoint mode) */
	return c->cb(c->ctx, k, pages);
}

int probes_read_stacks(struct ct_session *s, int (*cb)(void *ctx, const struct ct_stack_key *k, uint64_t pages),
		       void *ctx)
{
	struct stack_cb c = { .cb = cb, .ctx = ctx };

	return read_map(bpf_map__fd(s->skel->maps.stack_counts), sizeof(struct ct_stack_key), sizeof(__u64),
			stack_cb, &c);
}

int probes_stack_trace(struct ct_session *s, int32_t id, uint64_t ips[CT_STACK_DEPTH])
{
	int n = 0;

	if (id < 0)
		return id;
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.stack_traces), &id, ips))
		return -errno;
	while (n < CT_STACK_DEPTH && ips[n])
		n++;
	return n;
}

int probes_proc_get(struct ct_session *s, uint32_t pid, uint64_t start_ns, struct ct_proc_rec *r)
{
	struct ct_proc_val v;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.procs), &pid, &v) ||
	    (start_ns && v.r.start_ns != start_ns))
		return -ENOENT;
	*r = v.r;
	return 0;
}

void probes_forget_stack(struct ct_session *s, const struct ct_stack_key *k)
{
	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.stack_counts), k);
}

void probes_forget_trace(struct ct_session *s, int32_t id)
{
	if (id >= 0)
		bpf_map_delete_elem(bpf_map__fd(s->skel->maps.stack_traces), &id);
}

/*
 * A process's final record read from the map (its exit found the lifecycle
 * ring full, see proc_exit()): delete it and its histograms, unless the pid
 * is another process's by now (the kernel replaced the record, counted it
 * lost and dropped its histograms then).  Histograms first, then the record
 * with one lookup-and-delete; a record that turns out to be another
 * process's (replaced in between) is put back.
 */
void probes_forget_exited(struct ct_session *s, uint32_t pid, uint64_t start_ns, uint32_t hists)
{
	int fd = bpf_map__fd(s->skel->maps.procs), hfd = bpf_map__fd(s->skel->maps.hists);
	struct ct_proc_val v;

	if (bpf_map_lookup_elem(fd, &pid, &v) || !(v.r.flags & CT_PROC_EXITED) || v.r.start_ns != start_ns)
		return;
	/* fork_to_copy goes with the record */
	for (uint32_t id = 0; id < CT_H_FORK_TO_COPY; id++) {
		struct ct_hist_key k = { .pid = pid, .id = id };

		if (hists & (1u << id)) /* an ended process's histograms do not grow: those read */
			bpf_map_delete_elem(hfd, &k);
	}
	if (bpf_map_lookup_and_delete_elem(fd, &pid, &v)) {
		/* hash maps have it since 5.14; before, the window is this one call */
		if (errno != ENOENT)
			bpf_map_delete_elem(fd, &pid);
		return;
	}
	if (!(v.r.flags & CT_PROC_EXITED) || v.r.start_ns != start_ns)
		bpf_map_update_elem(fd, &pid, &v, BPF_NOEXIST);
}

bool probes_final_waits(const struct ct_session *s, uint32_t pid, uint64_t start_ns)
{
	struct ct_proc_val v;

	return !bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.procs), &pid, &v) &&
	       (v.r.flags & CT_PROC_EXITED) && v.r.start_ns == start_ns;
}

void probes_forget(struct ct_session *s, uint32_t pid)
{
	int fd = bpf_map__fd(s->skel->maps.hists);

	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.procs), &pid); /* fork_to_copy with it */
	for (uint32_t id = 0; id < CT_H_FORK_TO_COPY; id++) {
		struct ct_hist_key k = { .pid = pid, .id = id };

		bpf_map_delete_elem(fd, &k);
	}
}
