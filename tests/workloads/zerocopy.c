/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * zerocopy N: write faults on the shared zero page.
 *
 * A process with no history reads one byte of each of N fresh private
 * anonymous pages (this maps the zero page read-only), then writes each page.
 *
 *   TRUTH scenario=zerocopy pid=PID n=N parent=PID zero_page=Z
 *
 * Expected from the tracer: process `pid` has copy_zero == copy == N and
 * nothing else but its exit.  Z says whether this kernel maps the shared
 * zero page on a read fault (/proc/self/pagemap: two pages read show one
 * frame): 1 yes, 0 no (each read got its own writable page: the writes are
 * no faults at all, and the expected copy_zero is 0), -1 unknown (pagemap
 * shows no frames without CAP_SYS_ADMIN).
 *
 * "A process with no history" is the raw-forked child (pid=) of the measured
 * process (parent=): a glibc process's own start-up can read and then write a
 * .bss page (copy_zero) or a .data page mapped read-only by fault-around
 * (copy_file), which would count against it; the child runs only the
 * register-only code of raw_fork_and_touch().  The region is mapped (not
 * touched) before the fork; the parent never touches it.
 */
#include "common.h"
#include <stdint.h>

/* Whether a read fault maps the shared zero page here: 1, 0, or -1 (pagemap shows no frames). */
static long zero_page_used(long ps)
{
	volatile char *q = map_anon_pages(2);
	uint64_t e[2];
	char sink = q[0] + q[ps];
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	long r = -1;

	(void)sink;
	if (fd >= 0 && pread(fd, e, sizeof(e), (off_t)((uintptr_t)q / ps * 8)) == sizeof(e)) {
		uint64_t f0 = e[0] & ((1ull << 55) - 1), f1 = e[1] & ((1ull << 55) - 1);

		if ((e[0] >> 63) && (e[1] >> 63) && f0 && f1)
			r = f0 == f1;
	}
	if (fd >= 0)
		close(fd);
	munmap((void *)q, 2 * ps);
	return r;
}

static int measured(int argc, char **argv)
{
	struct shared_page *sh = measured_attach(argc, argv);
	long n, ps = page_size();
	char *p;

	if (argc != 4)
		die("measured: usage");
	n = parse_long(argv[3], "N");
	pin_to_one_cpu();
	sh->value[0] = zero_page_used(ps);
	p = map_anon_pages(n);
	raw_fork_and_touch(p, ps, n, n, 0, &sh->child_pid);
}

int main(int argc, char **argv)
{
	struct orch o;
	long n;

	if (is_measured(argc, argv))
		return measured(argc, argv);
	n = count_arg(argc, argv, "N");
	orch_init(&o);
	orch_spawn(&o, (char *const[]){argv[1], NULL});
	orch_wait(&o);
	truth("scenario=zerocopy pid=%ld n=%ld parent=%ld zero_page=%ld", o.sh->child_pid, n, o.sh->measured_pid,
	      o.sh->value[0]);
	return 0;
}
