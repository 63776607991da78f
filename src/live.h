/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Live tracing: attach, poll, report every interval, stop, final report. */
#ifndef COWTRACE_LIVE_H
#define COWTRACE_LIVE_H
#include "cli.h"

/* SIGINT/SIGTERM end the trace with a final report (installed first thing). */
void live_signals(void);
/* Whether SIGINT/SIGTERM came. */
bool live_signalled(void);
/* `cowtrace probes`: load (and with --load-only only verify) and print the plan. */
int run_probes(struct ct_cli *cli);
/* Trace until Ctrl-C/SIGTERM, -d, -p's exit or CMD's exit; the exit status. */
int run_trace(struct ct_cli *cli, int pidfd);

#endif
