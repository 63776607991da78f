// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --stacks in a live run: the kernel's counts, named once, kept in a table. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stacks_live.h"
#include "util.h"
#include "symbolize.h"

int stack_reader_init(struct ct_stack_reader *r, bool kernel, bool verbose)
{
	memset(r, 0, sizeof(*r));
	stacks_init(&r->st);
	r->kernel = kernel;
	r->verbose = verbose;
	r->sym = sym_new();
	return r->sym ? 0 : -ENOMEM;
}

void stack_reader_ready(struct ct_stack_reader *r, struct ct_session *s)
{
	r->sess = s;
	/* now, not in the middle of a run: a slow first read would miss short-lived processes' maps */
	if (r->kernel)
		sym_load_kernel(r->sym);
}

void stack_reader_free(struct ct_stack_reader *r)
{
	sym_free(r->sym);
	stacks_free(&r->st);
	memset(r, 0, sizeof(*r));
}

/*
 * What is known of a process now: the kernel's record while it lives (its
 * exec count now, its parent, its comm), else the aggregation's (an ended
 * process: its exit record came first).  false: nothing.
 */
struct who {
	uint32_t ppid;
	uint64_t start_ns;
	char comm[CT_COMM_LEN];
	bool live;
	bool forked;             /* its fork was seen: before any exec it ran its parent's image */
	uint8_t execs;           /* live only */
};

static bool who_is(struct ct_stack_reader *r, const struct ct_agg *agg, uint32_t pid, uint64_t start_ns,
		   struct who *w)
{
	const struct ct_proc *p;
	struct ct_proc_rec rec;

	memset(w, 0, sizeof(*w));
	if (r->sess && !probes_proc_get(r->sess, pid, start_ns, &rec)) {
		w->ppid = rec.ppid;
		w->start_ns = rec.start_ns;
		memcpy(w->comm, rec.comm, sizeof(w->comm));
		w->comm[CT_COMM_LEN - 1] = 0;
		w->live = true;
		w->forked = rec.birth_ns != 0;
		w->execs = rec.execs;
		return true;
	}
	p = agg_proc_lookup(agg, pid, start_ns);
	if (!p)
		return false;
	w->ppid = p->ppid;
	w->start_ns = p->start_ns;
	w->forked = p->birth_ns != 0 || p->birth_fork >= 0;
	memcpy(w->comm, p->comm, sizeof(w->comm));
	return true;
}

/*
 * Whether two processes run the same program now: 1, 0, or -1 (unknown).
 * A fork's child that is between its exec's new address space and the
 * kernel's exec event already shows another program.
 */
static int same_exe(uint32_t a, uint32_t b)
{
	char pa[64], pb[64], ea[4096], eb[4096];
	ssize_t la, lb;

	snprintf(pa, sizeof(pa), "/proc/%u/exe", a);
	snprintf(pb, sizeof(pb), "/proc/%u/exe", b);
	la = readlink(pa, ea, sizeof(ea));
	lb = readlink(pb, eb, sizeof(eb));
	if (la <= 0 || lb <= 0)
		return -1;
	return la == lb && !memcmp(ea, eb, (size_t)la);
}

/*
 * Read the mappings of pid's image while it lives and is still that image;
 * else, for a forked child's stacks from before any exec (gone, or exec'd
 * since: a fork+exec), its parent's, which the child ran until then.
 */
static void capture(struct ct_stack_reader *r, const struct ct_agg *agg, uint32_t pid, uint64_t start_ns,
		    uint8_t execs, uint32_t ppid)
{
	uint64_t image = sym_image(start_ns, execs);
	const char *how = "mappings read";
	bool known, parent = false;
	struct who w, after, pw;
	char why[160];

	if (sym_known(r->sym, pid, image))
		return;
	known = who_is(r, agg, pid, start_ns, &w);
	if (!known) { /* gone, and not yet in the aggregation: what its first stack's event said */
		for (unsigned i = 0; i < 256 && i < r->nhints && !known; i++) {
			const struct ct_stack_hint *h = &r->hints[(r->nhints - 1 - i) % 256];

			if (h->pid == pid && h->start_ns == start_ns) {
				known = true;
				w.ppid = h->ppid;
				w.forked = h->forked;
				w.start_ns = start_ns;
			}
		}
	}
	if (known && ppid)
		w.ppid = ppid;
	/* execs 0 of a process forked under tracing: its parent's image until it execs */
	parent = known && !execs && w.forked && w.ppid && who_is(r, agg, w.ppid, 0, &pw);
	if (w.live && w.execs != execs) {
		snprintf(why, sizeof(why), "not named: it has exec'd since");
	} else if (sym_capture(r->sym, pid, image, false)) {
		/* still that image once read (an exec may have begun: its new maps show before its event) */
		if ((!who_is(r, agg, pid, start_ns, &after) || !after.live || after.execs == execs) &&
		    (!parent || same_exe(pid, w.ppid)))
			goto out;
		sym_forget(r->sym, pid, image);
		snprintf(why, sizeof(why), "not named: it has exec'd since");
	} else {
		snprintf(why, sizeof(why), "not named: its mappings: %s", sym_error(r->sym));
	}
	how = why;
	if (!parent)
		goto out;
	if (sym_share(r->sym, pid, image, w.ppid) ||
	    (sym_capture(r->sym, w.ppid, sym_image(pw.start_ns, 0), false) && sym_share(r->sym, pid, image, w.ppid))) {
		size_t l = strlen(why);

		snprintf(why + l, sizeof(why) - l, ": named with its parent's mappings");
	}
out:
	if (r->verbose)
		fprintf(stderr, "cowtrace: stacks of pid %u (start %" PRIu64 ", exec %u): %s\n", pid, start_ns,
			execs, how);
}

void stack_reader_event(struct ct_stack_reader *r, const struct ct_agg *agg, const struct ct_event *e)
{
	if (e->type != CT_EV_STACKS)
		return;
	r->hints[r->nhints++ % 256] = (struct ct_stack_hint){ .pid = e->pid, .ppid = e->ppid, .start_ns = e->value,
							       .forked = e->kind & 1 };
	capture(r, agg, e->pid, e->value, (uint8_t)e->aux, e->ppid);
}

struct pass {
	struct ct_stack_reader *r;
	struct ct_session *s;
	const struct ct_agg *agg;
	struct ct_stack_key *gone;   /* keys of exited processes: delete after this read */
	uint32_t ngone, gone_cap;
	uint32_t failed_pid;         /* the last process whose mappings could not be read */
	uint64_t failed_image;
	int32_t *live_ids;           /* trace ids live keys use */
	uint32_t nlive, live_cap;
	int err;
};

/* Whether the key's process has ended (its counts are final). */
static bool key_gone(const struct ct_agg *agg, const struct ct_stack_key *k)
{
	const struct ct_proc *p = agg_proc_lookup(agg, k->pid, k->start_ns), *cur;

	if (p)
		return p->exited;
	cur = agg_find(agg, k->pid);
	if (cur && cur->start_ns > k->start_ns)
		return true; /* its pid is someone else's now */
	/* evicted after its exit, or not known yet: gone only if no such pid lives */
	return kill((pid_t)k->pid, 0) && errno == ESRCH;
}

/* The mappings of a key's process, unless known or already tried in vain in this pass. */
static void capture_once(struct pass *ps, const struct ct_stack_key *k)
{
	uint64_t image = sym_image(k->start_ns, k->execs);

	if (sym_known(ps->r->sym, k->pid, image) || (k->pid == ps->failed_pid && image == ps->failed_image))
		return;
	capture(ps->r, ps->agg, k->pid, k->start_ns, k->execs, 0);
	if (!sym_known(ps->r->sym, k->pid, image)) {
		ps->failed_pid = k->pid;
		ps->failed_image = image;
	}
}

/* Name a stack seen for the first time. */
static int name_stack(struct pass *ps, const struct ct_stack_key *k, const struct ct_stack_id *id, uint64_t pages)
{
	struct ct_stack_reader *r = ps->r;
	uint64_t image = sym_image(k->start_ns, k->execs), u[CT_STACK_DEPTH], kk[CT_STACK_DEPTH];
	const struct ct_proc *p = agg_proc_lookup(ps->agg, k->pid, k->start_ns);
	const char *file = NULL;
	char ino[48], *frames;
	int nu, nk = 0, err;

	/* a key the kernel made after this pass read the mappings (capture_key()) */
	capture_once(ps, k);
	nu = probes_stack_trace(ps->s, k->ustack, u);
	if (r->kernel)
		nk = probes_stack_trace(ps->s, k->kstack, kk);
	frames = sym_frames(r->sym, k->pid, image, nu, u, nk, kk);
	if (!frames)
		return -ENOMEM;
	if (k->file) {
		file = sym_file(r->sym, k->pid, image, k->file);
		if (!file) {
			snprintf(ino, sizeof(ino), "dev %u:%u inode %" PRIu64, (unsigned)(k->file >> 52),
				 (unsigned)(k->file >> 32) & 0xfffff, (uint64_t)k->file & 0xffffffffu);
			file = ino;
		}
	}
	err = stacks_set(&r->st, id, p ? p->comm : "?", frames, file, pages);
	free(frames);
	return err;
}

static int on_key(void *ctx, const struct ct_stack_key *k, uint64_t pages)
{
	struct pass *ps = ctx;
	struct ct_stack_id id = {
		.pid = k->pid, .start_ns = k->start_ns, .ustack = k->ustack, .kstack = k->kstack,
		.kind = k->kind, .map = k->map, .execs = k->execs, .ino = k->file,
	};
	int err = 0;

	if (stacks_known(&ps->r->st, &id)) {
		const struct ct_proc *p = agg_proc_lookup(ps->agg, k->pid, k->start_ns);

		stacks_set(&ps->r->st, &id, p ? p->comm : NULL, NULL, NULL, pages);
	}
	else
		err = name_stack(ps, k, &id, pages);
	if (err == -ENOMEM)
		ps->err = err;
	if (key_gone(ps->agg, k))
		return push((void **)&ps->gone, &ps->ngone, &ps->gone_cap, k, sizeof(*k));
	if (k->ustack >= 0)
		push((void **)&ps->live_ids, &ps->nlive, &ps->live_cap, &k->ustack, sizeof(int32_t));
	if (k->kstack >= 0)
		push((void **)&ps->live_ids, &ps->nlive, &ps->live_cap, &k->kstack, sizeof(int32_t));
	return 0;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

static bool used(const struct pass *ps, int32_t id)
{
	return id < 0 || (ps->nlive && bsearch(&id, ps->live_ids, ps->nlive, sizeof(int32_t), cmp_i32));
}

/* First the mappings of every process with stacks, while they live; naming takes longer. */
static int capture_key(void *ctx, const struct ct_stack_key *k, uint64_t pages)
{
	(void)pages;
	capture_once(ctx, k);
	return 0;
}

int stack_reader_read(struct ct_stack_reader *r, struct ct_session *s, const struct ct_agg *agg, bool verbose)
{
	struct pass ps = { .r = r, .s = s, .agg = agg };
	int err = probes_read_stacks(s, capture_key, &ps);

	if (!err)
		err = probes_read_stacks(s, on_key, &ps);

	if (!err)
		err = ps.err;
	/* the ended processes' entries have been read a last time: free their room in the kernel */
	if (ps.nlive)
		qsort(ps.live_ids, ps.nlive, sizeof(int32_t), cmp_i32);
	for (uint32_t i = 0; i < ps.ngone; i++) {
		const struct ct_stack_key *k = &ps.gone[i];

		probes_forget_stack(s, k);
		if (!used(&ps, k->ustack))
			probes_forget_trace(s, k->ustack);
		if (!used(&ps, k->kstack))
			probes_forget_trace(s, k->kstack);
		sym_forget(r->sym, k->pid, sym_image(k->start_ns, k->execs));
	}
	r->deleted += ps.ngone;
	if (!err) {
		char **hints;
		int nh = sym_hints(r->sym, &hints);

		stacks_set_hints(&r->st, hints, nh);
	}
	if (verbose)
		fprintf(stderr, "cowtrace: %u stacks in the table, %u of ended processes deleted from the kernel\n",
			r->st.n, ps.ngone);
	free(ps.gone);
	free(ps.live_ids);
	return err;
}
