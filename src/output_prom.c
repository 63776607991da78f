// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The Prometheus textfile: series per label value, bounded; written atomically. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "outfile.h"
#include "output_prom.h"

int prom_init(struct prom_state *st, enum prom_label by, unsigned top)
{
	memset(st, 0, sizeof(*st));
	st->by = by;
	st->top = top;
	st->chosen = calloc(top ? top : 1, sizeof(*st->chosen));
	return st->chosen ? 0 : -ENOMEM;
}

void prom_free(struct prom_state *st)
{
	free(st->chosen);
	memset(st, 0, sizeof(*st));
}

static void label_of(const struct prom_state *st, const struct ct_agg *a, const struct ct_proc *p,
		     char *buf, size_t n)
{
	const char *cg;

	switch (st->by) {
	case PROM_BY_PID:
		if (p->pid)
			snprintf(buf, n, "%u", p->pid);
		else
			snprintf(buf, n, "other"); /* exited processes folded by eviction */
		break;
	case PROM_BY_CGROUP:
		cg = agg_cgroup_name(a, p->cgroup_id);
		if (cg)
			snprintf(buf, n, "%s", cg);
		else if (p->cgroup_id)
			snprintf(buf, n, "cgroup-id:%llu", (unsigned long long)p->cgroup_id);
		else
			snprintf(buf, n, "unknown");
		break;
	default:
		snprintf(buf, n, "%s", p->comm);
		break;
	}
}

bool prom_keeps(const struct prom_state *st, const struct ct_proc *p)
{
	char pid[16];

	if (st->by != PROM_BY_PID || !p->pid)
		return false;
	snprintf(pid, sizeof(pid), "%u", p->pid);
	for (unsigned c = 0; c < st->nchosen; c++)
		if (!strcmp(st->chosen[c], pid))
			return true;
	return false;
}

/* Per label value sums, over every process ever seen (exited ones included). */
struct group {
	char label[PROM_LABEL_MAX];
	uint64_t v[ST_MAX];
	uint64_t activity;
	struct ct_proc_hists h;
};

static int find_group(struct group *g, unsigned n, const char *label)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(g[i].label, label))
			return (int)i;
	return -1;
}

static void add_proc(struct group *g, const struct ct_proc *p, uint32_t page_size)
{
	for (int s = 0; s < ST_MAX; s++)
		if (ct_stats[s].type != STAT_HIST)
			g->v[s] += proc_stat(p, s, page_size);
	g->activity += proc_copies(p) + p->c[CT_C_WP + CT_WP_REUSE] + p->c[CT_C_PINNED];
	for (int k = 0; k < CT_UFFD_KIND_MAX; k++)
		g->activity += p->c[CT_C_UFFD + k];
	if (p->h)
		proc_hists_merge(&g->h, p->h);
}

static int cmp_activity(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->activity != y->activity)
		return x->activity > y->activity ? -1 : 1;
	return strcmp(x->label, y->label);
}

/* Label values escaped per the exposition format: \\, \" and \n. */
static void put_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *label_name(const struct prom_state *st)
{
	return st->by == PROM_BY_PID ? "pid" : st->by == PROM_BY_CGROUP ? "cgroup" : "comm";
}

/* The labels of a histogram series: {comm="x",outcome="copy"(,le="...")}; k NULL: no member label. */
static void hist_labels(FILE *f, const struct prom_state *st, const char *label, const char *k, const char *kv)
{
	fprintf(f, "{%s=\"", label_name(st));
	put_label(f, label);
	fputc('"', f);
	if (k)
		fprintf(f, ",%s=\"%s\"", k, kv);
}

static void hist_series(FILE *f, const char *name, const struct prom_state *st, const char *label,
			const char *k, const char *kv, const struct ct_hist *h)
{
	uint64_t cum = 0;
	unsigned slot = 0;

	/* le = 2^(2j) - 1 ns: the log2 slots merged in pairs, exact upper bounds. */
	for (unsigned j = 5; j <= 17; j++) {
		for (; slot <= 2 * j && slot < HIST_SLOTS; slot++)
			cum += h->slot[slot];
		fprintf(f, "%s_bucket", name);
		hist_labels(f, st, label, k, kv);
		fprintf(f, ",le=\"%.9g\"} %llu\n", (double)hist_upper(2 * j) / 1e9, (unsigned long long)cum);
	}
	fprintf(f, "%s_bucket", name);
	hist_labels(f, st, label, k, kv);
	fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)h->count);
	fprintf(f, "%s_sum", name);
	hist_labels(f, st, label, k, kv);
	fprintf(f, "} %.9f\n", h->sum / 1e9);
	fprintf(f, "%s_count", name);
	hist_labels(f, st, label, k, kv);
	fprintf(f, "} %llu\n", (unsigned long long)h->count);
}

void output_prom(FILE *f, const struct ct_report *r, struct prom_state *st)
{
	const struct ct_agg *a = r->agg;
	struct group *g = calloc(a->t.nprocs + 1, sizeof(*g));
	struct group *out;
	unsigned ng = 0, nout = 0;
	char label[PROM_LABEL_MAX];

	if (!g)
		return;
	/* 1. sum processes by label value */
	for (uint32_t i = 0; i < a->t.nprocs; i++) {
		int gi;

		label_of(st, a, &a->t.procs[i], label, sizeof(label));
		gi = find_group(g, ng, label);
		if (gi < 0) {
			gi = (int)ng++;
			snprintf(g[gi].label, sizeof(g[gi].label), "%s", label);
		}
		add_proc(&g[gi], &a->t.procs[i], a->page_size);
	}
	/* 2. new values join the chosen set by activity while there is room */
	qsort(g, ng, sizeof(*g), cmp_activity);
	for (unsigned i = 0; i < ng && st->nchosen < st->top; i++) {
		bool known = false;

		for (unsigned c = 0; c < st->nchosen && !known; c++)
			known = !strcmp(st->chosen[c], g[i].label);
		if (!known && strcmp(g[i].label, "other"))
			snprintf(st->chosen[st->nchosen++], sizeof(st->chosen[0]), "%s", g[i].label);
	}
	/* 3. chosen values keep their series; the rest fold into "other" */
	out = calloc(st->nchosen + 1, sizeof(*out));
	if (!out) {
		free(g);
		return;
	}
	for (unsigned c = 0; c < st->nchosen; c++)
		snprintf(out[nout++].label, sizeof(out[0].label), "%s", st->chosen[c]);
	snprintf(out[nout].label, sizeof(out[0].label), "other");
	for (unsigned i = 0; i < ng; i++) {
		int o = find_group(out, nout, g[i].label);
		struct group *dst = &out[o < 0 ? (int)nout : o];

		for (int s = 0; s < ST_MAX; s++)
			dst->v[s] += g[i].v[s];
		proc_hists_merge(&dst->h, &g[i].h);
	}
	nout++; /* "other" is always written: it makes the totals complete */

	/*
	 * 4. write.  Unavailable statistics have no series at all (not zeros).
	 * Counters family by family (ct_prom_families), members in ct_stats
	 * order; HELP/TYPE once per family, if any member is available.
	 */
	for (int fam = 1; fam < PF_MAX; fam++) {
		const struct ct_prom_family_desc *pf = &ct_prom_families[fam];
		bool any = false;

		for (int s = 0; s < ST_MAX; s++)
			any |= ct_stats[s].family == (enum ct_prom_family)fam && plan_available(r->plan, s);
		if (!any)
			continue;
		header(f, pf->name, "counter", pf->help);
		for (int s = 0; s < ST_MAX; s++) {
			if (ct_stats[s].family != (enum ct_prom_family)fam || !plan_available(r->plan, s))
				continue;
			for (unsigned o = 0; o < nout; o++) {
				fprintf(f, "%s{%s=\"", pf->name, label_name(st));
				put_label(f, out[o].label);
				fputc('"', f);
				if (pf->label)
					fprintf(f, ",%s=\"%s\"", pf->label, ct_stats[s].family_value);
				fprintf(f, "} %llu\n", (unsigned long long)out[o].v[s]);
			}
		}
	}
	/* Histogram families (ct_hist_families), series per label value and member. */
	for (int fam = 1; fam < HF_MAX; fam++) {
		const struct ct_hist_family_desc *hf = &ct_hist_families[fam];
		enum ct_stat stat = ST_MAX;

		for (int i = 0; i < CT_H_MAX; i++)
			if (ct_hists[i].family == (enum ct_hist_family)fam)
				stat = ct_hists[i].stat;
		if (stat == ST_MAX || !plan_available(r->plan, stat))
			continue;
		header(f, hf->name, "histogram", hf->help);
		for (unsigned o = 0; o < nout; o++)
			for (int i = 0; i < CT_H_MAX; i++)
				if (ct_hists[i].family == (enum ct_hist_family)fam)
					hist_series(f, hf->name, st, out[o].label, hf->label,
						    ct_hists[i].family_value, &out[o].h.h[i]);
	}
	header(f, "cowtrace_lost_events_total", "counter", "Events lost because the BPF ring buffer was full.");
	fprintf(f, "cowtrace_lost_events_total %llu\n", (unsigned long long)r->lost_events);
	if (r->misses && r->misses->known) {
		header(f, "cowtrace_missed_events_total", "counter",
		       "Runs of a BPF program the kernel skipped (recursion guard, kprobe misses); "
		       "the statistics it feeds are undercounted by up to this many.");
		for (int i = 0; i < r->misses->n; i++) {
			fprintf(f, "cowtrace_missed_events_total{program=\"");
			put_label(f, r->misses->m[i].prog);
			fprintf(f, "\",hook=\"");
			put_label(f, r->misses->m[i].hook);
			fprintf(f, "\"} %llu\n", (unsigned long long)r->misses->m[i].missed);
		}
	}
	header(f, "cowtrace_settled_faults_total", "counter",
	       "Write faults whose do_wp_page exit the kernel skipped, counted at the thread's next fault.");
	fprintf(f, "cowtrace_settled_faults_total %llu\n", (unsigned long long)r->settled);
	header(f, "cowtrace_probe_info", "gauge", "Hook, attach mode and quality of each statistic.");
	for (int s = 0; s < ST_MAX; s++) {
		const struct ct_probe *p = &r->plan->st[s];

		fprintf(f, "cowtrace_probe_info{statistic=\"%s\",hook=\"", ct_stat_name(s));
		put_label(f, p->hook);
		fprintf(f, "\",mode=\"%s\",quality=\"%s\"} 1\n", ct_mode_name(p->mode),
			ct_quality_name(p->quality));
	}
	header(f, "cowtrace_build_info", "gauge", "cowtrace version, kernel release and attach mode.");
	fprintf(f, "cowtrace_build_info{version=\"");
	put_label(f, r->version ? r->version : "");
	fprintf(f, "\",kernel=\"");
	put_label(f, r->plan->kernel);
	fprintf(f, "\",mode=\"%s\"} 1\n", ct_mode_name(r->plan->mode));
	free(out);
	free(g);
}

int prom_prepare(const char *path, char *err, size_t errlen)
{
	char dir[4096], base[1024], prefix[1100];
	struct dirent *de;
	DIR *d;

	if (outfile_check("--prom", path, err, errlen))
		return -1;
	/* Temp files a killed run left behind (outfile_write's ".BASE.XXXXXX"). */
	outfile_split(path, dir, sizeof(dir), base, sizeof(base));
	snprintf(prefix, sizeof(prefix), ".%s.", base);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (!strncmp(de->d_name, prefix, strlen(prefix)) && strlen(de->d_name) == strlen(prefix) + 6)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	return 0;
}

struct prom_job {
	const struct ct_report *r;
	struct prom_state *st;
};

static int prom_job_write(FILE *f, void *ctx)
{
	struct prom_job *j = ctx;

	output_prom(f, j->r, j->st);
	return 0;
}

int prom_write_file(const char *path, const struct ct_report *r, struct prom_state *st,
		    char *err, size_t errlen)
{
	struct prom_job j = { .r = r, .st = st };

	return outfile_write("--prom", path, prom_job_write, &j, err, errlen);
}
