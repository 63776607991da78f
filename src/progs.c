// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The table of BPF programs (progs.h). */
#include <string.h>
#include "progs.h"

const struct ct_hook_funcs ct_hook_funcs[HOOK_MAX] = {
	[HOOK_WP] = { { "do_wp_page" } },
	[HOOK_ANON] = { { "folio_add_new_anon_rmap", "page_add_new_anon_rmap" } },
	[HOOK_CPR] = { { "copy_page_range" } },
	[HOOK_THP] = { { "do_huge_pmd_wp_page" } },
	[HOOK_UFFD] = { { "handle_userfault" } },
	[HOOK_ZAP] = { { "unmap_page_range", "__zap_vma_range" } }, /* same arguments */
	[HOOK_CLONE] = { { "kernel_clone", "_do_fork" } },          /* (struct kernel_clone_args *) both */
};

#define SB(s) STAT_BIT(s)
/* tracepoint mode's write faults: what a fault, its allocation or a free it takes back feeds */
#define TP_WP_STATS (SB(ST_REUSE) | SB(ST_COPY) | SB(ST_COPY_ZERO) | SB(ST_COPIED_BYTES) | SB(ST_FORK_TO_COPY))
#define FE MODE_FENTRY
#define KP MODE_KPROBE
#define TP MODE_TRACEPOINT
/* tracepoint mode's fork call: a system call's entry and exit */
#define FORK_SYSCALL(n)                                                                                     \
	{ "tp_enter_" #n, TP, false, -1, "syscalls/sys_enter_" #n, false, PW_SYSCALL_TP, SB(ST_FORK_DURATION) }, \
	{ "tp_exit_" #n, TP, true, -1, "syscalls/sys_exit_" #n, false, PW_SYSCALL_TP, SB(ST_FORK_DURATION) }

const struct ct_prog_desc ct_progs[] = {
	/* lifecycle.bpf.c */
	{ "sched_fork", TP, false, -1, "sched_process_fork", true, PW_ALWAYS,
	  SB(ST_PINNED_COW) | SB(ST_FORK_TO_COPY) | SB(ST_COPIED_BYTES) },
	{ "sched_exit", TP, false, -1, "sched_process_exit", true, PW_ALWAYS, STAT_ALL }, /* final counts */
	{ "sched_exec", TP, false, -1, "sched_process_exec", true, PW_ALWAYS, 0 },
	/* wp.bpf.c */
	{ "fe_wp", FE, false, HOOK_WP, NULL, false, PW_ALWAYS, 0 },
	{ "fx_wp", FE, true, HOOK_WP, NULL, false, PW_ALWAYS, 0 },
	{ "kp_wp", KP, false, HOOK_WP, NULL, false, PW_ALWAYS, 0 },
	{ "krp_wp", KP, true, HOOK_WP, NULL, false, PW_ALWAYS, 0 },
	{ "fe_new_anon", FE, false, HOOK_ANON, NULL, false, PW_ALWAYS, 0 },
	{ "kp_new_anon", KP, false, HOOK_ANON, NULL, false, PW_ALWAYS, 0 },
	{ "fe_cpr", FE, false, HOOK_CPR, NULL, false, PW_ALWAYS, 0 },
	{ "fx_cpr", FE, true, HOOK_CPR, NULL, false, PW_ALWAYS, 0 },
	{ "kp_cpr", KP, false, HOOK_CPR, NULL, false, PW_ALWAYS, 0 },
	{ "krp_cpr", KP, true, HOOK_CPR, NULL, false, PW_ALWAYS, 0 },
	{ "fe_thp", FE, false, HOOK_THP, NULL, false, PW_ALWAYS, 0 },
	{ "fx_thp1", FE, true, HOOK_THP, NULL, false, PW_THP_ARGS1, 0 },
	{ "fx_thp2", FE, true, HOOK_THP, NULL, false, PW_THP_ARGS2, 0 },
	{ "kp_thp", KP, false, HOOK_THP, NULL, false, PW_ALWAYS, 0 },
	{ "krp_thp", KP, true, HOOK_THP, NULL, false, PW_ALWAYS, 0 },
	{ "fe_uffd", FE, false, HOOK_UFFD, NULL, false, PW_ALWAYS, 0 },
	{ "fx_uffd", FE, true, HOOK_UFFD, NULL, false, PW_ALWAYS, 0 },
	{ "kp_uffd", KP, false, HOOK_UFFD, NULL, false, PW_ALWAYS, 0 },
	{ "krp_uffd", KP, true, HOOK_UFFD, NULL, false, PW_ALWAYS, 0 },
	/* marker.bpf.c */
	{ "fe_zap", FE, false, HOOK_ZAP, NULL, false, PW_ALWAYS, 0 },
	{ "fx_zap", FE, true, HOOK_ZAP, NULL, false, PW_ALWAYS, 0 },
	{ "kp_zap", KP, false, HOOK_ZAP, NULL, false, PW_ALWAYS, 0 },
	{ "krp_zap", KP, true, HOOK_ZAP, NULL, false, PW_ALWAYS, 0 },
	/* fork.bpf.c */
	{ "fe_clone", FE, false, HOOK_CLONE, NULL, false, PW_ALWAYS, 0 },
	{ "fx_clone", FE, true, HOOK_CLONE, NULL, false, PW_ALWAYS, 0 },
	{ "kp_clone", KP, false, HOOK_CLONE, NULL, false, PW_ALWAYS, 0 },
	{ "krp_clone", KP, true, HOOK_CLONE, NULL, false, PW_ALWAYS, 0 },
	FORK_SYSCALL(clone), FORK_SYSCALL(clone3), FORK_SYSCALL(fork), FORK_SYSCALL(vfork),
	/* tp.bpf.c */
	{ "tp_fault_user", TP, false, -1, "page_fault_user", false, PW_ALWAYS, TP_WP_STATS },
	{ "tp_fault_kernel", TP, false, -1, "page_fault_kernel", false, PW_TP_KFAULT, TP_WP_STATS },
	{ "tp_alloc", TP, false, -1, "mm_page_alloc", false, PW_FIND_VMA, TP_WP_STATS | SB(ST_PINNED_COW) },
	{ "tp_alloc_nofv", TP, false, -1, "mm_page_alloc", false, PW_NO_FIND_VMA, TP_WP_STATS | SB(ST_PINNED_COW) },
	{ "tp_free", TP, false, -1, "mm_page_free", false, PW_ALWAYS, TP_WP_STATS },
};

const unsigned ct_nprogs = sizeof(ct_progs) / sizeof(ct_progs[0]);

const struct ct_prog_desc *ct_prog_find(const char *name)
{
	for (unsigned i = 0; i < ct_nprogs; i++)
		if (!strcmp(ct_progs[i].name, name))
			return &ct_progs[i];
	return NULL;
}
