// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * holdkids: keep N processes alive at once, each after one COW write, for
 * the interval-read bench (bench/run.sh part 4).
 *
 *   holdkids [-j FORKERS] [-t SECONDS] N
 *
 * The top process ("holdkids") writes one private anonymous page, then
 * starts FORKERS (default 2) forker processes, which fork N children between
 * them as fast as they can.  Each child ("holdkid") writes one byte into
 * that page (a COW copy: the page is shared with its parent), counts itself
 * ready in a shared page, and blocks in read() on a pipe.  Once all N are
 * ready (at most SECONDS, default 600, or a fork fails) the top prints
 *
 *   holdkids: ready N forked_s=S
 *
 * on stdout and waits for SIGINT/SIGTERM, then closes the pipe's last write end: every child reads EOF and
 * exits; the forkers reap them.  It prints "holdkids: released N in S s" and
 * exits (1 if not all N got ready).  On failure it says "holdkids: fork
 * failed after K: ERROR" and releases what it started.
 *
 * Nothing outlives it: the children and forkers hold no write end of the
 * pipe (EOF as soon as the top is gone, however it died) and have
 * PR_SET_PDEATHSIG SIGKILL.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
	long ready;  /* children that wrote and are about to block */
	long forked;
	int fork_errno;
	int stop;    /* forkers: stop forking (release or failure) */
};

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { (void)sig; got_signal = 1; }

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A forker: n children, each writes page[0] and blocks on rfd. */
static void forker(long n, struct shared *sh, volatile char *page, int rfd, pid_t top)
{
	long made = 0;

	prctl(PR_SET_NAME, "holdkids-fork");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != top)
		_exit(1);
	for (; made < n && !__atomic_load_n(&sh->stop, __ATOMIC_RELAXED); made++) {
		pid_t pid = fork();

		if (pid < 0) {
			__atomic_store_n(&sh->fork_errno, errno, __ATOMIC_RELAXED);
			__atomic_store_n(&sh->stop, 1, __ATOMIC_RELAXED);
			break;
		}
		if (pid == 0) {
			char c;

			prctl(PR_SET_NAME, "holdkid");
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			page[0] = 1; /* the COW copy */
			__atomic_fetch_add(&sh->ready, 1, __ATOMIC_RELAXED);
			while (read(rfd, &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		__atomic_fetch_add(&sh->forked, 1, __ATOMIC_RELAXED);
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	_exit(0);
}

int main(int argc, char **argv)
{
	long n, j = 2, timeout = 600, ps = sysconf(_SC_PAGESIZE);
	int pfd[2], opt, ok;
	pid_t top = getpid(), *forkers;
	struct shared *sh;
	char *page;
	double t0, t1;

	while ((opt = getopt(argc, argv, "j:t:")) != -1) {
		switch (opt) {
		case 'j': j = atol(optarg); break;
		case 't': timeout = atol(optarg); break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc || (n = atol(argv[optind])) <= 0 || j <= 0 || timeout <= 0)
		goto usage;
	if (j > n)
		j = n;
	prctl(PR_SET_NAME, "holdkids");
	sh = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	page = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	forkers = calloc(j, sizeof(*forkers));
	if (sh == MAP_FAILED || page == MAP_FAILED || !forkers || pipe(pfd)) {
		perror("holdkids: setup");
		return 1;
	}
	page[0] = 0; /* present and private before the forks */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	t0 = now_s();
	for (long i = 0; i < j; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			sh->fork_errno = errno;
			sh->stop = 1;
			break;
		}
		if (pid == 0) {
			close(pfd[1]);
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			forker(n / j + (i < n % j), sh, page, pfd[0], top);
		}
		forkers[i] = pid;
	}
	close(pfd[0]);
	/* wait until every child wrote, a fork failed, a signal, or the timeout */
	for (double last = t0;;) {
		long r = __atomic_load_n(&sh->ready, __ATOMIC_RELAXED);
		double t = now_s();

		if (r >= n || __atomic_load_n(&sh->stop, __ATOMIC_RELAXED) || got_signal || t - t0 > timeout)
			break;
		if (t - last >= 5) {
			fprintf(stderr, "holdkids: %ld ready after %.0f s\n", r, t - t0);
			last = t;
		}
		usleep(20000);
	}
	/* a failed fork: let the ones that were forked get ready, then give up */
	if (sh->stop)
		for (int k = 0; k < 100 && sh->ready < sh->forked; k++)
			usleep(10000);
	t1 = now_s();
	ok = sh->ready >= n;
	if (ok) {
		sigset_t block, old;

		printf("holdkids: ready %ld forked_s=%.2f\n", sh->ready, t1 - t0);
		fflush(stdout);
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigprocmask(SIG_BLOCK, &block, &old);
		while (!got_signal)
			sigsuspend(&old);
	} else {
		fprintf(stderr, "holdkids: %s after %ld of %ld ready (%ld forked): %s\n",
			sh->fork_errno ? "fork failed" : got_signal ? "interrupted" : "timed out",
			sh->ready, n, sh->forked, sh->fork_errno ? strerror(sh->fork_errno) : "");
	}
	sh->stop = 1;
	t0 = now_s();
	close(pfd[1]); /* the last write end: every child reads EOF */
	for (long i = 0; i < j; i++)
		if (forkers[i] > 0)
			while (waitpid(forkers[i], NULL, 0) < 0 && errno == EINTR)
				;
	printf("holdkids: released %ld in %.2f s\n", sh->forked, now_s() - t0);
	return ok ? 0 : 1;
usage:
	fprintf(stderr, "usage: holdkids [-j FORKERS] [-t SECONDS] N\n");
	return 2;
}
