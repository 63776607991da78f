// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cowtrace: per-process copy-on-write, pinned-COW, userfaultfd and uffd-wp
 * marker statistics.  main() dispatches: the command line (cli.c), then
 * `cowtrace report` (replay.c), `cowtrace probes` or tracing (live.c).
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include "cli.h"
#include "live.h"
#include "output.h"
#include "predict.h"
#include "replay.h"

int main(int argc, char **argv)
{
	struct ct_cli cli;
	int pidfd, ret;

	/*
	 * Arrays as large as the process table (a read's list, the sorted
	 * report order) come and go at every interval: with glibc's dynamic
	 * threshold they land in the heap once one was freed, and stay
	 * resident; a fixed threshold gives them back at free().
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	live_signals(); /* before anything: a signal at any moment still ends in a report */
	cli_parse(argc, argv, &cli);
	if (cli.command == CMD_STATS) { /* the table of statistics: no root, no kernel */
		if (cli.fmt == OUT_JSON)
			output_stats_json(stdout);
		else
			output_stats_text(stdout);
		return fflush(stdout) || ferror(stdout) ? 1 : 0;
	}
	if (cli.command == CMD_REPORT) {
		/* Offline: nothing to report on a signal, so it must end the run. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		cli_check_system(&cli, &pidfd);
		return run_report(&cli);
	}
	/* Before anything touches the file system (stale temp files are removed). */
	if (geteuid() != 0) {
		fprintf(stderr, "cowtrace: must run as root (BPF tracing needs CAP_BPF and CAP_PERFMON)\n");
		return 1;
	}
	cli_check_system(&cli, &pidfd);
	if (cli.command == CMD_PREDICT)
		ret = run_predict(&cli, pidfd);
	else
		ret = cli.command == CMD_PROBES || cli.o.load_only ? run_probes(&cli) : run_trace(&cli, pidfd);
	if (cli.o.cgroup_fd >= 0)
		close(cli.o.cgroup_fd);
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}
