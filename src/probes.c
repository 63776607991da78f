// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The degradation ladder, and the programs' configuration (.rodata).  For
 * every hook, decide from BTF and kallsyms (never a version number) whether
 * fentry, a kprobe, or nothing can reach it (kfacts.c); then load, from the
 * table of programs (progs.c).  If the kernel refuses the whole rung (fentry
 * EPERM on locked-down kernels, kprobes not built in), go down one rung:
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
#include "kfacts.h"
#include "probes.h"
#include "progs.h"
#include "tracefs.h"
#include "util.h"

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return verbose ? vfprintf(stderr, fmt, args) : 0; /* libbpf speaks only with -v */
}

/* A program of the object by its name in progs.c; NULL: none. */
static struct bpf_program *prog_of(struct cowtrace_bpf *sk, const char *name)
{
	return bpf_object__find_program_by_name(sk->obj, name);
}

/* Whether the kernel is one a program with this `when` is for. */
static bool prog_fits(const struct ct_prog_desc *d, const struct kfacts *k)
{
	switch (d->when) {
	case PW_ALWAYS: return true;
	case PW_THP_ARGS1: return k->thp_nargs != 2;
	case PW_THP_ARGS2: return k->thp_nargs == 2;
	case PW_FIND_VMA: return k->has_find_vma;
	case PW_NO_FIND_VMA: return !k->has_find_vma;
	case PW_TP_KFAULT: return k->has_tp_kfault;
	case PW_SYSCALL_TP: return k->has_tp_syscalls;
	}
	return false;
}

/* Hook h's programs on an exact rung: entry and exit, for fentry/fexit and for kprobes. */
struct progs {
	struct bpf_program *fe, *fx, *kp, *krp;
};

static void hook_progs(struct cowtrace_bpf *sk, const struct kfacts *k, int h, struct progs *p)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < ct_nprogs; i++) {
		const struct ct_prog_desc *d = &ct_progs[i];
		struct bpf_program **slot;

		if (d->hook != h || !prog_fits(d, k))
			continue;
		if (d->mode == MODE_FENTRY)
			slot = d->ret ? &p->fx : &p->fe;
		else
			slot = d->ret ? &p->krp : &p->kp;
		*slot = prog_of(sk, d->name);
	}
}

/*
 * The object and the table name the same programs: a program the table
 * lacks would never load, one the object lacks never count.  0, or -1 with why.
 */
static int progs_match(struct cowtrace_bpf *sk, char *err, size_t n)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, sk->obj)
		if (!ct_prog_find(bpf_program__name(prog))) {
			snprintf(err, n, "BPF program %s is not in the table of programs (src/progs.c)",
				 bpf_program__name(prog));
			return -1;
		}
	for (unsigned i = 0; i < ct_nprogs; i++)
		if (!prog_of(sk, ct_progs[i].name)) {
			snprintf(err, n, "the table of programs names %s, which the BPF object lacks", ct_progs[i].name);
			return -1;
		}
	return 0;
}

/* g: GFP bits for tracepoint mode; NULL for the exact rungs. */
static void set_config(struct cowtrace_bpf *sk, const struct ct_opts *o, const struct kfacts *k,
		       const struct gfp_bits *g)
{
	struct ct_config *c = (struct ct_config *)&sk->rodata->cfg;

	c->page_offset_base_addr = k->page_offset_base_addr;
	c->pgdir_shift_addr = k->pgdir_shift_addr;
	c->shm_mnt_addr = k->shm_mnt_addr;
	c->ncpus = libbpf_num_possible_cpus() > 0 ? (uint32_t)libbpf_num_possible_cpus() : 1;
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
	if (progs_match(sk, err, n))
		return NULL;
	bpf_object__for_each_program(prog, sk->obj)
		bpf_program__set_autoload(prog, ct_prog_find(bpf_program__name(prog))->lifecycle);
	return sk;
}

/* The tp_btf programs of the table that are (lifecycle) or are not (tracepoint mode's) on every rung. */
static int attach_tracepoints(struct ct_session *s, const struct kfacts *k, bool lifecycle, char *err, size_t n)
{
	for (unsigned i = 0; i < ct_nprogs; i++) {
		const struct ct_prog_desc *d = &ct_progs[i];

		if (d->mode == MODE_TRACEPOINT && d->lifecycle == lifecycle && prog_fits(d, k) &&
		    attach(s, prog_of(s->skel, d->name), MODE_TRACEPOINT, false, d->tracepoint, err, n))
			return -1;
	}
	return 0;
}

/*
 * do_wp_page's programs.  On the fentry rung, without --latency, on a kernel
 * that cannot preempt a BPF program (so never skips one), the exit program
 * classifies the fault alone (cfg.wp_entry 0): one program per fault fewer.
 * Elsewhere the entry program runs too: it times the fault (--latency), it
 * lets a fault whose exit was skipped be settled, and a kretprobe, which has
 * no arguments, needs the vmf it keeps.
 */
static bool wp_exit_only(const struct ct_opts *o, const struct kfacts *k, const struct ct_hook_choice *c)
{
	return c[HOOK_WP].mode == MODE_FENTRY && !o->latency && !k->preemptible;
}

static void wp_progs(const struct ct_opts *o, const struct kfacts *k, const struct ct_hook_choice *c, int h,
		     struct progs *p)
{
	if (h == HOOK_WP && wp_exit_only(o, k, c))
		p->fe = NULL;
}

static int try_exact(struct ct_session *s, const struct ct_opts *o, const struct kfacts *k,
		     enum ct_mode rung, char *err, size_t n)
{
	struct ct_hook_choice c[HOOK_MAX];
	struct progs p[HOOK_MAX]; /* each hook's programs on this rung, for load and attach */
	struct cowtrace_bpf *sk;
	int any = 0;

	/* --load-only verifies the programs: kprobe programs load where kprobes cannot attach */
	if (!(o->load_only && rung == MODE_KPROBE) && kfacts_rung_possible(k, rung, err, n))
		return -1;

	sk = open_skel(s, o, k, NULL, err, n);
	if (!sk)
		return -1;
	for (int h = 0; h < HOOK_MAX; h++) {
		kfacts_choose(k, h, rung, &c[h]);
		hook_progs(sk, k, h, &p[h]);
		wp_progs(o, k, c, h, &p[h]);
		if (c[h].mode == MODE_FENTRY) {
			if (p[h].fe) {
				bpf_program__set_autoload(p[h].fe, true);
				bpf_program__set_attach_target(p[h].fe, 0, c[h].sym);
			}
			if (p[h].fx) {
				bpf_program__set_autoload(p[h].fx, true);
				bpf_program__set_attach_target(p[h].fx, 0, c[h].sym);
			}
		} else if (c[h].mode == MODE_KPROBE) {
			bpf_program__set_autoload(p[h].kp, true);
			if (p[h].krp)
				bpf_program__set_autoload(p[h].krp, true);
		}
		any |= c[h].mode != MODE_NONE;
	}
	if (!any) {
		snprintf(err, n, "no hook function found in kallsyms");
		return -1;
	}
	((struct ct_config *)&sk->rodata->cfg)->wp_entry = !wp_exit_only(o, k, c);
	/* kernel_clone's return program sends each fork's record; without it sched_process_fork does */
	((struct ct_config *)&sk->rodata->cfg)->fork_exit = c[HOOK_CLONE].mode != MODE_NONE;
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
		if (attach_tracepoints(s, k, true, err, n))
			return -1;
		for (int h = 0; h < HOOK_MAX; h++) {
			enum ct_mode m = c[h].mode;
			struct bpf_program *at_entry = m == MODE_FENTRY ? p[h].fe : p[h].kp;
			struct bpf_program *at_exit = m == MODE_FENTRY ? p[h].fx : p[h].krp;

			if (m == MODE_NONE)
				continue;
			if (at_entry && attach(s, at_entry, m, false, c[h].sym, err, n))
				return -1;
			if (at_exit && attach(s, at_exit, m, true, c[h].sym, err, n))
				return -1;
		}
	}
	plan_fill_exact(&s->plan, rung, c, &k->caps, o->latency);
	return 0;
}

static int try_tracepoint(struct ct_session *s, const struct ct_opts *o, const struct kfacts *k,
			  char *err, size_t n)
{
	struct cowtrace_bpf *sk;
	struct gfp_bits g;

	if (!k->has_tp_fault) {
		snprintf(err, n, "no exceptions:page_fault_user tracepoint in BTF");
		return -1;
	}
	if (tracefs_gfp_bits(&g, err, n))
		return -1;
	sk = open_skel(s, o, k, &g, err, n);
	if (!sk)
		return -1;
	for (unsigned i = 0; i < ct_nprogs; i++)
		if (ct_progs[i].mode == MODE_TRACEPOINT && !ct_progs[i].lifecycle && prog_fits(&ct_progs[i], k))
			bpf_program__set_autoload(prog_of(sk, ct_progs[i].name), true);
	((struct ct_config *)&sk->rodata->cfg)->fork_exit = k->has_tp_syscalls;
	if (cowtrace_bpf__load(sk)) {
		snprintf(err, n, "load tracepoint programs: %s", strerror(errno));
		return -1;
	}
	if (post_load(s, o, err, n))
		return -1;
	if (!o->load_only && (attach_tracepoints(s, k, true, err, n) || attach_tracepoints(s, k, false, err, n)))
		return -1;
	plan_fill_tracepoint(&s->plan);
	for (int st = 0; st < ST_MAX && !k->has_find_vma; st++)
		if (ct_stat_map(st) >= 0)
			plan_set(&s->plan, st, "-", MODE_NONE, Q_UNAVAILABLE,
				 "the kernel has no bpf_find_vma to name a copy's mapping");
	if (!k->has_tp_syscalls)
		plan_set(&s->plan, ST_FORK_DURATION, "-", MODE_NONE, Q_UNAVAILABLE,
			 "no syscalls:sys_enter/exit_clone tracepoints in tracefs (CONFIG_FTRACE_SYSCALLS)");
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
	kfacts_gather(&k, o->load_only);
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
	if (ret == 0) {
		struct utsname u;

		plan_fill_common(&s->plan, uname(&u) == 0 ? u.release : NULL);
	}
	else
		snprintf(err, errlen, "%s", s->attempts);
	kfacts_free(&k);
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

