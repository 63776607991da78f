/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel differences, in one place (the model is bcc libbpf-tools'
 * core_fixes.bpf.h).  Every CO-RE flavor struct, every flag the kernel
 * keeps in a #define (so not in BTF) and every arch constant the hooks use
 * is here, each block naming the kernel change that made it necessary, each
 * behind a small accessor, so that the handlers read as if there were one
 * kernel.  A change is cited by its mainline hash and subject where they
 * were checked against a second source; by subject and release otherwise.  Decisions come from BTF at load time (bpf_core_*_exists), never
 * from a version number.  Self-contained: it needs nothing of cowtrace's,
 * and says nothing of what an event counts as (that is
 * include/cowtrace_classify.h); the accessors return kernel facts.
 */
#ifndef COWTRACE_CORE_FIXES_BPF_H
#define COWTRACE_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/*
 * ---- vm_flags bits ----
 * #defines in include/linux/mm.h, unchanged in value from 5.10 to 7.x:
 * VM_SHARED/VM_MAYSHARE since the beginning, VM_UFFD_MISSING since
 * "userfaultfd: add VM_UFFD_MISSING and VM_UFFD_WP" (4.3), VM_UFFD_WP's
 * value 0x1000 since the same change.
 */
#define CT_VM_SHARED		0x00000008UL
#define CT_VM_MAYSHARE		0x00000080UL
#define CT_VM_UFFD_MISSING	0x00000200UL
#define CT_VM_UFFD_WP		0x00001000UL
#define CT_VM_MERGEABLE		0x80000000UL

/* A shared (write-notify) mapping: its write faults reuse in place. */
static __always_inline bool vm_flags_shared(unsigned long vm_flags)
{
	return vm_flags & (CT_VM_SHARED | CT_VM_MAYSHARE);
}

static __always_inline bool vm_flags_uffd_wp(unsigned long vm_flags)
{
	return vm_flags & CT_VM_UFFD_WP;
}

static __always_inline bool vm_flags_mergeable(unsigned long vm_flags)
{
	return vm_flags & CT_VM_MERGEABLE;
}

/*
 * handle_userfault(vmf, reason): reason is VM_UFFD_MISSING or VM_UFFD_WP,
 * anything else is a minor fault (VM_UFFD_MINOR, "userfaultfd: add minor
 * fault registration mode", 7677f7fd8be7, 5.13, whose bit moved between
 * versions).
 */
static __always_inline bool uffd_reason_missing(unsigned long reason)
{
	return reason & CT_VM_UFFD_MISSING;
}

static __always_inline bool uffd_reason_wp(unsigned long reason)
{
	return reason & CT_VM_UFFD_WP;
}

/*
 * ---- page->mapping low bits ----
 * PAGE_MAPPING_ANON 0x1 and PAGE_MAPPING_KSM 0x3 (include/linux/page-flags.h);
 * the later rename to FOLIO_MAPPING_* kept the values.
 */
#define CT_MAPPING_ANON	0x1UL
#define CT_MAPPING_KSM	0x3UL

/*
 * ---- page->compound_head ----
 * 7.x's rework of compound_head() for optimized vmemmap renamed the field
 * to compound_info, which may hold a mask instead of the head pointer.
 */
struct page___info {
	unsigned long compound_info;
} __attribute__((preserve_access_index));

/*
 * The head page of a (possibly tail) page, from its compound info: the
 * rest of the word is the head pointer, or (newer kernels with optimized
 * vmemmap) a mask that turns the tail's address into the head's.  A
 * pointer lies just below the page; a mask does not.
 */
static __always_inline struct page *page_head(struct page *page, unsigned long info)
{
	unsigned long p = (unsigned long)page;

	if (!(info & 1))
		return page;
	if (info - 1 <= p && p - (info - 1) < (1UL << 30))
		return (struct page *)(info - 1);
	return (struct page *)(p & info);
}

/*
 * What the page a write fault copied (vmf->page) is.  zero_page: there is
 * none, the shared zero page.  Else the mapping word of its head page (tail
 * pages do not carry it): a KSM page (low bits 0x3), anonymous (0x1), or
 * neither: a page of the page cache.  huge: part of a huge page (THP, or
 * any large folio): a tail page, or a head (PG_head).  The words it needs
 * (flags, the compound word, the mapping, the reference count) lie in the
 * page's first CT_PAGE_WORDS words on every kernel (offsets from CO-RE):
 * one read for all, one more for a tail's head.  freed (asked for with
 * want_freed): the page has no reference left.  btf: old is a BTF-typed
 * pointer, which the verifier lets us read through but not compute with,
 * loaded from `where`.
 */
#define CT_PAGE_WORDS 7

/* The word of compound_head / compound_info (bit 0 marks a tail page). */
static __always_inline __u32 page_info_word(struct page *page)
{
	if (bpf_core_field_exists(page->compound_head))
		return bpf_core_field_offset(page->compound_head) / 8;
	if (bpf_core_field_exists(((struct page___info *)page)->compound_info))
		return bpf_core_field_offset(((struct page___info *)page)->compound_info) / 8;
	return CT_PAGE_WORDS; /* none: no tail pages */
}

struct page_facts {
	bool zero_page, ksm, anon, huge, freed;
};

static __always_inline struct page_facts page_facts(struct page *old, struct page **where, bool btf,
						    bool want_freed)
{
	__u32 wi = page_info_word(old), wm = bpf_core_field_offset(old->mapping) / 8;
	__u32 rc = bpf_core_field_offset(old->_refcount);
	unsigned long w[CT_PAGE_WORDS] = {}, info = 0;
	struct page_facts f = {};
	__u64 mapping = 0;

	if (!old) {
		f.zero_page = true;
		return f;
	}
	bpf_probe_read_kernel(w, sizeof(w), old);
	if (wi < CT_PAGE_WORDS)
		info = w[wi];
	/* flags: the first word (an unsigned long; 53fbef56e07d "mm: introduce memdesc_flags_t", 6.18, wrapped it) */
	f.huge = (info & 1) || (w[0] & (1UL << bpf_core_enum_value(enum pageflags, PG_head)));
	if (info & 1) {
		struct page *p = old;

		if (btf) /* no arithmetic on a BTF-typed pointer: its value, read from where it is */
			bpf_probe_read_kernel(&p, sizeof(p), where);
		mapping = (__u64)BPF_CORE_READ(page_head(p, info), mapping);
	} else if (wm < CT_PAGE_WORDS)
		mapping = w[wm];
	else
		mapping = (__u64)BPF_CORE_READ(old, mapping);
	if (want_freed && !(info & 1) && rc / 8 < CT_PAGE_WORDS)
		f.freed = !(__u32)(w[rc / 8] >> (rc % 8 * 8));
	f.ksm = (mapping & CT_MAPPING_KSM) == CT_MAPPING_KSM;
	f.anon = mapping & CT_MAPPING_ANON;
	return f;
}

/*
 * ---- vm_fault_reason ----
 * VM_FAULT_WRITE said "the pte was made writable"; cb8d86331343 "mm: remove
 * VM_FAULT_WRITE" (6.2) took it away (CO-RE flavor: matched by name).
 */
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

static __always_inline bool vmf_retry(__u32 ret)
{
	return ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_RETRY);
}

static __always_inline bool vmf_sigbus(__u32 ret)
{
	return ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_SIGBUS);
}

static __always_inline bool vmf_fallback(__u32 ret)
{
	return ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_FALLBACK);
}

/* The fault did its work: no error, no retry, no "pte changed under us". */
static __always_inline bool vmf_done(__u32 ret)
{
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

/*
 * ---- FAULT_FLAG_UNSHARE ----
 * c89357e27f20 "mm: support GUP-triggered unsharing of anonymous pages" added
 * FAULT_FLAG_UNSHARE: a read-only GUP pin made do_wp_page copy a shared
 * anonymous page without a write.  Absent before: no unshare faults.
 */
static __always_inline bool vmf_unshare(struct vm_fault *vmf, bool btf)
{
	__u32 flags;

	if (!bpf_core_enum_value_exists(enum fault_flag, FAULT_FLAG_UNSHARE))
		return false;
	flags = KREAD(btf, vmf, flags);
	return flags & bpf_core_enum_value(enum fault_flag, FAULT_FLAG_UNSHARE);
}

/*
 * ---- the current task's parent ----
 * 3ca1032ab7ab "bpf: Implement get_current_task_btf and RET_PTR_TO_BTF_ID"
 * (5.11): a BTF task pointer,
 * two plain loads instead of two probe reads.
 */
static __always_inline __u32 current_ppid(void)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf))
		return bpf_get_current_task_btf()->real_parent->tgid;
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), real_parent, tgid);
}

/* The current process's start (its group leader's, CLOCK_MONOTONIC ns). */
static __always_inline __u64 current_start_ns(void)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf))
		return bpf_get_current_task_btf()->group_leader->start_time;
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), group_leader, start_time);
}

/*
 * The current task is exiting and its process has no live thread left:
 * its final record has gone (sched_process_exit of the last thread).
 * Since 3e816361e94a "sched/tracepoints: Move and extend the
 * sched_process_exit() tracepoint" (6.16, which gave it its group_dead
 * argument) it fires before exit_mm(), so such a task can
 * still fault (exit_mm: clear_child_tid, robust futexes); before, it fired
 * after exit_mm(), where this never holds at a fault.  PF_EXITING is 0x4 in every kernel.
 */
#define CT_PF_EXITING 0x4

static __always_inline bool current_process_ended(void)
{
	struct task_struct *t = (void *)bpf_get_current_task();

	return (BPF_CORE_READ(t, flags) & CT_PF_EXITING) && !BPF_CORE_READ(t, signal, live.counter);
}

/* The current thread's completed page faults (mm_account_fault() counts them at the end). */
static __always_inline __u64 current_faults(void)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf)) {
		struct task_struct *t = bpf_get_current_task_btf();

		return t->min_flt + t->maj_flt;
	}
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), min_flt) +
	       BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), maj_flt);
}

/*
 * The current thread's user pt_regs' orig_ax: the syscall number inside a
 * syscall, -1 in an exception.  dd6e10fbd9fb "bpf: Add bpf_task_pt_regs() helper" (5.15);
 * before it, x86-64's task_pt_regs(): the pt_regs at the top of the 16 KiB
 * kernel stack (THREAD_SIZE without KASAN, as distributions build).
 */
static __always_inline long current_user_orig_ax(void)
{
	struct task_struct *task;
	struct pt_regs *regs;

	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs)) {
		regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
		return regs->orig_ax;
	}
	task = (void *)bpf_get_current_task();
	regs = (struct pt_regs *)((__u64)BPF_CORE_READ(task, stack) + 16384) - 1;
	return BPF_CORE_READ(regs, orig_ax);
}

/*
 * ---- zap_details->zap_flags ----
 * 999dad824c39 "mm/shmem: persist uffd-wp bit across zapping for file-backed" (5.19)
 * added zap_flags; munmap and exit pass ZAP_FLAG_DROP_MARKER (bit 0): the
 * zap drops uffd-wp markers instead of installing them.
 */
#define CT_ZAP_FLAG_DROP_MARKER 0x1

struct zap_details___markers {
	unsigned int zap_flags;
} __attribute__((preserve_access_index));

static __always_inline bool zap_drops_markers(void *details)
{
	return details &&
	       (BPF_CORE_READ((struct zap_details___markers *)details, zap_flags) & CT_ZAP_FLAG_DROP_MARKER);
}

/*
 * ---- mm->rss_stat ----
 * f1a7941243c1 "mm: convert mm's rss stats into percpu_counter" (6.2) made
 * it an array of percpu_counters, whose shared count lags the per-CPU
 * deltas by up to a batch per CPU: added up at a fork (lifecycle.bpf.c);
 * before,
 * struct mm_rss_stat's atomic counts, which lag each thread's cached deltas
 * (SPLIT_RSS_COUNTING, up to 64 events a thread) as VmRSS does.  The
 * kinds' order (MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES) is
 * that of "mm: add a field to store names for mm counters" (4.5) on.
 */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

static __always_inline __u64 rss_pos(long v)
{
	return v > 0 ? v : 0; /* below zero: a lagging delta */
}

/* Whether the rss counters are percpu_counters (6.2+): their per-CPU deltas are then added (lifecycle.bpf.c). */
static __always_inline bool mm_rss_percpu(struct mm_struct *mm)
{
	return !bpf_core_field_exists(((struct mm_struct___old *)mm)->rss_stat.count);
}

/* Before 6.2: an mm's pages of each kind (see above) into out[CT_RSS_MAX], as VmRSS reads them. */
static __always_inline void mm_rss_atomic(struct mm_struct *mm, __u64 *out)
{
	struct mm_struct___old *old = (void *)mm;

	out[0] = rss_pos(BPF_CORE_READ(old, rss_stat.count[0].counter));
	out[1] = rss_pos(BPF_CORE_READ(old, rss_stat.count[1].counter));
	out[2] = rss_pos(BPF_CORE_READ(old, rss_stat.count[2].counter));
	out[3] = rss_pos(BPF_CORE_READ(old, rss_stat.count[3].counter));
}

/* An mm's page-table bytes (mm_pgtables_bytes(): CONFIG_MMU, as every distribution builds). */
static __always_inline __u64 mm_pgtables(struct mm_struct *mm)
{
	long v = BPF_CORE_READ(mm, pgtables_bytes.counter);

	return v > 0 ? v : 0;
}

/*
 * ---- x86 ----
 * Page-fault error code bits (arch/x86/include/asm/trap_pf.h) and page-table
 * entry bits (pgtable_types.h): architecture, not kernel version.
 */
#define CT_X86_PF_PROT	0x1
#define CT_X86_PF_WRITE	0x2

/* A user write fault on a present pte: the x86 error code has P and W. */
static __always_inline bool x86_write_on_present(unsigned long error_code)
{
	return (error_code & (CT_X86_PF_PROT | CT_X86_PF_WRITE)) == (CT_X86_PF_PROT | CT_X86_PF_WRITE);
}

#define CT_X86_PRESENT	0x1ULL
#define CT_X86_PSE	0x80ULL
#define CT_X86_PFN_MASK	0x000ffffffffff000ULL

#endif /* COWTRACE_CORE_FIXES_BPF_H */
