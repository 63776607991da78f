/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where events go: the aggregation, and what the options ask for (the
 * record file, --events lines on stdout, the SVG chart).  Also the record
 * file's lifecycle and naming cgroups for the report and the record.
 */
#ifndef COWTRACE_SINK_H
#define COWTRACE_SINK_H
#include <stdbool.h>
#include <stdio.h>
#include "agg.h"
#include "plan.h"
#include "stacks.h"
#include "svg.h"

struct ct_sink {
	struct ct_agg *agg;
	FILE *rec;               /* --record */
	const char *rec_path;
	int rec_errno;           /* first write error; recording stops there */
	bool events;             /* --events on stdout */
	const struct ct_plan *plan; /* what the events' kinds can say (--events) */
	FILE *lines;             /* where --events lines go */
	struct ct_svg *svg;      /* report --svg */
};

/* Where sink_event() takes an event. */
enum { SINK_AGG = 1, SINK_RECORD = 2, SINK_LINES = 4, SINK_SVG = 8, SINK_ALL = 15 };

/* An event to the aggregation, the record, --events and the chart (the `to` bits). */
void sink_event(struct ct_sink *k, const struct ct_event *e, unsigned to);
/* A process record or histogram from the kernel; record: also into the record file. */
void sink_proc(struct ct_sink *k, const struct ct_proc_rec *r, bool record);
void sink_hist(struct ct_sink *k, const struct ct_hist_rec *r, bool record);
/* What a fork cost, when its call returned (after its fork event). */
void sink_fork(struct ct_sink *k, const struct ct_fork_rec *r, bool record);
/* Name the cgroups the processes are in (agg, and the record) while they exist. */
void sink_resolve_cgroups(struct ct_sink *k);

/* --record: create the file (exits 2 if it cannot) and write its header. */
void sink_record_open(struct ct_sink *k, const char *path, const struct ct_plan *plan,
		      uint32_t page_size);
/* --stacks: the named stacks, before the end. */
void sink_record_stacks(struct ct_sink *k, const struct ct_stacks *st);
/* End the record: the programs' misses, totals, then make it durable.  0, or -1 with a message. */
int sink_record_close(struct ct_sink *k, const struct ct_misses *m, uint64_t lost, uint64_t unclassified,
		      uint64_t settled);
/* Nothing was traced into it: remove it. */
void sink_record_discard(struct ct_sink *k);

#endif
