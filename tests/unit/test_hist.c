// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the log2 histograms (src/hist.c): slots, bounds, merge and
 * the printed form.
 */
#include "harness.h"

/* ------------------------------------------------------------ histograms */

TEST(hist_slot_boundaries)
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
TEST(hist_upper_last_slot_open)
{
	static const uint64_t vals[] = { 1ULL << 38, 1ULL << 39, 1ULL << 50, UINT64_MAX };

	for (unsigned i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		CHECK(vals[i] <= hist_upper(hist_slot(vals[i])),
		      "value %llu lands in slot %u whose hist_upper is %llu (hist.h contract)",
		      (unsigned long long)vals[i], hist_slot(vals[i]),
		      (unsigned long long)hist_upper(hist_slot(vals[i])));
}

TEST(hist_count_sum_merge)
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

TEST(hist_print_nsecs)
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
TEST(hist_print_usecs_rebin)
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

/* The BPF side's slot function (include/cowtrace.h) bins like the frontend's. */
TEST(hist_slot_bpf_matches)
{
	uint64_t v = 0;

	CHECK_EQ(ct_hist_slot(0), 0);
	CHECK_EQ(ct_hist_slot(1), 1);
	CHECK_EQ(ct_hist_slot(~0ULL), CT_HIST_SLOTS - 1);
	for (int b = 0; b < 64; b++)
		for (int d = -2; d <= 2; d++) {
			v = (1ULL << b) + (uint64_t)(int64_t)d;
			CHECK(ct_hist_slot(v) == hist_slot(v), "v=%llu: bpf %u frontend %u",
			      (unsigned long long)v, ct_hist_slot(v), hist_slot(v));
		}
	for (int i = 0; i < 100000; i++) {
		v = v * 6364136223846793005ULL + 1442695040888963407ULL;
		CHECK(ct_hist_slot(v >> (i % 64)) == hist_slot(v >> (i % 64)), "v=%llu",
		      (unsigned long long)(v >> (i % 64)));
	}
}
