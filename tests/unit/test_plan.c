// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the probe plan (src/plan.c): stat, mode and quality names,
 * plan_set() and availability.
 */
#include "harness.h"

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

void tests_plan(void)
{
	RUN(plan_names_and_set);
}
