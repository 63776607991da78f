/*
 * What every cowtrace BPF unit shares besides the maps (maps.bpf.h): the
 * filters, the per-thread state's lookup, the rings, and counting in
 * place.  It defines no map and no program.
 *
 * Counting (include/cowtrace.h): a hook classifies an event
 * (include/cowtrace_classify.h) and calls count_*(), which adds to the
 * process's record in `procs` and, for timed events, to its histogram in
 * `hists` (fork_to_copy: in `procs`, beside the record), all in place.  The
 * ring buffer carries only lifecycle records (forks, a process's final
 * counts at exit) and, when the frontend asks for them (--events,
 * --record), one event per fault.
 */
#ifndef COWTRACE_BPF_H
#define COWTRACE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "cowtrace.h"
#include "cowtrace_classify.h"
#include "core_fixes.bpf.h"
#include "maps.bpf.h"

static const struct ct_hist_val hist_zero;

/*
 * An index the verifier must see bounded: hide its value from clang (which
 * could prove the bound and drop the check), then check it in the register
 * that indexes (libbpf's barrier_var()).
 */
#define ct_barrier_var(v) asm volatile("" : "+r"(v))

static __always_inline void stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += n;
}

static __always_inline void stat_inc(__u32 idx)
{
	stat_add(idx, 1);
}

/* -p and -c: cheap enough to ask every time. */
static __always_inline bool want_pid_cgroup(__u32 tgid)
{
	if (cfg.filter_tgid && tgid != cfg.filter_tgid)
		return false;
	if (cfg.filter_cgroup && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	return true;
}

static __always_inline bool want_follow(__u32 tgid)
{
	__u8 *v = bpf_map_lookup_elem(&traced, &tgid);

	return v && *v == CT_TRACED_YES;
}

/* Any process (for lifecycle hooks that have no thread state at hand). */
static __always_inline bool want_tgid(__u32 tgid)
{
	return want_pid_cgroup(tgid) && (!cfg.filter_follow || want_follow(tgid));
}

/*
 * The value of key in a hash map, created from init where there is none
 * (BPF_NOEXIST: another CPU may create it first, and that one is taken);
 * NULL: no room.  created (may be NULL): this call made it.
 */
static __always_inline void *lookup_or_try_init(void *map, const void *key, const void *init, bool *created)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	if (!bpf_map_update_elem(map, key, init, BPF_NOEXIST) && created)
		*created = true;
	return bpf_map_lookup_elem(map, key);
}

/* The current thread's state; create: make it on first use.  NULL: no room (counted). */
static __always_inline struct ct_thread *thread_get(bool create)
{
	static const struct ct_thread zero;
	__u64 id;

	if (cfg.task_storage)
		return bpf_task_storage_get(&thread_store, bpf_get_current_task_btf(), 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	id = bpf_get_current_pid_tgid();
	if (!create)
		return bpf_map_lookup_elem(&thread_hash, &id);
	return lookup_or_try_init(&thread_hash, &id, &zero, NULL); /* only ever its own thread's */
}

static __always_inline void thread_drop(void)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!cfg.task_storage)
		bpf_map_delete_elem(&thread_hash, &id); /* task storage goes with the task */
}

/*
 * The state of a thread the filters let through, created on first use;
 * NULL otherwise.  tgid: the current process (bpf_get_current_pid_tgid() is
 * a helper call: the hot paths make it once and pass it on).  The
 * follow-mode verdict is looked up once per thread.
 */
static __always_inline struct ct_thread *thread_traced(__u32 tgid)
{
	struct ct_thread *t;

	if (!want_pid_cgroup(tgid))
		return NULL;
	t = thread_get(true);
	if (!t) {
		stat_inc(CT_STAT_NOSPACE);
		return NULL;
	}
	if (cfg.filter_follow) {
		if (!t->filter)
			t->filter = want_follow(tgid) ? 1 : 2;
		if (t->filter != 1)
			return NULL;
	}
	return t;
}

/*
 * A wakeup per event costs an irq_work and a context switch: wake the
 * frontend only once a batch is waiting.  It polls every 100 ms anyway.
 * Until it has run and taken the batch, every record would wake it again
 * (a mass exit: 5-7 us of each exit program's run here): at most once a
 * millisecond per CPU.  A wakeup left out delays the batch until the next
 * record after the gap wakes it, or the 100 ms poll does, as for records
 * below the mark.
 */
#define CT_WAKEUP_GAP_NS 1000000

static __always_inline __u64 rb_wakeup(void *ring)
{
	__u32 zero = 0;
	__u64 *last, now;

	if (bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) < cfg.wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	last = bpf_map_lookup_elem(&wakeup_ns, &zero);
	if (!last)
		return BPF_RB_FORCE_WAKEUP;
	now = bpf_ktime_get_ns();
	if (now - *last < CT_WAKEUP_GAP_NS)
		return BPF_RB_NO_WAKEUP;
	*last = now;
	return BPF_RB_FORCE_WAKEUP;
}

/* Reserve ring space; a full ring is counted, never silent. */
static __always_inline void *ring_reserve(void *ring, __u64 size)
{
	void *r = bpf_ringbuf_reserve(ring, size, 0);

	if (!r)
		stat_inc(CT_STAT_LOST);
	return r;
}

/* An event about the current task, into ring; map: 1 + the mapping class of a copy, or 0. */
static __always_inline void emit_map_to(void *ring, __u16 type, __u16 kind, __u64 value, __u32 aux, __u64 ts,
					__u8 map)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ct_event *e = ring_reserve(ring, sizeof(*e));

	if (!e)
		return;
	e->ts_ns = ts;
	e->value = value;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->ppid = current_ppid();
	e->aux = aux;
	e->type = type;
	e->kind = kind;
	e->map = map;
	e->__pad[0] = e->__pad[1] = e->__pad[2] = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->cgroup_id = bpf_get_current_cgroup_id();
	/* a process with stacks: wake the frontend now, to read its maps while it lives */
	bpf_ringbuf_submit(e, type == CT_EV_STACKS ? BPF_RB_FORCE_WAKEUP : rb_wakeup(ring));
}

#define emit_to(ring, type, kind, value, aux, ts) emit_map_to(ring, type, kind, value, aux, ts, 0)
/* A per-fault (or per-event-mode) event: only when the frontend asked for them. */
#define emit(type, kind, value, aux, ts) emit_to(&events, type, kind, value, aux, ts)

/* ---- per-process records ---- */

/*
 * Create tgid's record.  task: the process (a thread of it); ppid, comm and
 * the cgroup come from the current task, which is the process itself or,
 * at a fork, its parent.  seg_fork_ns: the fork its copies are charged to.
 * replace: a new process (at its fork) replaces a stale record of its pid.
 */
static __always_inline struct ct_proc_rec *proc_new(__u32 tgid, __u32 ppid, __u64 start_ns,
						    __u64 seg_fork_ns, __u8 side, __u64 now, bool replace)
{
	__u32 zero = 0;
	struct ct_proc_val *v = bpf_map_lookup_elem(&proc_scratch, &zero);
	struct ct_proc_rec *r;

	if (!v)
		return NULL;
	__builtin_memset(v, 0, sizeof(*v));
	r = &v->r;
	r->pid = tgid;
	r->ppid = ppid;
	r->type = CT_REC_TYPE_PROC;
	r->start_ns = start_ns;
	r->first_ns = now;
	r->last_ns = now;
	r->cgroup_id = bpf_get_current_cgroup_id();
	r->seg_fork_ns = seg_fork_ns;
	r->seg_side = side;
	if (side == CT_SEG_CHILD)
		r->birth_ns = seg_fork_ns;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	if (bpf_map_update_elem(&procs, &tgid, v, replace ? BPF_ANY : BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&procs, &tgid)) {
		stat_inc(CT_STAT_NOSPACE);
		return NULL;
	}
	return bpf_map_lookup_elem(&procs, &tgid);
}

/*
 * A record the frontend has not read is in tgid's place: the final counts
 * of an ended process that found the lifecycle ring full (proc_exit()
 * leaves them in the map, marked exited), and tgid is a new process now.
 * Those counts are lost (counted), and its histograms go with them.
 * Returns whether there was one.
 */
static __always_inline bool proc_drop_unread(__u32 tgid, struct ct_proc_rec *old)
{
	if (!old || !(old->flags & CT_PROC_EXITED))
		return false;
	stat_inc(CT_STAT_LOST);
	for (__u32 id = 0; id < CT_H_FORK_TO_COPY; id++) { /* fork_to_copy goes with the record */
		struct ct_hist_key k = { .pid = tgid, .id = id };

		bpf_map_delete_elem(&hists, &k);
	}
	return true;
}

/*
 * The current process's record (tgid: the current process), created when it
 * first counts (no fork seen); now: 0, not read yet.
 */
static __always_inline struct ct_proc_rec *proc_current(__u32 tgid, __u64 now)
{
	struct ct_proc_rec *p = bpf_map_lookup_elem(&procs, &tgid);

	/* a marked record is this process's own if an exiting thread still faults after it was marked */
	if (p && (!(p->flags & CT_PROC_EXITED) || p->start_ns == current_start_ns()))
		return p;
	if (!p && current_process_ended()) {
		/* a fault after its final record (its last thread exiting): no record to count it in */
		stat_inc(CT_STAT_NOSPACE);
		return NULL;
	}
	return proc_new(tgid, current_ppid(), current_start_ns(), 0, CT_SEG_NONE, now ? now : bpf_ktime_get_ns(),
			proc_drop_unread(tgid, p));
}

/*
 * The memory a copy hit (enum ct_map_class), from the VMA (read only as far
 * as needed) and the old page: a page of a huge page is thp; a file mapping
 * is shmem when it is on the kernel-internal shmem mount `shm_mnt` (its
 * address from kallsyms), else file (*file: its inode and device, whose
 * path the frontend finds in /proc/PID/maps); anonymous memory is the heap,
 * the stack or other (include/cowtrace_classify.h).
 */
static __always_inline __u8 copy_map_class(struct vm_area_struct *vma, bool huge, __u64 shm_mnt_addr,
					   __u64 *file, bool btf)
{
	struct mm_struct *mm;
	unsigned long start, end;
	struct inode *inode;
	struct file *f;
	__u64 shm = 0;

	*file = 0;
	if (huge)
		return CT_MAP_THP;
	f = KREAD(btf, vma, vm_file);
	if (f) {
		if (shm_mnt_addr)
			bpf_probe_read_kernel(&shm, sizeof(shm), (void *)shm_mnt_addr);
		if (shm && (__u64)KREAD(btf, f, f_path.mnt) == shm)
			return CT_MAP_SHMEM;
		inode = KREAD(btf, f, f_inode);
		*file = ct_file_key(KREAD(btf, inode, i_ino),
				    btf ? inode->i_sb->s_dev : BPF_CORE_READ(inode, i_sb, s_dev));
		return CT_MAP_FILE;
	}
	mm = KREAD(btf, vma, vm_mm);
	start = KREAD(btf, vma, vm_start);
	end = KREAD(btf, vma, vm_end);
	if (ct_map_is_heap(start, end, KREAD(btf, mm, start_brk), KREAD(btf, mm, brk)))
		return CT_MAP_HEAP;
	if (ct_map_is_stack(start, end, KREAD(btf, mm, start_stack)))
		return CT_MAP_STACK;
	return CT_MAP_ANON;
}

/* n: 1, or -1 to take back a value added */
static __always_inline void hist_val_add(struct ct_hist_val *h, __u64 v, __s64 n)
{
	unsigned s = ct_hist_slot(v);

	ct_barrier_var(s);
	if (s >= CT_HIST_SLOTS)
		s = CT_HIST_SLOTS - 1;
	__sync_fetch_and_add(&h->slot[s], n);
	__sync_fetch_and_add(&h->sum, n * v);
}

static __always_inline void hist_add(__u32 tgid, __u32 id, __u64 v)
{
	struct ct_hist_key k = { .pid = tgid, .id = id };
	struct ct_hist_val *h = lookup_or_try_init(&hists, &k, &hist_zero, NULL);

	if (!h) {
		stat_inc(CT_STAT_NOSPACE);
		return;
	}
	hist_val_add(h, v, 1);
}

/* The fork-to-copy histogram of a record of `procs` (not of a copy of one). */
static __always_inline struct ct_hist_val *proc_f2c(struct ct_proc_rec *p)
{
	return &((struct ct_proc_val *)p)->f2c;
}

/*
 * A copy at `now`, beyond its kind's counter: the memory it hit (map: enum
 * ct_map_class) and the fork it follows (segment, fork_to_copy); n 1.  n -1
 * takes back one charged at `now` (tracepoint mode: a copy that lost a
 * race), from the segment only if that is still the fork it was charged to
 * (seg_ns: that fork's time, 0 if none).
 */
static __always_inline void count_copy(struct ct_proc_rec *p, __u32 map, __u64 now, __u64 seg_ns, __s64 n)
{
	bool seg = p->seg_side != CT_SEG_NONE && (n > 0 || p->seg_fork_ns == seg_ns);

	ct_barrier_var(map);
	map &= 7; /* bounded for the verifier; the check below for the logic */
	if (map < CT_MAP_MAX) {
		__sync_fetch_and_add(&p->c[CT_C_MAP + map], n);
		if (seg)
			__sync_fetch_and_add(&p->seg_map[map], n);
	}
	if (!seg)
		return;
	__sync_fetch_and_add(&p->seg_copies, n);
	if (n > 0) {
		if (!p->seg_first_ns)
			p->seg_first_ns = now;
		p->seg_last_ns = now;
	}
	if (now >= p->seg_fork_ns)
		hist_val_add(proc_f2c(p), now - p->seg_fork_ns, n);
}

/* count_stack()'s ustack (and kstack): take the stack here. */
#define CT_USTACK_HERE (-0x7fffffff)

/*
 * --stacks: one more page for this stack (n 1), or one less (n -1: a copy
 * the kernel threw away).  ctx: the program's context (NULL: the stack is
 * not the fault's, e.g. settled at a later fault).  ustack, kstack:
 * CT_USTACK_HERE, or the stack's id taken earlier (tracepoint mode takes the
 * user stack at the fault: walking the user stack reads user pages and sets
 * their ptes' accessed bit, so in the middle of a copy it would make the
 * kernel's pte_same() check fail, the copy be thrown away and the fault be
 * taken again).  Returns the kernel stack's id (-1: none).
 */
static __always_inline __s32 count_stack_n(void *ctx, struct ct_proc_rec *p, __u32 tgid, __u32 kind, __u8 map,
					   __u64 file, __s32 ustack, __s32 kstack, __s64 n)
{
	struct ct_stack_key k = { .start_ns = p->start_ns, .pid = tgid, .ustack = -1, .kstack = -1, .kind = kind,
				  .map = map, .execs = p->execs, .file = file };
	static const __u64 one = 1;
	bool created = false;
	__u64 *c;

	if (!ct_wp_is_copy(kind))
		k.file = 0;
	if (ctx) {
		k.ustack = ustack == CT_USTACK_HERE ? bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK) : ustack;
		if (cfg.kernel_stacks)
			k.kstack = kstack == CT_USTACK_HERE ? bpf_get_stackid(ctx, &stack_traces, 0) : kstack;
	}
	c = n > 0 ? lookup_or_try_init(&stack_counts, &k, &one, &created) : bpf_map_lookup_elem(&stack_counts, &k);
	if (created) {
		/* its first stack: the frontend reads the process's maps while it lives */
		if (!(p->flags & CT_PROC_STACKS)) {
			p->flags |= CT_PROC_STACKS;
			emit_map_to(&lifecycle, CT_EV_STACKS, p->birth_ns != 0, p->start_ns, p->execs,
				    bpf_ktime_get_ns(), 0);
		}
		return k.kstack; /* the first page of this stack */
	}
	if (c)
		__sync_fetch_and_add(c, n);
	else if (n > 0)
		stat_inc(CT_STAT_NOSPACE);
	return k.kstack;
}

#define count_stack(ctx, p, tgid, kind, map, file, ustack) \
	count_stack_n(ctx, p, tgid, kind, map, file, ustack, CT_USTACK_HERE, 1)

/*
 * One write-fault outcome of the current process (tgid): its counter, its latency
 * histogram (lat 0: not timed), and for a copy the memory it hit (map,
 * file), the fork it follows and, with --stacks, its stack; the per-fault
 * event if the frontend asked for them.  now: 0 for a reuse that nothing
 * times (the record's last_ns, used only for an exit the kernel never
 * reported, keeps its last copy, fork or exit: a clock read is a tenth of
 * the cost of a reuse).
 */
static __always_inline void count_wp(void *ctx, __u32 tgid, __u32 kind, __u64 lat, __u64 now, __u8 map,
				     __u64 file)
{
	struct ct_proc_rec *p = proc_current(tgid, now);
	__u32 c = CT_C_WP + kind;

	ct_barrier_var(c);
	if (!p || c >= CT_C_WP + CT_WP_KIND_MAX)
		return;
	__sync_fetch_and_add(&p->c[c], 1);
	if (now)
		p->last_ns = now;
	if (lat)
		hist_add(tgid, ct_wp_lat_hist(kind), lat);
	if (ct_wp_is_copy(kind))
		count_copy(p, map, now, 0, 1);
	if ((cfg.stacks >> (kind & 31)) & 1)
		count_stack(ctx, p, tgid, kind, ct_wp_is_copy(kind) ? map : CT_MAP_MAX, file, CT_USTACK_HERE);
	if (cfg.per_event)
		emit_map_to(&events, CT_EV_WP, kind, lat, 0, now, ct_wp_is_copy(kind) && map < CT_MAP_MAX ? map + 1 : 0);
}

/* n of counter c (not a write fault) for the current process; hist: -1 or enum ct_hist_id. */
static __always_inline void count_n(__u32 c, __u64 n, int hist, __u64 v, __u64 now)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ct_proc_rec *p = proc_current(tgid, now);

	ct_barrier_var(c);
	if (!p || c >= CT_C_MAX)
		return;
	__sync_fetch_and_add(&p->c[c], n);
	p->last_ns = now;
	if (hist >= 0)
		hist_add(tgid, hist, v);
}

#endif /* COWTRACE_BPF_H */
