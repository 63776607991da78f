// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Tracepoint mode: for kernels where neither fentry nor kprobes attach.
 *
 * A write fault on a present pte (x86 error code P|W) of a user address,
 * taken in user mode (exceptions:page_fault_user) or by the kernel on a
 * user page (exceptions:page_fault_kernel: read() into a copy-on-write
 * buffer), counts as a reuse at once.  If the same thread then allocates an
 * order-0 movable user page (kmem:mm_page_alloc) while it is still handling
 * that fault, the fault copied: the reuse becomes a copy (a copy of the zero
 * page if the allocation is __GFP_ZERO).  "Still handling that fault": its
 * count of completed faults has not moved (mm_account_fault() counts a
 * fault at its end), and, for a user-mode fault, it is in an exception, not
 * in a syscall (its user pt_regs say orig_ax == -1).
 *
 * Two threads that fault on the same shared page at once both allocate a
 * page to copy it into; the one that finds the pte changed when it comes to
 * map it frees its page again in the same fault (kmem:mm_page_free), or a
 * zeroed page it allocated for a pte it saw cleared for a moment: that copy
 * is taken back.  Its reuse is not given back: the fault did neither.  A
 * thread that faults on a pte another thread has just made writable
 * (a spurious fault) allocates nothing and counts as a reuse: not told apart.
 *
 * Pages a parent allocates inside clone/clone3/fork/vfork (its user pt_regs
 * say which syscall) before sched_process_fork are the pages fork copied at
 * once (pinned COW).  No hook on syscalls.  Everything here is derived, and
 * the frontend says so.
 */
#include "cowtrace.bpf.h"
#include "tp.bpf.h"

static __always_inline int tp_fault(void *ctx, unsigned long address, unsigned long error_code, bool kernel)
{
	struct ct_proc_rec *p;
	struct ct_thread *t;
	__u32 tgid;
	__u64 now;

	if (!x86_write_on_present(error_code) || (kernel && (address >> 63)))
		return 0; /* not a write on a present pte, or a kernel address */
	tgid = bpf_get_current_pid_tgid() >> 32;
	t = thread_traced(tgid);
	if (!t)
		return 0;
	/* the time of a reuse only for the per-fault events (see count_wp()) */
	now = cfg.per_event ? bpf_ktime_get_ns() : 0;
	if (t->tp.pending)
		tp_settle(t);
	p = proc_current(tgid, now);
	if (!p)
		return 0;
	__sync_fetch_and_add(&p->c[CT_C_WP + CT_WP_REUSE], 1);
	if (now)
		p->last_ns = now;
	t->tp.flt = current_faults();
	t->tp.addr = address;
	t->tp.kernel = kernel;
	t->tp.copied = 0;
	t->tp.pending = 1;
	t->tp.ts = now;
	/* --stacks: the user stack now, before the fault reads the pte (count_stack()) */
	t->tp.ustack = cfg.stacks ? bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK) : -1;
	if (!kernel)
		t->fork.pages = 0; /* back in user mode: a fork that failed left pages behind */
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(tp_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return tp_fault(ctx, address, error_code, false);
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(tp_fault_kernel, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return tp_fault(ctx, address, error_code, true);
}

static __always_inline bool is_fork_nr(long nr)
{
	return nr == cfg.nr_fork[0] || nr == cfg.nr_fork[1] ||
	       nr == cfg.nr_fork[2] || nr == cfg.nr_fork[3];
}

/*
 * The page this CPU's last copy allocated: mm_page_free compares each freed
 * page with it, and looks further (the thread's state) only when it is the
 * same.  A thread moved to another CPU between the allocation and the free
 * leaves its copy counted (the fault can sleep only in the MMU notifiers).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tp_copy_page SEC(".maps");

struct vma_cb {
	__u8 map;
	__u64 file;
};

static long vma_class_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_cb *c = data;

	c->map = copy_map_class(vma, false, cfg.shm_mnt_addr, &c->file, true);
	return 0;
}

/*
 * The memory a copy hit: the VMA of the fault's address (7c7e3d31e785 "bpf:
 * Introduce helper bpf_find_vma", 5.17); before it, anonymous memory unless told
 * otherwise (and the plan says the mapping classes are unavailable).
 */
static __always_inline struct vma_cb tp_copy_map(struct ct_thread *t, bool find_vma)
{
	struct vma_cb c = { .map = CT_MAP_ANON };

	if (find_vma && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_find_vma))
		bpf_find_vma(bpf_get_current_task_btf(), t->tp.addr, vma_class_cb, &c, 0);
	return c;
}

/*
 * find_vma: a program with bpf_find_vma's callback.  The callback is a
 * subprogram only a function pointer refers to, which kernels before
 * 69c087ba6225 "bpf: Add bpf_for_each_map_elem() helper" (5.13, BPF_PSEUDO_FUNC) do not
 * count: "number of funcs in func_info doesn't match".  So one program
 * with it (tp_alloc) and one without (tp_alloc_nofv); the frontend loads
 * the one the kernel takes.
 */
static __always_inline int tp_alloc_do(void *ctx, struct page *page, unsigned int order, gfp_t gfp_flags,
				       bool find_vma)
{
	struct ct_proc_rec *p;
	struct ct_thread *t;
	struct vma_cb m;
	long orig_ax;
	__u64 now;
	__u32 kind, tgid;

	if (order != 0 || (gfp_flags & cfg.gfp_user_movable) != cfg.gfp_user_movable)
		return 0;
	orig_ax = current_user_orig_ax();
	t = thread_get(false);
	if (t && t->tp.pending && !t->tp.copied && t->tp.flt == current_faults() &&
	    (t->tp.kernel || orig_ax == -1)) {
		/* the pending write fault copied: its reuse becomes a copy */
		kind = ct_tp_copy_kind(gfp_flags & cfg.gfp_zero);
		t->tp.copied = kind == CT_WP_COPY_ZERO ? 2 : 1;
		tgid = bpf_get_current_pid_tgid() >> 32;
		now = bpf_ktime_get_ns();
		p = proc_current(tgid, now);
		if (!p)
			return 0;
		__sync_fetch_and_add(&p->c[CT_C_WP + CT_WP_REUSE], -1);
		__sync_fetch_and_add(&p->c[CT_C_WP + kind], 1);
		m = tp_copy_map(t, find_vma);
		t->tp.map = m.map; /* for the per-fault event, and a copy taken back */
		t->tp.file = m.file;
		count_copy(p, m.map, now, 0, 1);
		if ((cfg.stacks >> kind) & 1)
			t->tp.kstack = count_stack_n(ctx, p, tgid, kind, m.map, m.file, t->tp.ustack,
						     CT_USTACK_HERE, 1);
		/* for tp_free(): the page, and what was charged */
		t->tp.page = (__u64)page;
		t->tp.copy_ns = now;
		t->tp.seg_ns = p->seg_side != CT_SEG_NONE ? p->seg_fork_ns : 0;
		{
			__u32 zero = 0;
			__u64 *last = bpf_map_lookup_elem(&tp_copy_page, &zero);

			if (last)
				*last = (__u64)page;
		}
		return 0;
	}
	if (is_fork_nr(orig_ax) && (t || (t = thread_traced(bpf_get_current_pid_tgid() >> 32))) &&
	    (!cfg.filter_follow || t->filter == 1))
		t->fork.pages++;
	return 0;
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(tp_alloc, struct page *page, unsigned int order, gfp_t gfp_flags, int migratetype)
{
	return tp_alloc_do(ctx, page, order, gfp_flags, true);
}

SEC("tp_btf/mm_page_alloc")
int BPF_PROG(tp_alloc_nofv, struct page *page, unsigned int order, gfp_t gfp_flags, int migratetype)
{
	return tp_alloc_do(ctx, page, order, gfp_flags, false);
}

/*
 * A page freed in the very fault whose copy allocated it: the copy lost the
 * race to another thread's (see the top of the file) and is taken back from
 * every count it went into.  Its reuse stays taken back too: the fault did
 * neither.  A page of some other copy freed later (the process unmapping
 * it) is not this fault's: its count of completed faults has moved on.
 */
static __always_inline void tp_uncopy(void *ctx, struct ct_thread *t)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ct_proc_rec *p = bpf_map_lookup_elem(&procs, &tgid);
	__u32 kind = t->tp.copied == 2 ? CT_WP_COPY_ZERO : CT_WP_COPY_ANON;

	t->tp.copied = 0;
	t->tp.pending = 0; /* no per-fault event: nothing happened */
	if (!p || p->start_ns != current_start_ns())
		return;
	__sync_fetch_and_add(&p->c[CT_C_WP + kind], -1);
	count_copy(p, t->tp.map, t->tp.copy_ns, t->tp.seg_ns, -1);
	if ((cfg.stacks >> kind) & 1)
		count_stack_n(ctx, p, tgid, kind, t->tp.map, t->tp.file, t->tp.ustack, t->tp.kstack, -1);
}

SEC("tp_btf/mm_page_free")
int BPF_PROG(tp_free, struct page *page, unsigned int order)
{
	__u32 zero = 0;
	__u64 *last;
	struct ct_thread *t;

	if (order)
		return 0;
	last = bpf_map_lookup_elem(&tp_copy_page, &zero);
	if (!last || *last != (__u64)page)
		return 0;
	*last = 0;
	t = thread_get(false);
	if (t && t->tp.pending && t->tp.copied && t->tp.page == (__u64)page && t->tp.flt == current_faults())
		tp_uncopy(ctx, t);
	return 0;
}
