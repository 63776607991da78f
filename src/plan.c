// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The probe plan: per statistic, the hook that feeds it, its mode and quality. */
#include <stdio.h>
#include <string.h>
#include "plan.h"
#include "progs.h"

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

/* ---- an exact rung's plan ---- */

/*
 * The plan of an exact rung, from ct_stats: a statistic is available when
 * every hook that feeds it is (its mode: kprobe if any of them is) and the
 * kernel has what else it needs (or the option it needs was given).
 */
void plan_fill_exact(struct ct_plan *pl, enum ct_mode rung, const struct ct_hook_choice c[HOOK_MAX],
		     const struct ct_kernel_caps *caps, bool latency)
{
	pl->mode = rung;
	for (int s = 0; s < ST_MAX; s++) {
		const struct ct_stat_desc *d = &ct_stats[s];
		char hook[128] = "", why[256] = "";
		enum ct_mode mode = MODE_NONE;
		bool ok = d->hooks != 0;

		if (d->lifecycle) { /* a tp_btf program of every rung */
			plan_set(pl, s, d->lifecycle, rung, Q_EXACT, d->tp_reason);
			continue;
		}
		if (!d->hooks)
			continue; /* derived: fill_plan_common() */
		for (int h = 0; h < HOOK_MAX; h++) {
			if (!(d->hooks & HOOK_BIT(h)))
				continue;
			snprintf(hook + strlen(hook), sizeof(hook) - strlen(hook), "%s%s", hook[0] ? "+" : "",
				 c[h].sym[0] ? c[h].sym : ct_hook_funcs[h].cands[0]);
			if (!c[h].mode && ok) {
				ok = false;
				snprintf(why, sizeof(why), "%s", c[h].why);
			} else if (c[h].why[0] && ok) {
				snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s",
					 why[0] ? "; " : "", c[h].why);
			}
			if (c[h].mode > mode)
				mode = c[h].mode;
		}
		if (ok && d->needs == NEED_UNSHARE && !caps->unshare) {
			ok = false;
			snprintf(why, sizeof(why), "kernel has no FAULT_FLAG_UNSHARE");
		} else if (ok && d->needs == NEED_UFFD_MINOR && !caps->uffd_minor) {
			ok = false;
			snprintf(why, sizeof(why), "kernel has no userfaultfd minor faults");
		} else if (ok && d->needs == NEED_LATENCY && !latency) {
			ok = false;
			snprintf(why, sizeof(why), "not measured without --latency (it times every write fault)");
		}
		if (ok && !why[0] && d->note)
			snprintf(why, sizeof(why), "%s", d->note);
		plan_set(pl, s, hook, mode, ok ? Q_EXACT : Q_UNAVAILABLE, why);
	}
}

void plan_fill_common(struct ct_plan *pl, const char *kernel)
{
	snprintf(pl->kernel, sizeof(pl->kernel), "%s", kernel ? kernel : "");
	if (pl->mode != MODE_TRACEPOINT) {
		const struct ct_probe *cp = &pl->st[ST_COPY], *pc = &pl->st[ST_PINNED_COW];
		enum ct_quality q = cp->quality;

		if (q == Q_EXACT && pc->quality != Q_EXACT)
			q = Q_DERIVED;
		plan_set(pl, ST_COPIED_BYTES, cp->hook, cp->mode, q,
			 q == Q_EXACT ? "(copy + unshare + pinned_cow) x page size"
				      : "(copy + unshare) x page size; pinned_cow unavailable");
		plan_set(pl, ST_FORK_TO_COPY, "sched_process_fork", cp->mode, cp->quality, cp->reason);
	}
}

/* ---- which statistics each BPF program feeds (for its misses): progs.h ---- */

ct_statmask plan_prog_stats(const char *name)
{
	const struct ct_prog_desc *p = ct_prog_find(name);
	ct_statmask m;

	if (!p)
		return 0;
	m = p->stats;
	for (int st = 0; p->hook >= 0 && st < ST_MAX; st++)
		if (ct_stats[st].hooks & HOOK_BIT(p->hook))
			m |= STAT_BIT(st);
	if (m & (STAT_BIT(ST_COPY) | STAT_BIT(ST_UNSHARE) | STAT_BIT(ST_PINNED_COW)))
		m |= STAT_BIT(ST_COPIED_BYTES);
	if (m & STAT_BIT(ST_COPY))
		m |= STAT_BIT(ST_FORK_TO_COPY);
	return m & STAT_ALL;
}

