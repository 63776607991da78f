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
