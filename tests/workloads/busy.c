/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * busy SECONDS: background noise for the filter tests.
 *
 * Prints "BUSY pid=PID" on stdout (flushed) first, then until SECONDS have
 * passed: fork; the child writes a few pages of a populated private region
 * (COW copies) and exits; the parent waits and sleeps 5 ms.  No TRUTH line: a
 * tracer filtered to other processes must simply never report this pid or its
 * children.
 */
#include "common.h"

#define BUSY_PAGES 8

int main(int argc, char **argv)
{
	long secs, ps = page_size(), iters = 0;
	struct timespec start, now, nap = {0, 5 * 1000000L};
	char *p;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SECONDS\n", argv[0]);
		return 2;
	}
	secs = parse_long(argv[1], "SECONDS");
	printf("BUSY pid=%d\n", (int)getpid());
	fflush(stdout);
	p = map_anon_pages(BUSY_PAGES);
	memset(p, 1, BUSY_PAGES * ps);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		pid_t c = fork();
		if (c < 0)
			die("fork");
		if (c == 0) {
			raw_write_pages(p, ps, BUSY_PAGES / 2);
			raw_exit_group(0);
		}
		waitpid(c, NULL, 0);
		iters++;
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec) < secs * 1000000000LL);
	fprintf(stderr, "busy: %ld forks\n", iters);
	return 0;
}
