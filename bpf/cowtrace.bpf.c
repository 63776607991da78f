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

/* ---- do_wp_page ---- */

/*
 * What a copy in do_wp_page counts as.  A copy of a KSM page is copy_ksm,
 * whether a write made it or an unshare: "mm/ksm: fix KSM COW breaking with
 * userfaultfd-wp via FAULT_FLAG_UNSHARE" (6.2) made break_ksm() unmerge
 * with FAULT_FLAG_UNSHARE instead of a fake write fault, and the same
 * unmerge must count the same on every kernel.  Any other unshare is a
 * read-only GUP pin unsharing an anonymous page still shared with a fork
 * child.
 */
static __always_inline __u32 wp_copy_kind(const struct ct_thread *t)
{
	if (t->wp_unshare && t->wp_kind != CT_WP_COPY_KSM)
		return CT_WP_UNSHARE;
	return t->wp_kind;
}

/*
 * Settle a fault whose exit program the kernel skipped (its per-CPU
 * recursion guard skips a program while a preempted run of it is pending
 * on that CPU; the skips are counted in the program's recursion_misses).
 * A copy is known from the rmap hook.  Otherwise the fault most likely
 * reused the page, unless the same page faults again (the fault was
 * retried), or it went to userfaultfd, or it was an unshare: those had no
 * outcome.  Settled outcomes have no latency.  next_addr: the page of the
 * thread's next fault, 0 at its exit.
 */
static __always_inline void wp_settle(struct ct_thread *t, __u32 tgid, __u64 next_addr, __u64 now)
{
	t->wp_active = 0;
	stat_inc(CT_STAT_SETTLED);
	if (t->wp_copied)
		count_wp(NULL, tgid, wp_copy_kind(t), 0, now, t->wp_map, t->wp_file);
	else if (!t->wp_uffd && !t->wp_unshare && next_addr != t->wp_addr)
		count_wp(NULL, tgid, t->wp_shared ? CT_WP_SHARED_REUSE : CT_WP_REUSE, 0, now, 0, 0);
}

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
	if (t->wp_active)
		wp_settle(t, tgid, addr, bpf_ktime_get_ns());
	t->wp_vmf = (__u64)vmf;
	t->wp_vma = (__u64)vma;
	t->wp_addr = addr;
	t->wp_unshare = vmf_unshare(vmf, btf);
	t->wp_shared = vm_flags_shared(KREAD(btf, vma, vm_flags));
	t->wp_copied = 0;
	t->wp_uffd = 0;
	t->wp_active = 1;
	t->wp_ts = cfg.wp_latency ? bpf_ktime_get_ns() : 0;
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
	if (t && t->wp_mark == current_faults() + 1 && t->wp_vma == (__u64)vma && t->wp_addr == vmf->address) {
		bool huge, freed;

		t->wp_mark = 0;
		kind = old_page_class(vmf->page, &vmf->page, true, &huge, &freed);
		/*
		 * Read after the copy: if it dropped the old page's last
		 * reference, the page was freed and says nothing any more.  It
		 * was the last mapping of a KSM page (the only pages a KSM-
		 * mergeable VMA copies from when no other mapping is left), or an
		 * anonymous page whose other mappings went away during the copy.
		 */
		if (freed)
			kind = (vma->vm_flags & CT_VM_MERGEABLE) ? CT_WP_COPY_KSM : CT_WP_COPY_ANON;
		if (vmf_unshare(vmf, true) && kind != CT_WP_COPY_KSM)
			kind = CT_WP_UNSHARE;
		map = copy_map_class(vma, huge, cfg.shm_mnt_addr, &file, true);
	} else if (!vmf_done(ret) || vmf_unshare(vmf, true) || pte == CT_PTE_OTHER) {
		return 0; /* to userfaultfd, retry, error; nothing to unshare; another thread's copy won */
	} else {
		kind = vm_flags_shared(vma->vm_flags) ? CT_WP_SHARED_REUSE : CT_WP_REUSE;
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

	if (!t || !t->wp_active)
		return 0;
	t->wp_active = 0;
	if (t->wp_copied)
		kind = wp_copy_kind(t);
	else if (t->wp_uffd || t->wp_unshare || !vmf_done(ret) ||
		 wp_lost_race(btf ? vmf : (struct vm_fault *)t->wp_vmf, btf))
		return 0; /* went to userspace, no-op unshare, retry or error; another thread's copy won */
	else
		kind = t->wp_shared ? CT_WP_SHARED_REUSE : CT_WP_REUSE;
	now = bpf_ktime_get_ns();
	count_wp(ctx, bpf_get_current_pid_tgid() >> 32, kind, cfg.wp_latency ? now - t->wp_ts : 0, now, t->wp_map,
		 t->wp_file);
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
		if (t->fork_vma && t->fork_vma == (__u64)vma) {
			t->fork_pages++;
		} else {
			t->wp_mark = current_faults() + 1;
			t->wp_vma = (__u64)vma;
			t->wp_addr = address;
		}
		return 0;
	}
	t = thread_get(false);
	if (!t)
		return 0;
	if (t->wp_active && t->wp_vma == (__u64)vma && t->wp_addr == address) {
		struct vm_fault *vmf = (void *)t->wp_vmf;
		struct page *old = BPF_CORE_READ(vmf, page);
		bool huge;

		t->wp_copied = 1;
		t->wp_kind = old_page_class(old, NULL, false, &huge, NULL);
		t->wp_map = copy_map_class(vma, huge, cfg.shm_mnt_addr, &t->wp_file, btf);
	} else if (t->fork_vma && t->fork_vma == (__u64)vma) {
		t->fork_pages++;
	}
	return 0;
}

/* ---- copy_page_range: the fork window ---- */

static __always_inline int handle_cpr_enter(struct vm_area_struct *dst_vma)
{
	struct ct_thread *t = thread_traced(bpf_get_current_pid_tgid() >> 32);
	__u64 mm;

	if (!t)
		return 0;
	mm = (__u64)BPF_CORE_READ(dst_vma, vm_mm);
	if (t->fork_mm != mm) { /* a new fork (an earlier one failed before sched_process_fork) */
		t->fork_mm = mm;
		t->fork_pages = 0;
	}
	t->fork_vma = (__u64)dst_vma;
	return 0;
}

static __always_inline int handle_cpr_exit(void)
{
	struct ct_thread *t = thread_get(false);

	if (t)
		t->fork_vma = 0;
	return 0;
}

/* ---- THP: do_huge_pmd_wp_page ---- */

static __always_inline int handle_thp_enter(struct vm_fault *vmf)
{
	struct ct_thread *t = thread_traced(bpf_get_current_pid_tgid() >> 32);

	if (!t)
		return 0;
	t->thp_unshare = vmf_unshare(vmf, false);
	t->thp_active = 1;
	t->thp_ts = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int handle_thp_exit(__u32 ret)
{
	struct ct_thread *t = thread_get(false);
	__u32 kind;
	__u64 now;

	if (!t || !t->thp_active)
		return 0;
	t->thp_active = 0;
	if (vmf_fallback(ret))
		kind = CT_THP_SPLIT;
	else if (!t->thp_unshare && !(ret & vmf_error_mask()) && !vmf_retry(ret))
		kind = CT_THP_REUSE;
	else
		return 0;
	now = bpf_ktime_get_ns();
	count_n(CT_C_THP + kind, 1, cfg.wp_latency ? CT_H_LAT_THP : -1, now - t->thp_ts, now);
	if (cfg.per_event)
		emit(CT_EV_THP, kind, now - t->thp_ts, 0, now);
	return 0;
}

/* ---- handle_userfault ---- */

static __always_inline int handle_uffd_enter(unsigned long reason)
{
	struct ct_thread *t = thread_traced(bpf_get_current_pid_tgid() >> 32);

	if (!t)
		return 0;
	if (t->wp_active)
		t->wp_uffd = 1;
	t->uffd_kind = uffd_reason_kind(reason);
	t->uffd_active = 1;
	t->uffd_ts = bpf_ktime_get_ns();
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

	if (!t || !t->uffd_active)
		return 0;
	t->uffd_active = 0;
	kind = vmf_sigbus(ret) ? CT_UFFD_SIGBUS : t->uffd_kind;
	if (kind >= CT_UFFD_KIND_MAX)
		return 0;
	now = bpf_ktime_get_ns();
	if (kind < CT_UFFD_BLOCKING && vmf_retry(ret))
		blocked = now - t->uffd_ts;
	count_n(CT_C_UFFD + kind, 1, blocked ? (int)(CT_H_UFFD_BLOCKED + kind) : -1, blocked, now);
	if (cfg.per_event)
		emit(CT_EV_UFFD, kind, blocked, 0, now);
	return 0;
}

/* ---- process lifecycle (tp_btf, every mode) ---- */

/* A copy of a process record into the ring (flags added); NULL: ring full (counted). */
static __always_inline struct ct_proc_rec *proc_rec_reserve(const struct ct_proc_rec *p, __u8 flags)
{
	struct ct_proc_rec *r = ring_reserve(&lifecycle, sizeof(*r));

	if (r) {
		__builtin_memcpy(r, p, sizeof(*r));
		r->flags |= flags;
	}
	return r;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct ct_thread *t = thread_get(false);
	struct ct_proc_rec *p, *r;
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
	/* the pages fork copied at once: counted in the fork window of this thread */
	if (t && (cfg.tp_mode || t->fork_mm == (__u64)child->mm))
		pages = t->fork_pages;
	if (t) {
		t->fork_mm = 0;
		t->fork_pages = 0;
	}
	if (!kind)
		return 0;
	now = bpf_ktime_get_ns();
	if ((kind & CT_FORK_PARENT_TRACED) && (p = proc_current(ptgid, now))) {
		/* The parent's copies are charged to this fork from now on: hand over the old segment. */
		if (p->seg_copies && (r = proc_rec_reserve(p, CT_PROC_FORKED)))
			bpf_ringbuf_submit(r, rb_wakeup(&lifecycle));
		__sync_fetch_and_add(&p->c[CT_C_FORKS], 1);
		__sync_fetch_and_add(&p->c[CT_C_PINNED], pages);
		p->seg_fork_ns = now;
		p->seg_side = CT_SEG_PARENT;
		p->seg_copies = 0;
		p->seg_first_ns = 0;
		p->seg_last_ns = 0;
		__builtin_memset(p->seg_map, 0, sizeof(p->seg_map));
		p->last_ns = now;
		if (pages && cfg.per_event)
			emit(CT_EV_PINNED, 0, pages, ctgid, now);
	}
	if (kind & CT_FORK_CHILD_TRACED) {
		proc_drop_unread(ctgid, bpf_map_lookup_elem(&procs, &ctgid));
		proc_new(ctgid, ptgid, child->start_time, now, CT_SEG_CHILD, now, true);
	}
	/* value: pages fork copied at once, whichever side is traced */
	emit_to(&lifecycle, CT_EV_FORK, kind, pages, ctgid, now);
	if (cfg.per_event) /* in order with the per-fault events, for --events and records */
		emit(CT_EV_FORK, kind, pages, ctgid, now);
	return 0;
}

/* A final histogram of process tgid into the lifecycle ring; false: no room. */
static __always_inline bool hist_rec_send(__u32 tgid, __u64 start_ns, __u32 id, const struct ct_hist_val *h)
{
	struct ct_hist_rec *hr = bpf_ringbuf_reserve(&lifecycle, sizeof(*hr), 0);

	if (!hr)
		return false;
	hr->start_ns = start_ns;
	hr->pid = tgid;
	hr->type = CT_REC_TYPE_HIST;
	hr->id = id;
	__builtin_memcpy(&hr->h, h, sizeof(hr->h));
	bpf_ringbuf_submit(hr, BPF_RB_NO_WAKEUP); /* the record, submitted last, wakes the frontend */
	return true;
}

/*
 * proc_exit()'s note of the histograms a process has in `hists`.  In a map
 * value, not a register: the verifier knows a register's bits on each path
 * through the first loop and, once the later loops branch on them, walks
 * every combination (2^8 paths: a second of load time); a value loaded from
 * a map is unknown to it, and the paths join again.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} exit_have SEC(".maps");

/*
 * Hand a process's final counts and histograms to the frontend, and forget
 * them.  When the lifecycle ring is full (thousands of processes ending at
 * once), they stay in the maps instead, the record marked exited: the
 * frontend's next read takes them and deletes them.  All or nothing: the
 * room checked first can be taken by exits on other CPUs before this one
 * reserves it, so the record is held until every histogram has its place,
 * and a histogram that finds none leaves them all in the maps (those sent
 * already are final values: the map read sets the same again).
 *
 * An exit leaves a quarter of the ring free: what has no other way to the
 * frontend (a fork's event, the parent's segment it ends) must find room
 * while thousands of exits wait for a frontend slowed down by other tracing
 * on the machine (with the whole ring theirs, fork records were lost then).
 */
static __always_inline void proc_exit(__u32 tgid, __u64 now)
{
	struct ct_proc_rec *p = bpf_map_lookup_elem(&procs, &tgid), *r;
	__u32 zero = 0, *have = bpf_map_lookup_elem(&exit_have, &zero);
	__u64 start_ns, need;
	bool f2c;

	if (!p || !have || (p->flags & CT_PROC_EXITED))
		return;
	*have = 0;
	start_ns = p->start_ns;
	/* room for the record and every histogram it has (8-byte headers) */
	f2c = !ct_hist_empty(proc_f2c(p));
	need = 8 + sizeof(*r) + (f2c ? 8 + sizeof(struct ct_hist_rec) : 0);
	for (__u32 id = 0; id < CT_H_FORK_TO_COPY; id++) { /* the last id, the one in the record */
		struct ct_hist_key k = { .pid = tgid, .id = id };

		if (bpf_map_lookup_elem(&hists, &k)) {
			need += 8 + sizeof(struct ct_hist_rec);
			*have |= 1u << id;
		}
	}
	p->ppid = current_ppid(); /* may have been reparented */
	bpf_get_current_comm(p->comm, sizeof(p->comm)); /* may have been renamed (prctl) */
	p->last_ns = now;
	r = NULL;
	if (bpf_ringbuf_query(&lifecycle, BPF_RB_RING_SIZE) * 3 / 4 >=
	    bpf_ringbuf_query(&lifecycle, BPF_RB_AVAIL_DATA) + need)
		r = bpf_ringbuf_reserve(&lifecycle, sizeof(*r), 0); /* full: not lost, see above */
	if (!r) {
		p->flags |= CT_PROC_EXITED;
		return;
	}
	__builtin_memcpy(r, p, sizeof(*r));
	r->flags |= CT_PROC_EXITED;
	for (__u32 id = 0; id < CT_H_FORK_TO_COPY; id++) {
		struct ct_hist_key k = { .pid = tgid, .id = id };
		struct ct_hist_val *h;

		if (!(*have & (1u << id)) || !(h = bpf_map_lookup_elem(&hists, &k)))
			continue;
		if (!hist_rec_send(tgid, start_ns, id, h)) {
			bpf_ringbuf_discard(r, 0);
			p->flags |= CT_PROC_EXITED;
			return;
		}
	}
	if (f2c && !hist_rec_send(tgid, start_ns, CT_H_FORK_TO_COPY, proc_f2c(p))) {
		bpf_ringbuf_discard(r, 0);
		p->flags |= CT_PROC_EXITED;
		return;
	}
	/* Two threads can both see the group dead: the one that deletes reports. */
	if (bpf_map_delete_elem(&procs, &tgid)) {
		bpf_ringbuf_discard(r, 0);
		return;
	}
	bpf_ringbuf_submit(r, rb_wakeup(&lifecycle));
	for (__u32 id = 0; id < CT_H_FORK_TO_COPY; id++) {
		struct ct_hist_key k = { .pid = tgid, .id = id };

		if (*have & (1u << id))
			bpf_map_delete_elem(&hists, &k);
	}
}
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *p)
{
	struct ct_thread *t = thread_get(false);
	__u64 now = bpf_ktime_get_ns();
	__u32 tgid = p->tgid;

	if (t && t->wp_active)
		wp_settle(t, tgid, 0, now);
	if (t && cfg.tp_mode)
		tp_settle(t);
	thread_drop();
	if (p->signal->live.counter)
		return 0; /* other threads of the process live on */
	if (cfg.per_event && want_tgid(tgid))
		emit(CT_EV_EXIT, 0, 0, 0, now);
	proc_exit(tgid, now);
	if (cfg.filter_follow)
		bpf_map_delete_elem(&traced, &tgid);
	return 0;
}

/* exec renames the process, and its stacks from now on are of another image. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ct_proc_rec *r = bpf_map_lookup_elem(&procs, &tgid);

	if (r && !(r->flags & CT_PROC_EXITED)) {
		bpf_get_current_comm(r->comm, sizeof(r->comm));
		r->execs++;
		r->flags &= ~CT_PROC_STACKS;
	}
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
