// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* NDJSON: the report object, and --events lines (one per raw event). */
#include <stdlib.h>
#include <string.h>
#include "output.h"

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_after(FILE *f, const char *key, uint64_t fork_ns, uint64_t copy_ns)
{
	if (!copy_ns || copy_ns < fork_ns)
		fprintf(f, ",\"%s\":null", key);
	else
		fprintf(f, ",\"%s\":%.6f", key, (copy_ns - fork_ns) / 1e9);
}

/*
 * What the fork call cost: null where the kernel did not say (the
 * fields' CT_FK_* bit is clear); a child sharing the parent's mm (vfork,
 * CLONE_VM) got no page tables: 0, its parent's memory is not read.
 */
static void json_fork_cost(FILE *f, const struct ct_fork *k, uint32_t page_size)
{
	bool mm = k->known & CT_FK_MM;

	if (k->known & CT_FK_DURATION)
		fprintf(f, ",\"duration_s\":%.9f", k->duration_ns / 1e9);
	else
		fputs(",\"duration_s\":null", f);
	if (k->known & CT_FK_CPR)
		fprintf(f, ",\"copy_page_range_s\":%.9f", k->cpr_ns / 1e9);
	else
		fputs(",\"copy_page_range_s\":null", f);
	fprintf(f, ",\"clone_vm\":%s", k->known & CT_FK_CLONE_VM ? "true" : k->known ? "false" : "null");
	if (mm || (k->known & CT_FK_CLONE_VM))
		fprintf(f, ",\"page_table_bytes\":%llu", (unsigned long long)k->pgtables_bytes);
	else
		fputs(",\"page_table_bytes\":null", f);
	if (mm)
		fprintf(f, ",\"rss_bytes\":%llu,\"rss_anon_bytes\":%llu,\"rss_file_bytes\":%llu,"
			"\"rss_shmem_bytes\":%llu,\"swap_entries\":%llu,\"vmas\":%u",
			(unsigned long long)((k->rss[CT_RSS_ANON] + k->rss[CT_RSS_FILE] + k->rss[CT_RSS_SHMEM]) * page_size),
			(unsigned long long)(k->rss[CT_RSS_ANON] * page_size),
			(unsigned long long)(k->rss[CT_RSS_FILE] * page_size),
			(unsigned long long)(k->rss[CT_RSS_SHMEM] * page_size),
			(unsigned long long)k->rss[CT_RSS_SWAP], k->vmas);
	else
		fputs(",\"rss_bytes\":null,\"rss_anon_bytes\":null,\"rss_file_bytes\":null,"
		      "\"rss_shmem_bytes\":null,\"swap_entries\":null,\"vmas\":null", f);
	json_after(f, "exec_after_s", k->ts_ns, k->exec_ns);
}

/* Skipped program runs: the total, and per program what it feeds. */
static void json_misses(FILE *f, const struct ct_report *r)
{
	const struct ct_misses *m = r->misses;

	fprintf(f, ",\"settled_faults\":%llu,\"exits_unseen\":%llu", (unsigned long long)r->settled,
		(unsigned long long)r->agg->t.exits_unseen);
	if (!m)
		return;
	if (!m->known) {
		fprintf(f, ",\"missed_events\":null,\"missed\":null");
		return;
	}
	fprintf(f, ",\"missed_events\":%llu,\"missed\":[", (unsigned long long)misses_total(m));
	for (int i = 0; i < m->n; i++) {
		const struct ct_miss *x = &m->m[i];
		bool first = true;

		fprintf(f, "%s{\"program\":", i ? "," : "");
		json_str(f, x->prog);
		fprintf(f, ",\"hook\":");
		json_str(f, x->hook);
		fprintf(f, ",\"missed\":%llu,\"statistics\":[", (unsigned long long)x->missed);
		for (int s = 0; s < ST_MAX; s++)
			if ((x->stats & STAT_BIT(s)) && plan_available(r->plan, s)) {
				fprintf(f, "%s\"%s\"", first ? "" : ",", ct_stat_name(s));
				first = false;
			}
		fprintf(f, "]}");
	}
	fputc(']', f);
}

/* A fork side's copies by mapping: {"heap":N,...}, null for a class the plan lacks. */
static void json_fork_maps(FILE *f, const struct ct_report *r, const char *key, const uint64_t *pages)
{
	bool first = true;

	fprintf(f, ",\"%s\":{", key);
	for (int s = 0; s < ST_MAX; s++) {
		int m = ct_stat_map(s);

		if (m < 0)
			continue;
		fprintf(f, "%s\"%s\":", first ? "" : ",", ct_stats[s].family_value);
		if (plan_available(r->plan, s))
			fprintf(f, "%llu", (unsigned long long)pages[m]);
		else
			fputs("null", f);
		first = false;
	}
	fputc('}', f);
}

/*
 * A process's histograms: "histograms":{"wp_latency.reuse":{"count":N,
 * "sum_ns":S,"buckets":[[LOW_NS,HIGH_NS,COUNT],...]},...}, only the ones
 * with samples, of statistics the plan has; the last bucket's high is null.
 */
static void json_hists(FILE *f, const struct ct_report *r, const struct ct_proc *p)
{
	bool first = true;

	if (!p->h)
		return;
	for (int i = 0; i < CT_H_MAX; i++) {
		const struct ct_hist *h = &p->h->h[i];
		const struct ct_hist_desc *d = &ct_hists[i];
		bool fb = true;

		if (!h->count || !plan_available(r->plan, d->stat))
			continue;
		fprintf(f, "%s\"%s%s%s\":{\"count\":%llu,\"sum_ns\":%llu,\"buckets\":[",
			first ? ",\"histograms\":{" : ",", ct_stat_name(d->stat), d->family_value ? "." : "",
			d->family_value ? d->family_value : "", (unsigned long long)h->count,
			(unsigned long long)h->sum);
		first = false;
		for (unsigned k = 0; k < HIST_SLOTS; k++) {
			if (!h->slot[k])
				continue;
			fprintf(f, "%s[%llu,", fb ? "" : ",", k ? 1ULL << (k - 1) : 0ULL);
			if (k == HIST_SLOTS - 1)
				fprintf(f, "null");
			else
				fprintf(f, "%llu", (unsigned long long)hist_upper(k));
			fprintf(f, ",%llu]", (unsigned long long)h->slot[k]);
			fb = false;
		}
		fputs("]}", f);
	}
	if (!first)
		fputc('}', f);
}

/* A frame list "a;b;c" as a JSON array of strings. */
static void json_frames(FILE *f, const char *frames)
{
	char buf[1024];

	fputc('[', f);
	for (const char *p = frames; *p;) {
		size_t n = strcspn(p, ";");

		snprintf(buf, sizeof(buf), "%.*s", (int)n, p);
		json_str(f, buf);
		p += n;
		if (*p) {
			p++;
			fputc(',', f);
		}
	}
	fputc(']', f);
}

/*
 * --stacks: a process's heaviest stacks, "stacks":[{"pages":N,"kind":K,
 * "mapping":M,"file":F,"frames":[outer,...,inner]}] (mapping null: not a
 * copy; file null: not a file mapping).
 */
static void json_stacks(FILE *f, const struct ct_report *r, const struct ct_proc *p)
{
	struct ct_stack_top *t;
	int64_t n;

	if (!r->stacks || !p->pid)
		return;
	n = stacks_top(r->stacks, p->pid, p->start_ns, &t);
	fprintf(f, ",\"stacks\":[");
	for (int64_t i = 0; i < n && i < r->top_stacks; i++) {
		const struct ct_stack *s = t[i].s;

		fprintf(f, "%s{\"pages\":%llu,\"kind\":\"%s\",\"mapping\":", i ? "," : "",
			(unsigned long long)t[i].pages, stacks_kind_name(r->stacks, s->id.kind));
		if (s->id.map < CT_MAP_MAX && !r->stacks->maps_unknown)
			fprintf(f, "\"%s\"", ct_map_name(s->id.map));
		else
			fputs("null", f);
		fputs(",\"file\":", f);
		if (s->file)
			json_str(f, s->file);
		else
			fputs("null", f);
		fputs(",\"frames\":", f);
		json_frames(f, s->frames);
		fputc('}', f);
	}
	fputc(']', f);
	free(t);
}

void output_json(FILE *f, const struct ct_report *r)
{
	const struct ct_agg *a = r->agg;
	uint32_t *order = agg_sorted(a);

	fprintf(f, "{\"final\":%s,\"version\":", r->final ? "true" : "false");
	json_str(f, r->version ? r->version : "");
	fprintf(f, ",\"kernel\":");
	json_str(f, r->plan->kernel);
	fprintf(f, ",\"mode\":\"%s\",\"duration_s\":%.3f", ct_mode_name(r->plan->mode), r->duration_s);
	if (r->cmd_status >= 0)
		fprintf(f, ",\"command_status\":%d", r->cmd_status);
	fprintf(f, ",\"probes\":{");
	for (int s = 0; s < ST_MAX; s++) {
		const struct ct_probe *p = &r->plan->st[s];

		fprintf(f, "%s\"%s\":{\"hook\":", s ? "," : "", ct_stat_name(s));
		json_str(f, p->hook);
		fprintf(f, ",\"mode\":\"%s\",\"quality\":\"%s\",\"reason\":", ct_mode_name(p->mode),
			ct_quality_name(p->quality));
		json_str(f, p->reason);
		if (r->misses && r->misses->known && p->quality != Q_UNAVAILABLE)
			fprintf(f, ",\"missed\":%llu", (unsigned long long)misses_of(r->misses, s));
		else if (r->misses)
			fprintf(f, ",\"missed\":null");
		fputc('}', f);
	}
	fprintf(f, "},\"lost_events\":%llu,\"unclassified_faults\":%llu", (unsigned long long)r->lost_events,
		(unsigned long long)r->unclassified);
	json_misses(f, r);
	if (r->stacks)
		fprintf(f, ",\"stacks_dropped_pages\":%llu", (unsigned long long)r->stacks->dropped);
	fprintf(f, ",\"processes\":[");
	for (uint32_t i = 0; order && i < a->t.nprocs; i++) {
		const struct ct_proc *p = &a->t.procs[order[i]];

		const char *cg = agg_cgroup_name(a, p->cgroup_id);

		if (p->pid)
			fprintf(f, "%s{\"pid\":%u,\"ppid\":%u,\"comm\":", i ? "," : "", p->pid, p->ppid);
		else
			fprintf(f, "%s{\"pid\":null,\"exited_processes\":%u,\"comm\":", i ? "," : "",
				p->folded);
		json_str(f, p->comm);
		if (cg) {
			fprintf(f, ",\"cgroup\":");
			json_str(f, cg);
		}
		fprintf(f, ",\"exited\":%s", p->exited ? "true" : "false");
		/* every statistic that is not a histogram, in ct_stats order */
		for (int s = 0; s < ST_MAX; s++) {
			if (ct_stats[s].type == STAT_HIST)
				continue;
			if (plan_available(r->plan, s))
				fprintf(f, ",\"%s\":%llu", ct_stat_name(s),
					(unsigned long long)proc_stat(p, s, a->page_size));
			else
				fprintf(f, ",\"%s\":null", ct_stat_name(s));
		}
		json_hists(f, r, p);
		json_stacks(f, r, p);
		fputc('}', f);
	}
	fprintf(f, "],\"forks\":[");
	for (uint32_t i = 0; i < a->nforks; i++) {
		const struct ct_fork *k = &a->forks[i];

		fprintf(f, "%s{\"parent\":%u,\"child\":%u", i ? "," : "", k->parent, k->child);
		json_fork_cost(f, k, a->page_size);
		fputs(",\"pinned_cow\":", f);
		if (plan_available(r->plan, ST_PINNED_COW))
			fprintf(f, "%llu", (unsigned long long)k->pinned_cow);
		else
			fprintf(f, "null");
		/* a side that was not traced: nothing is known of its copies */
		if (k->traced & CT_FORK_PARENT_TRACED)
			fprintf(f, ",\"parent_copies\":%llu", (unsigned long long)k->parent_copies);
		else
			fputs(",\"parent_copies\":null", f);
		if (k->traced & CT_FORK_CHILD_TRACED)
			fprintf(f, ",\"child_copies\":%llu", (unsigned long long)k->child_copies);
		else
			fputs(",\"child_copies\":null", f);
		json_after(f, "first_copy_after_s", k->ts_ns, k->first_copy_ns);
		json_after(f, "last_copy_after_s", k->ts_ns, k->last_copy_ns);
		if (k->traced & CT_FORK_PARENT_TRACED)
			json_fork_maps(f, r, "parent_mappings", k->side_map[CT_FORK_SIDE_PARENT]);
		else
			fputs(",\"parent_mappings\":null", f);
		if (k->traced & CT_FORK_CHILD_TRACED)
			json_fork_maps(f, r, "child_mappings", k->side_map[CT_FORK_SIDE_CHILD]);
		else
			fputs(",\"child_mappings\":null", f);
		fputc('}', f);
	}
	fprintf(f, "],\"evicted_processes\":%llu,\"forks_folded\":{\"forks\":%llu,\"pinned_cow\":%llu,"
		"\"parent_copies\":%llu,\"child_copies\":%llu}}\n",
		(unsigned long long)a->t.evicted, (unsigned long long)a->forks_folded.child,
		(unsigned long long)a->forks_folded.pinned_cow,
		(unsigned long long)a->forks_folded.parent_copies,
		(unsigned long long)a->forks_folded.child_copies);
	free(order);
	fflush(f);
}

/* --events: one line per raw event. */
void output_json_event(FILE *f, const struct ct_event *e, const struct ct_plan *plan)
{
	char comm[CT_COMM_LEN + 1];
	const char *kind = NULL;
	int st;

	if (!ct_event_name(e->type))
		return;
	memcpy(comm, e->comm, CT_COMM_LEN);
	comm[CT_COMM_LEN] = 0;
	fprintf(f, "{\"event\":\"%s\",\"ts_ns\":%llu,\"pid\":%u,\"tid\":%u,\"ppid\":%u,\"comm\":",
		ct_event_name(e->type), (unsigned long long)e->ts_ns, e->pid, e->tid, e->ppid);
	json_str(f, comm);
	fprintf(f, ",\"cgroup_id\":%llu", (unsigned long long)e->cgroup_id);
	/* the kind of a counting event is its counter's statistic's event_kind */
	switch (e->type) {
	case CT_EV_WP:
		st = e->kind < CT_WP_KIND_MAX ? ct_stat_of_counter(CT_C_WP + e->kind) : -1;
		break;
	case CT_EV_THP:
		st = e->kind < CT_THP_KIND_MAX ? ct_stat_of_counter(CT_C_THP + e->kind) : -1;
		break;
	case CT_EV_UFFD:
		st = e->kind < CT_UFFD_KIND_MAX ? ct_stat_of_counter(CT_C_UFFD + e->kind) : -1;
		break;
	default:
		st = -1;
	}
	if (e->type == CT_EV_WP && st >= 0)
		kind = plan_wp_kind_name(plan, e->kind);
	else if (st >= 0)
		kind = ct_stats[st].event_kind;
	if (kind)
		fprintf(f, ",\"kind\":\"%s\"", kind);
	switch (e->type) {
	case CT_EV_WP:
	case CT_EV_THP:
		if (e->value) /* 0: not timed (tracepoint mode) */
			fprintf(f, ",\"latency_ns\":%llu", (unsigned long long)e->value);
		break;
	case CT_EV_UFFD:
		fprintf(f, ",\"blocked_ns\":%llu", (unsigned long long)e->value);
		break;
	case CT_EV_PINNED:
		fprintf(f, ",\"pages\":%llu,\"child\":%u", (unsigned long long)e->value, e->aux);
		break;
	case CT_EV_FORK:
		fprintf(f, ",\"child\":%u,\"pinned_cow\":%llu,\"parent_traced\":%s,\"child_traced\":%s",
			e->aux, (unsigned long long)e->value,
			e->kind & CT_FORK_PARENT_TRACED ? "true" : "false",
			e->kind & CT_FORK_CHILD_TRACED ? "true" : "false");
		break;
	case CT_EV_MARKER:
		fprintf(f, ",\"markers\":%llu", (unsigned long long)e->value);
		break;
	case CT_EV_EXEC: /* the first exec of a forked child: its fork's ts_ns */
		fprintf(f, ",\"fork_ts_ns\":%llu", (unsigned long long)e->value);
		if (e->ts_ns >= e->value)
			fprintf(f, ",\"after_fork_s\":%.6f", (e->ts_ns - e->value) / 1e9);
		break;
	}
	fputs("}\n", f);
}
