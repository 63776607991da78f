// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for cowtrace's pure userspace core: aggregation (agg.c),
 * histograms (hist.c), the probe plan (plan.c), the text and JSON reports
 * (output_text.c, output_json.c), GFP values from tracefs formats
 * (tracefs.c) and argument parsing (util.c).  No root, no BPF.
 *
 *     .output/test_core [GOLDEN_DIR [FIXTURES_DIR]]
 *
 * GOLDEN_DIR defaults to tests/golden, FIXTURES_DIR to GOLDEN_DIR/../fixtures.
 * Prints "ok - NAME" or "not ok - NAME: DETAIL" per test (further failed
 * checks of the same test follow as "#" lines), then "N passed, N failed";
 * exits 1 if anything failed.  UPDATE_GOLDEN=1 rewrites the golden files
 * instead of comparing (then review the diff by hand: every number in them was
 * checked against the hand computation next to golden_stream[] below).
 * The "usecs" histogram rows were once corrected by hand while hist_print()
 * rebinned one slot too high; that is fixed (hist_print_usecs_rebin guards it).
 *
 * JSON validity: besides the parser below, the golden JSON files were checked
 * once by hand with
 *     python3 -m json.tool tests/golden/report.json >/dev/null
 *     python3 -m json.tool tests/golden/report_tp.json >/dev/null
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "hist.h"
#include "output.h"
#include "output_prom.h"
#include "plan.h"
#include "record.h"
#include "tracefs.h"
#include "util.h"

/* ------------------------------------------------------------------ runner */

static int n_passed, n_failed;
static int cur_fails;
static char cur_detail[1024];
static char cur_more[8192];
static size_t cur_more_len;
static const char *golden_dir = "tests/golden";
static char fixtures_dir[4096];
static int update_golden;

static void check_failed(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check_failed(int line, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cur_fails == 0) {
		snprintf(cur_detail, sizeof(cur_detail), "line %d: %s", line, msg);
	} else if (cur_fails < 12 && cur_more_len < sizeof(cur_more) - 1) {
		int n = snprintf(cur_more + cur_more_len, sizeof(cur_more) - cur_more_len,
				 "#   line %d: %s\n", line, msg);

		if (n > 0)
			cur_more_len += (size_t)n;
		if (cur_more_len >= sizeof(cur_more))
			cur_more_len = sizeof(cur_more) - 1;
	}
	cur_fails++;
}

#define CHECK(cond, ...)                                        \
	do {                                                    \
		if (!(cond))                                    \
			check_failed(__LINE__, __VA_ARGS__);    \
	} while (0)

#define CHECK_EQ(got, want)                                                          \
	do {                                                                         \
		unsigned long long g_ = (unsigned long long)(got);                   \
		unsigned long long w_ = (unsigned long long)(want);                  \
		if (g_ != w_)                                                        \
			check_failed(__LINE__, "%s = %llu, expected %llu", #got, g_, w_); \
	} while (0)

#define CHECK_STR(got, want)                                                            \
	do {                                                                            \
		const char *g_ = (got), *w_ = (want);                                   \
		if (!g_ || strcmp(g_, w_))                                              \
			check_failed(__LINE__, "%s = \"%s\", expected \"%s\"", #got,     \
				     g_ ? g_ : "(null)", w_);                           \
	} while (0)

/* Print text with every line starting with "#". */
static void print_commented(const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "\n");

		printf("%s%.*s\n", s[0] == '#' ? "" : "#   ", (int)n, s);
		s += n;
		if (*s)
			s++;
	}
}

static void run(const char *name, void (*fn)(void))
{
	cur_fails = 0;
	cur_detail[0] = 0;
	cur_more[0] = 0;
	cur_more_len = 0;
	fn();
	if (!cur_fails) {
		printf("ok - %s\n", name);
		n_passed++;
	} else {
		/* one "not ok" line; anything multi-line continues as "#" lines */
		const char *nl = strchr(cur_detail, '\n');

		printf("not ok - %s: %.*s", name, nl ? (int)(nl - cur_detail) : (int)strlen(cur_detail),
		       cur_detail);
		if (cur_fails > 1)
			printf(" (+%d more failed checks)", cur_fails - 1);
		printf("\n");
		if (nl)
			print_commented(nl + 1);
		print_commented(cur_more);
		n_failed++;
	}
	fflush(stdout);
}
#define RUN(fn) run(#fn, fn)

/* --------------------------------------------------------------- helpers */

static struct ct_event mkev(uint64_t ts, unsigned type, unsigned kind, uint32_t pid,
			    uint32_t ppid, uint64_t value, uint32_t aux, const char *comm)
{
	struct ct_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.value = value;
	e.pid = pid;
	e.tid = pid;
	e.ppid = ppid;
	e.aux = aux;
	e.type = (uint16_t)type;
	e.kind = (uint16_t)kind;
	if (comm) {
		size_t n = strlen(comm);

		memcpy(e.comm, comm, n < CT_COMM_LEN ? n : CT_COMM_LEN);
	}
	return e;
}

static int add(struct ct_agg *a, uint64_t ts, unsigned type, unsigned kind, uint32_t pid,
	       uint32_t ppid, uint64_t value, uint32_t aux, const char *comm)
{
	struct ct_event e = mkev(ts, type, kind, pid, ppid, value, aux, comm);

	return agg_add(a, &e);
}

static int wp(struct ct_agg *a, uint64_t ts, unsigned kind, uint32_t pid, uint32_t ppid,
	      uint64_t lat, const char *comm)
{
	return add(a, ts, CT_EV_WP, kind, pid, ppid, lat, 0, comm);
}

static int proc_index(const struct ct_agg *a, const struct ct_proc *p)
{
	return p ? (int)(p - a->procs) : -1;
}

static char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t r;

		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (cap ? cap * 2 : 8192));

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static char *fixture(const char *name)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", fixtures_dir, name);
	return read_whole(path, NULL);
}

/* Render a report into memory. */
typedef void (*writer_fn)(FILE *, const struct ct_report *);

static char *render(writer_fn w, const struct ct_report *r, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	w(f, r);
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

/* Count non-overlapping occurrences of needle in hay. */
static int count_str(const char *hay, const char *needle)
{
	int n = 0;
	size_t l = strlen(needle);

	for (const char *p = hay; (p = strstr(p, needle)); p += l)
		n++;
	return n;
}

/* --------------------------------------------------- aggregation: counters */

static void agg_counts_every_kind(void)
{
	struct ct_agg a;
	struct ct_proc *p;
	static const unsigned wp_n[CT_WP_KIND_MAX] = {
		[CT_WP_REUSE] = 3, [CT_WP_COPY_ANON] = 2, [CT_WP_COPY_ZERO] = 1,
		[CT_WP_COPY_FILE] = 4, [CT_WP_COPY_KSM] = 1, [CT_WP_UNSHARE] = 2,
		[CT_WP_SHARED_REUSE] = 5,
	};
	uint64_t ts = 1000;

	CHECK(agg_init(&a, 4096) == 0, "agg_init failed");
	for (unsigned k = 0; k < CT_WP_KIND_MAX; k++)
		for (unsigned i = 0; i < wp_n[k]; i++)
			CHECK(wp(&a, ts++, k, 42, 1, 0, "kinds") == 0, "wp kind %u rejected", k);
	add(&a, ts++, CT_EV_THP, CT_THP_REUSE, 42, 1, 0, 0, "kinds");
	add(&a, ts++, CT_EV_THP, CT_THP_REUSE, 42, 1, 0, 0, "kinds");
	add(&a, ts++, CT_EV_THP, CT_THP_SPLIT, 42, 1, 0, 0, "kinds");
	add(&a, ts++, CT_EV_UFFD, CT_UFFD_MISSING, 42, 1, 0, 0, "kinds");
	add(&a, ts++, CT_EV_UFFD, CT_UFFD_WP, 42, 1, 0, 0, "kinds");
	add(&a, ts++, CT_EV_UFFD, CT_UFFD_WP, 42, 1, 0, 0, "kinds");
	for (int i = 0; i < 3; i++)
		add(&a, ts++, CT_EV_UFFD, CT_UFFD_MINOR, 42, 1, 0, 0, "kinds");
	add(&a, ts++, CT_EV_PINNED, 0, 42, 1, 7, 43, "kinds");
	add(&a, ts++, CT_EV_PINNED, 0, 42, 1, 2, 44, "kinds");
	add(&a, ts++, CT_EV_MARKER, 0, 42, 1, 10, 0, "kinds");
	add(&a, ts++, CT_EV_MARKER, 0, 42, 1, 5, 0, "kinds");

	/* 18 WP + 3 THP + 6 UFFD + 2 PINNED + 2 MARKER = 31 events, one process */
	CHECK_EQ(a.events, 31);
	CHECK_EQ(a.bad_events, 0);
	CHECK_EQ(a.nprocs, 1);
	p = agg_find(&a, 42);
	CHECK(p != NULL, "pid 42 not found");
	if (!p)
		goto out;
	for (unsigned k = 0; k < CT_WP_KIND_MAX; k++)
		CHECK(p->wp[k] == wp_n[k], "wp[%u] = %llu, expected %u", k,
		      (unsigned long long)p->wp[k], wp_n[k]);
	CHECK_EQ(p->thp[CT_THP_REUSE], 2);
	CHECK_EQ(p->thp[CT_THP_SPLIT], 1);
	CHECK_EQ(p->uffd[CT_UFFD_MISSING], 1);
	CHECK_EQ(p->uffd[CT_UFFD_WP], 2);
	CHECK_EQ(p->uffd[CT_UFFD_MINOR], 3);
	CHECK_EQ(p->pinned_cow, 9);      /* 7 + 2 pages */
	CHECK_EQ(p->marker_install, 15); /* 10 + 5 markers */
	/* copies = anon 2 + zero 1 + file 4 + ksm 1 = 8 (not reuse 3, unshare 2, shared 5) */
	CHECK_EQ(proc_copies(p), 8);
	/* (copies 8 + unshare 2 + pinned 9) = 19 pages */
	CHECK_EQ(proc_copied_bytes(p, 4096), 19 * 4096);
	CHECK_EQ(proc_copied_bytes(p, 16384), 19 * 16384);
	CHECK_EQ(proc_stat(p, ST_COPY, 4096), 8);
	CHECK_EQ(proc_stat(p, ST_COPIED_BYTES, 4096), 77824);
	CHECK_EQ(proc_stat(p, ST_UNSHARE, 4096), 2);
	CHECK_EQ(proc_stat(p, ST_SHARED_REUSE, 4096), 5);
	CHECK_EQ(proc_stat(p, ST_PINNED_COW, 4096), 9);
	CHECK_EQ(proc_stat(p, ST_MARKER_INSTALL, 4096), 15);
	CHECK_EQ(proc_stat(p, ST_UFFD_MINOR, 4096), 3);
	CHECK_EQ(p->forks, 0);
	CHECK_EQ(a.nforks, 0);
	/* WP/THP with value 0 take no latency sample; UFFD always records blocked time */
	CHECK(p->h != NULL, "no histograms after uffd events");
	if (p->h) {
		for (int l = 0; l < LAT_MAX; l++)
			CHECK(p->h->wp_lat[l].count == 0, "wp_lat[%d] has samples from value 0", l);
		CHECK_EQ(p->h->uffd_blocked[CT_UFFD_MINOR].count, 3);
		CHECK_EQ(p->h->uffd_blocked[CT_UFFD_MINOR].slot[0], 3);
		CHECK_EQ(p->h->fork_to_copy.count, 0);
	}
	CHECK_EQ(a.first_ns, 1000);
	CHECK_EQ(a.last_ns, ts - 1);
out:
	agg_free(&a);
}

static void agg_default_page_size(void)
{
	struct ct_agg a;

	CHECK(agg_init(&a, 0) == 0, "agg_init failed");
	CHECK_EQ(a.page_size, 4096);
	agg_free(&a);
	CHECK(agg_init(&a, 65536) == 0, "agg_init failed");
	CHECK_EQ(a.page_size, 65536);
	agg_free(&a);
}

static void agg_latency_histograms(void)
{
	struct ct_agg a;
	struct ct_proc *p;

	agg_init(&a, 4096);
	wp(&a, 10, CT_WP_REUSE, 7, 1, 0, "lat");
	p = agg_find(&a, 7);
	CHECK(p && p->h == NULL, "histograms allocated without a timed sample");
	wp(&a, 11, CT_WP_REUSE, 7, 1, 100, "lat");
	wp(&a, 12, CT_WP_COPY_ZERO, 7, 1, 3000, "lat");
	wp(&a, 13, CT_WP_COPY_KSM, 7, 1, 5000, "lat");
	wp(&a, 14, CT_WP_SHARED_REUSE, 7, 1, 50, "lat");
	wp(&a, 15, CT_WP_UNSHARE, 7, 1, 7000, "lat");
	add(&a, 16, CT_EV_THP, CT_THP_SPLIT, 7, 1, 9000, 0, "lat");
	add(&a, 17, CT_EV_THP, CT_THP_REUSE, 7, 1, 1000, 0, "lat");
	add(&a, 18, CT_EV_UFFD, CT_UFFD_WP, 7, 1, 123456, 0, "lat");
	p = agg_find(&a, 7);
	CHECK(p && p->h, "no histograms");
	if (p && p->h) {
		const struct ct_proc_hists *h = p->h;

		CHECK_EQ(h->wp_lat[LAT_REUSE].count, 1);
		CHECK_EQ(h->wp_lat[LAT_REUSE].sum, 100);
		CHECK_EQ(h->wp_lat[LAT_REUSE].slot[7], 1); /* 64 <= 100 < 128 */
		CHECK_EQ(h->wp_lat[LAT_COPY].count, 2);     /* zero + ksm */
		CHECK_EQ(h->wp_lat[LAT_COPY].sum, 8000);
		CHECK_EQ(h->wp_lat[LAT_SHARED_REUSE].count, 1);
		CHECK_EQ(h->wp_lat[LAT_SHARED_REUSE].sum, 50);
		CHECK_EQ(h->wp_lat[LAT_UNSHARE].count, 1);
		CHECK_EQ(h->wp_lat[LAT_UNSHARE].sum, 7000);
		CHECK_EQ(h->wp_lat[LAT_THP].count, 2);      /* split + reuse */
		CHECK_EQ(h->wp_lat[LAT_THP].sum, 10000);
		CHECK_EQ(h->uffd_blocked[CT_UFFD_WP].count, 1);
		CHECK_EQ(h->uffd_blocked[CT_UFFD_WP].sum, 123456);
		CHECK_EQ(h->uffd_blocked[CT_UFFD_WP].slot[17], 1); /* 65536 <= 123456 < 131072 */
		CHECK_EQ(h->uffd_blocked[CT_UFFD_MISSING].count, 0);
	}
	agg_free(&a);
}

/* ------------------------------------------------------ aggregation: forks */

static void agg_fork_records_and_charging(void)
{
	struct ct_agg a;
	struct ct_proc *p10, *p11, *p12, *p13, *p15;
	const struct ct_fork *f;

	agg_init(&a, 4096);
	wp(&a, 1000, CT_WP_REUSE, 10, 1, 0, "parent");
	add(&a, 2000, CT_EV_PINNED, 0, 10, 1, 4, 11, "parent");
	add(&a, 2000, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 10, 1, 4, 11, "parent");
	CHECK_EQ(a.nforks, 1);
	CHECK_EQ(a.nprocs, 2);
	p10 = agg_find(&a, 10);
	p11 = agg_find(&a, 11);
	CHECK(p10 && p11, "parent or child missing after FORK");
	if (!p10 || !p11)
		goto out;
	CHECK_EQ(p10->forks, 1);
	CHECK_EQ(p10->last_fork, 0);
	CHECK(p10->birth_fork == -1, "birth_fork %d", p10->birth_fork);
	CHECK_EQ(p10->pinned_cow, 4);
	CHECK_EQ(p11->ppid, 10);
	CHECK_STR(p11->comm, "parent");
	CHECK_EQ(p11->birth_fork, 0);
	CHECK(p11->last_fork == -1, "last_fork %d", p11->last_fork);
	CHECK_EQ(p11->first_ns, 2000);
	CHECK_EQ(p11->forks, 0);
	CHECK_EQ(p11->pinned_cow, 0);
	f = &a.forks[0];
	CHECK_EQ(f->parent, 10);
	CHECK_EQ(f->child, 11);
	CHECK_EQ(f->ts_ns, 2000);
	CHECK_EQ(f->pinned_cow, 4);

	wp(&a, 2500, CT_WP_COPY_ANON, 11, 10, 0, "child");   /* fork0 child   +1, 500 ns */
	wp(&a, 3000, CT_WP_COPY_ANON, 10, 1, 0, "parent");   /* fork0 parent  +1, 1000 ns */
	wp(&a, 3100, CT_WP_REUSE, 11, 10, 0, "child");       /* not a copy */
	wp(&a, 3200, CT_WP_UNSHARE, 10, 1, 0, "parent");     /* not a copy kind */
	wp(&a, 3300, CT_WP_SHARED_REUSE, 11, 10, 0, "child"); /* not a copy */
	add(&a, 4000, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 10, 1, 0, 12, "parent");
	wp(&a, 3900, CT_WP_COPY_ANON, 12, 10, 0, "c12");     /* fork1 child +1, ts < fork: no sample */
	wp(&a, 4100, CT_WP_COPY_FILE, 10, 1, 0, "parent");   /* fork1 parent  +1, 100 ns */
	wp(&a, 4200, CT_WP_COPY_ZERO, 11, 10, 0, "child");   /* fork0 child   +1, 2200 ns */
	add(&a, 5000, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 11, 10, 0, 13, "child");
	wp(&a, 5300, CT_WP_COPY_KSM, 11, 10, 0, "child");    /* fork2 parent  +1, 300 ns */
	wp(&a, 5400, CT_WP_COPY_ANON, 13, 11, 0, "gchild");  /* fork2 child   +1, 400 ns */
	add(&a, 6000, CT_EV_FORK, CT_FORK_PARENT_TRACED, 10, 1, 0, 14, "parent");      /* fork3 */
	add(&a, 6000, CT_EV_FORK, CT_FORK_CHILD_TRACED, 99, 1, 0, 15, "child-only");  /* fork4 */
	wp(&a, 6500, CT_WP_COPY_ANON, 15, 99, 0, "child-only"); /* fork4 child +1, 500 ns */
	wp(&a, 6600, CT_WP_COPY_ANON, 10, 1, 0, "parent");   /* fork3 parent  +1, 600 ns */

	CHECK_EQ(a.events, 19);
	CHECK_EQ(a.nforks, 5);
	CHECK_EQ(a.nprocs, 5); /* 10 11 12 13 15; not 14 (untraced child), not 99 (untraced parent) */
	CHECK(agg_find(&a, 14) == NULL, "untraced child 14 got an entry");
	CHECK(agg_find(&a, 99) == NULL, "untraced parent 99 got an entry");
	p10 = agg_find(&a, 10);
	p11 = agg_find(&a, 11);
	p12 = agg_find(&a, 12);
	p13 = agg_find(&a, 13);
	p15 = agg_find(&a, 15);
	CHECK(p10 && p11 && p12 && p13 && p15, "an entry is missing");
	if (!p10 || !p11 || !p12 || !p13 || !p15)
		goto out;
	CHECK_EQ(a.forks[0].pinned_cow, 4);
	CHECK_EQ(a.forks[0].parent_copies, 1);  /* 3000 (4100 and 6600 belong to later forks) */
	CHECK_EQ(a.forks[0].child_copies, 2);   /* 2500, 4200 (5300 belongs to 11's own fork2) */
	CHECK_EQ(a.forks[1].parent, 10);
	CHECK_EQ(a.forks[1].child, 12);
	CHECK_EQ(a.forks[1].parent_copies, 1);  /* 4100 */
	CHECK_EQ(a.forks[1].child_copies, 1);   /* 3900 */
	CHECK_EQ(a.forks[2].parent, 11);
	CHECK_EQ(a.forks[2].child, 13);
	CHECK_EQ(a.forks[2].parent_copies, 1);  /* 5300 */
	CHECK_EQ(a.forks[2].child_copies, 1);   /* 5400 */
	CHECK_EQ(a.forks[3].parent, 10);
	CHECK_EQ(a.forks[3].child, 14);
	CHECK_EQ(a.forks[3].parent_copies, 1);  /* 6600 */
	CHECK_EQ(a.forks[3].child_copies, 0);
	CHECK_EQ(a.forks[4].parent, 99);
	CHECK_EQ(a.forks[4].child, 15);
	CHECK_EQ(a.forks[4].parent_copies, 0);
	CHECK_EQ(a.forks[4].child_copies, 1);   /* 6500 */
	CHECK_EQ(p10->forks, 3);
	CHECK_EQ(p10->last_fork, 3);
	CHECK_EQ(p11->forks, 1);
	CHECK_EQ(p11->birth_fork, 0);
	CHECK_EQ(p11->last_fork, 2);
	CHECK_EQ(p12->birth_fork, 1);
	CHECK_EQ(p13->birth_fork, 2);
	CHECK_EQ(p13->ppid, 11);
	CHECK_EQ(p15->birth_fork, 4);
	CHECK_EQ(p15->ppid, 99);
	CHECK_STR(p15->comm, "child-only");
	/* fork_to_copy samples (ns after the fork the copy was charged to) */
	CHECK(p10->h && p11->h && p13->h && p15->h, "fork_to_copy histograms missing");
	if (p10->h) {
		CHECK_EQ(p10->h->fork_to_copy.count, 3);   /* 1000, 100, 600 */
		CHECK_EQ(p10->h->fork_to_copy.sum, 1700);
		CHECK_EQ(p10->h->fork_to_copy.slot[10], 2); /* 1000 and 600 in [512,1024) */
		CHECK_EQ(p10->h->fork_to_copy.slot[7], 1);  /* 100 in [64,128) */
	}
	if (p11->h) {
		CHECK_EQ(p11->h->fork_to_copy.count, 3);   /* 500, 2200, 300 */
		CHECK_EQ(p11->h->fork_to_copy.sum, 3000);
	}
	CHECK(p12->h == NULL || p12->h->fork_to_copy.count == 0,
	      "a copy timestamped before its fork got a fork_to_copy sample");
	if (p13->h) {
		CHECK_EQ(p13->h->fork_to_copy.count, 1);
		CHECK_EQ(p13->h->fork_to_copy.sum, 400);
	}
	if (p15->h) {
		CHECK_EQ(p15->h->fork_to_copy.count, 1);
		CHECK_EQ(p15->h->fork_to_copy.sum, 500);
	}
out:
	agg_free(&a);
}

/* --------------------------------------------------- aggregation: lifetime */

static void agg_exit_then_pid_reuse(void)
{
	struct ct_agg a;
	struct ct_proc *p;

	agg_init(&a, 4096);
	wp(&a, 100, CT_WP_COPY_ANON, 300, 1, 0, "old");
	wp(&a, 200, CT_WP_COPY_ANON, 300, 1, 0, "old");
	wp(&a, 300, CT_WP_REUSE, 300, 1, 0, "old");
	add(&a, 400, CT_EV_EXIT, 0, 300, 1, 0, 0, "old");
	CHECK(agg_find(&a, 300) == NULL, "exited pid still found");
	CHECK(a.procs[0].exited, "EXIT did not mark the entry exited");
	CHECK_EQ(a.procs[0].last_ns, 400);

	wp(&a, 500, CT_WP_COPY_ZERO, 300, 2, 0, "new");
	CHECK_EQ(a.nprocs, 2);
	p = agg_find(&a, 300);
	CHECK(p == &a.procs[1], "reused pid does not map to a new entry (index %d)",
	      proc_index(&a, p));
	if (p) {
		CHECK_EQ(p->wp[CT_WP_COPY_ZERO], 1);
		CHECK_EQ(p->wp[CT_WP_COPY_ANON], 0);
		CHECK_EQ(p->wp[CT_WP_REUSE], 0);
		CHECK_EQ(p->first_ns, 500);
		CHECK_EQ(p->ppid, 2);
		CHECK(!p->exited, "new entry marked exited");
		CHECK_STR(p->comm, "new");
	}
	/* the old process keeps its own numbers */
	CHECK_EQ(a.procs[0].wp[CT_WP_COPY_ANON], 2);
	CHECK_EQ(a.procs[0].wp[CT_WP_REUSE], 1);
	CHECK_EQ(a.procs[0].wp[CT_WP_COPY_ZERO], 0);
	CHECK_STR(a.procs[0].comm, "old");
	CHECK(a.procs[0].exited, "old entry lost its exited mark");

	/* EXIT of a pid never seen: counted, changes nothing else */
	CHECK(add(&a, 600, CT_EV_EXIT, 0, 777, 1, 0, 0, "x") == 0, "EXIT of unknown pid rejected");
	CHECK_EQ(a.nprocs, 2);
	CHECK_EQ(a.events, 6);

	/* reuse through a FORK after an EXIT */
	add(&a, 700, CT_EV_EXIT, 0, 300, 2, 0, 0, "new");
	CHECK(a.procs[1].exited, "second EXIT did not mark the new entry");
	add(&a, 800, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 5, 1, 0, 300, "forker");
	p = agg_find(&a, 300);
	CHECK_EQ(a.nprocs, 4); /* old 300, new 300, 5, third 300 */
	CHECK(p && proc_index(&a, p) == 3, "forked child with reused pid is not a new entry (%d)",
	      proc_index(&a, p));
	if (p) {
		CHECK_EQ(p->birth_fork, 0);
		CHECK_EQ(p->ppid, 5);
		CHECK_EQ(p->wp[CT_WP_COPY_ZERO], 0);
	}
	CHECK_EQ(a.procs[1].wp[CT_WP_COPY_ZERO], 1);
	agg_free(&a);
}

static void agg_fork_child_pid_seen_before(void)
{
	struct ct_agg a;
	struct ct_proc *p;

	agg_init(&a, 4096);
	wp(&a, 100, CT_WP_COPY_ANON, 400, 1, 0, "stale");
	wp(&a, 150, CT_WP_REUSE, 400, 1, 0, "stale");
	/* No EXIT for 400 (e.g. lost): a FORK creating child 400 means a new process. */
	add(&a, 200, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 1, 0, 0, 400, "init");
	CHECK_EQ(a.nprocs, 3); /* stale 400, 1, new 400 */
	p = agg_find(&a, 400);
	CHECK(p && proc_index(&a, p) == 2, "child 400 did not get a fresh entry (%d)",
	      proc_index(&a, p));
	if (p) {
		CHECK_EQ(p->wp[CT_WP_COPY_ANON], 0);
		CHECK_EQ(p->wp[CT_WP_REUSE], 0);
		CHECK_EQ(p->birth_fork, 0);
		CHECK_EQ(p->ppid, 1);
		CHECK_EQ(p->first_ns, 200);
	}
	CHECK_EQ(a.procs[0].wp[CT_WP_COPY_ANON], 1);
	CHECK_EQ(a.procs[0].wp[CT_WP_REUSE], 1);
	wp(&a, 300, CT_WP_COPY_FILE, 400, 1, 0, "init");
	CHECK_EQ(a.procs[2].wp[CT_WP_COPY_FILE], 1);
	CHECK_EQ(a.procs[0].wp[CT_WP_COPY_FILE], 0);
	CHECK_EQ(a.forks[0].child_copies, 1);
	agg_free(&a);
}

/*
 * The stale entry's process is gone for sure (its pid was handed to a new
 * child), so it must not be reported as a live process next to the new one.
 */
static void agg_fork_reused_pid_marks_old_exited(void)
{
	struct ct_agg a;

	agg_init(&a, 4096);
	wp(&a, 100, CT_WP_COPY_ANON, 400, 1, 0, "stale");
	add(&a, 200, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 1, 0, 0, 400, "init");
	CHECK_EQ(a.nprocs, 3);
	CHECK(a.procs[0].exited, "stale entry for pid 400 is not marked exited after its pid "
	      "was reused by a FORK (two live rows for pid 400)");
	CHECK(!a.procs[2].exited, "new entry marked exited");
	agg_free(&a);
}

static void agg_bad_type_changes_nothing(void)
{
	struct ct_agg a;
	struct ct_proc snap;
	static const unsigned bad_types[] = { 0, CT_EV_TYPE_MAX, CT_EV_TYPE_MAX + 1, 0xffff };

	agg_init(&a, 4096);
	wp(&a, 1000, CT_WP_REUSE, 50, 1, 0, "good");
	snap = a.procs[0];
	for (unsigned i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		CHECK(add(&a, 5, bad_types[i], 0, 50, 9, 1, 0, "bad") == -1,
		      "type %u accepted", bad_types[i]);
		CHECK(add(&a, 99999, bad_types[i], 0, 51, 9, 1, 0, "bad") == -1,
		      "type %u accepted", bad_types[i]);
	}
	CHECK_EQ(a.bad_events, 8);
	CHECK_EQ(a.events, 1);
	CHECK_EQ(a.nprocs, 1);
	CHECK_EQ(a.nforks, 0);
	CHECK_EQ(a.first_ns, 1000);
	CHECK_EQ(a.last_ns, 1000);
	CHECK(agg_find(&a, 51) == NULL, "bad event created pid 51");
	CHECK(!memcmp(&snap, &a.procs[0], sizeof(snap)), "bad event modified pid 50's entry");
	agg_free(&a);
}

static void agg_bad_kind_changes_nothing(void)
{
	struct ct_agg a;
	struct ct_proc snap;
	static const struct { unsigned type, kind; } bad[] = {
		{ CT_EV_WP, CT_WP_KIND_MAX }, { CT_EV_WP, 0xffff },
		{ CT_EV_THP, CT_THP_KIND_MAX }, { CT_EV_UFFD, CT_UFFD_KIND_MAX },
	};

	agg_init(&a, 4096);
	wp(&a, 1000, CT_WP_REUSE, 50, 1, 0, "good");
	snap = a.procs[0];
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(add(&a, 5, bad[i].type, bad[i].kind, 50, 9, 1, 0, "bad") == -1,
		      "type %u kind %u accepted", bad[i].type, bad[i].kind);
		CHECK(add(&a, 99999, bad[i].type, bad[i].kind, 51, 9, 1, 0, "bad") == -1,
		      "type %u kind %u accepted", bad[i].type, bad[i].kind);
	}
	CHECK_EQ(a.bad_events, 8);
	CHECK_EQ(a.events, 1);
	CHECK_EQ(a.nprocs, 1);
	CHECK(agg_find(&a, 51) == NULL, "event with a bad kind created an entry for pid 51");
	CHECK(!memcmp(&snap, &a.procs[0], sizeof(snap)),
	      "event with a bad kind modified pid 50 (comm now \"%s\", ppid %u, last_ns %llu)",
	      a.procs[0].comm, a.procs[0].ppid, (unsigned long long)a.procs[0].last_ns);
	CHECK_EQ(a.first_ns, 1000);
	CHECK_EQ(a.last_ns, 1000);
	agg_free(&a);
}

static void agg_comm_and_ppid_follow_latest(void)
{
	struct ct_agg a;
	struct ct_proc *p;

	agg_init(&a, 4096);
	wp(&a, 1, CT_WP_REUSE, 60, 1, 0, "sh");
	wp(&a, 2, CT_WP_REUSE, 60, 1, 0, "python3");
	p = agg_find(&a, 60);
	CHECK(p != NULL, "pid 60 missing");
	if (p)
		CHECK_STR(p->comm, "python3");
	wp(&a, 3, CT_WP_REUSE, 60, 0, 0, "abcdefghijklmnop"); /* 16 bytes, no NUL */
	p = agg_find(&a, 60);
	if (p) {
		CHECK_STR(p->comm, "abcdefghijklmno");
		CHECK_EQ(p->ppid, 1);  /* ppid 0 does not overwrite */
		CHECK_EQ(p->last_ns, 3);
	}
	wp(&a, 4, CT_WP_REUSE, 60, 77, 0, "python3"); /* reparented */
	p = agg_find(&a, 60);
	if (p) {
		CHECK_EQ(p->ppid, 77);
		CHECK_STR(p->comm, "python3");
	}
	/* a new entry from a 16-byte comm is terminated too */
	wp(&a, 5, CT_WP_REUSE, 61, 1, 0, "ABCDEFGHIJKLMNOP");
	p = agg_find(&a, 61);
	if (p)
		CHECK_STR(p->comm, "ABCDEFGHIJKLMNO");
	/* out-of-order timestamps never move last_ns back */
	wp(&a, 2, CT_WP_REUSE, 60, 77, 0, "python3");
	p = agg_find(&a, 60);
	if (p) {
		CHECK_EQ(p->last_ns, 4);
		CHECK_EQ(p->first_ns, 1);
	}
	agg_free(&a);
}

/* ------------------------------------------ aggregation: the pid index */

static uint32_t lcg_state = 12345;

static uint32_t lcg(void)
{
	lcg_state = lcg_state * 1103515245u + 12345u;
	return lcg_state >> 8;
}

/* Model: for every pid, the procs[] index of its live entry, or -1. */
static int check_model(const struct ct_agg *a, const int32_t *model, uint32_t npids)
{
	int bad = 0;
	uint32_t live = 0;

	for (uint32_t pid = 1; pid < npids; pid++) {
		struct ct_proc *p = agg_find(a, pid);

		if (model[pid] >= 0)
			live++;
		if (model[pid] < 0 && p) {
			if (bad++ < 3)
				CHECK(0, "pid %u exited/unseen but found (index %d)", pid,
				      proc_index(a, p));
		} else if (model[pid] >= 0 && p != &a->procs[model[pid]]) {
			if (bad++ < 3)
				CHECK(0, "pid %u: found index %d, expected %d", pid, proc_index(a, p),
				      model[pid]);
		}
	}
	CHECK(a->index_used == live, "index_used %u, live %u", a->index_used, live);
	return bad;
}

static void agg_many_pids_with_exits(void)
{
	enum { N = 100000 };
	struct ct_agg a;
	int32_t *model = malloc((N + 200) * sizeof(*model));
	uint32_t bad = 0;

	if (!model) {
		CHECK(0, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < N + 200; i++)
		model[i] = -1;
	agg_init(&a, 4096);
	/* 100000 distinct pids; exits interleaved (earlier pids, and some at once) */
	for (uint32_t pid = 1; pid <= N; pid++) {
		wp(&a, pid, CT_WP_COPY_ANON, pid, 1, 0, "many");
		model[pid] = (int32_t)(a.nprocs - 1);
		if (pid % 4 == 0) {
			add(&a, pid, CT_EV_EXIT, 0, pid / 2, 1, 0, 0, "many");
			model[pid / 2] = -1;
		}
		if (pid % 7 == 0) {
			add(&a, pid, CT_EV_EXIT, 0, pid, 1, 0, 0, "many");
			model[pid] = -1;
		}
	}
	CHECK_EQ(a.nprocs, N);
	bad += check_model(&a, model, N + 200);
	/* every live pid finds its own entry with the right numbers */
	for (uint32_t pid = 1; pid <= N && bad < 3; pid++) {
		struct ct_proc *p = agg_find(&a, pid);

		if (model[pid] >= 0 && p && (p->pid != pid || p->wp[CT_WP_COPY_ANON] != 1 || p->exited)) {
			CHECK(0, "pid %u entry corrupt", pid);
			bad++;
		}
	}
	/* reuse a fifth of the exited pids, then exit live pids in a random order */
	for (uint32_t pid = 5; pid <= N; pid += 5) {
		if (model[pid] >= 0)
			continue;
		wp(&a, N + pid, CT_WP_COPY_ZERO, pid, 1, 0, "again");
		model[pid] = (int32_t)(a.nprocs - 1);
	}
	bad += check_model(&a, model, N + 200);
	for (int i = 0; i < 60000; i++) {
		uint32_t pid = 1 + lcg() % N;

		add(&a, 3 * N + i, CT_EV_EXIT, 0, pid, 1, 0, 0, "x");
		model[pid] = -1;
	}
	bad += check_model(&a, model, N + 200);
	for (uint32_t pid = 1; pid <= N; pid++)
		if (model[pid] >= 0 && a.procs[model[pid]].exited && bad++ < 3)
			CHECK(0, "live pid %u marked exited", pid);
	agg_free(&a);
	free(model);
}

/* Random adds and exits in a small pid range: many deletions inside clusters. */
static void agg_index_random_small_range(void)
{
	enum { NP = 3000 };
	struct ct_agg a;
	int32_t model[NP];
	int bad = 0;

	lcg_state = 777;
	for (int i = 0; i < NP; i++)
		model[i] = -1;
	agg_init(&a, 4096);
	for (int op = 0; op < 200000 && bad < 3; op++) {
		uint32_t pid = 1 + lcg() % (NP - 1);

		if (lcg() % 3 == 0) {
			add(&a, op, CT_EV_EXIT, 0, pid, 1, 0, 0, "r");
			model[pid] = -1;
		} else {
			wp(&a, op, CT_WP_REUSE, pid, 1, 0, "r");
			if (model[pid] < 0)
				model[pid] = (int32_t)(a.nprocs - 1);
		}
		if (op % 2000 == 0)
			bad += check_model(&a, model, NP);
	}
	bad += check_model(&a, model, NP);
	agg_free(&a);
}

/*
 * Pids whose home slot is at the end of the initial 1024-slot table, so their
 * probe sequences wrap to slot 0; delete them in several orders.  (The hash
 * is replicated from agg.c only to choose the pids; the checks hold for any
 * hash.)
 */
static void agg_index_wraparound_cluster(void)
{
	uint32_t pids[16];
	int n = 0;
	static const int orders[4][16] = {
		{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
		{ 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 },
		{ 3, 0, 12, 7, 15, 1, 9, 4, 14, 2, 11, 6, 13, 5, 8, 10 },
		{ 8, 9, 10, 11, 0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7 },
	};

	for (uint32_t pid = 1; n < 16 && pid < 10000000; pid++) {
		uint32_t home = (pid * 2654435761u) & 1023;

		if ((n < 12 && home >= 1021) || (n >= 12 && home <= 1))
			pids[n++] = pid;
	}
	CHECK(n == 16, "could not pick colliding pids");
	for (int o = 0; o < 4 && n == 16; o++) {
		struct ct_agg a;
		int32_t model[16];

		agg_init(&a, 4096);
		for (int i = 0; i < 16; i++) {
			wp(&a, 1, CT_WP_REUSE, pids[i], 1, 0, "w");
			model[i] = i;
		}
		CHECK_EQ(a.index_cap, 1024);
		for (int k = 0; k < 16; k++) {
			int victim = orders[o][k];

			add(&a, 2, CT_EV_EXIT, 0, pids[victim], 1, 0, 0, "w");
			model[victim] = -1;
			for (int i = 0; i < 16; i++) {
				struct ct_proc *p = agg_find(&a, pids[i]);

				if (model[i] < 0)
					CHECK(p == NULL, "order %d step %d: exited pid %u found", o, k, pids[i]);
				else
					CHECK(p == &a.procs[model[i]], "order %d step %d: pid %u -> %d, expected %d",
					      o, k, pids[i], proc_index(&a, p), model[i]);
			}
			/* re-add one of the exited ones every other step */
			if (k % 2 == 1) {
				int back = orders[o][k - 1];

				wp(&a, 3, CT_WP_REUSE, pids[back], 1, 0, "w");
				model[back] = (int32_t)(a.nprocs - 1);
			}
		}
		agg_free(&a);
	}
}

/* ----------------------------------------------------- aggregation: sort */

static void agg_sorted_order(void)
{
	struct ct_agg a;
	uint32_t *o;
	static const uint32_t want_pid[] = { 4, 9, 3, 5, 5, 1 };
	static const uint64_t want_first[] = { 40, 90, 30, 50, 70, 10 };

	agg_init(&a, 4096);
	/* F pid 1: unshare 10 -> copies+pinned 0 */
	for (int i = 0; i < 10; i++)
		wp(&a, 10, CT_WP_UNSHARE, 1, 1, 0, "F");
	/* B pid 3: pinned 2, reuse 0 -> 2 */
	add(&a, 30, CT_EV_PINNED, 0, 3, 1, 2, 33, "B");
	/* D pid 4: copies 3 -> 3 */
	for (int i = 0; i < 3; i++)
		wp(&a, 40, CT_WP_COPY_FILE, 4, 1, 0, "D");
	/* A pid 5: copies 2, reuse 0 -> 2; exits */
	wp(&a, 50, CT_WP_COPY_ANON, 5, 1, 0, "A");
	wp(&a, 51, CT_WP_COPY_ZERO, 5, 1, 0, "A");
	add(&a, 60, CT_EV_EXIT, 0, 5, 1, 0, 0, "A");
	/* E pid 5 again: copies 2, reuse 0 -> 2, later first_ns */
	wp(&a, 70, CT_WP_COPY_KSM, 5, 1, 0, "E");
	wp(&a, 71, CT_WP_COPY_KSM, 5, 1, 0, "E");
	/* C pid 9: copy 1 + pinned 1 = 2, reuse 5 */
	wp(&a, 90, CT_WP_COPY_ANON, 9, 1, 0, "C");
	add(&a, 91, CT_EV_PINNED, 0, 9, 1, 1, 99, "C");
	for (int i = 0; i < 5; i++)
		wp(&a, 92, CT_WP_REUSE, 9, 1, 0, "C");
	/* order: D(3) C(2, reuse 5) B(2, pid 3) A(2, pid 5, first 50) E(2, pid 5, first 70) F(0) */
	o = agg_sorted(&a);
	CHECK(o != NULL, "agg_sorted failed");
	CHECK_EQ(a.nprocs, 6);
	for (unsigned i = 0; o && i < 6 && i < a.nprocs; i++) {
		CHECK(a.procs[o[i]].pid == want_pid[i] && a.procs[o[i]].first_ns == want_first[i],
		      "rank %u: pid %u first_ns %llu, expected pid %u first_ns %llu", i,
		      a.procs[o[i]].pid, (unsigned long long)a.procs[o[i]].first_ns, want_pid[i],
		      (unsigned long long)want_first[i]);
	}
	free(o);
	agg_free(&a);
	/* empty aggregation */
	agg_init(&a, 4096);
	o = agg_sorted(&a);
	CHECK(o != NULL, "agg_sorted of nothing returned NULL");
	free(o);
	agg_free(&a);
}

/* ------------------------------------------------------------ histograms */

static void hist_slot_boundaries(void)
{
	CHECK_EQ(hist_slot(0), 0);
	CHECK_EQ(hist_slot(1), 1);
	CHECK_EQ(hist_slot(2), 2);
	CHECK_EQ(hist_slot(3), 2);
	CHECK_EQ(hist_slot(4), 3);
	CHECK_EQ(hist_slot(7), 3);
	CHECK_EQ(hist_slot(8), 4);
	CHECK_EQ(hist_slot(1023), 10);
	CHECK_EQ(hist_slot(1024), 11);
	CHECK_EQ(hist_slot((1ULL << 38) - 1), 38);
	CHECK_EQ(hist_slot(1ULL << 38), HIST_SLOTS - 1);
	CHECK_EQ(hist_slot(1ULL << 39), HIST_SLOTS - 1);
	CHECK_EQ(hist_slot(1ULL << 63), HIST_SLOTS - 1);
	CHECK_EQ(hist_slot(UINT64_MAX), HIST_SLOTS - 1);
	CHECK_EQ(hist_upper(0), 0);
	CHECK_EQ(hist_upper(1), 1);
	CHECK_EQ(hist_upper(2), 3);
	CHECK_EQ(hist_upper(3), 7);
	CHECK_EQ(hist_upper(10), 1023);
	CHECK_EQ(hist_upper(11), 2047);
	/* hist.h: every v with hist_slot(v) == i has v <= hist_upper(i), and slots are contiguous */
	for (unsigned i = 1; i < HIST_SLOTS - 1; i++) {
		CHECK(hist_slot(hist_upper(i)) == i, "hist_slot(hist_upper(%u)) = %u", i,
		      hist_slot(hist_upper(i)));
		CHECK(hist_slot(hist_upper(i) + 1) == i + 1, "hist_slot(hist_upper(%u) + 1) = %u", i,
		      hist_slot(hist_upper(i) + 1));
	}
}

/* The last slot is open ("last is open"): its upper bound must cover every value. */
static void hist_upper_last_slot_open(void)
{
	static const uint64_t vals[] = { 1ULL << 38, 1ULL << 39, 1ULL << 50, UINT64_MAX };

	for (unsigned i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		CHECK(vals[i] <= hist_upper(hist_slot(vals[i])),
		      "value %llu lands in slot %u whose hist_upper is %llu (hist.h contract)",
		      (unsigned long long)vals[i], hist_slot(vals[i]),
		      (unsigned long long)hist_upper(hist_slot(vals[i])));
}

static void hist_count_sum_merge(void)
{
	struct ct_hist h = { 0 }, g = { 0 };

	hist_add(&h, 0);
	hist_add(&h, 1);
	hist_add(&h, 3);
	hist_add(&h, 1024);
	CHECK_EQ(h.count, 4);
	CHECK_EQ(h.sum, 1028);
	CHECK_EQ(h.slot[0], 1);
	CHECK_EQ(h.slot[1], 1);
	CHECK_EQ(h.slot[2], 1);
	CHECK_EQ(h.slot[11], 1);
	hist_add(&g, 2);
	hist_add(&g, 1ULL << 45);
	hist_merge(&h, &g);
	CHECK_EQ(h.count, 6);
	CHECK_EQ(h.sum, 1028 + 2 + (1ULL << 45));
	CHECK_EQ(h.slot[2], 2);
	CHECK_EQ(h.slot[HIST_SLOTS - 1], 1);
	CHECK_EQ(g.count, 2); /* source untouched */
	hist_merge(&h, &(struct ct_hist){ 0 });
	CHECK_EQ(h.count, 6);
}

static char *print_hist(const struct ct_hist *h, const char *unit, unsigned div)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	hist_print(f, h, unit, div);
	fclose(f);
	return buf;
}

static void hist_print_nsecs(void)
{
	struct ct_hist h = { 0 };
	char *s;
	const char *want =
		"          nsecs          : count    distribution\n"
		"         1 -> 1          : 1        |********************                    |\n"
		"         2 -> 3          : 2        |****************************************|\n"
		"         4 -> 7          : 0        |                                        |\n"
		"         8 -> 15         : 1        |********************                    |\n";

	s = print_hist(&h, "nsecs", 1);
	CHECK(s && s[0] == 0, "empty histogram printed \"%s\"", s ? s : "(null)");
	free(s);
	hist_add(&h, 1);
	hist_add(&h, 2);
	hist_add(&h, 3);
	hist_add(&h, 9);
	s = print_hist(&h, "nsecs", 1);
	CHECK(s && !strcmp(s, want), "got:\n%s", s ? s : "(null)");
	free(s);
	/* the open last slot prints "inf" */
	memset(&h, 0, sizeof(h));
	hist_add(&h, UINT64_MAX);
	s = print_hist(&h, "nsecs", 1);
	CHECK(s && strstr(s, "274877906944 -> inf        : 1        |****************************************|\n"),
	      "got:\n%s", s ? s : "(null)");
	free(s);
}

/*
 * Rebinning ns slots into usecs: 300 us, 600 us and 1200 us must land in
 * 256->511, 512->1023 and 1024->2047.  (Each ns slot [2^(i-1), 2^i) spans
 * [1.024 * 2^(i-11), 1.024 * 2^(i-10)) us, i.e. ~98% of it lies in us slot
 * i-10; the slot's lower bound / 1000 picks that one, the upper bound / 1000
 * picks i-9 -- one slot too high for nearly every value.)
 */
static void hist_print_usecs_rebin(void)
{
	struct ct_hist h = { 0 };
	char *s;
	const char *want =
		"          usecs          : count    distribution\n"
		"       256 -> 511        : 1        |****************************************|\n"
		"       512 -> 1023       : 1        |****************************************|\n"
		"      1024 -> 2047       : 1        |****************************************|\n";

	hist_add(&h, 300000);
	hist_add(&h, 600000);
	hist_add(&h, 1200000);
	s = print_hist(&h, "usecs", 1000);
	CHECK(s && !strcmp(s, want), "300/600/1200 us printed as:\n%s", s ? s : "(null)");
	free(s);
	/* 20 us and 3 us */
	memset(&h, 0, sizeof(h));
	hist_add(&h, 3000);
	hist_add(&h, 20000);
	s = print_hist(&h, "usecs", 1000);
	CHECK(s && strstr(s, "         2 -> 3          : 1 ") &&
	      strstr(s, "        16 -> 31         : 1 "), "3 us / 20 us printed as:\n%s",
	      s ? s : "(null)");
	free(s);
}

/* ------------------------------------------------------------------ plan */

static void plan_names_and_set(void)
{
	struct ct_plan pl;
	char longr[400];

	for (int s = 0; s < ST_MAX; s++) {
		const char *n = ct_stat_name(s);

		CHECK(n && *n && strcmp(n, "?"), "stat %d has no name", s);
		CHECK(ct_stat_from_name(n) == s, "ct_stat_from_name(%s) = %d, expected %d", n,
		      ct_stat_from_name(n), s);
		for (int t = 0; t < s; t++)
			CHECK(strcmp(n, ct_stat_name(t)), "stats %d and %d share the name %s", s, t, n);
	}
	CHECK_STR(ct_stat_name(ST_MAX), "?");
	CHECK(ct_stat_from_name("nope") == -1, "unknown name resolved");
	CHECK_STR(ct_mode_name(MODE_FENTRY), "fentry");
	CHECK_STR(ct_mode_name(MODE_KPROBE), "kprobe");
	CHECK_STR(ct_mode_name(MODE_TRACEPOINT), "tracepoint");
	CHECK_STR(ct_mode_name(MODE_NONE), "none");
	CHECK_STR(ct_quality_name(Q_EXACT), "exact");
	CHECK_STR(ct_quality_name(Q_DERIVED), "derived");
	CHECK_STR(ct_quality_name(Q_UNAVAILABLE), "unavailable");
	memset(&pl, 0, sizeof(pl));
	plan_set(&pl, ST_COPY, NULL, MODE_KPROBE, Q_EXACT, NULL);
	CHECK_STR(pl.st[ST_COPY].hook, "-");
	CHECK_STR(pl.st[ST_COPY].reason, "");
	CHECK_EQ(pl.st[ST_COPY].mode, MODE_KPROBE);
	CHECK(plan_available(&pl, ST_COPY), "exact not available");
	plan_set(&pl, ST_COPY, "do_wp_page", MODE_KPROBE, Q_UNAVAILABLE, "gone");
	CHECK_EQ(pl.st[ST_COPY].mode, MODE_NONE); /* unavailable has no mode */
	CHECK(!plan_available(&pl, ST_COPY), "unavailable is available");
	plan_set(&pl, ST_REUSE, "x", MODE_TRACEPOINT, Q_DERIVED, "y");
	CHECK(plan_available(&pl, ST_REUSE), "derived not available");
	memset(longr, 'r', sizeof(longr) - 1);
	longr[sizeof(longr) - 1] = 0;
	plan_set(&pl, ST_REUSE, longr, MODE_TRACEPOINT, Q_DERIVED, longr);
	CHECK_EQ(strlen(pl.st[ST_REUSE].hook), sizeof(pl.st[ST_REUSE].hook) - 1);
	CHECK_EQ(strlen(pl.st[ST_REUSE].reason), sizeof(pl.st[ST_REUSE].reason) - 1);
}

/* ------------------------------------------------------------ GFP values */

/*
 * GFP_HIGHUSER_MOVABLE as cowtrace needs it = __GFP_DIRECT_RECLAIM |
 * __GFP_KSWAPD_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL | __GFP_HIGHMEM
 * | __GFP_MOVABLE.
 *
 * mm_page_alloc.format.6.18 (this machine, 6.18 kernel), read by hand:
 *   "__GFP_DIRECT_RECLAIM"  (1UL) << (10) = 0x400
 *   "__GFP_KSWAPD_RECLAIM"  (1UL) << (11) = 0x800
 *   "__GFP_IO"              (1UL) << (6)  = 0x40
 *   "__GFP_FS"              (1UL) << (7)  = 0x80
 *   "__GFP_HARDWALL"        (1UL) << (20) = 0x100000
 *   "__GFP_HIGHMEM"         (1UL) << (1)  = 0x2
 *   "__GFP_MOVABLE"         (1UL) << (3)  = 0x8
 *   sum: 0x400 + 0x800 = 0xc00; + 0x40 + 0x80 = 0xcc0; + 0x100000 = 0x100cc0;
 *        + 0x2 + 0x8 = 0x100cca
 *   "__GFP_ZERO"            (1UL) << (8)  = 0x100
 *
 * mm_page_alloc.format.5.10 (hand-built in the v5.10 style: ___GFP_* hex
 * literals from v5.10 include/linux/gfp.h, table order of v5.10
 * include/trace/events/mmflags.h):
 *   0x400u | 0x800u | 0x40u | 0x80u | 0x100000u | 0x02u | 0x08u = 0x100cca
 *   "__GFP_ZERO" 0x100u = 0x100
 */
#define GFP_UM_6_18 0x100ccaULL
#define GFP_ZERO_6_18 0x100ULL
#define GFP_UM_5_10 0x100ccaULL
#define GFP_ZERO_5_10 0x100ULL

static void gfp_format_6_18(void)
{
	char *t = fixture("mm_page_alloc.format.6.18");
	struct gfp_bits g = { 1, 1 };

	CHECK(t != NULL, "fixture mm_page_alloc.format.6.18 missing in %s", fixtures_dir);
	if (!t)
		return;
	CHECK(gfp_bits_from_format(t, &g) == 0, "parse failed");
	CHECK(g.user_movable == GFP_UM_6_18, "user_movable 0x%llx, expected 0x%llx",
	      (unsigned long long)g.user_movable, GFP_UM_6_18);
	CHECK(g.zero == GFP_ZERO_6_18, "zero 0x%llx, expected 0x%llx", (unsigned long long)g.zero,
	      GFP_ZERO_6_18);
	free(t);
}

static void gfp_format_5_10_hex(void)
{
	char *t = fixture("mm_page_alloc.format.5.10");
	struct gfp_bits g = { 1, 1 };

	CHECK(t != NULL, "fixture mm_page_alloc.format.5.10 missing in %s", fixtures_dir);
	if (!t)
		return;
	CHECK(strstr(t, "{(unsigned long)(( gfp_t)0x100u), \"__GFP_ZERO\"}") != NULL,
	      "fixture is not in the hex-literal style");
	CHECK(gfp_bits_from_format(t, &g) == 0, "parse failed");
	CHECK(g.user_movable == GFP_UM_5_10, "user_movable 0x%llx, expected 0x%llx",
	      (unsigned long long)g.user_movable, GFP_UM_5_10);
	CHECK(g.zero == GFP_ZERO_5_10, "zero 0x%llx, expected 0x%llx", (unsigned long long)g.zero,
	      GFP_ZERO_5_10);
	free(t);
}

/*
 * Values unlike any real kernel's, so a parser that hardcodes the usual bits
 * fails; composite entries naming the flags (GFP_HIGHUSER_MOVABLE) and a
 * longer name sharing a prefix (__GFP_ZEROTAGS, __GFP_IOX) come first.
 *   shift style: HIGHMEM 1<<4, MOVABLE 1<<5, IO 1<<12, FS 1<<13,
 *   DIRECT 1<<30, KSWAPD 1<<31, HARDWALL 1<<40
 *   = 0x10 + 0x20 + 0x1000 + 0x2000 + 0x40000000 + 0x80000000 + 0x10000000000
 *   = 0x100c0003030;  ZERO 1<<33 = 0x200000000
 *   hex style: HIGHMEM 0x1, MOVABLE 0x4, IO 0x10, FS 0x20, DIRECT 0x1000,
 *   KSWAPD 0x2000, HARDWALL 0x40000 = 0x43035;  ZERO 0x8000
 */
static void gfp_format_synthetic(void)
{
	const char *shift =
		"print fmt: \"gfp_flags=%s\", (REC->gfp_flags) ? __print_flags(REC->gfp_flags, \"|\", "
		"{( unsigned long)((( gfp_t)((((1UL))) << (4))) | (( gfp_t)((((1UL))) << (5)))), \"GFP_HIGHUSER_MOVABLE\"}, "
		"{( unsigned long)(( gfp_t)((((1UL))) << (34))), \"__GFP_ZEROTAGS\"}, "
		"{( unsigned long)(( gfp_t)((((1UL))) << (35))), \"__GFP_IOX\"}, "
		"{( unsigned long)(( gfp_t)((((1UL))) << (4))), \"__GFP_HIGHMEM\"}, "
		"{( unsigned long)(( gfp_t)((((1UL))) << (5))), \"__GFP_MOVABLE\"}, "
		"{( unsigned long)(( gfp_t)((((1UL))) << (12))), \"__GFP_IO\"}, "
		"{( unsigned long)(( gfp_t)((((1UL))) << (13))), \"__GFP_FS\"}, "
		"{( unsigned long)(( gfp_t)((((1UL))) << (33))), \"__GFP_ZERO\"}, "
		"{( unsigned long)(( gfp_t)((((1UL))) << (30))), \"__GFP_DIRECT_RECLAIM\"}, "
		"{( unsigned long)(( gfp_t)((((1UL))) << (31))), \"__GFP_KSWAPD_RECLAIM\"}, "
		"{( unsigned long)(( gfp_t)((((1UL))) << (40))), \"__GFP_HARDWALL\"}, "
		"{ 0, ((void *)0) } ) : \"none\"\n";
	const char *hex =
		"print fmt: \"gfp_flags=%s\", (REC->gfp_flags) ? __print_flags(REC->gfp_flags, \"|\", "
		"{(unsigned long)((( gfp_t)0x1u) | (( gfp_t)0x4u)), \"GFP_HIGHUSER_MOVABLE\"}, "
		"{(unsigned long)(( gfp_t)0x800000u), \"__GFP_ZEROTAGS\"}, "
		"{(unsigned long)(( gfp_t)0x1u), \"__GFP_HIGHMEM\"}, {(unsigned long)(( gfp_t)0x4u), \"__GFP_MOVABLE\"}, "
		"{(unsigned long)(( gfp_t)0x10u), \"__GFP_IO\"}, {(unsigned long)(( gfp_t)0x20u), \"__GFP_FS\"}, "
		"{(unsigned long)(( gfp_t)0x8000u), \"__GFP_ZERO\"}, "
		"{(unsigned long)(( gfp_t)(0x1000u|0x2000u)), \"__GFP_RECLAIM\"}, "
		"{(unsigned long)(( gfp_t)0x1000u), \"__GFP_DIRECT_RECLAIM\"}, "
		"{(unsigned long)(( gfp_t)0x2000u), \"__GFP_KSWAPD_RECLAIM\"}, "
		"{(unsigned long)(( gfp_t)0x40000u), \"__GFP_HARDWALL\"}) : \"none\"\n";
	struct gfp_bits g;

	CHECK(gfp_bits_from_format(shift, &g) == 0, "shift style: parse failed");
	CHECK(g.user_movable == 0x100c0003030ULL, "shift style: user_movable 0x%llx",
	      (unsigned long long)g.user_movable);
	CHECK(g.zero == 0x200000000ULL, "shift style: zero 0x%llx", (unsigned long long)g.zero);
	CHECK(gfp_bits_from_format(hex, &g) == 0, "hex style: parse failed");
	CHECK(g.user_movable == 0x43035ULL, "hex style: user_movable 0x%llx",
	      (unsigned long long)g.user_movable);
	CHECK(g.zero == 0x8000ULL, "hex style: zero 0x%llx", (unsigned long long)g.zero);
}

/* Cut the entry naming `name` out of a format text. */
static char *without_flag(const char *text, const char *name)
{
	char quoted[64], *out = strdup(text), *q, *open, *close;

	if (!out)
		return NULL;
	snprintf(quoted, sizeof(quoted), "\"%s\"}", name);
	q = strstr(out, quoted);
	if (!q)
		return out;
	for (open = q; open > out && *open != '{'; open--)
		;
	close = q + strlen(quoted);
	if (*close == ',')
		close++;
	memmove(open, close, strlen(close) + 1);
	return out;
}

static void gfp_format_missing_flags(void)
{
	static const char *const names[] = { "__GFP_ZERO", "__GFP_HARDWALL", "__GFP_MOVABLE",
					     "__GFP_DIRECT_RECLAIM", "__GFP_HIGHMEM" };
	static const char *const files[] = { "mm_page_alloc.format.6.18", "mm_page_alloc.format.5.10" };
	struct gfp_bits g;

	CHECK(gfp_bits_from_format("", &g) < 0, "empty text accepted");
	CHECK(gfp_bits_from_format("name: mm_page_free\nprint fmt: \"page=%p pfn=0x%lx order=%d\", "
				   "REC->pfn, REC->pfn, REC->order\n", &g) < 0,
	      "format without a flag table accepted");
	for (unsigned f = 0; f < 2; f++) {
		char *t = fixture(files[f]);

		CHECK(t != NULL, "fixture %s missing", files[f]);
		if (!t)
			continue;
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char *cut = without_flag(t, names[i]);

			char quoted[64];

			snprintf(quoted, sizeof(quoted), "\"%s\"", names[i]);
			CHECK(cut && !strstr(cut, quoted), "could not cut %s out of %s", names[i], files[f]);
			CHECK(cut && gfp_bits_from_format(cut, &g) == -ENOENT,
			      "%s without %s: not -ENOENT", files[f], names[i]);
			free(cut);
		}
		free(t);
	}
}

/* ------------------------------------------------------------- arguments */

static void util_parse_uint(void)
{
	unsigned long long v;
	static const struct {
		const char *s;
		unsigned long long min, max;
		int ok;
		unsigned long long want;
	} cases[] = {
		{ "1", 1, 100, 1, 1 },
		{ "100", 1, 100, 1, 100 },
		{ "0", 0, 100, 1, 0 },
		{ "007", 0, 100, 1, 7 },
		{ "18446744073709551615", 0, ~0ULL, 1, ~0ULL },
		{ "4096", 4096, 1ULL << 30, 1, 4096 },
		{ "", 0, 100, 0, 0 },
		{ "-1", 0, ~0ULL, 0, 0 },
		{ "+1", 0, 100, 0, 0 },
		{ "1x", 0, 100, 0, 0 },
		{ "x1", 0, 100, 0, 0 },
		{ "1 ", 0, 100, 0, 0 },
		{ "0x10", 0, 100, 0, 0 },
		{ "1.5", 0, 100, 0, 0 },
		{ "0", 1, 100, 0, 0 },
		{ "101", 1, 100, 0, 0 },
		{ "4095", 4096, 1ULL << 30, 0, 0 },
		{ "2147483648", 1, 0x7fffffff, 0, 0 },
		{ "18446744073709551616", 0, ~0ULL, 0, 0 },
		{ "99999999999999999999999", 0, ~0ULL, 0, 0 },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		v = 12345;
		r = parse_uint(cases[i].s, cases[i].min, cases[i].max, &v);
		if (cases[i].ok)
			CHECK(r == 0 && v == cases[i].want, "parse_uint(\"%s\") = %d, %llu", cases[i].s, r, v);
		else
			CHECK(r == -1 && v == 12345, "parse_uint(\"%s\", %llu, %llu) accepted (%llu)",
			      cases[i].s, cases[i].min, cases[i].max, v);
	}
	CHECK(parse_uint(NULL, 0, 1, &v) == -1, "NULL accepted");
}

/*
 * strtoull() skips leading white space and then accepts a sign: " -1" is
 * ULLONG_MAX.  A "positive decimal integer" must start with a digit.
 */
static void util_parse_uint_leading_space_sign(void)
{
	static const char *const bad[] = { " -1", "\t-5", " +3", " 5" };
	unsigned long long v;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		CHECK(parse_uint(bad[i], 0, ~0ULL, &v) == -1, "parse_uint(\"%s\") accepted as %llu",
		      bad[i], v);
	}
}

static void util_parse_seconds(void)
{
	static const struct {
		const char *s;
		int ok;
		double want;
	} cases[] = {
		{ "10", 1, 10 },
		{ "0.5", 1, 0.5 },
		{ ".25", 1, 0.25 },
		{ "1e3", 1, 1000 },   /* strtod notation: accepted as 1000 s */
		{ "10000000", 1, 1e7 },
		{ "", 0, 0 },
		{ "0", 0, 0 },
		{ "0.0", 0, 0 },
		{ "-0", 0, 0 },
		{ "-1", 0, 0 },
		{ "-0.5", 0, 0 },
		{ "1x", 0, 0 },
		{ "1s", 0, 0 },
		{ "x", 0, 0 },
		{ ".", 0, 0 },
		{ "1.2.3", 0, 0 },
		{ "nan", 0, 0 },
		{ "NaN", 0, 0 },
		{ "inf", 0, 0 },
		{ "-inf", 0, 0 },
		{ "infinity", 0, 0 },
		{ "1e400", 0, 0 },
		{ "10000001", 0, 0 },
		{ "1e8", 0, 0 },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v = -42;
		int r = parse_seconds(cases[i].s, &v);

		if (cases[i].ok)
			CHECK(r == 0 && v == cases[i].want, "parse_seconds(\"%s\") = %d, %g", cases[i].s, r, v);
		else
			CHECK(r == -1 && v == -42, "parse_seconds(\"%s\") accepted (%g)", cases[i].s, v);
	}
	CHECK(parse_seconds(NULL, &(double){ 0 }) == -1, "NULL accepted");
}

/* ------------------------------------------------------- the golden stream */

struct sev {
	uint64_t ts;
	unsigned type, kind;
	uint32_t pid, ppid;
	uint64_t value;
	uint32_t aux;
	const char *comm;
};

#define PC (CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED)

/*
 * Golden stream (fentry golden).  Page size 4096.
 *
 *  #  ts(ns)     type   kind          pid  ppid value      aux  comm
 */
static const struct sev golden_stream[] = {
	/*  1 */ { 1000000, CT_EV_WP, CT_WP_REUSE, 100, 1, 800, 0, "redis-server" },
	/*  2 */ { 1050000, CT_EV_WP, CT_WP_REUSE, 100, 1, 1200, 0, "redis-server" },
	/*  3 */ { 1100000, CT_EV_WP, CT_WP_COPY_ANON, 100, 1, 3000, 0, "redis-server" },
	/*  4 */ { 1200000, CT_EV_THP, CT_THP_REUSE, 100, 1, 5000, 0, "redis-server" },
	/*  5 */ { 2000000, CT_EV_PINNED, 0, 100, 1, 2, 200, "redis-server" },
	/*  6 */ { 2000000, CT_EV_FORK, PC, 100, 1, 2, 200, "redis-server" },
	/*  7 */ { 2500000, CT_EV_WP, CT_WP_COPY_ANON, 200, 100, 4000, 0, "redis-server" },
	/*  8 */ { 2600000, CT_EV_WP, CT_WP_COPY_ANON, 100, 1, 2500, 0, "redis-server" },
	/*  9 */ { 3000000, CT_EV_WP, CT_WP_COPY_ZERO, 200, 100, 1500, 0, "redis-rdb-bgsav" },
	/* 10 */ { 3100000, CT_EV_WP, CT_WP_COPY_FILE, 200, 100, 6000, 0, "redis-rdb-bgsav" },
	/* 11 */ { 3200000, CT_EV_WP, CT_WP_COPY_KSM, 100, 1, 7000, 0, "redis-server" },
	/* 12 */ { 3300000, CT_EV_WP, CT_WP_UNSHARE, 200, 100, 9000, 0, "redis-rdb-bgsav" },
	/* 13 */ { 3400000, CT_EV_WP, CT_WP_SHARED_REUSE, 100, 1, 700, 0, "redis-server" },
	/* 14 */ { 3500000, CT_EV_THP, CT_THP_SPLIT, 200, 100, 12000, 0, "redis-rdb-bgsav" },
	/* 15 */ { 3600000, CT_EV_WP, CT_WP_REUSE, 200, 100, 0, 0, "redis-rdb-bgsav" },
	/* 16 */ { 4000000, CT_EV_UFFD, CT_UFFD_MISSING, 300, 1, 1500000, 0, "uffd-test" },
	/* 17 */ { 4100000, CT_EV_UFFD, CT_UFFD_MISSING, 300, 1, 20000, 0, "uffd-test" },
	/* 18 */ { 4200000, CT_EV_UFFD, CT_UFFD_WP, 300, 1, 250000, 0, "uffd-test" },
	/* 19 */ { 4300000, CT_EV_UFFD, CT_UFFD_MINOR, 300, 1, 3000, 0, "uffd-test" },
	/* 20 */ { 4400000, CT_EV_MARKER, 0, 300, 1, 16, 0, "uffd-test" },
	/* 21 */ { 4500000, CT_EV_MARKER, 0, 300, 1, 4, 0, "uffd-test" },
	/* 22 */ { 4600000, CT_EV_WP, CT_WP_COPY_ANON, 300, 1, 2000, 0, "uffd-test" },
	/* 23 */ { 5000000, CT_EV_EXIT, 0, 300, 1, 0, 0, "uffd-test" },
	/* 24 */ { 6000000, CT_EV_FORK, PC, 100, 1, 0, 300, "redis-server" },
	/* 25 */ { 6200000, CT_EV_WP, CT_WP_COPY_ANON, 300, 100, 3500, 0, "redis-server" },
	/* 26 */ { 6250000, CT_EV_WP, CT_WP_REUSE, 300, 100, 600, 0, "redis-server" },
	/* 27 */ { 6300000, CT_EV_WP, CT_WP_COPY_ANON, 100, 1, 2200, 0, "redis-server" },
	/* 28 */ { 7000000, CT_EV_EXIT, 0, 200, 100, 0, 0, "redis-rdb-bgsav" },
	/* 29 */ { 8000000, CT_EV_WP, CT_WP_REUSE, 200, 1, 900, 0, "a\"b\\c\td" },
};
/*
 * Hand computation (page size 4096; K = 1024 bytes):
 *
 * pid 100 "redis-server", ppid 1, live, forks 2 (#6, #24):
 *   reuse 2 (#1,#2); copy_anon 3 (#3,#8,#27); copy_ksm 1 (#11); copy 4;
 *   shared_reuse 1 (#13); thp_reuse 1 (#4); pinned_cow 2 (#5);
 *   copied_bytes (4 + 0 + 2) * 4096 = 24576 = "24.0K".
 *   latency reuse {800, 1200}: 512->1023: 1, 1024->2047: 1
 *   latency copy {3000, 2500, 7000, 2200}: 2048->4095: 3, 4096->8191: 1 (bar 40*1/3 = 13)
 *   latency shared_reuse {700}: 512->1023: 1;  thp {5000}: 4096->8191: 1
 *   fork_to_copy: #3 precedes any fork (none); #8 -> fork0 600 us; #11 -> fork0
 *     1200 us; #27 -> fork1 (its latest) 300 us: 256->511, 512->1023,
 *     1024->2047 usecs, one each.
 * pid 200 (first), ppid 100, exited (#28), comm "redis-rdb-bgsav" (latest, #15):
 *   reuse 1 (#15); anon 1 (#7); zero 1 (#9); file 1 (#10); copy 3;
 *   unshare 1 (#12); thp_split 1 (#14); copied (3 + 1 + 0) * 4096 = 16384 = "16.0K".
 *   latency reuse: #15 has no latency -> no histogram; copy {4000, 1500, 6000}:
 *     1024->2047: 1, 2048->4095: 1, 4096->8191: 1; unshare {9000}: 8192->16383;
 *     thp {12000}: 8192->16383.
 *   fork_to_copy (child of fork0 @2.0 ms): 500 us, 1000 us, 1100 us:
 *     256->511: 1, 512->1023: 1, 1024->2047: 1.
 * pid 300 (first) "uffd-test", ppid 1, exited (#23):
 *   uffd_missing 2, uffd_wp 1, uffd_minor 1, marker_install 4 + 16 = 20
 *   (column n/a: the plan has marker_install unavailable), anon 1 (#22),
 *   copy 1, copied 4096 = "4.0K".  latency copy {2000}: 1024->2047.
 *   blocked missing {1500 us, 20 us}: 16->31: 1 ... 1024->2047: 1;
 *   wp {250 us}: 128->255; minor {3 us}: 2->3.  No fork_to_copy (no fork).
 * pid 300 (second, pid reuse via FORK #24), comm "redis-server", ppid 100, live:
 *   anon 1 (#25), reuse 1 (#26), copy 1, copied "4.0K"; latency copy {3500}:
 *   2048->4095; reuse {600}: 512->1023; fork_to_copy 200 us: 128->255.
 * pid 200 (second, pid reuse after EXIT #28), comm a"b\c<TAB>d, ppid 1, live:
 *   reuse 1 (#29), copied "0B"; latency reuse {900}: 512->1023.
 *
 * Order by copies + pinned (desc), then reuse (desc), pid, first_ns:
 *   100 (4+2=6), 200 first (3), 300 second (1, reuse 1), 300 first (1, reuse 0),
 *   200 second (0).
 * Histograms (hist_top 4): the first four of that order.
 *
 * FORKS:
 *   fork0 100->200: pinned 2, parent_copies 2 (#8,#11), child_copies 3 (#7,#9,#10),
 *     copied (2+2+3) * 4096 = 28672 = "28.0K"
 *   fork1 100->300: pinned 0, parent_copies 1 (#27), child_copies 1 (#25), "8.0K"
 *
 * Events 29, no bad events.
 */

/*
 * Tracepoint-mode golden stream: what page_fault_user + mm_page_alloc can
 * produce (WP reuse / copy_anon / copy_zero without latency, pinned pages,
 * forks, exits) plus a THP split and a marker event so that n/a must hide
 * non-zero numbers.
 */
static const struct sev tp_stream[] = {
	/*  1 */ { 10000000, CT_EV_WP, CT_WP_REUSE, 500, 1, 0, 0, "postgres" },
	/*  2 */ { 10100000, CT_EV_WP, CT_WP_REUSE, 500, 1, 0, 0, "postgres" },
	/*  3 */ { 10200000, CT_EV_WP, CT_WP_COPY_ANON, 500, 1, 0, 0, "postgres" },
	/*  4 */ { 11000000, CT_EV_PINNED, 0, 500, 1, 3, 501, "postgres" },
	/*  5 */ { 11000000, CT_EV_FORK, PC, 500, 1, 3, 501, "postgres" },
	/*  6 */ { 11400000, CT_EV_WP, CT_WP_COPY_ZERO, 500, 1, 0, 0, "postgres" },
	/*  7 */ { 11050000, CT_EV_WP, CT_WP_COPY_ANON, 501, 500, 0, 0, "postgres" },
	/*  8 */ { 13000000, CT_EV_WP, CT_WP_COPY_ANON, 501, 500, 0, 0, "postgres" },
	/*  9 */ { 13100000, CT_EV_WP, CT_WP_REUSE, 501, 500, 0, 0, "postgres" },
	/* 10 */ { 13200000, CT_EV_THP, CT_THP_SPLIT, 501, 500, 0, 0, "postgres" },
	/* 11 */ { 13300000, CT_EV_MARKER, 0, 501, 500, 5, 0, "postgres" },
	/* 12 */ { 14000000, CT_EV_EXIT, 0, 501, 500, 0, 0, "postgres" },
	/* 13 */ { 15000000, CT_EV_FORK, CT_FORK_CHILD_TRACED, 1, 0, 0, 502, "systemd" },
	/* 14 */ { 15600000, CT_EV_WP, CT_WP_COPY_ANON, 502, 1, 0, 0, "systemd" },
	/* 15 */ { 16000000, CT_EV_WP, CT_WP_REUSE, 501, 1, 0, 0, "psql" },
};
/*
 * Hand computation (tracepoint plan: reuse, copy, copy_zero, pinned_cow,
 * copied_bytes, fork_to_copy derived; everything else unavailable):
 *
 * pid 500 "postgres", ppid 1, live, forks 1:
 *   reuse 2 (#1,#2); copy = anon 1 (#3) + zero 1 (#6) = 2; copy_zero 1;
 *   pinned 3 (#4); copied (2 + 0 + 3) * 4096 = 20480 = "20.0K".
 *   fork_to_copy: #6 after fork0 (@11.0 ms): 400 us -> 256->511 usecs.
 * pid 501 (first), ppid 500, exited (#12): copy 2 (#7, #8), reuse 1 (#9),
 *   copy_zero 0; thp_split 1 and marker 5 print n/a / null; copied 8192 = "8.0K".
 *   fork_to_copy: #7 50 us -> 32->63, #8 2000 us -> 1024->2047 (2000000 ns
 *   is in ns slot [1048576, 2097152), lower bound 1048 us).
 * pid 502 "systemd", ppid 1 (parent untraced), live: copy 1 (#14), "4.0K";
 *   fork_to_copy 600 us -> 512->1023.
 * pid 501 (second, reuse after EXIT) "psql", ppid 1: reuse 1, copied "0B".
 * Order: 500 (2+3=5), 501 first (2), 502 (1), 501 second (0).
 * FORKS: 500->501 pinned 3, parent 1 (#6), child 2 (#7,#8) -> 6 pages = "24.0K";
 *        1->502 pinned 0, parent 0, child 1 (#14) = "4.0K".
 * No write-fault latency histograms (wp_latency unavailable, and no samples).
 */

static void feed(struct ct_agg *a, const struct sev *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ct_event e = mkev(s[i].ts, s[i].type, s[i].kind, s[i].pid, s[i].ppid,
					 s[i].value, s[i].aux, s[i].comm);

		CHECK(agg_add(a, &e) == 0, "stream event #%zu rejected", i + 1);
	}
}

static void plan_fentry(struct ct_plan *pl)
{
	const char *wph = "do_wp_page+folio_add_new_anon_rmap";
	static const enum ct_stat wps[] = { ST_REUSE, ST_COPY, ST_COPY_ANON, ST_COPY_ZERO,
					    ST_COPY_FILE, ST_COPY_KSM, ST_UNSHARE, ST_SHARED_REUSE };

	memset(pl, 0, sizeof(*pl));
	pl->mode = MODE_FENTRY;
	snprintf(pl->kernel, sizeof(pl->kernel), "6.12.0-test");
	for (unsigned i = 0; i < sizeof(wps) / sizeof(wps[0]); i++)
		plan_set(pl, wps[i], wph, MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_THP_REUSE, "do_huge_pmd_wp_page", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_THP_SPLIT, "do_huge_pmd_wp_page", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_PINNED_COW, "copy_page_range+folio_add_new_anon_rmap", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_UFFD_MISSING, "handle_userfault", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_UFFD_WP, "handle_userfault", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_UFFD_MINOR, "handle_userfault", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_MARKER_INSTALL, "zap_pte_range", MODE_NONE, Q_UNAVAILABLE,
		 "zap_pte_range inlined; no exact per-install hook on this kernel");
	plan_set(pl, ST_COPIED_BYTES, wph, MODE_FENTRY, Q_EXACT,
		 "(copy + unshare + pinned_cow) x page size");
	plan_set(pl, ST_WP_LATENCY, "do_wp_page", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_UFFD_BLOCKED, "handle_userfault", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_FORK_TO_COPY, "sched_process_fork", MODE_FENTRY, Q_EXACT, "");
}

/* What probes.c's fill_plan_tp() + fill_plan_common() produce. */
static void plan_tp(struct ct_plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	plan_fill_tracepoint(pl); /* the plan cowtrace uses in tracepoint mode */
	snprintf(pl->kernel, sizeof(pl->kernel), "5.10.0-test");
}

static void build_fentry(struct ct_agg *a, struct ct_plan *pl, struct ct_report *r)
{
	agg_init(a, 4096);
	feed(a, golden_stream, sizeof(golden_stream) / sizeof(golden_stream[0]));
	plan_fentry(pl);
	memset(r, 0, sizeof(*r));
	r->agg = a;
	r->plan = pl;
	r->lost_events = 0;
	r->unclassified = 0;
	r->duration_s = 9.5;
	r->final = true;
	r->cmd_status = 0;
	r->hist_top = 4;
	r->version = "1.2.3-test";
}

static void build_tp(struct ct_agg *a, struct ct_plan *pl, struct ct_report *r)
{
	agg_init(a, 4096);
	feed(a, tp_stream, sizeof(tp_stream) / sizeof(tp_stream[0]));
	plan_tp(pl);
	memset(r, 0, sizeof(*r));
	r->agg = a;
	r->plan = pl;
	r->lost_events = 7;
	r->unclassified = 3;
	r->duration_s = 2.5;
	r->final = false;
	r->cmd_status = -1;
	r->hist_top = 5;
	r->version = "1.2.3-test";
}

/* Compare got with GOLDEN_DIR/name, or rewrite it under UPDATE_GOLDEN=1. */
static void golden_compare(const char *name, const char *got, size_t got_len)
{
	char path[4200];
	size_t want_len = 0;
	char *want;

	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	if (update_golden) {
		FILE *f = fopen(path, "wb");

		CHECK(f != NULL, "cannot write %s: %s", path, strerror(errno));
		if (f) {
			fwrite(got, 1, got_len, f);
			fclose(f);
		}
		return;
	}
	want = read_whole(path, &want_len);
	CHECK(want != NULL, "cannot read %s (UPDATE_GOLDEN=1 creates it)", path);
	if (!want)
		return;
	if (want_len != got_len || memcmp(want, got, got_len)) {
		/* first differing line */
		const char *w = want, *g = got;
		int line = 1;

		while (*w && *g && *w == *g) {
			if (*w == '\n')
				line++;
			w++;
			g++;
		}
		while (w > want && w[-1] != '\n')
			w--;
		while (g > got && g[-1] != '\n')
			g--;
		CHECK(0, "%s differs at line %d (-expected +got)\n-%.*s\n+%.*s", name, line,
		      (int)strcspn(w, "\n"), w, (int)strcspn(g, "\n"), g);
	}
	free(want);
}

/* Build a stream, render it with one writer, compare with a golden file. */
static void golden_check(void (*build)(struct ct_agg *, struct ct_plan *, struct ct_report *),
			 void (*writer)(FILE *, const struct ct_report *), const char *file,
			 uint64_t events, uint32_t nprocs, uint32_t nforks)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	size_t n;
	char *s;

	build(&a, &pl, &r);
	CHECK_EQ(a.events, events);
	CHECK_EQ(a.nprocs, nprocs);
	CHECK_EQ(a.nforks, nforks);
	s = render(writer, &r, &n);
	CHECK(s != NULL, "render failed");
	if (s)
		golden_compare(file, s, n);
	free(s);
	agg_free(&a);
}

static void golden_text_fentry(void)
{
	golden_check(build_fentry, output_text, "report.txt", 29, 5, 2);
}

static void golden_json_fentry(void)
{
	golden_check(build_fentry, output_json, "report.json", 29, 5, 2);
}

static void golden_text_tp(void)
{
	golden_check(build_tp, output_text, "report_tp.txt", 15, 4, 2);
}

static void golden_json_tp(void)
{
	golden_check(build_tp, output_json, "report_tp.json", 15, 4, 2);
}

/* The numbers of the golden aggregation, checked directly (not via text). */
static void golden_numbers(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	uint32_t *o;
	static const struct {
		uint32_t pid, ppid;
		const char *comm;
		bool exited;
		uint64_t reuse, anon, zero, file, ksm, unshare, shared, thp_r, thp_s, pinned;
		uint64_t miss, uwp, minor, marker, copied, forks;
	} want[] = {
		{ 100, 1, "redis-server", false, 2, 3, 0, 0, 1, 0, 1, 1, 0, 2, 0, 0, 0, 0, 24576, 2 },
		{ 200, 100, "redis-rdb-bgsav", true, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 16384, 0 },
		{ 300, 100, "redis-server", false, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4096, 0 },
		{ 300, 1, "uffd-test", true, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 1, 20, 4096, 0 },
		{ 200, 1, "a\"b\\c\td", false, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	};

	build_fentry(&a, &pl, &r);
	o = agg_sorted(&a);
	CHECK(o && a.nprocs == 5, "nprocs %u", a.nprocs);
	for (unsigned i = 0; o && i < 5 && i < a.nprocs; i++) {
		const struct ct_proc *p = &a.procs[o[i]];

		CHECK(p->pid == want[i].pid && p->ppid == want[i].ppid && !strcmp(p->comm, want[i].comm) &&
		      p->exited == want[i].exited,
		      "rank %u: pid %u ppid %u comm \"%s\" exited %d", i, p->pid, p->ppid, p->comm, p->exited);
		CHECK(p->wp[CT_WP_REUSE] == want[i].reuse && p->wp[CT_WP_COPY_ANON] == want[i].anon &&
		      p->wp[CT_WP_COPY_ZERO] == want[i].zero && p->wp[CT_WP_COPY_FILE] == want[i].file &&
		      p->wp[CT_WP_COPY_KSM] == want[i].ksm && p->wp[CT_WP_UNSHARE] == want[i].unshare &&
		      p->wp[CT_WP_SHARED_REUSE] == want[i].shared, "rank %u (pid %u): wp counters", i, p->pid);
		CHECK(p->thp[CT_THP_REUSE] == want[i].thp_r && p->thp[CT_THP_SPLIT] == want[i].thp_s &&
		      p->pinned_cow == want[i].pinned && p->uffd[CT_UFFD_MISSING] == want[i].miss &&
		      p->uffd[CT_UFFD_WP] == want[i].uwp && p->uffd[CT_UFFD_MINOR] == want[i].minor &&
		      p->marker_install == want[i].marker && p->forks == want[i].forks,
		      "rank %u (pid %u): thp/pinned/uffd/marker/forks", i, p->pid);
		CHECK(proc_copied_bytes(p, 4096) == want[i].copied, "rank %u (pid %u): copied %llu", i,
		      p->pid, (unsigned long long)proc_copied_bytes(p, 4096));
	}
	CHECK(a.forks[0].parent == 100 && a.forks[0].child == 200 && a.forks[0].pinned_cow == 2 &&
	      a.forks[0].parent_copies == 2 && a.forks[0].child_copies == 3, "fork0");
	CHECK(a.forks[1].parent == 100 && a.forks[1].child == 300 && a.forks[1].pinned_cow == 0 &&
	      a.forks[1].parent_copies == 1 && a.forks[1].child_copies == 1, "fork1");
	free(o);
	agg_free(&a);
}

/* -------------------------------------------------------- a little JSON */

struct jv {
	char t; /* 'n' null, 'b' bool, 'd' number, 's' string, 'a' array, 'o' object */
	int b;
	double num;
	char *s;
	size_t n;
	struct jv *v;
	char **k;
};

struct jp {
	const char *p;
	int depth;
};

static void jfree(struct jv *j)
{
	for (size_t i = 0; i < j->n; i++) {
		jfree(&j->v[i]);
		if (j->k)
			free(j->k[i]);
	}
	free(j->v);
	free(j->k);
	free(j->s);
	memset(j, 0, sizeof(*j));
}

static void jws(struct jp *p)
{
	while (*p->p == ' ' || *p->p == '\t' || *p->p == '\n' || *p->p == '\r')
		p->p++;
}

static int jstring(struct jp *p, char **out)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap);

	if (!s || *p->p != '"')
		goto bad;
	p->p++;
	while (*p->p != '"') {
		unsigned char c = (unsigned char)*p->p++;

		if (c < 0x20)
			goto bad;
		if (c == '\\') {
			char e = *p->p++;

			switch (e) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case '/': c = '/'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned v = 0;

				for (int i = 0; i < 4; i++) {
					char h = *p->p++;

					v <<= 4;
					if (h >= '0' && h <= '9')
						v |= (unsigned)(h - '0');
					else if (h >= 'a' && h <= 'f')
						v |= (unsigned)(h - 'a' + 10);
					else if (h >= 'A' && h <= 'F')
						v |= (unsigned)(h - 'A' + 10);
					else
						goto bad;
				}
				c = v < 0x100 ? (unsigned char)v : '?';
				break;
			}
			default:
				goto bad;
			}
		}
		if (n + 2 > cap) {
			char *ns = realloc(s, cap *= 2);

			if (!ns)
				goto bad;
			s = ns;
		}
		s[n++] = (char)c;
	}
	p->p++;
	s[n] = 0;
	*out = s;
	return 0;
bad:
	free(s);
	return -1;
}

static int jvalue(struct jp *p, struct jv *out);

static int jpush(struct jv *o, struct jv *v, char *key)
{
	struct jv *nv = realloc(o->v, (o->n + 1) * sizeof(*nv));

	if (!nv)
		return -1;
	o->v = nv;
	if (o->t == 'o') {
		char **nk = realloc(o->k, (o->n + 1) * sizeof(*nk));

		if (!nk)
			return -1;
		o->k = nk;
		o->k[o->n] = key;
	}
	o->v[o->n++] = *v;
	return 0;
}

static int jvalue(struct jp *p, struct jv *out)
{
	memset(out, 0, sizeof(*out));
	jws(p);
	if (++p->depth > 64)
		return -1;
	switch (*p->p) {
	case '{':
	case '[': {
		char close = *p->p == '{' ? '}' : ']';

		out->t = *p->p == '{' ? 'o' : 'a';
		p->p++;
		jws(p);
		if (*p->p == close) {
			p->p++;
			break;
		}
		for (;;) {
			struct jv v;
			char *key = NULL;

			jws(p);
			if (out->t == 'o') {
				if (jstring(p, &key))
					return -1;
				jws(p);
				if (*p->p++ != ':') {
					free(key);
					return -1;
				}
			}
			if (jvalue(p, &v) || jpush(out, &v, key)) {
				jfree(&v);
				free(key);
				return -1;
			}
			jws(p);
			if (*p->p == ',') {
				p->p++;
				continue;
			}
			if (*p->p++ != close)
				return -1;
			break;
		}
		break;
	}
	case '"':
		out->t = 's';
		if (jstring(p, &out->s))
			return -1;
		break;
	case 't':
	case 'f':
	case 'n': {
		static const char *const lit[] = { "true", "false", "null" };

		for (int i = 0; i < 3; i++) {
			size_t l = strlen(lit[i]);

			if (!strncmp(p->p, lit[i], l)) {
				out->t = i == 2 ? 'n' : 'b';
				out->b = i == 0;
				p->p += l;
				goto done;
			}
		}
		return -1;
	}
	default: {
		/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
		const char *s = p->p, *q = s;

		if (*q == '-')
			q++;
		if (*q == '0')
			q++;
		else if (*q >= '1' && *q <= '9')
			while (*q >= '0' && *q <= '9')
				q++;
		else
			return -1;
		if (*q == '.') {
			q++;
			if (!(*q >= '0' && *q <= '9'))
				return -1;
			while (*q >= '0' && *q <= '9')
				q++;
		}
		if (*q == 'e' || *q == 'E') {
			q++;
			if (*q == '+' || *q == '-')
				q++;
			if (!(*q >= '0' && *q <= '9'))
				return -1;
			while (*q >= '0' && *q <= '9')
				q++;
		}
		out->t = 'd';
		out->num = strtod(s, NULL);
		p->p = q;
	}
	}
done:
	p->depth--;
	return 0;
}

/* Parse a whole document: one value, then only white space. */
static int jparse(const char *text, struct jv *out)
{
	struct jp p = { text, 0 };

	if (jvalue(&p, out)) {
		jfree(out);
		return -1;
	}
	jws(&p);
	if (*p.p) {
		jfree(out);
		return -1;
	}
	return 0;
}

static const struct jv *jget(const struct jv *o, const char *key)
{
	if (!o || o->t != 'o')
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->k[i], key))
			return &o->v[i];
	return NULL;
}

static void json_parser_self_test(void)
{
	static const char *const good[] = { "{}", "[]", "0", "-0.5e+3", "\"a\\u0009\\\"\"",
					    "{\"a\":[1,2,{\"b\":null}],\"c\":true}", " [ ] \n" };
	static const char *const bad[] = { "", "{", "[1,]", "{\"a\"}", "01", "1.", "\"\t\"", "nul",
					   "{\"a\":1}x", "[1 2]", "{a:1}", "\"\\x\"" };
	struct jv j;

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(jparse(good[i], &j) == 0, "valid JSON rejected: %s", good[i]);
		jfree(&j);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = jparse(bad[i], &j);

		CHECK(r != 0, "invalid JSON accepted: %s", bad[i]);
		if (!r)
			jfree(&j);
	}
}

/* Structure of a JSON report against its aggregation and plan. */
static void check_json_report(const struct ct_report *r, const char *text)
{
	static const enum ct_stat fields[] = {
		ST_REUSE, ST_COPY, ST_COPY_ANON, ST_COPY_ZERO, ST_COPY_FILE, ST_COPY_KSM,
		ST_UNSHARE, ST_SHARED_REUSE, ST_THP_REUSE, ST_THP_SPLIT, ST_PINNED_COW,
		ST_UFFD_MISSING, ST_UFFD_WP, ST_UFFD_MINOR, ST_MARKER_INSTALL, ST_COPIED_BYTES,
	};
	const struct ct_agg *a = r->agg;
	const struct jv *probes, *procs, *forks, *x;
	struct jv root;
	uint32_t *order;
	size_t len = strlen(text);

	CHECK(len > 0 && text[len - 1] == '\n' && !memchr(text, '\n', len - 1),
	      "JSON report is not exactly one line");
	if (jparse(text, &root)) {
		CHECK(0, "JSON report does not parse");
		return;
	}
	CHECK(root.t == 'o', "root is not an object");
	x = jget(&root, "final");
	CHECK(x && x->t == 'b' && x->b == r->final, "final");
	x = jget(&root, "kernel");
	CHECK(x && x->t == 's' && !strcmp(x->s, r->plan->kernel), "kernel");
	x = jget(&root, "mode");
	CHECK(x && x->t == 's' && !strcmp(x->s, ct_mode_name(r->plan->mode)), "mode");
	x = jget(&root, "lost_events");
	CHECK(x && x->t == 'd' && x->num == (double)r->lost_events, "lost_events");
	x = jget(&root, "duration_s");
	CHECK(x && x->t == 'd' && fabs(x->num - r->duration_s) < 0.001, "duration_s");

	probes = jget(&root, "probes");
	CHECK(probes && probes->t == 'o' && probes->n == ST_MAX, "probes: %zu entries, expected %d",
	      probes ? probes->n : 0, ST_MAX);
	for (int s = 0; probes && probes->t == 'o' && s < ST_MAX && (size_t)s < probes->n; s++) {
		const struct jv *e = &probes->v[s], *q;

		CHECK(!strcmp(probes->k[s], ct_stat_name(s)), "probes[%d] is \"%s\", expected \"%s\"", s,
		      probes->k[s], ct_stat_name(s));
		CHECK(jget(probes, ct_stat_name(s)) == e, "probe %s listed twice", ct_stat_name(s));
		q = jget(e, "quality");
		CHECK(q && q->t == 's' && !strcmp(q->s, ct_quality_name(r->plan->st[s].quality)),
		      "probes.%s.quality", ct_stat_name(s));
		q = jget(e, "hook");
		CHECK(q && q->t == 's' && !strcmp(q->s, r->plan->st[s].hook), "probes.%s.hook",
		      ct_stat_name(s));
		q = jget(e, "mode");
		CHECK(q && q->t == 's' && !strcmp(q->s, ct_mode_name(r->plan->st[s].mode)),
		      "probes.%s.mode", ct_stat_name(s));
		q = jget(e, "reason");
		CHECK(q && q->t == 's' && !strcmp(q->s, r->plan->st[s].reason), "probes.%s.reason",
		      ct_stat_name(s));
	}

	procs = jget(&root, "processes");
	order = agg_sorted(a);
	CHECK(procs && procs->t == 'a' && procs->n == a->nprocs, "processes: %zu, expected %u",
	      procs ? procs->n : 0, a->nprocs);
	for (size_t i = 0; order && procs && procs->t == 'a' && i < procs->n && i < a->nprocs; i++) {
		const struct jv *o = &procs->v[i];
		const struct ct_proc *p = &a->procs[order[i]];

		x = jget(o, "pid");
		CHECK(x && x->t == 'd' && x->num == p->pid, "processes[%zu].pid", i);
		x = jget(o, "ppid");
		CHECK(x && x->t == 'd' && x->num == p->ppid, "processes[%zu].ppid", i);
		x = jget(o, "comm");
		CHECK(x && x->t == 's' && !strcmp(x->s, p->comm), "processes[%zu].comm", i);
		x = jget(o, "exited");
		CHECK(x && x->t == 'b' && x->b == p->exited, "processes[%zu].exited", i);
		x = jget(o, "forks");
		CHECK(x && x->t == 'd' && x->num == p->forks, "processes[%zu].forks", i);
		CHECK(o->n == 5 + sizeof(fields) / sizeof(fields[0]), "processes[%zu]: %zu members", i, o->n);
		for (unsigned k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
			enum ct_stat s = fields[k];

			x = jget(o, ct_stat_name(s));
			if (!plan_available(r->plan, s))
				CHECK(x && x->t == 'n', "processes[%zu] (pid %u).%s is not null (unavailable)",
				      i, p->pid, ct_stat_name(s));
			else
				CHECK(x && x->t == 'd' && x->num == (double)proc_stat(p, s, a->page_size),
				      "processes[%zu] (pid %u).%s wrong", i, p->pid, ct_stat_name(s));
		}
	}
	free(order);

	forks = jget(&root, "forks");
	CHECK(forks && forks->t == 'a' && forks->n == a->nforks, "forks: %zu, expected %u",
	      forks ? forks->n : 0, a->nforks);
	for (size_t i = 0; forks && forks->t == 'a' && i < forks->n && i < a->nforks; i++) {
		const struct jv *o = &forks->v[i];
		const struct ct_fork *f = &a->forks[i];

		x = jget(o, "pinned_cow");
		if (plan_available(r->plan, ST_PINNED_COW))
			CHECK(x && x->t == 'd' && x->num == f->pinned_cow, "forks[%zu].pinned_cow", i);
		else
			CHECK(x && x->t == 'n', "forks[%zu].pinned_cow not null (unavailable)", i);
		x = jget(o, "parent");
		CHECK(x && x->t == 'd' && x->num == f->parent, "forks[%zu].parent", i);
		x = jget(o, "child");
		CHECK(x && x->t == 'd' && x->num == f->child, "forks[%zu].child", i);
		x = jget(o, "parent_copies");
		CHECK(x && x->t == 'd' && x->num == f->parent_copies, "forks[%zu].parent_copies", i);
		x = jget(o, "child_copies");
		CHECK(x && x->t == 'd' && x->num == f->child_copies, "forks[%zu].child_copies", i);
	}
	jfree(&root);
}

static void json_structure_fentry(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	s = render(output_json, &r, NULL);
	CHECK(s != NULL, "render failed");
	if (s) {
		check_json_report(&r, s);
		/* marker_install is unavailable: null in every process, never a number */
		CHECK(count_str(s, "\"marker_install\":null") == (int)a.nprocs,
		      "marker_install null %d times, expected %u", count_str(s, "\"marker_install\":null"),
		      a.nprocs);
		CHECK(strstr(s, "\"comm\":\"a\\\"b\\\\c\\u0009d\"") != NULL, "comm escaping");
		CHECK(strstr(s, "\"command_status\":0") != NULL, "command_status");
	}
	free(s);
	agg_free(&a);
}

static void json_structure_tp(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_tp(&a, &pl, &r);
	s = render(output_json, &r, NULL);
	CHECK(s != NULL, "render failed");
	if (s) {
		check_json_report(&r, s);
		for (int st = 0; st < ST_MAX; st++) {
			char k[64];

			if (plan_available(&pl, st) || st >= ST_WP_LATENCY)
				continue;
			snprintf(k, sizeof(k), "\"%s\":null", ct_stat_name(st));
			CHECK(count_str(s, k) == (int)a.nprocs, "%s %d times, expected %u", k,
			      count_str(s, k), a.nprocs);
		}
		CHECK(strstr(s, "\"final\":false") && strstr(s, "\"unclassified_faults\":3") &&
		      !strstr(s, "command_status"), "interval report header");
	}
	free(s);
	agg_free(&a);
}

static void json_empty_report(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r = { 0 };
	char *s;

	agg_init(&a, 4096);
	plan_fentry(&pl);
	r.agg = &a;
	r.plan = &pl;
	r.cmd_status = -1;
	s = render(output_json, &r, NULL);
	CHECK(s != NULL, "render failed");
	if (s) {
		check_json_report(&r, s);
		CHECK(strstr(s, "\"processes\":[],\"forks\":[],\"evicted_processes\":0") != NULL, "empty lists: %s", s);
		CHECK(strstr(s, "\"version\":\"\"") != NULL, "NULL version not written as \"\"");
	}
	free(s);
	s = render(output_text, &r, NULL);
	CHECK(s && strstr(s, "(no events)\n") && !strstr(s, "FORKS"), "empty text report:\n%s",
	      s ? s : "(null)");
	free(s);
	agg_free(&a);
}

/* ------------------------------------------ unavailable means not printed */

static void text_unavailable_counters_print_na(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	plan_set(&pl, ST_UFFD_WP, "handle_userfault", MODE_NONE, Q_UNAVAILABLE, "test");
	s = render(output_text, &r, NULL);
	CHECK(s != NULL, "render failed");
	if (s) {
		/* uffd-test's row: UF_WP 1 and MARKER 20 must both read n/a */
		const char *row = strstr(s, "\n300     1       uffd-test");

		CHECK(row != NULL, "uffd-test row missing");
		if (row) {
			int len = (int)strcspn(row + 1, "\n");
			char line[512];

			snprintf(line, sizeof(line), "%.*s", len, row + 1);
			CHECK(count_str(line, " n/a") == 2, "row: %s", line);
			CHECK(strstr(line, " 20 ") == NULL, "marker count printed: %s", line);
		}
	}
	free(s);
	agg_free(&a);
}

/* README: "An unavailable statistic prints n/a in text and null in JSON, never 0." */
static void text_unavailable_uffd_blocked_hidden(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	plan_set(&pl, ST_UFFD_BLOCKED, "handle_userfault", MODE_NONE, Q_UNAVAILABLE, "test");
	s = render(output_text, &r, NULL);
	CHECK(s && !strstr(s, "userfaultfd"),
	      "uffd blocked-time histograms printed although uffd_blocked is unavailable");
	free(s);
	agg_free(&a);
}

static void text_unavailable_fork_to_copy_hidden(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	plan_set(&pl, ST_FORK_TO_COPY, "sched_process_fork", MODE_NONE, Q_UNAVAILABLE, "test");
	s = render(output_text, &r, NULL);
	CHECK(s && !strstr(s, "time from fork to copy"),
	      "fork-to-copy histograms printed although fork_to_copy is unavailable");
	free(s);
	agg_free(&a);
}

static void text_unavailable_wp_latency_hidden(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	plan_set(&pl, ST_WP_LATENCY, "do_wp_page", MODE_NONE, Q_UNAVAILABLE, "test");
	s = render(output_text, &r, NULL);
	CHECK(s && !strstr(s, "write-fault latency"), "latency histograms printed");
	free(s);
	agg_free(&a);
}

/* JSON has null for forks[].pinned_cow then; the text FORKS table must say n/a too. */
static void text_unavailable_fork_pinned_na(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	plan_set(&pl, ST_PINNED_COW, "copy_page_range", MODE_NONE, Q_UNAVAILABLE, "test");
	s = render(output_text, &r, NULL);
	CHECK(s != NULL, "render failed");
	if (s) {
		const char *t = strstr(s, "\nFORKS (");

		CHECK(t != NULL, "no FORKS table");
		if (t) {
			const char *row = strstr(t, "\n100     200     ");
			char line[256];

			snprintf(line, sizeof(line), "%.*s", row ? (int)strcspn(row + 1, "\n") : 0,
				 row ? row + 1 : "");
			CHECK(row != NULL, "no row for the fork 100 -> 200:\n%s", t);
			CHECK(strstr(line, " n/a ") != NULL,
			      "FORKS row prints a pinned count although pinned_cow is unavailable: \"%s\"",
			      line);
		}
	}
	free(s);
	agg_free(&a);
}

/* ------------------------------------------------------------------- main */

/* ---- record files (record.c) ---- */

/* A record in memory: header with pl, then evs[], a cgroup name and totals. */
static char *make_record(const struct ct_plan *pl, const struct ct_event *evs, int n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	CHECK(rec_write_header(f, pl, 4096, 1000, 1700000000000000000ull) == 0, "header");
	for (int i = 0; i < n; i++)
		CHECK(rec_write_event(f, &evs[i]) == 0, "event %d", i);
	CHECK(rec_write_cgroup(f, 4242, "/system.slice/redis.service") == 0, "cgroup");
	CHECK(rec_write_stats(f, 7, 3, 99000) == 0, "stats");
	fclose(f);
	return buf;
}

static void record_roundtrip(void)
{
	struct ct_plan pl, *got;
	struct ct_event evs[3];
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	struct ct_rec rec;
	char err[256];
	size_t len;
	char *buf;
	int n = 0, r;

	plan_fentry(&pl);
	evs[0] = mkev(2000, CT_EV_WP, CT_WP_COPY_ANON, 10, 1, 1500, 0, "a");
	evs[1] = mkev(3000, CT_EV_FORK, PC, 10, 1, 4, 11, "a");
	evs[2] = mkev(4000, CT_EV_EXIT, 0, 11, 10, 0, 0, "b");
	evs[2].cgroup_id = 4242;
	buf = make_record(&pl, evs, 3, &len);
	CHECK(buf != NULL, "no buffer");
	if (!buf)
		return;
	CHECK(rec_open(&rd, buf, len, &info, err, sizeof(err)) == 0, "rec_open: %s", err);
	CHECK_EQ(info.version, CT_REC_VERSION);
	CHECK_EQ(info.page_size, 4096);
	CHECK_EQ(info.start_mono_ns, 1000);
	CHECK_EQ(info.start_real_ns, 1700000000000000000ull);
	got = &info.plan;
	CHECK_STR(got->kernel, pl.kernel);
	CHECK_EQ(got->mode, MODE_FENTRY);
	for (int s = 0; s < ST_MAX; s++) {
		CHECK_STR(got->st[s].hook, pl.st[s].hook);
		CHECK_STR(got->st[s].reason, pl.st[s].reason);
		CHECK_EQ(got->st[s].mode, pl.st[s].mode);
		CHECK_EQ(got->st[s].quality, pl.st[s].quality);
	}
	while ((r = rec_next(&rd, &rec, err, sizeof(err))) > 0) {
		if (n < 3) {
			CHECK_EQ(rec.type, CT_REC_EVENT);
			CHECK(!memcmp(&rec.ev, &evs[n], sizeof(rec.ev)), "event %d differs", n);
		} else if (n == 3) {
			CHECK_EQ(rec.type, CT_REC_CGROUP);
			CHECK_EQ(rec.cgroup_id, 4242);
			CHECK_STR(rec.path, "/system.slice/redis.service");
		} else {
			CHECK_EQ(rec.type, CT_REC_STATS);
			CHECK_EQ(rec.lost, 7);
			CHECK_EQ(rec.unclassified, 3);
			CHECK_EQ(rec.end_mono_ns, 99000);
		}
		n++;
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(n, 5);
	CHECK_EQ(rd.records, 5);
	free(buf);
}

/* Every way a file can be wrong gives -1 and names the problem. */
static void record_rejects(void)
{
	struct ct_plan pl;
	struct ct_event ev = mkev(2000, CT_EV_WP, CT_WP_REUSE, 10, 1, 0, 0, "a");
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	struct ct_rec rec;
	char err[256], *buf, *bad;
	size_t len, hdr;
	int n, r;

	plan_fentry(&pl);
	buf = make_record(&pl, &ev, 1, &len);
	if (!buf)
		return;
	bad = malloc(len);
	if (!bad) {
		free(buf);
		return;
	}
	hdr = CT_REC_FIXED_LEN + *(uint32_t *)(buf + 40);

	CHECK(rec_open(&rd, buf, 0, &info, err, sizeof(err)) < 0 && strstr(err, "empty"), "%s", err);
	CHECK(rec_open(&rd, "hello world, not a record at all......................................", 60,
		       &info, err, sizeof(err)) < 0 && strstr(err, "not a cowtrace record"), "%s", err);
	CHECK(rec_open(&rd, buf, 20, &info, err, sizeof(err)) < 0 && strstr(err, "truncated header"),
	      "%s", err);
	CHECK(rec_open(&rd, buf, hdr - 1, &info, err, sizeof(err)) < 0 && strstr(err, "truncated header"),
	      "%s", err);
	memcpy(bad, buf, len);
	bad[8] = 2;
	CHECK(rec_open(&rd, bad, len, &info, err, sizeof(err)) < 0 && strstr(err, "version 2"), "%s", err);
	memcpy(bad, buf, len);
	bad[16] = 56; /* an older event size */
	CHECK(rec_open(&rd, bad, len, &info, err, sizeof(err)) < 0 && strstr(err, "event size 56"),
	      "%s", err);
	/* Cut inside the first event: nothing before it, then the error. */
	CHECK(rec_open(&rd, buf, hdr + 8 + 20, &info, err, sizeof(err)) == 0, "%s", err);
	r = rec_next(&rd, &rec, err, sizeof(err));
	CHECK(r < 0 && strstr(err, "cut mid-record"), "r=%d %s", r, err);
	/* Cut inside the cgroup record: the event first, then the error. */
	CHECK(rec_open(&rd, buf, hdr + 72 + 12, &info, err, sizeof(err)) == 0, "%s", err);
	n = 0;
	while ((r = rec_next(&rd, &rec, err, sizeof(err))) > 0)
		n++;
	CHECK(n == 1 && r < 0 && strstr(err, "cut mid-record"), "n=%d r=%d %s", n, r, err);
	CHECK_EQ(rd.records, 1);
	/* A non-zero reserved field is corruption, not a record. */
	memcpy(bad, buf, len);
	bad[hdr + 72 + 4] = 1;
	CHECK(rec_open(&rd, bad, len, &info, err, sizeof(err)) == 0, "%s", err);
	n = 0;
	while ((r = rec_next(&rd, &rec, err, sizeof(err))) > 0)
		n++;
	CHECK(n == 1 && r < 0 && strstr(err, "corrupted record"), "n=%d r=%d %s", n, r, err);
	/* An event record of the wrong length. */
	memcpy(bad, buf, len);
	bad[hdr + 2] = 63;
	CHECK(rec_open(&rd, bad, len, &info, err, sizeof(err)) == 0, "%s", err);
	r = rec_next(&rd, &rec, err, sizeof(err));
	CHECK(r < 0 && strstr(err, "corrupted record"), "r=%d %s", r, err);
	/* An unknown record type is skipped: the event after it still comes. */
	memcpy(bad, buf, len);
	bad[hdr] = 9; /* the event becomes type 9 */
	CHECK(rec_open(&rd, bad, len, &info, err, sizeof(err)) == 0, "%s", err);
	r = rec_next(&rd, &rec, err, sizeof(err));
	CHECK(r == 1 && rec.type == CT_REC_CGROUP, "r=%d type %d", r, rec.type);
	free(bad);
	free(buf);
}

/* ---- eviction ---- */

/* n children of pid 1 "sh": each forks, copies one page (kind anon), exits. */
static void churn(struct ct_agg *a, uint32_t n, uint32_t first_pid, uint64_t *ts)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t pid = first_pid + i;

		CHECK(add(a, ++*ts, CT_EV_FORK, PC, 1, 0, 0, pid, "sh") == 0, "fork");
		CHECK(wp(a, ++*ts, CT_WP_COPY_ANON, pid, 1, 100, i % 2 ? "job-odd" : "job-even") == 0, "wp");
		CHECK(add(a, ++*ts, CT_EV_EXIT, 0, pid, 1, 0, 0, "job") == 0, "exit");
	}
}

static void agg_evict_bounded(void)
{
	struct ct_agg a;
	uint64_t ts = 0, copies = 0, folded = 0, exited_rows = 0, child_copies = 0;

	agg_init(&a, 4096);
	a.max_exited = 64;
	churn(&a, 5000, 1000, &ts);
	/* 1 live parent, at most 64 exited kept, two folds ("job" twice: odd/even comm is overwritten by exit). */
	CHECK(a.nprocs <= 1 + 64 + 2, "nprocs %u", a.nprocs);
	CHECK(a.nexited <= 64, "nexited %u", a.nexited);
	for (uint32_t i = 0; i < a.nprocs; i++) {
		const struct ct_proc *p = &a.procs[i];

		copies += proc_copies(p);
		folded += p->folded;
		exited_rows += p->exited && p->pid;
		if (!p->pid)
			CHECK(p->exited && p->folded > 0, "fold row without processes");
		if (p->pid && p->pid != 1)
			CHECK_EQ(proc_copies(p), 1); /* never two processes in one row */
	}
	CHECK_EQ(copies, 5000);
	CHECK_EQ(folded, a.evicted);
	CHECK_EQ(folded + exited_rows, 5000);
	/* Fork records: bounded, and nothing lost from their sums. */
	CHECK(a.nforks <= 1024 + 64 + 1, "nforks %u", a.nforks);
	for (uint32_t i = 0; i < a.nforks; i++)
		child_copies += a.forks[i].child_copies;
	CHECK_EQ(a.forks_folded.child + a.nforks, 5000);
	CHECK_EQ(child_copies + a.forks_folded.child_copies, 5000);
	/* The parent is live and still findable; lookups still work after compaction. */
	CHECK(agg_find(&a, 1) != NULL, "parent lost");
	CHECK(agg_find(&a, 1000) == NULL, "exited pid still indexed");
	agg_free(&a);
}

static bool keep_pid_1002(void *ctx, const struct ct_proc *p)
{
	(void)ctx;
	return p->pid == 1002;
}

static void agg_evict_keep_and_reuse(void)
{
	struct ct_agg a;
	uint64_t ts = 0;
	int rows_1002 = 0;

	agg_init(&a, 4096);
	a.max_exited = 4;
	a.keep = keep_pid_1002;
	churn(&a, 100, 1000, &ts);
	/* pid 1002 again: a new process with the same pid, never merged. */
	churn(&a, 1, 1002, &ts);
	CHECK(wp(&a, ++ts, CT_WP_REUSE, 1002, 1, 0, "x") == 0, "wp");
	for (uint32_t i = 0; i < a.nprocs; i++)
		if (a.procs[i].pid == 1002 && a.procs[i].exited) {
			rows_1002++;
			CHECK_EQ(proc_copies(&a.procs[i]), 1);
		}
	/* The first is kept from eviction; the second may be folded; the third is live. */
	CHECK(rows_1002 >= 1, "pid 1002 rows: %d", rows_1002);
	CHECK(a.procs[0].pid != 1000 && a.evicted > 0, "nothing evicted");
	CHECK(agg_find(&a, 1002) && agg_find(&a, 1002)->wp[CT_WP_REUSE] == 1 &&
	      proc_copies(agg_find(&a, 1002)) == 0, "live pid 1002 merged with an earlier one");
	agg_free(&a);
}

/* A fork whose child pid is still live (exit lost): the old process ends there. */
static void agg_pid_reuse_without_exit(void)
{
	struct ct_agg a;
	uint64_t ts = 0;
	const struct ct_proc *p;

	agg_init(&a, 4096);
	CHECK(add(&a, ++ts, CT_EV_FORK, PC, 1, 0, 0, 50, "sh") == 0, "fork");
	CHECK(wp(&a, ++ts, CT_WP_COPY_ANON, 50, 1, 0, "one") == 0, "wp");
	CHECK(add(&a, ++ts, CT_EV_FORK, PC, 1, 0, 0, 50, "sh") == 0, "fork");
	CHECK(wp(&a, ++ts, CT_WP_COPY_ZERO, 50, 1, 0, "two") == 0, "wp");
	p = agg_find(&a, 50);
	CHECK(p && p->wp[CT_WP_COPY_ANON] == 0 && p->wp[CT_WP_COPY_ZERO] == 1, "merged");
	CHECK_EQ(a.nexited, 1);
	agg_free(&a);
}

/* ---- Prometheus labels ---- */

static void prom_cgroup_and_pid_labels(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	struct prom_state st;
	char *buf = NULL;
	size_t n = 0;
	FILE *f;
	struct ct_event e = mkev(10, CT_EV_WP, CT_WP_COPY_ANON, 77, 1, 100, 0, "redis");

	agg_init(&a, 4096);
	plan_fentry(&pl);
	e.cgroup_id = 555;
	agg_add(&a, &e);
	e.pid = 78;
	e.cgroup_id = 556; /* no name known */
	agg_add(&a, &e);
	CHECK(agg_set_cgroup_name(&a, 555, "/system.slice/redis.service") == 0, "set name");
	memset(&r, 0, sizeof(r));
	r.agg = &a;
	r.plan = &pl;
	prom_init(&st, PROM_BY_CGROUP, 5);
	f = open_memstream(&buf, &n);
	output_prom(f, &r, &st);
	fclose(f);
	CHECK(buf && strstr(buf, "cowtrace_cow_copies_total{cgroup=\"/system.slice/redis.service\",kind=\"anon\"} 1\n"),
	      "named cgroup series missing:\n%s", buf ? buf : "");
	CHECK(buf && strstr(buf, "cowtrace_cow_copies_total{cgroup=\"cgroup-id:556\",kind=\"anon\"} 1\n"),
	      "unnamed cgroup series missing");
	free(buf);
	prom_free(&st);
	/* pid labels: a chosen pid is kept from eviction, others are not. */
	prom_init(&st, PROM_BY_PID, 1);
	buf = NULL;
	f = open_memstream(&buf, &n);
	output_prom(f, &r, &st);
	fclose(f);
	CHECK(buf && strstr(buf, "cowtrace_cow_copies_total{pid=\"77\",kind=\"anon\"} 1\n"), "pid 77 series");
	CHECK(buf && strstr(buf, "cowtrace_cow_copies_total{pid=\"other\",kind=\"anon\"} 1\n"), "other series");
	CHECK(prom_keeps(&st, agg_find(&a, 77)) && !prom_keeps(&st, agg_find(&a, 78)), "prom_keeps");
	free(buf);
	prom_free(&st);
	agg_free(&a);
}

static void json_event_lines(void)
{
	struct ct_event e = mkev(123, CT_EV_WP, CT_WP_COPY_ANON, 10, 1, 1500, 0, "a\"b");
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	e.tid = 11;
	e.cgroup_id = 9;
	output_json_event(f, &e);
	e = mkev(124, CT_EV_FORK, PC, 10, 1, 4, 12, "a");
	output_json_event(f, &e);
	e = mkev(125, 99, 0, 10, 1, 4, 12, "a"); /* unknown: no line */
	output_json_event(f, &e);
	fclose(f);
	CHECK_STR(buf, "{\"event\":\"wp\",\"ts_ns\":123,\"pid\":10,\"tid\":11,\"ppid\":1,\"comm\":\"a\\\"b\","
		       "\"cgroup_id\":9,\"kind\":\"copy_anon\",\"latency_ns\":1500}\n"
		       "{\"event\":\"fork\",\"ts_ns\":124,\"pid\":10,\"tid\":10,\"ppid\":1,\"comm\":\"a\","
		       "\"cgroup_id\":0,\"child\":12,\"pinned_cow\":4,\"parent_traced\":true,\"child_traced\":true}\n");
	free(buf);
}

int main(int argc, char **argv)
{
	const char *ug = getenv("UPDATE_GOLDEN");

	if (argc > 1)
		golden_dir = argv[1];
	if (argc > 2)
		snprintf(fixtures_dir, sizeof(fixtures_dir), "%s", argv[2]);
	else
		snprintf(fixtures_dir, sizeof(fixtures_dir), "%s/../fixtures", golden_dir);
	update_golden = ug && !strcmp(ug, "1");

	RUN(agg_counts_every_kind);
	RUN(agg_default_page_size);
	RUN(agg_latency_histograms);
	RUN(agg_fork_records_and_charging);
	RUN(agg_exit_then_pid_reuse);
	RUN(agg_fork_child_pid_seen_before);
	RUN(agg_fork_reused_pid_marks_old_exited);
	RUN(agg_bad_type_changes_nothing);
	RUN(agg_bad_kind_changes_nothing);
	RUN(agg_comm_and_ppid_follow_latest);
	RUN(agg_many_pids_with_exits);
	RUN(agg_index_random_small_range);
	RUN(agg_index_wraparound_cluster);
	RUN(agg_sorted_order);
	RUN(hist_slot_boundaries);
	RUN(hist_upper_last_slot_open);
	RUN(hist_count_sum_merge);
	RUN(hist_print_nsecs);
	RUN(hist_print_usecs_rebin);
	RUN(plan_names_and_set);
	RUN(gfp_format_6_18);
	RUN(gfp_format_5_10_hex);
	RUN(gfp_format_synthetic);
	RUN(gfp_format_missing_flags);
	RUN(util_parse_uint);
	RUN(util_parse_uint_leading_space_sign);
	RUN(util_parse_seconds);
	RUN(golden_numbers);
	RUN(golden_text_fentry);
	RUN(golden_json_fentry);
	RUN(golden_text_tp);
	RUN(golden_json_tp);
	RUN(json_parser_self_test);
	RUN(json_structure_fentry);
	RUN(json_structure_tp);
	RUN(json_empty_report);
	RUN(text_unavailable_counters_print_na);
	RUN(text_unavailable_uffd_blocked_hidden);
	RUN(text_unavailable_fork_to_copy_hidden);
	RUN(text_unavailable_wp_latency_hidden);
	RUN(text_unavailable_fork_pinned_na);
	RUN(record_roundtrip);
	RUN(record_rejects);
	RUN(agg_evict_bounded);
	RUN(agg_evict_keep_and_reuse);
	RUN(agg_pid_reuse_without_exit);
	RUN(prom_cgroup_and_pid_labels);
	RUN(json_event_lines);

	printf("%d passed, %d failed\n", n_passed, n_failed);
	return n_failed ? 1 : 0;
}
