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
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "agg.h"
#include "output.h"
#include "outfile.h"
#include "output_prom.h"
#include "probes.h"
#include "record.h"
#include "svg.h"
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
	bool events;
	const char *record;
	unsigned max_exited;
	bool report_cmd;         /* cowtrace report FILE */
	const char *report_file;
	const char *svg;
	unsigned trace_opts;     /* options that only make sense while tracing */
} env = {
	.prom_top = 20,
	.max_exited = 4096,
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
"       cowtrace report FILE [-o text|json] [--prom OUT] [--svg OUT.svg]\n"
"\n"
"EXAMPLES:\n"
"    cowtrace -d 5                 # whole system for 5 seconds, per-process report\n"
"    cowtrace -p 181               # only process 181 (and its threads), Ctrl-C to end\n"
"    cowtrace -c /sys/fs/cgroup/system.slice/redis.service\n"
"    cowtrace -- redis-cli bgsave  # run a command, trace it and its descendants\n"
"    cowtrace -o json -i 10        # one NDJSON summary every 10 s\n"
"    cowtrace probes               # which hook feeds each statistic on this kernel\n"
"    cowtrace -i 15 --prom /var/lib/prometheus/node-exporter/cowtrace.prom\n"
"    cowtrace --record bgsave.ctr -- redis-cli bgsave\n"
"    cowtrace report bgsave.ctr --svg bgsave.svg   # offline, no root needed\n";

enum { OPT_MODE = 1000, OPT_LOAD_ONLY, OPT_HIST_TOP, OPT_RINGBUF, OPT_PROM, OPT_PROM_LABELS, OPT_PROM_TOP,
       OPT_EVENTS, OPT_RECORD, OPT_MAX_EXITED, OPT_SVG };

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
	{ "prom-labels", OPT_PROM_LABELS, "comm|cgroup|pid", 0, "Label Prometheus series by comm (default), cgroup path or pid", 0 },
	{ "prom-top", OPT_PROM_TOP, "N", 0, "At most N label values get series, the rest is \"other\" (default 20)", 0 },
	{ "events", OPT_EVENTS, NULL, 0, "One NDJSON line per raw event on stdout (reports become NDJSON too)", 0 },
	{ "record", OPT_RECORD, "FILE", 0, "Write the raw event stream to FILE, for `cowtrace report`", 0 },
	{ "max-exited", OPT_MAX_EXITED, "N", 0, "Exited processes kept one by one before the oldest are folded by command (default 4096, 0: never)", 0 },
	{ "svg", OPT_SVG, "FILE", 0, "report: draw copies over time per process as an SVG chart", 0 },
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
		env.trace_opts++;
		if (parse_uint(arg, 1, 0x7fffffff, &v))
			usage_error(state, "invalid PID '%s': expected a positive integer", arg);
		env.o.pid = v;
		break;
	case 'c':
		env.trace_opts++;
		env.cgroup = arg;
		break;
	case 'd':
		env.trace_opts++;
		if (parse_seconds(arg, &env.duration))
			usage_error(state, "invalid duration '%s': expected positive seconds", arg);
		break;
	case 'i':
		env.trace_opts++;
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
		env.trace_opts++;
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
		else if (!strcmp(arg, "cgroup"))
			env.prom_by = PROM_BY_CGROUP;
		else if (!strcmp(arg, "pid"))
			env.prom_by = PROM_BY_PID;
		else
			usage_error(state, "invalid --prom-labels '%s': expected comm, cgroup or pid", arg);
		break;
	case OPT_PROM_TOP:
		if (parse_uint(arg, 1, 100000, &v))
			usage_error(state, "invalid --prom-top '%s': expected a positive count", arg);
		env.prom_top = v;
		break;
	case OPT_EVENTS:
		env.events = true;
		break;
	case OPT_RECORD:
		env.trace_opts++;
		env.record = arg;
		break;
	case OPT_MAX_EXITED:
		if (parse_uint(arg, 0, 100000000, &v))
			usage_error(state, "invalid --max-exited '%s': expected a count", arg);
		env.max_exited = v;
		break;
	case OPT_SVG:
		env.svg = arg;
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
		if (state->arg_num == 0 && !strcmp(arg, "report") && !state->quoted) {
			env.report_cmd = true;
			break;
		}
		if (state->arg_num == 1 && env.report_cmd && !state->quoted) {
			env.report_file = arg;
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

/* Where each event goes: the aggregation, and what the options ask for. */
struct sink {
	struct ct_agg *agg;
	FILE *rec;               /* --record */
	int rec_errno;           /* first write error; recording stops there */
	bool events;             /* --events on stdout */
	struct ct_svg *svg;      /* report --svg */
};

static void consume(struct sink *k, const struct ct_event *e)
{
	agg_add(k->agg, e);
	if (k->rec && !k->rec_errno && rec_write_event(k->rec, e))
		k->rec_errno = errno ? errno : EIO;
	if (k->events)
		output_json_event(stdout, e);
	if (k->svg && svg_add(k->svg, e))
		fprintf(stderr, "cowtrace: --svg: out of memory\n");
}

static int handle_event(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(struct ct_event))
		consume(ctx, data);
	return 0;
}

static int pending_cb(void *ctx, const void *ev)
{
	consume(ctx, ev);
	return 0;
}

/* ---- cgroup paths for ids, looked up only for ids the report uses ---- */

struct cg_walk {
	struct sink *k;
	uint64_t *want;
	unsigned nwant;
};

static int cg_found(void *ctx, uint64_t id, const char *path)
{
	struct cg_walk *w = ctx;

	for (unsigned i = 0; i < w->nwant; i++) {
		if (w->want[i] != id)
			continue;
		if (agg_set_cgroup_name(w->k->agg, id, path))
			return 0;
		if (w->k->rec && !w->k->rec_errno && rec_write_cgroup(w->k->rec, id, path))
			w->k->rec_errno = errno ? errno : EIO;
		w->want[i] = w->want[--w->nwant];
		return w->nwant ? 0 : 1; /* 1 stops the walk */
	}
	return 0;
}

static void resolve_cgroups(struct sink *k)
{
	struct ct_agg *a = k->agg;
	struct cg_walk w = { .k = k };
	char root[1024];

	w.want = malloc((a->nprocs ? a->nprocs : 1) * sizeof(*w.want));
	if (!w.want)
		return;
	for (uint32_t i = 0; i < a->nprocs; i++) {
		uint64_t id = a->procs[i].cgroup_id;
		bool dup = false;

		for (unsigned j = 0; j < w.nwant && !dup; j++)
			dup = w.want[j] == id;
		if (id && !dup && !agg_cgroup_name(a, id))
			w.want[w.nwant++] = id;
	}
	if (w.nwant && !cgroup2_mount(root, sizeof(root)))
		cgroup_walk(root, cg_found, &w);
	free(w.want);
}

static struct prom_state prom;

static bool keep_cb(void *ctx, const struct ct_proc *p)
{
	return prom_keeps(ctx, p);
}

static void output(const struct ct_report *r, bool to_stdout)
{
	char err[512];

	if (env.prom && prom_write_file(env.prom, r, &prom, err, sizeof(err)))
		fprintf(stderr, "cowtrace: %s\n", err);
	if (!to_stdout)
		return;
	if (env.fmt == OUT_JSON)
		output_json(stdout, r);
	else
		output_text(stdout, r);
}

static void report(struct ct_session *s, struct sink *k, double dur, bool final, int cmd_status,
		   bool to_stdout)
{
	struct ct_report r = {
		.agg = k->agg, .plan = &s->plan, .duration_s = dur, .final = final,
		.cmd_status = cmd_status, .hist_top = env.hist_top, .version = COWTRACE_VERSION,
		.lost_events = probes_stat(s, CT_STAT_LOST),
		.unclassified = probes_stat(s, CT_STAT_INFLIGHT_FULL),
	};

	if (env.fmt == OUT_JSON || env.prom_by == PROM_BY_CGROUP || k->rec)
		resolve_cgroups(k);
	output(&r, to_stdout);
	if (k->rec && !k->rec_errno && fflush(k->rec))
		k->rec_errno = errno;
}

/*
 * -p: whether the process has exited.  kill(pid, 0) still succeeds on a
 * zombie its parent has not reaped; a pidfd (Linux 5.3) turns readable as
 * soon as the process exits, and is not fooled by pid reuse.
 */
static int target_pidfd = -1;

static bool target_gone(pid_t pid)
{
	struct pollfd p = { .fd = target_pidfd, .events = POLLIN };

	if (target_pidfd >= 0)
		return poll(&p, 1, 0) > 0;
	return kill(pid, 0) && errno == ESRCH;
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

/* Check early that an output file can be created beside where it will go. */
static void check_out_dir(const char *opt, const char *path)
{
	char err[8800];

	if (outfile_check(opt, path, err, sizeof(err))) {
		fprintf(stderr, "cowtrace: %s\n", err);
		exit(2);
	}
}

static void setup_outputs(struct ct_agg *agg)
{
	char err[512];

	if (env.events)
		env.fmt = OUT_JSON; /* stdout is all NDJSON then */
	if (env.prom) {
		if (prom_prepare(env.prom, err, sizeof(err))) {
			fprintf(stderr, "cowtrace: %s\n", err);
			exit(2);
		}
		if (prom_init(&prom, env.prom_by, env.prom_top)) {
			fprintf(stderr, "cowtrace: out of memory\n");
			exit(1);
		}
	}
	if (env.svg)
		check_out_dir("--svg", env.svg);
	if (agg_init(agg, (uint32_t)sysconf(_SC_PAGESIZE))) {
		fprintf(stderr, "cowtrace: out of memory\n");
		exit(1);
	}
	agg->max_exited = env.max_exited;
	if (env.prom && env.prom_by == PROM_BY_PID) {
		agg->keep = keep_cb;
		agg->keep_ctx = &prom;
	}
}

struct svg_job {
	const struct ct_svg *svg;
	const char *title;
};

static int svg_job_write(FILE *f, void *ctx)
{
	const struct svg_job *j = ctx;

	return svg_write(f, j->svg, j->title);
}

/* cowtrace report FILE: re-aggregate a record, offline. */
static int run_report(void)
{
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	struct ct_agg agg;
	struct ct_rec *rec;
	struct sink k = { .agg = &agg, .events = env.events };
	uint64_t lost = 0, unclassified = 0, end_ns = 0;
	const char *base;
	char err[512] = "", title[512];
	void *map = NULL;
	struct stat sb;
	int fd, n, ret = 0;

	if (!env.report_file) {
		fprintf(stderr, "cowtrace: report: which record file? (cowtrace report FILE)\n");
		return 2;
	}
	if (env.trace_opts || env.cmd) {
		fprintf(stderr, "cowtrace: report: -p, -c, -d, -i, --mode, --record and -- CMD "
			"apply to tracing, not to 'report'\n");
		return 2;
	}
	fd = open(env.report_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		fprintf(stderr, "cowtrace: report '%s': %s\n", env.report_file, strerror(errno));
		return 2;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, "cowtrace: report '%s': not a regular file\n", env.report_file);
		return 2;
	}
	if (sb.st_size > 0) {
		map = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			fprintf(stderr, "cowtrace: report '%s': %s\n", env.report_file, strerror(errno));
			return 2;
		}
		madvise(map, sb.st_size, MADV_SEQUENTIAL);
	}
	close(fd);
	if (rec_open(&rd, map, sb.st_size, &info, err, sizeof(err))) {
		fprintf(stderr, "cowtrace: report '%s': %s\n", env.report_file, err);
		return 2;
	}
	setup_outputs(&agg);
	if (info.page_size)
		agg.page_size = info.page_size;
	if (env.svg && !(k.svg = svg_new())) {
		fprintf(stderr, "cowtrace: out of memory\n");
		return 1;
	}
	rec = malloc(sizeof(*rec));
	if (!rec) {
		fprintf(stderr, "cowtrace: out of memory\n");
		return 1;
	}
	while ((n = rec_next(&rd, rec, err, sizeof(err))) > 0) {
		switch (rec->type) {
		case CT_REC_EVENT:
			consume(&k, &rec->ev);
			break;
		case CT_REC_CGROUP:
			agg_set_cgroup_name(&agg, rec->cgroup_id, rec->path);
			break;
		case CT_REC_STATS:
			lost = rec->lost;
			unclassified = rec->unclassified;
			end_ns = rec->end_mono_ns;
			break;
		}
	}
	free(rec);
	if (!end_ns || end_ns < info.start_mono_ns)
		end_ns = agg.last_ns > info.start_mono_ns ? agg.last_ns : info.start_mono_ns;
	struct ct_report r = {
		.agg = &agg, .plan = &info.plan, .duration_s = (end_ns - info.start_mono_ns) / 1e9,
		.final = true, .cmd_status = -1, .hist_top = env.hist_top, .version = COWTRACE_VERSION,
		.lost_events = lost, .unclassified = unclassified,
	};
	output(&r, true);
	base = strrchr(env.report_file, '/');
	snprintf(title, sizeof(title), "cowtrace: pages copied over time, %s (kernel %s)",
		 base ? base + 1 : env.report_file, info.plan.kernel);
	if (k.svg) {
		struct svg_job j = { .svg = k.svg, .title = title };

		if (outfile_write("--svg", env.svg, svg_job_write, &j, err, sizeof(err))) {
			fprintf(stderr, "cowtrace: %s\n", err);
			ret = 1;
		}
	}
	if (n < 0) {
		fprintf(stderr, "cowtrace: report '%s': %s; the %llu complete records before it are reported\n",
			env.report_file, err, (unsigned long long)rd.records);
		ret = 1;
	}
	if (agg.bad_events)
		fprintf(stderr, "cowtrace: report '%s': %llu events of unknown type or kind ignored\n",
			env.report_file, (unsigned long long)agg.bad_events);
	svg_free(k.svg);
	agg_free(&agg);
	prom_free(&prom);
	if (map)
		munmap(map, sb.st_size);
	return ret;
}

static FILE *open_record(void)
{
	FILE *f = fopen(env.record, "we"); /* its directory was checked at start */

	if (!f) {
		fprintf(stderr, "cowtrace: --record '%s': %s\n", env.record, strerror(errno));
		exit(2);
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

/* End the record: totals, then make it durable.  0, or -1 with a message. */
static int close_record(struct sink *k, struct ct_session *s)
{
	int e = k->rec_errno;

	if (!e && rec_write_stats(k->rec, probes_stat(s, CT_STAT_LOST),
				  probes_stat(s, CT_STAT_INFLIGHT_FULL), now_ns()))
		e = errno;
	if (!e && (fflush(k->rec) || fsync(fileno(k->rec))))
		e = errno;
	if (fclose(k->rec) && !e)
		e = errno;
	k->rec = NULL;
	if (e) {
		fprintf(stderr, "cowtrace: --record '%s': %s (the record ends early)\n", env.record,
			strerror(e));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct ring_buffer *rb = NULL;
	struct ct_session sess;
	struct ct_agg agg;
	struct sink k = { .agg = &agg };
	char err[512];
	pid_t child = -1;
	int cmd_status = -1, ret = 1;
	uint64_t start, next_report, step, next_cg = 0;

	/* From the start: a signal at any moment still ends in a complete report. */
	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	argp_err_exit_status = 2; /* usage errors exit 2, as in bcc's tools */
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, NULL))
		return 2;
	if (env.report_cmd) {
		/* Offline: nothing to report on a signal, so it must end the run. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		return run_report();
	}
	if (env.svg) {
		fprintf(stderr, "cowtrace: --svg draws a record: cowtrace report FILE --svg OUT.svg\n");
		return 2;
	}
	if (env.cmd && (env.o.pid || env.cgroup)) {
		fprintf(stderr, "cowtrace: a command (-- CMD) cannot be combined with -p or -c\n");
		return 2;
	}
	/* Before anything touches the file system (stale temp files are removed). */
	if (geteuid() != 0) {
		fprintf(stderr, "cowtrace: must run as root (BPF tracing needs CAP_BPF and CAP_PERFMON)\n");
		return 1;
	}
#ifdef SYS_pidfd_open
	if (env.o.pid)
		target_pidfd = syscall(SYS_pidfd_open, env.o.pid, 0); /* -1 (a thread, old kernel): kill() */
#endif
	if (env.o.pid && target_gone(env.o.pid)) {
		fprintf(stderr, "cowtrace: no process with PID %u\n", env.o.pid);
		return 2;
	}
	if (env.cgroup)
		env.o.cgroup_fd = open_cgroup(env.cgroup);
	if (env.record)
		check_out_dir("--record", env.record);
	setup_outputs(&agg);
	env.o.follow = env.cmd != NULL;
	k.events = env.events;
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
	rb = ring_buffer__new(probes_events_fd(&sess), handle_event, &k, NULL);
	if (!rb) {
		fprintf(stderr, "cowtrace: ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	if (env.record) {
		struct timespec rt;

		k.rec = open_record();
		clock_gettime(CLOCK_REALTIME, &rt);
		if (rec_write_header(k.rec, &sess.plan, agg.page_size, now_ns(),
				     rt.tv_sec * 1000000000ull + rt.tv_nsec))
			k.rec_errno = errno;
	}
	if (env.cmd) {
		/* posix_spawn: CLONE_VM|CLONE_VFORK, so the frontend's pages are never COW-shared. */
		int e = posix_spawnp(&child, env.cmd[0], NULL, NULL, env.cmd, environ);

		if (e) {
			fprintf(stderr, "cowtrace: cannot run '%s': %s\n", env.cmd[0], strerror(e));
			if (k.rec) {
				fclose(k.rec);
				k.rec = NULL;
				unlink(env.record);
			}
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
		uint64_t now = now_ns();
		int err_poll, timeout = 100;

		/* Wake up in time for the next report: -i may be shorter than 100 ms. */
		if (next_report < now + 100000000ull)
			timeout = next_report > now ? (int)((next_report - now + 999999) / 1000000) : 0;
		err_poll = ring_buffer__poll(rb, timeout);

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
		if (env.o.pid && target_gone(env.o.pid)) {
			if (env.o.verbose)
				fprintf(stderr, "cowtrace: process %u exited\n", env.o.pid);
			break;
		}
		if (env.duration > 0 && now - start >= (uint64_t)(env.duration * 1e9))
			break;
		if (now >= next_report) {
			report(&sess, &k, (now - start) / 1e9, false, -1, env.interval > 0);
			next_report += step;
		} else if (k.rec && now >= next_cg) {
			/* Name cgroups while they still exist, for the record. */
			resolve_cgroups(&k);
			next_cg = now + 1000000000ull;
		}
	}
	/* Stop new events, take everything already in the buffer, then report. */
	probes_detach(&sess);
	ring_buffer__consume(rb);
	probes_flush_pending(&sess, pending_cb, &k);
	report(&sess, &k, (now_ns() - start) / 1e9, true, cmd_status, true);
	ret = 0; /* interrupted with -- CMD: the command keeps running */
	if (k.rec && close_record(&k, &sess))
		ret = 1;
cleanup:
	if (k.rec) {
		fclose(k.rec);
		unlink(env.record); /* nothing was traced into it */
	}
	ring_buffer__free(rb);
	probes_stop(&sess);
	agg_free(&agg);
	prom_free(&prom);
	if (env.o.cgroup_fd >= 0)
		close(env.o.cgroup_fd);
	if (target_pidfd >= 0)
		close(target_pidfd);
	return ret;
}
