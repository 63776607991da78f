// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The process lifecycle, in every mode (tp_btf): a fork starts the
 * segment its copies are charged to, takes the pages fork copied at once
 * and notes what the child got (its page tables) for the fork's record
 * (fork.bpf.c); an exit sends the process's final counts and histograms;
 * an exec renames it, and the first exec of a forked child is sent.
 * This unit, which every mode loads, defines the maps the units share
 * (maps.bpf.h).
 */
#define CT_DEFINE_MAPS
#include "cowtrace.bpf.h"
#include "tp.bpf.h"
#include "wp.bpf.h"
#include "fork.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

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

/*
 * The forks whose child has not exec'd yet: child tgid -> its start and
 * the fork's time.  LRU: a child that never execs is forgotten in time, and
 * its start tells a reused pid apart.
 */
struct fork_exec_val {
	__u64 start_ns;
	__u64 fork_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct fork_exec_val);
} fork_exec SEC(".maps");

/*
 * ---- the parent's rss at a fork, as percpu_counter_sum() adds it (6.2+) ----
 * A percpu_counter's shared count lags the deltas each CPU holds (up to
 * its batch, max(32, 2 * CPUs), each): a small process's rss would be off
 * by more than its size on a large machine.  Each possible CPU's delta is
 * read where that CPU's copy of the counter is: the counter's per-CPU
 * pointer plus that CPU's per-CPU offset.  The offset is that of this map's
 * element, its address on the CPU (bpf_map_lookup_percpu_elem, 5.19+) less
 * its per-CPU pointer (struct bpf_array's pptrs[0]); no kernel symbol
 * needed (this_cpu_off is a ksym only with CONFIG_KALLSYMS_ALL).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cpu_base SEC(".maps");

#define CT_RSS_CPUS 1024 /* CPUs whose deltas are added (cfg.ncpus: the possible ones) */

static __always_inline void mm_rss_percpu_sum(struct mm_struct *mm, __u64 *out)
{
	void *map = &cpu_base;
	unsigned long maddr = 0, base = 0, cnt[CT_RSS_MAX];
	long v[CT_RSS_MAX];
	__u32 zero = 0;

	/* the map's address as a number (no arithmetic on a map pointer), then its element's per-CPU pointer */
	bpf_probe_read_kernel(&maddr, sizeof(maddr), &map);
	if (maddr)
		bpf_probe_read_kernel(&base, sizeof(base),
				      (void *)(maddr + bpf_core_field_offset(struct bpf_array, pptrs)));

	for (int i = 0; i < CT_RSS_MAX; i++) {
		v[i] = BPF_CORE_READ(mm, rss_stat[i].count);
		cnt[i] = (unsigned long)BPF_CORE_READ(mm, rss_stat[i].counters);
	}
	for (__u32 cpu = 0; base && cpu < CT_RSS_CPUS && cpu < cfg.ncpus; cpu++) {
		void *p = bpf_map_lookup_percpu_elem(&cpu_base, &zero, cpu);
		unsigned long addr = 0, off;

		if (!p)
			break;
		bpf_probe_read_kernel(&addr, sizeof(addr), &p); /* the address as a number */
		off = addr - base;
		for (int i = 0; i < CT_RSS_MAX; i++) {
			__s32 d = 0;

			if (i == CT_RSS_SWAP || !cnt[i])
				continue; /* swap entries: the count alone */
			bpf_probe_read_kernel(&d, sizeof(d), (void *)(cnt[i] + off));
			v[i] += d;
		}
	}
	for (int i = 0; i < CT_RSS_MAX; i++)
		out[i] = rss_pos(v[i]);
}

/*
 * What the child got, for the fork's record: its page tables, and the
 * parent's size then.  A child that shares the parent's mm (vfork,
 * CLONE_VM) got nothing.  Sent when the fork call returns (fork.bpf.c), or
 * now where no program runs there.
 */
static __always_inline void fork_note(struct ct_thread *t, struct task_struct *parent, struct task_struct *child,
				      __u32 ptgid, __u32 ctgid, __u16 kind, __u64 now)
{
	struct mm_struct *pmm = parent->mm, *cmm = child->mm;
	struct ct_fork_thread *f = &t->fork;

	f->fork_ns = now;
	f->child = ctgid;
	f->parent_traced = (kind & CT_FORK_PARENT_TRACED) != 0;
	f->known = 0;
	f->pgtables = 0;
	f->vmas = 0;
	for (int i = 0; i < CT_RSS_MAX; i++)
		f->rss[i] = 0;
	if (pmm && cmm == pmm) {
		f->known = CT_FK_CLONE_VM;
	} else if (pmm && cmm) {
		f->known = CT_FK_MM;
		f->pgtables = mm_pgtables(cmm);
		f->vmas = BPF_CORE_READ(pmm, map_count);
		if (mm_rss_percpu(pmm))
			mm_rss_percpu_sum(pmm, f->rss);
		else
			mm_rss_atomic(pmm, f->rss);
	}
	if (!cfg.fork_exit)
		fork_send(t, ptgid, 0);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct ct_thread *t = thread_get(false);
	struct fork_exec_val fe;
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
	if (t && (cfg.tp_mode || t->fork.mm == (__u64)child->mm))
		pages = t->fork.pages;
	if (t) {
		t->fork.mm = 0;
		t->fork.pages = 0;
	}
	if (!kind)
		return 0;
	now = bpf_ktime_get_ns();
	if (!t)
		t = thread_get(true); /* for the fork's record */
	if (t)
		fork_note(t, parent, child, ptgid, ctgid, kind, now);
	else
		stat_inc(CT_STAT_NOSPACE);
	fe.start_ns = child->start_time;
	fe.fork_ns = now;
	bpf_map_update_elem(&fork_exec, &ctgid, &fe, BPF_ANY);
	if ((kind & CT_FORK_PARENT_TRACED) && (p = proc_current(ptgid, now))) {
		/* The parent's copies are charged to this fork from now on: hand over the old segment. */
		if (p->seg_copies && (r = proc_rec_reserve(p, CT_PROC_FORKED)))
			bpf_ringbuf_submit(r, rb_wakeup(&lifecycle));
		__sync_fetch_and_add(&p->c[CT_C_FORKS], 1);
		__sync_fetch_and_add(&p->c[CT_C_PINNED], pages);
		if (t)
			__sync_fetch_and_add(&p->c[CT_C_PGTABLES], t->fork.pgtables);
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

	if (t && t->wp.active)
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

/*
 * exec renames the process, and its stacks from now on are of another
 * image.  A forked child's first exec ends the window its copies came
 * from: sent, with its fork's time.  (p is the exec'ing thread, the
 * leader once exec has killed the others, with the leader's start.)
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ct_proc_rec *r = bpf_map_lookup_elem(&procs, &tgid);
	struct fork_exec_val *fe = bpf_map_lookup_elem(&fork_exec, &tgid);

	if (fe) {
		__u64 fork_ns = fe->fork_ns, now = bpf_ktime_get_ns();
		bool same = fe->start_ns == p->start_time;

		bpf_map_delete_elem(&fork_exec, &tgid);
		if (same) {
			emit_to(&lifecycle, CT_EV_EXEC, 0, fork_ns, 0, now);
			if (cfg.per_event)
				emit(CT_EV_EXEC, 0, fork_ns, 0, now);
		}
	}

	if (r && !(r->flags & CT_PROC_EXITED)) {
		bpf_get_current_comm(r->comm, sizeof(r->comm));
		r->execs++;
		r->flags &= ~CT_PROC_STACKS;
	}
	return 0;
}
