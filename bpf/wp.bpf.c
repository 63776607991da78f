// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Write faults, exact rungs: do_wp_page, the rmap hook (a new anon page
 * mapped: a copy, or an early copy inside fork's copy_page_range),
 * copy_page_range (the fork window), do_huge_pmd_wp_page and
 * handle_userfault.
 *
 * Every kernel hook has a thin fentry/fexit wrapper and a thin
 * kprobe/kretprobe wrapper around one shared handler, so both attach modes
 * see exactly the same set of functions.  Which wrapper is loaded (or none)
 * is decided by the frontend from BTF and kallsyms before load.
 */
#include "cowtrace.bpf.h"
#include "wp.bpf.h"

/* ---- do_wp_page ---- */

static __always_inline int handle_wp_enter(struct vm_fault *vmf, bool btf)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ct_thread *t = thread_traced(tgid);
	struct vm_area_struct *vma;
	__u64 addr;

	if (!t)
		return 0;
	vma = KREAD(btf, vmf, vma);
	addr = KREAD(btf, vmf, address); /* page aligned */
	if (t->wp.active)
		wp_settle(t, tgid, addr, bpf_ktime_get_ns());
	t->wp.vmf = (__u64)vmf;
	t->wp.vma = (__u64)vma;
	t->wp.addr = addr;
	t->wp.unshare = vmf_unshare(vmf, btf);
	t->wp.shared = vm_flags_shared(KREAD(btf, vma, vm_flags));
	t->wp.copied = 0;
	t->wp.uffd = 0;
	t->wp.active = 1;
	t->wp.ts = cfg.wp_latency ? bpf_ktime_get_ns() : 0;
	return 0;
}

/*
 * The fault's pte at do_wp_page's exit, against the pte the fault found
 * (vmf->orig_pte).  CT_PTE_SAME: it still maps the page frame the fault
 * found.  CT_PTE_OTHER: it maps another page: a copy, this fault's (a copy
 * maps its new page there, and wp_page_copy() points vmf->pte at that pte
 * again) or another thread's: two threads that fault on the same shared page
 * at once both set out to copy it, the first maps its copy, the other finds
 * the pte changed, throws its own copy away and returns as a reuse would
 * (up to 6.1 without VM_FAULT_WRITE, which vmf_done() checks).  CT_PTE_GONE:
 * none, not present, or (6.5+) no page table any more.
 * Not told apart: another thread unmapping the copy and mapping the old
 * frame again in the microseconds between the copy and this exit (a private
 * file page read back in after MADV_DONTNEED); that copy would count as a
 * reuse.  btf: vmf is BTF-typed (fexit: plain loads), else probe reads.
 * pte_t is read as its one word.
 */
enum { CT_PTE_SAME, CT_PTE_OTHER, CT_PTE_GONE };

static __always_inline int wp_pte_state(struct vm_fault *vmf, bool btf)
{
	__u64 *ptep, pte = 0, orig = 0;

	if (btf) {
		ptep = (__u64 *)vmf->pte;
		if (!ptep)
			return CT_PTE_GONE;
		pte = *ptep;
		orig = *(__u64 *)&vmf->orig_pte;
	} else {
		ptep = (__u64 *)BPF_CORE_READ(vmf, pte);
		if (!ptep || bpf_probe_read_kernel(&pte, sizeof(pte), ptep) ||
		    bpf_core_read(&orig, sizeof(orig), &vmf->orig_pte))
			return CT_PTE_GONE;
	}
	if (!(pte & CT_X86_PRESENT))
		return CT_PTE_GONE;
	return ((pte ^ orig) & CT_X86_PFN_MASK) ? CT_PTE_OTHER : CT_PTE_SAME;
}

/*
 * A fault that copied nothing, returned as done, and whose pte maps another
 * page now: another thread's copy won the race (see above), this fault
 * reused nothing.  Up to 6.1 vmf_done() has said so already (no probe reads
 * for kretprobes there).
 */
static __always_inline bool wp_lost_race(struct vm_fault *vmf, bool btf)
{
	if (bpf_core_enum_value_exists(enum vm_fault_reason___old, VM_FAULT_WRITE))
		return false;
	return wp_pte_state(vmf, btf) == CT_PTE_OTHER;
}

/*
 * do_wp_page's exit without its entry (fentry rung, no --latency): the
 * fault's outcome from the exit alone.  A copy: the rmap hook left its mark
 * in this very fault (same VMA, address and count of the thread's finished
 * faults, which mm_account_fault() moves only after do_wp_page), whatever
 * the return value (up to 6.1 an unshare that copied returns 0, without
 * VM_FAULT_WRITE).  Otherwise a reuse if the fault is done: one handed to
 * userfaultfd returns VM_FAULT_RETRY, SIGBUS or NOPAGE.
 * vmf is BTF-typed and the fault's locks are still held: the VMA is read
 * with plain loads.
 */
static __always_inline int handle_wp_exit_only(void *ctx, struct vm_fault *vmf, __u32 ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct vm_area_struct *vma = vmf->vma;
	struct ct_thread *t = NULL;
	__u32 kind;
	__u64 file = 0;
	__u8 map = 0;
	int pte;

	/* the pte read in each branch: one call after them costs 12 BPF instructions more per reuse */
	if (cfg.filter_follow) {
		t = thread_traced(tgid);
		if (!t)
			return 0;
		pte = wp_pte_state(vmf, true);
	} else {
		if (!want_pid_cgroup(tgid))
			return 0;
		/* none yet: this thread never mapped a new anon page; a pte that kept its page: no copy */
		pte = wp_pte_state(vmf, true);
		if (pte != CT_PTE_SAME)
			t = thread_get(false);
	}
	if (t && t->wp.mark == current_faults() + 1 && t->wp.vma == (__u64)vma && t->wp.addr == vmf->address) {
		/* read after the copy: the old page may have been freed by it */
		struct page_facts pf = page_facts(vmf->page, &vmf->page, true, true);

		t->wp.mark = 0;
		kind = pf.freed ? ct_copy_kind_freed(vm_flags_mergeable(vma->vm_flags))
				: ct_copy_kind(pf.zero_page, pf.ksm, pf.anon);
		kind = ct_wp_copy_kind(kind, vmf_unshare(vmf, true));
		map = copy_map_class(vma, pf.huge, cfg.shm_mnt_addr, &file, true);
	} else if (!ct_wp_reused(vmf_done(ret), vmf_unshare(vmf, true), false) || pte == CT_PTE_OTHER) {
		return 0; /* to userfaultfd, retry, error; nothing to unshare; another thread's copy won */
	} else {
		kind = ct_wp_reuse_kind(vm_flags_shared(vma->vm_flags));
	}
	count_wp(ctx, tgid, kind, 0, ct_wp_is_copy(kind) || cfg.per_event ? bpf_ktime_get_ns() : 0, map, file);
	return 0;
}

/* vmf: the fault (fexit), or NULL: the one its entry kept (kretprobe) */
static __always_inline int handle_wp_exit(void *ctx, __u32 ret, struct vm_fault *vmf, bool btf)
{
	struct ct_thread *t = thread_get(false);
	__u32 kind;
	__u64 now;

	if (!t || !t->wp.active)
		return 0;
	t->wp.active = 0;
	if (t->wp.copied)
		kind = ct_wp_copy_kind(t->wp.kind, t->wp.unshare);
	else if (!ct_wp_reused(vmf_done(ret), t->wp.unshare, t->wp.uffd) ||
		 wp_lost_race(btf ? vmf : (struct vm_fault *)t->wp.vmf, btf))
		return 0; /* went to userspace, no-op unshare, retry or error; another thread's copy won */
	else
		kind = ct_wp_reuse_kind(t->wp.shared);
	now = bpf_ktime_get_ns();
	count_wp(ctx, bpf_get_current_pid_tgid() >> 32, kind, cfg.wp_latency ? now - t->wp.ts : 0, now, t->wp.map,
		 t->wp.file);
	return 0;
}

/* ---- a new anon page mapped: a copy in do_wp_page, or an early copy at fork ---- */

static __always_inline int handle_new_anon(struct vm_area_struct *vma, unsigned long address, bool btf)
{
	struct ct_thread *t;

	if (!cfg.wp_entry) { /* the mark handle_wp_exit_only() matches */
		if (!want_pid_cgroup(bpf_get_current_pid_tgid() >> 32))
			return 0;
		t = thread_get(true);
		if (!t) {
			stat_inc(CT_STAT_NOSPACE);
			return 0;
		}
		if (t->fork.vma && t->fork.vma == (__u64)vma) {
			t->fork.pages++;
		} else {
			t->wp.mark = current_faults() + 1;
			t->wp.vma = (__u64)vma;
			t->wp.addr = address;
		}
		return 0;
	}
	t = thread_get(false);
	if (!t)
		return 0;
	if (t->wp.active && t->wp.vma == (__u64)vma && t->wp.addr == address) {
		struct vm_fault *vmf = (void *)t->wp.vmf;
		struct page_facts pf = page_facts(BPF_CORE_READ(vmf, page), NULL, false, false);

		t->wp.copied = 1;
		t->wp.kind = ct_copy_kind(pf.zero_page, pf.ksm, pf.anon);
		t->wp.map = copy_map_class(vma, pf.huge, cfg.shm_mnt_addr, &t->wp.file, btf);
	} else if (t->fork.vma && t->fork.vma == (__u64)vma) {
		t->fork.pages++;
	}
	return 0;
}

/* ---- copy_page_range: the fork window, and the fork's time copying page tables ---- */

static __always_inline int handle_cpr_enter(struct vm_area_struct *dst_vma)
{
	struct ct_thread *t = thread_traced(bpf_get_current_pid_tgid() >> 32);
	__u64 mm;

	if (!t)
		return 0;
	mm = (__u64)BPF_CORE_READ(dst_vma, vm_mm);
	if (t->fork.mm != mm) { /* a new fork (an earlier one failed before sched_process_fork) */
		t->fork.mm = mm;
		t->fork.pages = 0;
		t->fork.cpr_ns = 0;
	}
	t->fork.vma = (__u64)dst_vma;
	t->fork.cpr_ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int handle_cpr_exit(void)
{
	struct ct_thread *t = thread_get(false);

	if (t && t->fork.vma) {
		t->fork.vma = 0;
		t->fork.cpr_ns += bpf_ktime_get_ns() - t->fork.cpr_ts;
		t->fork.cpr = 1;
	}
	return 0;
}

/* ---- THP: do_huge_pmd_wp_page ---- */

static __always_inline int handle_thp_enter(struct vm_fault *vmf)
{
	struct ct_thread *t = thread_traced(bpf_get_current_pid_tgid() >> 32);

	if (!t)
		return 0;
	t->thp.unshare = vmf_unshare(vmf, false);
	t->thp.active = 1;
	t->thp.ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int handle_thp_exit(__u32 ret)
{
	struct ct_thread *t = thread_get(false);
	__u32 kind;
	__u64 now;

	if (!t || !t->thp.active)
		return 0;
	t->thp.active = 0;
	kind = ct_thp_kind(vmf_fallback(ret), t->thp.unshare, ret & vmf_error_mask(), vmf_retry(ret));
	if (kind >= CT_THP_KIND_MAX)
		return 0;
	now = bpf_ktime_get_ns();
	count_n(CT_C_THP + kind, 1, cfg.wp_latency ? CT_H_LAT_THP : -1, now - t->thp.ts, now);
	if (cfg.per_event)
		emit(CT_EV_THP, kind, now - t->thp.ts, 0, now);
	return 0;
}

/* ---- handle_userfault ---- */

static __always_inline int handle_uffd_enter(unsigned long reason)
{
	struct ct_thread *t = thread_traced(bpf_get_current_pid_tgid() >> 32);

	if (!t)
		return 0;
	if (t->wp.active)
		t->wp.uffd = 1;
	t->uffd.kind = ct_uffd_kind(uffd_reason_missing(reason), uffd_reason_wp(reason));
	t->uffd.active = 1;
	t->uffd.ts = bpf_ktime_get_ns();
	return 0;
}

/*
 * A fault handed to userfaultfd that returned VM_FAULT_RETRY blocked until
 * the handler answered: entry..exit is its blocked time.  One that returned
 * VM_FAULT_SIGBUS never waited (UFFD_FEATURE_SIGBUS, or no way to wait):
 * counted apart, without a time.
 */
static __always_inline int handle_uffd_exit(__u32 ret)
{
	struct ct_thread *t = thread_get(false);
	__u64 now, blocked = 0;
	__u32 kind;

	if (!t || !t->uffd.active)
		return 0;
	t->uffd.active = 0;
	kind = ct_uffd_outcome(t->uffd.kind, vmf_sigbus(ret));
	if (kind >= CT_UFFD_KIND_MAX)
		return 0;
	now = bpf_ktime_get_ns();
	if (ct_uffd_blocked(kind, vmf_retry(ret)))
		blocked = now - t->uffd.ts;
	count_n(CT_C_UFFD + kind, 1, blocked ? (int)(CT_H_UFFD_BLOCKED + kind) : -1, blocked, now);
	if (cfg.per_event)
		emit(CT_EV_UFFD, kind, blocked, 0, now);
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
	if (!cfg.wp_entry)
		return handle_wp_exit_only(ctx, vmf, ret);
	return handle_wp_exit(ctx, ret, vmf, true);
}

SEC("fentry/folio_add_new_anon_rmap")
int BPF_PROG(fe_new_anon, void *folio_or_page, struct vm_area_struct *vma, unsigned long address)
{
	return handle_new_anon(vma, address, true);
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
	return handle_uffd_exit(ret);
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
	return handle_wp_exit(ctx, ret, NULL, false);
}

SEC("kprobe")
int BPF_KPROBE(kp_new_anon, void *folio_or_page, struct vm_area_struct *vma, unsigned long address)
{
	return handle_new_anon(vma, address, false);
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
int BPF_KRETPROBE(krp_uffd, vm_fault_t ret)
{
	return handle_uffd_exit(ret);
}
