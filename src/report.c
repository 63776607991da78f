// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reports to stdout and the Prometheus textfile, for live tracing and replay. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
#include "outfile.h"
#include "report.h"
#include "util.h"

/* With pid labels, a pid that has its own series is never folded away. */
static bool keep_cb(void *ctx, const struct ct_proc *p)
{
	return prom_keeps(ctx, p);
}

void reporter_init(struct ct_reporter *r, const struct ct_cli *cli, struct ct_agg *agg,
		   uint32_t page_size)
{
	char err[512];

	r->cli = cli;
	r->agg = agg;
	r->out = stdout;
	if (cli->output_file) {
		int fd = open(cli->output_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || !(r->out = fdopen(fd, "w"))) {
			fprintf(stderr, "cowtrace: --output-file '%s': %s\n", cli->output_file, strerror(errno));
			exit(2);
		}
	}
	if (cli->prom) {
		if (prom_prepare(cli->prom, err, sizeof(err))) {
			fprintf(stderr, "cowtrace: %s\n", err);
			exit(2);
		}
		if (prom_init(&r->prom, cli->prom_by, cli->prom_top)) {
			fprintf(stderr, "cowtrace: out of memory\n");
			exit(1);
		}
	}
	if (agg_init(agg, page_size)) {
		fprintf(stderr, "cowtrace: out of memory\n");
		exit(1);
	}
	agg->t.max_exited = cli->max_exited;
	if (cli->prom && cli->prom_by == PROM_BY_PID) {
		agg->t.keep = keep_cb;
		agg->t.keep_ctx = &r->prom;
	}
}

void reporter_emit(struct ct_reporter *r, const struct ct_report *rep, bool to_stdout)
{
	char err[512];

	if (r->cli->prom && prom_write_file(r->cli->prom, rep, &r->prom, err, sizeof(err))) {
		fprintf(stderr, "cowtrace: %s\n", err);
		r->failed = true;
	}
	if (!to_stdout)
		return;
	if (r->cli->fmt == OUT_JSON) {
		output_json(r->out, rep);
	} else {
		struct ct_report t = *rep;
		uint64_t now = now_ns();

		/* -i: the rates of the last interval beside the totals */
		t.top = r->cli->top;
		if (r->cli->interval > 0 && rep->agg == r->agg)
			t.interval_s = ((r->last_ns ? now - r->last_ns : (uint64_t)(rep->duration_s * 1e9))) / 1e9;
		output_text(r->out, &t);
		for (uint32_t i = 0; i < r->agg->t.nprocs && t.interval_s > 0; i++) {
			struct ct_proc *p = &r->agg->t.procs[i];

			p->rate_base[0] = proc_stat(p, ST_REUSE, r->agg->page_size);
			p->rate_base[1] = proc_stat(p, ST_COPY, r->agg->page_size);
		}
		r->last_ns = now;
	}
	reporter_check_out(r);
}

void reporter_check_out(struct ct_reporter *r)
{
	if ((fflush(r->out) || ferror(r->out)) && !r->out_failed) {
		fprintf(stderr, "cowtrace: writing the report to %s: %s\n",
			r->cli->output_file ? r->cli->output_file : "stdout", strerror(errno ? errno : EIO));
		r->failed = r->out_failed = true;
	}
}

void reporter_free(struct ct_reporter *r)
{
	prom_free(&r->prom);
	if (r->out && r->out != stdout && fclose(r->out) && !r->out_failed) {
		fprintf(stderr, "cowtrace: writing the report to %s: %s\n", r->cli->output_file, strerror(errno));
		r->failed = true;
	}
	r->out = NULL;
}

static int folded_job(FILE *f, void *ctx)
{
	return stacks_folded(f, ctx);
}

struct fg_job {
	const struct ct_stacks *st;
	const char *title;
};

static int flamegraph_job(FILE *f, void *ctx)
{
	const struct fg_job *j = ctx;

	return stacks_flamegraph(f, j->st, j->title);
}

int write_stacks(const struct ct_cli *cli, const struct ct_stacks *st, const char *title)
{
	struct fg_job j = { .st = st, .title = title };
	char err[8800];
	int ret = 0;

	if (cli->folded && outfile_write("--folded", cli->folded, folded_job, (void *)st, err, sizeof(err))) {
		fprintf(stderr, "cowtrace: %s\n", err);
		ret = -1;
	}
	if (cli->flamegraph && outfile_write("--flamegraph", cli->flamegraph, flamegraph_job, &j, err, sizeof(err))) {
		fprintf(stderr, "cowtrace: %s\n", err);
		ret = -1;
	}
	return ret;
}
