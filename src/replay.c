// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cowtrace report FILE: the report of a record, offline, no root needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "outfile.h"
#include "record.h"
#include "replay.h"
#include "report.h"
#include "sink.h"

struct svg_job {
	const struct ct_svg *svg;
	const char *title;
};

static int svg_job_write(FILE *f, void *ctx)
{
	const struct svg_job *j = ctx;

	return svg_write(f, j->svg, j->title);
}

/* The record, mapped; exits 2 naming the file if it cannot be read. */
static const void *map_record(const char *path, size_t *len)
{
	struct stat sb;
	void *map = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb)) {
		fprintf(stderr, "cowtrace: report '%s': %s\n", path, strerror(errno));
		exit(2);
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, "cowtrace: report '%s': not a regular file\n", path);
		exit(2);
	}
	if (sb.st_size > 0) {
		map = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			fprintf(stderr, "cowtrace: report '%s': %s\n", path, strerror(errno));
			exit(2);
		}
		madvise(map, sb.st_size, MADV_SEQUENTIAL);
	}
	close(fd);
	*len = sb.st_size;
	return map;
}

/*
 * Records of builds fcf6f6b..e816776 hold the fork events of the
 * per-fault ring after the process records of the lifecycle ring: a
 * child's final record before the fork that made it.  Such a fork is
 * applied when the child's record names it (its birth), once.
 */
struct early_fork {
	uint32_t child;
	uint64_t ts_ns;
	struct ct_event ev;
	bool done;
};

struct early_forks {
	struct early_fork *v;
	size_t n, cap;
};

static int cmp_early(const void *x, const void *y)
{
	const struct early_fork *a = x, *b = y;

	if (a->child != b->child)
		return a->child < b->child ? -1 : 1;
	return a->ts_ns < b->ts_ns ? -1 : a->ts_ns > b->ts_ns;
}

static struct early_fork *early_find(struct early_forks *ef, uint32_t child, uint64_t ts_ns)
{
	struct early_fork key = { .child = child, .ts_ns = ts_ns };

	return ef->n ? bsearch(&key, ef->v, ef->n, sizeof(key), cmp_early) : NULL;
}

/*
 * Whether the record ends with its totals, i.e. the recorder finished and
 * wrote the kernel's final counts before them.  A cut record lacks them.
 * Its fork events go into ef.
 */
static bool record_complete(const void *map, size_t len, struct ct_rec *rec, struct early_forks *ef)
{
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	char err[512];
	bool stats = false;
	int n;

	if (rec_open(&rd, map, len, &info, err, sizeof(err)))
		return false;
	while ((n = rec_next(&rd, rec, err, sizeof(err))) > 0) {
		stats |= rec->type == CT_REC_STATS;
		if (rec->type == CT_REC_EVENT && rec->ev.type == CT_EV_FORK) {
			if (ef->n == ef->cap) {
				size_t cap = ef->cap ? ef->cap * 2 : 64;
				struct early_fork *v = realloc(ef->v, cap * sizeof(*v));

				if (!v)
					break; /* read in file order then */
				ef->v = v;
				ef->cap = cap;
			}
			ef->v[ef->n++] = (struct early_fork){ .child = rec->ev.aux, .ts_ns = rec->ev.ts_ns,
							      .ev = rec->ev };
		}
	}
	if (ef->n)
		qsort(ef->v, ef->n, sizeof(*ef->v), cmp_early);
	return n == 0 && stats;
}

int run_report(const struct ct_cli *cli)
{
	const char *path = cli->report_file, *base;
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	struct ct_reporter out = { 0 };
	struct ct_agg agg;
	struct ct_rec *rec;
	struct ct_sink k = { .agg = &agg, .events = cli->events };
	uint64_t lost = 0, unclassified = 0, settled = 0, end_ns = 0;
	struct ct_misses misses = { 0 };
	char err[512] = "", title[512];
	size_t len;
	const void *map = map_record(path, &len);
	bool kernel_counts, oom = false;
	struct early_forks ef = { 0 };
	struct early_fork *f = NULL;
	struct ct_stacks stacks;
	int n, ret = 0;

	if (rec_open(&rd, map, len, &info, err, sizeof(err))) {
		fprintf(stderr, "cowtrace: report '%s': %s\n", path, err);
		return 2;
	}
	/* the header says whether stacks were counted: refuse before any output */
	if ((cli->folded || cli->flamegraph) && !info.plan.stacks) {
		fprintf(stderr, "cowtrace: report '%s': no stacks in this record (record with --stacks); "
				"--folded and --flamegraph need them\n", path);
		return 2;
	}
	reporter_init(&out, cli, &agg, info.page_size);
	k.plan = &info.plan;
	stacks_init(&stacks);
	stacks_set_plan(&stacks, &info.plan);
	stacks.key = cli->folded_by;
	k.lines = out.out;
	if (cli->svg && !(k.svg = svg_new())) {
		fprintf(stderr, "cowtrace: out of memory\n");
		return 1;
	}
	rec = malloc(sizeof(*rec));
	if (!rec) {
		fprintf(stderr, "cowtrace: out of memory\n");
		return 1;
	}
	/*
	 * Version 2 holds the kernel's counts (process records); a record cut
	 * before its end lacks the final ones, so its report counts the fault
	 * events it holds, like a version 1 record.
	 */
	kernel_counts = info.version >= 2 && record_complete(map, len, rec, &ef);
	agg.count_events = !kernel_counts;
	while ((n = rec_next(&rd, rec, err, sizeof(err))) > 0) {
		switch (rec->type) {
		case CT_REC_EVENT:
			f = rec->ev.type == CT_EV_FORK ? early_find(&ef, rec->ev.aux, rec->ev.ts_ns) : NULL;
			if (f && f->done)
				break; /* applied at its child's record */
			sink_event(&k, &rec->ev, SINK_ALL);
			if (f)
				f->done = true;
			break;
		case CT_REC_CGROUP:
			agg_set_cgroup_name(&agg, rec->cgroup_id, rec->path);
			break;
		case CT_REC_STATS:
			lost = rec->lost;
			unclassified = rec->unclassified;
			end_ns = rec->end_mono_ns;
			settled = rec->settled;
			break;
		case CT_REC_PROC:
			if (!kernel_counts)
				break;
			if (rec->proc.birth_ns && (f = early_find(&ef, rec->proc.pid, rec->proc.birth_ns)) && !f->done) {
				sink_event(&k, &f->ev, SINK_ALL);
				f->done = true;
			}
			sink_proc(&k, &rec->proc, false);
			break;
		case CT_REC_HIST:
			if (kernel_counts)
				sink_hist(&k, &rec->hist, false);
			break;
		case CT_REC_FORK: /* after its fork event: onto its fork */
			sink_fork(&k, &rec->fork, false);
			break;
		case CT_REC_STACK:
			if (info.plan.stacks && stacks_set(&stacks, &rec->stack.id, rec->stack.comm, rec->stack.frames,
							   rec->stack.file, rec->stack.pages) == -ENOMEM)
				oom = true;
			break;
		case CT_REC_MISS:
			misses.known = rec->miss_known;
			if (misses.n < CT_MISS_MAX)
				misses.m[misses.n++] = rec->miss;
			break;
		}
	}
	free(rec);
	free(ef.v);
	if (!end_ns || end_ns < info.start_mono_ns)
		end_ns = agg.last_ns > info.start_mono_ns ? agg.last_ns : info.start_mono_ns;
	struct ct_report r = {
		.agg = &agg, .plan = &info.plan, .duration_s = (end_ns - info.start_mono_ns) / 1e9,
		.final = true, .cmd_status = -1, .hist_top = cli->hist_top, .version = COWTRACE_VERSION,
		.lost_events = lost, .unclassified = unclassified, .settled = settled,
		.misses = info.version >= 2 ? &misses : NULL,
		.stacks = info.plan.stacks ? &stacks : NULL, .top_stacks = cli->top_stacks,
	};
	reporter_emit(&out, &r, true);
	base = strrchr(path, '/');
	snprintf(title, sizeof(title), "cowtrace: pages copied over time, %s (kernel %s)",
		 base ? base + 1 : path, info.plan.kernel);
	if (k.svg) {
		struct svg_job j = { .svg = k.svg, .title = title };

		if (outfile_write("--svg", cli->svg, svg_job_write, &j, err, sizeof(err))) {
			fprintf(stderr, "cowtrace: %s\n", err);
			ret = 1;
		}
	}
	if (cli->folded || cli->flamegraph) {
		snprintf(title, sizeof(title), "cowtrace: copy-on-write copies by stack, %s (kernel %s)",
			 base ? base + 1 : path, info.plan.kernel);
		stacks_mark_forked(&stacks, &agg);
		if (write_stacks(cli, &stacks, title))
			ret = 1;
	}
	if (oom) {
		fprintf(stderr, "cowtrace: report '%s': out of memory for the stacks; some are left out\n", path);
		ret = 1;
	}
	if (n < 0) {
		fprintf(stderr, "cowtrace: report '%s': %s; the %llu complete records before it are reported\n",
			path, err, (unsigned long long)rd.records);
		ret = 1;
	}
	if (agg.bad_events)
		fprintf(stderr, "cowtrace: report '%s': %llu events of unknown type or kind ignored\n",
			path, (unsigned long long)agg.bad_events);
	svg_free(k.svg);
	stacks_free(&stacks);
	agg_free(&agg);
	reporter_free(&out);
	if (out.failed && !ret)
		ret = 1;
	if (map)
		munmap((void *)map, len);
	return ret;
}
