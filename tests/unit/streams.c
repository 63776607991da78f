// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Shared fixtures: synthetic events and the golden event streams (fentry and
 * tracepoint mode) with their hand computations, and the plans and reports
 * built from them.  Used by test_agg.c, test_output.c, test_record.c.
 */
#include "streams.h"

struct ct_event mkev(uint64_t ts, unsigned type, unsigned kind, uint32_t pid,
		     uint32_t ppid, uint64_t value, uint32_t aux, const char *comm)
{
	struct ct_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.value = value;
	e.pid = pid;
	e.tid = pid;
	e.ppid = ppid;
	e.aux = aux;
	e.type = (uint16_t)type;
	e.kind = (uint16_t)kind;
	if (comm) {
		size_t n = strlen(comm);

		memcpy(e.comm, comm, n < CT_COMM_LEN ? n : CT_COMM_LEN);
	}
	return e;
}

/* ------------------------------------------------------- the golden stream */

struct sev {
	uint64_t ts;
	unsigned type, kind;
	uint32_t pid, ppid;
	uint64_t value;
	uint32_t aux;
	const char *comm;
	unsigned map;  /* copies: 1 + the memory it hit (M_*), 0: not known */
};

#define M_HEAP (1 + CT_MAP_HEAP)
#define M_STACK (1 + CT_MAP_STACK)
#define M_ANON (1 + CT_MAP_ANON)
#define M_FILE (1 + CT_MAP_FILE)
#define M_THP (1 + CT_MAP_THP)
/*
 * Golden stream (fentry golden).  Page size 4096.
 *
 *  #  ts(ns)     type   kind          pid  ppid value      aux  comm
 */
static const struct sev golden_stream[] = {
	/*  1 */ { 1000000, CT_EV_WP, CT_WP_REUSE, 100, 1, 800, 0, "redis-server", 0 },
	/*  2 */ { 1050000, CT_EV_WP, CT_WP_REUSE, 100, 1, 1200, 0, "redis-server", 0 },
	/*  3 */ { 1100000, CT_EV_WP, CT_WP_COPY_ANON, 100, 1, 3000, 0, "redis-server", M_HEAP },
	/*  4 */ { 1200000, CT_EV_THP, CT_THP_REUSE, 100, 1, 5000, 0, "redis-server", 0 },
	/*  5 */ { 2000000, CT_EV_PINNED, 0, 100, 1, 2, 200, "redis-server", 0 },
	/*  6 */ { 2000000, CT_EV_FORK, PC, 100, 1, 2, 200, "redis-server", 0 },
	/*  7 */ { 2500000, CT_EV_WP, CT_WP_COPY_ANON, 200, 100, 4000, 0, "redis-server", M_HEAP },
	/*  8 */ { 2600000, CT_EV_WP, CT_WP_COPY_ANON, 100, 1, 2500, 0, "redis-server", M_HEAP },
	/*  9 */ { 3000000, CT_EV_WP, CT_WP_COPY_ZERO, 200, 100, 1500, 0, "redis-rdb-bgsav", M_ANON },
	/* 10 */ { 3100000, CT_EV_WP, CT_WP_COPY_FILE, 200, 100, 6000, 0, "redis-rdb-bgsav", M_FILE },
	/* 11 */ { 3200000, CT_EV_WP, CT_WP_COPY_KSM, 100, 1, 7000, 0, "redis-server", M_ANON },
	/* 12 */ { 3300000, CT_EV_WP, CT_WP_UNSHARE, 200, 100, 9000, 0, "redis-rdb-bgsav", 0 },
	/* 13 */ { 3400000, CT_EV_WP, CT_WP_SHARED_REUSE, 100, 1, 700, 0, "redis-server", 0 },
	/* 14 */ { 3500000, CT_EV_THP, CT_THP_SPLIT, 200, 100, 12000, 0, "redis-rdb-bgsav", 0 },
	/* 15 */ { 3600000, CT_EV_WP, CT_WP_REUSE, 200, 100, 0, 0, "redis-rdb-bgsav", 0 },
	/* 16 */ { 4000000, CT_EV_UFFD, CT_UFFD_MISSING, 300, 1, 1500000, 0, "uffd-test", 0 },
	/* 17 */ { 4100000, CT_EV_UFFD, CT_UFFD_MISSING, 300, 1, 20000, 0, "uffd-test", 0 },
	/* 18 */ { 4200000, CT_EV_UFFD, CT_UFFD_WP, 300, 1, 250000, 0, "uffd-test", 0 },
	/* 19 */ { 4300000, CT_EV_UFFD, CT_UFFD_MINOR, 300, 1, 3000, 0, "uffd-test", 0 },
	/* 20 */ { 4400000, CT_EV_MARKER, 0, 300, 1, 16, 0, "uffd-test", 0 },
	/* 21 */ { 4500000, CT_EV_MARKER, 0, 300, 1, 4, 0, "uffd-test", 0 },
	/* 22 */ { 4600000, CT_EV_WP, CT_WP_COPY_ANON, 300, 1, 2000, 0, "uffd-test", M_STACK },
	/* 23 */ { 5000000, CT_EV_EXIT, 0, 300, 1, 0, 0, "uffd-test", 0 },
	/* 24 */ { 6000000, CT_EV_FORK, PC, 100, 1, 0, 300, "redis-server", 0 },
	/* 25 */ { 6200000, CT_EV_WP, CT_WP_COPY_ANON, 300, 100, 3500, 0, "redis-server", M_HEAP },
	/* 26 */ { 6250000, CT_EV_WP, CT_WP_REUSE, 300, 100, 600, 0, "redis-server", 0 },
	/* 27 */ { 6300000, CT_EV_WP, CT_WP_COPY_ANON, 100, 1, 2200, 0, "redis-server", M_THP },
	/* 28 */ { 7000000, CT_EV_EXIT, 0, 200, 100, 0, 0, "redis-rdb-bgsav", 0 },
	/* 29 */ { 8000000, CT_EV_WP, CT_WP_REUSE, 200, 1, 900, 0, "a\"b\\c\td", 0 },
};
/*
 * Hand computation (page size 4096; K = 1024 bytes):
 *
 * pid 100 "redis-server", ppid 1, live, forks 2 (#6, #24):
 *   reuse 2 (#1,#2); copy_anon 3 (#3,#8,#27); copy_ksm 1 (#11); copy 4;
 *   shared_reuse 1 (#13); thp_reuse 1 (#4); pinned_cow 2 (#5);
 *   copied_bytes (4 + 0 + 2) * 4096 = 24576 = "24.0K".
 *   latency reuse {800, 1200}: 512->1023: 1, 1024->2047: 1
 *   latency copy {3000, 2500, 7000, 2200}: 2048->4095: 3, 4096->8191: 1 (bar 40*1/3 = 13)
 *   latency shared_reuse {700}: 512->1023: 1;  thp {5000}: 4096->8191: 1
 *   fork_to_copy: #3 precedes any fork (none); #8 -> fork0 600 us; #11 -> fork0
 *     1200 us; #27 -> fork1 (its latest) 300 us: 256->511, 512->1023,
 *     1024->2047 usecs, one each.
 * pid 200 (first), ppid 100, exited (#28), comm "redis-rdb-bgsav" (latest, #15):
 *   reuse 1 (#15); anon 1 (#7); zero 1 (#9); file 1 (#10); copy 3;
 *   unshare 1 (#12); thp_split 1 (#14); copied (3 + 1 + 0) * 4096 = 16384 = "16.0K".
 *   latency reuse: #15 has no latency -> no histogram; copy {4000, 1500, 6000}:
 *     1024->2047: 1, 2048->4095: 1, 4096->8191: 1; unshare {9000}: 8192->16383;
 *     thp {12000}: 8192->16383.
 *   fork_to_copy (child of fork0 @2.0 ms): 500 us, 1000 us, 1100 us:
 *     256->511: 1, 512->1023: 1, 1024->2047: 1.
 * pid 300 (first) "uffd-test", ppid 1, exited (#23):
 *   uffd_missing 2, uffd_wp 1, uffd_minor 1, marker_install 4 + 16 = 20
 *   (column n/a: the plan has marker_install unavailable), anon 1 (#22),
 *   copy 1, copied 4096 = "4.0K".  latency copy {2000}: 1024->2047.
 *   blocked missing {1500 us, 20 us}: 16->31: 1 ... 1024->2047: 1;
 *   wp {250 us}: 128->255; minor {3 us}: 2->3.  No fork_to_copy (no fork).
 * pid 300 (second, pid reuse via FORK #24), comm "redis-server", ppid 100, live:
 *   anon 1 (#25), reuse 1 (#26), copy 1, copied "4.0K"; latency copy {3500}:
 *   2048->4095; reuse {600}: 512->1023; fork_to_copy 200 us: 128->255.
 * pid 200 (second, pid reuse after EXIT #28), comm a"b\c<TAB>d, ppid 1, live:
 *   reuse 1 (#29), copied "0B"; latency reuse {900}: 512->1023.
 *
 * COPIES BY MAPPING (largest first, ties in table order heap stack anon file shmem thp):
 *   100: heap 2 (#3,#8), anon 1 (#11), thp 1 (#27): "16.0K: 8.0K heap, 4.0K anon, 4.0K thp"
 *   200 first: heap 1 (#7), anon 1 (#9), file 1 (#10): "12.0K: 4.0K heap, 4.0K anon, 4.0K file"
 *   300 second: heap 1 (#25): "4.0K: 4.0K heap";  300 first: stack 1 (#22): "4.0K: 4.0K stack"
 *   200 second: no copies, not listed.
 *   fork0 parent #8 heap, #11 anon; child #7 heap, #9 anon, #10 file.
 *   fork1 parent #27 thp; child #25 heap.
 *
 * Order by copies + pinned (desc), then reuse (desc), pid, first_ns:
 *   100 (4+2=6), 200 first (3), 300 second (1, reuse 1), 300 first (1, reuse 0),
 *   200 second (0).
 * Histograms (hist_top 4): the first four of that order.
 *
 * FORKS:
 *   fork0 100->200: pinned 2, parent_copies 2 (#8,#11), child_copies 3 (#7,#9,#10),
 *     copied (2+2+3) * 4096 = 28672 = "28.0K"
 *   fork1 100->300: pinned 0, parent_copies 1 (#27), child_copies 1 (#25), "8.0K"
 *
 * Events 29, no bad events.
 */

/*
 * Tracepoint-mode golden stream: what page_fault_user + mm_page_alloc can
 * produce (WP reuse / copy_anon / copy_zero without latency, pinned pages,
 * forks, exits) plus a THP split and a marker event so that n/a must hide
 * non-zero numbers.
 */
static const struct sev tp_stream[] = {
	/*  1 */ { 10000000, CT_EV_WP, CT_WP_REUSE, 500, 1, 0, 0, "postgres", 0 },
	/*  2 */ { 10100000, CT_EV_WP, CT_WP_REUSE, 500, 1, 0, 0, "postgres", 0 },
	/*  3 */ { 10200000, CT_EV_WP, CT_WP_COPY_ANON, 500, 1, 0, 0, "postgres", M_HEAP },
	/*  4 */ { 11000000, CT_EV_PINNED, 0, 500, 1, 3, 501, "postgres", 0 },
	/*  5 */ { 11000000, CT_EV_FORK, PC, 500, 1, 3, 501, "postgres", 0 },
	/*  6 */ { 11400000, CT_EV_WP, CT_WP_COPY_ZERO, 500, 1, 0, 0, "postgres", M_ANON },
	/*  7 */ { 11050000, CT_EV_WP, CT_WP_COPY_ANON, 501, 500, 0, 0, "postgres", M_HEAP },
	/*  8 */ { 13000000, CT_EV_WP, CT_WP_COPY_ANON, 501, 500, 0, 0, "postgres", M_FILE },
	/*  9 */ { 13100000, CT_EV_WP, CT_WP_REUSE, 501, 500, 0, 0, "postgres", 0 },
	/* 10 */ { 13200000, CT_EV_THP, CT_THP_SPLIT, 501, 500, 0, 0, "postgres", 0 },
	/* 11 */ { 13300000, CT_EV_MARKER, 0, 501, 500, 5, 0, "postgres", 0 },
	/* 12 */ { 14000000, CT_EV_EXIT, 0, 501, 500, 0, 0, "postgres", 0 },
	/* 13 */ { 15000000, CT_EV_FORK, CT_FORK_CHILD_TRACED, 1, 0, 0, 502, "systemd", 0 },
	/* 14 */ { 15600000, CT_EV_WP, CT_WP_COPY_ANON, 502, 1, 0, 0, "systemd", M_STACK },
	/* 15 */ { 16000000, CT_EV_WP, CT_WP_REUSE, 501, 1, 0, 0, "psql", 0 },
};
/*
 * Hand computation (tracepoint plan: reuse, copy, copy_zero, pinned_cow,
 * copied_bytes, fork_to_copy derived; everything else unavailable):
 *
 * pid 500 "postgres", ppid 1, live, forks 1:
 *   reuse 2 (#1,#2); copy = anon 1 (#3) + zero 1 (#6) = 2; copy_zero 1;
 *   pinned 3 (#4); copied (2 + 0 + 3) * 4096 = 20480 = "20.0K".
 *   fork_to_copy: #6 after fork0 (@11.0 ms): 400 us -> 256->511 usecs.
 * pid 501 (first), ppid 500, exited (#12): copy 2 (#7, #8), reuse 1 (#9),
 *   copy_zero 0; thp_split 1 and marker 5 print n/a / null; copied 8192 = "8.0K".
 *   fork_to_copy: #7 50 us -> 32->63, #8 2000 us -> 1024->2047 (2000000 ns
 *   is in ns slot [1048576, 2097152), lower bound 1048 us).
 * pid 502 "systemd", ppid 1 (parent untraced), live: copy 1 (#14), "4.0K";
 *   fork_to_copy 600 us -> 512->1023.
 * pid 501 (second, reuse after EXIT) "psql", ppid 1: reuse 1, copied "0B".
 * Order: 500 (2+3=5), 501 first (2), 502 (1), 501 second (0).
 * FORKS: 500->501 pinned 3, parent 1 (#6), child 2 (#7,#8) -> 6 pages = "24.0K";
 *        1->502 pinned 0, parent 0, child 1 (#14) = "4.0K".
 * COPIES BY MAPPING (map_thp unavailable): 500 heap (#3), anon (#6): "8.0K: 4.0K heap, 4.0K anon";
 *   501 first heap (#7), file (#8); 502 stack (#14).  Forks: 500->501 parent anon (#6),
 *   child heap (#7), file (#8); 1->502 child stack (#14).
 * No write-fault latency histograms (wp_latency unavailable, and no samples).
 */

/*
 * What each fork of the streams cost (its struct ct_fork_rec, sent when the
 * call returned: fed right after its fork event), and its child's first
 * exec (0: none).  Hand computation with the streams' below.
 */
struct fcost {
	uint32_t parent, child;
	uint64_t fork_ns, enter_ns, exit_ns, cpr_ns, pgtables;
	uint64_t rss[CT_RSS_MAX];
	uint32_t vmas;
	uint16_t known;
	uint64_t exec_ns;
};

#define FK_ALL (CT_FK_DURATION | CT_FK_CPR | CT_FK_MM)
static const struct fcost fork_costs[] = {
	/* fentry stream: fork0, fork1 */
	{ 100, 200, 2000000, 1900000, 2150000, 180000, 139264, { 1000, 25000, 0, 24 }, 87, FK_ALL, 0 },
	{ 100, 300, 6000000, 5950000, 6080000, 95000, 135168, { 1000, 25100, 0, 24 }, 88, FK_ALL, 6400000 },
	/* tracepoint stream: 500->501 timed by the syscalls, 1->502 (parent untraced) not */
	{ 500, 501, 11000000, 10990000, 11020000, 0, 65536, { 500, 3000, 10, 0 }, 40,
	  CT_FK_DURATION | CT_FK_MM, 13500000 },
	{ 1, 502, 15000000, 0, 0, 0, 40960, { 200, 800, 0, 0 }, 30, CT_FK_MM, 0 },
};

static void feed_fork_cost(struct kfeed *k, const struct ct_event *e)
{
	for (size_t i = 0; i < sizeof(fork_costs) / sizeof(fork_costs[0]); i++) {
		const struct fcost *c = &fork_costs[i];
		struct ct_fork_rec r = { .fork_ns = c->fork_ns, .enter_ns = c->enter_ns, .exit_ns = c->exit_ns,
					 .cpr_ns = c->cpr_ns, .pgtables_bytes = c->pgtables, .parent = c->parent,
					 .child = c->child, .vmas = c->vmas, .type = CT_REC_TYPE_FORK,
					 .known = c->known };

		if (c->parent != e->pid || c->child != e->aux || c->fork_ns != e->ts_ns)
			continue;
		memcpy(r.rss, c->rss, sizeof(r.rss));
		CHECK(kf_fork_rec(k, &r) == 0, "fork record %u->%u rejected", c->parent, c->child);
		if (c->exec_ns) {
			struct ct_event x = mkev(c->exec_ns, CT_EV_EXEC, 0, c->child, c->parent, c->fork_ns, 0, NULL);

			CHECK(kf_event(k, &x) == 0, "exec of %u rejected", c->child);
		}
	}
}

/* The stream through the kernel's side (kfeed.h), then one snapshot, as a report reads it. */
static void feed(struct ct_agg *a, const struct sev *s, size_t n, enum kf_path path)
{
	struct kfeed k;

	kf_init(&k, a, path);
	for (size_t i = 0; i < n; i++) {
		struct ct_event e = mkev(s[i].ts, s[i].type, s[i].kind, s[i].pid, s[i].ppid,
					 s[i].value, s[i].aux, s[i].comm);

		e.map = (uint8_t)s[i].map;
		CHECK(kf_event(&k, &e) == 0, "stream event #%zu rejected (%s)", i + 1, kf_path_name[path]);
		if (e.type == CT_EV_FORK)
			feed_fork_cost(&k, &e);
	}
	kf_snapshot(&k);
}

void plan_fentry(struct ct_plan *pl)
{
	const char *wph = "do_wp_page+folio_add_new_anon_rmap";
	static const enum ct_stat wps[] = { ST_REUSE, ST_COPY, ST_COPY_ANON, ST_COPY_ZERO,
					    ST_COPY_FILE, ST_COPY_KSM, ST_UNSHARE, ST_SHARED_REUSE };

	memset(pl, 0, sizeof(*pl));
	pl->mode = MODE_FENTRY;
	snprintf(pl->kernel, sizeof(pl->kernel), "6.12.0-test");
	for (unsigned i = 0; i < sizeof(wps) / sizeof(wps[0]); i++)
		plan_set(pl, wps[i], wph, MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_THP_REUSE, "do_huge_pmd_wp_page", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_THP_SPLIT, "do_huge_pmd_wp_page", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_PINNED_COW, "copy_page_range+folio_add_new_anon_rmap", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_UFFD_MISSING, "handle_userfault", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_UFFD_WP, "handle_userfault", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_UFFD_MINOR, "handle_userfault", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_UFFD_SIGBUS, "handle_userfault", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_MARKER_INSTALL, "zap_pte_range", MODE_NONE, Q_UNAVAILABLE,
		 "zap_pte_range inlined; no exact per-install hook on this kernel");
	plan_set(pl, ST_COPIED_BYTES, wph, MODE_FENTRY, Q_EXACT,
		 "(copy + unshare + pinned_cow) x page size");
	for (int st = 0; st < ST_MAX; st++)
		if (ct_stat_map(st) >= 0)
			plan_set(pl, st, wph, MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_WP_LATENCY, "do_wp_page", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_UFFD_BLOCKED, "handle_userfault", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_FORK_TO_COPY, "sched_process_fork", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_FORKS, "sched_process_fork", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_PAGE_TABLE_BYTES, "sched_process_fork", MODE_FENTRY, Q_EXACT, "");
	plan_set(pl, ST_FORK_DURATION, "kernel_clone", MODE_FENTRY, Q_EXACT, "entry to return of kernel_clone");
}

/* What probes.c's fill_plan_tp() + fill_plan_common() produce. */
static void plan_tp(struct ct_plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	plan_fill_tracepoint(pl); /* the plan cowtrace uses in tracepoint mode */
	snprintf(pl->kernel, sizeof(pl->kernel), "5.10.0-test");
}

/*
 * The programs of an fentry run and what the kernel skipped of them: fx_wp
 * (do_wp_page's exit) 3 runs, the others none.  Their statistics come from
 * plan_prog_stats() (test_plan.c checks it by hand).
 */
static struct ct_misses misses_fentry(void)
{
	static const char *const progs[][2] = {
		{ "sched_fork", "sched_process_fork" }, { "sched_exit", "sched_process_exit" },
		{ "fe_wp", "do_wp_page" }, { "fx_wp", "do_wp_page" },
		{ "fe_new_anon", "folio_add_new_anon_rmap" },
	};
	struct ct_misses m = { .known = true };

	for (unsigned i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct ct_miss *x = &m.m[m.n++];

		snprintf(x->prog, sizeof(x->prog), "%s", progs[i][0]);
		snprintf(x->hook, sizeof(x->hook), "%s", progs[i][1]);
		x->stats = plan_prog_stats(x->prog);
		x->missed = !strcmp(x->prog, "fx_wp") ? 3 : 0;
	}
	return m;
}

/* Tracepoint mode: tracepoint programs run with preemption off, nothing skipped. */
static struct ct_misses misses_tp(void)
{
	static const char *const progs[][2] = {
		{ "sched_fork", "sched_process_fork" }, { "sched_exit", "sched_process_exit" },
		{ "tp_fault_user", "page_fault_user" }, { "tp_alloc", "mm_page_alloc" },
	};
	struct ct_misses m = { .known = true };

	for (unsigned i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct ct_miss *x = &m.m[m.n++];

		snprintf(x->prog, sizeof(x->prog), "%s", progs[i][0]);
		snprintf(x->hook, sizeof(x->hook), "%s", progs[i][1]);
		x->stats = plan_prog_stats(x->prog);
	}
	return m;
}

void build_fentry_from(struct ct_agg *a, struct ct_plan *pl, struct ct_report *r, enum kf_path path)
{
	static struct ct_misses m;

	agg_init(a, 4096);
	feed(a, golden_stream, sizeof(golden_stream) / sizeof(golden_stream[0]), path);
	plan_fentry(pl);
	memset(r, 0, sizeof(*r));
	r->agg = a;
	r->plan = pl;
	r->lost_events = 0;
	r->unclassified = 0;
	r->duration_s = 9.5;
	r->final = true;
	r->cmd_status = 0;
	r->hist_top = 4;
	r->version = "1.2.3-test";
	m = misses_fentry();
	r->misses = &m;
	r->settled = 2;
}

void build_tp_from(struct ct_agg *a, struct ct_plan *pl, struct ct_report *r, enum kf_path path)
{
	static struct ct_misses m;

	agg_init(a, 4096);
	feed(a, tp_stream, sizeof(tp_stream) / sizeof(tp_stream[0]), path);
	plan_tp(pl);
	memset(r, 0, sizeof(*r));
	r->agg = a;
	r->plan = pl;
	r->lost_events = 7;
	r->unclassified = 3;
	r->duration_s = 2.5;
	r->final = false;
	r->cmd_status = -1;
	r->hist_top = 5;
	r->version = "1.2.3-test";
	m = misses_tp();
	r->misses = &m;
}

void build_fentry(struct ct_agg *a, struct ct_plan *pl, struct ct_report *r)
{
	build_fentry_from(a, pl, r, KF_RECORDS);
}

void build_tp(struct ct_agg *a, struct ct_plan *pl, struct ct_report *r)
{
	build_tp_from(a, pl, r, KF_RECORDS);
}
