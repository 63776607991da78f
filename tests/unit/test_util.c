// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of parsing in src/util.c: parse_uint() and parse_seconds()
 * (arguments), preempt_model_parse() (the kernel's preemption model).
 */
#include <string.h>
#include "harness.h"

/* ------------------------------------------------------------- arguments */

TEST(util_parse_uint)
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
TEST(util_parse_uint_leading_space_sign)
{
	static const char *const bad[] = { " -1", "\t-5", " +3", " 5" };
	unsigned long long v;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		CHECK(parse_uint(bad[i], 0, ~0ULL, &v) == -1, "parse_uint(\"%s\") accepted as %llu",
		      bad[i], v);
	}
}

TEST(util_parse_seconds)
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

TEST(util_preempt_model)
{
	/* lines as kernels print them (Debian 6.12: voluntary, 7.3: lazy), and broken ones */
	static const struct {
		const char *line;
		int want;
		const char *model;
	} cases[] = {
		{ "none (voluntary) full lazy\n", 0, "voluntary" },
		{ "(none) voluntary full\n", 0, "none" },
		{ "none voluntary (full) lazy\n", 1, "full" },
		{ "none voluntary full (lazy)\n", 1, "lazy" },
		{ "full (lazy)", 1, "lazy" },
		{ "none voluntary full lazy\n", -1, "" },
		{ "()\n", -1, "" },
		{ "(voluntary\n", -1, "" },
		{ "", -1, "" },
	};
	char m[16];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		m[0] = 0;
		r = preempt_model_parse(cases[i].line, m, sizeof(m));
		CHECK(r == cases[i].want && (r < 0 || !strcmp(m, cases[i].model)),
		      "preempt_model_parse(\"%s\") = %d \"%s\", want %d \"%s\"", cases[i].line, r, m, cases[i].want,
		      cases[i].model);
	}
	CHECK(preempt_model_parse("(a-model-name-too-long-for-it)", m, sizeof(m)) == -1, "long name accepted");
	CHECK(preempt_model_parse(NULL, m, sizeof(m)) == -1, "NULL accepted");
}
