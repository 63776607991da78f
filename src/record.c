// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "record.h"

static int put(FILE *f, const void *p, size_t n)
{
	if (fwrite(p, 1, n, f) != n)
		return errno ? -errno : -EIO;
	return 0;
}

static int put_rec(FILE *f, uint16_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	uint16_t hdr[2] = { type, (uint16_t)(alen + blen) };
	uint32_t zero = 0;
	int err;

	if ((err = put(f, hdr, sizeof(hdr))) || (err = put(f, &zero, sizeof(zero))) ||
	    (err = put(f, a, alen)))
		return err;
	return blen ? put(f, b, blen) : 0;
}

/* Tabs and newlines would break the "stat=" line: write them as spaces. */
static void put_field(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' ? ' ' : *s, f);
}

int rec_write_header(FILE *f, const struct ct_plan *plan, uint32_t page_size,
		     uint64_t start_mono_ns, uint64_t start_real_ns)
{
	char *text = NULL;
	size_t text_len = 0;
	FILE *t = open_memstream(&text, &text_len);
	uint32_t u32[6];
	uint64_t u64[2] = { start_mono_ns, start_real_ns };
	int err;

	if (!t)
		return -errno;
	fprintf(t, "kernel=");
	put_field(t, plan->kernel);
	fprintf(t, "\nmode=%s\n", ct_mode_name(plan->mode));
	/* the process record's counters and mapping classes, in its order: read by name */
	fprintf(t, "counters=");
	for (int c = 0; c < CT_C_MAX; c++)
		fprintf(t, "%s%s", c ? "," : "", ct_counter_name(c));
	fprintf(t, "\nmaps=");
	for (int m = 0; m < CT_MAP_MAX; m++)
		fprintf(t, "%s%s", m ? "," : "", ct_map_name(m));
	/* and the histograms a histogram record's id names */
	fprintf(t, "\nhists=");
	for (int h = 0; h < CT_H_MAX; h++) {
		char name[64];

		ct_hist_name(h, name, sizeof(name));
		fprintf(t, "%s%s", h ? "," : "", name);
	}
	fputc('\n', t);
	if (plan->stacks)
		fprintf(t, "stacks=%u\n", plan->stacks);
	for (int s = 0; s < ST_MAX; s++) {
		const struct ct_probe *p = &plan->st[s];

		fprintf(t, "stat=%s\t", ct_stat_name(s));
		put_field(t, p->hook);
		fprintf(t, "\t%s\t%s\t", ct_mode_name(p->mode), ct_quality_name(p->quality));
		put_field(t, p->reason);
		fputc('\n', t);
	}
	if (fclose(t)) {
		free(text);
		return -ENOMEM;
	}
	u32[0] = CT_REC_VERSION;
	u32[1] = (uint32_t)(CT_REC_FIXED_LEN + text_len);
	u32[2] = sizeof(struct ct_event);
	u32[3] = page_size;
	err = put(f, CT_REC_MAGIC, 8);
	if (!err)
		err = put(f, u32, 4 * sizeof(uint32_t));
	if (!err)
		err = put(f, u64, sizeof(u64));
	u32[4] = (uint32_t)text_len;
	u32[5] = 0;
	if (!err)
		err = put(f, &u32[4], 2 * sizeof(uint32_t));
	if (!err)
		err = put(f, text, text_len);
	free(text);
	return err;
}

int rec_write_event(FILE *f, const struct ct_event *e)
{
	return put_rec(f, CT_REC_EVENT, e, sizeof(*e), NULL, 0);
}

int rec_write_cgroup(FILE *f, uint64_t id, const char *path)
{
	size_t n = strlen(path);

	if (n > CT_REC_MAX_LEN - sizeof(id))
		n = CT_REC_MAX_LEN - sizeof(id);
	return put_rec(f, CT_REC_CGROUP, &id, sizeof(id), path, n);
}

int rec_write_stats(FILE *f, uint64_t lost, uint64_t unclassified, uint64_t end_mono_ns,
		    uint64_t settled)
{
	uint64_t v[4] = { lost, unclassified, end_mono_ns, settled };

	return put_rec(f, CT_REC_STATS, v, sizeof(v), NULL, 0);
}

int rec_write_proc(FILE *f, const struct ct_proc_rec *r)
{
	return put_rec(f, CT_REC_PROC, r, sizeof(*r), NULL, 0);
}

int rec_write_hist(FILE *f, const struct ct_hist_rec *r)
{
	return put_rec(f, CT_REC_HIST, r, sizeof(*r), NULL, 0);
}

int rec_write_fork(FILE *f, const struct ct_fork_rec *r)
{
	return put_rec(f, CT_REC_FORK, r, sizeof(*r), NULL, 0);
}

/* The on-disk miss record: fixed layout, independent of struct ct_miss's. */
struct rec_miss {
	uint64_t missed;
	uint32_t stats, known;   /* format 2: bit per enum ct_stat; format 3: 0, the names follow */
	char prog[24], hook[64];
};

int rec_write_misses(FILE *f, const struct ct_misses *m)
{
	for (int i = 0; m && i < m->n; i++) {
		struct rec_miss x = { .missed = m->m[i].missed, .known = m->known };
		char names[ST_MAX * 24] = "";
		int err;

		snprintf(x.prog, sizeof(x.prog), "%s", m->m[i].prog);
		snprintf(x.hook, sizeof(x.hook), "%s", m->m[i].hook);
		/* the statistics it feeds, by name (format 3) */
		for (int s = 0; s < ST_MAX; s++)
			if (m->m[i].stats & STAT_BIT(s))
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 names[0] ? "," : "", ct_stat_name(s));
		if ((err = put_rec(f, CT_REC_MISS, &x, sizeof(x), names, strlen(names))))
			return err;
	}
	return 0;
}

/* The on-disk stack record's fixed part. */
struct rec_stack {
	uint32_t pid;
	uint16_t kind;
	uint8_t map, execs;
	uint64_t start_ns, pages, ino;
	char comm[CT_COMM_LEN];
	uint16_t frames_len, file_len;
	uint32_t zero;
};
_Static_assert(sizeof(struct rec_stack) == CT_REC_STACK_FIXED, "stack record layout");

int rec_write_stack(FILE *f, const struct ct_stack *s)
{
	struct rec_stack x = { .pid = s->id.pid, .kind = s->id.kind, .map = s->id.map, .execs = s->id.execs,
			       .start_ns = s->id.start_ns, .pages = s->pages, .ino = s->id.ino };
	static const char cut[] = "[outer frames cut]";
	size_t fl = s->file ? strnlen(s->file, 4096) : 0, room = CT_REC_MAX_LEN - sizeof(x) - fl;
	const char *fr = s->frames;
	size_t n = strlen(fr);
	char *buf;
	int err;

	memcpy(x.comm, s->comm, sizeof(x.comm));
	if (n > room) { /* keep the innermost frames: they say who wrote */
		const char *p = fr + n - (room - sizeof(cut));

		while (*p && *p != ';')
			p++;
		fr = *p ? p : fr + n;
		n = strlen(fr); /* ";inner..." */
		buf = malloc(sizeof(cut) - 1 + n + 1);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, cut, sizeof(cut) - 1);
		memcpy(buf + sizeof(cut) - 1, fr, n + 1);
	} else {
		buf = malloc(n + fl + 1);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, fr, n + 1);
	}
	n = strlen(buf);
	x.frames_len = (uint16_t)n;
	x.file_len = (uint16_t)fl;
	/* frames then file, one payload */
	{
		char *all = realloc(buf, n + fl + 1);

		if (!all) {
			free(buf);
			return -ENOMEM;
		}
		buf = all;
		if (fl)
			memcpy(buf + n, s->file, fl);
	}
	err = put_rec(f, CT_REC_STACK, &x, sizeof(x), buf, n + fl);
	free(buf);
	return err;
}

/* ---- reader ---- */

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int enum_from(const char *s, const char *(*name)(int), int max)
{
	for (int i = 0; i < max; i++)
		if (!strcmp(s, name(i)))
			return i;
	return -1;
}

static const char *mode_name(int m) { return ct_mode_name(m); }
static const char *quality_name(int q) { return ct_quality_name(q); }

static void copy_field(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

/* One "stat=NAME\tHOOK\tMODE\tQUALITY\tREASON" line (NUL-terminated, no '\n'). */
static int parse_stat(struct ct_plan *plan, struct ct_rec_reader *r, char *line, char *err, size_t errlen)
{
	char *f[5];
	int n = 0, s, m, q;

	for (char *p = line; n < 5; n++) {
		f[n] = p;
		p = strchr(p, '\t');
		if (!p) {
			n++;
			break;
		}
		*p++ = 0;
	}
	if (n != 5)
		return fail(err, errlen, "malformed header: stat line for '%.32s' has %d fields, expected 5",
			    f[0], n);
	s = ct_stat_from_name(f[0]);
	if (r->nstats < CT_REC_MAX_COUNTERS) /* the writer's order: a format-2 miss record's bits */
		r->stat_at[r->nstats++] = (int8_t)s;
	m = enum_from(f[2], mode_name, MODE_TRACEPOINT + 1);
	q = enum_from(f[3], quality_name, Q_EXACT + 1);
	if (s < 0)
		return 0; /* a statistic this version does not know: ignore */
	if (m < 0 || q < 0)
		return fail(err, errlen, "malformed header: statistic '%s' has mode '%.16s' quality '%.16s'",
			    f[0], f[2], f[3]);
	copy_field(plan->st[s].hook, sizeof(plan->st[s].hook), f[1]);
	plan->st[s].mode = m;
	plan->st[s].quality = q;
	copy_field(plan->st[s].reason, sizeof(plan->st[s].reason), f[4]);
	return 0;
}

/* "a,b,c": where each name is in today's order (name(i), i < max), -1 if unknown; how many, or -1. */
static int parse_names(char *list, const char *(*name)(int), int max, int8_t *at)
{
	char *save = NULL;
	int n = 0;

	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == CT_REC_MAX_COUNTERS)
			return -1;
		at[n++] = (int8_t)enum_from(tok, name, max);
	}
	return n;
}

static const char *counter_name(int c) { return ct_counter_name(c); }
static const char *map_name(int m) { return ct_map_name(m); }
static const char *hist_name(int h)
{
	static char names[CT_H_MAX][64];

	if (!names[h][0])
		ct_hist_name(h, names[h], sizeof(names[h]));
	return names[h];
}

static int parse_text(struct ct_plan *plan, struct ct_rec_reader *r, const uint8_t *buf, size_t len,
		      char *err, size_t errlen)
{
	char *text = malloc(len + 1), *line, *save = NULL;
	int ret = 0, m;

	if (!text)
		return fail(err, errlen, "out of memory");
	memcpy(text, buf, len);
	text[len] = 0;
	if (strlen(text) != len) {
		free(text);
		return fail(err, errlen, "malformed header: NUL byte in the header text");
	}
	/* Statistics the file does not describe are unavailable. */
	for (int s = 0; s < ST_MAX; s++)
		plan_set(plan, s, "", MODE_NONE, Q_UNAVAILABLE, "not in the record's probe plan");
	for (line = strtok_r(text, "\n", &save); line && !ret; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "kernel=", 7)) {
			copy_field(plan->kernel, sizeof(plan->kernel), line + 7);
		} else if (!strncmp(line, "mode=", 5)) {
			if ((m = enum_from(line + 5, mode_name, MODE_TRACEPOINT + 1)) < 0)
				ret = fail(err, errlen, "malformed header: mode '%.16s'", line + 5);
			else
				plan->mode = m;
		} else if (!strncmp(line, "stacks=", 7)) {
			plan->stacks = (uint32_t)strtoul(line + 7, NULL, 10) & ((1u << CT_WP_KIND_MAX) - 1);
		} else if (!strncmp(line, "counters=", 9)) {
			if ((r->ncounters = parse_names(line + 9, counter_name, CT_C_MAX, r->counter_at)) < 1)
				ret = fail(err, errlen, "malformed header: counters '%.32s'", line + 9);
		} else if (!strncmp(line, "maps=", 5)) {
			if ((r->nmaps = parse_names(line + 5, map_name, CT_MAP_MAX, r->map_at)) < 0)
				ret = fail(err, errlen, "malformed header: maps '%.32s'", line + 5);
		} else if (!strncmp(line, "hists=", 6)) {
			if ((r->nhists = parse_names(line + 6, hist_name, CT_H_MAX, r->hist_at)) < 1)
				ret = fail(err, errlen, "malformed header: hists '%.32s'", line + 6);
		} else if (!strncmp(line, "stat=", 5)) {
			ret = parse_stat(plan, r, line + 5, err, errlen);
		} /* other keys: written by a newer cowtrace of the same version, ignored */
	}
	free(text);
	return ret;
}

static void describe_v2(struct ct_rec_reader *r);
static void describe_hists_v2(struct ct_rec_reader *r);

int rec_open(struct ct_rec_reader *r, const void *buf, size_t len, struct ct_rec_info *info,
	     char *err, size_t errlen)
{
	const uint8_t *b = buf;
	uint32_t header_len, event_size, text_len;

	memset(r, 0, sizeof(*r));
	memset(info, 0, sizeof(*info));
	if (len == 0)
		return fail(err, errlen, "empty file, not a cowtrace record");
	if (len < 8 || memcmp(b, CT_REC_MAGIC, 8))
		return fail(err, errlen, "not a cowtrace record (no \"%s\" magic at the start)", CT_REC_MAGIC);
	if (len < CT_REC_FIXED_LEN)
		return fail(err, errlen, "truncated header: %zu of at least %d bytes", len, CT_REC_FIXED_LEN);
	info->version = get32(b + 8);
	if (info->version < 1 || info->version > CT_REC_VERSION)
		return fail(err, errlen, "record format version %u, this cowtrace reads versions 1 to %d",
			    info->version, CT_REC_VERSION);
	header_len = get32(b + 12);
	event_size = get32(b + 16);
	info->page_size = get32(b + 20);
	info->start_mono_ns = get64(b + 24);
	info->start_real_ns = get64(b + 32);
	text_len = get32(b + 40);
	if (event_size != sizeof(struct ct_event))
		return fail(err, errlen, "event size %u in the header, expected %zu", event_size,
			    sizeof(struct ct_event));
	if (text_len > CT_REC_MAX_TEXT || header_len != CT_REC_FIXED_LEN + text_len)
		return fail(err, errlen, "malformed header: header length %u, text length %u",
			    header_len, text_len);
	if (info->page_size < 512 || info->page_size > (1u << 24) ||
	    (info->page_size & (info->page_size - 1)))
		return fail(err, errlen, "malformed header: page size %u", info->page_size);
	if (len < header_len)
		return fail(err, errlen, "truncated header: %zu of %u bytes", len, header_len);
	if (parse_text(&info->plan, r, b + CT_REC_FIXED_LEN, text_len, err, errlen))
		return -1;
	if (info->version >= 3 && !r->ncounters)
		return fail(err, errlen, "malformed header: format 3 without its counters line");
	if (info->version < 3)
		describe_v2(r);
	if (!r->nhists)
		describe_hists_v2(r);
	r->buf = b;
	r->len = len;
	r->off = header_len;
	return 0;
}

/*
 * A process record is its counters (c[]), the fields start_ns ..
 * seg_last_ns, the segment's copies by mapping class (seg_map[]), then pid
 * .. comm, whose layout every format has kept.  Format 3 names the
 * counters and the mapping classes in its header, in the order its records
 * store them; each is read into its place today by name, one this version
 * does not know is skipped, one the file does not have stays 0 (the
 * record's plan says whether it was available).
 *
 * Format 2 stored the BPF side's ct_proc_rec raw, and it grew twice; its
 * layouts, told by their size, are described here the same way:
 *   224 bytes (aa92f64..e816776): 15 counters, uffd without sigbus, no
 *       copies by mapping;
 *   232 bytes (ebe8064): 16 counters (uffd_sigbus), no copies by mapping;
 *   328 bytes (6175bdf..cowtrace 0.1's format 2): 22 counters and 6 mapping
 *       classes (execs was padding, 0, before f247f03).
 */
_Static_assert(sizeof(struct ct_proc_rec) - offsetof(struct ct_proc_rec, pid) == 32 &&
	       offsetof(struct ct_proc_rec, seg_map) - offsetof(struct ct_proc_rec, start_ns) == 72,
	       "the process record's fixed fields moved: a new record format, and read the old ones");

#define V2_COUNTERS_224 "reuse", "copy_anon", "copy_zero", "copy_file", "copy_ksm", "unshare", "shared_reuse", \
	"thp_reuse", "thp_split", "uffd_missing", "uffd_wp", "uffd_minor"
static const char *const v2_counters[] = { V2_COUNTERS_224, "uffd_sigbus", "pinned_cow", "marker_install", "forks",
					   "map_heap", "map_stack", "map_anon", "map_file", "map_shmem", "map_thp" };
static const char *const v2_counters_224[] = { V2_COUNTERS_224, "pinned_cow", "marker_install", "forks" };
static const char *const v2_maps[] = { "heap", "stack", "anon", "file", "shmem", "thp" };

static void describe(const char *const *names, int n, const char *(*name)(int), int max, int8_t *at)
{
	for (int i = 0; i < n; i++)
		at[i] = (int8_t)enum_from(names[i], name, max);
}

static bool proc_read(struct ct_proc_rec *out, const uint8_t *p, size_t len, int nc, const int8_t *cat, int nm,
		      const int8_t *mat)
{
	const size_t mid = offsetof(struct ct_proc_rec, seg_map) - offsetof(struct ct_proc_rec, start_ns);
	const size_t tail = sizeof(*out) - offsetof(struct ct_proc_rec, pid);
	size_t at;

	if (len != (size_t)nc * 8 + mid + (size_t)nm * 8 + tail)
		return false;
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < nc; i++)
		if (cat[i] >= 0)
			out->c[cat[i]] = get64(p + 8 * i);
	at = (size_t)nc * 8;
	memcpy(&out->start_ns, p + at, mid);
	at += mid;
	for (int i = 0; i < nm; i++)
		if (mat[i] >= 0)
			out->seg_map[mat[i]] = get64(p + at + 8 * i);
	memcpy(&out->pid, p + at + (size_t)nm * 8, tail);
	return true;
}

/* Formats 1 and 2: where the counters of each layout are today, once per file (rec_open). */
static void describe_v2(struct ct_rec_reader *r)
{
	describe(v2_counters, sizeof(v2_counters) / sizeof(v2_counters[0]), counter_name, CT_C_MAX, r->v2_at);
	describe(v2_counters_224, sizeof(v2_counters_224) / sizeof(v2_counters_224[0]), counter_name, CT_C_MAX,
		 r->v2_224_at);
	describe(v2_maps, sizeof(v2_maps) / sizeof(v2_maps[0]), map_name, CT_MAP_MAX, r->v2_map_at);
}

/*
 * Files without a hists= line (format 2, and format 3 before 0453ecf) used
 * the ids of this list, fork_to_copy last.
 */
static const char *const v2_hists[] = { "wp_latency.reuse", "wp_latency.copy", "wp_latency.shared_reuse",
					"wp_latency.unshare", "wp_latency.thp", "uffd_blocked.missing",
					"uffd_blocked.wp", "uffd_blocked.minor", "fork_to_copy" };

static void describe_hists_v2(struct ct_rec_reader *r)
{
	r->nhists = sizeof(v2_hists) / sizeof(v2_hists[0]);
	describe(v2_hists, r->nhists, hist_name, CT_H_MAX, r->hist_at);
}

/* A format-2 miss record's bits: the statistics in the order of the file's stat= lines. */
static uint32_t stats_from_v2_bits(const struct ct_rec_reader *r, uint32_t bits)
{
	uint32_t out = 0;

	for (int i = 0; i < r->nstats && i < 32; i++)
		if ((bits & (1u << i)) && r->stat_at[i] >= 0)
			out |= STAT_BIT(r->stat_at[i]);
	return out;
}

static bool proc_from_record(const struct ct_rec_reader *r, struct ct_proc_rec *out, const uint8_t *p, size_t len)
{
	const int8_t *cat = r->v2_at;
	int nc = sizeof(v2_counters) / sizeof(v2_counters[0]), nm = sizeof(v2_maps) / sizeof(v2_maps[0]);

	if (r->ncounters) /* format 3 */
		return proc_read(out, p, len, r->ncounters, r->counter_at, r->nmaps, r->map_at);
	if (len == 224) {
		cat = r->v2_224_at;
		nc = sizeof(v2_counters_224) / sizeof(v2_counters_224[0]);
		nm = 0;
	} else if (len == 232) {
		nc = 16; /* the first 16 of today's list: up to uffd_sigbus, forks last */
		nm = 0;
	}
	if (!proc_read(out, p, len, nc, cat, nm, r->v2_map_at))
		return false;
	if (len < 328)
		out->execs = 0; /* padding then */
	return true;
}

int rec_next(struct ct_rec_reader *r, struct ct_rec *out, char *err, size_t errlen)
{
	for (;;) {
		const uint8_t *p = r->buf + r->off;
		size_t left = r->len - r->off;
		uint16_t type, len;

		if (left == 0)
			return 0;
		if (left < 8)
			return fail(err, errlen, "cut mid-record at byte %zu (%zu of 8 header bytes)", r->off,
				    left);
		memcpy(&type, p, 2);
		memcpy(&len, p + 2, 2);
		if (get32(p + 4) != 0 || len > CT_REC_MAX_LEN)
			return fail(err, errlen, "corrupted record at byte %zu (type %u, length %u)", r->off,
				    type, len);
		if (left - 8 < len)
			return fail(err, errlen, "cut mid-record at byte %zu (%zu of %u payload bytes)", r->off,
				    left - 8, len);
		p += 8;
		r->off += 8 + (size_t)len;
		out->type = type;
		switch (type) {
		case CT_REC_EVENT:
			if (len != sizeof(out->ev))
				goto bad_len;
			memcpy(&out->ev, p, sizeof(out->ev));
			break;
		case CT_REC_CGROUP:
			if (len < 8)
				goto bad_len;
			out->cgroup_id = get64(p);
			memcpy(out->path, p + 8, len - 8);
			out->path[len - 8] = 0;
			break;
		case CT_REC_STATS:
			if (len < 24)
				goto bad_len;
			out->lost = get64(p);
			out->unclassified = get64(p + 8);
			out->end_mono_ns = get64(p + 16);
			out->settled = len >= 32 ? get64(p + 24) : 0;
			break;
		case CT_REC_PROC:
			if (!proc_from_record(r, &out->proc, p, len))
				goto bad_len;
			break;
		case CT_REC_HIST:
			if (len != sizeof(out->hist))
				goto bad_len;
			memcpy(&out->hist, p, sizeof(out->hist));
			/* named in the header: today's id, or skipped if this version has no such histogram */
			if (out->hist.id >= r->nhists || r->hist_at[out->hist.id] < 0)
				continue;
			out->hist.id = (uint16_t)r->hist_at[out->hist.id];
			break;
		case CT_REC_FORK:
			/* an older writer's shorter record: its missing tail stays 0; a newer one's is skipped */
			if (len < offsetof(struct ct_fork_rec, rss))
				goto bad_len;
			memset(&out->fork, 0, sizeof(out->fork));
			memcpy(&out->fork, p, len < sizeof(out->fork) ? len : sizeof(out->fork));
			break;
		case CT_REC_MISS: {
			struct rec_miss x;

			if (r->ncounters ? len < sizeof(x) : len != sizeof(x))
				goto bad_len;
			memcpy(&x, p, sizeof(x));
			memset(&out->miss, 0, sizeof(out->miss));
			out->miss.missed = x.missed;
			out->miss.stats = stats_from_v2_bits(r, x.stats);
			if (r->ncounters) { /* format 3: the statistics by name; unknown ones skipped */
				char names[CT_REC_MAX_LEN + 1], *save = NULL;
				int st;

				memcpy(names, p + sizeof(x), len - sizeof(x));
				names[len - sizeof(x)] = 0;
				out->miss.stats = 0;
				for (char *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save))
					if ((st = ct_stat_from_name(t)) >= 0)
						out->miss.stats |= STAT_BIT(st);
			}
			out->miss_known = x.known;
			memcpy(out->miss.prog, x.prog, sizeof(out->miss.prog) - 1);
			memcpy(out->miss.hook, x.hook, sizeof(out->miss.hook) - 1);
			break;
		}
		case CT_REC_STACK: {
			struct rec_stack x;

			if (len < sizeof(x))
				goto bad_len;
			memcpy(&x, p, sizeof(x));
			if ((size_t)sizeof(x) + x.frames_len + x.file_len != len || x.file_len > 4096 ||
			    x.kind >= CT_WP_KIND_MAX || x.map > CT_MAP_MAX ||
			    memchr(p + sizeof(x), 0, x.frames_len + x.file_len))
				goto bad_len;
			memset(&out->stack, 0, sizeof(out->stack));
			out->stack.id = (struct ct_stack_id){ .pid = x.pid, .start_ns = x.start_ns, .kind = x.kind,
							      .map = x.map, .execs = x.execs, .ino = x.ino,
							      .ustack = (int32_t)r->records, .kstack = -9 };
			out->stack.pages = x.pages;
			memcpy(out->stack.comm, x.comm, sizeof(x.comm));
			out->stack.comm[CT_COMM_LEN - 1] = 0;
			memcpy(out->path, p + sizeof(x), x.frames_len);
			out->path[x.frames_len] = 0;
			out->stack.frames = out->path;
			memcpy(out->file, p + sizeof(x) + x.frames_len, x.file_len);
			out->file[x.file_len] = 0;
			out->stack.file = x.file_len ? out->file : NULL;
			break;
		}
		default:
			continue; /* unknown record type: skip */
		}
		r->records++;
		return 1;
bad_len:
		return fail(err, errlen, "corrupted record at byte %zu (type %u, length %u)",
			    r->off - 8 - len, type, len);
	}
}
