/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every BPF program of bpf/ (*.bpf.c), named once: where it attaches, on
 * which rung, and what it feeds.  probes.c loads and attaches from this
 * table (and refuses an object with a program the table lacks, or the
 * reverse); the plan's misses (which statistics a skipped run leaves short)
 * read it too.  The kernel functions behind each hook are here as well.
 */
#ifndef COWTRACE_PROGS_H
#define COWTRACE_PROGS_H

#include <stdbool.h>
#include "stats.h"

/* The kernel functions behind each hook (enum ct_hook), preferred first. */
struct ct_hook_funcs {
	const char *cands[2];
};
extern const struct ct_hook_funcs ct_hook_funcs[HOOK_MAX];

/* What a program is for, where there are several for one place. */
enum ct_prog_when {
	PW_ALWAYS,
	PW_THP_ARGS1,      /* do_huge_pmd_wp_page(vmf): 5.14 on */
	PW_THP_ARGS2,      /* do_huge_pmd_wp_page(vmf, orig_pmd): before */
	PW_FIND_VMA,       /* the kernel has bpf_find_vma */
	PW_NO_FIND_VMA,    /* ... it has not */
	PW_TP_KFAULT,      /* the kernel has the page_fault_kernel tracepoint */
	PW_SYSCALL_TP,     /* the kernel has the fork system calls' tracepoints (CONFIG_FTRACE_SYSCALLS) */
};

struct ct_prog_desc {
	const char *name;          /* the program (SEC function) in bpf/ (*.bpf.c) */
	enum ct_mode mode;         /* fentry/fexit, kprobe/kretprobe, or tp_btf (MODE_TRACEPOINT) */
	bool ret;                  /* fexit or kretprobe: runs at the function's return */
	int hook;                  /* enum ct_hook; -1: a tracepoint */
	const char *tracepoint;    /* tp_btf: the tracepoint; "syscalls/...": a tracefs one (SEC tracepoint/) */
	bool lifecycle;            /* loaded on every rung */
	enum ct_prog_when when;
	ct_statmask stats;         /* what it feeds besides its hook's statistics (ct_stats' hooks) */
};

extern const struct ct_prog_desc ct_progs[];
extern const unsigned ct_nprogs;

/* A program's row, by name; NULL: none. */
const struct ct_prog_desc *ct_prog_find(const char *name);

#endif
