// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uffd-wp marker installs.
 *
 * zap_pte_range() (which installs the markers) is inlined everywhere, and
 * zap_install_uffd_wp_if_needed() is at best a partial .isra clone.  So hook
 * the out-of-line caller, unmap_page_range() (7.x: __zap_vma_range(), same
 * arguments; the frontend sets the fentry target), for file/shmem VMAs registered
 * for uffd-wp, and count marker ptes in the zapped range before and after:
 * the difference is the markers this zap installed.  A zap keeps markers
 * that were already there; a zap that drops them (munmap and exit pass
 * ZAP_FLAG_DROP_MARKER) installs none and is not walked.
 *
 * In such a VMA a pte that is neither none nor present is a marker (shmem
 * and file pages leave no swap entries in ptes); transient migration
 * entries are the exception.  x86-64 page tables, 4 or 5 levels.
 */
#include "cowtrace.bpf.h"

struct walk_ctx {
	__u64 pgd;        /* mm->pgd (direct map) */
	__u64 base;       /* page_offset_base */
	__u64 addr, end;
	__u64 pte_table;  /* direct-map address of the current pte page, 0: none */
	__u64 pte_span_end;
	__u64 count;
	__u32 l5;
};

static __always_inline __u64 read_u64(__u64 kaddr)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (void *)kaddr);
	return v;
}

/* Direct-map address of the pte page covering addr, or 0 (none, huge, not present). */
static __always_inline __u64 pte_page_for(struct walk_ctx *c, __u64 addr)
{
	__u64 e = read_u64(c->pgd + ((addr >> (c->l5 ? 48 : 39)) & 511) * 8);

	if (!(e & CT_X86_PRESENT))
		return 0;
	if (c->l5) { /* p4d level */
		e = read_u64(c->base + (e & CT_X86_PFN_MASK) + ((addr >> 39) & 511) * 8);
		if (!(e & CT_X86_PRESENT))
			return 0;
	}
	e = read_u64(c->base + (e & CT_X86_PFN_MASK) + ((addr >> 30) & 511) * 8); /* pud */
	if (!(e & CT_X86_PRESENT) || (e & CT_X86_PSE))
		return 0;
	e = read_u64(c->base + (e & CT_X86_PFN_MASK) + ((addr >> 21) & 511) * 8); /* pmd */
	if (!(e & CT_X86_PRESENT) || (e & CT_X86_PSE))
		return 0;
	return c->base + (e & CT_X86_PFN_MASK);
}

static long walk_step(__u32 i, void *ctx)
{
	struct walk_ctx *c = ctx;
	__u64 pte;

	if (c->addr >= c->end)
		return 1;
	if (c->addr >= c->pte_span_end) {
		c->pte_table = pte_page_for(c, c->addr);
		c->pte_span_end = (c->addr | ((1ULL << 21) - 1)) + 1;
		if (!c->pte_table) {
			c->addr = c->pte_span_end;
			return 0;
		}
	}
	pte = read_u64(c->pte_table + ((c->addr >> 12) & 511) * 8);
	if (pte && !(pte & CT_X86_PRESENT))
		c->count++;
	c->addr += 4096;
	return 0;
}

static __always_inline __u64 count_markers(__u64 mm, __u64 start, __u64 end)
{
	struct walk_ctx c = {};
	__u64 pages = (end - start) >> 12;

	c.pgd = (__u64)BPF_CORE_READ((struct mm_struct *)mm, pgd);
	c.base = cfg.page_offset_base_addr ? read_u64(cfg.page_offset_base_addr) : cfg.page_offset;
	c.l5 = cfg.pgdir_shift_addr && (read_u64(cfg.pgdir_shift_addr) & 0xff) == 48;
	c.addr = start;
	c.end = end;
	/* one step per page, plus one per 2 MiB span skipped */
	bpf_loop(pages + (pages >> 9) + 2 < (1 << 23) ? pages + (pages >> 9) + 2 : (1 << 23),
		 walk_step, &c, 0);
	return c.count;
}

static __always_inline int handle_zap_enter(struct vm_area_struct *vma, unsigned long addr,
					    unsigned long end, void *details)
{
	unsigned long vm_flags = BPF_CORE_READ(vma, vm_flags);
	struct ct_thread *t;

	if (!vm_flags_uffd_wp(vm_flags) || !BPF_CORE_READ(vma, vm_ops))
		return 0; /* not uffd-wp, or anonymous: zapping drops everything */
	/* munmap/exit pass ZAP_FLAG_DROP_MARKER: markers go, none are installed. */
	if (zap_drops_markers(details))
		return 0;
	t = thread_traced(bpf_get_current_pid_tgid() >> 32);
	if (!t)
		return 0;
	t->zap.mm = (__u64)BPF_CORE_READ(vma, vm_mm);
	t->zap.start = addr & ~4095ULL;
	t->zap.end = end;
	t->zap.before = count_markers(t->zap.mm, t->zap.start, t->zap.end);
	t->zap.active = 1;
	return 0;
}

static __always_inline int handle_zap_exit(void)
{
	struct ct_thread *t = thread_get(false);
	__u64 after, now;

	if (!t || !t->zap.active)
		return 0;
	t->zap.active = 0;
	after = count_markers(t->zap.mm, t->zap.start, t->zap.end);
	if (after <= t->zap.before)
		return 0;
	now = bpf_ktime_get_ns();
	count_n(CT_C_MARKER, after - t->zap.before, -1, 0, now);
	if (cfg.per_event)
		emit(CT_EV_MARKER, 0, after - t->zap.before, 0, now);
	return 0;
}

SEC("fentry/unmap_page_range")
int BPF_PROG(fe_zap, void *tlb, struct vm_area_struct *vma, unsigned long addr,
	     unsigned long end, void *details)
{
	return handle_zap_enter(vma, addr, end, details);
}

SEC("fexit/unmap_page_range")
int BPF_PROG(fx_zap, void *tlb, struct vm_area_struct *vma, unsigned long addr,
	     unsigned long end, void *details)
{
	return handle_zap_exit();
}

SEC("kprobe")
int BPF_KPROBE(kp_zap, void *tlb, struct vm_area_struct *vma, unsigned long addr,
	       unsigned long end, void *details)
{
	return handle_zap_enter(vma, addr, end, details);
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_zap)
{
	return handle_zap_exit();
}
