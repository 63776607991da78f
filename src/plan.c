// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The probe plan: per statistic, the hook that feeds it, its mode and quality. */
#include <stdio.h>
#include <string.h>
#include "plan.h"

void plan_set(struct ct_plan *p, enum ct_stat s, const char *hook, enum ct_mode mode,
	      enum ct_quality q, const char *reason)
{
	struct ct_probe *pr = &p->st[s];

	snprintf(pr->hook, sizeof(pr->hook), "%s", hook ? hook : "-");
	pr->mode = q == Q_UNAVAILABLE ? MODE_NONE : mode;
	pr->quality = q;
	snprintf(pr->reason, sizeof(pr->reason), "%s", reason ? reason : "");
}

/* Tracepoint mode: what can be derived from faults and page allocations (ct_stats' tp columns). */
void plan_fill_tracepoint(struct ct_plan *pl)
{
	pl->mode = MODE_TRACEPOINT;
	for (int s = 0; s < ST_MAX; s++)
		plan_set(pl, s, ct_stats[s].tp_hook, MODE_TRACEPOINT, ct_stats[s].tp_quality,
			 ct_stats[s].tp_reason);
}
