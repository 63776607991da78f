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
	struct ct_agg *agg;      /* the rates' bases are kept in its processes */
	uint64_t last_ns;        /* when the previous report was made (-i rates) */
	struct prom_state prom;
	FILE *out;               /* stdout, or -O FILE */
	bool failed;             /* an output could not be written: the exit status says so */
	bool out_failed;         /* ... the reports' (said once) */
};

/*
 * Set up agg, the textfile and where reports go (-O FILE or stdout) as cli
 * asks; exits (2: bad --prom or -O, 1: no memory) on failure.
 */
void reporter_init(struct ct_reporter *r, const struct ct_cli *cli, struct ct_agg *agg,
		   uint32_t page_size);
/*
 * The textfile (if asked for), then the report on r->out (if to_stdout).  A
 * write that fails is said on stderr and sets r->failed.
 */
void reporter_emit(struct ct_reporter *r, const struct ct_report *rep, bool to_stdout);
/* Whether r->out took what was written (flushes it); a failure is said once and sets failed. */
void reporter_check_out(struct ct_reporter *r);
/* Frees the textfile state and closes -O's file (a failure to close sets failed). */
void reporter_free(struct ct_reporter *r);
/* --folded and --flamegraph (each if asked for), atomically.  0, or -1 with a message. */
int write_stacks(const struct ct_cli *cli, const struct ct_stacks *st, const char *title);

#endif
