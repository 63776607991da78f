/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sharedreuse N K: write-notify faults on a shared mapping.
 *
 * N pages of a MAP_SHARED memfd (shmem) mapping are written (present and
 * writable), then soft-dirty tracking is reset (echo 4 > /proc/PID/clear_refs),
 * which write-protects every pte of the process.  The process then writes
 * one byte into each of the first K pages: K write faults on present
 * write-protected ptes of a shared mapping, which do_wp_page resolves by
 * making the pte writable in place (wp_page_shared): shared_reuse.
 * /proc/PID/pagemap's soft-dirty bit (55) is the oracle: set again on
 * exactly the pages a write fault made writable.
 *
 *   TRUTH scenario=sharedreuse pid=PID n=N k=K soft_dirty=D
 *
 * D: pages of the N with the soft-dirty bit after the writes (== K).
 * Expected from the tracer: shared_reuse == D == K (the process's private
 * pages, write-protected too, give reuses, not shared reuses).
 * SKIP without soft-dirty tracking (clear_refs 4, pagemap bit 55): then no
 * write faults (and no bits) at all.
 */
#include "common.h"

static long soft_dirty(const char *addr, long count)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	long n = 0;

	if (fd < 0)
		die("open pagemap");
	for (long i = 0; i < count; i++) {
		unsigned long long e = 0;
		off_t off = (off_t)(((unsigned long)addr / page_size() + i) * 8);

		if (pread(fd, &e, 8, off) != 8)
			die("pread pagemap");
		n += (e >> 55) & 1;
	}
	close(fd);
	return n;
}

int main(int argc, char **argv)
{
	long n, k, ps = page_size(), before, after;
	int mfd, crfd;
	char *p;

	if (argc != 3) {
		fprintf(stderr, "usage: %s N K   (K <= N)\n", argv[0]);
		return 2;
	}
	n = parse_long(argv[1], "N");
	k = parse_long(argv[2], "K");
	if (n < 1 || k > n)
		die("need 1 <= N and K <= N");
	mfd = memfd_create("cowtrace-shared-reuse", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)n * ps))
		die("memfd");
	p = mmap(NULL, (size_t)n * ps, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 1, (size_t)n * ps);
	crfd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (crfd < 0 || write(crfd, "4", 1) != 1)
		skip("clear_refs 4 (soft-dirty): %s", strerror(errno));
	close(crfd);
	before = soft_dirty(p, n);
	if (before)
		skip("soft-dirty bits survive clear_refs (%ld of %ld): no soft-dirty tracking", before, n);
	raw_write_pages(p, ps, k);
	after = soft_dirty(p, n);
	if (k && !after)
		skip("no page soft-dirty after %ld writes: no soft-dirty tracking (CONFIG_MEM_SOFT_DIRTY)", k);
	truth("scenario=sharedreuse pid=%d n=%ld k=%ld soft_dirty=%ld", (int)getpid(), n, k, after);
	return 0;
}
