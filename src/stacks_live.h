/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --stacks in a live run: the kernel counts pages per (process, stack,
 * kind, mapping); this reads those counts, names each new stack's frames
 * once (symbolize.c) and keeps them in a ct_stacks table.
 *
 * Naming needs the process's mappings: they are read when the kernel says a
 * process has its first stack (CT_EV_STACKS, at once), else at the first
 * read of its stacks.  The stacks a child forked under tracing took before
 * any exec are named with its parent's mappings when the child is gone, or
 * has exec'd since (a fork+exec), by the time they are read.  The kernel's
 * entries of a process that has exited are read a last time, then deleted
 * (and the stack traces nothing else refers to), so a long run keeps only
 * the live processes' stacks in the kernel.
 */
#ifndef COWTRACE_STACKS_LIVE_H
#define COWTRACE_STACKS_LIVE_H
#include <stdbool.h>
#include "agg.h"
#include "probes.h"
#include "stacks.h"

struct ct_symbolizer;

struct ct_stack_reader {
	struct ct_symbolizer *sym;
	struct ct_stacks st;
	bool kernel;             /* kernel stacks were asked for */
	bool verbose;            /* say on stderr whose mappings were read, or why not */
	struct ct_session *sess; /* the kernel's process records: has a process exec'd? */
	struct ct_stack_hint {   /* what CT_EV_STACKS said of a process: for when it is gone */
		uint32_t pid, ppid;
		uint64_t start_ns;
		bool forked;
	} hints[256];
	unsigned nhints;         /* written so far (a ring of the last 256) */
	uint64_t deleted;        /* kernel entries of exited processes read a last time and deleted */
};

int stack_reader_init(struct ct_stack_reader *r, bool kernel, bool verbose);
void stack_reader_free(struct ct_stack_reader *r);
/* The programs are loaded: read the kernel's symbols (theirs among them) now. */
void stack_reader_ready(struct ct_stack_reader *r, struct ct_session *s);
/* A CT_EV_STACKS event: read the process's mappings while it lives. */
void stack_reader_event(struct ct_stack_reader *r, const struct ct_agg *agg, const struct ct_event *e);
/* Read the kernel's counts (after the ring and the process records).  0 or -errno. */
int stack_reader_read(struct ct_stack_reader *r, struct ct_session *s, const struct ct_agg *agg, bool verbose);

#endif
