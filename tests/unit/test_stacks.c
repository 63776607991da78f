// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of where copies come from (src/stacks.c): the table, folded
 * stacks, a process's top stacks, the flame graph, and stacks in record
 * files (src/record.c).  Expected outputs are written out by hand below.
 */
#include "harness.h"
#include "streams.h"

static struct ct_stack_id sid(uint32_t pid, int32_t ustack, uint16_t kind, uint8_t map, uint64_t ino)
{
	return (struct ct_stack_id){ .pid = pid, .start_ns = 1000 + pid, .ustack = ustack, .kstack = -1,
				     .kind = kind, .map = map, .ino = ino };
}

/* Two redis children with the same stack, a file copy, and a comm with a ';'. */
static void fill(struct ct_stacks *st)
{
	struct ct_stack_id a = sid(10, 1, CT_WP_COPY_ANON, CT_MAP_HEAP, 0);
	struct ct_stack_id b = sid(11, 1, CT_WP_COPY_ANON, CT_MAP_HEAP, 0);
	struct ct_stack_id c = sid(11, 2, CT_WP_COPY_FILE, CT_MAP_FILE, 77);
	struct ct_stack_id d = sid(12, 3, CT_WP_COPY_ZERO, CT_MAP_ANON, 0);

	CHECK_EQ(stacks_set(st, &a, "redis-rdb", "main;rdbSave;dictNext", NULL, 30), 0);
	CHECK_EQ(stacks_set(st, &b, "redis-rdb", "main;rdbSave;dictNext", NULL, 12), 0);
	CHECK_EQ(stacks_set(st, &c, "redis-rdb", "main;loadConf;do_page_fault_[k]", "/etc/x;y conf", 4), 0);
	CHECK_EQ(stacks_set(st, &d, "a;b", "main", NULL, 1), 0);
}

static char *folded_of(const struct ct_stacks *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL, "open_memstream");
	if (!f)
		return NULL;
	CHECK_EQ(stacks_folded(f, st), 0);
	fclose(f);
	return buf;
}

TEST(stacks_folded_lines)
{
	struct ct_stacks st;
	char *got;

	stacks_init(&st);
	fill(&st);
	got = folded_of(&st);
	/* sorted; the two processes' equal stacks merged (12 + 30); ';' in names made '_' */
	CHECK_STR(got, "a_b;main;[copy_zero in anon] 1\n"
		       "redis-rdb;main;loadConf;do_page_fault_[k];[copy_file in file /etc/x_y conf] 4\n"
		       "redis-rdb;main;rdbSave;dictNext;[copy_anon in heap] 42\n");
	free(got);
	/* the kernel's counts are cumulative: set, not added; a known stack keeps its frames */
	struct ct_stack_id a = sid(10, 1, CT_WP_COPY_ANON, CT_MAP_HEAP, 0);

	CHECK(stacks_known(&st, &a), "known");
	CHECK_EQ(stacks_set(&st, &a, NULL, NULL, NULL, 31), 0);
	CHECK_EQ(st.n, 4);
	got = folded_of(&st);
	CHECK(got && strstr(got, "redis-rdb;main;rdbSave;dictNext;[copy_anon in heap] 43\n"), "%s", got);
	free(got);
	stacks_free(&st);
}

/* Tracepoint mode: copies not told apart, and (before bpf_find_vma) no mapping. */
TEST(stacks_generic_kinds)
{
	struct ct_stacks st;
	char *got;

	stacks_init(&st);
	fill(&st);
	st.generic = CT_WP_COPY_KINDS;
	got = folded_of(&st);
	CHECK(got && strstr(got, "redis-rdb;main;rdbSave;dictNext;[copy in heap] 42\n"), "%s", got);
	free(got);
	st.maps_unknown = true;
	got = folded_of(&st);
	CHECK_STR(got, "a_b;main;[copy] 1\n"
		       "redis-rdb;main;loadConf;do_page_fault_[k];[copy] 4\n"
		       "redis-rdb;main;rdbSave;dictNext;[copy] 42\n");
	free(got);
	stacks_free(&st);
}

/* A stack named before its process was known takes the comm later; a named one keeps its own. */
TEST(stacks_late_comm)
{
	struct ct_stacks st;
	struct ct_stack_id a = sid(10, 1, CT_WP_COPY_ANON, CT_MAP_HEAP, 0);
	struct ct_stack_id b = sid(11, 1, CT_WP_COPY_ANON, CT_MAP_HEAP, 0);
	char *got;

	stacks_init(&st);
	CHECK_EQ(stacks_set(&st, &a, NULL, "main;f", NULL, 2), 0);
	CHECK_EQ(stacks_set(&st, &b, "old", "main;f", NULL, 3), 0);
	CHECK_EQ(stacks_set(&st, &a, "worker", NULL, NULL, 5), 0);
	CHECK_EQ(stacks_set(&st, &b, "renamed", NULL, NULL, 3), 0);
	got = folded_of(&st);
	CHECK_STR(got, "old;main;f;[copy_anon in heap] 3\nworker;main;f;[copy_anon in heap] 5\n");
	free(got);
	stacks_free(&st);
}

TEST(stacks_top_merged)
{
	struct ct_stacks st;
	struct ct_stack_top *top = NULL;
	struct ct_stack_id e = sid(11, 9, CT_WP_COPY_ANON, CT_MAP_HEAP, 0);
	int64_t n;

	stacks_init(&st);
	fill(&st);
	/* the same frames under another stack id (e.g. another kernel stack): merged */
	CHECK_EQ(stacks_set(&st, &e, "redis-rdb", "main;rdbSave;dictNext", NULL, 5), 0);
	n = stacks_top(&st, 11, 0, &top);
	CHECK_EQ(n, 2);
	if (n == 2) {
		CHECK_EQ(top[0].pages, 17);
		CHECK_STR(top[0].s->frames, "main;rdbSave;dictNext");
		CHECK_EQ(top[1].pages, 4);
		CHECK_STR(top[1].s->file, "/etc/x_y conf"); /* a folded line's leaf: no ';' */
	}
	free(top);
	top = NULL;
	CHECK_EQ(stacks_top(&st, 11, 999, &top), 0); /* another process with that pid */
	free(top);
	top = NULL;
	CHECK_EQ(stacks_top(&st, 10, 1010, &top), 1);
	free(top);
	stacks_free(&st);
}

TEST(stacks_cap)
{
	struct ct_stacks st;

	stacks_init(&st);
	st.max = 2;
	for (int i = 0; i < 3; i++) {
		struct ct_stack_id id = sid(20, i, CT_WP_COPY_ANON, CT_MAP_ANON, 0);

		stacks_set(&st, &id, "x", "main", NULL, 10);
	}
	CHECK_EQ(st.n, 2);
	CHECK_EQ(st.dropped, 10); /* pages, said in the outputs */
	stacks_free(&st);
}

/* The value of attribute name in the first tag after p (NULL: none). */
static double attr(const char *p, const char *name)
{
	char key[64];
	const char *a, *end = strchr(p, '>');

	snprintf(key, sizeof(key), " %s=\"", name);
	a = strstr(p, key);
	return a && end && a < end ? atof(a + strlen(key)) : -1;
}

/* The <g> of a frame: its data-n, its rect's width. */
static double frame_width(const char *svg, const char *name)
{
	char key[128];
	const char *g, *r;

	snprintf(key, sizeof(key), "data-n=\"%s\"", name);
	g = strstr(svg, key);
	r = g ? strstr(g, "<rect ") : NULL;
	return r ? attr(r, "width") : -1;
}

TEST(stacks_flamegraph_svg)
{
	struct ct_stacks st;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	double all, rdb, conf;

	stacks_init(&st);
	fill(&st);
	f = open_memstream(&buf, &len);
	CHECK_EQ(stacks_flamegraph(f, &st, "copies <of> redis & co"), 0);
	fclose(f);
	CHECK(buf && !strncmp(buf, "<?xml", 5), "an XML document");
	if (!buf)
		return;
	CHECK(strstr(buf, "copies &lt;of&gt; redis &amp; co"), "the title, escaped");
	CHECK(!strstr(buf, "href") && !strstr(buf, "src="), "no external references");
	/* widths are pages: main holds all 47, rdbSave 42 of them, loadConf 4 */
	all = frame_width(buf, "main");
	rdb = frame_width(buf, "rdbSave");
	conf = frame_width(buf, "loadConf");
	CHECK(all > 0 && rdb > 0 && conf > 0, "frames main %g rdbSave %g loadConf %g", all, rdb, conf);
	/* "main" is in two comms' stacks: the first <g> found is one of them */
	CHECK(fabs(rdb / conf - 42.0 / 4.0) < 0.05, "rdbSave/loadConf = %g, expected 10.5", rdb / conf);
	CHECK(strstr(buf, "dictNext: 42 pages (89.36%)"), "a frame's title: pages and share");
	CHECK(strstr(buf, "data-n=\"a_b\""), "the comm's ';' made '_'");
	free(buf);
	buf = NULL;
	stacks_free(&st);
	stacks_init(&st);
	f = open_memstream(&buf, &len);
	CHECK_EQ(stacks_flamegraph(f, &st, "empty"), 0);
	fclose(f);
	CHECK(buf && strstr(buf, "no stacks recorded"), "an empty graph says so");
	free(buf);
	stacks_free(&st);
}

/* Stacks in a record file: written, read back the same; too many frames lose the outermost. */
TEST(stacks_record_roundtrip)
{
	struct ct_stacks st;
	struct ct_plan pl;
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	struct ct_rec *rec = calloc(1, sizeof(*rec));
	char err[256], *buf = NULL, *deep;
	size_t len = 0, dl = 0;
	FILE *f;
	int r, seen = 0;

	if (!rec)
		return;
	stacks_init(&st);
	fill(&st);
	/* a stack deeper than a record holds: 3000 frames of "fNNNN" */
	f = open_memstream(&deep, &dl);
	for (int i = 0; i < 3000; i++)
		fprintf(f, "%sf%04d", i ? ";" : "", i);
	fclose(f);
	struct ct_stack_id id = sid(30, 5, CT_WP_UNSHARE, CT_MAP_MAX, 0);

	CHECK_EQ(stacks_set(&st, &id, "deep", deep, NULL, 3), 0);
	plan_fentry(&pl);
	pl.stacks = CT_WP_COPY_KINDS | 1u << CT_WP_UNSHARE;
	f = open_memstream(&buf, &len);
	CHECK_EQ(rec_write_header(f, &pl, 4096, 1000, 2000), 0);
	for (uint32_t i = 0; i < st.n; i++)
		CHECK_EQ(rec_write_stack(f, &st.v[i]), 0);
	fclose(f);
	CHECK(rec_open(&rd, buf, len, &info, err, sizeof(err)) == 0, "rec_open: %s", err);
	CHECK_EQ(info.plan.stacks, pl.stacks);
	while ((r = rec_next(&rd, rec, err, sizeof(err))) > 0) {
		const struct ct_stack *w = &st.v[seen];

		CHECK_EQ(rec->type, CT_REC_STACK);
		CHECK_EQ(rec->stack.id.pid, w->id.pid);
		CHECK_EQ(rec->stack.id.start_ns, w->id.start_ns);
		CHECK_EQ(rec->stack.id.kind, w->id.kind);
		CHECK_EQ(rec->stack.id.map, w->id.map);
		CHECK_EQ(rec->stack.id.ino, w->id.ino);
		CHECK_EQ(rec->stack.pages, w->pages);
		CHECK_STR(rec->stack.comm, w->comm);
		if (w->file)
			CHECK_STR(rec->file, w->file);
		if (strlen(w->frames) < CT_REC_MAX_LEN - CT_REC_STACK_FIXED - 64) {
			CHECK_STR(rec->path, w->frames);
		} else {
			/* cut at a frame boundary, the innermost frames kept, the cut said */
			static const char cut[] = "[outer frames cut];";
			const char *kept = rec->path + strlen(cut);
			size_t kl = strlen(kept), wl = strlen(w->frames);

			CHECK(!strncmp(rec->path, cut, strlen(cut)), "starts with the cut: %.30s", rec->path);
			CHECK(kl > 1000 && kl < wl, "cut to %zu of %zu", kl, wl);
			CHECK(!strcmp(w->frames + wl - kl, kept) && w->frames[wl - kl - 1] == ';',
			      "the innermost frames, whole: ...%s", kept + kl - 12);
		}
		seen++;
	}
	CHECK(r == 0, "rec_next: %s", err);
	CHECK_EQ(seen, st.n);
	free(buf);
	free(deep);
	free(rec);
	stacks_free(&st);
}
