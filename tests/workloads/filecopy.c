/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * filecopy N: write faults on private file (page cache) pages.
 *
 * A file of N pages is created in $TMPDIR (default /tmp) with write(2), mapped
 * MAP_PRIVATE PROT_READ|PROT_WRITE; a process with no history reads one byte
 * of each page (maps the page cache pages read-only), then writes each page.
 *
 *   TRUTH scenario=filecopy pid=PID n=N parent=PID
 *
 * Expected from the tracer: process `pid` has copy_file == copy == N.
 * As in zerocopy.c, the reading/writing process is the raw-forked child of the
 * measured process (no start-up history); the file is unlinked before the fork.
 */
#include "common.h"

static int measured(int argc, char **argv)
{
	struct shared_page *sh = measured_attach(argc, argv);
	long n, ps = page_size(), i;
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX], *buf, *p;
	int fd;

	if (argc != 4)
		die("measured: usage");
	n = parse_long(argv[3], "N");
	pin_to_one_cpu();
	snprintf(path, sizeof(path), "%s/cowtrace-filecopy-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp %s", path);
	buf = malloc(ps);
	if (!buf)
		die("malloc");
	for (i = 0; i < n; i++) {
		memset(buf, 'a' + (int)(i % 26), ps);
		if (write(fd, buf, ps) != ps)
			die("write %s", path);
	}
	if (fsync(fd) && errno != EINVAL)
		die("fsync");
	p = mmap(NULL, (size_t)n * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		die("mmap %s", path);
	madvise(p, (size_t)n * ps, MADV_NOHUGEPAGE);
	unlink(path);
	close(fd);
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
	truth("scenario=filecopy pid=%ld n=%ld parent=%ld", o.sh->child_pid, n, o.sh->measured_pid);
	return 0;
}
