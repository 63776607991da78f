/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where copies come from (--stacks): pages copied per process and stack,
 * with the copy's kind and the memory it hit, the frames already named
 * (symbolize.c).  Pure userspace: the live loop and `cowtrace report` fill
 * it, the outputs read it: folded stacks, the flame graph, the text and
 * JSON reports.
 */
#ifndef COWTRACE_STACKS_H
#define COWTRACE_STACKS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "cowtrace.h"

/* What tells two stacks apart: the kernel's key (live), or a record entry's number. */
struct ct_stack_id {
	uint32_t pid;
	uint64_t start_ns;
	int32_t ustack, kstack;  /* the kernel's stack ids (live); the record's entry number and -9 */
	uint16_t kind;           /* enum ct_wp_kind */
	uint8_t map;             /* enum ct_map_class */
	uint8_t execs;           /* the process's image (execs since it was first seen) */
	uint64_t ino;            /* file mapping inode, 0 */
};

struct ct_stack {
	struct ct_stack_id id;
	char comm[CT_COMM_LEN];
	char *frames;            /* outer to inner, ';'-separated; kernel frames end in "_[k]" */
	char *file;              /* the file mapping's path, or NULL */
	uint64_t pages;
	int8_t forked;           /* its process was created by a fork seen: 1, not: 0, unknown: -1 */
};

/* The root frame of a folded stack (--folded-by): what lines are merged by. */
enum ct_folded_key {
	FOLD_BY_COMM,            /* "python3": a parent and its workers together */
	FOLD_BY_PID,             /* "python3 (pid 181)" */
	FOLD_BY_FORK,            /* "python3 (parent)" or "python3 (child)": forked while traced */
};

struct ct_stacks {
	struct ct_stack *v;
	uint32_t n, cap;
	uint64_t dropped;        /* entries beyond the cap, or out of memory */
	uint32_t max;            /* the cap (0: 1,000,000) */
	uint32_t generic;        /* kinds (bits) the mode cannot tell apart: named "copy" */
	bool maps_unknown;       /* the mode cannot tell the memory a copy hit: not named */
	enum ct_folded_key key;  /* the root frame of folded lines and the flame graph */
	uint32_t *index;         /* open addressing by id: entry + 1, 0 empty */
	uint32_t index_cap;
	char **hints;            /* how to get names where most of a file's frames had none (live) */
	int nhints;
};

struct ct_agg;
/* --folded-by fork: whether each stack's process was forked by a traced process, from agg. */
void stacks_mark_forked(struct ct_stacks *st, const struct ct_agg *agg);

void stacks_init(struct ct_stacks *st);
/* Replace the hints (st takes v and its strings). */
void stacks_set_hints(struct ct_stacks *st, char **v, int n);
void stacks_free(struct ct_stacks *st);
/*
 * The entry with this id (its pages set: the kernel's counts are cumulative),
 * made if new; an entry named before its process was known (comm "?") takes comm.
 */
int stacks_set(struct ct_stacks *st, const struct ct_stack_id *id, const char *comm, const char *frames,
	       const char *file, uint64_t pages);
/* Whether an entry with this id exists (its frames are named). */
bool stacks_known(const struct ct_stacks *st, const struct ct_stack_id *id);

/*
 * One line per stack: "comm;outer;...;inner;[kind mapping] pages" (what
 * flamegraph.pl, inferno and speedscope read), sorted, equal lines merged
 * (the same stack in processes of the same comm).  0 or -ENOMEM.
 */
int stacks_folded(FILE *f, const struct ct_stacks *st);
/* The innermost pseudo-frame of a stack's folded line: "[copy_anon in heap]", "[copy_file in file /path]". */
void stacks_leaf(const struct ct_stacks *st, const struct ct_stack *s, char *buf, size_t n);
/* A kind's name in the stacks' outputs: "copy" for kinds the mode does not tell apart. */
const char *stacks_kind_name(const struct ct_stacks *st, unsigned kind);
/* The kinds the plan cannot tell apart (unavailable copy kinds). */
struct ct_plan;
void stacks_set_plan(struct ct_stacks *st, const struct ct_plan *plan);

/*
 * The stacks of one process (start_ns 0: any), merged by (frames, kind,
 * mapping, file), heaviest first: how many (-ENOMEM); caller frees *out.
 */
struct ct_stack_top {
	const struct ct_stack *s; /* one of the merged entries (frames, kind, map, file) */
	uint64_t pages;
};
int64_t stacks_top(const struct ct_stacks *st, uint32_t pid, uint64_t start_ns, struct ct_stack_top **out);

/*
 * The flame graph of the copies as a self-contained SVG (no external
 * references): width = pages, colour by the kind most of a frame's pages
 * were copied as, a title (tooltip) with pages and share on every frame,
 * click to zoom and a search (a small inline script).  0 or -errno.
 */
int stacks_flamegraph(FILE *f, const struct ct_stacks *st, const char *title);

#endif
