/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The probe plan: for each statistic, which hook feeds it, how, and how well. */
#ifndef COWTRACE_PLAN_H
#define COWTRACE_PLAN_H

#include "stats.h"

struct ct_probe {
	char hook[128];      /* kernel function or tracepoint(s) */
	enum ct_mode mode;
	enum ct_quality quality;
	char reason[256];    /* why this rung (empty when exact and obvious) */
};

struct ct_plan {
	struct ct_probe st[ST_MAX];
	enum ct_mode mode;   /* overall rung: fentry, kprobe or tracepoint */
	char kernel[65];     /* uname -r */
};

void plan_set(struct ct_plan *p, enum ct_stat s, const char *hook, enum ct_mode mode,
	      enum ct_quality q, const char *reason);
/* The plan of tracepoint mode (kernels without fentry and kprobes). */
void plan_fill_tracepoint(struct ct_plan *p);
static inline int plan_available(const struct ct_plan *p, enum ct_stat s)
{
	return p->st[s].quality != Q_UNAVAILABLE;
}

#endif
