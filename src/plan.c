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

uint32_t plan_generic_copies(const struct ct_plan *pl)
{
	uint32_t mask = 0;

	for (unsigned k = 0; k < CT_WP_KIND_MAX; k++) {
		int s = ct_stat_of_counter(CT_C_WP + k);

		if (ct_wp_is_copy(k) && s >= 0 && !plan_available(pl, s))
			mask |= 1u << k;
	}
	return mask;
}

const char *plan_wp_kind_name(const struct ct_plan *pl, unsigned kind)
{
	return kind < 32 && ((plan_generic_copies(pl) >> kind) & 1) ? "copy" : ct_wp_kind_name(kind);
}

uint64_t misses_total(const struct ct_misses *m)
{
	uint64_t n = 0;

	for (int i = 0; m && i < m->n; i++)
		n += m->m[i].missed;
	return n;
}

uint64_t misses_of(const struct ct_misses *m, enum ct_stat s)
{
	uint64_t n = 0;

	for (int i = 0; m && i < m->n; i++)
		if (m->m[i].stats & STAT_BIT(s))
			n += m->m[i].missed;
	return n;
}

/* ---- which statistics each BPF program feeds (for its misses) ---- */

#define SB(s) STAT_BIT(s)
#define TP_WP_STATS (SB(ST_REUSE) | SB(ST_COPY) | SB(ST_COPY_ZERO) | SB(ST_COPIED_BYTES) | SB(ST_FORK_TO_COPY))

/* What each program feeds: a hook's statistics (ct_stats), or these. */
static const struct {
	const char *prog;
	int hook;          /* enum ct_hook, -1: none */
	ct_statmask stats;
} prog_roles[] = {
	{ "fe_wp", HOOK_WP, 0 }, { "fx_wp", HOOK_WP, 0 }, { "kp_wp", HOOK_WP, 0 }, { "krp_wp", HOOK_WP, 0 },
	{ "fe_new_anon", HOOK_ANON, 0 }, { "kp_new_anon", HOOK_ANON, 0 },
	{ "fe_cpr", HOOK_CPR, 0 }, { "fx_cpr", HOOK_CPR, 0 }, { "kp_cpr", HOOK_CPR, 0 }, { "krp_cpr", HOOK_CPR, 0 },
	{ "fe_thp", HOOK_THP, 0 }, { "fx_thp1", HOOK_THP, 0 }, { "fx_thp2", HOOK_THP, 0 },
	{ "kp_thp", HOOK_THP, 0 }, { "krp_thp", HOOK_THP, 0 },
	{ "fe_uffd", HOOK_UFFD, 0 }, { "fx_uffd", HOOK_UFFD, 0 }, { "kp_uffd", HOOK_UFFD, 0 },
	{ "krp_uffd", HOOK_UFFD, 0 },
	{ "fe_zap", HOOK_ZAP, 0 }, { "fx_zap", HOOK_ZAP, 0 }, { "kp_zap", HOOK_ZAP, 0 }, { "krp_zap", HOOK_ZAP, 0 },
	{ "sched_fork", -1, SB(ST_PINNED_COW) | SB(ST_FORK_TO_COPY) | SB(ST_COPIED_BYTES) },
	{ "sched_exit", -1, STAT_ALL }, /* a process's final counts */
	{ "sched_exec", -1, 0 },
	{ "tp_fault_user", -1, TP_WP_STATS },
	{ "tp_fault_kernel", -1, TP_WP_STATS },
	{ "tp_alloc", -1, TP_WP_STATS | SB(ST_PINNED_COW) },
	{ "tp_alloc_nofv", -1, TP_WP_STATS | SB(ST_PINNED_COW) },
	{ "tp_free", -1, TP_WP_STATS },
};

ct_statmask plan_prog_stats(const char *name)
{
	ct_statmask m = 0;

	for (unsigned i = 0; i < sizeof(prog_roles) / sizeof(prog_roles[0]); i++) {
		if (strcmp(prog_roles[i].prog, name))
			continue;
		m = prog_roles[i].stats;
		for (int st = 0; prog_roles[i].hook >= 0 && st < ST_MAX; st++)
			if (ct_stats[st].hooks & HOOK_BIT(prog_roles[i].hook))
				m |= SB(st);
		if (m & (SB(ST_COPY) | SB(ST_UNSHARE) | SB(ST_PINNED_COW)))
			m |= SB(ST_COPIED_BYTES);
		if (m & SB(ST_COPY))
			m |= SB(ST_FORK_TO_COPY);
		break;
	}
	return m & STAT_ALL;
}

