/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The command line: every option and every check of it, producing one
 * struct.  Usage errors print one line naming the bad value and exit 2.
 */
#ifndef COWTRACE_CLI_H
#define COWTRACE_CLI_H
#include <stdbool.h>
#include "output_prom.h"
#include "probes.h"
#include "stacks.h"

enum ct_command { CMD_TRACE, CMD_PROBES, CMD_REPORT, CMD_STATS, CMD_PREDICT };
enum ct_output_fmt { OUT_TEXT, OUT_JSON };

struct ct_cli {
	enum ct_command command;
	struct ct_opts o;        /* what the probes need: -p, -c (fd), follow, --mode, ... */
	const char *cgroup;      /* -c CGROUP */
	double duration;         /* -d, 0: until Ctrl-C */
	double interval;         /* -i, 0: final report only */
	enum ct_output_fmt fmt;  /* -o */
	unsigned hist_top;
	char **cmd;              /* -- CMD ARGS... */
	const char *prom;        /* --prom FILE */
	enum prom_label prom_by;
	unsigned prom_top;
	bool events;             /* --events: stdout is NDJSON */
	const char *record;      /* --record FILE */
	unsigned max_exited;
	const char *report_file; /* cowtrace report FILE */
	const char *svg;         /* report --svg FILE */
	const char *folded;      /* --folded FILE: folded stacks */
	const char *flamegraph;  /* --flamegraph FILE: the copies' flame graph */
	unsigned top_stacks;     /* stacks per process in the text and JSON reports */
	unsigned top;            /* processes in the text report (the rest summed) */
	const char *output_file; /* -O FILE: reports (and --events lines) there, not on stdout */
	bool fmt_given;          /* -o was given */
	bool no_follow;          /* --no-follow: -p traces PID only, not what it forks */
	bool trigger;            /* -- CMD with -p or -c: CMD runs untraced, ends the trace */
	bool quiet;              /* -q: no "tracing" line on stderr */
	enum ct_folded_key folded_by; /* --folded-by: the root frame of folded stacks */
	double window;           /* predict --window: how long to watch the writes (default 15 s) */
	const char *basis;       /* predict --basis FILE: the stall's rate from a record's forks */
};

/* Parse argv and check the options against each other; exits 2 on a usage error. */
void cli_parse(int argc, char **argv, struct ct_cli *c);
/*
 * Check what the options name on this system: -p's process exists, -c is a
 * cgroup v2 directory (opened into o.cgroup_fd), output files can be
 * created.  Exits 2 with a message naming the value.  pidfd: -p's pidfd
 * (-1 if the kernel has none).
 */
void cli_check_system(struct ct_cli *c, int *pidfd);
/* Whether -p's process is gone (pidfd, else kill(pid, 0)). */
bool cli_target_gone(unsigned pid, int pidfd);

#endif
