/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cowtrace predict -p PID: what a fork of PID now would cost, before it
 * happens.  The stall, from its page tables now (VmPTE) and the rate of
 * calibration forks on this machine; the copies, from the distinct pages
 * it writes in windows of time (soft-dirty), which a child living that
 * long would make it copy.
 *
 * The pure part (the fit, the windows, the outputs) is here and unit
 * tested; predict.c measures.
 */
#ifndef COWTRACE_PREDICT_H
#define COWTRACE_PREDICT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PR_MAX_WINDOWS 8
#define PR_CAL_SIZES 2

/* A calibration fork size: the helper's VmPTE then, and the median of its forks' times. */
struct pr_cal_point {
	unsigned mib;
	uint64_t vmpte_bytes;
	uint64_t fork_ns;
};

struct pr_window {
	double seconds;
	uint64_t pages;          /* present at the start, written (soft-dirty) by then */
	uint64_t new_pages;      /* not present at the start, there and written by then: the process grew */
};

/* A fork seen before (a record file's): what its call cost for its page tables. */
struct pr_seen_fork {
	uint64_t duration_ns, pgtables_bytes;
	bool same_comm;          /* its parent had the predicted process's comm */
};

struct pr_result {
	uint32_t pid;
	char comm[32];
	char kernel[128];
	uint64_t vmpte_bytes, rss_bytes, anon_bytes;
	uint32_t vmas;
	uint32_t page_size;
	/* the stall: base_ns + ns_per_byte * vmpte_bytes */
	bool stall_known;
	char stall_why[256];     /* !stall_known: why */
	struct pr_cal_point cal[PR_CAL_SIZES];
	/* or forks seen before (--basis FILE): their rate, through 0 */
	const char *basis_file;
	unsigned basis_forks;
	bool basis_same_comm;    /* they were forks of a process of the same comm */
	double base_ns, ns_per_byte;
	double stall_ns;
	/* the copies */
	bool copies_known;
	char copies_why[256];    /* !copies_known: why */
	uint64_t tracked_pages;  /* private writable pages present at the start */
	unsigned nwindows;
	struct pr_window w[PR_MAX_WINDOWS];
};

/* The windows up to `window` seconds: 1, 5, 15, 60, 300 s below it, and it.  How many (out). */
unsigned pr_windows(double window, double *out, unsigned max);
/*
 * The stall's rate from forks seen before: their summed time over their
 * summed page tables, those of the same comm alone where there are any,
 * forks of under 64 KiB of page tables left out (their fixed cost would
 * dominate).  False (stall_why said) without one to use.
 */
bool pr_basis(struct pr_result *r, const struct pr_seen_fork *f, unsigned n);
/* Fit the stall's line through the calibration points; false if they cannot give one. */
bool pr_fit(struct pr_result *r);
void pr_text(FILE *f, const struct pr_result *r);
void pr_json(FILE *f, const struct pr_result *r);

/* The subcommand (predict.c): measure, print; the exit status. */
struct ct_cli;
int run_predict(struct ct_cli *cli, int pidfd);

#endif
