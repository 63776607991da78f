/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * common.h: shared helpers of the cowtrace test workloads (single-file C
 * programs; this header is included, nothing else is linked).
 *
 * Output protocol: the ground truth is ONE line "TRUTH scenario=NAME k=v ...",
 * written to the file named by $TRUTH_FILE if set, else to stdout.  A missing
 * kernel feature gives "SKIP reason" (same destination, and stderr) and exit
 * status 77.  Any other setup failure: message on stderr, exit status 1.
 *
 * Orchestrator / measured process (see rawsys.h for why):
 *   - the orchestrator (the process cowtrace starts) never forks; it creates a
 *     MAP_SHARED memfd page, posix_spawn()s the same binary as
 *     "BINARY @measured FD ARGS..." with GLIBC_TUNABLES=glibc.pthread.rseq=0
 *     (else the kernel's rseq update writes a COW page after fork), waits for
 *     it and prints TRUTH;
 *   - the measured process maps the memfd page by its inherited fd, writes its
 *     pid there (so the pte is present and writable before it forks), does its
 *     setup, and ends in raw_fork_and_touch(), which stores the child's pid in
 *     the shared page.
 */
#ifndef COWTRACE_WORKLOAD_COMMON_H
#define COWTRACE_WORKLOAD_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rawsys.h"

extern char **environ;

#define MEASURED_ROLE "@measured"
#define EXIT_SKIP 77

struct shared_page {
	volatile long measured_pid; /* written by the measured process before it forks */
	volatile long child_pid;    /* written by raw_fork_and_touch() in the parent */
	volatile long value[8];     /* scenario-specific results of the measured process */
};

static inline long page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? ps : 4096;
}

static inline void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;
	fputs("workload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (e)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
	exit(1);
}

static inline FILE *truth_stream(void)
{
	const char *path = getenv("TRUTH_FILE");
	FILE *f;
	if (!path || !*path)
		return stdout;
	f = fopen(path, "a");
	if (!f)
		die("cannot open TRUTH_FILE %s", path);
	return f;
}

/* Print the TRUTH line (fmt is the part after "TRUTH "). */
static inline void __attribute__((format(printf, 1, 2))) truth(const char *fmt, ...)
{
	FILE *f = truth_stream();
	va_list ap;
	fputs("TRUTH ", f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
	if (f != stdout)
		fclose(f);
}

static inline void __attribute__((format(printf, 1, 2), noreturn)) skip(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	FILE *f;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "SKIP %s\n", buf);
	f = truth_stream();
	fprintf(f, "SKIP %s\n", buf);
	fflush(f);
	if (f != stdout)
		fclose(f);
	exit(EXIT_SKIP);
}

static inline long parse_long(const char *s, const char *what)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < 0)
		die("bad %s: %s", what, s);
	errno = 0;
	return v;
}

/* The one argument of "PROG COUNT": a count >= 1, else usage and exit 2. */
static inline long count_arg(int argc, char **argv, const char *name)
{
	long v;

	if (argc != 2) {
		fprintf(stderr, "usage: %s %s\n", argv[0], name);
		exit(2);
	}
	v = parse_long(argv[1], name);
	if (v < 1)
		die("need %s >= 1", name);
	return v;
}

/* A counter from /proc/vmstat, -1 if absent. */
static inline long long vmstat_read(const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long long v = -1;
	FILE *f = fopen("/proc/vmstat", "r");
	if (!f)
		die("cannot open /proc/vmstat");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ' ') {
			v = atoll(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

/* Keep a measured process (and its raw-forked child) on one CPU: the reuse
 * decision in do_wp_page drains only the local CPU's LRU batch, a page still
 * sitting in another CPU's batch has an extra reference and would be copied. */
static inline void pin_to_one_cpu(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		int cpu;
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &set))
				break;
		CPU_ZERO(&set);
		CPU_SET(cpu < CPU_SETSIZE ? cpu : 0, &set);
	} else {
		CPU_ZERO(&set);
		CPU_SET(0, &set);
	}
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* Let the process run on every CPU again (after pin_to_one_cpu() for a population). */
static inline void unpin_all_cpus(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int cpu = 0; cpu < 64; cpu++)
		CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* mmap count pages of private anonymous memory, never THP-backed. */
static inline char *map_anon_pages(long count)
{
	long ps = page_size();
	char *p = mmap(NULL, (size_t)count * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap %ld anon pages", count);
	if (madvise(p, (size_t)count * ps, MADV_NOHUGEPAGE) && errno != EINVAL)
		die("madvise(MADV_NOHUGEPAGE)");
	errno = 0;
	return p;
}

/* ---- orchestrator side ---- */

struct orch {
	int fd;
	struct shared_page *sh;
	pid_t pid;       /* measured process */
	int status;      /* its wait status */
};

/* Create the shared page; must be called before orch_spawn(). */
static inline void orch_init(struct orch *o)
{
	o->fd = memfd_create("cowtrace-shared", 0); /* no CLOEXEC: inherited by the measured process */
	if (o->fd < 0)
		die("memfd_create");
	if (ftruncate(o->fd, page_size()))
		die("ftruncate memfd");
	o->sh = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, o->fd, 0);
	if (o->sh == MAP_FAILED)
		die("mmap shared page");
	memset((void *)o->sh, 0, sizeof(*o->sh));
	o->pid = 0;
	o->status = 0;
}

/* Spawn "SELF @measured FD args..." (args NULL-terminated). */
static inline void orch_spawn(struct orch *o, char *const args[])
{
	static char self[PATH_MAX];
	char fdstr[16];
	char *argv[32];
	char **envp;
	size_t ne = 0, i, j;
	ssize_t l;
	int argc = 0, rc;
	const char *pidfile;

	l = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (l <= 0)
		die("readlink /proc/self/exe");
	self[l] = 0;
	snprintf(fdstr, sizeof(fdstr), "%d", o->fd);
	argv[argc++] = self;
	argv[argc++] = (char *)MEASURED_ROLE;
	argv[argc++] = fdstr;
	for (i = 0; args[i] && argc < 31; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;

	while (environ && environ[ne])
		ne++;
	envp = calloc(ne + 2, sizeof(*envp));
	if (!envp)
		die("calloc");
	for (i = 0, j = 0; i < ne; i++)
		if (strncmp(environ[i], "GLIBC_TUNABLES=", 15))
			envp[j++] = environ[i];
	envp[j++] = (char *)"GLIBC_TUNABLES=glibc.pthread.rseq=0";
	envp[j] = NULL;

	rc = posix_spawn(&o->pid, self, NULL, NULL, argv, envp);
	if (rc) {
		errno = rc;
		die("posix_spawn %s", self);
	}
	free(envp);

	/* Optional: tell a test driver the measured pid as early as possible. */
	pidfile = getenv("WORKLOAD_PID_FILE");
	if (pidfile && *pidfile) {
		char tmp[PATH_MAX];
		FILE *f;
		snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%d\n", (int)o->pid) < 0 || fclose(f) || rename(tmp, pidfile))
			die("cannot write %s", pidfile);
	}
}

/*
 * Wait for the measured process; die unless it exited 0 (77 is passed on)
 * and reported its pid and the pid of the child it forked.
 */
static inline void orch_wait(struct orch *o)
{
	while (waitpid(o->pid, &o->status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (WIFEXITED(o->status) && WEXITSTATUS(o->status) == EXIT_SKIP)
		exit(EXIT_SKIP); /* the measured process printed SKIP itself */
	if (!WIFEXITED(o->status) || WEXITSTATUS(o->status) != 0) {
		errno = 0;
		die("measured process %d failed: status 0x%x", (int)o->pid, o->status);
	}
	if (o->sh->measured_pid != o->pid) {
		errno = 0;
		die("measured process did not report its pid");
	}
	if (!o->sh->child_pid) {
		errno = 0;
		die("measured process did not report its child");
	}
}

/* ---- measured side ---- */

/* argv: SELF @measured FD ... ; returns the shared page (already written). */
static inline struct shared_page *measured_attach(int argc, char **argv)
{
	struct shared_page *sh;
	int fd;
	if (argc < 3)
		die("measured: missing fd");
	fd = (int)parse_long(argv[2], "fd");
	sh = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		die("measured: mmap shared page");
	close(fd);
	/* Write it now: present, writable pte before the fork. */
	sh->measured_pid = getpid();
	sh->child_pid = 0;
	/* No kernel writes to our memory at exit (glibc registered a tid address). */
	syscall(SYS_set_tid_address, NULL);
	return sh;
}

static inline int is_measured(int argc, char **argv)
{
	return argc >= 2 && !strcmp(argv[1], MEASURED_ROLE);
}

#endif /* COWTRACE_WORKLOAD_COMMON_H */
