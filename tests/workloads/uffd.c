/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * uffd missing|wp|minor N: userfaultfd faults resolved by a handler thread.
 * uffd sigbus N: faults answered with SIGBUS (UFFD_FEATURE_SIGBUS), no handler.
 * uffd delay N MS1 MS2: missing faults the handler answers after a delay.
 *
 *   missing: N anonymous pages registered UFFDIO_REGISTER_MODE_MISSING; the
 *            main thread writes each page once; the handler answers each fault
 *            with UFFDIO_COPY.
 *   wp:      N populated anonymous pages registered MODE_WP and write-protected
 *            with UFFDIO_WRITEPROTECT; the main thread writes each page; the
 *            handler un-protects the faulting page (which wakes the thread).
 *   minor:   a memfd (shmem) of N pages populated through one mapping; a second
 *            MAP_SHARED mapping registered MODE_MINOR (UFFD_FEATURE_MINOR_SHMEM);
 *            the main thread reads each page through it; the handler answers
 *            UFFDIO_CONTINUE.
 *
 *   sigbus:  N anonymous pages registered MODE_MISSING with UFFD_FEATURE_SIGBUS;
 *            each write raises SIGBUS at once (nothing waits); the signal
 *            handler fills the page with UFFDIO_ZEROPAGE and returns, and the
 *            write is retried.  F counts the SIGBUS signals.
 *   delay:   as missing, but the handler sleeps MS1 ms before answering each
 *            of the first N/2 faults and MS2 ms for the others: known blocked
 *            times for the histograms.
 *
 *   TRUTH scenario=uffd kind=KIND pid=PID n=N faults=F [ms1=MS1 ms2=MS2]
 *
 * F is the number of faults the handler thread received (== N unless
 * something is wrong; exit status 1 then, after printing TRUTH).
 * Expected from the tracer: process pid has uffd_<kind> == F.
 * No COW avoidance here: the uffd counters are separate statistics.
 */
#include "uffd.h"
#include <poll.h>
#include <pthread.h>

enum kind { K_MISSING, K_WP, K_MINOR, K_SIGBUS, K_DELAY };

static int g_uffd;
static enum kind g_kind;
static long g_n, g_ps, g_faults;
static char *g_src; /* UFFDIO_COPY source page */
static long g_ms[2];  /* K_DELAY: the handler's delays, ms */
static long g_max_us[2]; /* K_DELAY: the longest a fault of each half blocked, as the faulting thread saw it */
static volatile long g_sigbus;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	struct uffdio_zeropage z;

	(void)sig;
	(void)uc;
	memset(&z, 0, sizeof(z));
	z.range.start = (unsigned long)si->si_addr & ~(unsigned long)(g_ps - 1);
	z.range.len = g_ps;
	if (ioctl(g_uffd, UFFDIO_ZEROPAGE, &z) && errno != EEXIST)
		_exit(3);
	g_sigbus++;
}

static void *handler(void *arg)
{
	(void)arg;
	while (g_faults < g_n) {
		struct pollfd pfd = {.fd = g_uffd, .events = POLLIN};
		struct uffd_msg msg;
		unsigned long page;
		int r = poll(&pfd, 1, 20000);
		if (r == 0) {
			fprintf(stderr, "uffd handler: no fault for 20 s after %ld of %ld\n", g_faults, g_n);
			break;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (read(g_uffd, &msg, sizeof(msg)) != sizeof(msg)) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			die("read uffd");
		}
		if (msg.event != UFFD_EVENT_PAGEFAULT) {
			fprintf(stderr, "uffd handler: unexpected event %u\n", msg.event);
			continue;
		}
		page = msg.arg.pagefault.address & ~(unsigned long)(g_ps - 1);
		g_faults++;
		if (g_kind == K_DELAY) {
			long ms = g_ms[g_faults > g_n / 2];
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
		}
		switch (g_kind) {
		case K_SIGBUS:
			break;
		case K_DELAY:
		case K_MISSING: {
			struct uffdio_copy c = {.dst = page, .src = (unsigned long)g_src, .len = g_ps, .mode = 0};
			if (ioctl(g_uffd, UFFDIO_COPY, &c) && errno != EEXIST)
				die("UFFDIO_COPY");
			break;
		}
		case K_WP:
			if (!(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP))
				fprintf(stderr, "uffd handler: wp fault without FLAG_WP\n");
			uffd_writeprotect(g_uffd, (void *)page, g_ps, 0);
			break;
		case K_MINOR: {
			struct uffdio_continue c;
			memset(&c, 0, sizeof(c));
			c.range.start = page;
			c.range.len = g_ps;
			if (ioctl(g_uffd, UFFDIO_CONTINUE, &c) && errno != EEXIST)
				die("UFFDIO_CONTINUE");
			break;
		}
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const char *names[] = {"missing", "wp", "minor", "sigbus", "delay"};
	pthread_t th;
	char *region = NULL;
	size_t len;
	long i;
	volatile char sink = 0;

	if (argc != 3 && !(argc == 5 && !strcmp(argv[1], "delay"))) {
		fprintf(stderr, "usage: %s missing|wp|minor|sigbus N, or delay N MS1 MS2\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "delay")) {
		g_kind = K_DELAY;
		g_ms[0] = parse_long(argv[3], "MS1");
		g_ms[1] = parse_long(argv[4], "MS2");
	} else if (!strcmp(argv[1], "sigbus"))
		g_kind = K_SIGBUS;
	else if (!strcmp(argv[1], "missing"))
		g_kind = K_MISSING;
	else if (!strcmp(argv[1], "wp"))
		g_kind = K_WP;
	else if (!strcmp(argv[1], "minor"))
		g_kind = K_MINOR;
	else
		die("unknown kind %s", argv[1]);
	g_n = parse_long(argv[2], "N");
	if (g_n < 1)
		die("need N >= 1");
	g_ps = page_size();
	len = (size_t)g_n * g_ps;

	switch (g_kind) {
	case K_SIGBUS: {
		struct sigaction sa;

		g_uffd = uffd_open(UFFD_FEATURE_SIGBUS, "UFFD_FEATURE_SIGBUS");
		region = map_anon_pages(g_n);
		uffd_register(g_uffd, region, len, UFFDIO_REGISTER_MODE_MISSING, "MODE_MISSING");
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigbus;
		sa.sa_flags = SA_SIGINFO;
		if (sigaction(SIGBUS, &sa, NULL))
			die("sigaction");
		break;
	}
	case K_DELAY:
	case K_MISSING:
		g_uffd = uffd_open(0, "MODE_MISSING");
		g_src = map_anon_pages(1);
		memset(g_src, 0x5a, g_ps);
		region = map_anon_pages(g_n);
		uffd_register(g_uffd, region, len, UFFDIO_REGISTER_MODE_MISSING, "MODE_MISSING");
		break;
	case K_WP:
		g_uffd = uffd_open(0, "MODE_WP");
		region = map_anon_pages(g_n);
		memset(region, 1, len);
		uffd_register(g_uffd, region, len, UFFDIO_REGISTER_MODE_WP, "MODE_WP");
		uffd_writeprotect(g_uffd, region, len, 1);
		break;
	case K_MINOR: {
		int mfd;
		char *populate;
#ifndef UFFD_FEATURE_MINOR_SHMEM
		skip("UFFD_FEATURE_MINOR_SHMEM not in the UAPI headers");
#else
		g_uffd = uffd_open(UFFD_FEATURE_MINOR_SHMEM, "UFFD_FEATURE_MINOR_SHMEM");
#endif
		mfd = memfd_create("cowtrace-uffd-minor", MFD_CLOEXEC);
		if (mfd < 0)
			die("memfd_create");
		if (ftruncate(mfd, (off_t)len))
			die("ftruncate");
		populate = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		region = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		if (populate == MAP_FAILED || region == MAP_FAILED)
			die("mmap memfd");
		memset(populate, 0x33, len);
		uffd_register(g_uffd, region, len, UFFDIO_REGISTER_MODE_MINOR, "MODE_MINOR");
		break;
	}
	}
	errno = 0;

	if (g_kind != K_SIGBUS && (errno = pthread_create(&th, NULL, handler, NULL)))
		die("pthread_create");
	for (i = 0; i < g_n; i++) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (g_kind == K_MINOR)
			sink += region[i * g_ps];
		else
			region[i * g_ps] = 2;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (g_kind == K_DELAY) { /* fault i + 1 waited the delay of its half (handler) */
			long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
			int half = i + 1 > g_n / 2;

			if (us > g_max_us[half])
				g_max_us[half] = us;
		}
	}
	(void)sink;
	if (g_kind == K_SIGBUS)
		g_faults = g_sigbus;
	else
		pthread_join(th, NULL);
	if (g_kind == K_DELAY)
		truth("scenario=uffd kind=%s pid=%d n=%ld faults=%ld ms1=%ld ms2=%ld max1_us=%ld max2_us=%ld",
		      names[g_kind], (int)getpid(), g_n, g_faults, g_ms[0], g_ms[1], g_max_us[0], g_max_us[1]);
	else
		truth("scenario=uffd kind=%s pid=%d n=%ld faults=%ld", names[g_kind], (int)getpid(), g_n,
		      g_faults);
	if (g_faults != g_n) {
		fprintf(stderr, "uffd: handler saw %ld faults, expected %ld\n", g_faults, g_n);
		return 1;
	}
	return 0;
}
