/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * marker N: uffd-wp pte markers on shmem.
 *
 * A memfd (shmem) of N pages is mapped MAP_SHARED and populated, registered
 * UFFDIO_REGISTER_MODE_WP (needs UFFD_FEATURE_WP_HUGETLBFS_SHMEM, else SKIP),
 * write-protected with UFFDIO_WRITEPROTECT, then zapped with
 * madvise(MADV_DONTNEED): the kernel keeps the write protection by installing
 * a pte marker in place of each zapped pte.  The range is zapped twice; the
 * second zap keeps the markers and installs none.  The markers are counted from
 * /proc/self/pagemap: entries with bit 57 (uffd-wp) set and bit 63 (present)
 * clear.
 *
 *   TRUTH scenario=marker pid=PID n=N markers=M
 *
 * Expected from the tracer: process pid has marker_install == M (or the
 * statistic is reported unavailable and is null).
 */
#include "uffd.h"
#include <stdint.h>

#define PM_UFFD_WP (1ULL << 57)
#define PM_PRESENT (1ULL << 63)

int main(int argc, char **argv)
{
	long n, ps = page_size(), i, markers = 0;
	size_t len;
	uint64_t *pm;
	char *region;
	int uffd, mfd, pfd;

	n = count_arg(argc, argv, "N");
	len = (size_t)n * ps;
#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
	skip("UFFD_FEATURE_WP_HUGETLBFS_SHMEM not in the UAPI headers");
#else
	uffd = uffd_open(UFFD_FEATURE_WP_HUGETLBFS_SHMEM, "UFFD_FEATURE_WP_HUGETLBFS_SHMEM");
#endif
	mfd = memfd_create("cowtrace-marker", MFD_CLOEXEC);
	if (mfd < 0)
		die("memfd_create");
	if (ftruncate(mfd, (off_t)len))
		die("ftruncate");
	region = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (region == MAP_FAILED)
		die("mmap memfd");
	memset(region, 0x44, len);
	uffd_register(uffd, region, len, UFFDIO_REGISTER_MODE_WP, "MODE_WP on shmem");
	uffd_writeprotect(uffd, region, len, 1);
	if (madvise(region, len, MADV_DONTNEED))
		die("madvise(MADV_DONTNEED)");
	/* Zapping again keeps the markers and installs none: still N. */
	if (madvise(region, len, MADV_DONTNEED))
		die("madvise(MADV_DONTNEED), second");

	pm = calloc(n, sizeof(*pm));
	if (!pm)
		die("calloc");
	pfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pfd < 0)
		die("open /proc/self/pagemap");
	if (pread(pfd, pm, n * sizeof(*pm), (off_t)((unsigned long)region / ps) * sizeof(*pm)) !=
	    (ssize_t)(n * sizeof(*pm)))
		die("pread /proc/self/pagemap");
	for (i = 0; i < n; i++)
		if ((pm[i] & PM_UFFD_WP) && !(pm[i] & PM_PRESENT))
			markers++;
	truth("scenario=marker pid=%d n=%ld markers=%ld", (int)getpid(), n, markers);
	return 0;
}
