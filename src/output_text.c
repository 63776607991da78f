// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The text report: the probe plan, the per-process table, forks, histograms (bcc style). */
#include <stdlib.h>
#include <string.h>
#include "output.h"

void output_plan_text(FILE *f, const struct ct_plan *plan, const struct ct_misses *misses)
{
	fprintf(f, "%-16s %-42s %-11s %-12s ", "STATISTIC", "HOOK", "MODE", "QUALITY");
	if (misses)
		fprintf(f, "%7s ", "MISSED");
	fprintf(f, "REASON\n");
	for (int s = 0; s < ST_MAX; s++) {
		const struct ct_probe *p = &plan->st[s];

		fprintf(f, "%-16s %-42s %-11s %-12s ", ct_stat_name(s), p->hook, ct_mode_name(p->mode),
			ct_quality_name(p->quality));
		if (misses && (!misses->known || p->quality == Q_UNAVAILABLE))
			fprintf(f, "%7s ", misses->known ? "-" : "n/a");
		else if (misses)
			fprintf(f, "%7llu ", (unsigned long long)misses_of(misses, s));
		fprintf(f, "%s\n", p->reason);
	}
}

#define TEXT_WIDTH 118

/* One item of a comma-separated list that starts with lead and wraps before TEXT_WIDTH. */
static void list_item(FILE *f, int *col, const char *lead, const char *item)
{
	int n = (int)strlen(item);

	if (*col < 0) {
		fputs(lead, f);
		*col = (int)strlen(lead);
	} else if (*col + 2 + n > TEXT_WIDTH) {
		fputs(",\n    ", f);
		*col = 4;
	} else {
		fputs(", ", f);
		*col += 2;
	}
	fputs(item, f);
	*col += n;
}

/* lead, then text wrapped at spaces before TEXT_WIDTH, continued 4 columns in. */
static void wrap(FILE *f, const char *lead, const char *text)
{
	int col = (int)strlen(lead);
	bool first = true;

	fputs(lead, f);
	while (*text) {
		int w = (int)strcspn(text, " ");

		if (!first && col + 1 + w > TEXT_WIDTH) {
			fputs("\n    ", f);
			col = 4;
		} else if (!first) {
			fputc(' ', f);
			col++;
		}
		first = false;
		fprintf(f, "%.*s", w, text);
		col += w;
		text += w;
		text += strspn(text, " ");
	}
	fputc('\n', f);
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
		char lead[128];
		int col = -1;

		snprintf(lead, sizeof(lead), "  %-16s %-28s %10llu: ", x->prog, x->hook, (unsigned long long)x->missed);
		for (int s = 0; s < ST_MAX; s++)
			if ((x->stats & STAT_BIT(s)) && plan_available(plan, s))
				list_item(f, &col, lead, ct_stat_name(s));
		fputc('\n', f);
	}
}

void fmt_bytes(char *buf, size_t n, uint64_t b)
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

/* comm is the task's choice: one line per process, no control characters. */
static void clean_comm(char *dst, const char *src)
{
	for (int c = 0; c < CT_COMM_LEN; c++)
		dst[c] = src[c] && (src[c] < 0x20 || src[c] == 0x7f) ? '?' : src[c];
	dst[CT_COMM_LEN - 1] = 0;
}

const char *const text_table_title[TT_MAX] = {
	[TT_FAULTS] = "PROCESSES",
	[TT_OTHER] = "OTHER EVENTS (THP, userfaultfd, uffd-wp markers, forks)",
	[TT_MAPS] = "COPIES BY MAPPING (pages copied, by the memory they hit)",
};

/* A cell: a count, or bytes as "24.0K". */
static void fmt_cell(char *buf, size_t n, enum ct_stat s, uint64_t v)
{
	if (ct_stat_is_bytes(s))
		fmt_bytes(buf, n, v);
	else
		snprintf(buf, n, "%llu", (unsigned long long)v);
}

/* Whether a process has any non-zero statistic of table t. */
static bool proc_in_table(const struct ct_report *r, const struct ct_proc *p, enum ct_text_table t)
{
	for (int s = 0; s < ST_MAX; s++)
		if (ct_stats[s].table == t && plan_available(r->plan, s) &&
		    proc_stat(p, s, r->agg->page_size))
			return true;
	return false;
}

struct table {
	enum ct_text_table t;
	int cols[ST_MAX], ncols;     /* statistics with a column, in ct_stats order */
	int width[ST_MAX];
	bool rates;                  /* REUSE/s and COPY/s (reports every -i) */
	int rate_w[2];
	uint32_t *rows, nrows;       /* procs[] indices shown */
	struct ct_proc rest;         /* the sum of the others with data in this table */
	uint32_t nrest;
};

static const enum ct_stat rate_stat[2] = { ST_REUSE, ST_COPY };

/* A process's rate of s over the last interval; -1: none (a fold of exited processes). */
static double rate_of(const struct ct_report *r, const struct ct_proc *p, int k)
{
	uint64_t now = proc_stat(p, rate_stat[k], r->agg->page_size);

	if (!p->pid || r->interval_s <= 0)
		return -1;
	return now >= p->rate_base[k] ? (now - p->rate_base[k]) / r->interval_s : 0;
}

static void fmt_rate(char *buf, size_t n, double v)
{
	if (v < 0)
		snprintf(buf, n, "-");
	else if (v >= 100)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, "%.1f", v);
}

/*
 * Build table t: its columns (statistics the plan has, printed where some
 * process has a non-zero value, or always), its rows (the first `top`
 * processes in report order with data in it; PROCESSES shows them all), the
 * rest summed.  zero: set for statistics of t the plan has that are 0 for
 * every process (said in one line instead of a column of zeros).
 */
static bool table_build(const struct ct_report *r, const uint32_t *order, enum ct_text_table t, struct table *tb,
			bool *zero)
{
	const struct ct_agg *a = r->agg;
	uint64_t max[ST_MAX] = { 0 };
	bool any = false;

	memset(tb, 0, sizeof(*tb));
	tb->t = t;
	tb->rows = malloc((a->t.nprocs ? a->t.nprocs : 1) * sizeof(*tb->rows));
	if (!tb->rows)
		return false;
	for (uint32_t i = 0; order && i < a->t.nprocs; i++) {
		const struct ct_proc *p = &a->t.procs[order[i]];

		if (t != TT_FAULTS && !proc_in_table(r, p, t))
			continue;
		any = true;
		for (int s = 0; s < ST_MAX; s++)
			if (ct_stats[s].table == t) {
				uint64_t v = proc_stat(p, s, a->page_size);

				max[s] = v > max[s] ? v : max[s];
			}
		if (tb->nrows < (r->top ? r->top : 20)) {
			tb->rows[tb->nrows++] = order[i];
		} else {
			proc_add(&tb->rest, p);
			tb->nrest++;
		}
	}
	if (t != TT_FAULTS && !any)
		return false;
	for (int s = 0; s < ST_MAX; s++) {
		char buf[32];

		if (ct_stats[s].table != t || !plan_available(r->plan, s))
			continue;
		if (!max[s] && !ct_stats[s].always) {
			zero[s] = true;
			continue;
		}
		/* the sum row can be the widest */
		fmt_cell(buf, sizeof(buf), s, proc_stat(&tb->rest, s, a->page_size) > max[s] ?
					      proc_stat(&tb->rest, s, a->page_size) : max[s]);
		tb->width[s] = (int)strlen(buf);
		if ((int)strlen(ct_stats[s].column) > tb->width[s])
			tb->width[s] = (int)strlen(ct_stats[s].column);
		tb->cols[tb->ncols++] = s;
	}
	tb->rates = t == TT_FAULTS && r->interval_s > 0;
	for (int k = 0; tb->rates && k < 2; k++) {
		double hi = 0;
		char buf[32];

		for (uint32_t i = 0; i < a->t.nprocs; i++) {
			double v = rate_of(r, &a->t.procs[i], k);

			hi = v > hi ? v : hi;
		}
		fmt_rate(buf, sizeof(buf), hi * 2); /* room for the sum row */
		tb->rate_w[k] = (int)strlen(buf) > 7 ? (int)strlen(buf) : 7;
	}
	return true;
}

static void table_row(FILE *f, const struct ct_report *r, const struct table *tb, const struct ct_proc *p,
		      const char *pid, const char *ppid, const char *comm, double rates[2], const char *note)
{
	char cell[32];

	fprintf(f, "%-7s %-7s %-16s", pid, ppid, comm);
	for (int c = 0; c < tb->ncols; c++) {
		fmt_cell(cell, sizeof(cell), tb->cols[c], proc_stat(p, tb->cols[c], r->agg->page_size));
		fprintf(f, " %*s", tb->width[tb->cols[c]], cell);
	}
	for (int k = 0; tb->rates && k < 2; k++) {
		fmt_rate(cell, sizeof(cell), rates[k]);
		fprintf(f, " %*s", tb->rate_w[k], cell);
	}
	fprintf(f, "%s\n", note);
}

static void table_print(FILE *f, const struct ct_report *r, const struct table *tb)
{
	const struct ct_agg *a = r->agg;
	char num[16], ppid[16], comm[CT_COMM_LEN], note[64];

	fprintf(f, "\n%s\n%-7s %-7s %-16s", text_table_title[tb->t], "PID", "PPID", "COMM");
	for (int c = 0; c < tb->ncols; c++)
		fprintf(f, " %*s", tb->width[tb->cols[c]], ct_stats[tb->cols[c]].column);
	if (tb->rates)
		fprintf(f, " %*s %*s", tb->rate_w[0], "REUSE/s", tb->rate_w[1], "COPY/s");
	fputc('\n', f);
	for (uint32_t i = 0; i < tb->nrows; i++) {
		const struct ct_proc *p = &a->t.procs[tb->rows[i]];
		double rates[2] = { rate_of(r, p, 0), rate_of(r, p, 1) };

		clean_comm(comm, p->comm);
		snprintf(num, sizeof(num), "%u", p->pid);
		snprintf(ppid, sizeof(ppid), "%u", p->ppid);
		if (p->folded)
			snprintf(note, sizeof(note), " (%u exited)", p->folded);
		else
			snprintf(note, sizeof(note), "%s", p->exited ? " (exited)" : "");
		table_row(f, r, tb, p, p->pid ? num : "-", p->pid ? ppid : "-", comm, rates, note);
	}
	if (tb->nrest) {
		double rates[2] = { 0, 0 };

		for (uint32_t i = 0; tb->rates && i < a->t.nprocs; i++)
			for (int k = 0; k < 2; k++) {
				bool shown = false;

				for (uint32_t j = 0; j < tb->nrows && !shown; j++)
					shown = tb->rows[j] == i;
				if (!shown && rate_of(r, &a->t.procs[i], k) > 0)
					rates[k] += rate_of(r, &a->t.procs[i], k);
			}
		snprintf(comm, sizeof(comm), "(%u more)", tb->nrest);
		table_row(f, r, tb, &tb->rest, "-", "-", comm, rates, "");
	}
}

/* The per-process tables, and the statistics that were 0 everywhere. */
static void print_tables(FILE *f, const struct ct_report *r, const uint32_t *order)
{
	bool zero[ST_MAX] = { false };
	struct table tb;
	int col = -1;

	if (!r->agg->t.nprocs) {
		fprintf(f, "\n(no events)\n");
		return;
	}
	for (enum ct_text_table t = TT_FAULTS; t < TT_MAX; t++) {
		if (table_build(r, order, t, &tb, zero))
			table_print(f, r, &tb);
		free(tb.rows);
		free(tb.rest.h); /* the sum row's histograms: proc_add() merges them too */
	}
	for (int s = 0; s < ST_MAX; s++)
		if (zero[s])
			list_item(f, &col, "0 for every process: ", ct_stat_name(s));
	if (col >= 0)
		fputc('\n', f);
	if (r->agg->t.evicted)
		fprintf(f, "(%llu exited processes are folded into rows by command, PID -)\n",
			(unsigned long long)r->agg->t.evicted);
}

#define STACK_PROCS_SHOWN 5
#define STACK_FRAMES_SHOWN 8

/* --stacks: the heaviest stacks of the processes with the most copies, innermost frame first. */
static void print_stacks(FILE *f, const struct ct_report *r, const uint32_t *order)
{
	const struct ct_agg *a = r->agg;
	unsigned shown = 0;

	if (!r->stacks || !r->top_stacks)
		return;
	for (uint32_t i = 0; order && i < a->t.nprocs && shown < STACK_PROCS_SHOWN; i++) {
		const struct ct_proc *p = &a->t.procs[order[i]];
		struct ct_stack_top *t;
		int64_t n = p->pid ? stacks_top(r->stacks, p->pid, p->start_ns, &t) : 0;
		uint64_t total = 0;

		if (n <= 0)
			continue;
		for (int64_t j = 0; j < n; j++)
			total += t[j].pages;
		char comm[CT_COMM_LEN];

		clean_comm(comm, p->comm);
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
	for (int i = 0; shown && i < r->stacks->nhints; i++)
		wrap(f, "names: ", r->stacks->hints[i]);
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
	if (p->duration_ns != q->duration_ns) /* then the longest stalls */
		return p->duration_ns > q->duration_ns ? -1 : 1;
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

/* A fork side's copies, or "-" where that side was not traced (nothing is known of it). */
static void fmt_side(char *buf, size_t n, const struct ct_fork *fk, unsigned side, uint64_t v)
{
	if (fk->traced & side)
		snprintf(buf, n, "%llu", (unsigned long long)v);
	else
		snprintf(buf, n, "-");
}

/* Forks that led to copies, most copies first. */
static void print_forks(FILE *f, const struct ct_report *r)
{
	const struct ct_agg *a = r->agg;
	uint32_t *idx = malloc((a->nforks ? a->nforks : 1) * sizeof(*idx)), n = 0, quiet;
	bool untraced = false;

	if (!idx)
		return;
	for (uint32_t i = 0; i < a->nforks; i++)
		idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_fork, (void *)a);
	if (n)
		fprintf(f, "\nFORKS (STALL_MS: the parent's time in the fork call; PGTABLES: page tables copied; "
			"FIRST/LAST/EXEC_MS: ms after it)\n"
			"%-7s %-7s %8s %8s %7s %13s %12s %8s %9s %9s %9s\n", "PARENT", "CHILD", "STALL_MS", "PGTABLES",
			"PINNED", "PARENT_COPIES", "CHILD_COPIES", "COPIED", "FIRST_MS", "LAST_MS", "EXEC_MS");
	for (uint32_t i = 0; i < n && i < FORKS_SHOWN; i++) {
		const struct ct_fork *fk = &a->forks[idx[i]];
		char b[32], pin[24] = "n/a", first[24], last[24], pc[24], cc[24], stall[24] = "-", pt[32] = "-";
		char ex[24];

		fmt_bytes(b, sizeof(b), (fk->pinned_cow + fk->parent_copies + fk->child_copies) *
					(uint64_t)a->page_size);
		if (plan_available(r->plan, ST_PINNED_COW))
			snprintf(pin, sizeof(pin), "%llu", (unsigned long long)fk->pinned_cow);
		if (fk->known & CT_FK_DURATION)
			snprintf(stall, sizeof(stall), "%.3f", fk->duration_ns / 1e6);
		if (fk->known & (CT_FK_MM | CT_FK_CLONE_VM))
			fmt_bytes(pt, sizeof(pt), fk->pgtables_bytes);
		fmt_after(first, sizeof(first), fk->ts_ns, fk->first_copy_ns);
		fmt_after(last, sizeof(last), fk->ts_ns, fk->last_copy_ns);
		fmt_after(ex, sizeof(ex), fk->ts_ns, fk->exec_ns);
		fmt_side(pc, sizeof(pc), fk, CT_FORK_PARENT_TRACED, fk->parent_copies);
		fmt_side(cc, sizeof(cc), fk, CT_FORK_CHILD_TRACED, fk->child_copies);
		untraced |= (fk->traced & (CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED)) !=
			    (CT_FORK_PARENT_TRACED | CT_FORK_CHILD_TRACED);
		fprintf(f, "%-7u %-7u %8s %8s %7s %13s %12s %8s %9s %9s %9s\n", fk->parent, fk->child, stall, pt,
			pin, pc, cc, b, first, last, ex);
		if (fk->known & CT_FK_MM) {
			char rss[32], anon[32];

			fmt_bytes(rss, sizeof(rss), (fk->rss[CT_RSS_ANON] + fk->rss[CT_RSS_FILE] +
						     fk->rss[CT_RSS_SHMEM]) * (uint64_t)a->page_size);
			fmt_bytes(anon, sizeof(anon), fk->rss[CT_RSS_ANON] * (uint64_t)a->page_size);
			fprintf(f, "        at the fork: %s resident (%s anon) in %u VMAs", rss, anon, fk->vmas);
			if (fk->known & CT_FK_CPR)
				fprintf(f, "; %.3f ms copying page tables", fk->cpr_ns / 1e6);
			fputc('\n', f);
		} else if (fk->known & CT_FK_CLONE_VM) {
			fprintf(f, "        the child shared the parent's memory (vfork or CLONE_VM): nothing copied\n");
		}
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
	if (untraced)
		fprintf(f, "(-: that side of the fork was not traced)\n");
	if (a->forks_folded.child)
		fprintf(f, "(%llu earlier forks folded: %llu pinned, %llu parent and %llu child copies)\n",
			(unsigned long long)a->forks_folded.child,
			(unsigned long long)a->forks_folded.pinned_cow,
			(unsigned long long)a->forks_folded.parent_copies,
			(unsigned long long)a->forks_folded.child_copies);
	free(idx);
}

/* What this mode or kernel cannot measure, in one line (cowtrace probes says why). */
static void print_unavailable(FILE *f, const struct ct_report *r)
{
	int col = -1;

	for (int s = 0; s < ST_MAX; s++)
		if (!plan_available(r->plan, s))
			list_item(f, &col, "unavailable here: ", ct_stat_name(s));
	if (col >= 0)
		fprintf(f, "%s(why: cowtrace probes)\n", col + 23 > TEXT_WIDTH ? "\n    " : " ");
}

void output_text(FILE *f, const struct ct_report *r)
{
	const struct ct_agg *a = r->agg;
	uint32_t *order = agg_sorted(a);
	unsigned shown = 0;

	fprintf(f, "cowtrace %s: kernel %s, %s mode, %.2f s%s", r->version ? r->version : "",
		r->plan->kernel, ct_mode_name(r->plan->mode), r->duration_s,
		r->final ? "" : " (interval)");
	if (r->cmd_status >= 0)
		fprintf(f, ", command exit status %d", r->cmd_status);
	fprintf(f, "\nlost_events %llu", (unsigned long long)r->lost_events);
	if (r->misses && r->misses->known)
		fprintf(f, ", missed_events %llu", (unsigned long long)misses_total(r->misses));
	else if (r->misses)
		fprintf(f, ", missed_events n/a (this kernel does not count skipped BPF programs)");
	if (r->settled)
		fprintf(f, ", settled_faults %llu", (unsigned long long)r->settled);
	if (r->unclassified)
		fprintf(f, ", unclassified_faults %llu", (unsigned long long)r->unclassified);
	if (r->agg->t.exits_unseen)
		fprintf(f, ", exits_unseen %llu", (unsigned long long)r->agg->t.exits_unseen);
	fputc('\n', f);
	print_unavailable(f, r);
	print_misses(f, r->misses, r->plan);
	print_tables(f, r, order);
	print_stacks(f, r, order);
	print_forks(f, r);
	for (uint32_t i = 0; order && i < a->t.nprocs && shown < r->hist_top; i++) {
		const struct ct_proc *p = &a->t.procs[order[i]];

		if (p->h) {
			print_hists(f, r, p);
			shown++;
		}
	}
	free(order);
	fflush(f);
}
