/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * uffd missing|wp|minor N: userfaultfd faults resolved by a handler thread.
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
 *   TRUTH scenario=uffd kind=KIND pid=PID n=N faults=F
 *
 * F is the number of faults the handler thread received (== N unless
 * something is wrong; exit status 1 then, after printing TRUTH).
 * Expected from the tracer: process pid has uffd_<kind> == F.
 * No COW avoidance here: the uffd counters are separate statistics.
 */
#include "uffd.h"
#include <poll.h>
#include <pthread.h>

enum kind { K_MISSING, K_WP, K_MINOR };

static int g_uffd;
static enum kind g_kind;
static long g_n, g_ps, g_faults;
static char *g_src; /* UFFDIO_COPY source page */

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
		switch (g_kind) {
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
	static const char *names[] = {"missing", "wp", "minor"};
	pthread_t th;
	char *region;
	size_t len;
	long i;
	volatile char sink = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s missing|wp|minor N\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "missing"))
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

	if ((errno = pthread_create(&th, NULL, handler, NULL)))
		die("pthread_create");
	for (i = 0; i < g_n; i++) {
		if (g_kind == K_MINOR)
			sink += region[i * g_ps];
		else
			region[i * g_ps] = 2;
	}
	(void)sink;
	pthread_join(th, NULL);
	truth("scenario=uffd kind=%s pid=%d n=%ld faults=%ld", names[g_kind], (int)getpid(), g_n, g_faults);
	if (g_faults != g_n) {
		fprintf(stderr, "uffd: handler saw %ld faults, expected %ld\n", g_faults, g_n);
		return 1;
	}
	return 0;
}
