/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Report writers: they read an aggregation and a plan, never libbpf (stats.h says what to write). */
#ifndef COWTRACE_OUTPUT_H
#define COWTRACE_OUTPUT_H
#include <stdbool.h>
#include <stdio.h>
#include "agg.h"
#include "plan.h"
#include "stacks.h"

struct ct_report {
	const struct ct_agg *agg;
	const struct ct_plan *plan;
	uint64_t lost_events;    /* ring buffer reservations that failed */
	uint64_t unclassified;   /* faults or processes that could not be counted (map full) */
	uint64_t settled;        /* faults whose exit was skipped, settled at the thread's next fault */
	const struct ct_misses *misses; /* programs the kernel skipped; NULL: none attached */
	double duration_s;
	bool final;
	int cmd_status;          /* exit status of `-- CMD`, -1 if none */
	unsigned hist_top;       /* processes whose histograms are printed (text) */
	unsigned top;            /* processes in the text report's tables (the rest summed; 0: 20) */
	double interval_s;       /* since the previous report (-i): text shows rates; 0: none */
	const struct ct_stacks *stacks; /* --stacks: pages per stack; NULL: stacks were off */
	unsigned top_stacks;     /* stacks shown per process (text and JSON) */
	const char *version;
};

/* The probe plan as a table; with misses, a MISSED column (runs skipped per statistic). */
void output_plan_text(FILE *f, const struct ct_plan *plan, const struct ct_misses *misses);
void output_text(FILE *f, const struct ct_report *r);
void output_json(FILE *f, const struct ct_report *r);
/* Bytes as the text report prints them: "512B", "24.0K", "1.5G". */
void fmt_bytes(char *buf, size_t n, uint64_t b);
/* s as a JSON string, escaped. */
void json_str(FILE *f, const char *s);
/* The text report's tables' titles (enum ct_text_table). */
extern const char *const text_table_title[];
/* cowtrace stats: the table of statistics (stats.c), as JSON (one object) or text. */
void output_stats_json(FILE *f);
void output_stats_text(FILE *f);
/* --events: one NDJSON line per raw event; its kind as the plan can tell it (plan_wp_kind_name()). */
void output_json_event(FILE *f, const struct ct_event *e, const struct ct_plan *plan);

#endif
