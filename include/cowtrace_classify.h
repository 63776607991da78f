/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What an event counts as: cowtrace's own classification, as pure
 * functions of facts the BPF programs read from the kernel (the reading,
 * and every difference between kernels, is in bpf/core_fixes.bpf.h).  The
 * BPF side inlines them; the unit tests (tests/unit/test_classify.c)
 * compile the same header and check every rule on its own.
 *
 * Each returns a kind of include/cowtrace.h; "nothing to count" is the
 * kind's _MAX.
 */
#ifndef COWTRACE_CLASSIFY_H
#define COWTRACE_CLASSIFY_H

#include "cowtrace.h"

#ifndef __VMLINUX_H__
#include <stdbool.h>
#endif

#ifndef CT_INLINE
#define CT_INLINE static inline __attribute__((always_inline))
#endif

/*
 * ---- write faults (do_wp_page) ----
 * A copy, from the page it copied: none is the shared zero page; else the
 * page's mapping word tells a KSM page, an anonymous page, or a private
 * file (page cache) page.
 */
CT_INLINE __u16 ct_copy_kind(bool zero_page, bool ksm, bool anon)
{
	if (zero_page)
		return CT_WP_COPY_ZERO;
	if (ksm)
		return CT_WP_COPY_KSM;
	return anon ? CT_WP_COPY_ANON : CT_WP_COPY_FILE;
}

/*
 * The copied page was freed by the copy (its last reference dropped), so it
 * says nothing any more: it was the last mapping of a KSM page (the only
 * pages a KSM-mergeable VMA copies from when no other mapping is left), or
 * an anonymous page whose other mappings went away during the copy.
 */
CT_INLINE __u16 ct_copy_kind_freed(bool mergeable)
{
	return mergeable ? CT_WP_COPY_KSM : CT_WP_COPY_ANON;
}

/*
 * An unshare fault (FAULT_FLAG_UNSHARE: a read-only GUP pin) that copied is
 * an unshare, except a copy of a KSM page: that is copy_ksm whether a write
 * made it or an unshare, because break_ksm() unmerges with an unshare since
 * 6cce3314b928 "mm/ksm: fix KSM COW breaking with userfaultfd-wp via
 * FAULT_FLAG_UNSHARE" (6.2) and with a write fault before, and the same unmerge must count the
 * same on every kernel.
 */
CT_INLINE __u16 ct_wp_copy_kind(__u16 copy_kind, bool unshare)
{
	return unshare && copy_kind != CT_WP_COPY_KSM ? CT_WP_UNSHARE : copy_kind;
}

/* A write fault that copied nothing and is done reused the page: in place, or write-notify on a shared mapping. */
CT_INLINE __u16 ct_wp_reuse_kind(bool shared_mapping)
{
	return shared_mapping ? CT_WP_SHARED_REUSE : CT_WP_REUSE;
}

/*
 * A fault without a copy reused the page when it is done, was not an
 * unshare (nothing to unshare: a no-op) and did not go to userfaultfd; the
 * caller then checks, last because it reads the pte, that no other thread's
 * copy of the same page won the race (this fault threw its own copy away
 * and reused nothing).
 */
CT_INLINE bool ct_wp_reused(bool done, bool unshare, bool to_uffd)
{
	return done && !unshare && !to_uffd;
}

/*
 * A fault whose exit program the kernel skipped, settled at the thread's
 * next fault or exit: a copy is known from the rmap hook; otherwise it most
 * likely reused the page, unless the same page faults again (the fault was
 * retried), it went to userfaultfd, or it was an unshare.
 */
CT_INLINE __u16 ct_wp_settle_kind(bool copied, __u16 copy_kind, bool unshare, bool to_uffd, bool same_page_again,
				  bool shared_mapping)
{
	if (copied)
		return ct_wp_copy_kind(copy_kind, unshare);
	if (to_uffd || unshare || same_page_again)
		return CT_WP_KIND_MAX;
	return ct_wp_reuse_kind(shared_mapping);
}

/*
 * ---- huge pages (do_huge_pmd_wp_page) ----
 * A fallback splits the pmd (the fault goes on with ptes); a fault done
 * without error, retry or unshare reused the huge page in place.
 */
CT_INLINE __u16 ct_thp_kind(bool fallback, bool unshare, bool error, bool retry)
{
	if (fallback)
		return CT_THP_SPLIT;
	if (!unshare && !error && !retry)
		return CT_THP_REUSE;
	return CT_THP_KIND_MAX;
}

/*
 * ---- userfaultfd (handle_userfault) ----
 * The reason is missing or write-protect; anything else is a minor fault
 * (its bit moved between versions: recognised by elimination).
 */
CT_INLINE __u32 ct_uffd_kind(bool missing, bool wp)
{
	if (missing)
		return CT_UFFD_MISSING;
	return wp ? CT_UFFD_WP : CT_UFFD_MINOR;
}

/* The fault was answered with SIGBUS (UFFD_FEATURE_SIGBUS, or no way to wait): counted apart. */
CT_INLINE __u32 ct_uffd_outcome(__u32 kind, bool sigbus)
{
	return sigbus ? CT_UFFD_SIGBUS : kind;
}

/* It blocked until the handler answered (entry..exit is its blocked time): a handled kind that returned RETRY. */
CT_INLINE bool ct_uffd_blocked(__u32 outcome, bool retry)
{
	return outcome < CT_UFFD_BLOCKING && retry;
}

/*
 * ---- tracepoint mode ----
 * The page the pending write fault allocated: for the zero page if it is
 * zeroed (__GFP_ZERO), else for an anonymous page (the only kinds this mode
 * tells apart).
 */
CT_INLINE __u16 ct_tp_copy_kind(bool gfp_zero)
{
	return gfp_zero ? CT_WP_COPY_ZERO : CT_WP_COPY_ANON;
}

/*
 * ---- the memory a copy hit (enum ct_map_class) ----
 * A page of a huge page is thp; a file mapping is shmem (kernel-internal
 * shmem: MAP_SHARED|MAP_ANONYMOUS, SysV, memfd) or file; anonymous memory
 * is the heap (inside [start_brk, brk)), the stack (holding start_stack) or
 * other anonymous memory.  The facts come in this order of need: the
 * reader stops reading as soon as one decides.
 */
CT_INLINE bool ct_map_is_heap(__u64 start, __u64 end, __u64 start_brk, __u64 brk)
{
	return start >= start_brk && end <= brk;
}

CT_INLINE bool ct_map_is_stack(__u64 start, __u64 end, __u64 start_stack)
{
	return start <= start_stack && start_stack < end;
}

#endif /* COWTRACE_CLASSIFY_H */
