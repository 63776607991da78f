// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The kernel's facts (kfacts.h): BTF, kallsyms, load probes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kfacts.h"
#include "tracefs.h"
#include "progs.h"

static bool btf_has(const struct btf *btf, const char *name, int kind)
{
	return btf && btf__find_by_name_kind(btf, name, kind) >= 0;
}

static bool btf_enum_has(const struct btf *btf, const char *enum_name, const char *value)
{
	int id = btf ? btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM) : -1;
	const struct btf_type *t;

	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, btf_enum(t)[i].name_off), value))
			return true;
	return false;
}

/* fentry cannot take a struct or union passed by value on older kernels. */
static bool btf_func_struct_arg(const struct btf *btf, const char *name)
{
	int id = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) : -1;
	const struct btf_type *proto;
	const struct btf_param *p;

	if (id < 0)
		return false;
	proto = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	p = btf_params(proto);
	for (int i = 0; i < btf_vlen(proto); i++) {
		const struct btf_type *t = btf__type_by_id(btf, p[i].type);

		while (t && (btf_is_typedef(t) || btf_is_mod(t)))
			t = btf__type_by_id(btf, t->type);
		if (t && (btf_is_struct(t) || btf_is_union(t)))
			return true;
	}
	return false;
}

static int btf_func_nargs(const struct btf *btf, const char *name)
{
	int id = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) : -1;
	const struct btf_type *t;

	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	return btf_vlen(t);
}

/* load_only: what matters is whether the programs load, not the walk's inputs. */
static void gather_marker_facts(struct kfacts *k, bool load_only)
{
#if defined(__x86_64__)
	static const char *const vars[] = { "page_offset_base", "pgdir_shift" };
	uint64_t addr[2];

	if (!btf_has(k->btf, "pte_marker", BTF_KIND_TYPEDEF)) {
		snprintf(k->marker_why, sizeof(k->marker_why), "kernel has no PTE markers");
		return;
	}
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_loop, NULL) != 1) {
		snprintf(k->marker_why, sizeof(k->marker_why), "kernel has no bpf_loop for the page-table walk");
		return;
	}
	if ((kallsyms_addrs(vars, 2, addr) || !addr[0]) && !load_only) {
		snprintf(k->marker_why, sizeof(k->marker_why), "no page_offset_base in kallsyms");
		return;
	}
	k->page_offset_base_addr = addr[0];
	k->pgdir_shift_addr = addr[1];
	k->has_markers = true;
#else
	snprintf(k->marker_why, sizeof(k->marker_why), "page-table walk is x86-64 only");
#endif
}

/*
 * Can a task be preempted inside an fentry/fexit program (full, lazy or RT
 * preemption)?  Then the kernel skips the program's runs on that CPU while
 * the preempted one is pending (recursion_misses), and do_wp_page keeps its
 * entry program, whose state lets a fault whose exit was skipped be settled.
 * The model in force: /sys/kernel/debug/sched/preempt ("none voluntary
 * (full) lazy", PREEMPT_DYNAMIC, where debugfs is mounted); else
 * preempt_schedule, which only preemptible builds have; else preemptible.
 */
static void gather_preempt(struct kfacts *k)
{
	static const char *const sym[] = { "preempt_schedule" };
	char line[128];
	uint64_t addr = 0;
	FILE *f = fopen("/sys/kernel/debug/sched/preempt", "r");
	int r = -1;

	if (f) {
		if (fgets(line, sizeof(line), f))
			r = preempt_model_parse(line, k->preempt_model, sizeof(k->preempt_model));
		fclose(f);
	}
	if (r >= 0) {
		k->preemptible = r;
		return;
	}
	if (kallsyms_addrs(sym, 1, &addr) == 0 && !addr) {
		snprintf(k->preempt_model, sizeof(k->preempt_model), "no preempt_schedule");
		return;
	}
	k->preemptible = true;
	snprintf(k->preempt_model, sizeof(k->preempt_model), "assumed preemptible");
}

void kfacts_gather(struct kfacts *k, bool load_only)
{
	const char *names[HOOK_MAX * 2];
	struct ksym_info ks[HOOK_MAX * 2];
	int n = 0;

	memset(k, 0, sizeof(*k));
	k->btf = btf__load_vmlinux_btf();
	if (libbpf_get_error(k->btf))
		k->btf = NULL;
	for (int h = 0; h < HOOK_MAX; h++)
		for (int c = 0; c < 2; c++)
			names[n++] = ct_hook_funcs[h].cands[c] ? ct_hook_funcs[h].cands[c] : "\x01none";
	k->kallsyms_ok = kallsyms_lookup(names, n, ks) == 0;
	for (int h = 0; h < HOOK_MAX; h++)
		for (int c = 0; c < 2; c++)
			k->ks[h][c] = ks[h * 2 + c];
	k->caps.unshare = btf_enum_has(k->btf, "fault_flag", "FAULT_FLAG_UNSHARE");
	k->caps.uffd_minor = btf_has(k->btf, "uffdio_continue", BTF_KIND_STRUCT);
	k->has_tp_fault = btf_has(k->btf, "btf_trace_page_fault_user", BTF_KIND_TYPEDEF);
	k->has_tp_kfault = btf_has(k->btf, "btf_trace_page_fault_kernel", BTF_KIND_TYPEDEF);
	/* kprobe programs share tracing's helpers: a load probe says whether they have it */
	k->task_storage = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_storage_get, NULL) == 1;
	k->thp_nargs = btf_func_nargs(k->btf, "do_huge_pmd_wp_page");
	gather_marker_facts(k, load_only);
	{
		static const char *const shm[] = { "shm_mnt" };

		if (kallsyms_addrs(shm, 1, &k->shm_mnt_addr))
			k->shm_mnt_addr = 0;
	}
	k->has_find_vma = btf_enum_has(k->btf, "bpf_func_id", "BPF_FUNC_find_vma");
	k->has_tp_syscalls = tracefs_has_event("syscalls/sys_enter_clone") &&
			     tracefs_has_event("syscalls/sys_exit_clone3") && tracefs_has_event("syscalls/sys_exit_vfork");
	gather_preempt(k);
}

void kfacts_free(struct kfacts *k)
{
	btf__free(k->btf);
	k->btf = NULL;
}

/* Decide one hook for rung `rung` (fentry or kprobe). */
void kfacts_choose(const struct kfacts *k, int h, enum ct_mode rung, struct ct_hook_choice *c)
{
	memset(c, 0, sizeof(*c));
	if (h == HOOK_ZAP && !k->has_markers) {
		snprintf(c->why, sizeof(c->why), "%s", k->marker_why);
		return;
	}
	for (int i = 0; i < 2 && ct_hook_funcs[h].cands[i]; i++) {
		const char *name = ct_hook_funcs[h].cands[i];
		const struct ksym_info *ks = &k->ks[h][i];

		if (rung == MODE_FENTRY && ks->exact && btf_has(k->btf, name, BTF_KIND_FUNC) &&
		    !btf_func_struct_arg(k->btf, name)) {
			c->mode = MODE_FENTRY;
			snprintf(c->sym, sizeof(c->sym), "%s", name);
			return;
		}
		if (ks->exact || ks->clone[0]) {
			c->mode = MODE_KPROBE;
			snprintf(c->sym, sizeof(c->sym), "%s", ks->exact ? name : ks->clone);
			if (rung == MODE_FENTRY)
				snprintf(c->why, sizeof(c->why), "%s: %s", name,
					 !ks->exact ? "only a clone" :
					 btf_has(k->btf, name, BTF_KIND_FUNC) ? "struct argument by value"
									      : "no BTF");
			return;
		}
	}
	snprintf(c->why, sizeof(c->why), "%s not in kallsyms (inlined)", ct_hook_funcs[h].cands[0]);
}

/*
 * Whether the kernel lets this rung attach at all, asked before the whole
 * object is loaded (a load is most of the start-up time): fentry by loading
 * a two-instruction program against do_wp_page (locked-down kernels refuse
 * tracing programs with EPERM), kprobes by the kprobe PMU or tracefs's
 * kprobe_events (neither exists without CONFIG_KPROBES).  0, or -1 with why.
 */
int kfacts_rung_possible(const struct kfacts *k, enum ct_mode rung, char *err, size_t n)
{
	if (rung == MODE_FENTRY) {
		const struct bpf_insn ret0[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		int id = btf__find_by_name_kind(k->btf, ct_hook_funcs[HOOK_WP].cands[0], BTF_KIND_FUNC);
		LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_TRACE_FENTRY);
		int fd;

		if (id < 0)
			return 0; /* no BTF for it: the rung's own choice says what it can do */
		po.attach_btf_id = id;
		fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ct_probe", "GPL", ret0, 2, &po);
		if (fd < 0) {
			snprintf(err, n, "fentry programs are refused by this kernel: %s%s", strerror(errno),
				 errno == EPERM ? " (locked down?)" : "");
			return -1;
		}
		close(fd);
		return 0;
	}
	if (rung == MODE_KPROBE && access("/sys/bus/event_source/devices/kprobe/type", R_OK) &&
	    access("/sys/kernel/tracing/kprobe_events", F_OK) &&
	    access("/sys/kernel/debug/tracing/kprobe_events", F_OK)) {
		snprintf(err, n, "kprobes are not available on this kernel (no kprobe PMU, no kprobe_events: "
			 "CONFIG_KPROBES is off)");
		return -1;
	}
	return 0;
}

