/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* log2 histograms of nanosecond values. */
#ifndef COWTRACE_HIST_H
#define COWTRACE_HIST_H
#include <stdint.h>
#include <stdio.h>

#define HIST_SLOTS 40 /* slot i holds [2^(i-1), 2^i), slot 0 holds 0; last is open (CT_HIST_SLOTS) */

struct ct_hist {
	uint64_t slot[HIST_SLOTS];
	uint64_t count;
	uint64_t sum;  /* same unit as the samples */
};

void hist_add(struct ct_hist *h, uint64_t v);
unsigned hist_slot(uint64_t v);
/* Upper bound (inclusive) of slot i: values v with hist_slot(v) == i satisfy v <= hist_upper(i). */
uint64_t hist_upper(unsigned i);
void hist_merge(struct ct_hist *dst, const struct ct_hist *src);
/* bcc style: "low -> high : count |****|", only the used range. unit: "nsecs", "usecs" */
void hist_print(FILE *f, const struct ct_hist *h, const char *unit, unsigned divisor);

#endif
