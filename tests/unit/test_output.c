// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the reports (src/output_text.c, src/output_json.c,
 * src/output_prom.c): the text and JSON goldens of the golden streams, the
 * structure of the JSON report, n/a and null for unavailable statistics,
 * Prometheus labels and JSON event lines.
 */
#include "harness.h"
#include "streams.h"

/* Count non-overlapping occurrences of needle in hay. */
static int count_str(const char *hay, const char *needle)
{
	int n = 0;
	size_t l = strlen(needle);

	for (const char *p = hay; (p = strstr(p, needle)); p += l)
		n++;
	return n;
}

static void golden_text_fentry(void)
{
	golden_check(build_fentry, output_text, "report.txt", 29, 5, 2);
}

static void golden_json_fentry(void)
{
	golden_check(build_fentry, output_json, "report.json", 29, 5, 2);
}

static void golden_text_tp(void)
{
	golden_check(build_tp, output_text, "report_tp.txt", 15, 4, 2);
}

static void golden_json_tp(void)
{
	golden_check(build_tp, output_json, "report_tp.json", 15, 4, 2);
}

/* The numbers of the golden aggregation, checked directly (not via text). */
static void golden_numbers(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	uint32_t *o;
	static const struct {
		uint32_t pid, ppid;
		const char *comm;
		bool exited;
		uint64_t reuse, anon, zero, file, ksm, unshare, shared, thp_r, thp_s, pinned;
		uint64_t miss, uwp, minor, marker, copied, forks;
	} want[] = {
		{ 100, 1, "redis-server", false, 2, 3, 0, 0, 1, 0, 1, 1, 0, 2, 0, 0, 0, 0, 24576, 2 },
		{ 200, 100, "redis-rdb-bgsav", true, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 16384, 0 },
		{ 300, 100, "redis-server", false, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4096, 0 },
		{ 300, 1, "uffd-test", true, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 1, 20, 4096, 0 },
		{ 200, 1, "a\"b\\c\td", false, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	};

	build_fentry(&a, &pl, &r);
	o = agg_sorted(&a);
	CHECK(o && a.nprocs == 5, "nprocs %u", a.nprocs);
	for (unsigned i = 0; o && i < 5 && i < a.nprocs; i++) {
		const struct ct_proc *p = &a.procs[o[i]];

		CHECK(p->pid == want[i].pid && p->ppid == want[i].ppid && !strcmp(p->comm, want[i].comm) &&
		      p->exited == want[i].exited,
		      "rank %u: pid %u ppid %u comm \"%s\" exited %d", i, p->pid, p->ppid, p->comm, p->exited);
		CHECK(p->c[CT_C_WP + CT_WP_REUSE] == want[i].reuse && p->c[CT_C_WP + CT_WP_COPY_ANON] == want[i].anon &&
		      p->c[CT_C_WP + CT_WP_COPY_ZERO] == want[i].zero && p->c[CT_C_WP + CT_WP_COPY_FILE] == want[i].file &&
		      p->c[CT_C_WP + CT_WP_COPY_KSM] == want[i].ksm && p->c[CT_C_WP + CT_WP_UNSHARE] == want[i].unshare &&
		      p->c[CT_C_WP + CT_WP_SHARED_REUSE] == want[i].shared, "rank %u (pid %u): wp counters", i, p->pid);
		CHECK(p->c[CT_C_THP + CT_THP_REUSE] == want[i].thp_r && p->c[CT_C_THP + CT_THP_SPLIT] == want[i].thp_s &&
		      p->c[CT_C_PINNED] == want[i].pinned && p->c[CT_C_UFFD + CT_UFFD_MISSING] == want[i].miss &&
		      p->c[CT_C_UFFD + CT_UFFD_WP] == want[i].uwp && p->c[CT_C_UFFD + CT_UFFD_MINOR] == want[i].minor &&
		      p->c[CT_C_MARKER] == want[i].marker && p->c[CT_C_FORKS] == want[i].forks,
		      "rank %u (pid %u): thp/pinned/uffd/marker/forks", i, p->pid);
		CHECK(proc_copied_bytes(p, 4096) == want[i].copied, "rank %u (pid %u): copied %llu", i,
		      p->pid, (unsigned long long)proc_copied_bytes(p, 4096));
	}
	CHECK(a.forks[0].parent == 100 && a.forks[0].child == 200 && a.forks[0].pinned_cow == 2 &&
	      a.forks[0].parent_copies == 2 && a.forks[0].child_copies == 3, "fork0");
	CHECK(a.forks[1].parent == 100 && a.forks[1].child == 300 && a.forks[1].pinned_cow == 0 &&
	      a.forks[1].parent_copies == 1 && a.forks[1].child_copies == 1, "fork1");
	free(o);
	agg_free(&a);
}

static void json_parser_self_test(void)
{
	static const char *const good[] = { "{}", "[]", "0", "-0.5e+3", "\"a\\u0009\\\"\"",
					    "{\"a\":[1,2,{\"b\":null}],\"c\":true}", " [ ] \n" };
	static const char *const bad[] = { "", "{", "[1,]", "{\"a\"}", "01", "1.", "\"\t\"", "nul",
					   "{\"a\":1}x", "[1 2]", "{a:1}", "\"\\x\"" };
	struct jv j;

	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(jparse(good[i], &j) == 0, "valid JSON rejected: %s", good[i]);
		jfree(&j);
	}
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = jparse(bad[i], &j);

		CHECK(r != 0, "invalid JSON accepted: %s", bad[i]);
		if (!r)
			jfree(&j);
	}
}

/* Structure of a JSON report against its aggregation and plan. */
static void check_json_report(const struct ct_report *r, const char *text)
{
	static const enum ct_stat fields[] = {
		ST_REUSE, ST_COPY, ST_COPY_ANON, ST_COPY_ZERO, ST_COPY_FILE, ST_COPY_KSM,
		ST_UNSHARE, ST_SHARED_REUSE, ST_THP_REUSE, ST_THP_SPLIT, ST_PINNED_COW,
		ST_UFFD_MISSING, ST_UFFD_WP, ST_UFFD_MINOR, ST_UFFD_SIGBUS, ST_MARKER_INSTALL, ST_COPIED_BYTES,
		ST_MAP_HEAP, ST_MAP_STACK, ST_MAP_ANON, ST_MAP_FILE, ST_MAP_SHMEM, ST_MAP_THP,
	};
	const struct ct_agg *a = r->agg;
	const struct jv *probes, *procs, *forks, *x;
	struct jv root;
	uint32_t *order;
	size_t len = strlen(text);

	CHECK(len > 0 && text[len - 1] == '\n' && !memchr(text, '\n', len - 1),
	      "JSON report is not exactly one line");
	if (jparse(text, &root)) {
		CHECK(0, "JSON report does not parse");
		return;
	}
	CHECK(root.t == 'o', "root is not an object");
	x = jget(&root, "final");
	CHECK(x && x->t == 'b' && x->b == r->final, "final");
	x = jget(&root, "kernel");
	CHECK(x && x->t == 's' && !strcmp(x->s, r->plan->kernel), "kernel");
	x = jget(&root, "mode");
	CHECK(x && x->t == 's' && !strcmp(x->s, ct_mode_name(r->plan->mode)), "mode");
	x = jget(&root, "lost_events");
	CHECK(x && x->t == 'd' && x->num == (double)r->lost_events, "lost_events");
	x = jget(&root, "duration_s");
	CHECK(x && x->t == 'd' && fabs(x->num - r->duration_s) < 0.001, "duration_s");

	probes = jget(&root, "probes");
	CHECK(probes && probes->t == 'o' && probes->n == ST_MAX, "probes: %zu entries, expected %d",
	      probes ? probes->n : 0, ST_MAX);
	for (int s = 0; probes && probes->t == 'o' && s < ST_MAX && (size_t)s < probes->n; s++) {
		const struct jv *e = &probes->v[s], *q;

		CHECK(!strcmp(probes->k[s], ct_stat_name(s)), "probes[%d] is \"%s\", expected \"%s\"", s,
		      probes->k[s], ct_stat_name(s));
		CHECK(jget(probes, ct_stat_name(s)) == e, "probe %s listed twice", ct_stat_name(s));
		q = jget(e, "quality");
		CHECK(q && q->t == 's' && !strcmp(q->s, ct_quality_name(r->plan->st[s].quality)),
		      "probes.%s.quality", ct_stat_name(s));
		q = jget(e, "hook");
		CHECK(q && q->t == 's' && !strcmp(q->s, r->plan->st[s].hook), "probes.%s.hook",
		      ct_stat_name(s));
		q = jget(e, "mode");
		CHECK(q && q->t == 's' && !strcmp(q->s, ct_mode_name(r->plan->st[s].mode)),
		      "probes.%s.mode", ct_stat_name(s));
		q = jget(e, "reason");
		CHECK(q && q->t == 's' && !strcmp(q->s, r->plan->st[s].reason), "probes.%s.reason",
		      ct_stat_name(s));
	}

	procs = jget(&root, "processes");
	order = agg_sorted(a);
	CHECK(procs && procs->t == 'a' && procs->n == a->nprocs, "processes: %zu, expected %u",
	      procs ? procs->n : 0, a->nprocs);
	for (size_t i = 0; order && procs && procs->t == 'a' && i < procs->n && i < a->nprocs; i++) {
		const struct jv *o = &procs->v[i];
		const struct ct_proc *p = &a->procs[order[i]];

		x = jget(o, "pid");
		CHECK(x && x->t == 'd' && x->num == p->pid, "processes[%zu].pid", i);
		x = jget(o, "ppid");
		CHECK(x && x->t == 'd' && x->num == p->ppid, "processes[%zu].ppid", i);
		x = jget(o, "comm");
		CHECK(x && x->t == 's' && !strcmp(x->s, p->comm), "processes[%zu].comm", i);
		x = jget(o, "exited");
		CHECK(x && x->t == 'b' && x->b == p->exited, "processes[%zu].exited", i);
		x = jget(o, "forks");
		CHECK(x && x->t == 'd' && x->num == p->c[CT_C_FORKS], "processes[%zu].forks", i);
		/* pid, ppid, comm, exited, forks, the statistics, and histograms if it has any */
		x = jget(o, "histograms");
		CHECK(o->n == 5 + sizeof(fields) / sizeof(fields[0]) + (x != NULL), "processes[%zu]: %zu members",
		      i, o->n);
		CHECK(!x || (x->t == 'o' && x->n > 0), "processes[%zu].histograms is a non-empty object", i);
		for (size_t hi = 0; x && x->t == 'o' && hi < x->n; hi++) {
			const struct jv *c = jget(&x->v[hi], "count"), *b = jget(&x->v[hi], "buckets");
			double sum = 0;

			CHECK(c && c->t == 'd' && b && b->t == 'a', "processes[%zu].histograms.%s", i, x->k[hi]);
			for (size_t bi = 0; b && b->t == 'a' && bi < b->n; bi++)
				sum += b->v[bi].t == 'a' && b->v[bi].n == 3 ? b->v[bi].v[2].num : -1e9;
			CHECK(c && sum == c->num, "processes[%zu].histograms.%s: buckets add up to count", i, x->k[hi]);
		}
		for (unsigned k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
			enum ct_stat s = fields[k];

			x = jget(o, ct_stat_name(s));
			if (!plan_available(r->plan, s))
				CHECK(x && x->t == 'n', "processes[%zu] (pid %u).%s is not null (unavailable)",
				      i, p->pid, ct_stat_name(s));
			else
				CHECK(x && x->t == 'd' && x->num == (double)proc_stat(p, s, a->page_size),
				      "processes[%zu] (pid %u).%s wrong", i, p->pid, ct_stat_name(s));
		}
	}
	free(order);

	forks = jget(&root, "forks");
	CHECK(forks && forks->t == 'a' && forks->n == a->nforks, "forks: %zu, expected %u",
	      forks ? forks->n : 0, a->nforks);
	for (size_t i = 0; forks && forks->t == 'a' && i < forks->n && i < a->nforks; i++) {
		const struct jv *o = &forks->v[i];
		const struct ct_fork *f = &a->forks[i];

		x = jget(o, "pinned_cow");
		if (plan_available(r->plan, ST_PINNED_COW))
			CHECK(x && x->t == 'd' && x->num == f->pinned_cow, "forks[%zu].pinned_cow", i);
		else
			CHECK(x && x->t == 'n', "forks[%zu].pinned_cow not null (unavailable)", i);
		x = jget(o, "parent");
		CHECK(x && x->t == 'd' && x->num == f->parent, "forks[%zu].parent", i);
		x = jget(o, "child");
		CHECK(x && x->t == 'd' && x->num == f->child, "forks[%zu].child", i);
		x = jget(o, "parent_copies");
		CHECK(x && x->t == 'd' && x->num == f->parent_copies, "forks[%zu].parent_copies", i);
		x = jget(o, "child_copies");
		CHECK(x && x->t == 'd' && x->num == f->child_copies, "forks[%zu].child_copies", i);
	}
	jfree(&root);
}

static void json_structure_fentry(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	s = render(output_json, &r, NULL);
	CHECK(s != NULL, "render failed");
	if (s) {
		check_json_report(&r, s);
		/* marker_install is unavailable: null in every process, never a number */
		CHECK(count_str(s, "\"marker_install\":null") == (int)a.nprocs,
		      "marker_install null %d times, expected %u", count_str(s, "\"marker_install\":null"),
		      a.nprocs);
		CHECK(strstr(s, "\"comm\":\"a\\\"b\\\\c\\u0009d\"") != NULL, "comm escaping");
		CHECK(strstr(s, "\"command_status\":0") != NULL, "command_status");
	}
	free(s);
	agg_free(&a);
}

static void json_structure_tp(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_tp(&a, &pl, &r);
	s = render(output_json, &r, NULL);
	CHECK(s != NULL, "render failed");
	if (s) {
		check_json_report(&r, s);
		for (int st = 0; st < ST_MAX; st++) {
			char k[64];

			if (plan_available(&pl, st) || st >= ST_WP_LATENCY)
				continue;
			snprintf(k, sizeof(k), "\"%s\":null", ct_stat_name(st));
			CHECK(count_str(s, k) == (int)a.nprocs, "%s %d times, expected %u", k,
			      count_str(s, k), a.nprocs);
		}
		CHECK(strstr(s, "\"final\":false") && strstr(s, "\"unclassified_faults\":3") &&
		      !strstr(s, "command_status"), "interval report header");
	}
	free(s);
	agg_free(&a);
}

static void json_empty_report(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r = { 0 };
	char *s;

	agg_init(&a, 4096);
	plan_fentry(&pl);
	r.agg = &a;
	r.plan = &pl;
	r.cmd_status = -1;
	s = render(output_json, &r, NULL);
	CHECK(s != NULL, "render failed");
	if (s) {
		check_json_report(&r, s);
		CHECK(strstr(s, "\"processes\":[],\"forks\":[],\"evicted_processes\":0") != NULL, "empty lists: %s", s);
		CHECK(strstr(s, "\"version\":\"\"") != NULL, "NULL version not written as \"\"");
	}
	free(s);
	s = render(output_text, &r, NULL);
	CHECK(s && strstr(s, "(no events)\n") && !strstr(s, "FORKS"), "empty text report:\n%s",
	      s ? s : "(null)");
	free(s);
	agg_free(&a);
}

/* ------------------------------------------ unavailable means not printed */

static void text_unavailable_counters_print_na(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	plan_set(&pl, ST_UFFD_WP, "handle_userfault", MODE_NONE, Q_UNAVAILABLE, "test");
	s = render(output_text, &r, NULL);
	CHECK(s != NULL, "render failed");
	if (s) {
		/* uffd-test's row: UF_WP 1 and MARKER 20 must both read n/a */
		const char *row = strstr(s, "\n300     1       uffd-test");

		CHECK(row != NULL, "uffd-test row missing");
		if (row) {
			int len = (int)strcspn(row + 1, "\n");
			char line[512];

			snprintf(line, sizeof(line), "%.*s", len, row + 1);
			CHECK(count_str(line, " n/a") == 2, "row: %s", line);
			CHECK(strstr(line, " 20 ") == NULL, "marker count printed: %s", line);
		}
	}
	free(s);
	agg_free(&a);
}

/* README: "An unavailable statistic prints n/a in text and null in JSON, never 0." */
static void text_unavailable_uffd_blocked_hidden(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	plan_set(&pl, ST_UFFD_BLOCKED, "handle_userfault", MODE_NONE, Q_UNAVAILABLE, "test");
	s = render(output_text, &r, NULL);
	CHECK(s && !strstr(s, "userfaultfd"),
	      "uffd blocked-time histograms printed although uffd_blocked is unavailable");
	free(s);
	agg_free(&a);
}

static void text_unavailable_fork_to_copy_hidden(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	plan_set(&pl, ST_FORK_TO_COPY, "sched_process_fork", MODE_NONE, Q_UNAVAILABLE, "test");
	s = render(output_text, &r, NULL);
	CHECK(s && !strstr(s, "time from fork to copy"),
	      "fork-to-copy histograms printed although fork_to_copy is unavailable");
	free(s);
	agg_free(&a);
}

static void text_unavailable_wp_latency_hidden(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	plan_set(&pl, ST_WP_LATENCY, "do_wp_page", MODE_NONE, Q_UNAVAILABLE, "test");
	s = render(output_text, &r, NULL);
	CHECK(s && !strstr(s, "write-fault latency"), "latency histograms printed");
	free(s);
	agg_free(&a);
}

/* JSON has null for forks[].pinned_cow then; the text FORKS table must say n/a too. */
static void text_unavailable_fork_pinned_na(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	plan_set(&pl, ST_PINNED_COW, "copy_page_range", MODE_NONE, Q_UNAVAILABLE, "test");
	s = render(output_text, &r, NULL);
	CHECK(s != NULL, "render failed");
	if (s) {
		const char *t = strstr(s, "\nFORKS (");

		CHECK(t != NULL, "no FORKS table");
		if (t) {
			const char *row = strstr(t, "\n100     200     ");
			char line[256];

			snprintf(line, sizeof(line), "%.*s", row ? (int)strcspn(row + 1, "\n") : 0,
				 row ? row + 1 : "");
			CHECK(row != NULL, "no row for the fork 100 -> 200:\n%s", t);
			CHECK(strstr(line, " n/a ") != NULL,
			      "FORKS row prints a pinned count although pinned_cow is unavailable: \"%s\"",
			      line);
		}
	}
	free(s);
	agg_free(&a);
}

/* ---- Prometheus labels ---- */

static void prom_cgroup_and_pid_labels(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	struct prom_state st;
	char *buf = NULL;
	size_t n = 0;
	FILE *f;
	struct ct_event e = mkev(10, CT_EV_WP, CT_WP_COPY_ANON, 77, 1, 100, 0, "redis");

	agg_init(&a, 4096);
	plan_fentry(&pl);
	e.cgroup_id = 555;
	agg_add(&a, &e);
	e.pid = 78;
	e.cgroup_id = 556; /* no name known */
	agg_add(&a, &e);
	CHECK(agg_set_cgroup_name(&a, 555, "/system.slice/redis.service") == 0, "set name");
	memset(&r, 0, sizeof(r));
	r.agg = &a;
	r.plan = &pl;
	prom_init(&st, PROM_BY_CGROUP, 5);
	f = open_memstream(&buf, &n);
	output_prom(f, &r, &st);
	fclose(f);
	CHECK(buf && strstr(buf, "cowtrace_cow_copies_total{cgroup=\"/system.slice/redis.service\",kind=\"anon\"} 1\n"),
	      "named cgroup series missing:\n%s", buf ? buf : "");
	CHECK(buf && strstr(buf, "cowtrace_cow_copies_total{cgroup=\"cgroup-id:556\",kind=\"anon\"} 1\n"),
	      "unnamed cgroup series missing");
	free(buf);
	prom_free(&st);
	/* pid labels: a chosen pid is kept from eviction, others are not. */
	prom_init(&st, PROM_BY_PID, 1);
	buf = NULL;
	f = open_memstream(&buf, &n);
	output_prom(f, &r, &st);
	fclose(f);
	CHECK(buf && strstr(buf, "cowtrace_cow_copies_total{pid=\"77\",kind=\"anon\"} 1\n"), "pid 77 series");
	CHECK(buf && strstr(buf, "cowtrace_cow_copies_total{pid=\"other\",kind=\"anon\"} 1\n"), "other series");
	CHECK(prom_keeps(&st, agg_find(&a, 77)) && !prom_keeps(&st, agg_find(&a, 78)), "prom_keeps");
	free(buf);
	prom_free(&st);
	agg_free(&a);
}

static void json_event_lines(void)
{
	struct ct_event e = mkev(123, CT_EV_WP, CT_WP_COPY_ANON, 10, 1, 1500, 0, "a\"b");
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	e.tid = 11;
	e.cgroup_id = 9;
	output_json_event(f, &e);
	e = mkev(124, CT_EV_FORK, PC, 10, 1, 4, 12, "a");
	output_json_event(f, &e);
	e = mkev(125, 99, 0, 10, 1, 4, 12, "a"); /* unknown: no line */
	output_json_event(f, &e);
	fclose(f);
	CHECK_STR(buf, "{\"event\":\"wp\",\"ts_ns\":123,\"pid\":10,\"tid\":11,\"ppid\":1,\"comm\":\"a\\\"b\","
		       "\"cgroup_id\":9,\"kind\":\"copy_anon\",\"latency_ns\":1500}\n"
		       "{\"event\":\"fork\",\"ts_ns\":124,\"pid\":10,\"tid\":10,\"ppid\":1,\"comm\":\"a\","
		       "\"cgroup_id\":0,\"child\":12,\"pinned_cow\":4,\"parent_traced\":true,\"child_traced\":true}\n");
	free(buf);
}

void tests_output(void)
{
	RUN(golden_numbers);
	RUN(golden_text_fentry);
	RUN(golden_json_fentry);
	RUN(golden_text_tp);
	RUN(golden_json_tp);
	RUN(json_parser_self_test);
	RUN(json_structure_fentry);
	RUN(json_structure_tp);
	RUN(json_empty_report);
	RUN(text_unavailable_counters_print_na);
	RUN(text_unavailable_uffd_blocked_hidden);
	RUN(text_unavailable_fork_to_copy_hidden);
	RUN(text_unavailable_wp_latency_hidden);
	RUN(text_unavailable_fork_pinned_na);
}

static char *render_prom(const struct ct_report *r)
{
	struct prom_state st;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	prom_init(&st, PROM_BY_COMM, 20);
	output_prom(f, r, &st);
	fclose(f);
	prom_free(&st);
	return buf;
}

/*
 * Skipped program runs reach every output: text (header, the warning with
 * what they feed, the plan's MISSED column), JSON (total, per program,
 * per statistic), Prometheus (a series per program); and "unknown" (kernels
 * that do not count them) reads n/a / null / no series, never 0.
 */
static void misses_reach_every_output(void)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	struct ct_misses unknown = { .known = false };
	struct jv j;
	size_t n;
	char *t, *js, *pr;

	build_fentry(&a, &pl, &r); /* fx_wp (do_wp_page) skipped 3 runs, 2 faults settled */
	t = render(output_text, &r, &n);
	CHECK(t && strstr(t, "lost_events 0, missed_events 3, settled_faults 2,"), "text header");
	CHECK(t && strstr(t, "WARNING: the kernel skipped 3 runs"), "text warning");
	CHECK(t && strstr(t, "  fx_wp            do_wp_page                            3  reuse copy copy_anon"),
	      "text: the program, its hook, its misses and what it feeds");
	CHECK(t && !strstr(t, "marker_install copied"), "an unavailable statistic is not listed as undercounted");
	CHECK(t && strstr(t, "reuse           do_wp_page+folio_add_new_anon_rmap         fentry      exact              3 "),
	      "plan: reuse missed 3");
	CHECK(t && strstr(t, "thp_split       do_huge_pmd_wp_page                        fentry      exact              0 "),
	      "plan: thp_split missed 0");
	CHECK(t && strstr(t, "marker_install  zap_pte_range                              none        unavailable        - "),
	      "plan: unavailable marker_install has no miss count");
	js = render(output_json, &r, &n);
	CHECK(js, "json rendered");
	if (js && jparse(js, &j) == 0) {
		const struct jv *m = jget(&j, "missed"), *p = jget(&j, "probes");

		CHECK(jget(&j, "missed_events") && jget(&j, "missed_events")->num == 3, "missed_events");
		CHECK(jget(&j, "settled_faults") && jget(&j, "settled_faults")->num == 2, "settled_faults");
		CHECK(m && m->t == 'a' && m->n == 5, "missed: one entry per program");
		if (m && m->t == 'a' && m->n == 5) {
			CHECK_STR(jget(&m->v[3], "program")->s, "fx_wp");
			CHECK_STR(jget(&m->v[3], "hook")->s, "do_wp_page");
			CHECK(jget(&m->v[3], "missed")->num == 3, "fx_wp missed");
			/* 8 write-fault outcomes, copied_bytes, 6 mapping classes, wp_latency, fork_to_copy */
			CHECK(jget(&m->v[3], "statistics")->n == 17, "fx_wp feeds 17 statistics");
		}
		CHECK(p && jget(jget(p, "reuse"), "missed")->num == 3, "probes.reuse.missed");
		CHECK(p && jget(jget(p, "uffd_wp"), "missed")->num == 0, "probes.uffd_wp.missed");
		CHECK(p && jget(jget(p, "marker_install"), "missed")->t == 'n', "probes.marker_install.missed null");
		jfree(&j);
	} else {
		CHECK(0, "the JSON report does not parse");
	}
	pr = render_prom(&r);
	CHECK(pr && strstr(pr, "# TYPE cowtrace_missed_events_total counter\n"), "prom type");
	CHECK(pr && strstr(pr, "cowtrace_missed_events_total{program=\"fx_wp\",hook=\"do_wp_page\"} 3\n"),
	      "prom fx_wp series:\n%s", pr ? pr : "");
	CHECK(pr && strstr(pr, "cowtrace_missed_events_total{program=\"fe_wp\",hook=\"do_wp_page\"} 0\n"),
	      "prom fe_wp series");
	CHECK(pr && strstr(pr, "cowtrace_settled_faults_total 2\n"), "prom settled");
	free(t);
	free(js);
	free(pr);

	/* a kernel that does not count skipped runs */
	r.misses = &unknown;
	t = render(output_text, &r, &n);
	CHECK(t && strstr(t, "missed_events n/a"), "text n/a");
	CHECK(t && !strstr(t, "WARNING"), "no warning without counts");
	CHECK(t && strstr(t, "reuse           do_wp_page+folio_add_new_anon_rmap         fentry      exact            n/a "),
	      "plan: n/a");
	js = render(output_json, &r, &n);
	CHECK(js && strstr(js, "\"missed_events\":null,\"missed\":null"), "json null");
	CHECK(js && strstr(js, "\"reason\":\"\",\"missed\":null}"), "json per statistic null");
	pr = render_prom(&r);
	CHECK(pr && !strstr(pr, "cowtrace_missed_events_total"), "no prom series when unknown");
	free(t);
	free(js);
	free(pr);
	agg_free(&a);
}

void tests_output_prom_events(void)
{
	RUN(prom_cgroup_and_pid_labels);
	RUN(json_event_lines);
	RUN(misses_reach_every_output);
}
