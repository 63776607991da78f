// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the probe plan (src/plan.c): stat, mode and quality names,
 * plan_set() and availability.
 */
#include "harness.h"

/* ------------------------------------------------------------------ plan */

TEST(plan_names_and_set)
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

#define B(s) STAT_BIT(s)

/*
 * Which statistics a program's misses make undercounted, written out by
 * hand from the hooks each statistic needs (src/stats.c) and what each
 * program does (bpf/).
 */
TEST(plan_prog_stats_by_hand)
{
	const ct_statmask maps = B(ST_MAP_HEAP) | B(ST_MAP_STACK) | B(ST_MAP_ANON) | B(ST_MAP_FILE) |
			      B(ST_MAP_SHMEM) | B(ST_MAP_THP);
	const ct_statmask wp = B(ST_REUSE) | B(ST_COPY) | B(ST_COPY_ANON) | B(ST_COPY_ZERO) | B(ST_COPY_FILE) |
			    B(ST_COPY_KSM) | B(ST_UNSHARE) | B(ST_SHARED_REUSE) | B(ST_WP_LATENCY) |
			    B(ST_COPIED_BYTES) | B(ST_FORK_TO_COPY) | maps;
	const ct_statmask tp = B(ST_REUSE) | B(ST_COPY) | B(ST_COPY_ZERO) | B(ST_COPIED_BYTES) | B(ST_FORK_TO_COPY);
	struct ct_misses m = { .known = true, .n = 2 };

	CHECK_EQ(plan_prog_stats("fx_wp"), wp);
	CHECK_EQ(plan_prog_stats("krp_wp"), wp);
	/* the rmap hook also sees the pages fork copies at once */
	CHECK_EQ(plan_prog_stats("fe_new_anon"), wp | B(ST_PINNED_COW));
	CHECK_EQ(plan_prog_stats("fx_cpr"), B(ST_PINNED_COW) | B(ST_COPIED_BYTES));
	CHECK_EQ(plan_prog_stats("fx_thp1"), B(ST_THP_REUSE) | B(ST_THP_SPLIT));
	CHECK_EQ(plan_prog_stats("fx_uffd"), B(ST_UFFD_MISSING) | B(ST_UFFD_WP) | B(ST_UFFD_MINOR) |
					    B(ST_UFFD_SIGBUS) | B(ST_UFFD_BLOCKED));
	CHECK_EQ(plan_prog_stats("fx_zap"), B(ST_MARKER_INSTALL));
	CHECK_EQ(plan_prog_stats("sched_fork"), B(ST_PINNED_COW) | B(ST_COPIED_BYTES) | B(ST_FORK_TO_COPY));
	CHECK_EQ(plan_prog_stats("sched_exit"), STAT_BIT(ST_MAX) - 1);
	CHECK_EQ(plan_prog_stats("sched_exec"), 0);
	CHECK_EQ(plan_prog_stats("tp_fault_user"), tp);
	CHECK_EQ(plan_prog_stats("tp_alloc"), tp | B(ST_PINNED_COW));
	CHECK_EQ(plan_prog_stats("tp_free"), tp); /* a copy taken back */
	CHECK_EQ(plan_prog_stats("no_such_prog"), 0);
	/* totals */
	m.m[0] = (struct ct_miss){ .prog = "fx_wp", .missed = 5, .stats = plan_prog_stats("fx_wp") };
	m.m[1] = (struct ct_miss){ .prog = "fx_uffd", .missed = 7, .stats = plan_prog_stats("fx_uffd") };
	CHECK_EQ(misses_total(&m), 12);
	CHECK_EQ(misses_of(&m, ST_REUSE), 5);
	CHECK_EQ(misses_of(&m, ST_UFFD_WP), 7);
	CHECK_EQ(misses_of(&m, ST_THP_SPLIT), 0);
	CHECK_EQ(misses_total(NULL), 0);
}
