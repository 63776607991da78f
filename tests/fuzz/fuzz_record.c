// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer harness for the record-file reader and everything a record feeds
 * in `cowtrace report FILE`: rec_open/rec_next (src/record.c), every event
 * into agg_add (src/agg.c) with a small max_exited so that eviction runs
 * constantly, cgroup names into agg_set_cgroup_name, then the text, JSON and
 * Prometheus writers (and the SVG chart unless built with -DFUZZ_NO_SVG) with
 * the plan parsed from the header.
 *
 * Built and run by tests/fuzz-test.sh:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *     -Iinclude -Isrc tests/fuzz/fuzz_record.c src/{record,agg,hist,output_*,plan,svg}.c
 *
 * The low bits of the header's start_real_ns choose the options, so the
 * fuzzer explores them too: bits 0-1 the Prometheus label (comm, cgroup, pid;
 * pid also makes eviction ask prom_keeps()), bits 2-4 max_exited (0..7, 0 =
 * never evict), bits 5-7 --prom-top (1..8).
 *
 * Besides "no crash, no sanitizer report, no leak", the harness checks that
 * the aggregation never lies, whatever the input: it counts the well-formed
 * events itself and abort()s when
 *   - the per-kind write-fault, THP and uffd counters, pinned_cow,
 *     marker_install and forks summed over every row (folds included) differ
 *     from what was fed in (eviction must move numbers, never drop them);
 *   - a live pid has two entries, or the pid index does not find a live entry;
 *   - exited, unfolded entries disagree with nexited, or exceed max_exited
 *     when nothing vetoes eviction;
 *   - a fold row (pid 0) does not say how many processes it holds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "output.h"
#include "output_prom.h"
#include "plan.h"
#include "record.h"
#ifndef FUZZ_NO_SVG
#include "svg.h"
#endif

static FILE *devnull;

/* What the harness fed in, by its own count. */
struct truth {
	uint64_t wp[CT_WP_KIND_MAX], thp[CT_THP_KIND_MAX], uffd[CT_UFFD_KIND_MAX];
	uint64_t pinned, marker, forks;
};

static bool well_formed(const struct ct_event *e)
{
	if (e->type == 0 || e->type >= CT_EV_TYPE_MAX)
		return false;
	if (e->type == CT_EV_WP && e->kind >= CT_WP_KIND_MAX)
		return false;
	if (e->type == CT_EV_THP && e->kind >= CT_THP_KIND_MAX)
		return false;
	if (e->type == CT_EV_UFFD && e->kind >= CT_UFFD_KIND_MAX)
		return false;
	if (e->type == CT_EV_FORK)
		return !((e->kind & CT_FORK_PARENT_TRACED) && !e->pid) &&
		       !((e->kind & CT_FORK_CHILD_TRACED) && !e->aux) && e->pid != e->aux;
	return e->pid != 0; /* pid 0 is reserved for folds */
}

static void expect(struct truth *t, const struct ct_event *e)
{
	switch (e->type) {
	case CT_EV_WP: t->wp[e->kind]++; break;
	case CT_EV_THP: t->thp[e->kind]++; break;
	case CT_EV_UFFD: t->uffd[e->kind]++; break;
	case CT_EV_PINNED: t->pinned += e->value; break;
	case CT_EV_MARKER: t->marker += e->value; break;
	case CT_EV_FORK: t->forks += !!(e->kind & CT_FORK_PARENT_TRACED); break;
	}
}

static void die(const char *what)
{
	fprintf(stderr, "fuzz_record: invariant broken: %s\n", what);
	abort();
}

static void check(const struct ct_agg *a, const struct truth *t, bool vetoed, bool kernel_recs)
{
	struct truth got = { 0 };
	uint32_t exited = 0;

	for (uint32_t i = 0; i < a->t.nprocs; i++) {
		const struct ct_proc *p = &a->t.procs[i];

		for (int k = 0; k < CT_WP_KIND_MAX; k++)
			got.wp[k] += p->c[CT_C_WP + k];
		for (int k = 0; k < CT_THP_KIND_MAX; k++)
			got.thp[k] += p->c[CT_C_THP + k];
		for (int k = 0; k < CT_UFFD_KIND_MAX; k++)
			got.uffd[k] += p->c[CT_C_UFFD + k];
		got.pinned += p->c[CT_C_PINNED];
		got.marker += p->c[CT_C_MARKER];
		got.forks += p->c[CT_C_FORKS];
		if (!p->pid) {
			if (!p->folded || !p->exited)
				die("a fold row without folded processes");
			continue;
		}
		if (p->exited) {
			exited++;
			continue;
		}
		/* Also catches two live entries for one pid: only one can be found. */
		if (agg_find(a, p->pid) != p)
			die("the pid index does not find a live process (or two live entries share a pid)");
	}
	if (!kernel_recs && memcmp(&got, t, sizeof(got)))
		die("counters summed over all rows differ from the events fed in");
	if (exited != a->t.nexited)
		die("nexited does not match the exited entries");
	if (a->t.max_exited && !vetoed && a->t.nexited > a->t.max_exited)
		die("more exited processes kept than max_exited");
}

static bool keep_cb(void *ctx, const struct ct_proc *p)
{
	return prom_keeps(ctx, p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ct_rec rec; /* 4 KiB path: not on the stack */
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	struct ct_agg agg;
	struct prom_state prom;
	struct truth t = { 0 };
	char err[512];
	unsigned cfg;
	bool oom = false;
	int n;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	if (rec_open(&rd, data, size, &info, err, sizeof(err))) {
		if (!err[0] || strchr(err, '\n'))
			die("rec_open failed without a one-line reason");
		return 0;
	}
	cfg = (unsigned)info.start_real_ns;
	if (agg_init(&agg, info.page_size))
		return 0;
	agg.t.max_exited = (cfg >> 2) & 7;
	if (prom_init(&prom, (enum prom_label)((cfg & 3) % 3), 1 + ((cfg >> 5) & 7))) {
		agg_free(&agg);
		return 0;
	}
	if (prom.by == PROM_BY_PID) {
		agg.t.keep = keep_cb;
		agg.t.keep_ctx = &prom;
	}
#ifndef FUZZ_NO_SVG
	struct ct_svg *svg = svg_new();
#endif
	uint64_t lost = 0, unclassified = 0, end_ns = 0, prev_records = 0;
	unsigned since_prom = 0;
	bool kernel_recs = false; /* the kernel's records set counts: the event sums no longer hold */
	static struct ct_misses misses;
	struct ct_stacks stacks;

	memset(&misses, 0, sizeof(misses));
	stacks_init(&stacks);
	stacks_set_plan(&stacks, &info.plan);

	while ((n = rec_next(&rd, &rec, err, sizeof(err))) > 0) {
		if (rd.records != prev_records + 1)
			die("records counter out of step");
		prev_records = rd.records;
		switch (rec.type) {
		case CT_REC_EVENT:
			if (agg_add(&agg, &rec.ev)) {
				if (well_formed(&rec.ev))
					oom = true; /* only allocation failures are left */
			} else {
				expect(&t, &rec.ev);
			}
#ifndef FUZZ_NO_SVG
			if (svg)
				svg_add(svg, &rec.ev);
#endif
			break;
		case CT_REC_CGROUP:
			if (strlen(rec.path) > CT_REC_MAX_LEN)
				die("cgroup path longer than a record");
			agg_set_cgroup_name(&agg, rec.cgroup_id, rec.path);
			break;
		case CT_REC_STATS:
			lost = rec.lost;
			unclassified = rec.unclassified;
			end_ns = rec.end_mono_ns;
			break;
		case CT_REC_PROC:
			kernel_recs = true;
			agg_proc_rec(&agg, &rec.proc);
			break;
		case CT_REC_HIST:
			kernel_recs = true;
			agg_hist_rec(&agg, &rec.hist);
			break;
		case CT_REC_FORK: /* any bytes: the aggregation checks it or ignores a fork it does not know */
			agg_fork_rec(&agg, &rec.fork);
			break;
		case CT_REC_MISS:
			if (memchr(rec.miss.prog, 0, sizeof(rec.miss.prog)) == NULL ||
			    memchr(rec.miss.hook, 0, sizeof(rec.miss.hook)) == NULL)
				die("a miss record's names are not terminated");
			misses.known = rec.miss_known;
			if (misses.n < CT_MISS_MAX)
				misses.m[misses.n++] = rec.miss;
			break;
		case CT_REC_STACK:
			if (strlen(rec.stack.frames) > CT_REC_MAX_LEN || !memchr(rec.stack.comm, 0, CT_COMM_LEN) ||
			    rec.stack.id.kind >= CT_WP_KIND_MAX)
				die("a stack record beyond its bounds");
			if (stacks_set(&stacks, &rec.stack.id, rec.stack.comm, rec.stack.frames, rec.stack.file,
				       rec.stack.pages) == -EINVAL)
				die("a stack record the reader took but the table refused");
			break;
		default:
			die("rec_next returned an unknown record type");
		}
		/* Interval textfiles, as the exporter writes them: chosen series persist. */
		if (++since_prom == 64) {
			struct ct_report r = { .agg = &agg, .plan = &info.plan, .version = "fuzz" };

			output_prom(devnull, &r, &prom);
			since_prom = 0;
		}
	}
	if (n < 0 && (!err[0] || strchr(err, '\n')))
		die("rec_next failed without a one-line reason");
	if (rd.off > rd.len)
		die("reader offset beyond the buffer");
	if (!oom)
		check(&agg, &t, agg.t.keep != NULL, kernel_recs);

	struct ct_report r = {
		.agg = &agg, .plan = &info.plan, .final = true, .cmd_status = -1, .hist_top = 3,
		.version = "fuzz", .lost_events = lost, .unclassified = unclassified,
		.duration_s = end_ns > info.start_mono_ns ? (end_ns - info.start_mono_ns) / 1e9 : 0,
		.misses = info.version >= 2 ? &misses : NULL,
		.stacks = info.plan.stacks ? &stacks : NULL, .top_stacks = 3,
	};
	output_text(devnull, &r);
	output_json(devnull, &r);
	output_prom(devnull, &r, &prom);
	/* Evicting everything exited must keep the numbers too. */
	agg_evict(&agg);
	if (!oom)
		check(&agg, &t, agg.t.keep != NULL, kernel_recs);
	output_json(devnull, &r);
#ifndef FUZZ_NO_SVG
	if (svg) {
		svg_write(devnull, svg, info.plan.kernel);
		svg_free(svg);
	}
#endif
	stacks_folded(devnull, &stacks);
	stacks_flamegraph(devnull, &stacks, info.plan.kernel);
	stacks_free(&stacks);
	fflush(devnull);
	prom_free(&prom);
	agg_free(&agg);
	return 0;
}
