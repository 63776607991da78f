/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reports, shared by live tracing and replay: the aggregation they read
 * (set up as the options ask), and where they go (stdout as text or NDJSON,
 * the Prometheus textfile).
 */
#ifndef COWTRACE_REPORT_H
#define COWTRACE_REPORT_H
#include <stdbool.h>
#include "agg.h"
#include "cli.h"
#include "output.h"
#include "output_prom.h"

struct ct_reporter {
	const struct ct_cli *cli;
	struct prom_state prom;
};

/* Set up agg and the textfile as cli asks; exits (2: bad --prom, 1: no memory) on failure. */
void reporter_init(struct ct_reporter *r, const struct ct_cli *cli, struct ct_agg *agg,
		   uint32_t page_size);
/* The textfile (if asked for), then stdout (if to_stdout). */
void reporter_emit(struct ct_reporter *r, const struct ct_report *rep, bool to_stdout);
void reporter_free(struct ct_reporter *r);
/* --folded and --flamegraph (each if asked for), atomically.  0, or -1 with a message. */
int write_stacks(const struct ct_cli *cli, const struct ct_stacks *st, const char *title);

#endif
