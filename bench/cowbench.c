// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cowbench: a copy-on-write microbenchmark for the tracer overhead bench.
 *
 *   cowbench [-c CPU] [-w WRITERS] MODE PAGES REPS
 *
 * Each writer maps PAGES private anonymous pages (MADV_NOHUGEPAGE, so every
 * write fault is a pte fault in do_wp_page), writes them all once, then
 * repeats REPS times:
 *
 *   cow:    fork; the child writes one byte into every page (PAGES COW
 *           copies: the parent still maps them) and exits; the parent waits.
 *   reuse:  fork; the child exits at once; the parent waits, then writes
 *           every page (PAGES write faults that reuse the page in place:
 *           fork write-protected the ptes, and the page is exclusive again).
 *
 * So each writer performs PAGES x REPS write-protect faults, plus one fork,
 * one exit and one copy_page_range per VMA per repetition.  WRITERS (default
 * 1) independent processes do this in parallel after a common start.
 *
 * Prints one line on stdout:
 *   cowbench mode=M pages=P reps=R writers=W ns=T cpu_ns=C faults=F pgreuse=D pgfault=G
 * ns is the wall time from the start barrier until the last writer finished;
 * cpu_ns the CPU time (user + system) the writers and their children used in
 * that time: BPF programs run in the context of the faulting, forking and
 * exiting tasks, so it holds the in-kernel overhead but not a tracer's
 * userspace;
 * faults = PAGES x REPS x WRITERS; pgreuse/pgfault are the /proc/vmstat deltas
 * over the run (system-wide; -1 if the kernel has no such counter).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *msg)
{
	fprintf(stderr, "cowbench: %s: %s\n", msg, strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t tv_ns(struct timeval tv)
{
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000;
}

/* CPU time (user + system) of this process, and of its waited-for children. */
static uint64_t cpu_ns(int who)
{
	struct rusage ru;

	if (who == RUSAGE_SELF) {
		struct timespec ts;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	}
	getrusage(who, &ru);
	return tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
}

static long long vmstat(const char *key)
{
	char name[64];
	long long v, found = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (!strcmp(name, key)) {
			found = v;
			break;
		}
	fclose(f);
	return found;
}

static long parse(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0) {
		fprintf(stderr, "cowbench: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void touch(volatile char *p, long pages, long ps, char v)
{
	for (long i = 0; i < pages; i++)
		p[i * ps] = v;
}

static int writer(int reuse, long pages, long reps, int ready_fd, int go_fd, int cpu_fd)
{
	uint64_t c0, cpu;
	long ps = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)pages * ps;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c;

	if (p == MAP_FAILED)
		die("mmap");
	madvise(p, len, MADV_NOHUGEPAGE);
	touch(p, pages, ps, 1); /* populate: first touch, no wp fault */
	if (write(ready_fd, "r", 1) != 1) /* populated, waiting at the barrier */
		die("ready");
	close(ready_fd);
	if (read(go_fd, &c, 1) != 0) /* the start barrier: EOF when the parent closes */
		die("barrier");
	c0 = cpu_ns(RUSAGE_SELF);
	for (long r = 0; r < reps; r++) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			if (!reuse)
				touch(p, pages, ps, (char)r);
			_exit(0);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			die("child");
		if (reuse)
			touch(p, pages, ps, (char)r);
	}
	cpu = cpu_ns(RUSAGE_SELF) - c0 + cpu_ns(RUSAGE_CHILDREN);
	if (write(cpu_fd, &cpu, sizeof(cpu)) != sizeof(cpu))
		die("cpu pipe");
	return 0;
}

int main(int argc, char **argv)
{
	long writers = 1, pages, reps, cpu = -1;
	long long r0, r1, f0, f1;
	int opt, reuse, go[2], ready[2], cpup[2], failed = 0;
	uint64_t t0, t1, cpu_total = 0, c;

	while ((opt = getopt(argc, argv, "c:w:")) != -1) {
		switch (opt) {
		case 'c': cpu = parse(optarg, "CPU"); break;
		case 'w': writers = parse(optarg, "WRITERS"); break;
		default: goto usage;
		}
	}
	if (argc - optind != 3 || writers < 1)
		goto usage;
	if (!strcmp(argv[optind], "cow"))
		reuse = 0;
	else if (!strcmp(argv[optind], "reuse"))
		reuse = 1;
	else
		goto usage;
	pages = parse(argv[optind + 1], "PAGES");
	reps = parse(argv[optind + 2], "REPS");
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity");
	}
	if (pipe(go) || pipe(ready) || pipe(cpup))
		die("pipe");
	for (long w = 0; w < writers; w++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(go[1]);
			close(ready[0]);
			close(cpup[0]);
			_exit(writer(reuse, pages, reps, ready[1], go[0], cpup[1]));
		}
	}
	close(go[0]);
	close(ready[1]);
	close(cpup[1]);
	for (long w = 0; w < writers; w++) {
		char c;

		if (read(ready[0], &c, 1) != 1)
			die("writer start");
	}
	r0 = vmstat("pgreuse");
	f0 = vmstat("pgfault");
	t0 = now_ns();
	close(go[1]);
	for (long w = 0; w < writers; w++) {
		int st;

		if (wait(&st) < 0)
			die("wait");
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			failed = 1;
	}
	t1 = now_ns();
	while (read(cpup[0], &c, sizeof(c)) == sizeof(c))
		cpu_total += c;
	r1 = vmstat("pgreuse");
	f1 = vmstat("pgfault");
	printf("cowbench mode=%s pages=%ld reps=%ld writers=%ld ns=%llu cpu_ns=%llu faults=%lld pgreuse=%lld pgfault=%lld\n",
	       reuse ? "reuse" : "cow", pages, reps, writers, (unsigned long long)(t1 - t0),
	       (unsigned long long)cpu_total,
	       (long long)pages * reps * writers, r0 < 0 ? -1 : r1 - r0, f0 < 0 ? -1 : f1 - f0);
	return failed;
usage:
	fprintf(stderr, "usage: cowbench [-c CPU] [-w WRITERS] cow|reuse PAGES REPS\n");
	return 2;
}
