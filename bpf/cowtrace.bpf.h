/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every cowtrace BPF file shares: the configuration (.rodata, set by
 * the frontend before load), the maps every mode uses (ring buffer, stats,
 * filters, the fork window), the filters, and the event fill.  Each
 * BPF file of cowtrace includes this first and reads on its own.
 */
#ifndef COWTRACE_BPF_H
#define COWTRACE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cowtrace.h"
#include "core_fixes.bpf.h"

const volatile struct ct_config cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by the frontend */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CT_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Follow mode: tgid -> CT_TRACED_* */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/*
 * Fork window (keyed by pid_tgid of the forking thread): pages copied into
 * the child at once, counted by the exact hooks (new anon pages mapped into
 * the destination VMA inside copy_page_range) or by tracepoint mode (user
 * page allocations inside clone/fork), emitted at sched_process_fork.
 */
struct fork_state {
	__u64 dst_mm;
	__u64 dst_vma; /* non-zero only inside copy_page_range */
	__u64 pages;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct fork_state);
} inflight_fork SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		(*v)++;
}

static __always_inline bool want_tgid(__u32 tgid)
{
	if (cfg.filter_tgid && tgid != cfg.filter_tgid)
		return false;
	if (cfg.filter_cgroup && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	if (cfg.filter_follow) {
		__u8 *v = bpf_map_lookup_elem(&traced, &tgid);

		if (!v || *v != CT_TRACED_YES)
			return false;
	}
	return true;
}

static __always_inline bool want(void)
{
	return want_tgid(bpf_get_current_pid_tgid() >> 32);
}

/*
 * A wakeup per event costs an irq_work and a context switch: wake the
 * frontend only once a batch is waiting.  It polls every 100 ms anyway.
 */
static __always_inline __u64 rb_wakeup(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg.wakeup_bytes ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* Reserve an event; a full ring is counted, never silent. */
static __always_inline struct ct_event *event_reserve(void)
{
	struct ct_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		stat_inc(CT_STAT_LOST);
	return e;
}

/* An event about the current task. */
static __always_inline void emit(__u16 type, __u16 kind, __u64 value, __u32 aux, __u64 ts)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ct_event *e = event_reserve();

	if (!e)
		return;
	e->ts_ns = ts;
	e->value = value;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->ppid = current_ppid();
	e->aux = aux;
	e->type = type;
	e->kind = kind;
	e->__pad = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_ringbuf_submit(e, rb_wakeup());
}

#endif /* COWTRACE_BPF_H */
