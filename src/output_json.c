// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include "output.h"

static void json_str(FILE *f, const char *s)
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

/* Statistics written per process, in this order. */
static const enum ct_stat proc_fields[] = {
	ST_REUSE, ST_COPY, ST_COPY_ANON, ST_COPY_ZERO, ST_COPY_FILE, ST_COPY_KSM,
	ST_UNSHARE, ST_SHARED_REUSE, ST_THP_REUSE, ST_THP_SPLIT, ST_PINNED_COW,
	ST_UFFD_MISSING, ST_UFFD_WP, ST_UFFD_MINOR, ST_MARKER_INSTALL, ST_COPIED_BYTES,
};

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
		fputc('}', f);
	}
	fprintf(f, "},\"lost_events\":%llu,\"unclassified_faults\":%llu,\"processes\":[",
		(unsigned long long)r->lost_events, (unsigned long long)r->unclassified);
	for (uint32_t i = 0; order && i < a->nprocs; i++) {
		const struct ct_proc *p = &a->procs[order[i]];

		fprintf(f, "%s{\"pid\":%u,\"ppid\":%u,\"comm\":", i ? "," : "", p->pid, p->ppid);
		json_str(f, p->comm);
		fprintf(f, ",\"exited\":%s,\"forks\":%llu", p->exited ? "true" : "false",
			(unsigned long long)p->forks);
		for (unsigned k = 0; k < sizeof(proc_fields) / sizeof(proc_fields[0]); k++) {
			enum ct_stat s = proc_fields[k];

			if (plan_available(r->plan, s))
				fprintf(f, ",\"%s\":%llu", ct_stat_name(s),
					(unsigned long long)proc_stat(p, s, a->page_size));
			else
				fprintf(f, ",\"%s\":null", ct_stat_name(s));
		}
		fputc('}', f);
	}
	fprintf(f, "],\"forks\":[");
	for (uint32_t i = 0; i < a->nforks; i++) {
		const struct ct_fork *k = &a->forks[i];

		fprintf(f, "%s{\"parent\":%u,\"child\":%u,\"pinned_cow\":", i ? "," : "", k->parent,
			k->child);
		if (plan_available(r->plan, ST_PINNED_COW))
			fprintf(f, "%llu", (unsigned long long)k->pinned_cow);
		else
			fprintf(f, "null");
		fprintf(f, ",\"parent_copies\":%llu,\"child_copies\":%llu}",
			(unsigned long long)k->parent_copies, (unsigned long long)k->child_copies);
	}
	fprintf(f, "]}\n");
	free(order);
	fflush(f);
}
