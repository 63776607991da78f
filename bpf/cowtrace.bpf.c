// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cowtrace: classify copy-on-write, pinned-COW, userfaultfd and uffd-wp
 * marker events per process.
 *
 * Layout: every kernel hook has a thin fentry/fexit wrapper and a thin
 * kprobe/kretprobe wrapper around one shared handler, so both attach modes
 * see exactly the same set of functions.  Which wrapper is loaded (or none)
 * is decided by the frontend from BTF and kallsyms before load.  Shared
 * maps and helpers: cowtrace.bpf.h; kernel differences: core_fixes.bpf.h;
 * tracepoint mode: cowtrace_tp.bpf.h; marker installs: cowtrace_marker.bpf.h.
 */
#include "cowtrace.bpf.h"
#include "cowtrace_tp.bpf.h"
#include "cowtrace_marker.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * A write fault in flight in do_wp_page (keyed by pid_tgid).  The entry of a
 * thread stays while the thread lives (deleted at its exit) and is reused by
 * its next fault: a lookup per fault instead of an insert and a delete.
 */
struct wp_state {
	__u64 ts;
	__u64 vmf;
	__u64 vma;
	__u8 unshare;   /* FAULT_FLAG_UNSHARE */
	__u8 shared;    /* VM_SHARED|VM_MAYSHARE mapping */
	__u8 copied;    /* a new anon page was mapped into vma while in flight */
	__u8 copy_kind; /* enum ct_wp_kind when copied */
	__u8 uffd;      /* handle_userfault ran: the fault went to userspace */
	__u8 active;    /* between do_wp_page entry and exit */
	__u8 __pad[2];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct wp_state);
} inflight_wp SEC(".maps");

struct thp_state {
	__u64 ts;
	__u8 unshare;
	__u8 __pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct thp_state);
} inflight_thp SEC(".maps");

struct uffd_state {
	__u64 ts;
	__u32 kind;
	__u32 __pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct uffd_state);
} inflight_uffd SEC(".maps");

/* ---- do_wp_page ---- */

static __always_inline int handle_wp_enter(struct vm_fault *vmf, bool btf)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct vm_area_struct *vma;
	static const struct wp_state zero;
	struct wp_state *st;
	unsigned long vm_flags;

	if (!want())
		return 0;
	st = bpf_map_lookup_elem(&inflight_wp, &id);
	if (!st) {
		/* The thread's first fault: BPF_NOEXIST, the entry is only ever its own. */
		if (bpf_map_update_elem(&inflight_wp, &id, &zero, BPF_NOEXIST) ||
		    !(st = bpf_map_lookup_elem(&inflight_wp, &id))) {
			stat_inc(CT_STAT_INFLIGHT_FULL);
			return 0;
		}
	}
	vma = KREAD(btf, vmf, vma);
	vm_flags = KREAD(btf, vma, vm_flags);
	st->vmf = (__u64)vmf;
	st->vma = (__u64)vma;
	st->unshare = vmf_unshare(vmf, btf);
	st->shared = vm_flags_shared(vm_flags);
	st->copied = 0;
	st->copy_kind = 0;
	st->uffd = 0;
	st->active = 1;
	st->ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int handle_wp_exit(__u32 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct wp_state *st;
	__u64 now;
	int kind;

	st = bpf_map_lookup_elem(&inflight_wp, &id);
	if (!st || !st->active)
		return 0;
	now = bpf_ktime_get_ns();
	if (st->copied)
		kind = st->unshare ? CT_WP_UNSHARE : st->copy_kind;
	else if (st->uffd || st->unshare || !vmf_done(ret))
		kind = -1;	/* went to userspace, no-op unshare, retry or error */
	else
		kind = st->shared ? CT_WP_SHARED_REUSE : CT_WP_REUSE;
	if (kind >= 0)
		emit(CT_EV_WP, kind, now - st->ts, 0, now);
	st->active = 0;
	return 0;
}

/* ---- new anon page mapped: a copy in do_wp_page, or an early copy at fork ---- */

static __always_inline int handle_new_anon(struct vm_area_struct *vma)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct fork_state *fs;
	struct wp_state *st;

	st = bpf_map_lookup_elem(&inflight_wp, &id);
	if (st && st->active && st->vma == (__u64)vma) {
		struct vm_fault *vmf = (void *)st->vmf;

		st->copied = 1;
		st->copy_kind = old_page_copy_kind(BPF_CORE_READ(vmf, page));
		return 0;
	}
	fs = bpf_map_lookup_elem(&inflight_fork, &id);
	if (fs && fs->dst_vma == (__u64)vma)
		fs->pages++;
	return 0;
}

/* ---- copy_page_range: the fork window ---- */

static __always_inline int handle_cpr_enter(struct vm_area_struct *dst_vma)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 mm = (__u64)BPF_CORE_READ(dst_vma, vm_mm);
	struct fork_state *fs, init = {};

	if (!want())
		return 0;
	fs = bpf_map_lookup_elem(&inflight_fork, &id);
	if (!fs) {
		init.dst_mm = mm;
		if (bpf_map_update_elem(&inflight_fork, &id, &init, BPF_ANY)) {
			stat_inc(CT_STAT_INFLIGHT_FULL);
			return 0;
		}
		fs = bpf_map_lookup_elem(&inflight_fork, &id);
		if (!fs)
			return 0;
	}
	if (fs->dst_mm != mm) {
		/* A new fork (an earlier one failed before sched_process_fork). */
		fs->dst_mm = mm;
		fs->pages = 0;
	}
	fs->dst_vma = (__u64)dst_vma;
	return 0;
}

static __always_inline int handle_cpr_exit(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct fork_state *fs = bpf_map_lookup_elem(&inflight_fork, &id);

	if (fs)
		fs->dst_vma = 0;
	return 0;
}

/* ---- THP: do_huge_pmd_wp_page ---- */

static __always_inline int handle_thp_enter(struct vm_fault *vmf)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct thp_state st = {};

	if (!want())
		return 0;
	st.ts = bpf_ktime_get_ns();
	st.unshare = vmf_unshare(vmf, false);
	if (bpf_map_update_elem(&inflight_thp, &id, &st, BPF_ANY))
		stat_inc(CT_STAT_INFLIGHT_FULL);
	return 0;
}

static __always_inline int handle_thp_exit(__u32 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct thp_state *st;
	__u64 now;

	st = bpf_map_lookup_elem(&inflight_thp, &id);
	if (!st)
		return 0;
	now = bpf_ktime_get_ns();
	if (vmf_fallback(ret))
		emit(CT_EV_THP, CT_THP_SPLIT, now - st->ts, 0, now);
	else if (!st->unshare && !(ret & vmf_error_mask()) && !vmf_retry(ret))
		emit(CT_EV_THP, CT_THP_REUSE, now - st->ts, 0, now);
	bpf_map_delete_elem(&inflight_thp, &id);
	return 0;
}

/* ---- handle_userfault ---- */

static __always_inline int handle_uffd_enter(unsigned long reason)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct uffd_state st = {};
	struct wp_state *wp;

	if (!want())
		return 0;
	wp = bpf_map_lookup_elem(&inflight_wp, &id);
	if (wp)
		wp->uffd = 1;
	st.ts = bpf_ktime_get_ns();
	st.kind = uffd_reason_kind(reason);
	if (bpf_map_update_elem(&inflight_uffd, &id, &st, BPF_ANY))
		stat_inc(CT_STAT_INFLIGHT_FULL);
	return 0;
}

static __always_inline int handle_uffd_exit(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct uffd_state *st;
	__u64 now;

	st = bpf_map_lookup_elem(&inflight_uffd, &id);
	if (!st)
		return 0;
	now = bpf_ktime_get_ns();
	emit(CT_EV_UFFD, st->kind, now - st->ts, 0, now);
	bpf_map_delete_elem(&inflight_uffd, &id);
	return 0;
}


/* ---- process lifecycle (tp_btf, every mode) ---- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u64 id = bpf_get_current_pid_tgid();
	struct fork_state *fs;
	__u64 now, pages = 0;
	__u16 kind = 0;

	if (ptgid == ctgid)
		return 0; /* a new thread */
	if (cfg.filter_follow) {
		__u8 *v = bpf_map_lookup_elem(&traced, &ptgid);
		__u8 yes = CT_TRACED_YES;

		if (v && (*v == CT_TRACED_YES || *v == CT_TRACED_CHILDREN))
			bpf_map_update_elem(&traced, &ctgid, &yes, BPF_ANY);
	}
	if (want_tgid(ptgid))
		kind |= CT_FORK_PARENT_TRACED;
	if (want_tgid(ctgid))
		kind |= CT_FORK_CHILD_TRACED;
	fs = bpf_map_lookup_elem(&inflight_fork, &id);
	if (fs) {
		if (cfg.tp_mode || fs->dst_mm == (__u64)BPF_CORE_READ(child, mm))
			pages = fs->pages;
		bpf_map_delete_elem(&inflight_fork, &id);
	}
	if (!kind)
		return 0;
	now = bpf_ktime_get_ns();
	if (pages && (kind & CT_FORK_PARENT_TRACED))
		emit(CT_EV_PINNED, 0, pages, ctgid, now);
	/* value: pages fork copied at once, whichever side is traced */
	emit(CT_EV_FORK, kind, pages, ctgid, now);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;

	bpf_map_delete_elem(&inflight_fork, &id);
	bpf_map_delete_elem(&inflight_wp, &id);
	if (cfg.tp_mode)
		tp_resolve(id);
	if ((__u32)id != tgid)
		return 0; /* a thread, not the group leader */
	if (want_tgid(tgid))
		emit(CT_EV_EXIT, 0, 0, 0, bpf_ktime_get_ns());
	if (cfg.filter_follow)
		bpf_map_delete_elem(&traced, &tgid);
	return 0;
}

/*
 * ---- thin wrappers: fentry/fexit ----
 * Targets are set by the frontend (bpf_program__set_attach_target) so that
 * one program serves renamed functions (page_/folio_add_new_anon_rmap).
 */

SEC("fentry/do_wp_page")
int BPF_PROG(fe_wp, struct vm_fault *vmf)
{
	return handle_wp_enter(vmf, true);
}

SEC("fexit/do_wp_page")
int BPF_PROG(fx_wp, struct vm_fault *vmf, vm_fault_t ret)
{
	return handle_wp_exit(ret);
}

SEC("fentry/folio_add_new_anon_rmap")
int BPF_PROG(fe_new_anon, void *folio_or_page, struct vm_area_struct *vma)
{
	return handle_new_anon(vma);
}

SEC("fentry/copy_page_range")
int BPF_PROG(fe_cpr, struct vm_area_struct *dst_vma)
{
	return handle_cpr_enter(dst_vma);
}

SEC("fexit/copy_page_range")
int BPF_PROG(fx_cpr, struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma, int ret)
{
	return handle_cpr_exit();
}

SEC("fentry/do_huge_pmd_wp_page")
int BPF_PROG(fe_thp, struct vm_fault *vmf)
{
	return handle_thp_enter(vmf);
}

/* do_huge_pmd_wp_page(vmf) since 5.14 ... */
SEC("fexit/do_huge_pmd_wp_page")
int BPF_PROG(fx_thp1, struct vm_fault *vmf, vm_fault_t ret)
{
	return handle_thp_exit(ret);
}

/* ... and (vmf, orig_pmd) before: the return value is one slot later. */
SEC("fexit/do_huge_pmd_wp_page")
int BPF_PROG(fx_thp2, struct vm_fault *vmf, __u64 orig_pmd, vm_fault_t ret)
{
	return handle_thp_exit(ret);
}

SEC("fentry/handle_userfault")
int BPF_PROG(fe_uffd, struct vm_fault *vmf, unsigned long reason)
{
	return handle_uffd_enter(reason);
}

SEC("fexit/handle_userfault")
int BPF_PROG(fx_uffd, struct vm_fault *vmf, unsigned long reason, vm_fault_t ret)
{
	return handle_uffd_exit();
}

/* ---- thin wrappers: kprobe/kretprobe (attached by name by the frontend) ---- */

SEC("kprobe")
int BPF_KPROBE(kp_wp, struct vm_fault *vmf)
{
	return handle_wp_enter(vmf, false);
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_wp, vm_fault_t ret)
{
	return handle_wp_exit(ret);
}

SEC("kprobe")
int BPF_KPROBE(kp_new_anon, void *folio_or_page, struct vm_area_struct *vma)
{
	return handle_new_anon(vma);
}

SEC("kprobe")
int BPF_KPROBE(kp_cpr, struct vm_area_struct *dst_vma)
{
	return handle_cpr_enter(dst_vma);
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_cpr)
{
	return handle_cpr_exit();
}

SEC("kprobe")
int BPF_KPROBE(kp_thp, struct vm_fault *vmf)
{
	return handle_thp_enter(vmf);
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_thp, vm_fault_t ret)
{
	return handle_thp_exit(ret);
}

SEC("kprobe")
int BPF_KPROBE(kp_uffd, struct vm_fault *vmf, unsigned long reason)
{
	return handle_uffd_enter(reason);
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_uffd)
{
	return handle_uffd_exit();
}
