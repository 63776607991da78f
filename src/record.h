/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Record files (--record FILE, `cowtrace report FILE`): the raw event stream
 * with a versioned header.  Pure userspace, no libbpf; the reader parses a
 * memory buffer so the fuzzer and the tests drive it directly.
 *
 * Layout (all integers little-endian, as written by x86-64 / arm64):
 *
 *   header   "COWTRACE" magic[8], u32 version (CT_REC_VERSION), u32 header_len,
 *            u32 event_size (sizeof(struct ct_event)), u32 page_size,
 *            u64 start_mono_ns, u64 start_real_ns, u32 text_len, u32 reserved,
 *            then text_len bytes of "key=value\n" lines: kernel=, mode=, and
 *            one "stat=NAME\tHOOK\tMODE\tQUALITY\tREASON" line per statistic.
 *            header_len = 48 + text_len.
 *   records  u16 type, u16 len, u32 reserved (0), then len bytes of payload:
 *              CT_REC_EVENT   struct ct_event (len == event_size)
 *              CT_REC_CGROUP  u64 id, then the cgroup's path (no NUL)
 *              CT_REC_STATS   u64 lost_events, u64 unclassified, u64 end_mono_ns
 *                             (version 2: then u64 settled_faults)
 *            version 2 (the kernel counts; the records carry its counts):
 *              CT_REC_PROC    struct ct_proc_rec: at a fork, at exit, and at the
 *                             end for every process still alive
 *              CT_REC_HIST    struct ct_hist_rec: at exit, and at the end
 *              CT_REC_FORK    struct ct_fork_rec: when a fork call returned (after
 *                             its fork event); a shorter one (an older writer)
 *                             has its missing tail 0, a longer one's tail is
 *                             skipped
 *              CT_REC_MISS    u64 missed, u32 statistics (bits), u32 known,
 *                             char program[24], char hook[64]: at the end, one
 *                             per attached program
 *              CT_REC_STACK   --stacks, at the end, one per (process, stack, kind,
 *                             mapping): u32 pid, u16 kind, u8 map, u8 execs,
 *                             u64 start_ns, u64 pages, u64 inode, char comm[16],
 *                             u16 frames_len, u16 file_len, u32 0, then the frames
 *                             (named, "outer;...;inner") and the file's path
 *            The header text's "stacks=MASK" line: the kinds whose stacks were
 *            counted (bits of enum ct_wp_kind); none: --stacks was off.
 *            Unknown record types are skipped (forward compatible).
 *
 * Version 1 records hold one event per fault and no process records: their
 * report counts the events.  Version 2 records hold every fault's event too
 * (for the chart and --events), but the counts come from the process records.
 */
#ifndef COWTRACE_RECORD_H
#define COWTRACE_RECORD_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "cowtrace.h"
#include "plan.h"
#include "stacks.h"

#define CT_REC_MAGIC     "COWTRACE"
#define CT_REC_VERSION   3  /* written; 1 to 3 are read */
#define CT_REC_MAX_COUNTERS 64 /* counters and mapping classes a format-3 header may list */
#define CT_REC_FIXED_LEN 48
#define CT_REC_MAX_TEXT  (64 * 1024)
#define CT_REC_MAX_LEN   16384 /* largest record payload accepted */
#define CT_REC_STACK_FIXED 56  /* CT_REC_STACK's fixed part */

enum ct_rec_type {
	CT_REC_EVENT = 1, CT_REC_CGROUP = 2, CT_REC_STATS = 3, CT_REC_PROC = 4, CT_REC_HIST = 5,
	CT_REC_MISS = 6, CT_REC_STACK = 7, CT_REC_FORK = 8,
};

struct ct_rec_info {
	uint32_t version;
	uint32_t page_size;
	uint64_t start_mono_ns;
	uint64_t start_real_ns;
	struct ct_plan plan;     /* as the recording session had it */
};

/* Writer.  Each returns 0, or -errno (errno set). */
int rec_write_header(FILE *f, const struct ct_plan *plan, uint32_t page_size,
		     uint64_t start_mono_ns, uint64_t start_real_ns);
int rec_write_event(FILE *f, const struct ct_event *e);
int rec_write_cgroup(FILE *f, uint64_t id, const char *path);
int rec_write_stats(FILE *f, uint64_t lost, uint64_t unclassified, uint64_t end_mono_ns,
		    uint64_t settled);
int rec_write_proc(FILE *f, const struct ct_proc_rec *r);
int rec_write_hist(FILE *f, const struct ct_hist_rec *r);
int rec_write_fork(FILE *f, const struct ct_fork_rec *r);
int rec_write_misses(FILE *f, const struct ct_misses *m);
/* A named stack: frames longer than a record holds lose their outermost frames. */
int rec_write_stack(FILE *f, const struct ct_stack *s);

/* One record as read. */
struct ct_rec {
	enum ct_rec_type type;
	struct ct_event ev;      /* CT_REC_EVENT (copied: the buffer may be unaligned) */
	uint64_t cgroup_id;      /* CT_REC_CGROUP */
	char path[CT_REC_MAX_LEN + 1];
	uint64_t lost, unclassified, end_mono_ns, settled; /* CT_REC_STATS */
	struct ct_proc_rec proc; /* CT_REC_PROC */
	struct ct_hist_rec hist; /* CT_REC_HIST */
	struct ct_fork_rec fork; /* CT_REC_FORK */
	struct ct_miss miss;     /* CT_REC_MISS */
	bool miss_known;
	struct ct_stack stack;   /* CT_REC_STACK: frames in path, file in file (or NULL) */
	char file[4097];
};

struct ct_rec_reader {
	const uint8_t *buf;
	size_t len, off;
	uint64_t records;        /* complete records returned so far */
	/*
	 * Format 3: the header names the process record's counters and
	 * mapping classes in the order the record stores them; where each is
	 * in today's record (enum ct_counter, enum ct_map_class), -1: unknown.
	 */
	int ncounters, nmaps;
	int8_t counter_at[CT_REC_MAX_COUNTERS], map_at[CT_REC_MAX_COUNTERS];
	/*
	 * The same for the histograms' ids: named by the header's hists= line,
	 * or by record.c's list of the ids files before that line used.
	 */
	int nhists;
	int8_t hist_at[CT_REC_MAX_COUNTERS];
	/* The statistics of the header's stat= lines, in its order (a format-2 miss record's bits). */
	int nstats;
	int8_t stat_at[CT_REC_MAX_COUNTERS];
	/* Formats 1 and 2: the same, for the layouts of record.c's lists, once per file. */
	int8_t v2_at[CT_REC_MAX_COUNTERS], v2_224_at[CT_REC_MAX_COUNTERS], v2_map_at[CT_REC_MAX_COUNTERS];
};

/*
 * Parse the header of buf[0..len).  Returns 0, or -1 with a one-line reason
 * in err (empty file, not a cowtrace record, other format version, truncated
 * or malformed header).
 */
int rec_open(struct ct_rec_reader *r, const void *buf, size_t len, struct ct_rec_info *info,
	     char *err, size_t errlen);
/*
 * Next known record: 1 (filled *out), 0 at a clean end, -1 with the reason in
 * err (cut mid-record, or a malformed record); every record before it was
 * complete and has been returned.
 */
int rec_next(struct ct_rec_reader *r, struct ct_rec *out, char *err, size_t errlen);

#endif
