/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The probe plan: for each statistic, which hook feeds it, how, and how well. */
#ifndef COWTRACE_PLAN_H
#define COWTRACE_PLAN_H

enum ct_stat {
	ST_REUSE, ST_COPY, ST_COPY_ANON, ST_COPY_ZERO, ST_COPY_FILE, ST_COPY_KSM,
	ST_UNSHARE, ST_SHARED_REUSE, ST_THP_REUSE, ST_THP_SPLIT, ST_PINNED_COW,
	ST_UFFD_MISSING, ST_UFFD_WP, ST_UFFD_MINOR, ST_MARKER_INSTALL,
	ST_COPIED_BYTES, ST_WP_LATENCY, ST_UFFD_BLOCKED, ST_FORK_TO_COPY,
	ST_MAX,
};

enum ct_mode { MODE_NONE, MODE_FENTRY, MODE_KPROBE, MODE_TRACEPOINT };
enum ct_quality { Q_UNAVAILABLE, Q_DERIVED, Q_EXACT };

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

const char *ct_stat_name(enum ct_stat s);
const char *ct_mode_name(enum ct_mode m);
const char *ct_quality_name(enum ct_quality q);
int ct_stat_from_name(const char *name);
void plan_set(struct ct_plan *p, enum ct_stat s, const char *hook, enum ct_mode mode,
	      enum ct_quality q, const char *reason);
/* The plan of tracepoint mode (kernels without fentry and kprobes). */
void plan_fill_tracepoint(struct ct_plan *p);
static inline int plan_available(const struct ct_plan *p, enum ct_stat s)
{
	return p->st[s].quality != Q_UNAVAILABLE;
}

#endif
