// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reference programs for the overhead bench (bench/run.sh).
 *
 * empty_*: do nothing, attached to the same hooks cowtrace uses.  Their cost
 *          is the cost of the hook itself (trampoline, kprobe, tracepoint):
 *          the limit any tracer on those hooks pays.
 * count_*: what `bpftrace -e 'kprobe:do_wp_page { @[pid] = count(); }'`
 *          does: a hash map tgid -> count, one update per call.
 *
 * fentry/fexit targets are set by the loader (benchprobe.c), so one program
 * serves renamed functions (folio_/page_add_new_anon_rmap,
 * unmap_page_range/__zap_vma_range); kprobes are attached by name.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- exact-mode hooks (cowtrace's fentry rung) ---- */
SEC("fentry/do_wp_page") int e_wp_fe(void *ctx) { return 0; }
SEC("fexit/do_wp_page") int e_wp_fx(void *ctx) { return 0; }
SEC("fentry/folio_add_new_anon_rmap") int e_anon_fe(void *ctx) { return 0; }
SEC("fentry/copy_page_range") int e_cpr_fe(void *ctx) { return 0; }
SEC("fexit/copy_page_range") int e_cpr_fx(void *ctx) { return 0; }
SEC("fentry/do_huge_pmd_wp_page") int e_thp_fe(void *ctx) { return 0; }
SEC("fexit/do_huge_pmd_wp_page") int e_thp_fx(void *ctx) { return 0; }
SEC("fentry/handle_userfault") int e_uffd_fe(void *ctx) { return 0; }
SEC("fexit/handle_userfault") int e_uffd_fx(void *ctx) { return 0; }
SEC("fentry/unmap_page_range") int e_zap_fe(void *ctx) { return 0; }
SEC("fexit/unmap_page_range") int e_zap_fx(void *ctx) { return 0; }

/* ---- lifecycle (every cowtrace mode) ---- */
SEC("tp_btf/sched_process_fork") int e_fork(void *ctx) { return 0; }
SEC("tp_btf/sched_process_exit") int e_exit(void *ctx) { return 0; }
SEC("tp_btf/sched_process_exec") int e_exec(void *ctx) { return 0; }

/* ---- tracepoint-mode hooks ---- */
SEC("tp_btf/page_fault_user") int e_tp_fault(void *ctx) { return 0; }
SEC("tp_btf/page_fault_kernel") int e_tp_kfault(void *ctx) { return 0; }
SEC("tp_btf/mm_page_alloc") int e_tp_alloc(void *ctx) { return 0; }
SEC("tp_btf/mm_page_free") int e_tp_free(void *ctx) { return 0; }
/* what tracepoint mode hooked before it counted in the kernel (not in "tp") */
SEC("tp_btf/sys_enter") int e_tp_sys_enter(void *ctx) { return 0; }
SEC("tp_btf/sys_exit") int e_tp_sys_exit(void *ctx) { return 0; }

/* ---- count-only: @[pid] = count() ---- */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline int count_pid(void)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *v;

	v = bpf_map_lookup_elem(&counts, &pid);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return 0;
	}
	bpf_map_update_elem(&counts, &pid, &one, BPF_NOEXIST);
	return 0;
}

SEC("fentry/do_wp_page") int c_wp_fe(void *ctx) { return count_pid(); }
SEC("kprobe/do_wp_page") int c_wp_kp(void *ctx) { return count_pid(); }
SEC("tp_btf/page_fault_user") int c_tp_fault(void *ctx) { return count_pid(); }
