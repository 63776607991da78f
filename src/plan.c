// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "plan.h"

static const char *const stat_names[ST_MAX] = {
	[ST_REUSE] = "reuse", [ST_COPY] = "copy", [ST_COPY_ANON] = "copy_anon",
	[ST_COPY_ZERO] = "copy_zero", [ST_COPY_FILE] = "copy_file",
	[ST_COPY_KSM] = "copy_ksm", [ST_UNSHARE] = "unshare",
	[ST_SHARED_REUSE] = "shared_reuse", [ST_THP_REUSE] = "thp_reuse",
	[ST_THP_SPLIT] = "thp_split", [ST_PINNED_COW] = "pinned_cow",
	[ST_UFFD_MISSING] = "uffd_missing", [ST_UFFD_WP] = "uffd_wp",
	[ST_UFFD_MINOR] = "uffd_minor", [ST_MARKER_INSTALL] = "marker_install",
	[ST_COPIED_BYTES] = "copied_bytes", [ST_WP_LATENCY] = "wp_latency",
	[ST_UFFD_BLOCKED] = "uffd_blocked", [ST_FORK_TO_COPY] = "fork_to_copy",
};

const char *ct_stat_name(enum ct_stat s)
{
	return s < ST_MAX ? stat_names[s] : "?";
}

int ct_stat_from_name(const char *name)
{
	for (int i = 0; i < ST_MAX; i++)
		if (!strcmp(stat_names[i], name))
			return i;
	return -1;
}

const char *ct_mode_name(enum ct_mode m)
{
	switch (m) {
	case MODE_FENTRY: return "fentry";
	case MODE_KPROBE: return "kprobe";
	case MODE_TRACEPOINT: return "tracepoint";
	default: return "none";
	}
}

const char *ct_quality_name(enum ct_quality q)
{
	switch (q) {
	case Q_EXACT: return "exact";
	case Q_DERIVED: return "derived";
	default: return "unavailable";
	}
}

void plan_set(struct ct_plan *p, enum ct_stat s, const char *hook, enum ct_mode mode,
	      enum ct_quality q, const char *reason)
{
	struct ct_probe *pr = &p->st[s];

	snprintf(pr->hook, sizeof(pr->hook), "%s", hook ? hook : "-");
	pr->mode = q == Q_UNAVAILABLE ? MODE_NONE : mode;
	pr->quality = q;
	snprintf(pr->reason, sizeof(pr->reason), "%s", reason ? reason : "");
}

/* Tracepoint mode: what can be derived from faults and page allocations. */
void plan_fill_tracepoint(struct ct_plan *pl)
{
	const char *h = "page_fault_user+mm_page_alloc";
	const char *nohook = "needs fentry or kprobes";

	pl->mode = MODE_TRACEPOINT;
	for (int s = 0; s < ST_MAX; s++)
		plan_set(pl, s, "-", MODE_NONE, Q_UNAVAILABLE, nohook);
	plan_set(pl, ST_MARKER_INSTALL, "zap_pte_range", MODE_NONE, Q_UNAVAILABLE,
		 "zap_pte_range inlined; needs a kprobe or fentry on unmap_page_range");
	plan_set(pl, ST_REUSE, h, MODE_TRACEPOINT, Q_DERIVED,
		 "write fault on present pte, no page allocated; includes shared-mapping writes");
	plan_set(pl, ST_COPY, h, MODE_TRACEPOINT, Q_DERIVED,
		 "write fault on present pte, then a movable user page allocated");
	plan_set(pl, ST_COPY_ZERO, h, MODE_TRACEPOINT, Q_DERIVED, "the allocation was __GFP_ZERO");
	plan_set(pl, ST_COPY_ANON, "-", MODE_NONE, Q_UNAVAILABLE, "anon/file/KSM copies look alike here");
	plan_set(pl, ST_COPY_FILE, "-", MODE_NONE, Q_UNAVAILABLE, "anon/file/KSM copies look alike here");
	plan_set(pl, ST_COPY_KSM, "-", MODE_NONE, Q_UNAVAILABLE, "anon/file/KSM copies look alike here");
	plan_set(pl, ST_PINNED_COW, "sys_enter+mm_page_alloc+sched_process_fork", MODE_TRACEPOINT,
		 Q_DERIVED, "movable user pages allocated by a parent inside fork");
	plan_set(pl, ST_FORK_TO_COPY, "sched_process_fork", MODE_TRACEPOINT, Q_DERIVED,
		 "from derived copies");
	plan_set(pl, ST_COPIED_BYTES, "-", MODE_TRACEPOINT, Q_DERIVED,
		 "(copy + pinned_cow) x page size; unshare unavailable");
}
