// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The table of statistics and histograms (see stats.h). */
#include <stdio.h>
#include <string.h>
#include "stats.h"

#define WP_HOOKS (HOOK_BIT(HOOK_WP) | HOOK_BIT(HOOK_ANON))
#define TP_FAULT "page_fault_user/kernel+mm_page_alloc"
#define TP_NONE "needs fentry or kprobes"
#define TP_KINDS "anon/file/KSM copies look alike here"

#define WP(k) .type = STAT_COUNTER, .counter = CT_C_WP + (k), .hooks = WP_HOOKS
#define THP(k) .type = STAT_COUNTER, .counter = CT_C_THP + (k), .hooks = HOOK_BIT(HOOK_THP)
#define UFFD(k) .type = STAT_COUNTER, .counter = CT_C_UFFD + (k), .hooks = HOOK_BIT(HOOK_UFFD)
#define COL(t) .column = t, .table = TT_FAULTS
#define OCOL(t) .column = t, .table = TT_OTHER
#define PROM(f, v) .family = f, .family_value = v
#define TP_UNAVAILABLE(why) .tp_quality = Q_UNAVAILABLE, .tp_hook = "-", .tp_reason = why
#define LIFECYCLE(tp) .lifecycle = tp, .tp_quality = Q_EXACT, .tp_hook = tp
#define TP_MAP "the VMA of a copying fault's address (bpf_find_vma)"
/* copies by the memory they hit: the VMA of the rmap hook (exact), bpf_find_vma (tracepoint) */
#define MAP(m, label, col) .name = "map_" label, .column = col, .type = STAT_COUNTER, .counter = CT_C_MAP + (m), .table = TT_MAPS, \
	.hooks = WP_HOOKS, PROM(PF_COPIES_BY_MAPPING, label), .tp_quality = Q_DERIVED, \
	.tp_hook = "page_fault_user/kernel+mm_page_alloc"

const struct ct_stat_desc ct_stats[ST_MAX] = {
	[ST_REUSE] = { .name = "reuse", WP(CT_WP_REUSE), COL("REUSE"), .always = true, PROM(PF_WRITE_FAULTS, "reuse"),
		.event_kind = "reuse",
		.tp_quality = Q_DERIVED, .tp_hook = TP_FAULT,
		.tp_reason = "write fault on a present pte that allocated no page; includes shared-mapping writes" },
	[ST_COPY] = { .name = "copy", .type = STAT_COPIES, .counter = -1, .hooks = WP_HOOKS, .column = "COPY",
		.table = TT_FAULTS, .always = true, .family = PF_WRITE_FAULTS, .family_value = "copy",
		.tp_quality = Q_DERIVED, .tp_hook = TP_FAULT,
		.tp_reason = "write fault on a present pte that allocated a movable user page" },
	[ST_COPY_ANON] = { .name = "copy_anon", WP(CT_WP_COPY_ANON), COL("ANON"), PROM(PF_COW_COPIES, "anon"),
		.event_kind = "copy_anon",
		TP_UNAVAILABLE(TP_KINDS) },
	[ST_COPY_ZERO] = { .name = "copy_zero", WP(CT_WP_COPY_ZERO), COL("ZERO"), PROM(PF_COW_COPIES, "zero"),
		.event_kind = "copy_zero",
		.tp_quality = Q_DERIVED, .tp_hook = TP_FAULT, .tp_reason = "the allocation was __GFP_ZERO" },
	[ST_COPY_FILE] = { .name = "copy_file", WP(CT_WP_COPY_FILE), COL("FILE"), PROM(PF_COW_COPIES, "file"),
		.event_kind = "copy_file",
		TP_UNAVAILABLE(TP_KINDS) },
	[ST_COPY_KSM] = { .name = "copy_ksm", WP(CT_WP_COPY_KSM), COL("KSM"), PROM(PF_COW_COPIES, "ksm"),
		.event_kind = "copy_ksm",
		TP_UNAVAILABLE(TP_KINDS) },
	[ST_UNSHARE] = { .name = "unshare", WP(CT_WP_UNSHARE), COL("UNSHR"), PROM(PF_WRITE_FAULTS, "unshare"),
		.event_kind = "unshare",
		.needs = NEED_UNSHARE, TP_UNAVAILABLE(TP_NONE) },
	[ST_SHARED_REUSE] = { .name = "shared_reuse", WP(CT_WP_SHARED_REUSE), COL("SHRD"),
		PROM(PF_WRITE_FAULTS, "shared_reuse"), .event_kind = "shared_reuse", TP_UNAVAILABLE(TP_NONE) },
	[ST_THP_REUSE] = { .name = "thp_reuse", THP(CT_THP_REUSE), OCOL("THP_R"), PROM(PF_THP_WRITE_FAULTS, "reuse"),
		.event_kind = "reuse",
		TP_UNAVAILABLE(TP_NONE) },
	[ST_THP_SPLIT] = { .name = "thp_split", THP(CT_THP_SPLIT), OCOL("THP_S"), PROM(PF_THP_WRITE_FAULTS, "split"),
		.event_kind = "split",
		TP_UNAVAILABLE(TP_NONE) },
	[ST_PINNED_COW] = { .name = "pinned_cow", .type = STAT_COUNTER, .counter = CT_C_PINNED,
		.hooks = HOOK_BIT(HOOK_CPR) | HOOK_BIT(HOOK_ANON), .column = "PINNED", .table = TT_FAULTS,
		.family = PF_PINNED_COW, .tp_quality = Q_DERIVED,
		.tp_hook = "mm_page_alloc+sched_process_fork",
		.tp_reason = "movable user pages a parent allocates inside clone/fork (pt_regs say which syscall)" },
	[ST_UFFD_MISSING] = { .name = "uffd_missing", UFFD(CT_UFFD_MISSING), OCOL("UF_MISS"),
		PROM(PF_UFFD_FAULTS, "missing"), .event_kind = "missing", TP_UNAVAILABLE(TP_NONE) },
	[ST_UFFD_WP] = { .name = "uffd_wp", UFFD(CT_UFFD_WP), OCOL("UF_WP"), PROM(PF_UFFD_FAULTS, "wp"),
		.event_kind = "wp",
		TP_UNAVAILABLE(TP_NONE) },
	[ST_UFFD_MINOR] = { .name = "uffd_minor", UFFD(CT_UFFD_MINOR), OCOL("UF_MIN"), PROM(PF_UFFD_FAULTS, "minor"),
		.event_kind = "minor",
		.needs = NEED_UFFD_MINOR, TP_UNAVAILABLE(TP_NONE) },
	[ST_UFFD_SIGBUS] = { .name = "uffd_sigbus", UFFD(CT_UFFD_SIGBUS), OCOL("UF_SIGB"),
		PROM(PF_UFFD_FAULTS, "sigbus"), .event_kind = "sigbus", TP_UNAVAILABLE(TP_NONE) },
	[ST_MARKER_INSTALL] = { .name = "marker_install", .type = STAT_COUNTER, .counter = CT_C_MARKER,
		.hooks = HOOK_BIT(HOOK_ZAP), .column = "MARKER", .table = TT_OTHER, .family = PF_MARKERS,
		.note = "zap_pte_range inlined: marker ptes counted in the zapped range before and after",
		.tp_quality = Q_UNAVAILABLE, .tp_hook = "zap_pte_range",
		.tp_reason = "zap_pte_range inlined; needs a kprobe or fentry on unmap_page_range" },
	[ST_COPIED_BYTES] = { .name = "copied_bytes", .type = STAT_BYTES, .counter = -1, .column = "COPIED",
		.table = TT_FAULTS, .always = true, .family = PF_COPIED_BYTES, .tp_quality = Q_DERIVED, .tp_hook = "-",
		.tp_reason = "(copy + pinned_cow) x page size; unshare unavailable" },
	[ST_MAP_HEAP] = { MAP(CT_MAP_HEAP, "heap", "HEAP"), .tp_reason = TP_MAP },
	[ST_MAP_STACK] = { MAP(CT_MAP_STACK, "stack", "STACK"), .tp_reason = TP_MAP },
	[ST_MAP_ANON] = { MAP(CT_MAP_ANON, "anon", "ANON"), .tp_reason = TP_MAP },
	[ST_MAP_FILE] = { MAP(CT_MAP_FILE, "file", "FILE"), .tp_reason = TP_MAP },
	[ST_MAP_SHMEM] = { MAP(CT_MAP_SHMEM, "shmem", "SHMEM"), .tp_reason = TP_MAP },
	[ST_MAP_THP] = { .name = "map_thp", .type = STAT_COUNTER, .counter = CT_C_MAP + CT_MAP_THP,
		.column = "THP", .table = TT_MAPS,
		.hooks = WP_HOOKS, PROM(PF_COPIES_BY_MAPPING, "thp"),
		TP_UNAVAILABLE("the copied page is not seen: whether it was part of a huge page is unknown") },
	[ST_FORKS] = { .name = "forks", .type = STAT_COUNTER, .counter = CT_C_FORKS, .family = PF_FORKS, OCOL("FORKS"),
		LIFECYCLE("sched_process_fork"), .tp_reason = "processes it created (clone without CLONE_THREAD)" },
	[ST_PAGE_TABLE_BYTES] = { .name = "page_table_bytes", .type = STAT_COUNTER, .counter = CT_C_PGTABLES,
		.bytes = true, OCOL("PGTABLES"),
		.family = PF_PAGE_TABLE_BYTES, LIFECYCLE("sched_process_fork"),
		.tp_reason = "its children's mm->pgtables_bytes once fork copied them" },
	[ST_WP_LATENCY] = { .name = "wp_latency", .type = STAT_HIST, .counter = -1, .hooks = WP_HOOKS,
		.needs = NEED_LATENCY, TP_UNAVAILABLE(TP_NONE) },
	[ST_UFFD_BLOCKED] = { .name = "uffd_blocked", .type = STAT_HIST, .counter = -1,
		.hooks = HOOK_BIT(HOOK_UFFD), TP_UNAVAILABLE(TP_NONE) },
	[ST_FORK_DURATION] = { .name = "fork_duration", .type = STAT_HIST, .counter = -1,
		.hooks = HOOK_BIT(HOOK_CLONE), .note = "entry to return of kernel_clone",
		.tp_quality = Q_EXACT, .tp_hook = "sys_enter/exit_clone,clone3,fork,vfork",
		.tp_reason = "entry to return of the fork system calls" },
	[ST_FORK_TO_COPY] = { .name = "fork_to_copy", .type = STAT_HIST, .counter = -1,
		.tp_quality = Q_DERIVED, .tp_hook = "sched_process_fork", .tp_reason = "from derived copies" },
};

const struct ct_prom_family_desc ct_prom_families[PF_MAX] = {
	[PF_WRITE_FAULTS] = { "cowtrace_write_faults_total",
		"Write faults on present ptes handled by do_wp_page, by outcome.", "outcome" },
	[PF_COW_COPIES] = { "cowtrace_cow_copies_total",
		"Pages copied by write faults, by kind of the old page.", "kind" },
	[PF_THP_WRITE_FAULTS] = { "cowtrace_thp_write_faults_total",
		"Write faults on huge pmds, by outcome.", "outcome" },
	[PF_PINNED_COW] = { "cowtrace_pinned_cow_pages_total",
		"Pages fork copied at once because they may be pinned.", NULL },
	[PF_UFFD_FAULTS] = { "cowtrace_userfaultfd_faults_total",
		"Faults handed to userfaultfd, by kind (sigbus: answered with SIGBUS, never blocked).", "kind" },
	[PF_MARKERS] = { "cowtrace_uffd_wp_markers_installed_total",
		"uffd-wp PTE markers installed when protected file/shmem ptes were zapped.", NULL },
	[PF_COPIED_BYTES] = { "cowtrace_copied_bytes_total",
		"Bytes copied by COW, unshare and pinned-COW copies.", NULL },
	[PF_FORKS] = { "cowtrace_forks_total",
		"Processes created by fork (clone without CLONE_THREAD), counted for the parent.", NULL },
	[PF_PAGE_TABLE_BYTES] = { "cowtrace_fork_page_table_bytes_total",
		"Bytes of page tables fork copied into the children (their mm->pgtables_bytes once copied).", NULL },
	[PF_COPIES_BY_MAPPING] = { "cowtrace_cow_copies_by_mapping_total",
		"Pages copied by write faults, by the memory they hit: heap, stack, anon (other anonymous "
		"mappings), file (private file mappings), shmem, thp (a page of a huge page).", "mapping" },
};

const struct ct_hist_desc ct_hists[CT_H_MAX] = {
	[CT_H_LAT_REUSE] = { ST_WP_LATENCY, "write-fault latency, reuse", "nsecs", 1, HF_WP_LATENCY, "reuse" },
	[CT_H_LAT_COPY] = { ST_WP_LATENCY, "write-fault latency, copy", "nsecs", 1, HF_WP_LATENCY, "copy" },
	[CT_H_LAT_SHARED_REUSE] = { ST_WP_LATENCY, "write-fault latency, shared_reuse", "nsecs", 1,
		HF_WP_LATENCY, "shared_reuse" },
	[CT_H_LAT_UNSHARE] = { ST_WP_LATENCY, "write-fault latency, unshare", "nsecs", 1, HF_WP_LATENCY,
		"unshare" },
	[CT_H_LAT_THP] = { ST_WP_LATENCY, "write-fault latency, thp", "nsecs", 1, HF_WP_LATENCY, "thp" },
	[CT_H_UFFD_BLOCKED + CT_UFFD_MISSING] = { ST_UFFD_BLOCKED, "userfaultfd missing, blocked", "usecs",
		1000, HF_UFFD_BLOCKED, "missing" },
	[CT_H_UFFD_BLOCKED + CT_UFFD_WP] = { ST_UFFD_BLOCKED, "userfaultfd wp, blocked", "usecs", 1000,
		HF_UFFD_BLOCKED, "wp" },
	[CT_H_UFFD_BLOCKED + CT_UFFD_MINOR] = { ST_UFFD_BLOCKED, "userfaultfd minor, blocked", "usecs", 1000,
		HF_UFFD_BLOCKED, "minor" },
	[CT_H_FORK_DURATION] = { ST_FORK_DURATION, "fork duration", "usecs", 1000, HF_FORK_DURATION, NULL },
	[CT_H_FORK_TO_COPY] = { ST_FORK_TO_COPY, "time from fork to copy", "usecs", 1000, HF_FORK_TO_COPY, NULL },
};

void ct_hist_name(int id, char *buf, size_t len)
{
	const struct ct_hist_desc *h = id >= 0 && id < CT_H_MAX ? &ct_hists[id] : NULL;

	if (!h) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%s%s%s", ct_stat_name(h->stat), h->family_value ? "." : "",
		 h->family_value ? h->family_value : "");
}

const struct ct_hist_family_desc ct_hist_families[HF_MAX] = {
	[HF_WP_LATENCY] = { "cowtrace_write_fault_latency_seconds",
		"Time spent in do_wp_page (do_huge_pmd_wp_page for thp), by outcome.", "outcome" },
	[HF_UFFD_BLOCKED] = { "cowtrace_userfaultfd_blocked_seconds",
		"Time a fault waited in handle_userfault, by kind.", "kind" },
	[HF_FORK_DURATION] = { "cowtrace_fork_duration_seconds",
		"Time the parent spent in the fork call (kernel_clone; the fork system calls in tracepoint mode); "
		"a vfork's includes the wait for its child's exec or exit.", NULL },
	[HF_FORK_TO_COPY] = { "cowtrace_fork_to_copy_seconds",
		"Time from the fork a copy is charged to (the process's own, or the one that made it) to the copy.",
		NULL },
};

const char *ct_stat_name(enum ct_stat s)
{
	return s < ST_MAX ? ct_stats[s].name : "?";
}

int ct_stat_from_name(const char *name)
{
	for (int i = 0; i < ST_MAX; i++)
		if (!strcmp(ct_stats[i].name, name))
			return i;
	return -1;
}

int ct_stat_map(enum ct_stat s)
{
	if (s >= ST_MAX || ct_stats[s].type != STAT_COUNTER || ct_stats[s].counter < CT_C_MAP ||
	    ct_stats[s].counter >= CT_C_MAP + CT_MAP_MAX)
		return -1;
	return ct_stats[s].counter - CT_C_MAP;
}

int ct_stat_of_counter(int counter)
{
	for (int i = 0; i < ST_MAX; i++)
		if (ct_stats[i].type == STAT_COUNTER && ct_stats[i].counter == counter)
			return i;
	return -1;
}

const char *ct_counter_name(int counter)
{
	int s = ct_stat_of_counter(counter);

	if (s >= 0)
		return ct_stats[s].name;
	return NULL;
}

unsigned ct_stat_event(enum ct_stat s, unsigned *kind)
{
	int c = s < ST_MAX && ct_stats[s].type == STAT_COUNTER ? ct_stats[s].counter : -1;

	if (c >= CT_C_WP && c < CT_C_WP + CT_WP_KIND_MAX)
		return *kind = c - CT_C_WP, CT_EV_WP;
	if (c >= CT_C_THP && c < CT_C_THP + CT_THP_KIND_MAX)
		return *kind = c - CT_C_THP, CT_EV_THP;
	if (c >= CT_C_UFFD && c < CT_C_UFFD + CT_UFFD_KIND_MAX)
		return *kind = c - CT_C_UFFD, CT_EV_UFFD;
	return 0;
}

bool ct_stat_is_copy_kind(enum ct_stat s)
{
	unsigned kind;

	return ct_stat_event(s, &kind) == CT_EV_WP && ct_wp_is_copy(kind);
}

const char *ct_event_name(unsigned type)
{
	static const char *const name[CT_EV_TYPE_MAX] = {
		[CT_EV_WP] = "wp", [CT_EV_THP] = "thp", [CT_EV_UFFD] = "uffd",
		[CT_EV_PINNED] = "pinned_cow", [CT_EV_FORK] = "fork", [CT_EV_EXIT] = "exit",
		[CT_EV_MARKER] = "marker_install", [CT_EV_STACKS] = "stacks", [CT_EV_EXEC] = "exec",
	};

	return type < CT_EV_TYPE_MAX ? name[type] : NULL;
}

const char *ct_wp_kind_name(unsigned kind)
{
	int st = kind < CT_WP_KIND_MAX ? ct_stat_of_counter(CT_C_WP + kind) : -1;

	return st >= 0 && ct_stats[st].event_kind ? ct_stats[st].event_kind : "?";
}

_Static_assert(ST_MAP_THP - ST_MAP_HEAP == CT_MAP_THP - CT_MAP_HEAP, "a statistic per mapping class, in order");

const char *ct_map_name(unsigned map)
{
	return map < CT_MAP_MAX ? ct_stats[ST_MAP_HEAP + map].family_value : "none";
}

const char *ct_mode_name(enum ct_mode m)
{
	switch (m) {
	case MODE_FENTRY: return "fentry";
	case MODE_KPROBE: return "kprobe";
	case MODE_TRACEPOINT: return "tracepoint";
	default: return "none";
	}
}

const char *ct_quality_name(enum ct_quality q)
{
	switch (q) {
	case Q_EXACT: return "exact";
	case Q_DERIVED: return "derived";
	default: return "unavailable";
	}
}

bool ct_stat_is_bytes(enum ct_stat s)
{
	return s >= 0 && s < ST_MAX && (ct_stats[s].type == STAT_BYTES || ct_stats[s].bytes);
}
