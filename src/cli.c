// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The command line (bcc conventions: argp, -p/-c/-d/-i/-v, a command after
 * --).  All option validation lives here: syntax in parse_arg(), the
 * options against each other in cli_parse(), against the system in
 * cli_check_system().
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "cli.h"
#include "outfile.h"
#include "stats.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

const char *argp_program_version = "cowtrace " COWTRACE_VERSION;
const char *argp_program_bug_address = "https://github.com/cowtrace/cowtrace/issues";
static const char doc[] =
"Trace copy-on-write, pinned-COW, userfaultfd and uffd-wp marker events per process.\n"
"\n"
"USAGE: cowtrace [-p PID | -c CGROUP] [-d SECONDS] [-i SECONDS] [-o text|json]\n"
"                [-O FILE] [--prom FILE] [--record FILE] [-- CMD ARGS...]\n"
"       cowtrace probes [--mode fentry|kprobe|tracepoint]\n"
"       cowtrace stats [-o text|json]\n"
"       cowtrace predict -p PID [--window SECONDS] [--basis FILE] [-o text|json]\n"
"       cowtrace report FILE [-o text|json] [--prom OUT] [--svg OUT.svg]\n"
"                [--folded OUT] [--flamegraph OUT.svg]\n"
"With -p or -c, a command after -- is the trigger: it runs untraced, and\n"
"the trace ends when it has exited and what was forked meanwhile has ended.\n"
"\n"
"EXAMPLES:\n"
"  cowtrace -d 5                    # the whole system for 5 s, per process\n"
"  cowtrace -p 181                  # process 181 and what it forks; Ctrl-C\n"
"  cowtrace -p $(pidof redis-server) -- redis-cli bgsave   # one BGSAVE fork\n"
"  cowtrace -c /sys/fs/cgroup/system.slice/redis-server.service -d 60\n"
"  cowtrace -- python3 app.py       # run a command, trace it and its children\n"
"  cowtrace -o json -i 10           # one NDJSON summary every 10 s\n"
"  cowtrace probes                  # which hook feeds each statistic here\n"
"  cowtrace -i 15 --prom /var/lib/prometheus/node-exporter/cowtrace.prom\n"
"  cowtrace -p $(pidof redis-server) --record bgsave.ctr -- redis-cli bgsave\n"
"  cowtrace report bgsave.ctr --svg bgsave.svg   # offline, no root needed\n"
"  cowtrace --flamegraph cow.svg -- python3 app.py  # the code behind copies\n"
"  cowtrace predict -p $(pidof redis-server) --window 5   # what a fork now would cost\n"
"\n"
"predict runs 5 calibration forks each of 32 and 128 MiB, then write-protects\n"
"PID's pages (soft-dirty, /proc/PID/clear_refs) and counts the pages it writes:\n"
"one write fault in PID per page counted, which a tracer running meanwhile\n"
"sees as reuses.\n";

enum { OPT_MODE = 1000, OPT_LOAD_ONLY, OPT_HIST_TOP, OPT_RINGBUF, OPT_PROM, OPT_PROM_LABELS, OPT_PROM_TOP,
       OPT_EVENTS, OPT_RECORD, OPT_MAX_EXITED, OPT_SVG, OPT_MAX_PROCS, OPT_STACKS, OPT_KERNEL_STACKS, OPT_LATENCY,
       OPT_FOLDED, OPT_FLAMEGRAPH, OPT_TOP_STACKS, OPT_TOP, OPT_NO_FOLLOW, OPT_FOLDED_BY, OPT_WINDOW, OPT_BASIS };

static struct argp_option opts[] = { /* --stacks' doc is filled in from the table of kinds */
	{ "pid", 'p', "PID", 0, "Trace this process (all its threads) and the processes it forks from now on", 0 },
	{ "no-follow", OPT_NO_FOLLOW, NULL, 0, "With -p: trace PID only, not the processes it forks", 0 },
	{ "cgroup", 'c', "CGROUP", 0, "Trace tasks in this cgroup v2 directory (and below)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after this long", 0 },
	{ "interval", 'i', "SECONDS", 0, "Print a cumulative report this often", 0 },
	{ "output", 'o', "FORMAT", 0, "text (default) or json (NDJSON)", 0 },
	{ "output-file", 'O', "FILE", 0, "Write the reports (and --events lines) to FILE instead of stdout", 0 },
	{ "top", OPT_TOP, "N", 0, "Processes in the text report, most copies first (default 20; the rest are summed)", 0 },
	{ "mode", OPT_MODE, "MODE", 0, "Force a rung: fentry, kprobe or tracepoint", 0 },
	{ "hist-top", OPT_HIST_TOP, "N", 0, "Histograms for the top N processes (text, default 5)", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "BYTES", 0, "BPF ring buffer size (power of 2, default 4 MiB)", 0 },
	{ "prom", OPT_PROM, "FILE", 0, "Write a Prometheus textfile, atomically, every interval (default 15 s) and at exit", 0 },
	{ "prom-labels", OPT_PROM_LABELS, "comm|cgroup|pid", 0, "Label Prometheus series by comm (default), cgroup path or pid", 0 },
	{ "prom-top", OPT_PROM_TOP, "N", 0, "At most N label values get series, the rest is \"other\" (default 20)", 0 },
	{ "events", OPT_EVENTS, NULL, 0, "One NDJSON line per raw event on stdout (reports become NDJSON too)", 0 },
	{ "record", OPT_RECORD, "FILE", 0, "Write the raw event stream to FILE, for `cowtrace report`", 0 },
	{ "max-exited", OPT_MAX_EXITED, "N", 0, "Exited processes kept one by one before the oldest are folded by command (default 4096, 0: never)", 0 },
	{ "svg", OPT_SVG, "FILE", 0, "report: draw copies over time per process as an SVG chart", 0 },
	{ "max-procs", OPT_MAX_PROCS, "N", 0, "Live processes the kernel's maps hold at once (default 131072); beyond it, counts are dropped and reported as unclassified", 0 },
	{ "stacks", OPT_STACKS, "KINDS", OPTION_ARG_OPTIONAL, NULL /* stacks_doc() */, 0 },
	{ "latency", OPT_LATENCY, NULL, 0, "Time every write fault (do_wp_page) into latency histograms: one more BPF program per fault, off by default", 0 },
	{ "kernel-stacks", OPT_KERNEL_STACKS, NULL, 0, "With --stacks: the kernel stacks too (copies the kernel makes on a user page: read() into a COW buffer, GUP)", 0 },
	{ "folded", OPT_FOLDED, "FILE", 0, "Write folded stacks (comm;outer;...;inner pages) for flamegraph.pl, inferno or speedscope (implies --stacks)", 0 },
	{ "flamegraph", OPT_FLAMEGRAPH, "FILE", 0, "Write a flame graph of the copies as an interactive SVG (implies --stacks)", 0 },
	{ "top-stacks", OPT_TOP_STACKS, "N", 0, "Stacks per process in the text and JSON reports (default 5)", 0 },
	{ "folded-by", OPT_FOLDED_BY, "comm|pid|fork", 0, "The root frame of --folded and --flamegraph stacks: the command (default), \"comm (pid N)\", or \"comm (parent)\" / \"comm (child)\" (forked by a traced process)", 0 },
	{ "window", OPT_WINDOW, "SECONDS", 0, "predict: how long to watch PID's writes (default 15; windows of 1, 5, 15, 60 and 300 s below it)", 0 },
	{ "basis", OPT_BASIS, "FILE", 0, "predict: the stall's rate from the forks of a record (--record FILE), those of the same command first, instead of calibration forks", 0 },
	{ "load-only", OPT_LOAD_ONLY, NULL, OPTION_HIDDEN, "Load (verify) the programs, attach nothing", 0 },
	{ "verbose", 'v', NULL, 0, "Show the probe plan, libbpf's messages and the ladder's attempts", 0 },
	{ "quiet", 'q', NULL, 0, "No \"tracing\" line on stderr once tracing has begun", 0 },
	{},
};

/* While parsing: the result, how many options only make sense when tracing, and which were given. */
struct parse_state {
	struct ct_cli *c;
	unsigned trace_opts;
	unsigned plan_opts; /* of trace_opts, those that shape the plan 'probes' prints */
	bool prom_labels, prom_top, top_stacks, hist_top, top, stacks, kernel_stacks, folded_by, window, basis;
};

static void usage_error(const char *fmt, const char *val)
{
	fprintf(stderr, "cowtrace: ");
	fprintf(stderr, fmt, val);
	fprintf(stderr, "\nTry 'cowtrace --help' for more information.\n");
	exit(2);
}

/* A value among names[]; a usage error naming opt otherwise. */
static int choice(const char *arg, const char *const *names, int n, const char *err)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(arg, names[i]))
			return i;
	usage_error(err, arg);
	return -1;
}

/* "copy, reuse, ..., copy_ksm or all": the kinds --stacks takes, from the table of kinds (ct_wp_kind_name). */
static const char *stack_kinds(void)
{
	static char buf[256];

	if (!buf[0]) {
		snprintf(buf, sizeof(buf), "copy");
		for (unsigned k = 0; k < CT_WP_KIND_MAX; k++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ", %s", ct_wp_kind_name(k));
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " or all");
	}
	return buf;
}

static const char *stacks_doc(void)
{
	static char buf[384];

	snprintf(buf, sizeof(buf), "Count the user stack of every copy, in the kernel (KINDS: %s, comma-separated; "
		 "default: copy)", stack_kinds());
	return buf;
}

/* --stacks=KINDS: the bits of enum ct_wp_kind; no value: the copies. */
static uint32_t parse_stack_kinds(const char *arg)
{
	char *dup, *tok, *save = NULL;
	uint32_t mask = 0;

	if (!arg)
		return CT_WP_COPY_KINDS;
	if (!*arg || *arg == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,"))
		usage_error("invalid --stacks '%s': an empty kind (KINDS is a comma-separated list)", arg);
	dup = strdup(arg);
	if (!dup) {
		fprintf(stderr, "cowtrace: out of memory\n");
		exit(1);
	}
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned k;

		if (!strcmp(tok, "copy")) {
			mask |= CT_WP_COPY_KINDS;
			continue;
		}
		if (!strcmp(tok, "all")) {
			mask |= (1u << CT_WP_KIND_MAX) - 1;
			continue;
		}
		for (k = 0; k < CT_WP_KIND_MAX && strcmp(tok, ct_wp_kind_name(k)); k++)
			;
		if (k == CT_WP_KIND_MAX) {
			fprintf(stderr, "cowtrace: invalid --stacks kind '%s': expected %s\n"
				"Try 'cowtrace --help' for more information.\n", tok, stack_kinds());
			exit(2);
		}
		mask |= 1u << k;
	}
	free(dup);
	if (!mask)
		usage_error("invalid --stacks '%s': no kind given", arg);
	return mask;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	static const char *const fmts[] = { "text", "json" };
	static const char *const modes[] = { "fentry", "kprobe", "tracepoint" };
	static const char *const labels[] = { "comm", "cgroup", "pid" };
	struct parse_state *ps = state->input;
	struct ct_cli *c = ps->c;
	unsigned long long v;

	switch (key) {
	case 'p':
		ps->trace_opts++;
		if (parse_uint(arg, 1, 0x7fffffff, &v))
			usage_error("invalid PID '%s': expected a positive integer", arg);
		c->o.pid = v;
		break;
	case 'c':
		ps->trace_opts++;
		c->cgroup = arg;
		break;
	case 'd':
		ps->trace_opts++;
		if (parse_seconds(arg, &c->duration))
			usage_error("invalid duration '%s': expected positive seconds", arg);
		break;
	case 'i':
		ps->trace_opts++;
		if (parse_seconds(arg, &c->interval))
			usage_error("invalid interval '%s': expected positive seconds", arg);
		break;
	case 'o':
		c->fmt = choice(arg, fmts, 2, "invalid output format '%s': expected text or json");
		c->fmt_given = true;
		break;
	case 'O':
		if (!*arg)
			usage_error("invalid --output-file '%s': expected a file name", arg);
		c->output_file = arg;
		break;
	case OPT_TOP:
		ps->top = true;
		if (parse_uint(arg, 1, 100000000, &v))
			usage_error("invalid --top '%s': expected a positive count", arg);
		c->top = v;
		break;
	case OPT_NO_FOLLOW:
		ps->trace_opts++;
		c->no_follow = true;
		break;
	case OPT_FOLDED_BY: {
		static const char *const keys[] = { "comm", "pid", "fork" };

		ps->folded_by = true;
		c->folded_by = choice(arg, keys, 3, "invalid --folded-by '%s': expected comm, pid or fork");
		break;
	}
	case 'q':
		c->quiet = true;
		break;
	case OPT_MODE:
		ps->trace_opts++;
		ps->plan_opts++;
		c->o.mode = MODE_FENTRY + choice(arg, modes, 3,
					"invalid mode '%s': expected fentry, kprobe or tracepoint");
		break;
	case OPT_HIST_TOP:
		ps->hist_top = true;
		if (parse_uint(arg, 0, 1000000, &v))
			usage_error("invalid --hist-top '%s': expected a count", arg);
		c->hist_top = v;
		break;
	case OPT_RINGBUF:
		if (parse_uint(arg, 4096, 1ULL << 30, &v) || (v & (v - 1)))
			usage_error("invalid --ringbuf-size '%s': expected a power of 2 >= 4096", arg);
		c->o.ringbuf_bytes = v;
		break;
	case OPT_PROM:
		c->prom = arg;
		break;
	case OPT_PROM_LABELS:
		ps->prom_labels = true;
		c->prom_by = choice(arg, labels, 3, "invalid --prom-labels '%s': expected comm, cgroup or pid");
		break;
	case OPT_PROM_TOP:
		ps->prom_top = true;
		if (parse_uint(arg, 1, 100000, &v))
			usage_error("invalid --prom-top '%s': expected a positive count", arg);
		c->prom_top = v;
		break;
	case OPT_EVENTS:
		c->events = true;
		break;
	case OPT_RECORD:
		ps->trace_opts++;
		c->record = arg;
		break;
	case OPT_MAX_EXITED:
		if (parse_uint(arg, 0, 100000000, &v))
			usage_error("invalid --max-exited '%s': expected a count", arg);
		c->max_exited = v;
		break;
	case OPT_SVG:
		c->svg = arg;
		break;
	case OPT_MAX_PROCS:
		ps->trace_opts++;
		if (parse_uint(arg, 16, 1 << 24, &v))
			usage_error("invalid --max-procs '%s': expected a count from 16 to 16777216", arg);
		c->o.max_procs = v;
		break;
	case OPT_STACKS:
		ps->trace_opts++;
		ps->plan_opts++;
		ps->stacks = true;
		c->o.stacks = parse_stack_kinds(arg);
		break;
	case OPT_KERNEL_STACKS:
		ps->trace_opts++;
		ps->plan_opts++;
		ps->kernel_stacks = true;
		c->o.kernel_stacks = true;
		break;
	case OPT_LATENCY:
		ps->trace_opts++;
		ps->plan_opts++;
		c->o.latency = true;
		break;
	case OPT_FOLDED:
		c->folded = arg;
		break;
	case OPT_FLAMEGRAPH:
		c->flamegraph = arg;
		break;
	case OPT_TOP_STACKS:
		ps->top_stacks = true;
		if (parse_uint(arg, 0, 1000000, &v))
			usage_error("invalid --top-stacks '%s': expected a count", arg);
		c->top_stacks = v;
		break;
	case OPT_LOAD_ONLY:
		c->o.load_only = true;
		break;
	case OPT_BASIS:
		c->basis = arg;
		ps->basis = true;
		break;
	case OPT_WINDOW:
		if (parse_seconds(arg, &c->window) || c->window <= 0 || c->window > 86400)
			usage_error("invalid --window '%s': expected seconds, more than 0 and at most 86400", arg);
		ps->window = true;
		break;
	case 'v':
		c->o.verbose = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0 && !strcmp(arg, "probes") && !state->quoted) {
			c->command = CMD_PROBES;
			break;
		}
		if (state->arg_num == 0 && !strcmp(arg, "stats") && !state->quoted) {
			c->command = CMD_STATS;
			break;
		}
		if (state->arg_num == 0 && !strcmp(arg, "predict") && !state->quoted) {
			c->command = CMD_PREDICT;
			break;
		}
		if (state->arg_num == 0 && !strcmp(arg, "report") && !state->quoted) {
			c->command = CMD_REPORT;
			break;
		}
		if (state->arg_num == 1 && c->command == CMD_REPORT && !state->quoted) {
			c->report_file = arg;
			break;
		}
		if (state->quoted && state->next - 1 >= state->quoted) {
			c->cmd = &state->argv[state->next - 1];
			state->next = state->argc; /* the rest belongs to CMD */
			break;
		}
		usage_error("unexpected argument '%s' (put a command after --)", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void fail(const char *msg)
{
	fprintf(stderr, "cowtrace: %s\n", msg);
	exit(2);
}

/* Options that do nothing without their partner, or against another: refused, naming both. */
static void check_together(const struct ct_cli *c, const struct parse_state *ps)
{
	bool draws = c->folded || c->flamegraph;

	if ((ps->prom_labels || ps->prom_top) && !c->prom)
		fail(ps->prom_labels ? "--prom-labels applies to --prom FILE (the Prometheus textfile), which is not given"
				     : "--prom-top applies to --prom FILE (the Prometheus textfile), which is not given");
	if (c->events && c->fmt_given && c->fmt == OUT_TEXT)
		fail("--events writes NDJSON (its reports too): it cannot be combined with -o text");
	if (c->events && c->command == CMD_REPORT)
		fail("report: --events prints a live trace's events; a record's are in its JSON report "
		     "(cowtrace report FILE -o json)");
	if (ps->kernel_stacks && !ps->stacks && !draws)
		fail("--kernel-stacks adds the kernel stacks to --stacks: give --stacks (or --folded/--flamegraph) too");
	if (ps->top_stacks && !ps->stacks && !draws && c->command != CMD_REPORT)
		fail("--top-stacks applies to --stacks, which is not given");
	if (ps->folded_by && !draws)
		fail("--folded-by applies to --folded or --flamegraph, neither of which is given");
	if ((ps->hist_top || ps->top) && c->fmt == OUT_JSON && (c->fmt_given || c->events))
		fail(ps->top ? "--top applies to the text report; JSON has every process"
			     : "--hist-top applies to the text report; JSON has every histogram");
}

void cli_parse(int argc, char **argv, struct ct_cli *c)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct parse_state ps = { .c = c };

	memset(c, 0, sizeof(*c));
	c->prom_top = 20;
	c->max_exited = 4096;
	c->hist_top = 5;
	c->top_stacks = 5;
	c->top = 20;
	c->o.cgroup_fd = -1;
	c->o.ringbuf_bytes = 4 << 20;
	c->o.max_procs = 131072;
	argp_err_exit_status = 2; /* usage errors exit 2, as in bcc's tools */
	for (struct argp_option *o = opts; o->name || o->key; o++)
		if (o->key == OPT_STACKS)
			o->doc = stacks_doc();
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &ps))
		exit(2);
	check_together(c, &ps);
	if (c->command == CMD_REPORT) {
		if (!c->report_file)
			fail("report: which record file? (cowtrace report FILE)");
		if (ps.trace_opts || c->cmd || c->o.ringbuf_bytes != 4 << 20)
			fail("report: -p, -c, -d, -i, --mode, --record, --max-procs, --ringbuf-size, --stacks, "
			     "--kernel-stacks, --latency, --no-follow and -- CMD apply to tracing, not to 'report'");
		return;
	}
	if (c->command == CMD_STATS) {
		if (ps.trace_opts || c->cmd || c->prom || c->folded || c->flamegraph || c->events || c->output_file ||
		    c->svg || c->record)
			fail("stats: only -o applies to 'cowtrace stats' (it prints the table of statistics)");
		return;
	}
	if ((ps.window || ps.basis) && c->command != CMD_PREDICT)
		fail(ps.window ? "--window applies to 'cowtrace predict'" : "--basis applies to 'cowtrace predict'");
	if (c->command == CMD_PREDICT) {
		if (!c->o.pid)
			fail("predict: which process? (cowtrace predict -p PID)");
		if (ps.trace_opts != 1 || c->cmd || c->prom || c->folded || c->flamegraph || c->events ||
		    c->output_file || c->svg || c->record)
			fail("predict: only -p, --window, --basis, -o and -q apply to 'cowtrace predict'");
		if (!c->window)
			c->window = 15;
		return;
	}
	if (c->command == CMD_PROBES) {
		if (ps.trace_opts != ps.plan_opts || c->cmd || c->prom || c->folded || c->flamegraph || c->events ||
		    c->output_file || c->svg)
			fail("probes: only --mode, --latency, --stacks, --kernel-stacks and -v apply to 'cowtrace probes' "
			     "(it prints the plan and exits)");
		return;
	}
	if ((c->folded || c->flamegraph) && !c->o.stacks)
		c->o.stacks = CT_WP_COPY_KINDS; /* what they draw */
	if (c->svg)
		fail("--svg draws a record: cowtrace report FILE --svg OUT.svg");
	if (c->o.pid && c->cgroup)
		fail("-p and -c cannot be combined: trace one process (and what it forks) or one cgroup");
	if (c->no_follow && !c->o.pid)
		fail("--no-follow applies to -p (a command after -- is always followed, a cgroup holds what it holds)");
	/* with -p or -c, CMD is the trigger: it runs untraced, and the trace ends after it */
	c->trigger = c->cmd && (c->o.pid || c->cgroup);
	if (c->events)
		c->fmt = OUT_JSON; /* stdout is all NDJSON then */
	c->o.follow = c->cmd && !c->trigger;
	c->o.follow_pid = c->o.pid && !c->no_follow;
	c->o.per_event = c->events || c->record; /* else the kernel sends no event per fault */
}

bool cli_target_gone(unsigned pid, int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	/* kill(pid, 0) succeeds on a zombie; a pidfd turns readable at exit (5.3+). */
	if (pidfd >= 0)
		return poll(&p, 1, 0) > 0;
	return kill(pid, 0) && errno == ESRCH;
}

static void check_out(const char *opt, const char *path)
{
	char err[8800];

	if (path && outfile_check(opt, path, err, sizeof(err)))
		fail(err);
}

void cli_check_system(struct ct_cli *c, int *pidfd)
{
	char msg[4200];
	struct statfs sf;

	*pidfd = -1;
	if (c->command == CMD_REPORT) {
		check_out("--prom", c->prom);
		check_out("--svg", c->svg);
		check_out("--folded", c->folded);
		check_out("--flamegraph", c->flamegraph);
		check_out("--output-file", c->output_file);
		return;
	}
#ifdef SYS_pidfd_open
	if (c->o.pid)
		*pidfd = syscall(SYS_pidfd_open, c->o.pid, 0); /* -1 (a thread, old kernel): kill() */
#endif
	if (c->o.pid && cli_target_gone(c->o.pid, *pidfd)) {
		snprintf(msg, sizeof(msg), "no process with PID %u", c->o.pid);
		fail(msg);
	}
	if (c->cgroup) {
		int fd = open(c->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			snprintf(msg, sizeof(msg), "cgroup '%.4000s': %s", c->cgroup, strerror(errno));
			fail(msg);
		}
		if (fstatfs(fd, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
			snprintf(msg, sizeof(msg), "cgroup '%.4000s': not a cgroup v2 directory", c->cgroup);
			fail(msg);
		}
		c->o.cgroup_fd = fd;
	}
	check_out("--record", c->record);
	check_out("--prom", c->prom);
	check_out("--folded", c->folded);
	check_out("--flamegraph", c->flamegraph);
	check_out("--output-file", c->output_file);
}
