// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Live tracing (libbpf-bootstrap's shape): plan+load+attach (probes.c) ->
 * ring buffer -> poll loop until Ctrl-C/SIGTERM, -d, -p's exit or the
 * command's exit -> detach, drain -> final report -> cleanup.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "live.h"
#include "notify.h"
#include "report.h"
#include "sink.h"
#include "stacks_live.h"
#include "util.h"

extern char **environ;

static volatile sig_atomic_t exiting;

static void sig_handler(int sig)
{
	exiting = sig;
}

bool live_signalled(void)
{
	return exiting != 0;
}

void live_signals(void)
{
	/* From the start: a signal at any moment still ends in a complete report. */
	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
}

struct live {
	struct ct_cli *cli;
	struct ct_session sess;
	struct ct_reporter out;
	struct ct_agg agg;
	struct ct_sink k;
	struct ring_buffer *rb;
	struct ct_misses misses;
	uint64_t swept;          /* exit-program misses already swept for */
	int pidfd;
	uint64_t start;
	struct ct_stack_reader stacks; /* --stacks */
	bool stacks_on;
	uint64_t next_stacks;    /* when to read the stacks next */
	bool cmd_done;           /* -- CMD has exited (its status in cmd_status) */
	int cmd_status;
	bool target_said;        /* -v: -p's process exit was said */
};


/*
 * The lifecycle ring: fork and exec events, what each fork cost, process
 * records and histograms, told apart by size; to the aggregation and the record file,
 * in this order.  With per-fault events on, the events ring has the same
 * fork events in order with the faults: --events prints those.
 */
static int on_lifecycle(void *ctx, void *data, size_t size)
{
	struct live *l = ctx;
	const struct ct_event *e = data;

	if (size == sizeof(struct ct_event) && e->type == CT_EV_STACKS)
		stack_reader_event(&l->stacks, &l->agg, e); /* its maps, while it lives */
	else if (size == sizeof(struct ct_event))
		sink_event(&l->k, e, SINK_AGG | SINK_RECORD);
	else if (size == sizeof(struct ct_proc_rec))
		sink_proc(&l->k, data, true);
	else if (size == sizeof(struct ct_hist_rec))
		sink_hist(&l->k, data, true);
	else if (size == sizeof(struct ct_fork_rec))
		sink_fork(&l->k, data, true);
	return 0;
}

/* The events ring (--events, --record): one event per fault, forks, execs and exits. */
static int on_event(void *ctx, void *data, size_t size)
{
	const struct ct_event *e = data;

	if (size == sizeof(struct ct_event))
		sink_event(ctx, e, e->type == CT_EV_FORK || e->type == CT_EV_EXEC ? SINK_LINES
											: SINK_RECORD | SINK_LINES);
	return 0;
}

/* A final record read from the map: the kernel left it there when the ring was full. */
struct ended {
	uint32_t pid;
	uint32_t hists;       /* bit per enum ct_hist_id: its histograms read */
	uint64_t start_ns;
};

struct snap {
	struct ct_sink *k;
	bool record, hists;
	unsigned nprocs, nhists;
	struct ended *ended;  /* sorted by pid once the records are read */
	uint32_t nended, ended_cap;
};

static int snap_proc(void *ctx, const struct ct_proc_rec *r, const struct ct_hist_val *f2c)
{
	struct snap *s = ctx;
	struct ended e = { .pid = r->pid, .start_ns = r->start_ns, .hists = f2c ? 1u << CT_H_FORK_TO_COPY : 0 };
	/* no room to remember it: left in the map, read again next time */
	bool ended = (r->flags & CT_PROC_EXITED) &&
		     !push((void **)&s->ended, &s->nended, &s->ended_cap, &e, sizeof(e));

	struct ct_hist_rec h = { .start_ns = r->start_ns, .pid = r->pid, .type = CT_REC_TYPE_HIST,
				 .id = CT_H_FORK_TO_COPY };
	bool hist = f2c && (s->hists || ended);

	if (hist) {
		h.h = *f2c;
		s->nhists++;
	}
	/* an ended process's histogram before its final record, as the ring sends them: ending may fold it away */
	if (hist && ended)
		sink_hist(s->k, &h, true);
	/* a final record goes into the record file as the ring's would */
	sink_proc(s->k, r, s->record || ended);
	s->nprocs++;
	if (hist && !ended)
		sink_hist(s->k, &h, s->record);
	return 0;
}

static int cmp_ended(const void *a, const void *b)
{
	uint32_t x = ((const struct ended *)a)->pid, y = ((const struct ended *)b)->pid;

	return x < y ? -1 : x > y;
}

static int snap_hist(void *ctx, const struct ct_hist_rec *r)
{
	struct snap *s = ctx;
	struct ended key = { .pid = r->pid }, *e = NULL;
	struct ct_hist_rec h = *r;

	if (s->nended)
		e = bsearch(&key, s->ended, s->nended, sizeof(key), cmp_ended);
	if (e) {
		h.start_ns = e->start_ns; /* an ended process's, not a live one's */
		if (r->id < 32)
			e->hists |= 1u << r->id;
	}
	sink_hist(s->k, &h, s->record || e);
	s->nhists++;
	return 0;
}

int run_probes(struct ct_cli *cli)
{
	struct ct_session sess;
	char err[512];

	if (probes_start(&sess, &cli->o, err, sizeof(err))) {
		fprintf(stderr, "cowtrace: cannot trace on this kernel: %s\n", err);
		probes_stop(&sess);
		return 1;
	}
	printf("kernel %s, mode %s%s\n", sess.plan.kernel, ct_mode_name(sess.plan.mode),
	       cli->o.load_only ? " (loaded, not attached)" : "");
	if (sess.attempts[0])
		printf("ladder: %s\n", sess.attempts);
	output_plan_text(stdout, &sess.plan, NULL);
	probes_stop(&sess);
	return 0;
}

/* The skipped runs of the exit program: processes whose exit was never seen. */
static uint64_t exit_misses(const struct ct_misses *m)
{
	uint64_t n = 0;

	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->m[i].prog, "sched_exit"))
			n += m->m[i].missed;
	return n;
}

/*
 * When the kernel skipped the exit program, some processes left their
 * records in the maps: a process that no longer exists is ended here with
 * the counts it had, and its records dropped (else they would stay
 * "alive" for ever).
 */
static void sweep_dead(struct live *l)
{
	uint32_t *dead, n = 0;

	/*
	 * A process reaped since the snapshot ran its exit program first: its
	 * final record is in the ring (take it now, it ended normally) or, the
	 * ring full, waits in the map for the next read (leave it there).
	 */
	ring_buffer__consume(l->rb);
	dead = malloc((l->agg.t.nprocs + 1) * sizeof(*dead));
	for (uint32_t i = 0; dead && i < l->agg.t.nprocs; i++) {
		const struct ct_proc *p = &l->agg.t.procs[i];

		if (p->pid && !p->exited && p->start_ns && kill(p->pid, 0) && errno == ESRCH)
			dead[n++] = p->pid;
	}
	for (uint32_t i = 0; i < n; i++) { /* by pid: ending one may move the others */
		struct ct_proc *p = agg_find(&l->agg, dead[i]);

		if (!p || p->exited || probes_final_waits(&l->sess, dead[i], p->start_ns))
			continue;
		l->agg.t.exits_unseen++;
		agg_proc_exited(&l->agg, p, p->last_ns); /* its exit program was skipped: none will come */
		probes_forget(&l->sess, dead[i]);
	}
	free(dead);
}

/*
 * Bring the aggregation up to date: what is waiting in the ring (forks,
 * exits), then every live process's record and histograms from the maps.
 * record: the snapshot also goes into the record file (the final one).
 */
static void read_kernel(struct live *l, bool record, bool hists)
{
	struct snap sn = { .k = &l->k, .record = record, .hists = hists };
	uint64_t t0 = now_ns();
	int err;

	ring_buffer__consume(l->rb);
	agg_snapshot_begin(&l->agg);
	err = probes_read_procs(&l->sess, snap_proc, &sn);
	if (!err)
		agg_snapshot_end(&l->agg);
	probes_misses(&l->sess, &l->misses);
	if (!err && exit_misses(&l->misses) > l->swept) {
		sweep_dead(l);
		l->swept = exit_misses(&l->misses);
	}
	if (sn.nended)
		qsort(sn.ended, sn.nended, sizeof(*sn.ended), cmp_ended);
	if (!err && (hists || sn.nended))
		err = probes_read_hists(&l->sess, snap_hist, &sn);
	/* final records left in the maps, read with their histograms: the kernel can drop them now */
	for (uint32_t i = 0; !err && i < sn.nended; i++)
		probes_forget_exited(&l->sess, sn.ended[i].pid, sn.ended[i].start_ns, sn.ended[i].hists);
	free(sn.ended);
	if (!err && l->stacks_on)
		err = stack_reader_read(&l->stacks, &l->sess, &l->agg, l->cli->o.verbose);
	if (err)
		fprintf(stderr, "cowtrace: reading the kernel's counts: %s\n", strerror(-err));
	if (l->cli->o.verbose)
		fprintf(stderr, "cowtrace: read %u process records (%u final, left in the map with the ring full)"
			" and %u histograms in %.1f ms\n", sn.nprocs, sn.nended, sn.nhists, (now_ns() - t0) / 1e6);
}

static void report(struct live *l, bool final, int cmd_status, bool to_stdout)
{
	struct ct_report r = {
		.agg = &l->agg, .plan = &l->sess.plan, .duration_s = (now_ns() - l->start) / 1e9,
		.final = final, .cmd_status = cmd_status, .hist_top = l->cli->hist_top,
		.version = COWTRACE_VERSION,
		.lost_events = probes_stat(&l->sess, CT_STAT_LOST),
		.unclassified = probes_stat(&l->sess, CT_STAT_NOSPACE),
		.settled = probes_stat(&l->sess, CT_STAT_SETTLED),
		.misses = &l->misses,
		.stacks = l->stacks_on ? &l->stacks.st : NULL, .top_stacks = l->cli->top_stacks,
	};

	/* histograms only where a report shows them: text, and the textfile */
	if (!final)
		read_kernel(l, false, l->cli->fmt == OUT_TEXT || l->cli->prom);
	probes_misses(&l->sess, &l->misses);
	if (l->cli->fmt == OUT_JSON || l->cli->prom_by == PROM_BY_CGROUP || l->k.rec)
		sink_resolve_cgroups(&l->k);
	reporter_emit(&l->out, &r, to_stdout);
	if (l->k.rec && !l->k.rec_errno && fflush(l->k.rec))
		l->k.rec_errno = errno;
}

/*
 * A process forked by a traced one while tracing that still lives: its
 * copies are part of what its fork cost.  The kernel's final record says it
 * ended; a record still waiting in the maps (the ring was full) does not
 * keep the trace going: the process itself is asked.
 */
static bool forked_alive(const struct live *l)
{
	for (uint32_t i = 0; i < l->agg.t.nprocs; i++) {
		const struct ct_proc *p = &l->agg.t.procs[i];

		if (p->pid && p->birth_fork >= 0 && !p->exited && !(kill(p->pid, 0) && errno == ESRCH))
			return true;
	}
	return false;
}

/*
 * Why the loop ends: a signal, -d, or what is traced having ended: the
 * command after -- (traced), -p's process, and with -p (following) or a
 * trigger command (-p/-c with -- CMD) the processes forked meanwhile.
 */
static bool should_stop(struct live *l, pid_t child, uint64_t now)
{
	const struct ct_cli *c = l->cli;
	int status;

	if (c->duration > 0 && now - l->start >= (uint64_t)(c->duration * 1e9))
		return true;
	if (child > 0 && !l->cmd_done && waitpid(child, &status, WNOHANG) == child) {
		l->cmd_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		l->cmd_done = true;
		if (c->o.verbose && c->trigger)
			fprintf(stderr, "cowtrace: '%s' exited (%d); waiting for the processes forked while traced\n",
				c->cmd[0], l->cmd_status);
	}
	if (c->cmd && !c->trigger)
		return l->cmd_done;
	if (c->trigger && !l->cmd_done)
		return false;
	if (c->o.pid && !c->trigger && !cli_target_gone(c->o.pid, l->pidfd))
		return false;
	if (c->o.pid && !c->trigger && c->o.verbose && !l->target_said) {
		fprintf(stderr, "cowtrace: process %u exited%s\n", c->o.pid,
			!c->no_follow && forked_alive(l) ? "; waiting for the processes it forked" : "");
		l->target_said = true;
	}
	/* a trigger ended, or -p's process did: done once what they forked has ended */
	if ((c->trigger || c->o.pid) && (c->no_follow || !forked_alive(l)))
		return true;
	return false;
}

/* The poll loop: reports on stdout every -i, the textfile every -i or 15 s. */
static void poll_loop(struct live *l, struct ring_buffer *rb, pid_t child)
{
	uint64_t step, next_report, next_cg = 0;

	step = l->cli->interval > 0 ? (uint64_t)(l->cli->interval * 1e9) : l->cli->prom ? 15000000000ull : 0;
	next_report = step ? l->start + step : UINT64_MAX;
	while (!exiting) {
		uint64_t now = now_ns();
		int err, timeout = 100;

		/* Wake up in time for the next report: -i may be shorter than 100 ms. */
		if (next_report < now + 100000000ull)
			timeout = next_report > now ? (int)((next_report - now + 999999) / 1000000) : 0;
		err = ring_buffer__poll(rb, timeout);
		/*
		 * The kernel leaves out wakeups below a mark of data (rb_wakeup()),
		 * so epoll may not say a ring has data (and reports only the rings
		 * it woke for): take what every ring holds, before should_stop()
		 * asks about the forks made just before a trigger ended.
		 */
		if (err >= 0) {
			int c = ring_buffer__consume(rb);

			err = c < 0 ? c : err;
		}
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "cowtrace: polling the ring buffer: %s\n", strerror(-err));
			break;
		}
		now = now_ns();
		if (should_stop(l, child, now))
			break;
		if (now >= next_report) {
			report(l, false, -1, l->cli->interval > 0);
			next_report += step;
		} else if (l->stacks_on && now >= l->next_stacks) {
			/* name new stacks while their processes live; free the ended ones' room */
			read_kernel(l, false, false);
			l->next_stacks = now + 1000000000ull;
		} else if (l->k.rec && now >= next_cg) {
			/* Name cgroups while they still exist, for the record. */
			sink_resolve_cgroups(&l->k);
			next_cg = now + 1000000000ull;
		}
	}
}

/* What the trace is of, for the line that says it has begun. */
static void say_tracing(const struct live *l, double start_s)
{
	const struct ct_cli *c = l->cli;
	char what[4200], until[400] = "";

	if (c->trigger)
		snprintf(until, sizeof(until), "; until '%.200s' has exited%s", c->cmd[0],
			 c->o.pid && c->no_follow ? "" : " and what was forked meanwhile has ended");
	else if (!c->cmd && c->duration <= 0)
		snprintf(until, sizeof(until), "; Ctrl-C to end");
	if (c->cmd && !c->trigger)
		snprintf(what, sizeof(what), "'%.4000s' and its descendants", c->cmd[0]);
	else if (c->o.pid)
		snprintf(what, sizeof(what), "process %u%s", c->o.pid, c->no_follow ? "" : " and the processes it forks");
	else if (c->cgroup)
		snprintf(what, sizeof(what), "cgroup %.4000s", c->cgroup);
	else
		snprintf(what, sizeof(what), "the whole system");
	fprintf(stderr, "cowtrace: tracing %s in %s mode (ready in %.2f s)%s\n", what, ct_mode_name(l->sess.plan.mode),
		start_s, until);
}

/*
 * Whether CMD can be run, before anything is traced (a shell's exit
 * statuses: 127 not found, 126 found but not executable); 0: it can.
 */
static int cmd_runnable(const char *cmd)
{
	const char *path = getenv("PATH");
	char buf[4096];
	int err = ENOENT;

	if (strchr(cmd, '/'))
		err = access(cmd, X_OK) ? errno : 0;
	else
		for (const char *d = path && *path ? path : "/usr/local/bin:/usr/bin:/bin"; err && d;
		     d = strchr(d, ':') ? strchr(d, ':') + 1 : NULL) {
			int l = (int)strcspn(d, ":");

			snprintf(buf, sizeof(buf), "%.*s%s%s", l, d, l ? "/" : "", cmd);
			if (!access(buf, X_OK))
				err = 0;
			else if (errno == EACCES)
				err = EACCES; /* found, not executable: said unless found elsewhere */
		}
	if (!err) {
		struct stat st;

		if (!stat(strchr(cmd, '/') ? cmd : buf, &st) && S_ISDIR(st.st_mode))
			err = EISDIR;
	}
	if (!err)
		return 0;
	fprintf(stderr, "cowtrace: cannot run '%s': %s\n", cmd, strerror(err == EISDIR ? EACCES : err));
	return err == ENOENT ? 127 : 126;
}

int run_trace(struct ct_cli *cli, int pidfd)
{
	struct live l = { .cli = cli, .pidfd = pidfd, .cmd_status = -1 };
	struct ring_buffer *rb = NULL;
	uint64_t t0 = now_ns();
	pid_t child = -1;
	int ret = 1;
	char err[512];

	if (cli->cmd && (ret = cmd_runnable(cli->cmd[0])))
		return ret;
	ret = 1;
	reporter_init(&l.out, cli, &l.agg, (uint32_t)sysconf(_SC_PAGESIZE));
	l.stacks_on = cli->o.stacks != 0;
	if (stack_reader_init(&l.stacks, cli->o.kernel_stacks, cli->o.verbose)) {
		fprintf(stderr, "cowtrace: out of memory\n");
		goto cleanup;
	}
	l.stacks.st.key = cli->folded_by;
	l.agg.count_events = false; /* the kernel counts; its records say so */
	l.k = (struct ct_sink){ .agg = &l.agg, .events = cli->events, .lines = l.out.out };
	if (probes_start(&l.sess, &cli->o, err, sizeof(err))) {
		fprintf(stderr, "cowtrace: cannot trace on this kernel: %s\n", err);
		goto cleanup;
	}
	l.k.plan = &l.sess.plan;
	rb = l.rb = ring_buffer__new(probes_lifecycle_fd(&l.sess), on_lifecycle, &l, NULL);
	if (rb && cli->o.per_event && ring_buffer__add(rb, probes_events_fd(&l.sess), on_event, &l.k)) {
		ring_buffer__free(rb);
		rb = l.rb = NULL;
	}
	if (!rb) {
		fprintf(stderr, "cowtrace: ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	/* tracepoint mode has the stacks of copies only (probes.c) */
	l.sess.plan.stacks = l.sess.plan.mode == MODE_TRACEPOINT ? cli->o.stacks & CT_WP_COPY_KINDS : cli->o.stacks;
	stacks_set_plan(&l.stacks.st, &l.sess.plan);
	if (l.stacks_on)
		stack_reader_ready(&l.stacks, &l.sess);
	if (cli->record)
		sink_record_open(&l.k, cli->record, &l.sess.plan, l.agg.page_size);
	if (l.sess.plan.mode == MODE_TRACEPOINT && (cli->o.stacks & ~CT_WP_COPY_KINDS))
		fprintf(stderr, "cowtrace: --stacks: the stacks of reuses and unshares are unavailable in "
				"tracepoint mode (a fault is known to be a copy, never a reuse, when it happens); "
				"copies only\n");
	if (l.sess.plan.mode == MODE_TRACEPOINT && cli->o.latency)
		fprintf(stderr, "cowtrace: --latency: write faults are not timed in tracepoint mode (it needs fentry "
				"or kprobes); wp_latency is unavailable\n");
	if (cli->o.verbose) {
		output_plan_text(stderr, &l.sess.plan, NULL);
		fprintf(stderr, "cowtrace: tracing in %s mode\n", ct_mode_name(l.sess.plan.mode));
	}
	if (!cli->quiet)
		say_tracing(&l, (now_ns() - t0) / 1e9);
	/* systemd (Type=notify): ready now; a command run below must not inherit the socket */
	service_ready();
	l.start = now_ns();
	if (cli->cmd) {
		/* posix_spawn: CLONE_VM|CLONE_VFORK, so the frontend's pages are never COW-shared. */
		int e = posix_spawnp(&child, cli->cmd[0], NULL, NULL, cli->cmd, environ);

		if (e) {
			fprintf(stderr, "cowtrace: cannot run '%s': %s\n", cli->cmd[0], strerror(e));
			sink_record_discard(&l.k);
			ret = e == ENOENT ? 127 : 126;
			goto cleanup;
		}
	}
	poll_loop(&l, rb, child);
	/* Stop new events, take everything already in the buffer and the maps, then report. */
	probes_detach(&l.sess);
	read_kernel(&l, true, true);
	report(&l, true, l.cmd_status, true);
	if (l.stacks_on) {
		char title[160];

		snprintf(title, sizeof(title), "cowtrace: copy-on-write copies by stack (kernel %s)", l.sess.plan.kernel);
		stacks_mark_forked(&l.stacks.st, &l.agg);
		if (write_stacks(cli, &l.stacks.st, title))
			l.out.failed = true;
		/* the text report says it under its stacks; else here */
		for (int i = 0; !cli->quiet && cli->fmt != OUT_TEXT && i < l.stacks.st.nhints; i++)
			fprintf(stderr, "cowtrace: names: %s\n", l.stacks.st.hints[i]);
	}
	if (l.k.rec && l.stacks_on)
		sink_record_stacks(&l.k, &l.stacks.st);
	if (l.k.rec && sink_record_close(&l.k, &l.misses, probes_stat(&l.sess, CT_STAT_LOST),
					 probes_stat(&l.sess, CT_STAT_NOSPACE),
					 probes_stat(&l.sess, CT_STAT_SETTLED)))
		l.out.failed = true;
	/*
	 * The exit status: the command's, as time(1) and strace do (a signal:
	 * 128 + its number); interrupted before it ended: 128 + the signal;
	 * an output that could not be written: 1 where it would be 0.
	 */
	ret = l.cmd_done ? l.cmd_status : (cli->cmd && exiting) ? 128 + exiting : 0;
cleanup:
	sink_record_discard(&l.k); /* still open: nothing was traced into it */
	ring_buffer__free(rb);
	probes_stop(&l.sess);
	agg_free(&l.agg);
	reporter_free(&l.out);
	if (l.out.failed && ret == 0)
		ret = 1;
	stack_reader_free(&l.stacks);
	return ret;
}
