// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cowtrace: per-process copy-on-write, pinned-COW, userfaultfd and uffd-wp
 * marker statistics.
 *
 * Lifecycle (libbpf-bootstrap): parse -> plan+load+attach (probes.c) ->
 * ring buffer -> poll loop until Ctrl-C / duration / command exit ->
 * final report -> cleanup.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "agg.h"
#include "output.h"
#include "output_prom.h"
#include "probes.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

extern char **environ;

enum output_fmt { OUT_TEXT, OUT_JSON };

static struct env {
	struct ct_opts o;
	const char *cgroup;
	double duration, interval;
	enum output_fmt fmt;
	bool probes_cmd;
	unsigned hist_top;
	char **cmd;
	const char *prom;
	enum prom_label prom_by;
	unsigned prom_top;
} env = {
	.prom_top = 20,
	.o = { .cgroup_fd = -1, .ringbuf_bytes = 4 << 20 },
	.hist_top = 5,
};

const char *argp_program_version = "cowtrace " COWTRACE_VERSION;
const char *argp_program_bug_address = "https://github.com/cowtrace/cowtrace/issues";
static const char doc[] =
"Trace copy-on-write, pinned-COW, userfaultfd and uffd-wp marker events per process.\n"
"\n"
"USAGE: cowtrace [-p PID | -c CGROUP] [-d SECONDS] [-i SECONDS] [-o text|json] [-- CMD ARGS...]\n"
"       cowtrace probes [--mode fentry|kprobe|tracepoint]\n"
"\n"
"EXAMPLES:\n"
"    cowtrace -d 5                 # whole system for 5 seconds, per-process report\n"
"    cowtrace -p 181               # only process 181 (and its threads), Ctrl-C to end\n"
"    cowtrace -c /sys/fs/cgroup/system.slice/redis.service\n"
"    cowtrace -- redis-cli bgsave  # run a command, trace it and its descendants\n"
"    cowtrace -o json -i 10        # one NDJSON summary every 10 s\n"
"    cowtrace probes               # which hook feeds each statistic on this kernel\n"
"    cowtrace -i 15 --prom /var/lib/prometheus/node-exporter/cowtrace.prom\n";

enum { OPT_MODE = 1000, OPT_LOAD_ONLY, OPT_HIST_TOP, OPT_RINGBUF, OPT_PROM, OPT_PROM_LABELS, OPT_PROM_TOP };

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Trace this process only (all its threads)", 0 },
	{ "cgroup", 'c', "CGROUP", 0, "Trace tasks in this cgroup v2 directory (and below)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after this long", 0 },
	{ "interval", 'i', "SECONDS", 0, "Print a cumulative report this often", 0 },
	{ "output", 'o', "FORMAT", 0, "text (default) or json (NDJSON)", 0 },
	{ "mode", OPT_MODE, "MODE", 0, "Force a rung: fentry, kprobe or tracepoint", 0 },
	{ "hist-top", OPT_HIST_TOP, "N", 0, "Histograms for the top N processes (text, default 5)", 0 },
	{ "ringbuf-size", OPT_RINGBUF, "BYTES", 0, "BPF ring buffer size (power of 2, default 4 MiB)", 0 },
	{ "prom", OPT_PROM, "FILE", 0, "Write a Prometheus textfile, atomically, every interval (default 15 s) and at exit", 0 },
	{ "prom-labels", OPT_PROM_LABELS, "comm|pid", 0, "Label Prometheus series by comm (default) or pid", 0 },
	{ "prom-top", OPT_PROM_TOP, "N", 0, "At most N label values get series, the rest is \"other\" (default 20)", 0 },
	{ "load-only", OPT_LOAD_ONLY, NULL, OPTION_HIDDEN, "Load (verify) the programs, attach nothing", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages and the ladder's attempts", 0 },
	{},
};

static void usage_error(struct argp_state *state, const char *fmt, const char *val)
{
	fprintf(stderr, "cowtrace: ");
	fprintf(stderr, fmt, val);
	fprintf(stderr, "\nTry 'cowtrace --help' for more information.\n");
	(void)state;
	exit(2);
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	unsigned long long v;

	switch (key) {
	case 'p':
		if (parse_uint(arg, 1, 0x7fffffff, &v))
			usage_error(state, "invalid PID '%s': expected a positive integer", arg);
		env.o.pid = v;
		break;
	case 'c':
		env.cgroup = arg;
		break;
	case 'd':
		if (parse_seconds(arg, &env.duration))
			usage_error(state, "invalid duration '%s': expected positive seconds", arg);
		break;
	case 'i':
		if (parse_seconds(arg, &env.interval))
			usage_error(state, "invalid interval '%s': expected positive seconds", arg);
		break;
	case 'o':
		if (!strcmp(arg, "text"))
			env.fmt = OUT_TEXT;
		else if (!strcmp(arg, "json"))
			env.fmt = OUT_JSON;
		else
			usage_error(state, "invalid output format '%s': expected text or json", arg);
		break;
	case OPT_MODE:
		if (!strcmp(arg, "fentry"))
			env.o.mode = MODE_FENTRY;
		else if (!strcmp(arg, "kprobe"))
			env.o.mode = MODE_KPROBE;
		else if (!strcmp(arg, "tracepoint"))
			env.o.mode = MODE_TRACEPOINT;
		else
			usage_error(state, "invalid mode '%s': expected fentry, kprobe or tracepoint", arg);
		break;
	case OPT_HIST_TOP:
		if (parse_uint(arg, 0, 1000000, &v))
			usage_error(state, "invalid --hist-top '%s': expected a count", arg);
		env.hist_top = v;
		break;
	case OPT_RINGBUF:
		if (parse_uint(arg, 4096, 1ULL << 30, &v) || (v & (v - 1)))
			usage_error(state, "invalid --ringbuf-size '%s': expected a power of 2 >= 4096", arg);
		env.o.ringbuf_bytes = v;
		break;
	case OPT_PROM:
		env.prom = arg;
		break;
	case OPT_PROM_LABELS:
		if (!strcmp(arg, "comm"))
			env.prom_by = PROM_BY_COMM;
		else if (!strcmp(arg, "pid"))
			env.prom_by = PROM_BY_PID;
		else
			usage_error(state, "invalid --prom-labels '%s': expected comm or pid", arg);
		break;
	case OPT_PROM_TOP:
		if (parse_uint(arg, 1, 100000, &v))
			usage_error(state, "invalid --prom-top '%s': expected a positive count", arg);
		env.prom_top = v;
		break;
	case OPT_LOAD_ONLY:
		env.o.load_only = true;
		break;
	case 'v':
		env.o.verbose = true;
		break;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0 && !strcmp(arg, "probes") && !state->quoted) {
			env.probes_cmd = true;
			break;
		}
		if (state->quoted && state->next - 1 >= state->quoted) {
			env.cmd = &state->argv[state->next - 1];
			state->next = state->argc; /* the rest belongs to CMD */
			break;
		}
		usage_error(state, "unexpected argument '%s' (put a command after --)", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static volatile sig_atomic_t exiting;

static void sig_handler(int sig)
{
	(void)sig;
	exiting = 1;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	if (size < sizeof(struct ct_event))
		return 0;
	agg_add(ctx, data);
	return 0;
}

static int pending_cb(void *ctx, const void *ev)
{
	return agg_add(ctx, ev);
}

static struct prom_state prom;

static void write_prom(const struct ct_report *r)
{
	char err[512];

	if (env.prom && prom_write_file(env.prom, r, &prom, err, sizeof(err)))
		fprintf(stderr, "cowtrace: %s\n", err);
}

static void report(FILE *out, struct ct_session *s, struct ct_agg *agg, double dur, bool final,
		   int cmd_status, bool to_stdout)
{
	struct ct_report r = {
		.agg = agg, .plan = &s->plan, .duration_s = dur, .final = final,
		.cmd_status = cmd_status, .hist_top = env.hist_top, .version = COWTRACE_VERSION,
		.lost_events = probes_stat(s, CT_STAT_LOST),
		.unclassified = probes_stat(s, CT_STAT_INFLIGHT_FULL),
	};

	write_prom(&r);
	if (!to_stdout)
		return;
	if (env.fmt == OUT_JSON)
		output_json(out, &r);
	else
		output_text(out, &r);
}

static int open_cgroup(const char *path)
{
	struct statfs sf;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "cowtrace: cgroup '%s': %s\n", path, strerror(errno));
		exit(2);
	}
	if (fstatfs(fd, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		fprintf(stderr, "cowtrace: cgroup '%s': not a cgroup v2 directory\n", path);
		exit(2);
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct ring_buffer *rb = NULL;
	struct ct_session sess;
	struct ct_agg agg;
	char err[512];
	pid_t child = -1;
	int cmd_status = -1, ret = 1;
	uint64_t start, next_report, step;

	argp_err_exit_status = 2; /* usage errors exit 2, as in bcc's tools */
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, NULL))
		return 2;
	if (env.cmd && (env.o.pid || env.cgroup)) {
		fprintf(stderr, "cowtrace: a command (-- CMD) cannot be combined with -p or -c\n");
		return 2;
	}
	if (env.o.pid && kill(env.o.pid, 0) && errno == ESRCH) {
		fprintf(stderr, "cowtrace: no process with PID %u\n", env.o.pid);
		return 2;
	}
	if (env.cgroup)
		env.o.cgroup_fd = open_cgroup(env.cgroup);
	if (env.prom) {
		if (prom_prepare(env.prom, err, sizeof(err))) {
			fprintf(stderr, "cowtrace: %s\n", err);
			return 2;
		}
		if (prom_init(&prom, env.prom_by, env.prom_top)) {
			fprintf(stderr, "cowtrace: out of memory\n");
			return 1;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "cowtrace: must run as root (BPF tracing needs CAP_BPF and CAP_PERFMON)\n");
		return 1;
	}
	env.o.follow = env.cmd != NULL;
	if (agg_init(&agg, (uint32_t)sysconf(_SC_PAGESIZE))) {
		fprintf(stderr, "cowtrace: out of memory\n");
		return 1;
	}
	if (probes_start(&sess, &env.o, err, sizeof(err))) {
		fprintf(stderr, "cowtrace: cannot trace on this kernel: %s\n", err);
		goto cleanup;
	}
	if (env.probes_cmd || env.o.load_only) {
		printf("kernel %s, mode %s%s\n", sess.plan.kernel, ct_mode_name(sess.plan.mode),
		       env.o.load_only ? " (loaded, not attached)" : "");
		if (sess.attempts[0])
			printf("ladder: %s\n", sess.attempts);
		output_plan_text(stdout, &sess.plan);
		ret = 0;
		goto cleanup;
	}
	rb = ring_buffer__new(probes_events_fd(&sess), handle_event, &agg, NULL);
	if (!rb) {
		fprintf(stderr, "cowtrace: ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	if (env.cmd) {
		/* posix_spawn: CLONE_VM|CLONE_VFORK, so the frontend's pages are never COW-shared. */
		int e = posix_spawnp(&child, env.cmd[0], NULL, NULL, env.cmd, environ);

		if (e) {
			fprintf(stderr, "cowtrace: cannot run '%s': %s\n", env.cmd[0], strerror(e));
			ret = 127;
			goto cleanup;
		}
	}
	if (env.o.verbose)
		fprintf(stderr, "cowtrace: tracing in %s mode\n", ct_mode_name(sess.plan.mode));
	start = now_ns();
	/* Reports on stdout every -i; the textfile every -i, or every 15 s. */
	step = env.interval > 0 ? (uint64_t)(env.interval * 1e9) : env.prom ? 15000000000ull : 0;
	next_report = step ? start + step : UINT64_MAX;
	while (!exiting) {
		uint64_t now;
		int err_poll = ring_buffer__poll(rb, 100);

		if (err_poll < 0 && err_poll != -EINTR) {
			fprintf(stderr, "cowtrace: polling the ring buffer: %s\n", strerror(-err_poll));
			break;
		}
		now = now_ns();
		if (child > 0) {
			int status;

			if (waitpid(child, &status, WNOHANG) == child) {
				cmd_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
				break;
			}
		}
		if (env.o.pid && kill(env.o.pid, 0) && errno == ESRCH) {
			if (env.o.verbose)
				fprintf(stderr, "cowtrace: process %u exited\n", env.o.pid);
			break;
		}
		if (env.duration > 0 && now - start >= (uint64_t)(env.duration * 1e9))
			break;
		if (now >= next_report) {
			report(stdout, &sess, &agg, (now - start) / 1e9, false, -1, env.interval > 0);
			next_report += step;
		}
	}
	/* Stop new events, take everything already in the buffer, then report. */
	probes_detach(&sess);
	ring_buffer__consume(rb);
	probes_flush_pending(&sess, pending_cb, &agg);
	report(stdout, &sess, &agg, (now_ns() - start) / 1e9, true, cmd_status, true);
	ret = 0; /* interrupted with -- CMD: the command keeps running */
cleanup:
	ring_buffer__free(rb);
	probes_stop(&sess);
	agg_free(&agg);
	prom_free(&prom);
	if (env.o.cgroup_fd >= 0)
		close(env.o.cgroup_fd);
	return ret;
}
