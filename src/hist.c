// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "hist.h"

unsigned hist_slot(uint64_t v)
{
	unsigned s = v ? 64 - __builtin_clzll(v) : 0;

	return s < HIST_SLOTS ? s : HIST_SLOTS - 1;
}

uint64_t hist_upper(unsigned i)
{
	if (i >= HIST_SLOTS - 1)
		return UINT64_MAX; /* the last slot is open-ended */
	return i == 0 ? 0 : (1ULL << i) - 1;
}

void hist_add(struct ct_hist *h, uint64_t v)
{
	h->slot[hist_slot(v)]++;
	h->count++;
	h->sum += v;
}

void hist_merge(struct ct_hist *dst, const struct ct_hist *src)
{
	for (unsigned i = 0; i < HIST_SLOTS; i++)
		dst->slot[i] += src->slot[i];
	dst->count += src->count;
	dst->sum += src->sum;
}

void hist_print(FILE *f, const struct ct_hist *h, const char *unit, unsigned divisor)
{
	struct ct_hist s = { 0 };
	int first = -1, last = -1;
	uint64_t max = 0;
	const int width = 40;

	if (divisor < 1)
		divisor = 1;
	/* Rebin into the display unit so the ranges read naturally. */
	for (unsigned i = 0; i < HIST_SLOTS; i++) {
		if (!h->slot[i])
			continue;
		s.slot[hist_slot((i ? 1ULL << (i - 1) : 0) / divisor)] += h->slot[i];
	}
	for (int i = 0; i < HIST_SLOTS; i++) {
		if (!s.slot[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (s.slot[i] > max)
			max = s.slot[i];
	}
	if (last < 0)
		return;
	fprintf(f, "%*s%-*s : count    distribution\n", 10, "", 14, unit);
	for (int i = first; i <= last; i++) {
		uint64_t lo = i == 0 ? 0 : (i == 1 ? 1 : 1ULL << (i - 1));
		uint64_t hi = hist_upper(i);
		int bar = (int)(s.slot[i] * width / max);
		char stars[64];

		memset(stars, '*', bar);
		stars[bar] = 0;
		if (i == HIST_SLOTS - 1)
			fprintf(f, "%10llu -> %-10s : %-8llu |%-*s|\n", (unsigned long long)lo, "inf",
				(unsigned long long)s.slot[i], width, stars);
		else
			fprintf(f, "%10llu -> %-10llu : %-8llu |%-*s|\n", (unsigned long long)lo,
				(unsigned long long)hi, (unsigned long long)s.slot[i], width, stars);
	}
}
