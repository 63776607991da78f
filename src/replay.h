/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* cowtrace report FILE: re-aggregate a record, offline. */
#ifndef COWTRACE_REPLAY_H
#define COWTRACE_REPLAY_H
#include "cli.h"

/* The exit status: 0, 1 (a damaged record, reported up to the damage), 2 (unreadable). */
int run_report(const struct ct_cli *cli);

#endif
