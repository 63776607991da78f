// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * inflight N: N processes that each leave one write fault pending at the same
 * time, to overflow cowtrace's in-flight map in tracepoint mode (tp_pending,
 * 16384 entries, keyed by thread) for tests/reliability-test.sh.
 *
 * A pending fault ends at the thread's next fault, syscall or exit, so each
 * child writes one byte into a page it shares copy-on-write with the parent
 * (a write fault on a present pte: pending), says so through a shared page
 * and spins without a syscall; the parent then stops it with SIGSTOP (a
 * signal stop is neither a fault nor a syscall, so the fault stays pending)
 * and forks the next.  When all N are stopped at once, the parent kills them
 * all (their exits resolve what is left in the map).
 *
 *   TRUTH children=N stopped=S
 *
 * With S > 16384, at least S - 16384 faults could not be tracked.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char cow_page[4096] __attribute__((aligned(4096)));

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0, stopped = 0;
	volatile int *flag;
	pid_t *kids;

	if (n <= 0) {
		fprintf(stderr, "usage: inflight N\n");
		return 2;
	}
	kids = calloc(n, sizeof(*kids));
	flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!kids || flag == MAP_FAILED) {
		perror("inflight");
		return 1;
	}
	((volatile char *)cow_page)[0] = 1; /* resident in the parent: COW-shared with every child */
	for (long i = 0; i < n; i++) {
		struct timespec t0, t;

		*flag = 0;
		kids[i] = fork();
		if (kids[i] < 0) {
			perror("inflight: fork");
			break;
		}
		if (kids[i] == 0) {
			/*
			 * Fault in the shared flag page first (fork does not copy the
			 * ptes of shared mappings): the COW write must be the last fault.
			 */
			(void)*flag;
			((volatile char *)cow_page)[0] = 2; /* the pending write fault */
			*flag = 1;
			for (;;)
				__builtin_ia32_pause();
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (!*flag) {
			usleep(20); /* sleep, not spin: the child may be queued for this CPU */
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec > 10)
				break;
		}
		if (*flag && !kill(kids[i], SIGSTOP)) {
			waitpid(kids[i], NULL, WUNTRACED);
			stopped++;
		}
	}
	if (getenv("INFLIGHT_HOLD_MS"))
		usleep(atol(getenv("INFLIGHT_HOLD_MS")) * 1000);
	for (long i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	for (long i = 0; i < n; i++)
		if (kids[i] > 0)
			waitpid(kids[i], NULL, 0);
	printf("TRUTH children=%ld stopped=%ld\n", n, stopped);
	return stopped == n ? 0 : 1;
}
