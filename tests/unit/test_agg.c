// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the aggregation (src/agg.c) and the process table under it
 * (src/proctab.c): counters of every event kind, latency histograms, fork
 * records and charging, process lifetime and pid reuse, bad events, the pid
 * index, the sort order, eviction.  TEST_PATHS tests feed the kernel's
 * records (the live path, kfeed.h) and then one event per fault (replay);
 * the tests of agg_add()'s own checks and of lost exits between events
 * feed events only.
 */
#include "harness.h"
#include "streams.h"

/* One event through the kernel's side (kfeed.h): its path says what the aggregation gets. */
static int add(struct kfeed *kf, uint64_t ts, unsigned type, unsigned kind, uint32_t pid,
	       uint32_t ppid, uint64_t value, uint32_t aux, const char *comm)
{
	struct ct_event e = mkev(ts, type, kind, pid, ppid, value, aux, comm);

	return kf_event(kf, &e);
}

static int wp(struct kfeed *kf, uint64_t ts, unsigned kind, uint32_t pid, uint32_t ppid,
	      uint64_t lat, const char *comm)
{
	return add(kf, ts, CT_EV_WP, kind, pid, ppid, lat, 0, comm);
}

/*
 * Pages a fork copied at once, as the kernel tells them: the fork (its
 * value, the parent alone traced) and, on the per-event path, the pinned
 * event beside it.
 */
static void pinned_fork(struct kfeed *kf, uint64_t ts, uint32_t pid, uint32_t ppid, uint64_t pages,
			uint32_t child, const char *comm)
{
	CHECK(add(kf, ts, CT_EV_FORK, CT_FORK_PARENT_TRACED, pid, ppid, pages, child, comm) == 0, "fork");
	CHECK(add(kf, ts, CT_EV_PINNED, 0, pid, ppid, pages, child, comm) == 0, "pinned");
}

static int proc_index(const struct ct_agg *a, const struct ct_proc *p)
{
	return p ? (int)(p - a->t.procs) : -1;
}

/* --------------------------------------------------- aggregation: counters */

TEST_PATHS(agg_counts_every_kind)
{
	struct ct_agg a;
	struct kfeed kf;
	struct ct_proc *p;
	static const unsigned wp_n[CT_WP_KIND_MAX] = {
		[CT_WP_REUSE] = 3, [CT_WP_COPY_ANON] = 2, [CT_WP_COPY_ZERO] = 1,
		[CT_WP_COPY_FILE] = 4, [CT_WP_COPY_KSM] = 1, [CT_WP_UNSHARE] = 2,
		[CT_WP_SHARED_REUSE] = 5,
	};
	uint64_t ts = 1000;

	CHECK(agg_init(&a, 4096) == 0, "agg_init failed");
	kf_init(&kf, &a, path);
	for (unsigned k = 0; k < CT_WP_KIND_MAX; k++)
		for (unsigned i = 0; i < wp_n[k]; i++)
			CHECK(wp(&kf, ts++, k, 42, 1, 0, "kinds") == 0, "wp kind %u rejected", k);
	add(&kf, ts++, CT_EV_THP, CT_THP_REUSE, 42, 1, 0, 0, "kinds");
	add(&kf, ts++, CT_EV_THP, CT_THP_REUSE, 42, 1, 0, 0, "kinds");
	add(&kf, ts++, CT_EV_THP, CT_THP_SPLIT, 42, 1, 0, 0, "kinds");
	add(&kf, ts++, CT_EV_UFFD, CT_UFFD_MISSING, 42, 1, 0, 0, "kinds");
	add(&kf, ts++, CT_EV_UFFD, CT_UFFD_WP, 42, 1, 0, 0, "kinds");
	add(&kf, ts++, CT_EV_UFFD, CT_UFFD_WP, 42, 1, 0, 0, "kinds");
	kf_snapshot(&kf);
	for (int i = 0; i < 3; i++)
		add(&kf, ts++, CT_EV_UFFD, CT_UFFD_MINOR, 42, 1, 0, 0, "kinds");
	add(&kf, ts++, CT_EV_UFFD, CT_UFFD_SIGBUS, 42, 1, 0, 0, "kinds");
	pinned_fork(&kf, ts++, 42, 1, 7, 43, "kinds");
	pinned_fork(&kf, ts++, 42, 1, 2, 44, "kinds");
	add(&kf, ts++, CT_EV_MARKER, 0, 42, 1, 10, 0, "kinds");
	add(&kf, ts++, CT_EV_MARKER, 0, 42, 1, 5, 0, "kinds");
	kf_snapshot(&kf);

	/* 18 WP + 3 THP + 7 UFFD + 2 FORK + 2 PINNED + 2 MARKER = 34 events, one process */
	if (path == KF_EVENTS)
		CHECK_EQ(a.events, 34);
	CHECK_EQ(a.bad_events, 0);
	CHECK_EQ(a.t.nprocs, 1);
	p = agg_find(&a, 42);
	CHECK(p != NULL, "pid 42 not found");
	if (!p)
		goto out;
	for (unsigned k = 0; k < CT_WP_KIND_MAX; k++)
		CHECK(p->c[CT_C_WP + k] == wp_n[k], "wp[%u] = %llu, expected %u", k,
		      (unsigned long long)p->c[CT_C_WP + k], wp_n[k]);
	CHECK_EQ(p->c[CT_C_THP + CT_THP_REUSE], 2);
	CHECK_EQ(p->c[CT_C_THP + CT_THP_SPLIT], 1);
	CHECK_EQ(p->c[CT_C_UFFD + CT_UFFD_MISSING], 1);
	CHECK_EQ(p->c[CT_C_UFFD + CT_UFFD_WP], 2);
	CHECK_EQ(p->c[CT_C_UFFD + CT_UFFD_MINOR], 3);
	CHECK_EQ(p->c[CT_C_UFFD + CT_UFFD_SIGBUS], 1);
	CHECK_EQ(p->c[CT_C_PINNED], 9);      /* 7 + 2 pages */
	CHECK_EQ(p->c[CT_C_MARKER], 15); /* 10 + 5 markers */
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
	CHECK_EQ(p->c[CT_C_FORKS], 2);
	CHECK_EQ(a.nforks, 2);
	/*
	 * WP/THP with value 0 take no latency sample (not timed), nor UFFD
	 * with 0 (it did not block: SIGBUS, or never waited): no histograms.
	 */
	CHECK(p->h == NULL, "histograms from untimed events");
	CHECK_EQ(a.first_ns, 1000);
	CHECK_EQ(a.last_ns, ts - 1);
out:
	agg_free(&a);
}

TEST(agg_default_page_size)
{
	struct ct_agg a;

	CHECK(agg_init(&a, 0) == 0, "agg_init failed");
	CHECK_EQ(a.page_size, 4096);
	agg_free(&a);
	CHECK(agg_init(&a, 65536) == 0, "agg_init failed");
	CHECK_EQ(a.page_size, 65536);
	agg_free(&a);
}

TEST_PATHS(agg_latency_histograms)
{
	struct ct_agg a;
	struct kfeed kf;
	struct ct_proc *p;

	agg_init(&a, 4096);
	kf_init(&kf, &a, path);
	wp(&kf, 10, CT_WP_REUSE, 7, 1, 0, "lat");
	kf_snapshot(&kf);
	p = agg_find(&a, 7);
	CHECK(p && p->h == NULL, "histograms allocated without a timed sample");
	wp(&kf, 11, CT_WP_REUSE, 7, 1, 100, "lat");
	wp(&kf, 12, CT_WP_COPY_ZERO, 7, 1, 3000, "lat");
	wp(&kf, 13, CT_WP_COPY_KSM, 7, 1, 5000, "lat");
	wp(&kf, 14, CT_WP_SHARED_REUSE, 7, 1, 50, "lat");
	wp(&kf, 15, CT_WP_UNSHARE, 7, 1, 7000, "lat");
	add(&kf, 16, CT_EV_THP, CT_THP_SPLIT, 7, 1, 9000, 0, "lat");
	add(&kf, 17, CT_EV_THP, CT_THP_REUSE, 7, 1, 1000, 0, "lat");
	add(&kf, 18, CT_EV_UFFD, CT_UFFD_WP, 7, 1, 123456, 0, "lat");
	kf_snapshot(&kf);
	p = agg_find(&a, 7);
	CHECK(p && p->h, "no histograms");
	if (p && p->h) {
		const struct ct_proc_hists *h = p->h;

		CHECK_EQ(h->h[CT_H_LAT_REUSE].count, 1);
		CHECK_EQ(h->h[CT_H_LAT_REUSE].sum, 100);
		CHECK_EQ(h->h[CT_H_LAT_REUSE].slot[7], 1); /* 64 <= 100 < 128 */
		CHECK_EQ(h->h[CT_H_LAT_COPY].count, 2);     /* zero + ksm */
		CHECK_EQ(h->h[CT_H_LAT_COPY].sum, 8000);
		CHECK_EQ(h->h[CT_H_LAT_SHARED_REUSE].count, 1);
		CHECK_EQ(h->h[CT_H_LAT_SHARED_REUSE].sum, 50);
		CHECK_EQ(h->h[CT_H_LAT_UNSHARE].count, 1);
		CHECK_EQ(h->h[CT_H_LAT_UNSHARE].sum, 7000);
		CHECK_EQ(h->h[CT_H_LAT_THP].count, 2);      /* split + reuse */
		CHECK_EQ(h->h[CT_H_LAT_THP].sum, 10000);
		CHECK_EQ(h->h[CT_H_UFFD_BLOCKED + CT_UFFD_WP].count, 1);
		CHECK_EQ(h->h[CT_H_UFFD_BLOCKED + CT_UFFD_WP].sum, 123456);
		CHECK_EQ(h->h[CT_H_UFFD_BLOCKED + CT_UFFD_WP].slot[17], 1); /* 65536 <= 123456 < 131072 */
		CHECK_EQ(h->h[CT_H_UFFD_BLOCKED + CT_UFFD_MISSING].count, 0);
	}
	agg_free(&a);
}

/* ------------------------------------------------------ aggregation: forks */

TEST_PATHS(agg_fork_records_and_charging)
{
	struct ct_agg a;
	struct kfeed kf;
	struct ct_proc *p10, *p11, *p12, *p13, *p15;
	const struct ct_fork *f;

	agg_init(&a, 4096);
	kf_init(&kf, &a, path);
	wp(&kf, 1000, CT_WP_REUSE, 10, 1, 0, "parent");
	add(&kf, 2000, CT_EV_PINNED, 0, 10, 1, 4, 11, "parent");
	add(&kf, 2000, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 10, 1, 4, 11, "parent");
	kf_snapshot(&kf);
	CHECK_EQ(a.nforks, 1);
	CHECK_EQ(a.t.nprocs, 2);
	p10 = agg_find(&a, 10);
	p11 = agg_find(&a, 11);
	CHECK(p10 && p11, "parent or child missing after FORK");
	if (!p10 || !p11)
		goto out;
	CHECK_EQ(p10->c[CT_C_FORKS], 1);
	CHECK_EQ(p10->last_fork, 0);
	CHECK(p10->birth_fork == -1, "birth_fork %d", p10->birth_fork);
	CHECK_EQ(p10->c[CT_C_PINNED], 4);
	CHECK_EQ(p11->ppid, 10);
	CHECK_STR(p11->comm, "parent");
	CHECK_EQ(p11->birth_fork, 0);
	CHECK(p11->last_fork == -1, "last_fork %d", p11->last_fork);
	CHECK_EQ(p11->first_ns, 2000);
	CHECK_EQ(p11->c[CT_C_FORKS], 0);
	CHECK_EQ(p11->c[CT_C_PINNED], 0);
	f = &a.forks[0];
	CHECK_EQ(f->parent, 10);
	CHECK_EQ(f->child, 11);
	CHECK_EQ(f->ts_ns, 2000);
	CHECK_EQ(f->pinned_cow, 4);

	wp(&kf, 2500, CT_WP_COPY_ANON, 11, 10, 0, "child");   /* fork0 child   +1, 500 ns */
	wp(&kf, 3000, CT_WP_COPY_ANON, 10, 1, 0, "parent");   /* fork0 parent  +1, 1000 ns */
	wp(&kf, 3100, CT_WP_REUSE, 11, 10, 0, "child");       /* not a copy */
	wp(&kf, 3200, CT_WP_UNSHARE, 10, 1, 0, "parent");     /* not a copy kind */
	wp(&kf, 3300, CT_WP_SHARED_REUSE, 11, 10, 0, "child"); /* not a copy */
	add(&kf, 4000, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 10, 1, 0, 12, "parent");
	wp(&kf, 3900, CT_WP_COPY_ANON, 12, 10, 0, "c12");     /* fork1 child +1, ts < fork: no sample */
	wp(&kf, 4100, CT_WP_COPY_FILE, 10, 1, 0, "parent");   /* fork1 parent  +1, 100 ns */
	wp(&kf, 4200, CT_WP_COPY_ZERO, 11, 10, 0, "child");   /* fork0 child   +1, 2200 ns */
	add(&kf, 5000, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 11, 10, 0, 13, "child");
	wp(&kf, 5300, CT_WP_COPY_KSM, 11, 10, 0, "child");    /* fork2 parent  +1, 300 ns */
	wp(&kf, 5400, CT_WP_COPY_ANON, 13, 11, 0, "gchild");  /* fork2 child   +1, 400 ns */
	add(&kf, 6000, CT_EV_FORK, CT_FORK_PARENT_TRACED, 10, 1, 0, 14, "parent");      /* fork3 */
	add(&kf, 6000, CT_EV_FORK, CT_FORK_CHILD_TRACED, 99, 1, 0, 15, "child-only");  /* fork4 */
	wp(&kf, 6500, CT_WP_COPY_ANON, 15, 99, 0, "child-only"); /* fork4 child +1, 500 ns */
	wp(&kf, 6600, CT_WP_COPY_ANON, 10, 1, 0, "parent");   /* fork3 parent  +1, 600 ns */
	kf_snapshot(&kf);

	if (path == KF_EVENTS)
		CHECK_EQ(a.events, 19);
	CHECK_EQ(a.nforks, 5);
	CHECK_EQ(a.t.nprocs, 5); /* 10 11 12 13 15; not 14 (untraced child), not 99 (untraced parent) */
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
	CHECK_EQ(p10->c[CT_C_FORKS], 3);
	CHECK_EQ(p10->last_fork, 3);
	CHECK_EQ(p11->c[CT_C_FORKS], 1);
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
		CHECK_EQ(p10->h->h[CT_H_FORK_TO_COPY].count, 3);   /* 1000, 100, 600 */
		CHECK_EQ(p10->h->h[CT_H_FORK_TO_COPY].sum, 1700);
		CHECK_EQ(p10->h->h[CT_H_FORK_TO_COPY].slot[10], 2); /* 1000 and 600 in [512,1024) */
		CHECK_EQ(p10->h->h[CT_H_FORK_TO_COPY].slot[7], 1);  /* 100 in [64,128) */
	}
	if (p11->h) {
		CHECK_EQ(p11->h->h[CT_H_FORK_TO_COPY].count, 3);   /* 500, 2200, 300 */
		CHECK_EQ(p11->h->h[CT_H_FORK_TO_COPY].sum, 3000);
	}
	CHECK(p12->h == NULL || p12->h->h[CT_H_FORK_TO_COPY].count == 0,
	      "a copy timestamped before its fork got a fork_to_copy sample");
	if (p13->h) {
		CHECK_EQ(p13->h->h[CT_H_FORK_TO_COPY].count, 1);
		CHECK_EQ(p13->h->h[CT_H_FORK_TO_COPY].sum, 400);
	}
	if (p15->h) {
		CHECK_EQ(p15->h->h[CT_H_FORK_TO_COPY].count, 1);
		CHECK_EQ(p15->h->h[CT_H_FORK_TO_COPY].sum, 500);
	}
out:
	agg_free(&a);
}

/* --------------------------------------------------- aggregation: lifetime */

TEST_PATHS(agg_exit_then_pid_reuse)
{
	struct ct_agg a;
	struct kfeed kf;
	struct ct_proc *p;

	agg_init(&a, 4096);
	kf_init(&kf, &a, path);
	wp(&kf, 100, CT_WP_COPY_ANON, 300, 1, 0, "old");
	wp(&kf, 200, CT_WP_COPY_ANON, 300, 1, 0, "old");
	wp(&kf, 300, CT_WP_REUSE, 300, 1, 0, "old");
	add(&kf, 400, CT_EV_EXIT, 0, 300, 1, 0, 0, "old");
	kf_snapshot(&kf);
	CHECK(agg_find(&a, 300) == NULL, "exited pid still found");
	CHECK(a.t.procs[0].exited, "EXIT did not mark the entry exited");
	CHECK_EQ(a.t.procs[0].last_ns, 400);

	wp(&kf, 500, CT_WP_COPY_ZERO, 300, 2, 0, "new");
	kf_snapshot(&kf);
	CHECK_EQ(a.t.nprocs, 2);
	p = agg_find(&a, 300);
	CHECK(p == &a.t.procs[1], "reused pid does not map to a new entry (index %d)",
	      proc_index(&a, p));
	if (p) {
		CHECK_EQ(p->c[CT_C_WP + CT_WP_COPY_ZERO], 1);
		CHECK_EQ(p->c[CT_C_WP + CT_WP_COPY_ANON], 0);
		CHECK_EQ(p->c[CT_C_WP + CT_WP_REUSE], 0);
		CHECK_EQ(p->first_ns, 500);
		CHECK_EQ(p->ppid, 2);
		CHECK(!p->exited, "new entry marked exited");
		CHECK_STR(p->comm, "new");
	}
	/* the old process keeps its own numbers */
	CHECK_EQ(a.t.procs[0].c[CT_C_WP + CT_WP_COPY_ANON], 2);
	CHECK_EQ(a.t.procs[0].c[CT_C_WP + CT_WP_REUSE], 1);
	CHECK_EQ(a.t.procs[0].c[CT_C_WP + CT_WP_COPY_ZERO], 0);
	CHECK_STR(a.t.procs[0].comm, "old");
	CHECK(a.t.procs[0].exited, "old entry lost its exited mark");

	/* EXIT of a pid never seen: counted, changes nothing else */
	CHECK(add(&kf, 600, CT_EV_EXIT, 0, 777, 1, 0, 0, "x") == 0, "EXIT of unknown pid rejected");
	kf_snapshot(&kf);
	CHECK_EQ(a.t.nprocs, 2);
	if (path == KF_EVENTS)
		CHECK_EQ(a.events, 6);

	/* reuse through a FORK after an EXIT */
	add(&kf, 700, CT_EV_EXIT, 0, 300, 2, 0, 0, "new");
	kf_snapshot(&kf);
	CHECK(a.t.procs[1].exited, "second EXIT did not mark the new entry");
	add(&kf, 800, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 5, 1, 0, 300, "forker");
	kf_snapshot(&kf);
	p = agg_find(&a, 300);
	CHECK_EQ(a.t.nprocs, 4); /* old 300, new 300, 5, third 300 */
	CHECK(p && proc_index(&a, p) == 3, "forked child with reused pid is not a new entry (%d)",
	      proc_index(&a, p));
	if (p) {
		CHECK_EQ(p->birth_fork, 0);
		CHECK_EQ(p->ppid, 5);
		CHECK_EQ(p->c[CT_C_WP + CT_WP_COPY_ZERO], 0);
	}
	CHECK_EQ(a.t.procs[1].c[CT_C_WP + CT_WP_COPY_ZERO], 1);
	agg_free(&a);
}

TEST(agg_fork_child_pid_seen_before)
{
	struct ct_agg a;
	struct kfeed kf;
	struct ct_proc *p;

	agg_init(&a, 4096);
	kf_init(&kf, &a, KF_EVENTS);
	wp(&kf, 100, CT_WP_COPY_ANON, 400, 1, 0, "stale");
	wp(&kf, 150, CT_WP_REUSE, 400, 1, 0, "stale");
	/* No EXIT for 400 (e.g. lost): a FORK creating child 400 means a new process. */
	add(&kf, 200, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 1, 0, 0, 400, "init");
	CHECK_EQ(a.t.nprocs, 3); /* stale 400, 1, new 400 */
	p = agg_find(&a, 400);
	CHECK(p && proc_index(&a, p) == 2, "child 400 did not get a fresh entry (%d)",
	      proc_index(&a, p));
	if (p) {
		CHECK_EQ(p->c[CT_C_WP + CT_WP_COPY_ANON], 0);
		CHECK_EQ(p->c[CT_C_WP + CT_WP_REUSE], 0);
		CHECK_EQ(p->birth_fork, 0);
		CHECK_EQ(p->ppid, 1);
		CHECK_EQ(p->first_ns, 200);
	}
	CHECK_EQ(a.t.procs[0].c[CT_C_WP + CT_WP_COPY_ANON], 1);
	CHECK_EQ(a.t.procs[0].c[CT_C_WP + CT_WP_REUSE], 1);
	wp(&kf, 300, CT_WP_COPY_FILE, 400, 1, 0, "init");
	CHECK_EQ(a.t.procs[2].c[CT_C_WP + CT_WP_COPY_FILE], 1);
	CHECK_EQ(a.t.procs[0].c[CT_C_WP + CT_WP_COPY_FILE], 0);
	CHECK_EQ(a.forks[0].child_copies, 1);
	agg_free(&a);
}

/*
 * The stale entry's process is gone for sure (its pid was handed to a new
 * child), so it must not be reported as a live process next to the new one.
 */
TEST(agg_fork_reused_pid_marks_old_exited)
{
	struct ct_agg a;
	struct kfeed kf;

	agg_init(&a, 4096);
	kf_init(&kf, &a, KF_EVENTS);
	wp(&kf, 100, CT_WP_COPY_ANON, 400, 1, 0, "stale");
	add(&kf, 200, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 1, 0, 0, 400, "init");
	CHECK_EQ(a.t.nprocs, 3);
	CHECK(a.t.procs[0].exited, "stale entry for pid 400 is not marked exited after its pid "
	      "was reused by a FORK (two live rows for pid 400)");
	CHECK(!a.t.procs[2].exited, "new entry marked exited");
	agg_free(&a);
}

TEST(agg_bad_type_changes_nothing)
{
	struct ct_agg a;
	struct kfeed kf;
	struct ct_proc snap;
	static const unsigned bad_types[] = { 0, CT_EV_TYPE_MAX, CT_EV_TYPE_MAX + 1, 0xffff };

	agg_init(&a, 4096);
	kf_init(&kf, &a, KF_EVENTS);
	wp(&kf, 1000, CT_WP_REUSE, 50, 1, 0, "good");
	snap = a.t.procs[0];
	for (unsigned i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		CHECK(add(&kf, 5, bad_types[i], 0, 50, 9, 1, 0, "bad") == -1,
		      "type %u accepted", bad_types[i]);
		CHECK(add(&kf, 99999, bad_types[i], 0, 51, 9, 1, 0, "bad") == -1,
		      "type %u accepted", bad_types[i]);
	}
	CHECK_EQ(a.bad_events, 8);
	CHECK_EQ(a.events, 1);
	CHECK_EQ(a.t.nprocs, 1);
	CHECK_EQ(a.nforks, 0);
	CHECK_EQ(a.first_ns, 1000);
	CHECK_EQ(a.last_ns, 1000);
	CHECK(agg_find(&a, 51) == NULL, "bad event created pid 51");
	CHECK(!memcmp(&snap, &a.t.procs[0], sizeof(snap)), "bad event modified pid 50's entry");
	agg_free(&a);
}

TEST(agg_bad_kind_changes_nothing)
{
	struct ct_agg a;
	struct kfeed kf;
	struct ct_proc snap;
	static const struct { unsigned type, kind; } bad[] = {
		{ CT_EV_WP, CT_WP_KIND_MAX }, { CT_EV_WP, 0xffff },
		{ CT_EV_THP, CT_THP_KIND_MAX }, { CT_EV_UFFD, CT_UFFD_KIND_MAX },
	};

	agg_init(&a, 4096);
	kf_init(&kf, &a, KF_EVENTS);
	wp(&kf, 1000, CT_WP_REUSE, 50, 1, 0, "good");
	snap = a.t.procs[0];
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(add(&kf, 5, bad[i].type, bad[i].kind, 50, 9, 1, 0, "bad") == -1,
		      "type %u kind %u accepted", bad[i].type, bad[i].kind);
		CHECK(add(&kf, 99999, bad[i].type, bad[i].kind, 51, 9, 1, 0, "bad") == -1,
		      "type %u kind %u accepted", bad[i].type, bad[i].kind);
	}
	CHECK_EQ(a.bad_events, 8);
	CHECK_EQ(a.events, 1);
	CHECK_EQ(a.t.nprocs, 1);
	CHECK(agg_find(&a, 51) == NULL, "event with a bad kind created an entry for pid 51");
	CHECK(!memcmp(&snap, &a.t.procs[0], sizeof(snap)),
	      "event with a bad kind modified pid 50 (comm now \"%s\", ppid %u, last_ns %llu)",
	      a.t.procs[0].comm, a.t.procs[0].ppid, (unsigned long long)a.t.procs[0].last_ns);
	CHECK_EQ(a.first_ns, 1000);
	CHECK_EQ(a.last_ns, 1000);
	agg_free(&a);
}

TEST_PATHS(agg_comm_and_ppid_follow_latest)
{
	struct ct_agg a;
	struct kfeed kf;
	struct ct_proc *p;

	agg_init(&a, 4096);
	kf_init(&kf, &a, path);
	wp(&kf, 1, CT_WP_REUSE, 60, 1, 0, "sh");
	wp(&kf, 2, CT_WP_REUSE, 60, 1, 0, "python3");
	kf_snapshot(&kf);
	p = agg_find(&a, 60);
	CHECK(p != NULL, "pid 60 missing");
	if (p)
		CHECK_STR(p->comm, "python3");
	wp(&kf, 3, CT_WP_REUSE, 60, 0, 0, "abcdefghijklmnop"); /* 16 bytes, no NUL */
	kf_snapshot(&kf);
	p = agg_find(&a, 60);
	if (p) {
		CHECK_STR(p->comm, "abcdefghijklmno");
		CHECK_EQ(p->ppid, 1);  /* ppid 0 does not overwrite */
		CHECK_EQ(p->last_ns, 3);
	}
	wp(&kf, 4, CT_WP_REUSE, 60, 77, 0, "python3"); /* reparented */
	kf_snapshot(&kf);
	p = agg_find(&a, 60);
	if (p) {
		CHECK_EQ(p->ppid, 77);
		CHECK_STR(p->comm, "python3");
	}
	/* a new entry from a 16-byte comm is terminated too */
	wp(&kf, 5, CT_WP_REUSE, 61, 1, 0, "ABCDEFGHIJKLMNOP");
	kf_snapshot(&kf);
	p = agg_find(&a, 61);
	if (p)
		CHECK_STR(p->comm, "ABCDEFGHIJKLMNO");
	/* out-of-order timestamps never move last_ns back */
	wp(&kf, 2, CT_WP_REUSE, 60, 77, 0, "python3");
	kf_snapshot(&kf);
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
		} else if (model[pid] >= 0 && p != &a->t.procs[model[pid]]) {
			if (bad++ < 3)
				CHECK(0, "pid %u: found index %d, expected %d", pid, proc_index(a, p),
				      model[pid]);
		}
	}
	CHECK(a->t.index_used == live, "index_used %u, live %u", a->t.index_used, live);
	return bad;
}

TEST(agg_many_pids_with_exits)
{
	enum { N = 100000 };
	struct ct_agg a;
	struct kfeed kf;
	int32_t *model = malloc((N + 200) * sizeof(*model));
	uint32_t bad = 0;

	if (!model) {
		CHECK(0, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < N + 200; i++)
		model[i] = -1;
	agg_init(&a, 4096);
	kf_init(&kf, &a, KF_EVENTS); /* the index alone: more pids than kfeed models */
	/* 100000 distinct pids; exits interleaved (earlier pids, and some at once) */
	for (uint32_t pid = 1; pid <= N; pid++) {
		wp(&kf, pid, CT_WP_COPY_ANON, pid, 1, 0, "many");
		model[pid] = (int32_t)(a.t.nprocs - 1);
		if (pid % 4 == 0) {
			add(&kf, pid, CT_EV_EXIT, 0, pid / 2, 1, 0, 0, "many");
			model[pid / 2] = -1;
		}
		if (pid % 7 == 0) {
			add(&kf, pid, CT_EV_EXIT, 0, pid, 1, 0, 0, "many");
			model[pid] = -1;
		}
	}
	CHECK_EQ(a.t.nprocs, N);
	bad += check_model(&a, model, N + 200);
	/* every live pid finds its own entry with the right numbers */
	for (uint32_t pid = 1; pid <= N && bad < 3; pid++) {
		struct ct_proc *p = agg_find(&a, pid);

		if (model[pid] >= 0 && p && (p->pid != pid || p->c[CT_C_WP + CT_WP_COPY_ANON] != 1 || p->exited)) {
			CHECK(0, "pid %u entry corrupt", pid);
			bad++;
		}
	}
	/* reuse a fifth of the exited pids, then exit live pids in a random order */
	for (uint32_t pid = 5; pid <= N; pid += 5) {
		if (model[pid] >= 0)
			continue;
		wp(&kf, N + pid, CT_WP_COPY_ZERO, pid, 1, 0, "again");
		model[pid] = (int32_t)(a.t.nprocs - 1);
	}
	bad += check_model(&a, model, N + 200);
	for (int i = 0; i < 60000; i++) {
		uint32_t pid = 1 + lcg() % N;

		add(&kf, 3 * N + i, CT_EV_EXIT, 0, pid, 1, 0, 0, "x");
		model[pid] = -1;
	}
	bad += check_model(&a, model, N + 200);
	for (uint32_t pid = 1; pid <= N; pid++)
		if (model[pid] >= 0 && a.t.procs[model[pid]].exited && bad++ < 3)
			CHECK(0, "live pid %u marked exited", pid);
	agg_free(&a);
	free(model);
}

/* Random adds and exits in a small pid range: many deletions inside clusters. */
TEST(agg_index_random_small_range)
{
	enum { NP = 3000 };
	struct ct_agg a;
	struct kfeed kf;
	int32_t model[NP];
	int bad = 0;

	lcg_state = 777;
	for (int i = 0; i < NP; i++)
		model[i] = -1;
	agg_init(&a, 4096);
	kf_init(&kf, &a, KF_EVENTS); /* the index alone: more pids than kfeed models */
	for (int op = 0; op < 200000 && bad < 3; op++) {
		uint32_t pid = 1 + lcg() % (NP - 1);

		if (lcg() % 3 == 0) {
			add(&kf, op, CT_EV_EXIT, 0, pid, 1, 0, 0, "r");
			model[pid] = -1;
		} else {
			wp(&kf, op, CT_WP_REUSE, pid, 1, 0, "r");
			if (model[pid] < 0)
				model[pid] = (int32_t)(a.t.nprocs - 1);
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
TEST(agg_index_wraparound_cluster)
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
	struct kfeed kf;
		int32_t model[16];

		agg_init(&a, 4096);
		kf_init(&kf, &a, KF_EVENTS); /* the index alone */
		for (int i = 0; i < 16; i++) {
			wp(&kf, 1, CT_WP_REUSE, pids[i], 1, 0, "w");
			model[i] = i;
		}
		CHECK_EQ(a.t.index_cap, 1024);
		for (int k = 0; k < 16; k++) {
			int victim = orders[o][k];

			add(&kf, 2, CT_EV_EXIT, 0, pids[victim], 1, 0, 0, "w");
			model[victim] = -1;
			for (int i = 0; i < 16; i++) {
				struct ct_proc *p = agg_find(&a, pids[i]);

				if (model[i] < 0)
					CHECK(p == NULL, "order %d step %d: exited pid %u found", o, k, pids[i]);
				else
					CHECK(p == &a.t.procs[model[i]], "order %d step %d: pid %u -> %d, expected %d",
					      o, k, pids[i], proc_index(&a, p), model[i]);
			}
			/* re-add one of the exited ones every other step */
			if (k % 2 == 1) {
				int back = orders[o][k - 1];

				wp(&kf, 3, CT_WP_REUSE, pids[back], 1, 0, "w");
				model[back] = (int32_t)(a.t.nprocs - 1);
			}
		}
		agg_free(&a);
	}
}

/* ----------------------------------------------------- aggregation: sort */

TEST_PATHS(agg_sorted_order)
{
	struct ct_agg a;
	struct kfeed kf;
	uint32_t *o;
	static const uint32_t want_pid[] = { 4, 9, 3, 5, 5, 1 };
	static const uint64_t want_first[] = { 40, 90, 30, 50, 70, 10 };

	agg_init(&a, 4096);
	kf_init(&kf, &a, path);
	/* F pid 1: unshare 10 -> copies+pinned 0 */
	for (int i = 0; i < 10; i++)
		wp(&kf, 10, CT_WP_UNSHARE, 1, 1, 0, "F");
	/* B pid 3: pinned 2, reuse 0 -> 2 */
	pinned_fork(&kf, 30, 3, 1, 2, 33, "B");
	kf_snapshot(&kf);
	/* D pid 4: copies 3 -> 3 */
	for (int i = 0; i < 3; i++)
		wp(&kf, 40, CT_WP_COPY_FILE, 4, 1, 0, "D");
	/* A pid 5: copies 2, reuse 0 -> 2; exits */
	wp(&kf, 50, CT_WP_COPY_ANON, 5, 1, 0, "A");
	wp(&kf, 51, CT_WP_COPY_ZERO, 5, 1, 0, "A");
	add(&kf, 60, CT_EV_EXIT, 0, 5, 1, 0, 0, "A");
	kf_snapshot(&kf);
	/* E pid 5 again: copies 2, reuse 0 -> 2, later first_ns */
	wp(&kf, 70, CT_WP_COPY_KSM, 5, 1, 0, "E");
	wp(&kf, 71, CT_WP_COPY_KSM, 5, 1, 0, "E");
	kf_snapshot(&kf);
	/* C pid 9: copy 1 + pinned 1 = 2, reuse 5 */
	wp(&kf, 90, CT_WP_COPY_ANON, 9, 1, 0, "C");
	pinned_fork(&kf, 91, 9, 1, 1, 99, "C");
	kf_snapshot(&kf);
	for (int i = 0; i < 5; i++)
		wp(&kf, 92, CT_WP_REUSE, 9, 1, 0, "C");
	kf_snapshot(&kf);
	/* order: D(3) C(2, reuse 5) B(2, pid 3) A(2, pid 5, first 50) E(2, pid 5, first 70) F(0) */
	o = agg_sorted(&a);
	CHECK(o != NULL, "agg_sorted failed");
	CHECK_EQ(a.t.nprocs, 6);
	for (unsigned i = 0; o && i < 6 && i < a.t.nprocs; i++) {
		CHECK(a.t.procs[o[i]].pid == want_pid[i] && a.t.procs[o[i]].first_ns == want_first[i],
		      "rank %u: pid %u first_ns %llu, expected pid %u first_ns %llu", i,
		      a.t.procs[o[i]].pid, (unsigned long long)a.t.procs[o[i]].first_ns, want_pid[i],
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

/* ---- eviction ---- */

/* n children of pid 1 "sh": each forks, copies one page (kind anon), exits. */
static void churn(struct kfeed *kf, uint32_t n, uint32_t first_pid, uint64_t *ts)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t pid = first_pid + i;

		CHECK(add(kf, ++*ts, CT_EV_FORK, PC, 1, 0, 0, pid, "sh") == 0, "fork");
		CHECK(wp(kf, ++*ts, CT_WP_COPY_ANON, pid, 1, 100, i % 2 ? "job-odd" : "job-even") == 0, "wp");
		CHECK(add(kf, ++*ts, CT_EV_EXIT, 0, pid, 1, 0, 0, "job") == 0, "exit");
	}
}

TEST_PATHS(agg_evict_bounded)
{
	struct ct_agg a;
	struct kfeed kf;
	uint64_t ts = 0, copies = 0, folded = 0, exited_rows = 0, child_copies = 0;

	agg_init(&a, 4096);
	kf_init(&kf, &a, path);
	a.t.max_exited = 64;
	churn(&kf, 5000, 1000, &ts);
	kf_snapshot(&kf);
	/* 1 live parent, at most 64 exited kept, two folds ("job" twice: odd/even comm is overwritten by exit). */
	CHECK(a.t.nprocs <= 1 + 64 + 2, "nprocs %u", a.t.nprocs);
	CHECK(a.t.nexited <= 64, "nexited %u", a.t.nexited);
	for (uint32_t i = 0; i < a.t.nprocs; i++) {
		const struct ct_proc *p = &a.t.procs[i];

		copies += proc_copies(p);
		folded += p->folded;
		exited_rows += p->exited && p->pid;
		if (!p->pid)
			CHECK(p->exited && p->folded > 0, "fold row without processes");
		if (p->pid && p->pid != 1)
			CHECK_EQ(proc_copies(p), 1); /* never two processes in one row */
	}
	CHECK_EQ(copies, 5000);
	CHECK_EQ(folded, a.t.evicted);
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

TEST_PATHS(agg_evict_keep_and_reuse)
{
	struct ct_agg a;
	struct kfeed kf;
	uint64_t ts = 0;
	int rows_1002 = 0;

	agg_init(&a, 4096);
	kf_init(&kf, &a, path);
	a.t.max_exited = 4;
	a.t.keep = keep_pid_1002;
	churn(&kf, 100, 1000, &ts);
	kf_snapshot(&kf);
	/* pid 1002 again: a new process with the same pid, never merged. */
	churn(&kf, 1, 1002, &ts);
	CHECK(wp(&kf, ++ts, CT_WP_REUSE, 1002, 1, 0, "x") == 0, "wp");
	kf_snapshot(&kf);
	for (uint32_t i = 0; i < a.t.nprocs; i++)
		if (a.t.procs[i].pid == 1002 && a.t.procs[i].exited) {
			rows_1002++;
			CHECK_EQ(proc_copies(&a.t.procs[i]), 1);
		}
	/* The first is kept from eviction; the second may be folded; the third is live. */
	CHECK(rows_1002 >= 1, "pid 1002 rows: %d", rows_1002);
	CHECK(a.t.procs[0].pid != 1000 && a.t.evicted > 0, "nothing evicted");
	CHECK(agg_find(&a, 1002) && agg_find(&a, 1002)->c[CT_C_WP + CT_WP_REUSE] == 1 &&
	      proc_copies(agg_find(&a, 1002)) == 0, "live pid 1002 merged with an earlier one");
	agg_free(&a);
}

/* A fork whose child pid is still live (exit lost): the old process ends there. */
TEST(agg_pid_reuse_without_exit)
{
	struct ct_agg a;
	struct kfeed kf;
	uint64_t ts = 0;
	const struct ct_proc *p;

	agg_init(&a, 4096);
	kf_init(&kf, &a, KF_EVENTS);
	CHECK(add(&kf, ++ts, CT_EV_FORK, PC, 1, 0, 0, 50, "sh") == 0, "fork");
	CHECK(wp(&kf, ++ts, CT_WP_COPY_ANON, 50, 1, 0, "one") == 0, "wp");
	CHECK(add(&kf, ++ts, CT_EV_FORK, PC, 1, 0, 0, 50, "sh") == 0, "fork");
	CHECK(wp(&kf, ++ts, CT_WP_COPY_ZERO, 50, 1, 0, "two") == 0, "wp");
	p = agg_find(&a, 50);
	CHECK(p && p->c[CT_C_WP + CT_WP_COPY_ANON] == 0 && p->c[CT_C_WP + CT_WP_COPY_ZERO] == 1, "merged");
	CHECK_EQ(a.t.nexited, 1);
	agg_free(&a);
}

/* ------------------------------------------ counts from the kernel's records */

static struct ct_proc_rec prec(uint32_t pid, uint64_t start, uint64_t reuse, uint64_t anon)
{
	struct ct_proc_rec r;

	memset(&r, 0, sizeof(r));
	r.type = CT_REC_TYPE_PROC;
	r.pid = pid;
	r.ppid = 1;
	r.start_ns = start;
	r.first_ns = start + 10;
	r.last_ns = start + 20;
	r.c[CT_C_WP + CT_WP_REUSE] = reuse;
	r.c[CT_C_WP + CT_WP_COPY_ANON] = anon;
	snprintf(r.comm, sizeof(r.comm), "p%u", pid);
	return r;
}

static uint32_t entries_of(const struct ct_agg *a, uint32_t pid, uint32_t *exited)
{
	uint32_t n = 0;

	*exited = 0;
	for (uint32_t i = 0; i < a->t.nprocs; i++)
		if (a->t.procs[i].pid == pid) {
			n++;
			*exited += a->t.procs[i].exited;
		}
	return n;
}

/*
 * Live tracing: the kernel's records set a process's counts (every report
 * reads them again: set, never added); fork events still make the fork
 * records, and the records' segments fill them; a pid's start time tells
 * a reused pid apart; a process gone from two snapshots in a row lost its
 * exit record.  Every number below is set by hand in this test.
 */
TEST(agg_kernel_records)
{
	struct ct_agg a;
	struct ct_proc_rec r;
	struct ct_hist_rec h;
	struct ct_event e;
	struct ct_proc *p;
	uint32_t ex;

	agg_init(&a, 4096);
	a.count_events = false;
	/* 1. snapshots set */
	r = prec(100, 1000, 5, 2);
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	r = prec(100, 1000, 7, 3);
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	p = agg_find(&a, 100);
	CHECK(p != NULL, "pid 100");
	if (p) {
		CHECK_EQ(p->c[CT_C_WP + CT_WP_REUSE], 7);
		CHECK_EQ(p->c[CT_C_WP + CT_WP_COPY_ANON], 3);
		CHECK_EQ(p->start_ns, 1000);
		CHECK_STR(p->comm, "p100");
	}
	/* a fault event counts nothing now: the kernel did */
	e = mkev(1500, CT_EV_WP, CT_WP_REUSE, 100, 1, 10, 0, "p100");
	agg_add(&a, &e);
	CHECK_EQ(agg_find(&a, 100)->c[CT_C_WP + CT_WP_REUSE], 7);

	/* 2. fork 100 -> 200 at 5000; the segments fill the fork record */
	e = mkev(5000, CT_EV_FORK, PC, 100, 1, 2, 200, "p100");
	CHECK_EQ(agg_add(&a, &e), 0);
	CHECK_EQ(a.nforks, 1);
	CHECK_EQ(agg_find(&a, 100)->c[CT_C_FORKS], 0); /* the kernel's record counts forks */
	r = prec(200, 4990, 0, 4);
	r.birth_ns = r.seg_fork_ns = 5000;
	r.seg_side = CT_SEG_CHILD;
	r.seg_copies = 4;
	r.seg_first_ns = 5100;
	r.seg_last_ns = 5300;
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	r = prec(100, 1000, 7, 4);
	r.seg_fork_ns = 5000;
	r.seg_side = CT_SEG_PARENT;
	r.seg_copies = 1;
	r.seg_first_ns = r.seg_last_ns = 5200;
	r.c[CT_C_FORKS] = 1;
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	CHECK_EQ(a.forks[0].child_copies, 4);
	CHECK_EQ(a.forks[0].parent_copies, 1);
	CHECK_EQ(a.forks[0].first_copy_ns, 5100);
	CHECK_EQ(a.forks[0].last_copy_ns, 5300);
	CHECK_EQ(a.forks[0].pinned_cow, 2);
	CHECK_EQ(agg_find(&a, 100)->c[CT_C_FORKS], 1);
	/* a segment of a fork not known yet is not applied */
	r.seg_fork_ns = 7777;
	r.seg_copies = 99;
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	CHECK_EQ(a.forks[0].parent_copies, 1);

	/* 3. a child's record before its fork event: the fork adopts it */
	r = prec(300, 5990, 0, 0);
	r.birth_ns = r.seg_fork_ns = 6000;
	r.seg_side = CT_SEG_CHILD;
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	e = mkev(6000, CT_EV_FORK, PC, 100, 1, 0, 300, "p100");
	CHECK_EQ(agg_add(&a, &e), 0);
	CHECK_EQ(entries_of(&a, 300, &ex), 1);
	CHECK_EQ(ex, 0);
	r.seg_copies = 6;
	r.seg_first_ns = r.seg_last_ns = 6100;
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	CHECK_EQ(a.forks[1].child_copies, 6);
	/* the parent's FORKED record hands over its old segment (fork 5000) */
	r = prec(100, 1000, 7, 5);
	r.seg_fork_ns = 6000;
	r.seg_side = CT_SEG_PARENT;
	r.flags = CT_PROC_FORKED;
	r.seg_copies = 0;
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	CHECK_EQ(a.forks[1].parent_copies, 0);
	CHECK_EQ(a.forks[0].parent_copies, 1);

	/* 4. exit, then the pid reused by another process */
	r = prec(200, 4990, 0, 9);
	r.flags = CT_PROC_EXITED;
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	CHECK(agg_find(&a, 200) == NULL, "200 still live after its exit record");
	r = prec(200, 9000, 1, 0);
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	CHECK_EQ(entries_of(&a, 200, &ex), 2);
	CHECK_EQ(ex, 1);
	CHECK_EQ(agg_find(&a, 200)->c[CT_C_WP + CT_WP_REUSE], 1);

	/* 5. reused before the old exit record arrived; the late record finds the old entry */
	r = prec(400, 3000, 2, 0);
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	r = prec(400, 9500, 1, 1);
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	r = prec(400, 3000, 3, 0);
	r.flags = CT_PROC_EXITED;
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	CHECK_EQ(entries_of(&a, 400, &ex), 2);
	CHECK_EQ(ex, 1);
	CHECK_EQ(agg_find(&a, 400)->start_ns, 9500);
	CHECK_EQ(agg_proc_lookup(&a, 400, 3000)->c[CT_C_WP + CT_WP_REUSE], 3);

	/* 6. gone from two snapshots in a row: its exit record never came */
	agg_snapshot_begin(&a);
	r = prec(500, 100, 1, 0);
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	agg_snapshot_end(&a);
	agg_snapshot_begin(&a);
	agg_snapshot_end(&a);
	CHECK(agg_find(&a, 500) != NULL, "500 ended after one snapshot without it");
	agg_snapshot_begin(&a);
	agg_snapshot_end(&a);
	CHECK(agg_find(&a, 500) == NULL, "500 still live after two snapshots without it");
	CHECK_EQ(a.t.exits_unseen, 5); /* 500, and 100, 200', 300 and 400' that were in no snapshot */

	/* 7. a histogram replaces the process's */
	memset(&h, 0, sizeof(h));
	h.type = CT_REC_TYPE_HIST;
	h.pid = 400;
	h.start_ns = 3000;
	h.id = CT_H_LAT_REUSE;
	h.h.slot[7] = 2;
	h.h.slot[9] = 1;
	h.h.sum = 400;
	CHECK_EQ(agg_hist_rec(&a, &h), 0);
	p = agg_proc_lookup(&a, 400, 3000);
	CHECK(p && p->h && p->h->h[CT_H_LAT_REUSE].count == 3 && p->h->h[CT_H_LAT_REUSE].sum == 400,
	      "histogram set");
	CHECK_EQ(agg_hist_rec(&a, &h), 0);
	CHECK(p && p->h && p->h->h[CT_H_LAT_REUSE].count == 3, "histogram replaced, not added");
	h.id = CT_H_MAX;
	CHECK_EQ(agg_hist_rec(&a, &h), -1);
	r = prec(0, 1, 0, 0);
	CHECK_EQ(agg_proc_rec(&a, &r), -1);
	CHECK_EQ(a.bad_events, 2);
	agg_free(&a);
}

/*
 * 30,000 processes leave the kernel's map at once without their exit
 * records (a full ring): two reads find them gone.  Their final records
 * come late, after they were marked gone, and must land on their own
 * entries.  Found by the bench: the entries awaiting their records could
 * not be evicted, and every one of the 100,000 exits passed over all the
 * others again (a stall of minutes); the late records each searched every
 * entry.
 */
TEST(agg_mass_exit_late_records)
{
	enum { N = 30000, MAX = 4096 };
	struct ct_agg a;
	struct ct_proc_rec r;
	uint64_t copies = 0, reuses = 0, rows = 0;

	agg_init(&a, 4096);
	a.count_events = false;
	a.t.max_exited = MAX;
	for (int g = 0; g < 2; g++) {
		agg_snapshot_begin(&a);
		for (uint32_t i = 0; i < N; i++) {
			r = prec(1000 + i, 1000 + i, 1, 1);
			agg_proc_rec(&a, &r);
		}
		agg_snapshot_end(&a);
	}
	for (int g = 0; g < 2; g++) { /* all gone */
		agg_snapshot_begin(&a);
		agg_snapshot_end(&a);
	}
	CHECK_EQ(a.t.exits_unseen, N);
	CHECK_EQ(a.t.nexited, N); /* none evicted: each may still get its final record */
	CHECK(a.t.evict_passes <= 2 * N / (MAX / 2) + 4, "%llu eviction passes for %u exits",
	      (unsigned long long)a.t.evict_passes, N);
	for (uint32_t i = 0; i < N; i++) { /* the final records: 2 copies each now */
		r = prec(1000 + i, 1000 + i, 1, 2);
		r.flags = CT_PROC_EXITED;
		CHECK_EQ(agg_proc_rec(&a, &r), 0);
	}
	CHECK_EQ(a.t.nprocs, N); /* no new entries: each record found its own */
	for (int g = 0; g < 4; g++) { /* they have waited long enough */
		agg_snapshot_begin(&a);
		agg_snapshot_end(&a);
	}
	CHECK(a.t.nexited <= MAX, "nexited %u", a.t.nexited);
	CHECK(a.t.evict_passes <= 2 * N / (MAX / 2) + 8, "%llu eviction passes", (unsigned long long)a.t.evict_passes);
	for (uint32_t i = 0; i < a.t.nprocs; i++) {
		copies += proc_copies(&a.t.procs[i]);
		reuses += a.t.procs[i].c[CT_C_WP + CT_WP_REUSE];
		rows += a.t.procs[i].pid ? 1 : a.t.procs[i].folded;
	}
	CHECK_EQ(copies, 2 * N);
	CHECK_EQ(reuses, N);
	CHECK_EQ(rows, N);
	/* a pid's reuse after its exit: a new entry; the old one still found by its start */
	r = prec(1000 + N - 1, 99999999, 5, 0);
	CHECK_EQ(agg_proc_rec(&a, &r), 0);
	CHECK(agg_find(&a, 1000 + N - 1) && agg_find(&a, 1000 + N - 1)->start_ns == 99999999, "new entry");
	CHECK(agg_proc_lookup(&a, 1000 + N - 1, 1000 + N - 1) != NULL, "old entry of the reused pid");
	agg_free(&a);
}

/* ---- the process table alone (proctab.h): no counting, no hooks ---- */

TEST(proctab_lifecycle_without_counting)
{
	static const char comm[2][CT_COMM_LEN] = { "even", "odd" };
	struct ct_proctab t;
	struct ct_proc *p;

	CHECK_EQ(pt_init(&t, NULL), 0);
	t.max_exited = 2;
	for (uint32_t pid = 10; pid < 16; pid++) {
		p = pt_of_event(&t, pid, 1, comm[pid % 2], 0, pid * 100);
		CHECK(p && p->pid == pid, "entry of %u", pid);
	}
	CHECK_EQ(t.nprocs, 6);
	for (uint32_t pid = 10; pid < 15; pid++)
		pt_exited(&t, pt_find(&t, pid), pid * 100 + 50);
	CHECK(pt_find(&t, 12) == NULL, "an exited pid is still live");
	p = pt_lookup(&t, 12, 0);
	CHECK(p && p->exited && p->last_ns == 1250, "the exited 12 (start unknown: 0) by lookup");
	CHECK_EQ(t.nexited, 5);
	CHECK(pt_evict_due(&t), "5 exited > 2 kept, and the table does not evict on its own");
	pt_evict(&t);
	/* down to max_exited / 2 = 1 exited entry; the rest in one fold per comm */
	CHECK_EQ(t.nexited, 1);
	CHECK_EQ(t.evicted, 4);
	CHECK_EQ(t.nprocs, 4); /* fold "even", fold "odd", exited 14, live 15 */
	CHECK(t.procs[0].pid == 0 && !strcmp(t.procs[0].comm, "even") && t.procs[0].folded == 2 &&
	      t.procs[0].first_ns == 1000 && t.procs[0].last_ns == 1250, "fold of 10 and 12");
	CHECK(t.procs[1].pid == 0 && !strcmp(t.procs[1].comm, "odd") && t.procs[1].folded == 2,
	      "fold of 11 and 13");
	CHECK(pt_find(&t, 15) == &t.procs[3], "the live entry's index after the move");
	/* a reused pid: a record with another start ends the entry events made */
	p = pt_find(&t, 15);
	p->start_ns = 7;
	p = pt_for_rec(&t, 15, 8, 0, false);
	CHECK(p && p->start_ns == 8 && p != &t.procs[3], "a new entry for another start");
	CHECK(t.procs[3].exited && t.procs[3].awaiting_exit, "the old one gone, its final record awaited");
	CHECK(pt_lookup(&t, 15, 7) == &t.procs[3], "the old one still found by its start");
	pt_free(&t);
}

/*
 * What a fork call cost, sent when it returned (after its fork event):
 * onto its fork; the parent's page_table_bytes and fork_duration counted
 * as the kernel counts them (records) or from the records themselves
 * (replay of events), the same either way.  The child's first exec, by its
 * fork's time.  A record of a fork not known is ignored, a malformed one
 * counted; an exec naming another fork leaves this one's alone.
 */
TEST_PATHS(agg_fork_cost_and_exec)
{
	struct ct_agg a;
	struct kfeed kf;
	const struct ct_proc *p;
	const struct ct_fork *f;
	struct ct_fork_rec r = { .fork_ns = 2000, .enter_ns = 1500, .exit_ns = 301500, .cpr_ns = 200000,
				 .pgtables_bytes = 3 * 4096, .rss = { 10, 100, 1, 2 }, .parent = 10, .child = 11,
				 .vmas = 20, .type = CT_REC_TYPE_FORK,
				 .known = CT_FK_DURATION | CT_FK_CPR | CT_FK_MM };
	struct ct_fork_rec vf = { .fork_ns = 5000, .enter_ns = 4900, .exit_ns = 9000, .parent = 10, .child = 12,
				  .type = CT_REC_TYPE_FORK, .known = CT_FK_DURATION | CT_FK_CLONE_VM };
	struct ct_fork_rec bad = r, unknown = r;
	uint64_t bad_before;

	agg_init(&a, 4096);
	kf_init(&kf, &a, path);
	wp(&kf, 1000, CT_WP_REUSE, 10, 1, 0, "parent");
	add(&kf, 2000, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 10, 1, 0, 11, "parent");
	CHECK(kf_fork_rec(&kf, &r) == 0, "fork record");
	add(&kf, 5000, CT_EV_FORK, CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED, 10, 1, 0, 12, "parent");
	add(&kf, 8000, CT_EV_EXEC, 0, 12, 10, 5000, 0, "sh");    /* a vfork child's exec, inside the call */
	CHECK(kf_fork_rec(&kf, &vf) == 0, "vfork record");
	add(&kf, 9500, CT_EV_EXEC, 0, 11, 10, 1999, 0, "sh");    /* another fork's time: not this one's */
	add(&kf, 9600, CT_EV_EXEC, 0, 11, 10, 2000, 0, "true");  /* its own */
	add(&kf, 9700, CT_EV_EXEC, 0, 11, 10, 2000, 0, "true2"); /* only the first counts */
	unknown.child = 99;
	CHECK(agg_fork_rec(&a, &unknown) == 0, "a fork not known is ignored");
	bad_before = a.bad_events;
	bad.exit_ns = bad.enter_ns - 1;
	CHECK(agg_fork_rec(&a, &bad) < 0, "exit before entry accepted");
	bad = r;
	bad.type = CT_REC_TYPE_PROC;
	CHECK(agg_fork_rec(&a, &bad) < 0, "wrong type accepted");
	CHECK_EQ(a.bad_events, bad_before + 2);
	kf_snapshot(&kf);

	CHECK_EQ(a.nforks, 2);
	f = &a.forks[0];
	CHECK_EQ(f->child, 11);
	CHECK_EQ(f->known, CT_FK_DURATION | CT_FK_CPR | CT_FK_MM);
	CHECK_EQ(f->duration_ns, 300000);
	CHECK_EQ(f->cpr_ns, 200000);
	CHECK_EQ(f->pgtables_bytes, 3 * 4096);
	CHECK_EQ(f->rss[CT_RSS_ANON], 100);
	CHECK_EQ(f->vmas, 20);
	CHECK_EQ(f->exec_ns, 9600);
	f = &a.forks[1];
	CHECK_EQ(f->child, 12);
	CHECK_EQ(f->known, CT_FK_DURATION | CT_FK_CLONE_VM);
	CHECK_EQ(f->duration_ns, 4100);
	CHECK_EQ(f->pgtables_bytes, 0);
	CHECK_EQ(f->exec_ns, 8000);
	p = agg_find(&a, 10);
	CHECK(p != NULL, "parent");
	if (p) {
		const struct ct_hist *h;

		CHECK_EQ(p->c[CT_C_FORKS], 2);
		CHECK_EQ(p->c[CT_C_PGTABLES], 3 * 4096);
		CHECK(p->h != NULL, "the parent has histograms");
		h = p->h ? &p->h->h[CT_H_FORK_DURATION] : NULL;
		CHECK(h && h->count == 2, "fork_duration: %llu samples, expected 2",
		      h ? (unsigned long long)h->count : 0ULL);
		CHECK(h && h->slot[hist_slot(300000)] == 1 && h->slot[hist_slot(4100)] == 1,
		      "fork_duration's buckets");
	}
	agg_free(&a);
}
