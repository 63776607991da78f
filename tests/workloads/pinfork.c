/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pinfork P: fork copies pages that are pinned for DMA at once.
 *
 * The measured process populates P private anonymous pages, registers them as
 * one io_uring fixed buffer (io_uring_setup + IORING_REGISTER_BUFFERS: a
 * FOLL_LONGTERM pin), raw-forks; the child exits at once; the parent waits and
 * exits.  At fork the kernel must copy every pinned page for the child
 * (copy_present_page) instead of sharing it.
 *
 *   TRUTH scenario=pinfork parent=PID child=PID pages=P
 *
 * Expected from the tracer: parent pinned_cow == P, and the forks entry
 * {parent, child} has pinned_cow == P.
 */
#include "common.h"
#include <linux/io_uring.h>
#include <sys/uio.h>

static int measured(int argc, char **argv)
{
	struct shared_page *sh = measured_attach(argc, argv);
	struct io_uring_params params;
	struct iovec iov;
	long pages, ps = page_size();
	char *p;
	int ring;

	if (argc != 4)
		die("measured: usage");
	pages = parse_long(argv[3], "P");
	pin_to_one_cpu();
	p = map_anon_pages(pages);
	raw_write_pages(p, ps, pages);

	memset(&params, 0, sizeof(params));
	ring = (int)syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0) {
		if (errno == ENOSYS || errno == EPERM)
			skip("io_uring_setup: %s", strerror(errno));
		die("io_uring_setup");
	}
	iov.iov_base = p;
	iov.iov_len = (size_t)pages * ps;
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1) < 0)
		die("io_uring_register(IORING_REGISTER_BUFFERS, %ld pages)", pages);
	raw_fork_and_touch(p, ps, 0, 0, 0, &sh->child_pid);
}

int main(int argc, char **argv)
{
	struct orch o;
	long pages;

	if (is_measured(argc, argv))
		return measured(argc, argv);
	pages = count_arg(argc, argv, "P");
	orch_init(&o);
	orch_spawn(&o, (char *const[]){argv[1], NULL});
	orch_wait(&o);
	truth("scenario=pinfork parent=%ld child=%ld pages=%ld", o.sh->measured_pid, o.sh->child_pid, pages);
	return 0;
}
