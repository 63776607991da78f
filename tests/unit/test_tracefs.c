// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the GFP values read from tracefs event formats
 * (src/tracefs.c: gfp_bits_from_format()), against the fixtures in
 * FIXTURES_DIR and synthetic format texts.
 */
#include "harness.h"

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

TEST(gfp_format_6_18)
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

TEST(gfp_format_5_10_hex)
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
TEST(gfp_format_synthetic)
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

TEST(gfp_format_missing_flags)
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
