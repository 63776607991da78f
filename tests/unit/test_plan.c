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

/*
 * An exact rung's plan from its hook choices, by hand: every hook on
 * fentry but the zap hook (no markers on this kernel), no
 * FAULT_FLAG_UNSHARE, no --latency.
 */
TEST(plan_fill_exact_from_choices)
{
	struct ct_hook_choice c[HOOK_MAX];
	struct ct_kernel_caps caps = { .unshare = false, .uffd_minor = true };
	struct ct_plan pl;

	memset(&pl, 0, sizeof(pl));
	memset(c, 0, sizeof(c));
	for (int h = 0; h < HOOK_MAX; h++) {
		c[h].mode = MODE_FENTRY;
		snprintf(c[h].sym, sizeof(c[h].sym), "f%d", h);
	}
	c[HOOK_ZAP].mode = MODE_NONE;
	c[HOOK_ZAP].sym[0] = 0;
	snprintf(c[HOOK_ZAP].why, sizeof(c[HOOK_ZAP].why), "kernel has no PTE markers");
	c[HOOK_UFFD].mode = MODE_KPROBE;
	plan_fill_exact(&pl, MODE_FENTRY, c, &caps, false);
	plan_fill_common(&pl, "6.1.0-test");
	CHECK_STR(pl.kernel, "6.1.0-test");
	CHECK_EQ(pl.st[ST_COPY_ANON].quality, Q_EXACT);
	CHECK_EQ(pl.st[ST_COPY_ANON].mode, MODE_FENTRY);
	CHECK_EQ(pl.st[ST_MARKER_INSTALL].quality, Q_UNAVAILABLE);
	CHECK_STR(pl.st[ST_MARKER_INSTALL].reason, "kernel has no PTE markers");
	CHECK_EQ(pl.st[ST_UNSHARE].quality, Q_UNAVAILABLE);
	CHECK_STR(pl.st[ST_UNSHARE].reason, "kernel has no FAULT_FLAG_UNSHARE");
	CHECK_EQ(pl.st[ST_WP_LATENCY].quality, Q_UNAVAILABLE);
	/* a statistic fed by a kprobe hook is on the kprobe rung */
	CHECK_EQ(pl.st[ST_UFFD_MISSING].mode, MODE_KPROBE);
	CHECK_EQ(pl.st[ST_UFFD_MINOR].quality, Q_EXACT);
	/* derived last: bytes exact with pinned_cow exact, fork_to_copy like copy */
	CHECK_EQ(pl.st[ST_COPIED_BYTES].quality, pl.st[ST_PINNED_COW].quality == Q_EXACT ? Q_EXACT : Q_DERIVED);
	CHECK_EQ(pl.st[ST_FORK_TO_COPY].quality, pl.st[ST_COPY].quality);
	caps.unshare = true;
	plan_fill_exact(&pl, MODE_FENTRY, c, &caps, true);
	CHECK_EQ(pl.st[ST_UNSHARE].quality, Q_EXACT);
	CHECK_EQ(pl.st[ST_WP_LATENCY].quality, Q_EXACT);
}
