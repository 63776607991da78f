/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cowfork K N: COW copies in a child, reuse in the parent.
 *
 * The measured process (spawned, fresh exec) populates N private anonymous
 * pages by writing them, raw-forks; the child writes 1 byte into each of the
 * first K pages and exits; the parent waits, then writes all N pages and exits.
 *
 *   TRUTH scenario=cowfork parent=PID child=PID k=K n=N pgreuse_delta=D pre_fork_reuse=P
 *
 * pgreuse_delta is /proc/vmstat pgreuse after the measured process exited minus
 * before it was spawned; pre_fork_reuse is pgreuse just before the measured
 * process forks minus the same "before" (system-wide: only meaningful on a
 * quiet system; -1 without pgreuse).  P counts the measured process's own
 * reuses before the fork: 0 where exec leaves the new stack's ptes writable,
 * 1 or more where it write-protects them and the first write to a stack page
 * is a reuse (mprotect without the exclusive-anon-page optimisation).
 * Expected from the tracer: child copy == copy_anon == K, parent reuse ==
 * N + P, reuse of the parent and the child together == D.
 *
 * Environment (for the filter tests):
 *   COWFORK_DELAY_MS=MS    the measured process sleeps MS ms before anything
 *   COWFORK_GO_FILE=PATH   ... then waits until PATH exists (polls, 60 s max)
 *   WORKLOAD_PID_FILE=PATH the orchestrator writes the measured pid there
 *                          right after spawning it
 */
#include "common.h"

static void wait_before_work(void)
{
	const char *d = getenv("COWFORK_DELAY_MS");
	const char *go = getenv("COWFORK_GO_FILE");
	struct timespec ts;
	if (d && *d) {
		long ms = parse_long(d, "COWFORK_DELAY_MS");
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	if (go && *go) {
		struct stat st;
		int i;
		for (i = 0; i < 6000 && stat(go, &st); i++) {
			ts.tv_sec = 0;
			ts.tv_nsec = 10 * 1000000L;
			nanosleep(&ts, NULL);
		}
		if (stat(go, &st))
			die("COWFORK_GO_FILE %s never appeared", go);
	}
	errno = 0;
}

static int measured(int argc, char **argv)
{
	struct shared_page *sh = measured_attach(argc, argv);
	long k, n, ps = page_size();
	char *p;

	if (argc != 5)
		die("measured: usage");
	k = parse_long(argv[3], "K");
	n = parse_long(argv[4], "N");
	wait_before_work();
	pin_to_one_cpu();
	p = map_anon_pages(n);
	raw_write_pages(p, ps, n); /* populate: first touch is a write, no wp fault */
	sh->value[1] = vmstat_read("pgreuse"); /* this process's reuses so far, for pre_fork_reuse */
	raw_fork_and_touch(p, ps, 0, k, n, &sh->child_pid);
}

int main(int argc, char **argv)
{
	struct orch o;
	long long before, after;
	long k, n;

	if (is_measured(argc, argv))
		return measured(argc, argv);
	if (argc != 3) {
		fprintf(stderr, "usage: %s K N   (0 <= K <= N, N >= 1)\n", argv[0]);
		return 2;
	}
	k = parse_long(argv[1], "K");
	n = parse_long(argv[2], "N");
	if (n < 1 || k > n)
		die("need 0 <= K <= N and N >= 1");

	orch_init(&o);
	before = vmstat_read("pgreuse");
	orch_spawn(&o, (char *const[]){argv[1], argv[2], NULL});
	orch_wait(&o);
	after = vmstat_read("pgreuse");
	truth("scenario=cowfork parent=%ld child=%ld k=%ld n=%ld pgreuse_delta=%lld pre_fork_reuse=%lld",
	      o.sh->measured_pid, o.sh->child_pid, k, n, before < 0 || after < 0 ? -1LL : after - before,
	      before < 0 || o.sh->value[1] < 0 ? -1LL : o.sh->value[1] - before);
	return 0;
}
