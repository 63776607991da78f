// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * churn N K [J [US]]: N short-lived processes for tests/reliability-test.sh.
 * J = 0: all N alive at once, ending together (a mass exit): each child
 * ("churnhold", so that a concurrent churn's children are not taken for
 * them) waits on a pipe after its writes, and the parent closes it once
 * all N have written.
 *
 * The parent ("churn") writes K private anonymous pages, then forks N
 * children, at most J (default 2) alive at a time.  Each child names itself
 * "churnkid", writes one byte into each of the K pages (K COW copies: the
 * pages are shared with the parent) and _exits.  US > 0: the parent sleeps
 * US microseconds after each fork (a steady trickle).  On stdout, at the end:
 *
 *   TRUTH children=N k=K wrote=N*K max_child_pages=B distinct_pids=D reused_pids=R
 *
 * B bounds what one child can copy: every resident writable private page of
 * the parent at the first fork (from /proc/self/smaps) plus 8 pages of slack
 * for stack growth; a child maps nothing new.  D and R count the children's
 * pids as the parent saw them (R: forks that got a pid an earlier child had).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static long writable_resident_pages(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512], perms[8] = "";
	long kb = 0, v;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) == 3)
			continue;
		if (sscanf(line, "Rss: %ld kB", &v) == 1 && perms[1] == 'w' && perms[3] == 'p')
			kb += v;
	}
	fclose(f);
	return kb * 1024 / sysconf(_SC_PAGESIZE);
}

int main(int argc, char **argv)
{
	long n, k, j = 2, us = 0, ps = sysconf(_SC_PAGESIZE), alive = 0, bound, reused = 0, distinct = 0;
	unsigned char *seen;
	char *buf;

	int hold[2] = { -1, -1 }, ready[2] = { -1, -1 };
	bool all = false;

	if (argc < 3 || (n = atol(argv[1])) <= 0 || (k = atol(argv[2])) <= 0 ||
	    (argc > 3 && (j = atol(argv[3])) < 0) || (argc > 4 && (us = atol(argv[4])) < 0)) {
		fprintf(stderr, "usage: churn N K [J [US]]\n");
		return 2;
	}
	prctl(PR_SET_NAME, "churn");
	seen = calloc(1 << 22, 1); /* pid_max is at most 2^22 */
	buf = mmap(NULL, k * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!seen || buf == MAP_FAILED) {
		perror("churn: memory");
		return 1;
	}
	for (long i = 0; i < k; i++)
		buf[i * ps] = 1;
	bound = writable_resident_pages() + 8;
	if (j == 0) {
		all = true;
		j = n;
		if (pipe(hold) || pipe(ready)) {
			perror("churn: pipe");
			return 1;
		}
	}
	for (long i = 0; i < n; i++) {
		pid_t pid;

		while (alive >= j) {
			if (wait(NULL) > 0)
				alive--;
			else if (errno != EINTR)
				break;
		}
		pid = fork();
		if (pid < 0) {
			perror("churn: fork");
			return 1;
		}
		if (pid == 0) {
			prctl(PR_SET_NAME, all ? "churnhold" : "churnkid");
			for (long p = 0; p < k; p++)
				((volatile char *)buf)[p * ps] = 2;
			if (all) {
				char c = 0;

				close(hold[1]);
				close(ready[0]);
				if (write(ready[1], &c, 1) != 1)
					_exit(1);
				while (read(hold[0], &c, 1) < 0 && errno == EINTR)
					; /* EOF: the parent let go */
			}
			_exit(0);
		}
		alive++;
		if (us)
			usleep(us);
		if (seen[pid & ((1 << 22) - 1)])
			reused++;
		else
			distinct++;
		seen[pid & ((1 << 22) - 1)] = 1;
	}
	if (all) { /* every child has written: let them all go at once */
		char c;

		close(ready[1]);
		close(hold[0]);
		for (long got = 0; got < n;) {
			ssize_t r = read(ready[0], &c, 1);

			if (r == 1)
				got++;
			else if (r == 0 || errno != EINTR)
				break;
		}
		close(hold[1]);
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	printf("TRUTH children=%ld k=%ld wrote=%ld max_child_pages=%ld distinct_pids=%ld reused_pids=%ld\n",
	       n, k, n * k, bound, distinct, reused);
	return 0;
}
