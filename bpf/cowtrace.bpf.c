// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cowtrace: classify copy-on-write, pinned-COW, userfaultfd and uffd-wp
 * marker events per process.
 *
 * Layout: every kernel hook has a thin fentry/fexit wrapper and a thin
 * kprobe/kretprobe wrapper around one shared handler, so both attach modes
 * see exactly the same set of functions.  Which wrapper is loaded (or none)
 * is decided by the frontend from BTF and kallsyms before load.  Tracepoint
 * mode (kernels without kprobes/fentry) lives in cowtrace_tp.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cowtrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Flag values that are #defines in the kernel (not in BTF); stable since 5.x. */
#define VM_SHARED	0x00000008UL
#define VM_MAYSHARE	0x00000080UL
#define VM_UFFD_MISSING	0x00000200UL
#define VM_UFFD_WP	0x00001000UL
#define PAGE_MAPPING_ANON 0x1UL
#define PAGE_MAPPING_KSM  0x3UL

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

/*
 * Fork window: copy_page_range() runs once per VMA of the parent while a
 * child mm is built.  Pages mapped as new anon pages into the destination
 * VMA inside the window are pages fork had to copy at once (maybe pinned).
 * The count is keyed by the child mm and emitted at sched_process_fork.
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

static __always_inline void emit(__u16 type, __u16 kind, __u64 value, __u32 aux, __u64 ts)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct ct_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(CT_STAT_LOST);
		return;
	}
	e->ts_ns = ts;
	e->value = value;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	/* 5.11+: a BTF task pointer, two plain loads instead of two probe reads. */
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf))
		e->ppid = bpf_get_current_task_btf()->real_parent->tgid;
	else
		e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->aux = aux;
	e->type = type;
	e->kind = kind;
	e->__pad = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_ringbuf_submit(e, rb_wakeup());
}

/* ---- vm_fault_reason bits, read from BTF where they are enum values ---- */

/* VM_FAULT_WRITE existed up to 6.1 (CO-RE flavor: matched by name). */
enum vm_fault_reason___old {
	VM_FAULT_WRITE = 8,
};

static __always_inline __u32 vmf_error_mask(void)
{
	/* VM_FAULT_ERROR = OOM|SIGBUS|SIGSEGV|HWPOISON|HWPOISON_LARGE|FALLBACK */
	return bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_OOM) |
	       bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_SIGBUS) |
	       bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_SIGSEGV) |
	       bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_HWPOISON) |
	       bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_HWPOISON_LARGE) |
	       bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_FALLBACK);
}

static __always_inline bool vmf_done(__u32 ret)
{
	/* The fault did its work: no error, no retry, no "pte changed". */
	__u32 bad = vmf_error_mask() |
		    bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_RETRY) |
		    bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_NOPAGE);

	if (ret & bad)
		return false;
	/* Up to 6.1 a write fault that changed the pte says so. */
	if (bpf_core_enum_value_exists(enum vm_fault_reason___old, VM_FAULT_WRITE) &&
	    !(ret & bpf_core_enum_value(enum vm_fault_reason___old, VM_FAULT_WRITE)))
		return false;
	return true;
}

/*
 * Kernel memory reads.  fentry/fexit programs get BTF-typed arguments and
 * read through them with plain loads; kprobes need bpf_probe_read_kernel(),
 * an order of magnitude dearer.  `btf` is a compile-time constant: each thin
 * wrapper passes its own, and clang drops the other branch.
 */
#define KREAD(btf, src, field) ((btf) ? (src)->field : BPF_CORE_READ(src, field))

static __always_inline bool vmf_unshare(struct vm_fault *vmf, bool btf)
{
	__u32 flags;

	if (!bpf_core_enum_value_exists(enum fault_flag, FAULT_FLAG_UNSHARE))
		return false;
	flags = KREAD(btf, vmf, flags);
	return flags & bpf_core_enum_value(enum fault_flag, FAULT_FLAG_UNSHARE);
}

/* 7.x renamed page->compound_head to compound_info (CO-RE flavor). */
struct page___info {
	unsigned long compound_info;
} __attribute__((preserve_access_index));

/*
 * The head page of a (possibly tail) page.  Bit 0 of compound_head /
 * compound_info marks a tail page; the rest is the head pointer, or (newer
 * kernels with optimized vmemmap) a mask that turns the tail's address into
 * the head's.  A pointer lies just below the page; a mask does not.
 */
static __always_inline struct page *page_head(struct page *page)
{
	unsigned long info, p = (unsigned long)page;

	if (bpf_core_field_exists(page->compound_head))
		info = BPF_CORE_READ(page, compound_head);
	else if (bpf_core_field_exists(((struct page___info *)page)->compound_info))
		info = BPF_CORE_READ((struct page___info *)page, compound_info);
	else
		return page;
	if (!(info & 1))
		return page;
	if (info - 1 <= p && p - (info - 1) < (1UL << 30))
		return (struct page *)(info - 1);
	return (struct page *)(p & info);
}

/* struct page's mapping word of the head page (tail pages do not carry it). */
static __always_inline __u64 page_mapping_word(struct page *page)
{
	return (__u64)BPF_CORE_READ(page_head(page), mapping);
}

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
	st->shared = (vm_flags & (VM_SHARED | VM_MAYSHARE)) != 0;
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
		struct page *old = BPF_CORE_READ(vmf, page);
		__u64 mapping;

		st->copied = 1;
		if (!old) {
			st->copy_kind = CT_WP_COPY_ZERO;
		} else {
			mapping = page_mapping_word(old);
			if ((mapping & PAGE_MAPPING_KSM) == PAGE_MAPPING_KSM)
				st->copy_kind = CT_WP_COPY_KSM;
			else if (!(mapping & PAGE_MAPPING_ANON))
				st->copy_kind = CT_WP_COPY_FILE;
			else
				st->copy_kind = CT_WP_COPY_ANON;
		}
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
	__u32 fallback = bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_FALLBACK);
	struct thp_state *st;
	__u64 now;

	st = bpf_map_lookup_elem(&inflight_thp, &id);
	if (!st)
		return 0;
	now = bpf_ktime_get_ns();
	if (ret & fallback)
		emit(CT_EV_THP, CT_THP_SPLIT, now - st->ts, 0, now);
	else if (!st->unshare && !(ret & (vmf_error_mask() |
		   bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_RETRY))))
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
	if (reason & VM_UFFD_MISSING)
		st.kind = CT_UFFD_MISSING;
	else if (reason & VM_UFFD_WP)
		st.kind = CT_UFFD_WP;
	else
		st.kind = CT_UFFD_MINOR;
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


#include "cowtrace_tp.bpf.h"
#include "cowtrace_marker.bpf.h"

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
