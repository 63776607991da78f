// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What an event counts as (include/cowtrace_classify.h), the same functions
 * the BPF programs inline, one rule at a time.  Each expectation is written
 * from what the kernel does (../shared/KERNELS.md, mm/memory.c), not from a
 * run of cowtrace.
 */
#include "harness.h"
#include "cowtrace_classify.h"

TEST(classify_copy_kind)
{
	/* vmf->page NULL: the shared zero page, whatever else */
	CHECK_EQ(ct_copy_kind(true, false, false), CT_WP_COPY_ZERO);
	CHECK_EQ(ct_copy_kind(true, true, true), CT_WP_COPY_ZERO);
	/* mapping low bits 0x3: KSM (its anon bit is set too) */
	CHECK_EQ(ct_copy_kind(false, true, true), CT_WP_COPY_KSM);
	CHECK_EQ(ct_copy_kind(false, false, true), CT_WP_COPY_ANON);
	/* no anon bit: a page of the page cache in a private mapping */
	CHECK_EQ(ct_copy_kind(false, false, false), CT_WP_COPY_FILE);
	/* freed by the copy: KSM only in a mergeable VMA */
	CHECK_EQ(ct_copy_kind_freed(true), CT_WP_COPY_KSM);
	CHECK_EQ(ct_copy_kind_freed(false), CT_WP_COPY_ANON);
}

TEST(classify_unshare_and_reuse)
{
	/* a GUP R/O pin's unshare that copied an anonymous, file or zero page */
	CHECK_EQ(ct_wp_copy_kind(CT_WP_COPY_ANON, true), CT_WP_UNSHARE);
	CHECK_EQ(ct_wp_copy_kind(CT_WP_COPY_FILE, true), CT_WP_UNSHARE);
	CHECK_EQ(ct_wp_copy_kind(CT_WP_COPY_ZERO, true), CT_WP_UNSHARE);
	/* break_ksm() unmerges with FAULT_FLAG_UNSHARE since 6.2: still copy_ksm */
	CHECK_EQ(ct_wp_copy_kind(CT_WP_COPY_KSM, true), CT_WP_COPY_KSM);
	for (unsigned k = CT_WP_COPY_ANON; k <= CT_WP_COPY_KSM; k++)
		CHECK_EQ(ct_wp_copy_kind(k, false), k);
	CHECK_EQ(ct_wp_reuse_kind(false), CT_WP_REUSE);
	CHECK_EQ(ct_wp_reuse_kind(true), CT_WP_SHARED_REUSE);
	/* only a done write fault that did not go to userfaultfd reused */
	CHECK(ct_wp_reused(true, false, false), "done write fault");
	CHECK(!ct_wp_reused(false, false, false), "retry or error");
	CHECK(!ct_wp_reused(true, true, false), "an unshare with nothing to unshare");
	CHECK(!ct_wp_reused(true, false, true), "handed to userfaultfd");
}

TEST(classify_settle)
{
	/* a copy is known from the rmap hook, whatever else happened */
	CHECK_EQ(ct_wp_settle_kind(true, CT_WP_COPY_ANON, false, false, true, false), CT_WP_COPY_ANON);
	CHECK_EQ(ct_wp_settle_kind(true, CT_WP_COPY_ANON, true, false, false, false), CT_WP_UNSHARE);
	CHECK_EQ(ct_wp_settle_kind(true, CT_WP_COPY_KSM, true, false, false, false), CT_WP_COPY_KSM);
	/* no copy: a reuse, unless retried (the same page again), to userfaultfd, or an unshare */
	CHECK_EQ(ct_wp_settle_kind(false, 0, false, false, false, false), CT_WP_REUSE);
	CHECK_EQ(ct_wp_settle_kind(false, 0, false, false, false, true), CT_WP_SHARED_REUSE);
	CHECK_EQ(ct_wp_settle_kind(false, 0, false, false, true, false), CT_WP_KIND_MAX);
	CHECK_EQ(ct_wp_settle_kind(false, 0, false, true, false, false), CT_WP_KIND_MAX);
	CHECK_EQ(ct_wp_settle_kind(false, 0, true, false, false, false), CT_WP_KIND_MAX);
}

TEST(classify_thp)
{
	/* VM_FAULT_FALLBACK: the pmd is split, the fault goes on with ptes */
	CHECK_EQ(ct_thp_kind(true, false, false, false), CT_THP_SPLIT);
	CHECK_EQ(ct_thp_kind(true, true, true, true), CT_THP_SPLIT);
	CHECK_EQ(ct_thp_kind(false, false, false, false), CT_THP_REUSE);
	CHECK_EQ(ct_thp_kind(false, true, false, false), CT_THP_KIND_MAX);
	CHECK_EQ(ct_thp_kind(false, false, true, false), CT_THP_KIND_MAX);
	CHECK_EQ(ct_thp_kind(false, false, false, true), CT_THP_KIND_MAX);
}

TEST(classify_uffd)
{
	/* reason VM_UFFD_MISSING, VM_UFFD_WP, anything else minor */
	CHECK_EQ(ct_uffd_kind(true, false), CT_UFFD_MISSING);
	CHECK_EQ(ct_uffd_kind(false, true), CT_UFFD_WP);
	CHECK_EQ(ct_uffd_kind(false, false), CT_UFFD_MINOR);
	/* VM_FAULT_SIGBUS: never waited, counted apart, never timed */
	for (unsigned k = CT_UFFD_MISSING; k <= CT_UFFD_MINOR; k++) {
		CHECK_EQ(ct_uffd_outcome(k, true), CT_UFFD_SIGBUS);
		CHECK_EQ(ct_uffd_outcome(k, false), k);
		CHECK(ct_uffd_blocked(k, true), "kind %u with VM_FAULT_RETRY waited for the handler", k);
		CHECK(!ct_uffd_blocked(k, false), "kind %u without VM_FAULT_RETRY did not wait", k);
	}
	CHECK(!ct_uffd_blocked(CT_UFFD_SIGBUS, true), "SIGBUS never blocks");
}

TEST(classify_tp_and_mapping)
{
	CHECK_EQ(ct_tp_copy_kind(true), CT_WP_COPY_ZERO);
	CHECK_EQ(ct_tp_copy_kind(false), CT_WP_COPY_ANON);
	/* heap: the VMA lies inside [start_brk, brk) */
	CHECK(ct_map_is_heap(0x1000, 0x5000, 0x1000, 0x5000), "the whole heap");
	CHECK(ct_map_is_heap(0x2000, 0x3000, 0x1000, 0x5000), "inside the heap");
	CHECK(!ct_map_is_heap(0x0000, 0x2000, 0x1000, 0x5000), "starts below start_brk");
	CHECK(!ct_map_is_heap(0x4000, 0x6000, 0x1000, 0x5000), "ends above brk");
	/* stack: the VMA holds start_stack (its top, end exclusive) */
	CHECK(ct_map_is_stack(0x7000, 0x9000, 0x8ff8), "holds start_stack");
	CHECK(ct_map_is_stack(0x7000, 0x9000, 0x7000), "start_stack at its start");
	CHECK(!ct_map_is_stack(0x7000, 0x9000, 0x9000), "start_stack at its end: outside");
	CHECK(!ct_map_is_stack(0x7000, 0x9000, 0x6000), "below");
}
