// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of record files (src/record.c): write and read back, and every
 * way a file can be wrong.
 */
#include "harness.h"
#include "streams.h"

/* ---- record files (record.c) ---- */

/* A record in memory: header with pl, then evs[], a cgroup name and totals. */
static char *make_record(const struct ct_plan *pl, const struct ct_event *evs, int n, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	CHECK(rec_write_header(f, pl, 4096, 1000, 1700000000000000000ull) == 0, "header");
	for (int i = 0; i < n; i++)
		CHECK(rec_write_event(f, &evs[i]) == 0, "event %d", i);
	CHECK(rec_write_cgroup(f, 4242, "/system.slice/redis.service") == 0, "cgroup");
	CHECK(rec_write_stats(f, 7, 3, 99000, 5) == 0, "stats");
	fclose(f);
	return buf;
}

TEST(record_roundtrip)
{
	struct ct_plan pl, *got;
	struct ct_event evs[3];
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	struct ct_rec rec;
	char err[256];
	size_t len;
	char *buf;
	int n = 0, r;

	plan_fentry(&pl);
	evs[0] = mkev(2000, CT_EV_WP, CT_WP_COPY_ANON, 10, 1, 1500, 0, "a");
	evs[1] = mkev(3000, CT_EV_FORK, PC, 10, 1, 4, 11, "a");
	evs[2] = mkev(4000, CT_EV_EXIT, 0, 11, 10, 0, 0, "b");
	evs[2].cgroup_id = 4242;
	buf = make_record(&pl, evs, 3, &len);
	CHECK(buf != NULL, "no buffer");
	if (!buf)
		return;
	CHECK(rec_open(&rd, buf, len, &info, err, sizeof(err)) == 0, "rec_open: %s", err);
	CHECK_EQ(info.version, CT_REC_VERSION);
	CHECK_EQ(info.page_size, 4096);
	CHECK_EQ(info.start_mono_ns, 1000);
	CHECK_EQ(info.start_real_ns, 1700000000000000000ull);
	got = &info.plan;
	CHECK_STR(got->kernel, pl.kernel);
	CHECK_EQ(got->mode, MODE_FENTRY);
	for (int s = 0; s < ST_MAX; s++) {
		CHECK_STR(got->st[s].hook, pl.st[s].hook);
		CHECK_STR(got->st[s].reason, pl.st[s].reason);
		CHECK_EQ(got->st[s].mode, pl.st[s].mode);
		CHECK_EQ(got->st[s].quality, pl.st[s].quality);
	}
	while ((r = rec_next(&rd, &rec, err, sizeof(err))) > 0) {
		if (n < 3) {
			CHECK_EQ(rec.type, CT_REC_EVENT);
			CHECK(!memcmp(&rec.ev, &evs[n], sizeof(rec.ev)), "event %d differs", n);
		} else if (n == 3) {
			CHECK_EQ(rec.type, CT_REC_CGROUP);
			CHECK_EQ(rec.cgroup_id, 4242);
			CHECK_STR(rec.path, "/system.slice/redis.service");
		} else {
			CHECK_EQ(rec.type, CT_REC_STATS);
			CHECK_EQ(rec.lost, 7);
			CHECK_EQ(rec.unclassified, 3);
			CHECK_EQ(rec.end_mono_ns, 99000);
			CHECK_EQ(rec.settled, 5);
		}
		n++;
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(n, 5);
	CHECK_EQ(rd.records, 5);
	free(buf);
}

/* Every way a file can be wrong gives -1 and names the problem. */
TEST(record_rejects)
{
	struct ct_plan pl;
	struct ct_event ev = mkev(2000, CT_EV_WP, CT_WP_REUSE, 10, 1, 0, 0, "a");
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	struct ct_rec rec;
	char err[256], *buf, *bad;
	size_t len, hdr;
	int n, r;

	plan_fentry(&pl);
	buf = make_record(&pl, &ev, 1, &len);
	if (!buf)
		return;
	bad = malloc(len);
	if (!bad) {
		free(buf);
		return;
	}
	hdr = CT_REC_FIXED_LEN + *(uint32_t *)(buf + 40);

	CHECK(rec_open(&rd, buf, 0, &info, err, sizeof(err)) < 0 && strstr(err, "empty"), "%s", err);
	CHECK(rec_open(&rd, "hello world, not a record at all......................................", 60,
		       &info, err, sizeof(err)) < 0 && strstr(err, "not a cowtrace record"), "%s", err);
	CHECK(rec_open(&rd, buf, 20, &info, err, sizeof(err)) < 0 && strstr(err, "truncated header"),
	      "%s", err);
	CHECK(rec_open(&rd, buf, hdr - 1, &info, err, sizeof(err)) < 0 && strstr(err, "truncated header"),
	      "%s", err);
	memcpy(bad, buf, len);
	bad[8] = CT_REC_VERSION + 1;
	CHECK(rec_open(&rd, bad, len, &info, err, sizeof(err)) < 0 && strstr(err, "version 4"), "%s", err);
	bad[8] = 0;
	CHECK(rec_open(&rd, bad, len, &info, err, sizeof(err)) < 0 && strstr(err, "version 0"), "%s", err);
	memcpy(bad, buf, len);
	bad[16] = 56; /* an older event size */
	CHECK(rec_open(&rd, bad, len, &info, err, sizeof(err)) < 0 && strstr(err, "event size 56"),
	      "%s", err);
	/* Cut inside the first event: nothing before it, then the error. */
	CHECK(rec_open(&rd, buf, hdr + 8 + 20, &info, err, sizeof(err)) == 0, "%s", err);
	r = rec_next(&rd, &rec, err, sizeof(err));
	CHECK(r < 0 && strstr(err, "cut mid-record"), "r=%d %s", r, err);
	/* Cut inside the cgroup record: the event first, then the error. */
	CHECK(rec_open(&rd, buf, hdr + 72 + 12, &info, err, sizeof(err)) == 0, "%s", err);
	n = 0;
	while ((r = rec_next(&rd, &rec, err, sizeof(err))) > 0)
		n++;
	CHECK(n == 1 && r < 0 && strstr(err, "cut mid-record"), "n=%d r=%d %s", n, r, err);
	CHECK_EQ(rd.records, 1);
	/* A non-zero reserved field is corruption, not a record. */
	memcpy(bad, buf, len);
	bad[hdr + 72 + 4] = 1;
	CHECK(rec_open(&rd, bad, len, &info, err, sizeof(err)) == 0, "%s", err);
	n = 0;
	while ((r = rec_next(&rd, &rec, err, sizeof(err))) > 0)
		n++;
	CHECK(n == 1 && r < 0 && strstr(err, "corrupted record"), "n=%d r=%d %s", n, r, err);
	/* An event record of the wrong length. */
	memcpy(bad, buf, len);
	bad[hdr + 2] = 63;
	CHECK(rec_open(&rd, bad, len, &info, err, sizeof(err)) == 0, "%s", err);
	r = rec_next(&rd, &rec, err, sizeof(err));
	CHECK(r < 0 && strstr(err, "corrupted record"), "r=%d %s", r, err);
	/* An unknown record type is skipped: the event after it still comes. */
	memcpy(bad, buf, len);
	bad[hdr] = 9; /* the event becomes type 9 */
	CHECK(rec_open(&rd, bad, len, &info, err, sizeof(err)) == 0, "%s", err);
	r = rec_next(&rd, &rec, err, sizeof(err));
	CHECK(r == 1 && rec.type == CT_REC_CGROUP, "r=%d type %d", r, rec.type);
	free(bad);
	free(buf);
}

/* Version 2: the kernel's process records, histograms and misses come back as written. */
TEST(record_kernel_records)
{
	struct ct_misses m = { .known = true, .n = 2 };
	struct ct_proc_rec pr;
	struct ct_hist_rec hr;
	struct ct_fork_rec fr;
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	struct ct_rec rec;
	struct ct_plan pl;
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n = 0, r;

	memset(&pr, 0, sizeof(pr));
	pr.type = CT_REC_TYPE_PROC;
	pr.pid = 42;
	pr.start_ns = 123;
	pr.c[CT_C_WP + CT_WP_COPY_KSM] = 9;
	pr.seg_side = CT_SEG_PARENT;
	snprintf(pr.comm, sizeof(pr.comm), "ksmd-ish");
	memset(&hr, 0, sizeof(hr));
	hr.type = CT_REC_TYPE_HIST;
	hr.pid = 42;
	hr.id = CT_H_FORK_TO_COPY;
	hr.h.slot[CT_HIST_SLOTS - 1] = 5;
	fr = (struct ct_fork_rec){ .fork_ns = 10, .enter_ns = 9, .exit_ns = 30, .cpr_ns = 15, .pgtables_bytes = 8192,
				   .rss = { 1, 2, 3, 4 }, .parent = 42, .child = 43, .vmas = 17,
				   .type = CT_REC_TYPE_FORK, .known = CT_FK_DURATION | CT_FK_MM };
	m.m[0] = (struct ct_miss){ .prog = "fx_wp", .hook = "do_wp_page", .missed = 17, .stats = 3 };
	m.m[1] = (struct ct_miss){ .prog = "fe_wp", .hook = "do_wp_page", .missed = 0, .stats = 3 };
	plan_fentry(&pl);
	CHECK(f && rec_write_header(f, &pl, 4096, 1, 2) == 0, "header");
	CHECK(rec_write_proc(f, &pr) == 0 && rec_write_hist(f, &hr) == 0, "proc, hist");
	CHECK(rec_write_fork(f, &fr) == 0, "fork");
	CHECK(rec_write_misses(f, &m) == 0, "misses");
	fclose(f);
	CHECK(rec_open(&rd, buf, len, &info, err, sizeof(err)) == 0, "rec_open: %s", err);
	CHECK_EQ(info.version, 3);
	while ((r = rec_next(&rd, &rec, err, sizeof(err))) > 0) {
		if (n == 0) {
			CHECK_EQ(rec.type, CT_REC_PROC);
			CHECK(!memcmp(&rec.proc, &pr, sizeof(pr)), "process record differs");
		} else if (n == 1) {
			CHECK_EQ(rec.type, CT_REC_HIST);
			CHECK(!memcmp(&rec.hist, &hr, sizeof(hr)), "histogram record differs");
		} else if (n == 2) {
			CHECK_EQ(rec.type, CT_REC_FORK);
			CHECK(!memcmp(&rec.fork, &fr, sizeof(fr)), "fork record differs");
		} else {
			CHECK_EQ(rec.type, CT_REC_MISS);
			CHECK_STR(rec.miss.prog, m.m[n - 3].prog);
			CHECK_STR(rec.miss.hook, "do_wp_page");
			CHECK_EQ(rec.miss.missed, m.m[n - 3].missed);
			CHECK_EQ(rec.miss.stats, 3);
			CHECK(rec.miss_known, "known");
		}
		n++;
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(n, 5);
	/* a process record of the wrong length is damage, not a record */
	buf[CT_REC_FIXED_LEN + *(uint32_t *)(buf + 40) + 2] = 100;
	CHECK(rec_open(&rd, buf, len, &info, err, sizeof(err)) == 0, "rec_open: %s", err);
	r = rec_next(&rd, &rec, err, sizeof(err));
	CHECK(r < 0 && strstr(err, "corrupted record"), "r=%d %s", r, err);
	free(buf);
}

/*
 * Format 3 reads by name: a header whose process records hold a counter
 * this version does not know (in the middle), lack one it knows, and list
 * the mapping classes in another order, written by hand as a later cowtrace
 * would; a miss record's statistics by name, an unknown one among them.
 */
/* A file's header of this format with this text (page size 4096); its length. */
static size_t vn_header(uint8_t *buf, uint32_t version, const char *text, size_t len)
{
	uint32_t u32;

	memcpy(buf, CT_REC_MAGIC, 8);
	u32 = version; memcpy(buf + 8, &u32, 4);
	u32 = (uint32_t)(CT_REC_FIXED_LEN + len); memcpy(buf + 12, &u32, 4);
	u32 = sizeof(struct ct_event); memcpy(buf + 16, &u32, 4);
	u32 = 4096; memcpy(buf + 20, &u32, 4);
	u32 = (uint32_t)len; memcpy(buf + 40, &u32, 4);
	memcpy(buf + CT_REC_FIXED_LEN, text, len);
	return CT_REC_FIXED_LEN + len;
}

static size_t v3_header(uint8_t *buf, const char *text, size_t len)
{
	return vn_header(buf, 3, text, len);
}

/* One record of this type and payload at buf + off; the offset after it. */
static size_t put_raw(uint8_t *buf, size_t off, uint16_t type, const void *p, uint16_t len)
{
	memcpy(buf + off, &type, 2);
	memcpy(buf + off + 2, &len, 2);
	memset(buf + off + 4, 0, 4);
	memcpy(buf + off + 8, p, len);
	return off + 8 + len;
}

TEST(record_v3_by_name)
{
	static const char text[] = "kernel=test\nmode=fentry\n"
				   "counters=reuse,wp_future,copy_anon,forks,map_heap\n"
				   "maps=thp,heap\n"
				   "stat=reuse\tdo_wp_page\tfentry\texact\t\n";
	const size_t mid = offsetof(struct ct_proc_rec, seg_map) - offsetof(struct ct_proc_rec, start_ns);
	const size_t tail = sizeof(struct ct_proc_rec) - offsetof(struct ct_proc_rec, pid);
	uint8_t buf[4096] = { 0 }, *p;
	uint32_t u32;
	uint64_t v;
	size_t off = 0, plen = 5 * 8 + mid + 2 * 8 + tail;
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	static struct ct_rec rec;
	char err[256];
	uint16_t t16;
	struct rec_miss_v3 {
		uint64_t missed;
		uint32_t stats, known;
		char prog[24], hook[64];
	} mx = { .missed = 9, .known = 1, .prog = "fx_wp", .hook = "do_wp_page" };
	const char names[] = "copy,wp_future,reuse";

	off = v3_header(buf, text, sizeof(text) - 1);
	/* the process record: reuse 11, wp_future 99, copy_anon 22, forks 3, map_heap 7; seg_map thp 5, heap 6 */
	t16 = CT_REC_PROC; memcpy(buf + off, &t16, 2);
	t16 = (uint16_t)plen; memcpy(buf + off + 2, &t16, 2);
	p = buf + off + 8;
	v = 11; memcpy(p, &v, 8);
	v = 99; memcpy(p + 8, &v, 8);
	v = 22; memcpy(p + 16, &v, 8);
	v = 3; memcpy(p + 24, &v, 8);
	v = 7; memcpy(p + 32, &v, 8);
	v = 1234; memcpy(p + 40, &v, 8); /* start_ns */
	v = 5; memcpy(p + 40 + mid, &v, 8);
	v = 6; memcpy(p + 48 + mid, &v, 8);
	u32 = 4242; memcpy(p + 56 + mid, &u32, 4); /* pid */
	off += 8 + plen;
	t16 = CT_REC_MISS; memcpy(buf + off, &t16, 2);
	t16 = (uint16_t)(sizeof(mx) + sizeof(names) - 1); memcpy(buf + off + 2, &t16, 2);
	memcpy(buf + off + 8, &mx, sizeof(mx));
	memcpy(buf + off + 8 + sizeof(mx), names, sizeof(names) - 1);
	off += 8 + sizeof(mx) + sizeof(names) - 1;

	CHECK(rec_open(&rd, buf, off, &info, err, sizeof(err)) == 0, "rec_open: %s", err);
	CHECK_EQ(info.version, 3);
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) == 1, "process record: %s", err);
	CHECK_EQ(rec.type, CT_REC_PROC);
	CHECK_EQ(rec.proc.c[CT_C_WP + CT_WP_REUSE], 11);
	CHECK_EQ(rec.proc.c[CT_C_WP + CT_WP_COPY_ANON], 22);
	CHECK_EQ(rec.proc.c[CT_C_FORKS], 3);
	CHECK_EQ(rec.proc.c[CT_C_MAP + CT_MAP_HEAP], 7);
	CHECK_EQ(rec.proc.c[CT_C_WP + CT_WP_COPY_ZERO], 0); /* not in the file */
	CHECK_EQ(rec.proc.start_ns, 1234);
	CHECK_EQ(rec.proc.seg_map[CT_MAP_THP], 5);
	CHECK_EQ(rec.proc.seg_map[CT_MAP_HEAP], 6);
	CHECK_EQ(rec.proc.pid, 4242);
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) == 1, "miss record: %s", err);
	CHECK_EQ(rec.type, CT_REC_MISS);
	CHECK_EQ(rec.miss.missed, 9);
	CHECK_EQ(rec.miss.stats, STAT_BIT(ST_COPY) | STAT_BIT(ST_REUSE));
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) == 0, "the end: %s", err);
	/* a format-3 header without its counters line is refused */
	{
		static const char bad[] = "kernel=test\nmode=fentry\n";

		u32 = CT_REC_FIXED_LEN + sizeof(bad) - 1; memcpy(buf + 12, &u32, 4);
		u32 = sizeof(bad) - 1; memcpy(buf + 40, &u32, 4);
		memcpy(buf + CT_REC_FIXED_LEN, bad, sizeof(bad) - 1);
		CHECK(rec_open(&rd, buf, CT_REC_FIXED_LEN + sizeof(bad) - 1, &info, err, sizeof(err)) < 0 &&
		      strstr(err, "counters"), "%s", err);
	}
}

/*
 * A header's hists= line names what a histogram record's id means: a file
 * that put fork_to_copy first, and a histogram this version does not have,
 * reads into today's ids, the unknown one skipped.
 */
TEST(record_hists_by_name)
{
	static const char text[] = "kernel=test\nmode=fentry\ncounters=reuse\n"
				   "hists=fork_to_copy,fork_future,wp_latency.copy\n";
	uint8_t buf[4096] = { 0 };
	size_t off;
	uint16_t t16;
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	static struct ct_rec rec;
	char err[256];

	off = v3_header(buf, text, sizeof(text) - 1);
	for (uint16_t id = 0; id < 3; id++) { /* the file's ids 0, 1, 2; its sums 100, 101, 102 */
		struct ct_hist_rec h = { .pid = 7, .type = CT_REC_TYPE_HIST, .id = id };

		h.h.sum = 100 + id;
		t16 = CT_REC_HIST; memcpy(buf + off, &t16, 2);
		t16 = sizeof(h); memcpy(buf + off + 2, &t16, 2);
		memcpy(buf + off + 8, &h, sizeof(h));
		off += 8 + sizeof(h);
	}
	CHECK(rec_open(&rd, buf, off, &info, err, sizeof(err)) == 0, "rec_open: %s", err);
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) == 1, "first histogram: %s", err);
	CHECK_EQ(rec.type, CT_REC_HIST);
	CHECK_EQ(rec.hist.id, CT_H_FORK_TO_COPY);
	CHECK_EQ(rec.hist.h.sum, 100);
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) == 1, "third histogram (the second skipped): %s", err);
	CHECK_EQ(rec.hist.id, CT_H_LAT_COPY);
	CHECK_EQ(rec.hist.h.sum, 102);
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) == 0, "the end: %s", err);
	/* and a file this version writes names every histogram, in today's order */
	{
		char *hdr = NULL;
		size_t hlen = 0;
		FILE *f = open_memstream(&hdr, &hlen);
		struct ct_plan pl;
		char name[64], *line;

		memset(&pl, 0, sizeof(pl));
		CHECK(f && rec_write_header(f, &pl, 4096, 1, 2) == 0 && !fclose(f), "rec_write_header");
		line = hdr ? memmem(hdr, hlen, "\nhists=", 7) : NULL;
		CHECK(line != NULL, "no hists= line in the header");
		for (int h = 0; line && h < CT_H_MAX; h++) {
			ct_hist_name(h, name, sizeof(name));
			line = strstr(line, name);
			CHECK(line != NULL, "histogram %s not in the hists= line, in order", name);
		}
		free(hdr);
	}
}

/*
 * Files without a hists= line (format 2, and format 3 before it) used the
 * ids of their day: fork_to_copy was 8, before fork_duration came.  A
 * format-2 miss record's bits are the statistics of its stat= lines, in
 * their order: wp_latency was bit 2 of this file's three.
 */
TEST(record_old_ids_by_their_day)
{
	static const char v3[] = "kernel=test\nmode=fentry\ncounters=reuse\n";
	static const char v2[] = "kernel=test\nmode=fentry\n"
				 "stat=reuse\tdo_wp_page\tfentry\texact\t\n"
				 "stat=copy\tdo_wp_page\tfentry\texact\t\n"
				 "stat=wp_latency\tdo_wp_page\tfentry\texact\t\n";
	struct ct_hist_rec h = { .pid = 7, .type = CT_REC_TYPE_HIST, .id = 8 };
	struct { uint64_t missed; uint32_t stats, known; char prog[24], hook[64]; } mx = {
		.missed = 4, .stats = 1u << 2 | 1u << 0, .known = 1, .prog = "fx_wp", .hook = "do_wp_page" };
	static uint8_t buf[4096];
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	static struct ct_rec rec;
	char err[256];
	size_t off;

	h.h.sum = 77;
	off = put_raw(buf, v3_header(buf, v3, sizeof(v3) - 1), CT_REC_HIST, &h, sizeof(h));
	h.id = 9; /* no such id then: skipped */
	off = put_raw(buf, off, CT_REC_HIST, &h, sizeof(h));
	CHECK(rec_open(&rd, buf, off, &info, err, sizeof(err)) == 0, "rec_open: %s", err);
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) == 1, "histogram: %s", err);
	CHECK_EQ(rec.hist.id, CT_H_FORK_TO_COPY);
	CHECK_EQ(rec.hist.h.sum, 77);
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) == 0, "the end (id 9 skipped): %s", err);

	memset(buf, 0, sizeof(buf));
	off = put_raw(buf, vn_header(buf, 2, v2, sizeof(v2) - 1), CT_REC_MISS, &mx, sizeof(mx));
	CHECK(rec_open(&rd, buf, off, &info, err, sizeof(err)) == 0, "rec_open: %s", err);
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) == 1, "miss record: %s", err);
	CHECK_EQ(rec.type, CT_REC_MISS);
	CHECK_EQ(rec.miss.stats, STAT_BIT(ST_WP_LATENCY) | STAT_BIT(ST_REUSE));
}

/* A fork record shorter than today's (an older writer) has its tail 0; a longer one's tail is skipped. */
TEST(record_fork_lengths)
{
	static const char v3[] = "kernel=test\nmode=fentry\ncounters=reuse\n";
	struct ct_fork_rec fr = { .fork_ns = 5, .enter_ns = 4, .exit_ns = 6, .cpr_ns = 1, .pgtables_bytes = 4096,
				  .rss = { 9, 9, 9, 9 }, .parent = 1, .child = 2, .vmas = 3,
				  .type = CT_REC_TYPE_FORK, .known = CT_FK_MM };
	uint8_t longer[sizeof(fr) + 8] = { 0 };
	static uint8_t buf[4096];
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	static struct ct_rec rec;
	char err[256];
	size_t off, cut = offsetof(struct ct_fork_rec, rss);

	memcpy(longer, &fr, sizeof(fr));
	memset(longer + sizeof(fr), 0xee, 8);
	off = v3_header(buf, v3, sizeof(v3) - 1);
	off = put_raw(buf, off, CT_REC_FORK, &fr, (uint16_t)cut);
	off = put_raw(buf, off, CT_REC_FORK, longer, sizeof(longer));
	off = put_raw(buf, off, CT_REC_FORK, &fr, (uint16_t)(cut - 8));
	CHECK(rec_open(&rd, buf, off, &info, err, sizeof(err)) == 0, "rec_open: %s", err);
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) == 1, "short record: %s", err);
	CHECK_EQ(rec.fork.pgtables_bytes, 4096);
	CHECK_EQ(rec.fork.rss[0], 0);
	CHECK_EQ(rec.fork.child, 0);
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) == 1, "long record: %s", err);
	CHECK(!memcmp(&rec.fork, &fr, sizeof(fr)), "the long record's first %zu bytes differ", sizeof(fr));
	CHECK(rec_next(&rd, &rec, err, sizeof(err)) < 0 && strstr(err, "corrupted"), "too short: %s", err);
}
