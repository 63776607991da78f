/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Prometheus textfile exposition (node_exporter textfile collector). */
#ifndef COWTRACE_OUTPUT_PROM_H
#define COWTRACE_OUTPUT_PROM_H
#include "output.h"

enum prom_label { PROM_BY_COMM, PROM_BY_CGROUP, PROM_BY_PID };

#define PROM_LABEL_MAX 256

/*
 * Series are grouped by label value.  At most `top` values get their own
 * series; once chosen a value keeps its series (so counters never go
 * backwards), everything else is folded into the value "other".
 */
struct prom_state {
	enum prom_label by;
	unsigned top;
	char (*chosen)[PROM_LABEL_MAX];
	unsigned nchosen;
};

int prom_init(struct prom_state *st, enum prom_label by, unsigned top);
void prom_free(struct prom_state *st);
/* Whether p has a series of its own that eviction must not fold (pid labels). */
bool prom_keeps(const struct prom_state *st, const struct ct_proc *p);
void output_prom(FILE *f, const struct ct_report *r, struct prom_state *st);
/* Check that FILE's directory is writable and remove stale temp files of ours. */
int prom_prepare(const char *path, char *err, size_t errlen);
/* Write atomically: temp file in the same directory, fsync, 0644, rename. */
int prom_write_file(const char *path, const struct ct_report *r, struct prom_state *st,
		    char *err, size_t errlen);

#endif
