/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Report writers: they read an aggregation and a plan, never libbpf (stats.h says what to write). */
#ifndef COWTRACE_OUTPUT_H
#define COWTRACE_OUTPUT_H
#include <stdbool.h>
#include <stdio.h>
#include "agg.h"
#include "plan.h"

struct ct_report {
	const struct ct_agg *agg;
	const struct ct_plan *plan;
	uint64_t lost_events;    /* ring buffer reservations that failed */
	uint64_t unclassified;   /* faults that could not be tracked (map full) */
	double duration_s;
	bool final;
	int cmd_status;          /* exit status of `-- CMD`, -1 if none */
	unsigned hist_top;       /* processes whose histograms are printed (text) */
	const char *version;
};

void output_plan_text(FILE *f, const struct ct_plan *plan);
void output_text(FILE *f, const struct ct_report *r);
void output_json(FILE *f, const struct ct_report *r);
/* --events: one NDJSON line per raw event. */
void output_json_event(FILE *f, const struct ct_event *e);

#endif
