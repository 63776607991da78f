/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ksm N K: copies of KSM pages, by a write and by an unmerge.
 *
 * N private anonymous pages with the same (non-zero) contents are marked
 * MADV_MERGEABLE; ksmd runs flat out until all N are merged into KSM pages
 * (the process's /proc/PID/ksm_merging_pages, else the system-wide
 * pages_shared + pages_sharing of a quiet machine).  Then the process writes
 * one byte into each of the first K pages (K write faults that copy a KSM
 * page), and MADV_UNMERGEABLE on the other N - K (the kernel breaks each
 * KSM mapping: a write fault before 6.2, an unshare fault since).
 *
 *   TRUTH scenario=ksm pid=PID n=N k=K merged=M cow_ksm_write=A cow_ksm_unmerge=B
 *
 * A and B are the /proc/vmstat cow_ksm deltas of the two steps (-1 where the
 * kernel has no cow_ksm).  Expected from the tracer: copy_ksm == N (K by the
 * writes, N - K by the unmerge), the same on every kernel; unshare 0.
 * SKIP without KSM, or if ksmd merged fewer than N pages in 60 s.
 */
#include "common.h"

#define KSM "/sys/kernel/mm/ksm/"

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	errno = 0;
	return v;
}

static void write_str(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(v, f) < 0 || fclose(f))
		skip("cannot write %s", path);
	errno = 0;
}

/* This process's merged pages (5.19+), else the system's. */
static long merged(void)
{
	char path[64];
	long v;

	snprintf(path, sizeof(path), "/proc/%d/ksm_merging_pages", (int)getpid());
	v = read_long(path);
	if (v >= 0)
		return v;
	return read_long(KSM "pages_shared") + read_long(KSM "pages_sharing");
}

int main(int argc, char **argv)
{
	long n, k, ps = page_size(), m = 0;
	long long c0, c1, c2;
	struct timespec ts = { 0, 20 * 1000000L };
	char *p;

	if (argc != 3) {
		fprintf(stderr, "usage: %s N K   (K <= N)\n", argv[0]);
		return 2;
	}
	n = parse_long(argv[1], "N");
	k = parse_long(argv[2], "K");
	if (n < 1 || k > n)
		die("need 1 <= N and K <= N");
	if (access(KSM "run", W_OK))
		skip("no KSM (%s)", KSM "run");
	write_str(KSM "sleep_millisecs", "0");
	write_str(KSM "pages_to_scan", "10000");
	write_str(KSM "run", "1");
	p = map_anon_pages(n);
	memset(p, 0x5a, (size_t)n * ps);
	if (madvise(p, (size_t)n * ps, MADV_MERGEABLE))
		skip("MADV_MERGEABLE: %s", strerror(errno));
	for (int i = 0; i < 3000 && (m = merged()) < n; i++)
		nanosleep(&ts, NULL);
	if (m < n)
		skip("ksmd merged %ld of %ld pages in 60 s", m, n);
	write_str(KSM "run", "0"); /* nothing merges behind our back from here */
	c0 = vmstat_read("cow_ksm");
	raw_write_pages(p, ps, k);
	c1 = vmstat_read("cow_ksm");
	if (madvise(p + k * ps, (size_t)(n - k) * ps, MADV_UNMERGEABLE))
		die("MADV_UNMERGEABLE");
	c2 = vmstat_read("cow_ksm");
	truth("scenario=ksm pid=%d n=%ld k=%ld merged=%ld cow_ksm_write=%lld cow_ksm_unmerge=%lld",
	      (int)getpid(), n, k, m, c0 < 0 ? -1LL : c1 - c0, c0 < 0 ? -1LL : c2 - c1);
	return 0;
}
