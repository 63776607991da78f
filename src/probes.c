// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The degradation ladder.  For every hook, decide from BTF and kallsyms
 * (never a version number) whether fentry, a kprobe, or nothing can reach
 * it; then load.  If the kernel refuses the whole rung (fentry EPERM on
 * locked-down kernels, kprobes not built in), go down one rung:
 *   fentry -> kprobe -> tracepoint.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cowtrace.h"
#include "cowtrace.skel.h"
#include "probes.h"
#include "tracefs.h"
#include "util.h"

/* The kernel functions behind each hook (enum ct_hook, stats.h). */
static const struct {
	const char *cands[2]; /* kernel function names, preferred first */
} hook_desc[HOOK_MAX] = {
	[HOOK_WP] = { { "do_wp_page" } },
	[HOOK_ANON] = { { "folio_add_new_anon_rmap", "page_add_new_anon_rmap" } },
	[HOOK_CPR] = { { "copy_page_range" } },
	[HOOK_THP] = { { "do_huge_pmd_wp_page" } },
	[HOOK_UFFD] = { { "handle_userfault" } },
	[HOOK_ZAP] = { { "unmap_page_range", "__zap_vma_range" } }, /* same arguments */
};

struct hook_choice {
	enum ct_mode mode;   /* MODE_NONE: unavailable */
	char sym[96];        /* exact kernel symbol to attach to */
	char why[96];        /* reason when not fentry */
};

struct kfacts {
	struct btf *btf;
	struct ksym_info ks[HOOK_MAX][2];
	bool kallsyms_ok;
	bool has_unshare;    /* FAULT_FLAG_UNSHARE in enum fault_flag */
	bool has_uffd_minor; /* struct uffdio_continue */
	bool has_tp_fault;   /* tp_btf page_fault_user */
	bool has_tp_kfault;  /* tp_btf page_fault_kernel */
	bool task_storage;   /* task-local storage from tracing programs */
	int thp_nargs;       /* do_huge_pmd_wp_page parameters */
	/* uffd-wp markers: PTE markers exist, bpf_loop, and the direct-map base */
	bool has_markers;
	char marker_why[96];
	uint64_t page_offset_base_addr, pgdir_shift_addr;
	uint64_t shm_mnt_addr;   /* &shm_mnt: private maps of kernel-internal shmem */
	bool has_find_vma;       /* bpf_find_vma (tracepoint mode's mapping classes) */
	bool preemptible;        /* a task can be preempted inside a BPF program */
	char preempt_model[32];  /* and how that was found */
};

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return verbose ? vfprintf(stderr, fmt, args) : 0; /* libbpf speaks only with -v */
}

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

static void gather_facts(struct kfacts *k, bool load_only)
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
			names[n++] = hook_desc[h].cands[c] ? hook_desc[h].cands[c] : "\x01none";
	k->kallsyms_ok = kallsyms_lookup(names, n, ks) == 0;
	for (int h = 0; h < HOOK_MAX; h++)
		for (int c = 0; c < 2; c++)
			k->ks[h][c] = ks[h * 2 + c];
	k->has_unshare = btf_enum_has(k->btf, "fault_flag", "FAULT_FLAG_UNSHARE");
	k->has_uffd_minor = btf_has(k->btf, "uffdio_continue", BTF_KIND_STRUCT);
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
	gather_preempt(k);
}

/* Decide one hook for rung `rung` (fentry or kprobe). */
static void choose(const struct kfacts *k, int h, enum ct_mode rung, struct hook_choice *c)
{
	memset(c, 0, sizeof(*c));
	if (h == HOOK_ZAP && !k->has_markers) {
		snprintf(c->why, sizeof(c->why), "%s", k->marker_why);
		return;
	}
	for (int i = 0; i < 2 && hook_desc[h].cands[i]; i++) {
		const char *name = hook_desc[h].cands[i];
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
	snprintf(c->why, sizeof(c->why), "%s not in kallsyms (inlined)", hook_desc[h].cands[0]);
}

struct progs {
	struct bpf_program *fe, *fx, *kp, *krp;
};

static void hook_progs(struct cowtrace_bpf *sk, const struct kfacts *k, int h, struct progs *p)
{
	memset(p, 0, sizeof(*p));
	switch (h) {
	case HOOK_WP: *p = (struct progs){ sk->progs.fe_wp, sk->progs.fx_wp, sk->progs.kp_wp, sk->progs.krp_wp }; break;
	case HOOK_ANON: *p = (struct progs){ sk->progs.fe_new_anon, NULL, sk->progs.kp_new_anon, NULL }; break;
	case HOOK_CPR: *p = (struct progs){ sk->progs.fe_cpr, sk->progs.fx_cpr, sk->progs.kp_cpr, sk->progs.krp_cpr }; break;
	case HOOK_THP:
		*p = (struct progs){ sk->progs.fe_thp, k->thp_nargs == 2 ? sk->progs.fx_thp2 : sk->progs.fx_thp1,
				     sk->progs.kp_thp, sk->progs.krp_thp };
		break;
	case HOOK_UFFD: *p = (struct progs){ sk->progs.fe_uffd, sk->progs.fx_uffd, sk->progs.kp_uffd, sk->progs.krp_uffd }; break;
	case HOOK_ZAP: *p = (struct progs){ sk->progs.fe_zap, sk->progs.fx_zap, sk->progs.kp_zap, sk->progs.krp_zap }; break;
	}
}

/*
 * The plan of an exact rung, from ct_stats: a statistic is available when
 * every hook that feeds it is (its mode: kprobe if any of them is) and the
 * kernel has what else it needs (or the option it needs was given).
 */
static void fill_plan_exact(struct ct_plan *pl, const struct ct_opts *o, const struct kfacts *k,
			    const struct hook_choice *c, enum ct_mode rung)
{
	pl->mode = rung;
	for (int s = 0; s < ST_MAX; s++) {
		const struct ct_stat_desc *d = &ct_stats[s];
		char hook[128] = "", why[256] = "";
		enum ct_mode mode = MODE_NONE;
		bool ok = d->hooks != 0;

		if (!d->hooks)
			continue; /* derived: fill_plan_common() */
		for (int h = 0; h < HOOK_MAX; h++) {
			if (!(d->hooks & HOOK_BIT(h)))
				continue;
			snprintf(hook + strlen(hook), sizeof(hook) - strlen(hook), "%s%s", hook[0] ? "+" : "",
				 c[h].sym[0] ? c[h].sym : hook_desc[h].cands[0]);
			if (!c[h].mode && ok) {
				ok = false;
				snprintf(why, sizeof(why), "%s", c[h].why);
			} else if (c[h].why[0] && ok) {
				snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s",
					 why[0] ? "; " : "", c[h].why);
			}
			if (c[h].mode > mode)
				mode = c[h].mode;
		}
		if (ok && d->needs == NEED_UNSHARE && !k->has_unshare) {
			ok = false;
			snprintf(why, sizeof(why), "kernel has no FAULT_FLAG_UNSHARE");
		} else if (ok && d->needs == NEED_UFFD_MINOR && !k->has_uffd_minor) {
			ok = false;
			snprintf(why, sizeof(why), "kernel has no userfaultfd minor faults");
		} else if (ok && d->needs == NEED_LATENCY && !o->latency) {
			ok = false;
			snprintf(why, sizeof(why), "not measured without --latency (it times every write fault)");
		}
		if (ok && !why[0] && d->note)
			snprintf(why, sizeof(why), "%s", d->note);
		plan_set(pl, s, hook, mode, ok ? Q_EXACT : Q_UNAVAILABLE, why);
	}
}

static void fill_plan_common(struct ct_plan *pl)
{
	struct utsname u;

	if (uname(&u) == 0)
		snprintf(pl->kernel, sizeof(pl->kernel), "%s", u.release);
	if (pl->mode != MODE_TRACEPOINT) {
		const struct ct_probe *cp = &pl->st[ST_COPY], *pc = &pl->st[ST_PINNED_COW];
		enum ct_quality q = cp->quality;

		if (q == Q_EXACT && pc->quality != Q_EXACT)
			q = Q_DERIVED;
		plan_set(pl, ST_COPIED_BYTES, cp->hook, cp->mode, q,
			 q == Q_EXACT ? "(copy + unshare + pinned_cow) x page size"
				      : "(copy + unshare) x page size; pinned_cow unavailable");
		plan_set(pl, ST_FORK_TO_COPY, "sched_process_fork", cp->mode, cp->quality, cp->reason);
	}
}

/* g: GFP bits for tracepoint mode; NULL for the exact rungs. */
static void set_config(struct cowtrace_bpf *sk, const struct ct_opts *o, const struct kfacts *k,
		       const struct gfp_bits *g)
{
	struct ct_config *c = (struct ct_config *)&sk->rodata->cfg;

	c->page_offset_base_addr = k->page_offset_base_addr;
	c->pgdir_shift_addr = k->pgdir_shift_addr;
	c->shm_mnt_addr = k->shm_mnt_addr;
	/* tracepoint mode tells a copy from a reuse only for copies: their stacks alone */
	c->stacks = g ? o->stacks & CT_WP_COPY_KINDS : o->stacks;
	c->kernel_stacks = o->kernel_stacks;
	c->filter_tgid = o->follow_pid ? 0 : o->pid; /* following: the traced map says */
	/* Batched wakeups: 1/16 of the ring, the frontend's 100 ms poll does the rest. */
	c->wakeup_bytes = o->ringbuf_bytes / 16;
	c->filter_follow = o->follow || o->follow_pid;
	c->filter_cgroup = o->cgroup_fd >= 0;
	c->tp_mode = g != NULL;
	c->per_event = o->per_event;
	c->task_storage = k->task_storage;
	c->wp_latency = o->latency && !g;
	c->wp_entry = 1; /* try_exact() decides */
	if (g) {
		c->gfp_user_movable = g->user_movable;
		c->gfp_zero = g->zero;
	}
	c->nr_fork[0] = SYS_clone;
#ifdef SYS_clone3
	c->nr_fork[1] = SYS_clone3;
#else
	c->nr_fork[1] = -1;
#endif
#ifdef SYS_fork
	c->nr_fork[2] = SYS_fork;
	c->nr_fork[3] = SYS_vfork;
#else
	c->nr_fork[2] = c->nr_fork[3] = -1;
#endif
}

/* Attach prog (to target, for kprobes) and keep the link, what it runs, and where. */
static int attach(struct ct_session *s, struct bpf_program *prog, enum ct_mode mode, bool ret,
		  const char *target, char *err, size_t n)
{
	struct bpf_link *l;

	if (s->nlinks >= CT_MAX_LINKS) {
		snprintf(err, n, "attach %s: too many programs", target);
		return -1;
	}
	l = mode == MODE_KPROBE ? bpf_program__attach_kprobe(prog, ret, target) : bpf_program__attach(prog);
	if (!l) {
		snprintf(err, n, "attach %s: %s", target, strerror(errno));
		return -1;
	}
	s->links[s->nlinks] = (struct ct_link){ .link = l, .prog = prog, .kprobe = mode == MODE_KPROBE };
	snprintf(s->links[s->nlinks].target, sizeof(s->links[0].target), "%s", target);
	s->nlinks++;
	return 0;
}

static void detach_all(struct ct_session *s)
{
	while (s->nlinks > 0)
		bpf_link__destroy(s->links[--s->nlinks].link);
}

static void teardown(struct ct_session *s)
{
	detach_all(s);
	cowtrace_bpf__destroy(s->skel);
	s->skel = NULL;
}

static int post_load(struct ct_session *s, const struct ct_opts *o, char *err, size_t n)
{
	if (o->cgroup_fd >= 0) {
		__u32 key = 0;
		int fd = o->cgroup_fd;

		if (bpf_map__update_elem(s->skel->maps.cgroup_filter, &key, sizeof(key), &fd,
					 sizeof(fd), BPF_ANY)) {
			snprintf(err, n, "cgroup filter: %s", strerror(errno));
			return -1;
		}
	}
	if (o->follow || o->follow_pid) {
		/* -- CMD: the frontend's children; -p: the process itself, and so its children */
		__u32 self = o->follow_pid ? o->pid : (__u32)getpid();
		__u8 v = o->follow_pid ? CT_TRACED_YES : CT_TRACED_CHILDREN;

		if (bpf_map__update_elem(s->skel->maps.traced, &self, sizeof(self), &v, sizeof(v),
					 BPF_ANY)) {
			snprintf(err, n, "follow map: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * Open the object for one rung: config in .rodata (tracepoint mode when g is
 * given), ring buffer size, and nothing autoloaded but the lifecycle
 * programs every rung uses.
 */
static struct cowtrace_bpf *open_skel(struct ct_session *s, const struct ct_opts *o,
				      const struct kfacts *k, const struct gfp_bits *g,
				      char *err, size_t n)
{
	struct bpf_program *prog;
	struct cowtrace_bpf *sk = cowtrace_bpf__open();

	if (!sk) {
		snprintf(err, n, "open BPF object: %s", strerror(errno));
		return NULL;
	}
	s->skel = sk;
	set_config(sk, o, k, g);
	bpf_map__set_max_entries(sk->maps.lifecycle, o->ringbuf_bytes);
	/* the per-fault ring only where events were asked for; else one page */
	bpf_map__set_max_entries(sk->maps.events, o->per_event ? o->ringbuf_bytes : (uint32_t)getpagesize());
	bpf_map__set_max_entries(sk->maps.procs, o->max_procs);
	if (!o->stacks) { /* nothing to keep */
		bpf_map__set_max_entries(sk->maps.stack_traces, 1);
		bpf_map__set_max_entries(sk->maps.stack_counts, 1);
	}
	bpf_map__set_max_entries(sk->maps.hists, 4 * o->max_procs);
	/* Per-thread state: task-local storage, or (kernels without it for tracing) the hash. */
	if (k->task_storage) {
		bpf_map__set_max_entries(sk->maps.thread_hash, 1);
	} else {
		bpf_map__set_type(sk->maps.thread_store, BPF_MAP_TYPE_HASH);
		bpf_map__set_max_entries(sk->maps.thread_store, 1);
	}
	bpf_object__for_each_program(prog, sk->obj)
		bpf_program__set_autoload(prog, false);
	bpf_program__set_autoload(sk->progs.sched_fork, true);
	bpf_program__set_autoload(sk->progs.sched_exit, true);
	bpf_program__set_autoload(sk->progs.sched_exec, true);
	return sk;
}

static int attach_lifecycle(struct ct_session *s, char *err, size_t n)
{
	return attach(s, s->skel->progs.sched_fork, MODE_TRACEPOINT, false, "sched_process_fork", err, n) ||
	       attach(s, s->skel->progs.sched_exit, MODE_TRACEPOINT, false, "sched_process_exit", err, n) ||
	       attach(s, s->skel->progs.sched_exec, MODE_TRACEPOINT, false, "sched_process_exec", err, n);
}

/*
 * do_wp_page's programs.  On the fentry rung, without --latency, on a kernel
 * that cannot preempt a BPF program (so never skips one), the exit program
 * classifies the fault alone (cfg.wp_entry 0): one program per fault fewer.
 * Elsewhere the entry program runs too: it times the fault (--latency), it
 * lets a fault whose exit was skipped be settled, and a kretprobe, which has
 * no arguments, needs the vmf it keeps.
 */
static bool wp_exit_only(const struct ct_opts *o, const struct kfacts *k, const struct hook_choice *c)
{
	return c[HOOK_WP].mode == MODE_FENTRY && !o->latency && !k->preemptible;
}

static void wp_progs(const struct ct_opts *o, const struct kfacts *k, const struct hook_choice *c, int h,
		     struct progs *p)
{
	if (h == HOOK_WP && wp_exit_only(o, k, c))
		p->fe = NULL;
}

/*
 * Whether the kernel lets this rung attach at all, asked before the whole
 * object is loaded (a load is most of the start-up time): fentry by loading
 * a two-instruction program against do_wp_page (locked-down kernels refuse
 * tracing programs with EPERM), kprobes by the kprobe PMU or tracefs's
 * kprobe_events (neither exists without CONFIG_KPROBES).  0, or -1 with why.
 */
static int rung_possible(const struct kfacts *k, enum ct_mode rung, char *err, size_t n)
{
	if (rung == MODE_FENTRY) {
		const struct bpf_insn ret0[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		int id = btf__find_by_name_kind(k->btf, hook_desc[HOOK_WP].cands[0], BTF_KIND_FUNC);
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

static int try_exact(struct ct_session *s, const struct ct_opts *o, const struct kfacts *k,
		     enum ct_mode rung, char *err, size_t n)
{
	struct hook_choice c[HOOK_MAX];
	struct cowtrace_bpf *sk;
	int any = 0;

	/* --load-only verifies the programs: kprobe programs load where kprobes cannot attach */
	if (!(o->load_only && rung == MODE_KPROBE) && rung_possible(k, rung, err, n))
		return -1;

	sk = open_skel(s, o, k, NULL, err, n);
	if (!sk)
		return -1;
	for (int h = 0; h < HOOK_MAX; h++) {
		struct progs p;

		choose(k, h, rung, &c[h]);
		hook_progs(sk, k, h, &p);
		wp_progs(o, k, c, h, &p);
		if (c[h].mode == MODE_FENTRY) {
			if (p.fe) {
				bpf_program__set_autoload(p.fe, true);
				bpf_program__set_attach_target(p.fe, 0, c[h].sym);
			}
			if (p.fx) {
				bpf_program__set_autoload(p.fx, true);
				bpf_program__set_attach_target(p.fx, 0, c[h].sym);
			}
		} else if (c[h].mode == MODE_KPROBE) {
			bpf_program__set_autoload(p.kp, true);
			if (p.krp)
				bpf_program__set_autoload(p.krp, true);
		}
		any |= c[h].mode != MODE_NONE;
	}
	if (!any) {
		snprintf(err, n, "no hook function found in kallsyms");
		return -1;
	}
	((struct ct_config *)&sk->rodata->cfg)->wp_entry = !wp_exit_only(o, k, c);
	if (o->verbose)
		fprintf(stderr, "cowtrace: do_wp_page: %s (preemption: %s)\n",
			wp_exit_only(o, k, c) ? "exit program only" : "entry and exit programs", k->preempt_model);
	if (cowtrace_bpf__load(sk)) {
		snprintf(err, n, "load %s programs: %s", ct_mode_name(rung), strerror(errno));
		return -1;
	}
	if (post_load(s, o, err, n))
		return -1;
	if (!o->load_only) {
		if (attach_lifecycle(s, err, n))
			return -1;
		for (int h = 0; h < HOOK_MAX; h++) {
			struct progs p;
			enum ct_mode m = c[h].mode;

			hook_progs(sk, k, h, &p);
			wp_progs(o, k, c, h, &p);
			if (m == MODE_NONE)
				continue;
			if ((m == MODE_FENTRY ? p.fe : p.kp) &&
			    attach(s, m == MODE_FENTRY ? p.fe : p.kp, m, false, c[h].sym, err, n))
				return -1;
			if ((m == MODE_FENTRY ? p.fx : p.krp) &&
			    attach(s, m == MODE_FENTRY ? p.fx : p.krp, m, true, c[h].sym, err, n))
				return -1;
		}
	}
	fill_plan_exact(&s->plan, o, k, c, rung);
	return 0;
}

static int try_tracepoint(struct ct_session *s, const struct ct_opts *o, const struct kfacts *k,
			  char *err, size_t n)
{
	struct cowtrace_bpf *sk;
	struct gfp_bits g;
	struct {
		struct bpf_program *prog;
		const char *tp;
	} tp[4];
	unsigned ntp = 0;

	if (!k->has_tp_fault) {
		snprintf(err, n, "no exceptions:page_fault_user tracepoint in BTF");
		return -1;
	}
	if (tracefs_gfp_bits(&g, err, n))
		return -1;
	sk = open_skel(s, o, k, &g, err, n);
	if (!sk)
		return -1;
	tp[ntp++] = (typeof(tp[0])){ sk->progs.tp_fault_user, "page_fault_user" };
	if (k->has_tp_kfault)
		tp[ntp++] = (typeof(tp[0])){ sk->progs.tp_fault_kernel, "page_fault_kernel" };
	tp[ntp++] = (typeof(tp[0])){ k->has_find_vma ? sk->progs.tp_alloc : sk->progs.tp_alloc_nofv, "mm_page_alloc" };
	tp[ntp++] = (typeof(tp[0])){ sk->progs.tp_free, "mm_page_free" };
	for (unsigned i = 0; i < ntp; i++)
		bpf_program__set_autoload(tp[i].prog, true);
	if (cowtrace_bpf__load(sk)) {
		snprintf(err, n, "load tracepoint programs: %s", strerror(errno));
		return -1;
	}
	if (post_load(s, o, err, n))
		return -1;
	if (!o->load_only && attach_lifecycle(s, err, n))
		return -1;
	for (unsigned i = 0; !o->load_only && i < ntp; i++)
		if (attach(s, tp[i].prog, MODE_TRACEPOINT, false, tp[i].tp, err, n))
			return -1;
	plan_fill_tracepoint(&s->plan);
	for (int st = 0; st < ST_MAX && !k->has_find_vma; st++)
		if (ct_stat_map(st) >= 0)
			plan_set(&s->plan, st, "-", MODE_NONE, Q_UNAVAILABLE,
				 "the kernel has no bpf_find_vma to name a copy's mapping");
	if (!k->has_tp_kfault)
		snprintf(s->plan.st[ST_COPY].reason + strlen(s->plan.st[ST_COPY].reason),
			 sizeof(s->plan.st[0].reason) - strlen(s->plan.st[ST_COPY].reason),
			 "; no page_fault_kernel tracepoint: the kernel's own faults on user pages are not seen");
	return 0;
}

int probes_start(struct ct_session *s, const struct ct_opts *o, char *err, size_t errlen)
{
	static const enum ct_mode ladder[] = { MODE_FENTRY, MODE_KPROBE, MODE_TRACEPOINT };
	struct kfacts k;
	char why[256];
	int ret = -1;

	memset(s, 0, sizeof(*s));
	verbose = o->verbose;
	libbpf_set_print(libbpf_print);
	gather_facts(&k, o->load_only);
	if (!k.btf) {
		snprintf(err, errlen, "this kernel has no BTF (/sys/kernel/btf/vmlinux): "
			 "cowtrace needs CONFIG_DEBUG_INFO_BTF");
		return -1;
	}
	for (unsigned i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++) {
		enum ct_mode rung = ladder[i];

		if (o->mode != MODE_NONE && o->mode != rung)
			continue;
		why[0] = 0;
		if (rung == MODE_TRACEPOINT)
			ret = try_tracepoint(s, o, &k, why, sizeof(why));
		else
			ret = try_exact(s, o, &k, rung, why, sizeof(why));
		if (ret == 0)
			break;
		teardown(s);
		snprintf(s->attempts + strlen(s->attempts), sizeof(s->attempts) - strlen(s->attempts),
			 "%s%s", s->attempts[0] ? "; " : "", why);
		if (o->verbose)
			fprintf(stderr, "cowtrace: %s rung failed: %s\n", ct_mode_name(rung), why);
	}
	if (ret == 0)
		fill_plan_common(&s->plan);
	else
		snprintf(err, errlen, "%s", s->attempts);
	btf__free(k.btf);
	return ret;
}

void probes_detach(struct ct_session *s)
{
	/* the misses of programs about to go, for the final report */
	probes_misses(s, &s->final_misses);
	s->detached = true;
	detach_all(s);
}

void probes_stop(struct ct_session *s)
{
	teardown(s);
}

int probes_lifecycle_fd(const struct ct_session *s)
{
	return bpf_map__fd(s->skel->maps.lifecycle);
}

int probes_events_fd(const struct ct_session *s)
{
	return bpf_map__fd(s->skel->maps.events);
}

uint64_t probes_stat(const struct ct_session *s, int idx)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1];
	__u32 key = idx;
	uint64_t sum = 0;

	if (ncpu <= 0 || bpf_map__lookup_elem(s->skel->maps.stats, &key, sizeof(key), vals,
					      sizeof(vals), 0))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

/* Every entry of a hash map, in batches; cb per entry.  0 or -errno. */
static int read_map(int fd, size_t ksize, size_t vsize,
		    int (*cb)(void *ctx, const void *k, const void *v), void *ctx)
{
	enum { BATCH = 1024 };
	char *keys = malloc(BATCH * ksize), *vals = malloc(BATCH * vsize);
	__u64 in = 0, out = 0;
	bool first = true;
	int err = 0;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (;;) {
		__u32 count = BATCH;

		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, NULL);
		if (err && errno != ENOENT) {
			err = -errno;
			break;
		}
		for (__u32 i = 0; i < count; i++)
			cb(ctx, keys + i * ksize, vals + i * vsize);
		if (err) { /* ENOENT: that was the last batch */
			err = 0;
			break;
		}
		in = out;
		first = false;
	}
	free(keys);
	free(vals);
	return err;
}

struct rec_cb {
	int (*proc)(void *ctx, const struct ct_proc_rec *r, const struct ct_hist_val *f2c);
	void *ctx;
};

static int proc_cb(void *ctx, const void *k, const void *v)
{
	(void)k;
	struct rec_cb *c = ctx;
	const struct ct_proc_val *pv = v;

	return c->proc(c->ctx, &pv->r, ct_hist_empty(&pv->f2c) ? NULL : &pv->f2c);
}

int probes_read_procs(struct ct_session *s,
		      int (*cb)(void *ctx, const struct ct_proc_rec *r, const struct ct_hist_val *f2c), void *ctx)
{
	struct rec_cb c = { .proc = cb, .ctx = ctx };

	return read_map(bpf_map__fd(s->skel->maps.procs), sizeof(__u32), sizeof(struct ct_proc_val),
			proc_cb, &c);
}

/* The hists map's values carry no key: read key and value together. */
int probes_read_hists(struct ct_session *s, int (*cb)(void *ctx, const struct ct_hist_rec *r), void *ctx)
{
	enum { BATCH = 1024 };
	int fd = bpf_map__fd(s->skel->maps.hists);
	struct ct_hist_key *keys = malloc(BATCH * sizeof(*keys));
	struct ct_hist_val *vals = malloc(BATCH * sizeof(*vals));
	struct ct_hist_key in, out;
	struct ct_hist_rec r = { .type = CT_REC_TYPE_HIST };
	bool first = true;
	int err = 0;

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -ENOMEM;
	}
	for (;;) {
		__u32 count = BATCH;

		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys, vals, &count, NULL);
		if (err && errno != ENOENT) {
			err = -errno;
			break;
		}
		for (__u32 i = 0; i < count; i++) {
			r.pid = keys[i].pid;
			r.id = keys[i].id;
			r.start_ns = 0; /* the live process of that pid */
			r.h = vals[i];
			cb(ctx, &r);
		}
		if (err) {
			err = 0;
			break;
		}
		in = out;
		first = false;
	}
	free(keys);
	free(vals);
	return err;
}

/* ---- programs the kernel skipped ---- */

/*
 * A perf-event kprobe link's own miss count (the kprobe's nmissed: it fired
 * while another kprobe ran on the CPU, or a kretprobe had no free instance),
 * where the kernel reports it ("bpf: Add missed value to kprobe perf link
 * info", 6.7).  The 6.1 uapi headers predate it: the layout is spelled out.
 */
struct link_info_kprobe {
	__u32 type, id, prog_id, __pad;
	__u32 pe_type, __pad2;   /* perf_event.type */
	__u64 func_name;
	__u32 name_len, offset;
	__u64 addr, missed, cookie;
};

static bool link_kprobe_missed(struct bpf_link *l, uint64_t *missed)
{
	struct link_info_kprobe info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_link__fd(l), &info, &len) ||
	    len < offsetof(struct link_info_kprobe, missed) + sizeof(info.missed) ||
	    info.type != 7 /* BPF_LINK_TYPE_PERF_EVENT */ ||
	    (info.pe_type != 3 && info.pe_type != 4) /* BPF_PERF_EVENT_KPROBE, _KRETPROBE */)
		return false;
	*missed = info.missed;
	return true;
}

void probes_misses(const struct ct_session *s, struct ct_misses *m)
{
	if (s->detached) {
		*m = s->final_misses;
		return;
	}
	memset(m, 0, sizeof(*m));
	m->known = s->nlinks > 0;
	for (int i = 0; i < s->nlinks && m->n < CT_MISS_MAX; i++) {
		const struct ct_link *l = &s->links[i];
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		struct ct_miss *x = &m->m[m->n++];
		uint64_t kp;

		snprintf(x->prog, sizeof(x->prog), "%s", bpf_program__name(l->prog));
		snprintf(x->hook, sizeof(x->hook), "%s", l->target);
		x->stats = plan_prog_stats(x->prog);
		memset(&info, 0, sizeof(info));
		/* recursion_misses: "bpf: Count the number of times recursion was prevented" (5.12) */
		if (bpf_obj_get_info_by_fd(bpf_program__fd(l->prog), &info, &len) ||
		    len < offsetof(struct bpf_prog_info, recursion_misses) + sizeof(info.recursion_misses))
			m->known = false;
		else
			x->missed = info.recursion_misses;
		if (l->kprobe && link_kprobe_missed(l->link, &kp))
			x->missed += kp;
	}
}

struct stack_cb {
	int (*cb)(void *ctx, const struct ct_stack_key *k, uint64_t pages);
	void *ctx;
};

static int stack_cb(void *ctx, const void *k, const void *v)
{
	struct stack_cb *c = ctx;
	uint64_t pages;

	memcpy(&pages, v, sizeof(pages));
	if ((int64_t)pages <= 0)
		return 0; /* its only pages were copies the kernel threw away (tracepoint mode) */
	return c->cb(c->ctx, k, pages);
}

int probes_read_stacks(struct ct_session *s, int (*cb)(void *ctx, const struct ct_stack_key *k, uint64_t pages),
		       void *ctx)
{
	struct stack_cb c = { .cb = cb, .ctx = ctx };

	return read_map(bpf_map__fd(s->skel->maps.stack_counts), sizeof(struct ct_stack_key), sizeof(__u64),
			stack_cb, &c);
}

int probes_stack_trace(struct ct_session *s, int32_t id, uint64_t ips[CT_STACK_DEPTH])
{
	int n = 0;

	if (id < 0)
		return id;
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.stack_traces), &id, ips))
		return -errno;
	while (n < CT_STACK_DEPTH && ips[n])
		n++;
	return n;
}

int probes_proc_get(struct ct_session *s, uint32_t pid, uint64_t start_ns, struct ct_proc_rec *r)
{
	struct ct_proc_val v;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.procs), &pid, &v) ||
	    (start_ns && v.r.start_ns != start_ns))
		return -ENOENT;
	*r = v.r;
	return 0;
}

void probes_forget_stack(struct ct_session *s, const struct ct_stack_key *k)
{
	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.stack_counts), k);
}

void probes_forget_trace(struct ct_session *s, int32_t id)
{
	if (id >= 0)
		bpf_map_delete_elem(bpf_map__fd(s->skel->maps.stack_traces), &id);
}

/*
 * A process's final record read from the map (its exit found the lifecycle
 * ring full, see proc_exit()): delete it and its histograms, unless the pid
 * is another process's by now (the kernel replaced the record, counted it
 * lost and dropped its histograms then).  Histograms first, then the record
 * with one lookup-and-delete; a record that turns out to be another
 * process's (replaced in between) is put back.
 */
void probes_forget_exited(struct ct_session *s, uint32_t pid, uint64_t start_ns, uint32_t hists)
{
	int fd = bpf_map__fd(s->skel->maps.procs), hfd = bpf_map__fd(s->skel->maps.hists);
	struct ct_proc_val v;

	if (bpf_map_lookup_elem(fd, &pid, &v) || !(v.r.flags & CT_PROC_EXITED) || v.r.start_ns != start_ns)
		return;
	/* fork_to_copy goes with the record */
	for (uint32_t id = 0; id < CT_H_FORK_TO_COPY; id++) {
		struct ct_hist_key k = { .pid = pid, .id = id };

		if (hists & (1u << id)) /* an ended process's histograms do not grow: those read */
			bpf_map_delete_elem(hfd, &k);
	}
	if (bpf_map_lookup_and_delete_elem(fd, &pid, &v)) {
		/* hash maps have it since 5.14; before, the window is this one call */
		if (errno != ENOENT)
			bpf_map_delete_elem(fd, &pid);
		return;
	}
	if (!(v.r.flags & CT_PROC_EXITED) || v.r.start_ns != start_ns)
		bpf_map_update_elem(fd, &pid, &v, BPF_NOEXIST);
}

bool probes_final_waits(const struct ct_session *s, uint32_t pid, uint64_t start_ns)
{
	struct ct_proc_val v;

	return !bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.procs), &pid, &v) &&
	       (v.r.flags & CT_PROC_EXITED) && v.r.start_ns == start_ns;
}

void probes_forget(struct ct_session *s, uint32_t pid)
{
	int fd = bpf_map__fd(s->skel->maps.hists);

	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.procs), &pid); /* fork_to_copy with it */
	for (uint32_t id = 0; id < CT_H_FORK_TO_COPY; id++) {
		struct ct_hist_key k = { .pid = pid, .id = id };

		bpf_map_delete_elem(fd, &k);
	}
}
