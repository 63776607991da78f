/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * zerocopy N: write faults on the shared zero page.
 *
 * A process with no history reads one byte of each of N fresh private
 * anonymous pages (this maps the zero page read-only), then writes each page.
 *
 *   TRUTH scenario=zerocopy pid=PID n=N parent=PID
 *
 * Expected from the tracer: process `pid` has copy_zero == copy == N and
 * nothing else but its exit.
 *
 * "A process with no history" is the raw-forked child (pid=) of the measured
 * process (parent=): a glibc process's own start-up can read and then write a
 * .bss page (copy_zero) or a .data page mapped read-only by fault-around
 * (copy_file), which would count against it; the child runs only the
 * register-only code of raw_fork_and_touch().  The region is mapped (not
 * touched) before the fork; the parent never touches it.
 */
#include "common.h"

static int measured(int argc, char **argv)
{
	struct shared_page *sh = measured_attach(argc, argv);
	long n, ps = page_size();
	char *p;

	if (argc != 4)
		die("measured: usage");
	n = parse_long(argv[3], "N");
	pin_to_one_cpu();
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
	truth("scenario=zerocopy pid=%ld n=%ld parent=%ld", o.sh->child_pid, n, o.sh->measured_pid);
	return 0;
}
