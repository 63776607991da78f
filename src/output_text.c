// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The text report: the probe plan, the per-process table, forks, histograms (bcc style). */
#include <stdlib.h>
#include <string.h>
#include "output.h"

void output_plan_text(FILE *f, const struct ct_plan *plan, const struct ct_misses *misses)
{
	fprintf(f, "%-15s %-42s %-11s %-12s ", "STATISTIC", "HOOK", "MODE", "QUALITY");
	if (misses)
		fprintf(f, "%7s ", "MISSED");
	fprintf(f, "REASON\n");
	for (int s = 0; s < ST_MAX; s++) {
		const struct ct_probe *p = &plan->st[s];

		fprintf(f, "%-15s %-42s %-11s %-12s ", ct_stat_name(s), p->hook, ct_mode_name(p->mode),
			ct_quality_name(p->quality));
		if (misses && (!misses->known || p->quality == Q_UNAVAILABLE))
			fprintf(f, "%7s ", misses->known ? "-" : "n/a");
		else if (misses)
			fprintf(f, "%7llu ", (unsigned long long)misses_of(misses, s));
		fprintf(f, "%s\n", p->reason);
	}
}

/*
 * Runs of BPF programs the kernel skipped: loud, with what they feed, so
 * that a run with misses never reads as exact.
 */
static void print_misses(FILE *f, const struct ct_misses *m, const struct ct_plan *plan)
{
	if (!m || !m->known || !misses_total(m))
		return;
	fprintf(f, "\nWARNING: the kernel skipped %llu runs of cowtrace's BPF programs (a run preempted on a CPU\n"
		"blocks the program there; kprobes miss inside other kprobes). The statistics they feed are\n"
		"undercounted (a copy or reuse whose exit was skipped is settled at the thread's next fault):\n",
		(unsigned long long)misses_total(m));
	for (int i = 0; i < m->n; i++) {
		const struct ct_miss *x = &m->m[i];

		if (!x->missed)
			continue;
		fprintf(f, "  %-16s %-28s %10llu ", x->prog, x->hook, (unsigned long long)x->missed);
		for (int s = 0; s < ST_MAX; s++)
			if ((x->stats & (1u << s)) && plan_available(plan, s))
				fprintf(f, " %s", ct_stat_name(s));
		fputc('\n', f);
	}
}

static void fmt_bytes(char *buf, size_t n, uint64_t b)
{
	static const char *const unit[] = { "B", "K", "M", "G", "T" };
	unsigned u = 0;
	double v = (double)b;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, n, "%lluB", (unsigned long long)b);
	else
		snprintf(buf, n, "%.1f%s", v, unit[u]);
}

/* One cell of the per-process table: the statistic's column in ct_stats. */
static void print_cell(FILE *f, const struct ct_report *r, const struct ct_proc *p, enum ct_stat s)
{
	int w = ct_stats[s].width;
	char buf[32];

	if (!plan_available(r->plan, s)) {
		fprintf(f, " %*s", w, "n/a");
		return;
	}
	if (ct_stats[s].type == STAT_BYTES) {
		fmt_bytes(buf, sizeof(buf), proc_stat(p, s, r->agg->page_size));
		fprintf(f, " %*s", w, buf);
		return;
	}
	fprintf(f, " %*llu", w, (unsigned long long)proc_stat(p, s, r->agg->page_size));
}

static void print_hists(FILE *f, const struct ct_report *r, const struct ct_proc *p)
{
	for (int i = 0; p->h && i < CT_H_MAX; i++) {
		const struct ct_hist_desc *d = &ct_hists[i];

		if (!p->h->h[i].count || !plan_available(r->plan, d->stat))
			continue;
		fprintf(f, "\npid %u (%s) %s:\n", p->pid, p->comm, d->text);
		hist_print(f, &p->h->h[i], d->unit, d->divisor);
	}
}

/* Whether the plan has the copies-by-mapping breakdown. */
static bool have_maps(const struct ct_plan *plan)
{
	for (int s = 0; s < ST_MAX; s++)
		if (ct_stat_map(s) >= 0 && plan_available(plan, s))
			return true;
	return false;
}

/* "1.1G heap, 90.0M anon, 10.0M stack": the classes with copies, largest first. */
static void fmt_maps(FILE *f, const struct ct_plan *plan, const uint64_t *pages, uint32_t page_size)
{
	bool done[ST_MAX] = { false };
	bool first = true;

	for (;;) {
		int best = -1;
		char b[32];

		for (int s = 0; s < ST_MAX; s++) {
			int m = ct_stat_map(s);

			if (m < 0 || done[s] || !plan_available(plan, s) || !pages[m])
				continue;
			if (best < 0 || pages[m] > pages[ct_stat_map(best)])
				best = s;
		}
		if (best < 0)
			break;
		done[best] = true;
		fmt_bytes(b, sizeof(b), pages[ct_stat_map(best)] * (uint64_t)page_size);
		fprintf(f, "%s%s %s", first ? "" : ", ", b, ct_stats[best].family_value);
		first = false;
	}
	if (first)
		fputs("-", f);
}

#define MAPS_SHOWN 20

/* Per process: the memory its copies hit ("copied 1.2G: 1.1G heap, 90.0M anon, 10.0M stack"). */
static void print_maps(FILE *f, const struct ct_report *r, const uint32_t *order)
{
	const struct ct_agg *a = r->agg;
	unsigned shown = 0;

	if (!have_maps(r->plan))
		return;
	for (uint32_t i = 0; order && i < a->nprocs && shown < MAPS_SHOWN; i++) {
		const struct ct_proc *p = &a->procs[order[i]];
		char b[32];

		if (!proc_copies(p))
			continue;
		if (!shown++)
			fprintf(f, "\nCOPIES BY MAPPING (the memory each process's copies hit)\n");
		fmt_bytes(b, sizeof(b), proc_copies(p) * (uint64_t)a->page_size);
		if (p->pid)
			fprintf(f, "%-7u %-16s copied %s: ", p->pid, p->comm, b);
		else
			fprintf(f, "%-7s %-16s copied %s: ", "-", p->comm, b);
		fmt_maps(f, r->plan, &p->c[CT_C_MAP], a->page_size);
		fputc('\n', f);
	}
}

#define STACK_PROCS_SHOWN 10
#define STACK_FRAMES_SHOWN 12

/* --stacks: the heaviest stacks of the processes with the most copies, innermost frame first. */
static void print_stacks(FILE *f, const struct ct_report *r, const uint32_t *order)
{
	const struct ct_agg *a = r->agg;
	unsigned shown = 0;

	if (!r->stacks || !r->top_stacks)
		return;
	for (uint32_t i = 0; order && i < a->nprocs && shown < STACK_PROCS_SHOWN; i++) {
		const struct ct_proc *p = &a->procs[order[i]];
		struct ct_stack_top *t;
		int64_t n = p->pid ? stacks_top(r->stacks, p->pid, p->start_ns, &t) : 0;
		uint64_t total = 0;

		if (n <= 0)
			continue;
		for (int64_t j = 0; j < n; j++)
			total += t[j].pages;
		char comm[CT_COMM_LEN];

		for (int c = 0; c < CT_COMM_LEN; c++)
			comm[c] = p->comm[c] && (p->comm[c] < 0x20 || p->comm[c] == 0x7f) ? '?' : p->comm[c];
		comm[CT_COMM_LEN - 1] = 0;
		if (!shown++)
			fprintf(f, "\nTOP STACKS (pages per stack, innermost frame first)\n");
		fprintf(f, "pid %u (%s): %llu pages in %lld stacks\n", p->pid, comm, (unsigned long long)total,
			(long long)n);
		for (int64_t j = 0; j < n && j < r->top_stacks; j++) {
			const char *fr = t[j].s->frames, *e = fr + strlen(fr);
			char leaf[4200];
			unsigned depth = 0;

			stacks_leaf(r->stacks, t[j].s, leaf, sizeof(leaf));
			fprintf(f, "  %10llu  %s\n", (unsigned long long)t[j].pages, leaf);
			/* frames are outer;...;inner: walk back from the end */
			while (e > fr && depth < STACK_FRAMES_SHOWN) {
				const char *b = e;

				while (b > fr && b[-1] != ';')
					b--;
				fprintf(f, "  %10s  %.*s\n", "", (int)(e - b), b);
				e = b > fr ? b - 1 : fr;
				depth++;
			}
			if (e > fr) {
				unsigned more = 1;

				for (const char *c = fr; c < e; c++)
					more += *c == ';';
				fprintf(f, "  %10s  (%u more frames)\n", "", more);
			}
		}
		if (n > r->top_stacks)
			fprintf(f, "  (%lld more stacks; all of them in --folded)\n", (long long)(n - r->top_stacks));
		free(t);
	}
	if (r->stacks->dropped)
		fprintf(f, "(%llu pages of stacks beyond the table's room were dropped)\n",
			(unsigned long long)r->stacks->dropped);
}

static int cmp_fork(const void *x, const void *y, void *ctx)
{
	const struct ct_agg *a = ctx;
	const struct ct_fork *p = &a->forks[*(const uint32_t *)x];
	const struct ct_fork *q = &a->forks[*(const uint32_t *)y];
	uint64_t cp = p->pinned_cow + p->parent_copies + p->child_copies;
	uint64_t cq = q->pinned_cow + q->parent_copies + q->child_copies;

	if (cp != cq)
		return cp > cq ? -1 : 1;
	return p->ts_ns < q->ts_ns ? -1 : p->ts_ns > q->ts_ns;
}

/* Milliseconds from the fork to a copy, or "-" when there was none. */
static void fmt_after(char *buf, size_t n, uint64_t fork_ns, uint64_t copy_ns)
{
	if (!copy_ns || copy_ns < fork_ns)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%.3f", (copy_ns - fork_ns) / 1e6);
}

#define FORKS_SHOWN 20

/* Forks that led to copies, most copies first. */
static void print_forks(FILE *f, const struct ct_report *r)
{
	const struct ct_agg *a = r->agg;
	uint32_t *idx = malloc((a->nforks ? a->nforks : 1) * sizeof(*idx)), n = 0, quiet;

	if (!idx)
		return;
	for (uint32_t i = 0; i < a->nforks; i++)
		idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_fork, (void *)a);
	if (n)
		fprintf(f, "\nFORKS (copies after each fork; FIRST/LAST: ms from the fork to the first/last copy)\n"
			"%-7s %-7s %8s %14s %13s %10s %10s %10s\n", "PARENT", "CHILD", "PINNED",
			"PARENT_COPIES", "CHILD_COPIES", "COPIED", "FIRST_MS", "LAST_MS");
	for (uint32_t i = 0; i < n && i < FORKS_SHOWN; i++) {
		const struct ct_fork *fk = &a->forks[idx[i]];
		char b[32], pin[24] = "n/a", first[24], last[24];

		fmt_bytes(b, sizeof(b), (fk->pinned_cow + fk->parent_copies + fk->child_copies) *
					(uint64_t)a->page_size);
		if (plan_available(r->plan, ST_PINNED_COW))
			snprintf(pin, sizeof(pin), "%llu", (unsigned long long)fk->pinned_cow);
		fmt_after(first, sizeof(first), fk->ts_ns, fk->first_copy_ns);
		fmt_after(last, sizeof(last), fk->ts_ns, fk->last_copy_ns);
		fprintf(f, "%-7u %-7u %8s %14llu %13llu %10s %10s %10s\n", fk->parent, fk->child, pin,
			(unsigned long long)fk->parent_copies, (unsigned long long)fk->child_copies, b,
			first, last);
		if (have_maps(r->plan) && (fk->parent_copies || fk->child_copies)) {
			fprintf(f, "        parent: ");
			fmt_maps(f, r->plan, fk->side_map[CT_FORK_SIDE_PARENT], a->page_size);
			fprintf(f, "; child: ");
			fmt_maps(f, r->plan, fk->side_map[CT_FORK_SIDE_CHILD], a->page_size);
			fputc('\n', f);
		}
	}
	quiet = n > FORKS_SHOWN ? n - FORKS_SHOWN : 0;
	if (quiet)
		fprintf(f, "(%u more forks, fewer copies; all of them in -o json)\n", quiet);
	if (a->forks_folded.child)
		fprintf(f, "(%llu earlier forks folded: %llu pinned, %llu parent and %llu child copies)\n",
			(unsigned long long)a->forks_folded.child,
			(unsigned long long)a->forks_folded.pinned_cow,
			(unsigned long long)a->forks_folded.parent_copies,
			(unsigned long long)a->forks_folded.child_copies);
	free(idx);
}

void output_text(FILE *f, const struct ct_report *r)
{
	const struct ct_agg *a = r->agg;
	uint32_t *order = agg_sorted(a);
	unsigned shown = 0;

	fprintf(f, "cowtrace %s: kernel %s, mode %s, %.2f s%s\n", r->version ? r->version : "",
		r->plan->kernel, ct_mode_name(r->plan->mode), r->duration_s,
		r->final ? "" : " (interval)");
	fprintf(f, "lost_events %llu", (unsigned long long)r->lost_events);
	if (r->misses && r->misses->known)
		fprintf(f, ", missed_events %llu", (unsigned long long)misses_total(r->misses));
	else if (r->misses)
		fprintf(f, ", missed_events n/a (this kernel does not count skipped BPF programs)");
	if (r->settled)
		fprintf(f, ", settled_faults %llu", (unsigned long long)r->settled);
	if (r->unclassified)
		fprintf(f, ", unclassified_faults %llu", (unsigned long long)r->unclassified);
	if (r->agg->exits_unseen)
		fprintf(f, ", exits_unseen %llu", (unsigned long long)r->agg->exits_unseen);
	if (r->cmd_status >= 0)
		fprintf(f, ", command exit status %d", r->cmd_status);
	fprintf(f, "\n");
	print_misses(f, r->misses, r->plan);
	fprintf(f, "\n");
	output_plan_text(f, r->plan, r->misses);

	fprintf(f, "\n%-7s %-7s %-16s", "PID", "PPID", "COMM");
	for (int s = 0; s < ST_MAX; s++)
		if (ct_stats[s].column)
			fprintf(f, " %*s", ct_stats[s].width, ct_stats[s].column);
	fprintf(f, "\n");
	for (uint32_t i = 0; order && i < a->nprocs; i++) {
		const struct ct_proc *p = &a->procs[order[i]];

		char comm[CT_COMM_LEN];

		/* comm is the task's choice: keep the table one line per process */
		for (int c = 0; c < CT_COMM_LEN; c++)
			comm[c] = p->comm[c] && (p->comm[c] < 0x20 || p->comm[c] == 0x7f) ? '?' : p->comm[c];
		comm[CT_COMM_LEN - 1] = 0;
		if (p->pid)
			fprintf(f, "%-7u %-7u %-16s", p->pid, p->ppid, comm);
		else
			fprintf(f, "%-7s %-7s %-16s", "-", "-", comm);
		for (int s = 0; s < ST_MAX; s++)
			if (ct_stats[s].column)
				print_cell(f, r, p, s);
		if (p->folded)
			fprintf(f, " (%u exited processes)\n", p->folded);
		else
			fprintf(f, "%s\n", p->exited ? " (exited)" : "");
	}
	if (!a->nprocs)
		fprintf(f, "(no events)\n");
	if (a->evicted)
		fprintf(f, "(%llu exited processes are folded into rows by command, PID -)\n",
			(unsigned long long)a->evicted);

	print_maps(f, r, order);
	print_stacks(f, r, order);
	print_forks(f, r);
	for (uint32_t i = 0; order && i < a->nprocs && shown < r->hist_top; i++) {
		const struct ct_proc *p = &a->procs[order[i]];

		if (p->h) {
			print_hists(f, r, p);
			shown++;
		}
	}
	free(order);
	fflush(f);
}
