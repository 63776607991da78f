// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The unit-test harness shared by tests/unit/test_*.c: the runner and its
 * CHECK macros, golden-file comparison, fixture and golden directories, and
 * a little JSON parser for checking JSON output.  Every header of src/ the
 * tests need is included here and only here (see tests/unit/harness.c for
 * how to run the tests).
 */
#ifndef COWTRACE_TESTS_HARNESS_H
#define COWTRACE_TESTS_HARNESS_H

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
#include "stacks.h"
#include "tracefs.h"
#include "util.h"

/* ------------------------------------------------------------------ runner */

extern char fixtures_dir[4096];

void check_failed(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

void run(const char *name, void (*fn)(void));

/* --------------------------------------------------------------- helpers */

char *read_whole(const char *path, size_t *len);
/* A file of FIXTURES_DIR, read whole; NULL if it cannot be read. */
char *fixture(const char *name);

/* Render a report into memory. */
typedef void (*writer_fn)(FILE *, const struct ct_report *);
char *render(writer_fn w, const struct ct_report *r, size_t *len);

/* --------------------------------------------------------- golden files */

/* Compare got with GOLDEN_DIR/name, or rewrite it under UPDATE_GOLDEN=1. */
void golden_compare(const char *name, const char *got, size_t got_len);
/* Build a stream, render it with one writer, compare with a golden file. */
void golden_check(void (*build)(struct ct_agg *, struct ct_plan *, struct ct_report *),
		  void (*writer)(FILE *, const struct ct_report *), const char *file,
		  uint32_t nprocs, uint32_t nforks);

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

void jfree(struct jv *j);
/* Parse a whole document: one value, then only white space. */
int jparse(const char *text, struct jv *out);
/* The member `key` of object o, or NULL. */
const struct jv *jget(const struct jv *o, const char *key);

/* ------------------------------------------------------------ the tests */

/*
 * TEST(name) { ... } defines one test.  Nothing else registers it: the
 * Makefile collects every TEST(name) line of tests/unit/test_*.c into
 * $(OUTPUT)/unit_tests.inc, in file order, as test_progs does with its
 * prog_tests/; `test_core -t NAME` runs the tests whose name contains NAME.
 */
#define TEST(name) void ut_##name(void)
/*
 * A test of the aggregation run once per input path (kfeed.h: the kernel's
 * records, then one event per fault), its failures naming the path:
 * TEST_PATHS(name) { ... path ... }.
 */
extern const char *check_context;
extern const char *const kf_path_name[]; /* kfeed.c */
#define TEST_PATHS(name)                                                \
	static void ut_##name##_on(int path);                           \
	TEST(name)                                                      \
	{                                                               \
		for (int p_ = 0; p_ < 2; p_++) {                        \
			check_context = kf_path_name[p_];                     \
			ut_##name##_on(p_);                             \
		}                                                       \
		check_context = NULL;                                   \
	}                                                               \
	static void ut_##name##_on(int path)
#define T(name) TEST(name);
#include "unit_tests.inc"
#undef T

#endif /* COWTRACE_TESTS_HARNESS_H */
