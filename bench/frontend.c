// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Frontend benchmark helpers (issue 5, part 3).
 *
 *   frontend gen FILE N    write a record file of N synthetic events
 *   frontend agg N         aggregate N synthetic events in memory, print events/s
 *
 * The stream is shaped like what the ring buffer delivers on a fork-heavy
 * machine: bursts of 64 faults from one process (a fault storm after a fork),
 * 2,000 processes alive at a time, every 10,000 events one of them exits and
 * a new one is forked; write faults are copies and reuses with latencies,
 * a few userfaultfd faults.  Deterministic (fixed LCG seed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agg.h"
#include "plan.h"
#include "record.h"

#define LIVE 2000
#define BURST 64

struct gen {
	uint64_t rng, ts, n;
	uint32_t pids[LIVE], next_pid;
	uint32_t cur, left;      /* current burst */
	struct ct_event pending[2];
	int npending;
};

static uint32_t rnd(struct gen *g)
{
	g->rng = g->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(g->rng >> 33);
}

static void gen_init(struct gen *g)
{
	memset(g, 0, sizeof(*g));
	g->rng = 42;
	g->ts = 1000000000ull;
	g->next_pid = 1000;
	for (int i = 0; i < LIVE; i++)
		g->pids[i] = g->next_pid++;
}

static void fill(struct ct_event *e, struct gen *g, uint32_t pid, uint16_t type, uint16_t kind,
		 uint64_t value, uint32_t aux)
{
	memset(e, 0, sizeof(*e));
	e->ts_ns = g->ts;
	e->value = value;
	e->pid = e->tid = pid;
	e->ppid = 1;
	e->aux = aux;
	e->type = type;
	e->kind = kind;
	e->cgroup_id = 1 + pid % 7;
	snprintf(e->comm, sizeof(e->comm), "worker-%u", pid % 50);
}

static void gen_next(struct gen *g, struct ct_event *e)
{
	uint32_t r;

	g->ts += 500 + rnd(g) % 1000;
	if (g->npending) {
		*e = g->pending[--g->npending];
		e->ts_ns = g->ts;
		return;
	}
	if (++g->n % 10000 == 0) {
		/* churn: slot i exits, a fork from its neighbour takes its place */
		uint32_t i = rnd(g) % LIVE, parent = g->pids[(i + 1) % LIVE];

		fill(e, g, g->pids[i], CT_EV_EXIT, 0, 0, 0);
		g->pids[i] = g->next_pid++;
		fill(&g->pending[0], g, parent, CT_EV_FORK,
		     CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 0, g->pids[i]);
		g->npending = 1;
		return;
	}
	if (!g->left) {
		g->cur = g->pids[rnd(g) % LIVE];
		g->left = BURST;
	}
	g->left--;
	r = rnd(g) % 100;
	if (r < 45)
		fill(e, g, g->cur, CT_EV_WP, CT_WP_COPY_ANON, 2000 + rnd(g) % 20000, 0);
	else if (r < 90)
		fill(e, g, g->cur, CT_EV_WP, CT_WP_REUSE, 300 + rnd(g) % 3000, 0);
	else if (r < 95)
		fill(e, g, g->cur, CT_EV_WP, CT_WP_COPY_ZERO, 1500 + rnd(g) % 5000, 0);
	else
		fill(e, g, g->cur, CT_EV_UFFD, rnd(g) % CT_UFFD_KIND_MAX, 10000 + rnd(g) % 1000000, 0);
}

static double secs(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct gen g;
	struct ct_event e;
	uint64_t n;

	if (argc == 4 && !strcmp(argv[1], "gen")) {
		struct ct_plan plan;
		FILE *f = fopen(argv[2], "w");

		if (!f) {
			perror(argv[2]);
			return 1;
		}
		memset(&plan, 0, sizeof(plan));
		plan.mode = MODE_FENTRY;
		snprintf(plan.kernel, sizeof(plan.kernel), "synthetic");
		for (int s = 0; s < ST_MAX; s++)
			plan_set(&plan, s, "synthetic", MODE_FENTRY, Q_EXACT, "");
		n = strtoull(argv[3], NULL, 0);
		gen_init(&g);
		setvbuf(f, NULL, _IOFBF, 1 << 20);
		if (rec_write_header(f, &plan, 4096, g.ts, 0))
			return 1;
		for (uint64_t i = 0; i < n; i++) {
			gen_next(&g, &e);
			if (rec_write_event(f, &e))
				return 1;
		}
		if (rec_write_stats(f, 0, 0, g.ts, 0) || fclose(f))
			return 1;
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "agg")) {
		struct ct_event *evs;
		struct ct_agg a;
		double t0, t1;

		n = strtoull(argv[2], NULL, 0);
		evs = malloc(n * sizeof(*evs));
		if (!evs)
			return 1;
		gen_init(&g);
		for (uint64_t i = 0; i < n; i++)
			gen_next(&g, &evs[i]);
		agg_init(&a, 4096);
		a.t.max_exited = 4096;
		t0 = secs();
		for (uint64_t i = 0; i < n; i++)
			agg_add(&a, &evs[i]);
		t1 = secs();
		printf("%.0f\n", n / (t1 - t0));
		agg_free(&a);
		free(evs);
		return 0;
	}
	fprintf(stderr, "usage: frontend gen FILE N | frontend agg N\n");
	return 2;
}
