/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the running kernel has, from BTF, kallsyms and load probes (never a
 * version number), and what each rung can do for each hook from it.
 */
#ifndef COWTRACE_KFACTS_H
#define COWTRACE_KFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "plan.h"
#include "util.h"

struct btf;

struct kfacts {
	struct btf *btf;
	struct ksym_info ks[HOOK_MAX][2];
	bool kallsyms_ok;
	struct ct_kernel_caps caps; /* FAULT_FLAG_UNSHARE in enum fault_flag; struct uffdio_continue */
	bool has_tp_fault;   /* tp_btf page_fault_user */
	bool has_tp_kfault;  /* tp_btf page_fault_kernel */
	bool has_tp_syscalls; /* tracefs syscalls:sys_enter/exit_clone, ... (CONFIG_FTRACE_SYSCALLS) */
	bool task_storage;   /* task-local storage from tracing programs */
	int thp_nargs;       /* do_huge_pmd_wp_page parameters */
	/* uffd-wp markers: PTE markers exist, bpf_loop, and the direct-map base */
	bool has_markers;
	char marker_why[96];
	uint64_t page_offset_base_addr, pgdir_shift_addr;
	uint64_t shm_mnt_addr;   /* &shm_mnt: private maps of kernel-internal shmem */
	bool has_find_vma;       /* bpf_find_vma (tracepoint mode's mapping classes) */
	bool preemptible;        /* a task can be preempted inside a BPF program */
	char preempt_model[32];  /* and how that was found */
};

/* Gather them; k->btf NULL: the kernel has no BTF.  kfacts_free() after. */
void kfacts_gather(struct kfacts *k, bool load_only);
void kfacts_free(struct kfacts *k);
/* Decide hook h (enum ct_hook) for rung `rung` (fentry or kprobe). */
void kfacts_choose(const struct kfacts *k, int h, enum ct_mode rung, struct ct_hook_choice *c);
/*
 * Whether the kernel lets this rung attach at all, asked before the whole
 * object is loaded: 0, or -1 with why.
 */
int kfacts_rung_possible(const struct kfacts *k, enum ct_mode rung, char *err, size_t n);

#endif
