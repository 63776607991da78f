/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tracepoint mode: for kernels where neither fentry nor kprobes attach.
 *
 * A user write fault on a present pte (x86 error_code P|W) is left pending
 * on its thread.  If the same thread allocates an order-0 movable user page
 * before its next fault, syscall or exit, the fault copied (a __GFP_ZERO
 * allocation means the copied page was the zero page); otherwise it reused.
 * Pages allocated by a parent inside clone()/fork() before
 * sched_process_fork are the pages fork copied at once (pinned COW).
 * Everything here is derived, and the frontend says so.
 */
#ifndef COWTRACE_TP_BPF_H
#define COWTRACE_TP_BPF_H

#include "cowtrace.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct ct_tp_pending);
} tp_pending SEC(".maps");

static __always_inline void emit_for(struct ct_tp_pending *p, __u32 tid, __u16 kind)
{
	struct ct_event *e = event_reserve();

	if (!e)
		return;
	e->ts_ns = p->ts;
	e->value = 0; /* latency is not observable from tracepoints */
	e->pid = p->tgid;
	e->tid = tid;
	e->ppid = p->ppid;
	e->aux = 0;
	e->type = CT_EV_WP;
	e->kind = kind;
	e->__pad = 0;
	__builtin_memcpy(e->comm, p->comm, sizeof(e->comm));
	e->cgroup_id = p->cgroup_id;
	bpf_ringbuf_submit(e, rb_wakeup());
}

/* Classify the thread's pending write fault, if any. */
static __always_inline void tp_resolve(__u64 id)
{
	struct ct_tp_pending *p = bpf_map_lookup_elem(&tp_pending, &id);

	if (!p)
		return;
	emit_for(p, (__u32)id, !p->alloc ? CT_WP_REUSE :
			       p->zero ? CT_WP_COPY_ZERO : CT_WP_COPY_ANON);
	bpf_map_delete_elem(&tp_pending, &id);
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(tp_fault, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ct_tp_pending p = {};

	tp_resolve(id);
	if (!x86_write_on_present(error_code))
		return 0;
	if (!want())
		return 0;
	p.ts = bpf_ktime_get_ns();
	p.tgid = id >> 32;
	p.ppid = current_ppid();
	bpf_get_current_comm(p.comm, sizeof(p.comm));
	p.cgroup_id = bpf_get_current_cgroup_id();
	if (bpf_map_update_elem(&tp_pending, &id, &p, BPF_ANY))
		stat_inc(CT_STAT_INFLIGHT_FULL);
	return 0;
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(tp_alloc, struct page *page, unsigned int order, gfp_t gfp_flags, int migratetype)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ct_tp_pending *p;
	struct fork_state *fs;

	if (order != 0 || (gfp_flags & cfg.gfp_user_movable) != cfg.gfp_user_movable)
		return 0;
	p = bpf_map_lookup_elem(&tp_pending, &id);
	if (p) {
		p->alloc = 1;
		p->zero = (gfp_flags & cfg.gfp_zero) != 0;
		return 0;
	}
	fs = bpf_map_lookup_elem(&inflight_fork, &id);
	if (fs)
		fs->pages++;
	return 0;
}

static __always_inline bool is_fork_nr(long nr)
{
	return nr == cfg.nr_fork[0] || nr == cfg.nr_fork[1] ||
	       nr == cfg.nr_fork[2] || nr == cfg.nr_fork[3];
}

SEC("tp_btf/sys_enter")
int BPF_PROG(tp_sys_enter, struct pt_regs *regs, long nr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct fork_state fs = {};

	tp_resolve(id);
	if (is_fork_nr(nr) && want()) {
		if (bpf_map_update_elem(&inflight_fork, &id, &fs, BPF_ANY))
			stat_inc(CT_STAT_INFLIGHT_FULL);
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(tp_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();

	/* A kernel-mode fault inside the syscall is not traced; nothing pends. */
	bpf_map_delete_elem(&inflight_fork, &id);
	return 0;
}

#endif /* COWTRACE_TP_BPF_H */
