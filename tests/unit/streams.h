// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Synthetic events and event streams shared by several test modules: one
 * event by hand (mkev), and the golden streams (fentry and tracepoint mode)
 * built into an aggregation + plan + report.  The streams and their hand
 * computations are in streams.c.
 */
#ifndef COWTRACE_TESTS_STREAMS_H
#define COWTRACE_TESTS_STREAMS_H

#include "harness.h"
#include "kfeed.h"

#define PC (CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED)

struct ct_event mkev(uint64_t ts, unsigned type, unsigned kind, uint32_t pid,
		     uint32_t ppid, uint64_t value, uint32_t aux, const char *comm);
/* The plan of the fentry golden: everything exact but marker_install. */
void plan_fentry(struct ct_plan *pl);
/*
 * The golden stream, aggregated, with plan_fentry() and its report (page
 * size 4096): from the kernel's records (the live path), or the _from
 * variant from either path.
 */
void build_fentry(struct ct_agg *a, struct ct_plan *pl, struct ct_report *r);
void build_fentry_from(struct ct_agg *a, struct ct_plan *pl, struct ct_report *r, enum kf_path path);
/* The tracepoint-mode stream with the tracepoint plan and an interval report. */
void build_tp(struct ct_agg *a, struct ct_plan *pl, struct ct_report *r);
void build_tp_from(struct ct_agg *a, struct ct_plan *pl, struct ct_report *r, enum kf_path path);

#endif /* COWTRACE_TESTS_STREAMS_H */
