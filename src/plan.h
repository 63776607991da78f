/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The probe plan: for each statistic, which hook feeds it, how, and how well. */
#ifndef COWTRACE_PLAN_H
#define COWTRACE_PLAN_H

#include <stdbool.h>
#include <stdint.h>
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
	uint32_t stacks;     /* --stacks: the kinds (bits of enum ct_wp_kind) whose stacks are counted */
};

/*
 * Runs of BPF programs the kernel skipped ("missed"): its recursion guard
 * skips a program on a CPU while a preempted run of it is pending there,
 * and kprobes miss when they fire inside another.  Unlike lost events (the
 * ring buffer was full), nothing was ever seen of a missed run.
 */
#define CT_MISS_MAX CT_MAX_PROGS
#define CT_MAX_PROGS 32

struct ct_miss {
	char prog[24];       /* BPF program */
	char hook[64];       /* the kernel function or tracepoint it runs on */
	uint64_t missed;     /* runs skipped */
	ct_statmask stats;   /* the statistics it feeds */
};

struct ct_misses {
	bool known;          /* the kernel reports skipped runs (5.12+) */
	int n;
	struct ct_miss m[CT_MISS_MAX];
};

uint64_t misses_total(const struct ct_misses *m);
/* The statistics (bit per enum ct_stat) a cowtrace BPF program feeds, by its name. */
ct_statmask plan_prog_stats(const char *prog);
/* Skipped runs of the programs that feed statistic s. */
uint64_t misses_of(const struct ct_misses *m, enum ct_stat s);

void plan_set(struct ct_plan *p, enum ct_stat s, const char *hook, enum ct_mode mode,
	      enum ct_quality q, const char *reason);
/* The plan of tracepoint mode (kernels without fentry and kprobes). */
void plan_fill_tracepoint(struct ct_plan *p);

/* What a rung does for one hook (enum ct_hook). */
struct ct_hook_choice {
	enum ct_mode mode;   /* MODE_NONE: unavailable */
	char sym[96];        /* exact kernel symbol to attach to */
	char why[96];        /* reason when not fentry */
};

/* What statistics need of the kernel beyond their hooks (enum ct_need). */
struct ct_kernel_caps {
	bool unshare;        /* FAULT_FLAG_UNSHARE */
	bool uffd_minor;     /* userfaultfd minor faults */
};

/*
 * The plan of an exact rung from its hook choices: a statistic is
 * available when every hook that feeds it is, and the kernel (caps) and the
 * options (latency: --latency) give what else it needs.
 */
void plan_fill_exact(struct ct_plan *p, enum ct_mode rung, const struct ct_hook_choice c[HOOK_MAX],
		     const struct ct_kernel_caps *caps, bool latency);
/* What every rung's plan gets last: the derived statistics of an exact rung, the kernel's release. */
void plan_fill_common(struct ct_plan *p, const char *kernel);
static inline int plan_available(const struct ct_plan *p, enum ct_stat s)
{
	return p->st[s].quality != Q_UNAVAILABLE;
}
/*
 * The copy kinds (bits of enum ct_wp_kind) this plan cannot tell apart:
 * tracepoint mode sees a copy, not what it copied, and the kernel side
 * files such copies under CT_WP_COPY_ANON.
 */
uint32_t plan_generic_copies(const struct ct_plan *p);
/* A write fault's kind as the plan can tell it: "copy" for a kind it cannot, else ct_wp_kind_name(). */
const char *plan_wp_kind_name(const struct ct_plan *p, unsigned kind);

#endif
