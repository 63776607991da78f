// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cowtrace predict: the fit, the windows and the outputs (predict.h). */
#include <math.h>
#include <string.h>
#include "output.h"
#include "predict.h"

unsigned pr_windows(double window, double *out, unsigned max)
{
	static const double marks[] = { 1, 5, 15, 60, 300 };
	unsigned n = 0;

	for (unsigned i = 0; i < sizeof(marks) / sizeof(marks[0]) && n + 1 < max; i++)
		if (marks[i] < window - 1e-9)
			out[n++] = marks[i];
	if (n < max && window > 0)
		out[n++] = window;
	return n;
}

bool pr_fit(struct pr_result *r)
{
	const struct pr_cal_point *a = &r->cal[0], *b = &r->cal[PR_CAL_SIZES - 1];

	if (b->vmpte_bytes <= a->vmpte_bytes || !a->fork_ns || !b->fork_ns || b->fork_ns <= a->fork_ns) {
		snprintf(r->stall_why, sizeof(r->stall_why),
			 "the calibration forks did not grow with their page tables (%llu ns at %llu bytes, %llu ns at "
			 "%llu bytes): too noisy to fit", (unsigned long long)a->fork_ns,
			 (unsigned long long)a->vmpte_bytes, (unsigned long long)b->fork_ns,
			 (unsigned long long)b->vmpte_bytes);
		r->stall_known = false;
		return false;
	}
	r->ns_per_byte = (double)(b->fork_ns - a->fork_ns) / (double)(b->vmpte_bytes - a->vmpte_bytes);
	r->base_ns = (double)a->fork_ns - r->ns_per_byte * (double)a->vmpte_bytes;
	if (r->base_ns < 0)
		r->base_ns = 0;
	r->stall_ns = r->base_ns + r->ns_per_byte * (double)r->vmpte_bytes;
	r->stall_known = true;
	return true;
}

bool pr_basis(struct pr_result *r, const struct pr_seen_fork *f, unsigned n)
{
	double dur = 0, pt = 0;
	unsigned used = 0;
	bool same = false;

	for (unsigned i = 0; i < n; i++)
		same |= f[i].same_comm && f[i].pgtables_bytes >= 65536 && f[i].duration_ns;
	for (unsigned i = 0; i < n; i++) {
		if (f[i].pgtables_bytes < 65536 || !f[i].duration_ns || (same && !f[i].same_comm))
			continue;
		dur += (double)f[i].duration_ns;
		pt += (double)f[i].pgtables_bytes;
		used++;
	}
	r->basis_forks = used;
	r->basis_same_comm = same;
	if (!used) {
		snprintf(r->stall_why, sizeof(r->stall_why), "%s has no timed fork of 64 KiB of page tables or more",
			 r->basis_file ? r->basis_file : "the basis");
		r->stall_known = false;
		return false;
	}
	r->base_ns = 0;
	r->ns_per_byte = dur / pt;
	r->stall_ns = r->ns_per_byte * (double)r->vmpte_bytes;
	r->stall_known = true;
	return true;
}

void pr_text(FILE *f, const struct pr_result *r)
{
	char rss[32], anon[32], pt[32], b[32];

	fmt_bytes(rss, sizeof(rss), r->rss_bytes);
	fmt_bytes(anon, sizeof(anon), r->anon_bytes);
	fmt_bytes(pt, sizeof(pt), r->vmpte_bytes);
	fprintf(f, "cowtrace predict: pid %u (%s), kernel %s: what a fork now would cost\n", r->pid, r->comm, r->kernel);
	fprintf(f, "now: %s resident (%s anon) in %u VMAs, %s of page tables (VmPTE)\n\n", rss, anon, r->vmas, pt);
	if (r->stall_known && r->basis_file) {
		fprintf(f, "THE STALL: %.3f ms in the fork call, predicted\n", r->stall_ns / 1e6);
		fprintf(f, "  basis: %u fork%s %sin %s: %.2f us per KiB of page tables\n", r->basis_forks,
			r->basis_forks == 1 ? "" : "s", r->basis_same_comm ? "of the same command " : "", r->basis_file,
			r->ns_per_byte * 1024 / 1e3);
	} else if (r->stall_known) {
		fprintf(f, "THE STALL: %.3f ms in the fork call, predicted\n", r->stall_ns / 1e6);
		fprintf(f, "  basis: calibration forks here now (%u and %u MiB of 4 KiB pages: %.3f and %.3f ms): "
			"%.3f ms + %.2f us per KiB of page tables\n", r->cal[0].mib, r->cal[PR_CAL_SIZES - 1].mib,
			r->cal[0].fork_ns / 1e6, r->cal[PR_CAL_SIZES - 1].fork_ns / 1e6, r->base_ns / 1e6,
			r->ns_per_byte * 1024 / 1e3);
		fprintf(f, "  (page tables of huge pages, and of file mappings fork does not copy, cost less than "
			"that: an upper bound for them)\n");
	} else {
		fprintf(f, "THE STALL: unknown: %s\n", r->stall_why);
	}
	fprintf(f, "\n");
	if (!r->copies_known) {
		fprintf(f, "THE COPIES: unknown: %s\n", r->copies_why);
		return;
	}
	fprintf(f, "THE COPIES the parent would make while a child lives (its distinct pages written, of %llu "
		"private writable pages present at the start):\n", (unsigned long long)r->tracked_pages);
	fprintf(f, "%10s %10s %10s %10s\n", "CHILD_S", "PAGES", "COPIED", "NEW");
	for (unsigned i = 0; i < r->nwindows; i++) {
		fmt_bytes(b, sizeof(b), r->w[i].pages * (uint64_t)r->page_size);
		fprintf(f, "%10.1f %10llu %10s %10llu\n", r->w[i].seconds, (unsigned long long)r->w[i].pages, b,
			(unsigned long long)r->w[i].new_pages);
	}
	fprintf(f, "(NEW: pages the process added meanwhile; a fork after it grew also copies those it then "
		"rewrites)\n");
	fprintf(f, "(the child's own copies are its writes, not known in advance: cowtrace -p %u shows them per "
		"fork)\n", r->pid);
	if (r->nwindows)
		fprintf(f, "(measuring took %llu write faults in pid %u, one per page counted: a tracer running "
			"meanwhile sees them as reuses)\n", (unsigned long long)r->w[r->nwindows - 1].pages, r->pid);
}

void pr_json(FILE *f, const struct pr_result *r)
{
	fprintf(f, "{\"pid\":%u,\"comm\":", r->pid);
	json_str(f, r->comm);
	fprintf(f, ",\"kernel\":");
	json_str(f, r->kernel);
	fprintf(f, ",\"vmpte_bytes\":%llu,\"rss_bytes\":%llu,\"anon_bytes\":%llu,\"vmas\":%u,\"stall\":{",
		(unsigned long long)r->vmpte_bytes, (unsigned long long)r->rss_bytes,
		(unsigned long long)r->anon_bytes, r->vmas);
	if (r->stall_known && r->basis_file) {
		fprintf(f, "\"predicted_s\":%.9f,\"reason\":null,\"basis\":{\"file\":", r->stall_ns / 1e9);
		json_str(f, r->basis_file);
		fprintf(f, ",\"forks\":%u,\"same_comm\":%s,\"base_s\":0,\"per_page_table_byte_s\":%.3e}}",
			r->basis_forks, r->basis_same_comm ? "true" : "false", r->ns_per_byte / 1e9);
	} else if (r->stall_known) {
		fprintf(f, "\"predicted_s\":%.9f,\"reason\":null,\"basis\":{\"base_s\":%.9f,"
			"\"per_page_table_byte_s\":%.3e,\"calibration\":[", r->stall_ns / 1e9, r->base_ns / 1e9,
			r->ns_per_byte / 1e9);
		for (int i = 0; i < PR_CAL_SIZES; i++)
			fprintf(f, "%s{\"mib\":%u,\"vmpte_bytes\":%llu,\"fork_s\":%.9f}", i ? "," : "", r->cal[i].mib,
				(unsigned long long)r->cal[i].vmpte_bytes, r->cal[i].fork_ns / 1e9);
		fputs("]}}", f);
	} else {
		fputs("\"predicted_s\":null,\"reason\":", f);
		json_str(f, r->stall_why);
		fputs(",\"basis\":null}", f);
	}
	fputs(",\"copies\":{", f);
	if (r->copies_known) {
		fprintf(f, "\"reason\":null,\"tracked_pages\":%llu,\"windows\":[", (unsigned long long)r->tracked_pages);
		for (unsigned i = 0; i < r->nwindows; i++)
			fprintf(f, "%s{\"seconds\":%.3f,\"pages\":%llu,\"bytes\":%llu,\"new_pages\":%llu}", i ? "," : "",
				r->w[i].seconds, (unsigned long long)r->w[i].pages,
				(unsigned long long)(r->w[i].pages * (uint64_t)r->page_size),
				(unsigned long long)r->w[i].new_pages);
		fprintf(f, "],\"tracker_write_faults\":%llu}",
			(unsigned long long)(r->nwindows ? r->w[r->nwindows - 1].pages : 0));
	} else {
		fputs("\"reason\":", f);
		json_str(f, r->copies_why);
		fputs(",\"tracked_pages\":null,\"windows\":null,\"tracker_write_faults\":null}", f);
	}
	fputs("}\n", f);
	fflush(f);
}
