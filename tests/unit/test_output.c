// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the reports (src/output_text.c, src/output_json.c,
 * src/output_prom.c): the text and JSON goldens of the golden streams, the
 * structure of the JSON report, n/a and null for unavailable statistics,
 * Prometheus labels and JSON event lines.
 */
#include "harness.h"
#include "streams.h"
#include "predict.h"

/* Count non-overlapping occurrences of needle in hay. */
static int count_str(const char *hay, const char *needle)
{
	int n = 0;
	size_t l = strlen(needle);

	for (const char *p = hay; (p = strstr(p, needle)); p += l)
		n++;
	return n;
}

TEST(golden_text_fentry)
{
	golden_check(build_fentry, output_text, "report.txt", 5, 2);
}

TEST(golden_json_fentry)
{
	golden_check(build_fentry, output_json, "report.json", 5, 2);
}

TEST(golden_text_tp)
{
	golden_check(build_tp, output_text, "report_tp.txt", 4, 2);
}

TEST(golden_json_tp)
{
	golden_check(build_tp, output_json, "report_tp.json", 4, 2);
}

/*
 * The kernel's records (the live path, which the goldens are built from)
 * and one event per fault (replaying an old record) tell the same story:
 * every output of both streams is the same.
 */
TEST(golden_same_from_records_and_events)
{
	void (*const build[])(struct ct_agg *, struct ct_plan *, struct ct_report *, enum kf_path) = {
		build_fentry_from, build_tp_from,
	};
	void (*const writer[])(FILE *, const struct ct_report *) = { output_text, output_json };

	for (unsigned b = 0; b < 2; b++)
		for (unsigned w = 0; w < 2; w++) {
			struct ct_agg a[2];
			struct ct_plan pl[2];
			struct ct_report r[2];
			char *s[2];
			size_t n[2];

			for (int path = 0; path < 2; path++) {
				build[b](&a[path], &pl[path], &r[path], (enum kf_path)path);
				s[path] = render(writer[w], &r[path], &n[path]);
			}
			CHECK(s[0] && s[1] && n[0] == n[1] && !memcmp(s[0], s[1], n[0]),
			      "stream %u, writer %u: records and events differ", b, w);
			for (int path = 0; path < 2; path++) {
				free(s[path]);
				agg_free(&a[path]);
			}
		}
}

/* The numbers of the golden aggregation, checked directly (not via text). */
TEST(golden_numbers)
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
	CHECK(o && a.t.nprocs == 5, "nprocs %u", a.t.nprocs);
	for (unsigned i = 0; o && i < 5 && i < a.t.nprocs; i++) {
		const struct ct_proc *p = &a.t.procs[o[i]];

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

TEST(json_parser_self_test)
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
	const struct ct_agg *a = r->agg;
	const struct jv *probes, *procs, *forks, *x;
	struct jv root;
	uint32_t *order;
	size_t len = strlen(text), nfields = 0;

	for (int s = 0; s < ST_MAX; s++) /* every statistic that is not a histogram is a member */
		nfields += ct_stats[s].type != STAT_HIST;
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
	CHECK(procs && procs->t == 'a' && procs->n == a->t.nprocs, "processes: %zu, expected %u",
	      procs ? procs->n : 0, a->t.nprocs);
	for (size_t i = 0; order && procs && procs->t == 'a' && i < procs->n && i < a->t.nprocs; i++) {
		const struct jv *o = &procs->v[i];
		const struct ct_proc *p = &a->t.procs[order[i]];

		x = jget(o, "pid");
		CHECK(x && x->t == 'd' && x->num == p->pid, "processes[%zu].pid", i);
		x = jget(o, "ppid");
		CHECK(x && x->t == 'd' && x->num == p->ppid, "processes[%zu].ppid", i);
		x = jget(o, "comm");
		CHECK(x && x->t == 's' && !strcmp(x->s, p->comm), "processes[%zu].comm", i);
		x = jget(o, "exited");
		CHECK(x && x->t == 'b' && x->b == p->exited, "processes[%zu].exited", i);
		/* pid, ppid, comm, exited, the statistics, and histograms if it has any */
		x = jget(o, "histograms");
		CHECK(o->n == 4 + nfields + (x != NULL), "processes[%zu]: %zu members", i, o->n);
		CHECK(!x || (x->t == 'o' && x->n > 0), "processes[%zu].histograms is a non-empty object", i);
		for (size_t hi = 0; x && x->t == 'o' && hi < x->n; hi++) {
			const struct jv *c = jget(&x->v[hi], "count"), *b = jget(&x->v[hi], "buckets");
			double sum = 0;

			CHECK(c && c->t == 'd' && b && b->t == 'a', "processes[%zu].histograms.%s", i, x->k[hi]);
			for (size_t bi = 0; b && b->t == 'a' && bi < b->n; bi++)
				sum += b->v[bi].t == 'a' && b->v[bi].n == 3 ? b->v[bi].v[2].num : -1e9;
			CHECK(c && sum == c->num, "processes[%zu].histograms.%s: buckets add up to count", i, x->k[hi]);
		}
		for (int s = 0; s < ST_MAX; s++) {
			if (ct_stats[s].type == STAT_HIST)
				continue;
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
		/* a side that was not traced is null, never 0 */
		x = jget(o, "parent_copies");
		if (f->traced & CT_FORK_PARENT_TRACED)
			CHECK(x && x->t == 'd' && x->num == f->parent_copies, "forks[%zu].parent_copies", i);
		else
			CHECK(x && x->t == 'n', "forks[%zu].parent_copies null: the parent was not traced", i);
		x = jget(o, "child_copies");
		if (f->traced & CT_FORK_CHILD_TRACED)
			CHECK(x && x->t == 'd' && x->num == f->child_copies, "forks[%zu].child_copies", i);
		else
			CHECK(x && x->t == 'n', "forks[%zu].child_copies null: the child was not traced", i);

		/* what the call cost: null where the kernel did not say */
		x = jget(o, "duration_s");
		if (f->known & CT_FK_DURATION)
			CHECK(x && x->t == 'd' && fabs(x->num - f->duration_ns / 1e9) < 1e-9, "forks[%zu].duration_s", i);
		else
			CHECK(x && x->t == 'n', "forks[%zu].duration_s null: the call was not timed", i);
		x = jget(o, "copy_page_range_s");
		if (f->known & CT_FK_CPR)
			CHECK(x && x->t == 'd' && fabs(x->num - f->cpr_ns / 1e9) < 1e-9, "forks[%zu].copy_page_range_s", i);
		else
			CHECK(x && x->t == 'n', "forks[%zu].copy_page_range_s null", i);
		x = jget(o, "page_table_bytes");
		if (f->known & (CT_FK_MM | CT_FK_CLONE_VM))
			CHECK(x && x->t == 'd' && x->num == f->pgtables_bytes, "forks[%zu].page_table_bytes", i);
		else
			CHECK(x && x->t == 'n', "forks[%zu].page_table_bytes null", i);
		x = jget(o, "rss_bytes");
		if (f->known & CT_FK_MM)
			CHECK(x && x->t == 'd' && x->num == (double)((f->rss[CT_RSS_ANON] + f->rss[CT_RSS_FILE] +
								      f->rss[CT_RSS_SHMEM]) * a->page_size),
			      "forks[%zu].rss_bytes", i);
		else
			CHECK(x && x->t == 'n', "forks[%zu].rss_bytes null", i);
		x = jget(o, "exec_after_s");
		if (f->exec_ns)
			CHECK(x && x->t == 'd' && fabs(x->num - (f->exec_ns - f->ts_ns) / 1e9) < 1e-6,
			      "forks[%zu].exec_after_s", i);
		else
			CHECK(x && x->t == 'n', "forks[%zu].exec_after_s null: no exec seen", i);
	}
	jfree(&root);
}

TEST(json_structure_fentry)
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
		CHECK(count_str(s, "\"marker_install\":null") == (int)a.t.nprocs,
		      "marker_install null %d times, expected %u", count_str(s, "\"marker_install\":null"),
		      a.t.nprocs);
		CHECK(strstr(s, "\"comm\":\"a\\\"b\\\\c\\u0009d\"") != NULL, "comm escaping");
		CHECK(strstr(s, "\"command_status\":0") != NULL, "command_status");
	}
	free(s);
	agg_free(&a);
}

TEST(json_structure_tp)
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
			CHECK(count_str(s, k) == (int)a.t.nprocs, "%s %d times, expected %u", k,
			      count_str(s, k), a.t.nprocs);
		}
		CHECK(strstr(s, "\"final\":false") && strstr(s, "\"unclassified_faults\":3") &&
		      !strstr(s, "command_status"), "interval report header");
	}
	free(s);
	agg_free(&a);
}

TEST(json_empty_report)
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

TEST(text_unavailable_counters_print_na)
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
		/*
		 * uffd-test has UF_WP 1 and MARKER 20 counted, both unavailable:
		 * neither has a column (no value, not even 0), and the header
		 * names them as unavailable.
		 */
		const char *other = strstr(s, "\nOTHER EVENTS"), *row = other ? strstr(other, "\n300     1       uffd-test") : NULL;

		CHECK(strstr(s, "\nunavailable here: uffd_wp, marker_install (why: cowtrace probes)\n"), "header: %s", s);
		CHECK(other && strstr(other, "UF_MISS UF_MIN FORKS PGTABLES\n"), "no UF_WP or MARKER column: %s", other ? other : s);
		CHECK(row != NULL, "uffd-test row missing");
		if (row) {
			int len = (int)strcspn(row + 1, "\n");
			char line[512];

			snprintf(line, sizeof(line), "%.*s", len, row + 1);
			CHECK(strstr(line, " 20") == NULL, "marker count printed: %s", line);
			CHECK(strstr(line, "       2      1     0       0B (exited)"), "row: UF_MISS 2, UF_MIN 1, no forks: %s",
			      line);
		}
	}
	free(s);
	agg_free(&a);
}

/*
 * --top N: the N processes with the most copies, then one row with the sum
 * of the others (its histograms, merged for the sum, freed: the leak suite
 * runs this under LSan).
 */
TEST(text_top_sums_the_rest)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	uint64_t all = 0, top = 0;
	char *s;

	build_fentry(&a, &pl, &r);
	for (uint32_t i = 0; i < a.t.nprocs; i++)
		all += proc_stat(&a.t.procs[i], ST_COPY, a.page_size);
	r.top = 1;
	s = render(output_text, &r, NULL);
	CHECK(s != NULL, "render failed");
	if (s) {
		const char *t = strstr(s, "\nPROCESSES\n"), *end = t ? strstr(t + 1, "\n\n") : NULL;
		char *hdr = t ? strchr(t + 1, '\n') + 1 : NULL, head[512], line[512];
		int copy_col = -1, rows = 0, rest = 0;
		uint64_t rest_copies = 0;

		CHECK(t && end, "no PROCESSES table: %s", s);
		if (t && end) {
			snprintf(head, sizeof(head), "%.*s", (int)strcspn(hdr, "\n"), hdr);
			for (char *w = strtok(head, " "), i = 0; w; w = strtok(NULL, " "), i++)
				if (!strcmp(w, "COPY"))
					copy_col = i;
			CHECK(copy_col > 0, "no COPY column: %s", hdr);
			for (const char *l = strchr(hdr, '\n') + 1; l < end; l = strchr(l, '\n') + 1) {
				char *f[32];
				int n = 0;

				snprintf(line, sizeof(line), "%.*s", (int)strcspn(l, "\n"), l);
				for (char *w = strtok(line, " "); w && n < 32; w = strtok(NULL, " "))
					f[n++] = w;
				if (n > 3 && f[2][0] == '(' && !strcmp(f[3], "more)")) {
					rest++; /* "-  -  (N more)": its COMM is two words */
					rest_copies = strtoull(f[copy_col + 1], NULL, 10);
				} else if (n > copy_col) {
					rows++;
					top += strtoull(f[copy_col], NULL, 10);
				}
			}
			CHECK_EQ(rows, 1);
			CHECK_EQ(rest, 1);
			CHECK_EQ(top + rest_copies, all);
		}
	}
	free(s);
	agg_free(&a);
}

/* README: "An unavailable statistic prints n/a in text and null in JSON, never 0." */
TEST(text_unavailable_uffd_blocked_hidden)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	char *s;

	build_fentry(&a, &pl, &r);
	plan_set(&pl, ST_UFFD_BLOCKED, "handle_userfault", MODE_NONE, Q_UNAVAILABLE, "test");
	s = render(output_text, &r, NULL);
	CHECK(s && !strstr(s, ", blocked:"),
	      "uffd blocked-time histograms printed although uffd_blocked is unavailable");
	free(s);
	agg_free(&a);
}

TEST(text_unavailable_fork_to_copy_hidden)
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

TEST(text_unavailable_wp_latency_hidden)
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
TEST(text_unavailable_fork_pinned_na)
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

TEST(prom_cgroup_and_pid_labels)
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

TEST(json_event_lines)
{
	struct ct_event e = mkev(123, CT_EV_WP, CT_WP_COPY_ANON, 10, 1, 1500, 0, "a\"b");
	struct ct_plan pl;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	plan_fentry(&pl);
	e.tid = 11;
	e.cgroup_id = 9;
	output_json_event(f, &e, &pl);
	e = mkev(124, CT_EV_FORK, PC, 10, 1, 4, 12, "a");
	output_json_event(f, &e, &pl);
	e = mkev(1500000124, CT_EV_EXEC, 0, 12, 10, 124, 0, "sh"); /* the child's exec, 1.5 s after its fork */
	output_json_event(f, &e, &pl);
	e = mkev(125, 99, 0, 10, 1, 4, 12, "a"); /* unknown: no line */
	output_json_event(f, &e, &pl);
	fclose(f);
	CHECK_STR(buf, "{\"event\":\"wp\",\"ts_ns\":123,\"pid\":10,\"tid\":11,\"ppid\":1,\"comm\":\"a\\\"b\","
		       "\"cgroup_id\":9,\"kind\":\"copy_anon\",\"latency_ns\":1500}\n"
		       "{\"event\":\"fork\",\"ts_ns\":124,\"pid\":10,\"tid\":10,\"ppid\":1,\"comm\":\"a\","
		       "\"cgroup_id\":0,\"child\":12,\"pinned_cow\":4,\"parent_traced\":true,\"child_traced\":true}\n"
		       "{\"event\":\"exec\",\"ts_ns\":1500000124,\"pid\":12,\"tid\":12,\"ppid\":10,\"comm\":\"sh\","
		       "\"cgroup_id\":0,\"fork_ts_ns\":124,\"after_fork_s\":1.500000}\n");
	free(buf);
}

/*
 * Tracepoint mode sees a copy, not what it copied (copy_anon is unavailable
 * in its plan): its events say "copy", never "copy_anon"; zero-page copies,
 * which it does tell, keep their kind.
 */
TEST(json_event_kinds_tp)
{
	struct ct_event e = mkev(1, CT_EV_WP, CT_WP_COPY_ANON, 10, 1, 0, 0, "a");
	struct ct_plan pl;
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	memset(&pl, 0, sizeof(pl));
	plan_fill_tracepoint(&pl);
	output_json_event(f, &e, &pl);
	e.kind = CT_WP_COPY_ZERO;
	output_json_event(f, &e, &pl);
	e.kind = CT_WP_REUSE;
	output_json_event(f, &e, &pl);
	fclose(f);
	CHECK(strstr(buf, "\"kind\":\"copy\"}") && !strstr(buf, "copy_anon"), "tracepoint copy named: %s", buf);
	CHECK(strstr(buf, "\"kind\":\"copy_zero\"") && strstr(buf, "\"kind\":\"reuse\""), "kinds: %s", buf);
	free(buf);
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

static char *render_plan(const struct ct_plan *pl, const struct ct_misses *m)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	output_plan_text(f, pl, m);
	fclose(f);
	return buf;
}

/*
 * Skipped program runs reach every output: text (header, the warning with
 * what they feed, the plan's MISSED column), JSON (total, per program,
 * per statistic), Prometheus (a series per program); and "unknown" (kernels
 * that do not count them) reads n/a / null / no series, never 0.
 */
TEST(misses_reach_every_output)
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
	CHECK(t && strstr(t, "lost_events 0, missed_events 3, settled_faults 2\n"), "text header");
	CHECK(t && strstr(t, "WARNING: the kernel skipped 3 runs"), "text warning");
	CHECK(t && strstr(t, "  fx_wp            do_wp_page                            3: reuse, copy, copy_anon"),
	      "text: the program, its hook, its misses and what it feeds");
	CHECK(t && !strstr(t, "marker_install,"), "an unavailable statistic is not listed as undercounted");
	free(t);
	/* the plan (cowtrace probes, -v) has a MISSED column */
	t = render_plan(&pl, r.misses);
	CHECK(t && strstr(t, "reuse            do_wp_page+folio_add_new_anon_rmap         fentry      exact              3 "),
	      "plan: reuse missed 3");
	CHECK(t && strstr(t, "thp_split        do_huge_pmd_wp_page                        fentry      exact              0 "),
	      "plan: thp_split missed 0");
	CHECK(t && strstr(t, "marker_install   zap_pte_range                              none        unavailable        - "),
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
	free(t);
	t = render_plan(&pl, r.misses);
	CHECK(t && strstr(t, "reuse            do_wp_page+folio_add_new_anon_rmap         fentry      exact            n/a "),
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

/* ---- every statistic in every output, with the same value (from the table itself) ---- */

/* The cell of column col in the row of (pid, comm) of the text table titled title; NULL: no such column. */
static bool text_cell(const char *text, const char *title, uint32_t pid, const char *comm, const char *col,
		      char *out, size_t n)
{
	char want[128], key[32];
	const char *t, *hdr, *hend, *c, *row;
	size_t clen = strlen(col);
	long end = -1;

	snprintf(want, sizeof(want), "\n%s\n", title);
	t = strstr(text, want);
	if (!t)
		return false;
	hdr = t + strlen(want);
	hend = strchr(hdr, '\n');
	for (c = hdr; c && c < hend; c++) {
		c = strstr(c, col);
		if (!c || c >= hend)
			break;
		if (c[-1] == ' ' && (c[clen] == ' ' || c[clen] == '\n')) {
			end = c + clen - hdr;
			break;
		}
	}
	if (end < 0)
		return false;
	snprintf(key, sizeof(key), "%-7u", pid);
	for (row = hend + 1; *row && *row != '\n'; row = strchr(row, '\n') + 1) {
		char rc[CT_COMM_LEN + 1];
		const char *b, *e = row + end;
		int len = 0;

		if (strncmp(row, key, 7)) /* PID column */
			continue;
		char want[CT_COMM_LEN];

		snprintf(rc, sizeof(rc), "%.16s", row + 16);
		for (len = (int)strlen(rc); len && rc[len - 1] == ' '; len--)
			rc[len - 1] = 0;
		/* the text report writes a control character of comm as '?' */
		snprintf(want, sizeof(want), "%s", comm);
		for (char *q = want; *q; q++)
			*q = (unsigned char)*q < 0x20 || *q == 0x7f ? '?' : *q;
		if (strcmp(rc, want))
			continue;
		for (b = e; b > row && b[-1] != ' '; b--)
			;
		snprintf(out, n, "%.*s", (int)(e - b), b);
		return true;
	}
	snprintf(out, n, "(no row)");
	return true;
}

/* The sum of a Prometheus counter family's series with this member label (all label values of comm). */
static bool prom_sum(const char *prom, const char *family, const char *label, const char *value, uint64_t *sum)
{
	char member[128];
	bool any = false;

	snprintf(member, sizeof(member), ",%s=\"%s\"}", label ? label : "", value ? value : "");
	*sum = 0;
	for (const char *l = prom; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *close;

		if (strncmp(l, family, strlen(family)) || l[strlen(family)] != '{')
			continue;
		close = strchr(l, '}');
		if (label && (!close || strncmp(close - strlen(member) + 1, member, strlen(member))))
			continue;
		*sum += strtoull(close + 1, NULL, 10);
		any = true;
	}
	return any;
}

/*
 * For every statistic of ct_stats that is not a histogram: JSON has it per
 * process (a number where the plan has it, null where not); the text report
 * shows the same number in its column for each process (or names it among
 * the statistics that were 0 everywhere, or as unavailable); the Prometheus
 * series of its family and label sum to the JSON's total (no series where
 * it is unavailable).  cowtrace_cow_copies_by_mapping_total was 0 for a
 * year while JSON said map_anon 7978: the loop over statistics stopped
 * early.  A new statistic is checked here without editing this test.
 */
static void outputs_agree_one(void (*build)(struct ct_agg *, struct ct_plan *, struct ct_report *))
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	struct jv j;
	char *text, *js, *prom;

	build(&a, &pl, &r);
	text = render(output_text, &r, NULL);
	js = render(output_json, &r, NULL);
	prom = render_prom(&r);
	CHECK(text && js && prom && jparse(js, &j) == 0, "render");
	if (!text || !js || !prom) {
		free(text), free(js), free(prom);
		agg_free(&a);
		return;
	}
	for (int s = 0; s < ST_MAX; s++) {
		const struct ct_stat_desc *d = &ct_stats[s];
		const struct jv *procs = jget(&j, "processes");
		uint64_t total = 0, psum;
		bool avail = plan_available(&pl, s), any_col = false;

		if (d->type == STAT_HIST)
			continue;
		for (size_t i = 0; procs && i < procs->n; i++) {
			const struct jv *p = &procs->v[i], *v = jget(p, d->name), *pid = jget(p, "pid");
			char cell[64], want[64];

			CHECK(v && v->t == (avail ? 'd' : 'n'), "json %s of process %zu: %s", d->name, i,
			      avail ? "a number" : "null");
			if (!v || v->t != 'd' || pid->t != 'd')
				continue;
			total += (uint64_t)v->num;
			if (ct_stat_is_bytes(s))
				fmt_bytes(want, sizeof(want), (uint64_t)v->num);
			else
				snprintf(want, sizeof(want), "%llu", (unsigned long long)v->num);
			if (d->column && text_cell(text, text_table_title[d->table],
						   (uint32_t)pid->num, jget(p, "comm")->s, d->column, cell, sizeof(cell))) {
				any_col = true;
				/* a process with nothing in OTHER EVENTS or MAPPING has no row there */
				CHECK(!strcmp(cell, want) || (!strcmp(cell, "(no row)") && v->num == 0 &&
							      d->table != TT_FAULTS),
				      "text %s of pid %.0f (%s): %s, json %s", d->name, pid->num, jget(p, "comm")->s,
				      cell, want);
			}
		}
		if (!avail) {
			char un[64];

			snprintf(un, sizeof(un), " %s", d->name);
			CHECK(!any_col, "text: unavailable %s has a column", d->name);
			CHECK(strstr(text, "unavailable here:") && strstr(strstr(text, "unavailable here:"), un),
			      "text names unavailable %s", d->name);
		} else if (!any_col) {
			CHECK(total == 0 && strstr(text, "0 for every process: ") &&
				      strstr(strstr(text, "0 for every process: "), d->name),
			      "text: %s (total %llu) has no column and is not among the zeros", d->name,
			      (unsigned long long)total);
		}
		if (d->family) {
			const struct ct_prom_family_desc *pf = &ct_prom_families[d->family];
			bool any = prom_sum(prom, pf->name, pf->label, d->family_value, &psum);

			CHECK(any == avail, "prometheus %s %s{%s=%s}: %s", d->name, pf->name,
			      pf->label ? pf->label : "", d->family_value ? d->family_value : "",
			      avail ? "no series" : "series of an unavailable statistic");
			CHECK(!any || psum == total, "prometheus %s: %llu, json %llu", d->name,
			      (unsigned long long)psum, (unsigned long long)total);
		} else {
			CHECK(0, "%s has no Prometheus family", d->name);
		}
	}
	jfree(&j);
	free(text);
	free(js);
	free(prom);
	agg_free(&a);
}

TEST(outputs_agree)
{
	outputs_agree_one(build_fentry);
	outputs_agree_one(build_tp);
}

/*
 * `cowtrace stats -o json`, which the VM, SVG and reliability suites read
 * their lists of statistics from: one row per statistic of ct_stats, in
 * order, and each claim it makes is what the aggregation does: one event of
 * its raw_event (type, kind) adds one to it and to no other counter; "copy"
 * is the sum of the copy_kind ones; a copy in mapping class m adds to the
 * statistic whose mapping is m; histograms carry the unit of the text report.
 */
static uint64_t one_event_adds(unsigned type, unsigned kind, unsigned map, enum ct_stat s)
{
	struct ct_agg a;
	struct ct_event e = mkev(1000, type, kind, 42, 1, 0, 0, "stats");
	struct ct_proc *p;
	uint64_t v;

	e.map = (uint8_t)map;
	agg_init(&a, 4096);
	CHECK(agg_add(&a, &e) == 0, "event %u/%u rejected", type, kind);
	p = agg_find(&a, 42);
	v = p ? proc_stat(p, s, 4096) : 0;
	agg_free(&a);
	return v;
}

TEST(stats_table_json)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	struct jv j;
	const struct jv *st, *hs;

	output_stats_json(f);
	fclose(f);
	CHECK(jparse(buf, &j) == 0, "cowtrace stats -o json is not JSON: %.200s", buf);
	free(buf);
	st = jget(&j, "statistics");
	hs = jget(&j, "histograms");
	CHECK(st && st->t == 'a' && st->n == ST_MAX, "statistics: %zu rows, %d statistics", st ? st->n : 0,
	      ST_MAX);
	CHECK(hs && hs->t == 'a' && hs->n == CT_H_MAX, "histograms: %zu rows, %d histograms", hs ? hs->n : 0,
	      CT_H_MAX);
	for (int s = 0; st && s < (int)st->n && s < ST_MAX; s++) {
		const struct jv *r = &st->v[s], *raw = jget(r, "raw_event"), *ev = jget(r, "event"),
				*ck = jget(r, "copy_kind"), *mp = jget(r, "mapping");
		const char *name = ct_stats[s].name;

		CHECK(jget(r, "name") && !strcmp(jget(r, "name")->s, name), "row %d is %s", s, name);
		CHECK(raw && ev && ck && ck->t == 'b' && mp, "%s: raw_event, event, copy_kind, mapping", name);
		if (!raw || !ev || !ck || !mp)
			continue;
		if (raw->t == 'o') {
			unsigned type = (unsigned)jget(raw, "type")->num, kind = (unsigned)jget(raw, "kind")->num;

			CHECK(ev->t == 's' && !strcmp(ev->s, ct_event_name(type)), "%s: event %s", name,
			      ct_event_name(type));
			CHECK_EQ(one_event_adds(type, kind, 0, s), 1);
			CHECK(one_event_adds(type, kind, 0, ST_COPY) == (uint64_t)ck->b, "%s: copy_kind %s, but one "
			      "of its events adds %llu to copy", name, ck->b ? "true" : "false",
			      (unsigned long long)one_event_adds(type, kind, 0, ST_COPY));
			for (int o = 0; o < ST_MAX; o++)
				if (o != s && ct_stats[o].type == STAT_COUNTER)
					CHECK(one_event_adds(type, kind, 0, o) == 0, "an event of %s adds to %s", name,
					      ct_stats[o].name);
		} else {
			CHECK(raw->t == 'n' && ev->t == 'n', "%s: raw_event and event both null", name);
			CHECK(!ck->b, "%s: a copy kind has a raw_event", name);
		}
		if (mp->t == 's') {
			int m = ct_stat_map(s);

			CHECK(m >= 0 && !strcmp(mp->s, ct_map_name(m)), "%s: mapping %s", name, mp->s);
			if (m >= 0)
				CHECK_EQ(one_event_adds(CT_EV_WP, CT_WP_COPY_ANON, 1 + m, s), 1);
		} else {
			CHECK(mp->t == 'n' && ct_stat_map(s) < 0, "%s: no mapping", name);
		}
	}
	/* every kind of the counting events is some statistic's raw_event */
	for (unsigned type = CT_EV_WP; type <= CT_EV_UFFD; type++) {
		unsigned max = type == CT_EV_WP  ? CT_WP_KIND_MAX :
			       type == CT_EV_THP ? CT_THP_KIND_MAX :
						   CT_UFFD_KIND_MAX;

		for (unsigned kind = 0; kind < max; kind++) {
			int claimed = 0;

			for (int s = 0; st && s < (int)st->n; s++) {
				const struct jv *raw = jget(&st->v[s], "raw_event");

				claimed += raw && raw->t == 'o' && jget(raw, "type")->num == type &&
					   jget(raw, "kind")->num == kind;
			}
			CHECK(claimed == 1, "event %s kind %u: the raw_event of %d statistics",
			      ct_event_name(type), kind, claimed);
		}
	}
	for (int i = 0; hs && i < (int)hs->n && i < CT_H_MAX; i++) {
		const struct jv *u = jget(&hs->v[i], "unit"), *d = jget(&hs->v[i], "divisor");

		CHECK(u && u->t == 's' && !strcmp(u->s, ct_hists[i].unit), "histogram %d: unit %s", i,
		      ct_hists[i].unit);
		CHECK(d && d->t == 'd' && d->num == ct_hists[i].divisor, "histogram %d: divisor %u", i,
		      ct_hists[i].divisor);
	}
	jfree(&j);
}

/* ---- cowtrace predict: the windows, the fit, the outputs ---- */

TEST(predict_windows_and_fit)
{
	double w[PR_MAX_WINDOWS];
	struct pr_result r;
	char *s = NULL;
	size_t n = 0;
	FILE *f;
	struct jv j;
	bool ok;

	CHECK_EQ(pr_windows(15, w, PR_MAX_WINDOWS), 3);
	CHECK(w[0] == 1 && w[1] == 5 && w[2] == 15, "15 s: 1, 5, 15 (got %g %g %g)", w[0], w[1], w[2]);
	CHECK_EQ(pr_windows(0.5, w, PR_MAX_WINDOWS), 1);
	CHECK(w[0] == 0.5, "0.5 s: 0.5 alone");
	CHECK_EQ(pr_windows(7, w, PR_MAX_WINDOWS), 3);
	CHECK(w[2] == 7, "7 s: 1, 5, 7");
	CHECK_EQ(pr_windows(1000, w, PR_MAX_WINDOWS), 6);

	memset(&r, 0, sizeof(r));
	r.pid = 42;
	snprintf(r.comm, sizeof(r.comm), "redis-server");
	r.page_size = 4096;
	r.vmpte_bytes = 500 * 1024;
	/* 100 KiB: 0.3 ms, 300 KiB: 0.9 ms -> 3 us per KiB (2.9296875 ns per byte), base 0 */
	r.cal[0] = (struct pr_cal_point){ 32, 100 * 1024, 300000 };
	r.cal[1] = (struct pr_cal_point){ 128, 300 * 1024, 900000 };
	CHECK(pr_fit(&r), "fit");
	CHECK(fabs(r.ns_per_byte - 600000.0 / (200 * 1024)) < 1e-9, "slope %g", r.ns_per_byte);
	CHECK(fabs(r.base_ns) < 1e-6, "base %g", r.base_ns);
	CHECK(fabs(r.stall_ns - 1500000) < 1e-3, "500 KiB: 1.5 ms, got %g", r.stall_ns);
	r.copies_known = true;
	r.tracked_pages = 1000;
	r.nwindows = 2;
	r.w[0] = (struct pr_window){ 1, 10, 0 };
	r.w[1] = (struct pr_window){ 5, 40, 7 };
	f = open_memstream(&s, &n);
	pr_json(f, &r);
	fclose(f);
	ok = s && jparse(s, &j) == 0;
	CHECK(ok, "predict JSON parses: %s", s ? s : "");
	if (ok) {
		const struct jv *st = jget(&j, "stall"), *c = jget(&j, "copies"), *ws = c ? jget(c, "windows") : NULL;

		CHECK(st && jget(st, "predicted_s") && fabs(jget(st, "predicted_s")->num - 0.0015) < 1e-9, "predicted_s");
		CHECK(ws && ws->t == 'a' && ws->n == 2 && jget(&ws->v[1], "bytes")->num == 40 * 4096, "windows");
		CHECK(ws && ws->t == 'a' && ws->n == 2 && jget(&ws->v[1], "new_pages")->num == 7, "new pages");
		CHECK(c && jget(c, "tracker_write_faults")->num == 40,
		      "tracker faults: the last window's pages present at the start (a new page faults anyway)");
		jfree(&j);
	}
	free(s);
	/* noise that does not grow with the page tables: no fit, said why, null in JSON */
	r.cal[1].fork_ns = 200000;
	CHECK(!pr_fit(&r) && strstr(r.stall_why, "did not grow"), "no fit: %s", r.stall_why);
	r.copies_known = false;
	snprintf(r.copies_why, sizeof(r.copies_why), "no soft-dirty");
	s = NULL;
	f = open_memstream(&s, &n);
	pr_json(f, &r);
	fclose(f);
	CHECK(s && strstr(s, "\"predicted_s\":null,\"reason\":\"the calibration forks did not grow"), "%s", s);
	CHECK(s && strstr(s, "\"windows\":null"), "%s", s);
	free(s);
}

/* --basis: the rate of forks seen before, through 0; the same command's alone where there are any. */
TEST(predict_basis_from_forks)
{
	struct pr_seen_fork f[] = {
		{ 4000000, 1 << 20, false },     /* another command: 3.8 ns per byte */
		{ 3000000, 512 * 1024, true },   /* 5.72 ns per byte */
		{ 1000000, 512 * 1024, true },   /* (4 + 1) ms over 1 MiB: 4.77 ns per byte */
		{ 900000000, 4096, true },       /* under 64 KiB of page tables: left out */
	};
	struct pr_result r;

	memset(&r, 0, sizeof(r));
	r.vmpte_bytes = 2 << 20;
	r.basis_file = "x.ctr";
	CHECK(pr_basis(&r, f, 4), "basis");
	CHECK_EQ(r.basis_forks, 2);
	CHECK(r.basis_same_comm, "the same command's forks");
	CHECK(fabs(r.ns_per_byte - 4000000.0 / (1 << 20)) < 1e-9, "rate %g", r.ns_per_byte);
	CHECK(fabs(r.stall_ns - 8000000) < 1e-3, "2 MiB of page tables: 8 ms, got %g", r.stall_ns);
	f[1].same_comm = f[2].same_comm = f[3].same_comm = false;
	CHECK(pr_basis(&r, f, 4) && r.basis_forks == 3 && !r.basis_same_comm, "all of them without the same command's");
	CHECK(!pr_basis(&r, f + 3, 1) && strstr(r.stall_why, "x.ctr has no timed fork"), "%s", r.stall_why);
}
