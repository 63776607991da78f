// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cowtrace predict -p PID: the measuring (predict.h).
 *
 * The stall: a helper process (SCHED_BATCH, so that its children do not
 * preempt it) maps 32 and then 128 MiB of 4 KiB pages (MADV_NOHUGEPAGE),
 * populates them, and times five forks of each by its own CPU time (the
 * children exit at once; what other tasks ran meanwhile is not counted); the line through the two medians against the
 * helper's VmPTE is the basis, PID's VmPTE now its argument.
 *
 * The copies: soft-dirty (CONFIG_MEM_SOFT_DIRTY).  "4" into
 * /proc/PID/clear_refs write-protects PID's ptes and clears their
 * soft-dirty bit; the pages of its private writable mappings present then
 * are the ones a fork now would share; at each window's end, those with
 * the bit set again (pagemap bit 55) are the distinct pages it wrote: a
 * child alive that long would have made it copy each once.  Each such page
 * took one write fault to set the bit: the measurement's own cost,
 * reported (a tracer running meanwhile counts them as reuses).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "live.h"
#include "predict.h"
#include "record.h"
#include "util.h"

#define PM_SOFT_DIRTY (1ULL << 55)
#define PM_PRESENT (1ULL << 63)
#define CAL_FORKS 5

static const unsigned cal_mib[PR_CAL_SIZES] = { 32, 128 };

/* "Key:   N kB" of /proc/PID/status, in bytes; -1 if absent. */
static long long status_kb(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? strtoll(p + strlen(key), NULL, 10) * 1024 : -1;
}

static double mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/*
 * The helper's own CPU time: a fork's work is done in the parent's
 * context, and its CPU clock leaves out the time other tasks held the CPU
 * (a loaded machine, one CPU).
 */
static double cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The helper: for each size, its VmPTE and the median of its forks, into fd; exits. */
static void __attribute__((noreturn)) calibrate_child(int fd)
{
	struct pr_cal_point pts[PR_CAL_SIZES];
	struct sched_param sp = { 0 };

	/*
	 * A new child of a SCHED_BATCH task does not preempt it: on a busy or
	 * one-CPU machine the clock would otherwise hold the child's run too.
	 */
	sched_setscheduler(0, SCHED_BATCH, &sp);
	for (int i = 0; i < PR_CAL_SIZES; i++) {
		size_t len = (size_t)cal_mib[i] << 20;
		long ps = sysconf(_SC_PAGESIZE);
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint64_t t[CAL_FORKS];
		char *st;

		if (m == MAP_FAILED)
			_exit(1);
		madvise(m, len, MADV_NOHUGEPAGE);
		for (size_t o = 0; o < len; o += ps)
			m[o] = 1;
		st = read_text_file("/proc/self/status");
		pts[i].mib = cal_mib[i];
		pts[i].vmpte_bytes = st && status_kb(st, "VmPTE:") > 0 ? (uint64_t)status_kb(st, "VmPTE:") : 0;
		free(st);
		for (int k = 0; k < CAL_FORKS; k++) {
			double a = cpu_ns();
			long pid = syscall(SYS_fork);
			double b = cpu_ns();

			if (pid == 0)
				_exit(0);
			if (pid < 0)
				_exit(1);
			waitpid((pid_t)pid, NULL, 0);
			t[k] = (uint64_t)(b - a);
		}
		qsort(t, CAL_FORKS, sizeof(t[0]), cmp_u64);
		pts[i].fork_ns = t[CAL_FORKS / 2];
		munmap(m, len);
	}
	_exit(write(fd, pts, sizeof(pts)) == (ssize_t)sizeof(pts) ? 0 : 1);
}

static void calibrate(struct pr_result *r)
{
	int p[2], st;
	pid_t h;
	ssize_t n;

	if (pipe(p)) {
		snprintf(r->stall_why, sizeof(r->stall_why), "calibration: pipe: %s", strerror(errno));
		return;
	}
	h = fork();
	if (h == 0) {
		close(p[0]);
		calibrate_child(p[1]);
	}
	close(p[1]);
	if (h < 0) {
		snprintf(r->stall_why, sizeof(r->stall_why), "calibration: fork: %s", strerror(errno));
		close(p[0]);
		return;
	}
	n = read(p[0], r->cal, sizeof(r->cal));
	close(p[0]);
	waitpid(h, &st, 0);
	if (n != (ssize_t)sizeof(r->cal) || !WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(r->stall_why, sizeof(r->stall_why),
			 "calibration: the helper could not map and fork %u MiB", cal_mib[PR_CAL_SIZES - 1]);
		return;
	}
	pr_fit(r);
}

/*
 * --basis FILE: the forks of a record (cowtrace --record), timed
 * (CT_REC_FORK with its duration) and with page tables; a fork's parent's
 * comm from its fork event.  Exits 2 naming the file if it is no record.
 */
struct seen_ev {
	uint32_t child;
	uint64_t ts_ns;
	char comm[CT_COMM_LEN];
};

static void basis_from_record(struct pr_result *r, const char *path)
{
	struct ct_rec_reader rd;
	struct ct_rec_info info;
	struct ct_rec *rec = malloc(sizeof(*rec));
	struct seen_ev *ev = NULL;
	struct pr_seen_fork *fk = NULL;
	uint32_t nev = 0, cev = 0, nfk = 0, cfk = 0;
	char err[512];
	struct stat sb;
	void *map = MAP_FAILED;
	int fd = open(path, O_RDONLY | O_CLOEXEC), n;

	if (fd < 0 || fstat(fd, &sb)) {
		fprintf(stderr, "cowtrace: predict: --basis '%s': %s\n", path, strerror(errno));
		exit(2);
	}
	if (!S_ISREG(sb.st_mode) || !sb.st_size) {
		fprintf(stderr, "cowtrace: predict: --basis '%s': %s\n", path,
			sb.st_size ? "not a regular file" : "empty file, not a cowtrace record");
		exit(2);
	}
	if ((map = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		fprintf(stderr, "cowtrace: predict: --basis '%s': %s\n", path, strerror(errno));
		exit(2);
	}
	close(fd);
	if (!rec || rec_open(&rd, map, sb.st_size, &info, err, sizeof(err))) {
		fprintf(stderr, "cowtrace: predict: --basis '%s': %s\n", path, rec ? err : "out of memory");
		exit(2);
	}
	r->basis_file = path;
	while ((n = rec_next(&rd, rec, err, sizeof(err))) > 0) {
		if (rec->type == CT_REC_EVENT && rec->ev.type == CT_EV_FORK) {
			struct seen_ev e = { .child = rec->ev.aux, .ts_ns = rec->ev.ts_ns };

			memcpy(e.comm, rec->ev.comm, CT_COMM_LEN);
			e.comm[CT_COMM_LEN - 1] = 0;
			if (push((void **)&ev, &nev, &cev, &e, sizeof(e)))
				break;
		} else if (rec->type == CT_REC_FORK && (rec->fork.known & CT_FK_DURATION) &&
			   (rec->fork.known & CT_FK_MM) && rec->fork.exit_ns >= rec->fork.enter_ns) {
			struct pr_seen_fork f = { .duration_ns = rec->fork.exit_ns - rec->fork.enter_ns,
						  .pgtables_bytes = rec->fork.pgtables_bytes };

			for (uint32_t i = nev; i-- > 0;)
				if (ev[i].child == rec->fork.child && ev[i].ts_ns == rec->fork.fork_ns) {
					f.same_comm = !strcmp(ev[i].comm, r->comm);
					break;
				}
			if (push((void **)&fk, &nfk, &cfk, &f, sizeof(f)))
				break;
		}
	}
	if (n < 0)
		fprintf(stderr, "cowtrace: predict: --basis '%s': %s (the forks before it are used)\n", path, err);
	pr_basis(r, fk, nfk);
	free(ev);
	free(fk);
	free(rec);
	munmap(map, sb.st_size);
}

/* Whether this kernel keeps soft-dirty bits: clear one of our own pages, write it, look. */
static bool soft_dirty_works(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	volatile char *m = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int cr = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC), pm = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0, f = 0;
	bool ok = false;

	if (m != MAP_FAILED && cr >= 0 && pm >= 0) {
		m[0] = 1;
		if (write(cr, "4", 1) == 1 &&
		    pread(pm, &e, 8, (off_t)((uintptr_t)m / ps) * 8) == 8 && !(e & PM_SOFT_DIRTY)) {
			m[0] = 2;
			ok = pread(pm, &f, 8, (off_t)((uintptr_t)m / ps) * 8) == 8 && (f & PM_SOFT_DIRTY);
		}
	}
	if (m != MAP_FAILED)
		munmap((void *)m, ps);
	if (cr >= 0)
		close(cr);
	if (pm >= 0)
		close(pm);
	return ok;
}

/* PID's private writable mappings at the start, a bit per page: present then. */
struct region {
	uint64_t start, pages;
	uint64_t *present;
};

struct tracker {
	int pm;
	long ps;
	struct region *r;
	uint32_t n, cap;
};

static int each_entry(struct tracker *t, const struct region *g, int (*fn)(void *, uint64_t, uint64_t), void *ctx)
{
	uint64_t buf[4096];

	for (uint64_t i = 0; i < g->pages;) {
		size_t want = g->pages - i < 4096 ? (size_t)(g->pages - i) : 4096;
		ssize_t n = pread(t->pm, buf, want * 8, (off_t)((g->start / t->ps + i) * 8));

		if (n <= 0)
			return n < 0 ? -errno : 0;
		for (size_t k = 0; k < (size_t)n / 8; k++)
			if (fn(ctx, i + k, buf[k]))
				return 1;
		i += (size_t)n / 8;
	}
	return 0;
}

static int mark_present(void *ctx, uint64_t i, uint64_t e)
{
	struct region *g = ctx;

	if (e & PM_PRESENT)
		g->present[i / 64] |= 1ULL << (i % 64);
	return 0;
}

/* Whether the page at addr was present at the start (in a region's bitmap). */
static bool present_at_start(const struct tracker *t, uint64_t addr)
{
	uint32_t lo = 0, hi = t->n;

	while (lo < hi) { /* the regions are in address order, as the maps list them */
		uint32_t mid = (lo + hi) / 2;
		const struct region *g = &t->r[mid];

		if (addr < g->start) {
			hi = mid;
		} else if (addr >= g->start + g->pages * t->ps) {
			lo = mid + 1;
		} else {
			uint64_t i = (addr - g->start) / t->ps;

			return g->present[i / 64] & (1ULL << (i % 64));
		}
	}
	return false;
}

struct count_ctx {
	const struct tracker *t;
	uint64_t start;          /* the VMA being read */
	uint64_t written, added; /* written since the start: present then, or new since */
};

static int count_written(void *ctx, uint64_t i, uint64_t e)
{
	struct count_ctx *c = ctx;

	if ((e & (PM_PRESENT | PM_SOFT_DIRTY)) != (PM_PRESENT | PM_SOFT_DIRTY))
		return 0;
	if (present_at_start(c->t, c->start + i * c->t->ps))
		c->written++;
	else
		c->added++;
	return 0;
}

/* A maps line of a private writable mapping (what a fork shares copy-on-write): its range into g. */
static bool private_writable(const char *line, long ps, struct region *g)
{
	unsigned long long a, b;
	char perm[8] = "";

	if (sscanf(line, "%llx-%llx %7s", &a, &b, perm) != 3 || perm[1] != 'w' || perm[3] != 'p' ||
	    strstr(line, "[vsyscall]"))
		return false;
	*g = (struct region){ .start = a, .pages = (b - a) / ps };
	return true;
}

/* Read the maps and the present bits (after clear_refs).  The pages tracked, or -1 with why. */
static long long track_start(struct tracker *t, uint32_t pid, char *why, size_t n)
{
	char path[64], *maps, *line, *save = NULL;
	long long total = 0;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	maps = read_text_file(path);
	if (!maps) {
		snprintf(why, n, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (line = strtok_r(maps, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct region g;

		if (!private_writable(line, t->ps, &g))
			continue;
		g.present = calloc((g.pages + 63) / 64, 8);
		if (!g.present || push((void **)&t->r, &t->n, &t->cap, &g, sizeof(g))) {
			free(g.present);
			snprintf(why, n, "out of memory");
			free(maps);
			return -1;
		}
		each_entry(t, &t->r[t->n - 1], mark_present, &t->r[t->n - 1]);
	}
	free(maps);
	for (uint32_t i = 0; i < t->n; i++)
		for (uint64_t w = 0; w < (t->r[i].pages + 63) / 64; w++)
			total += __builtin_popcountll(t->r[i].present[w]);
	return total;
}

/*
 * At a window's end: the pages present at the start and written since,
 * and those new since the start (in any private writable mapping of now).
 */
static void track_count(struct tracker *t, uint32_t pid, struct pr_window *w)
{
	char path[64], *maps, *line, *save = NULL;
	struct count_ctx c = { .t = t };

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	maps = read_text_file(path);
	for (line = maps ? strtok_r(maps, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		struct region g;

		if (!private_writable(line, t->ps, &g))
			continue;
		c.start = g.start;
		each_entry(t, &g, count_written, &c);
	}
	free(maps);
	w->pages = c.written;
	w->new_pages = c.added;
}

int run_predict(struct ct_cli *cli, int pidfd)
{
	struct pr_result r;
	struct tracker t = { .pm = -1, .ps = sysconf(_SC_PAGESIZE) };
	double marks[PR_MAX_WINDOWS], t0;
	unsigned nmarks;
	char path[64], *st;
	struct utsname u;
	int cr;

	memset(&r, 0, sizeof(r));
	r.pid = cli->o.pid;
	r.page_size = (uint32_t)t.ps;
	if (!uname(&u))
		snprintf(r.kernel, sizeof(r.kernel), "%s", u.release);
	snprintf(path, sizeof(path), "/proc/%u/comm", r.pid);
	if ((st = read_text_file(path))) {
		st[strcspn(st, "\n")] = 0;
		snprintf(r.comm, sizeof(r.comm), "%s", st);
		free(st);
	}
	snprintf(path, sizeof(path), "/proc/%u/status", r.pid);
	st = read_text_file(path);
	if (!st || status_kb(st, "VmPTE:") < 0) {
		fprintf(stderr, "cowtrace: predict: %s: %s\n", path, st ? "no VmPTE (a kernel thread?)" : strerror(errno));
		free(st);
		return 1;
	}
	r.vmpte_bytes = (uint64_t)status_kb(st, "VmPTE:");
	r.rss_bytes = status_kb(st, "VmRSS:") > 0 ? (uint64_t)status_kb(st, "VmRSS:") : 0;
	r.anon_bytes = status_kb(st, "RssAnon:") > 0 ? (uint64_t)status_kb(st, "RssAnon:") : 0;
	free(st);
	snprintf(path, sizeof(path), "/proc/%u/maps", r.pid);
	if ((st = read_text_file(path))) {
		for (char *p = st; (p = strchr(p, '\n')); p++)
			r.vmas++;
		if (strstr(st, "[vsyscall]"))
			r.vmas--; /* the gate area is not one of the mm's */
		free(st);
	}

	if (cli->basis)
		basis_from_record(&r, cli->basis);
	else
		calibrate(&r);

	nmarks = pr_windows(cli->window, marks, PR_MAX_WINDOWS);
	snprintf(path, sizeof(path), "/proc/%u/clear_refs", r.pid);
	if (!soft_dirty_works()) {
		snprintf(r.copies_why, sizeof(r.copies_why),
			 "this kernel keeps no soft-dirty bits (CONFIG_MEM_SOFT_DIRTY is off)");
	} else if ((cr = open(path, O_WRONLY | O_CLOEXEC)) < 0 || write(cr, "4", 1) != 1) {
		snprintf(r.copies_why, sizeof(r.copies_why), "%s: %s", path, strerror(errno));
		if (cr >= 0)
			close(cr);
	} else {
		long long tracked;

		close(cr);
		t0 = mono_ns();
		snprintf(path, sizeof(path), "/proc/%u/pagemap", r.pid);
		t.pm = open(path, O_RDONLY | O_CLOEXEC);
		tracked = t.pm < 0 ? -1 : track_start(&t, r.pid, r.copies_why, sizeof(r.copies_why));
		if (t.pm < 0)
			snprintf(r.copies_why, sizeof(r.copies_why), "%s: %s", path, strerror(errno));
		if (tracked >= 0) {
			r.copies_known = true;
			r.tracked_pages = (uint64_t)tracked;
			if (!cli->quiet)
				fprintf(stderr, "cowtrace: predict: watching pid %u's writes for %.1f s (%llu pages)\n",
					r.pid, cli->window, (unsigned long long)tracked);
			for (unsigned i = 0; i < nmarks; i++) {
				double until = t0 + marks[i] * 1e9;

				while (mono_ns() < until && !live_signalled() && !cli_target_gone(r.pid, pidfd)) {
					double left = (until - mono_ns()) / 1e9;
					struct timespec ts = { 0, 100 * 1000 * 1000 };

					if (left < 0.1)
						ts.tv_nsec = left > 0 ? (long)(left * 1e9) : 0;
					nanosleep(&ts, NULL);
				}
				if (cli_target_gone(r.pid, pidfd)) {
					fprintf(stderr, "cowtrace: predict: pid %u exited after %.1f s\n", r.pid,
						(mono_ns() - t0) / 1e9);
					break;
				}
				r.w[r.nwindows].seconds = live_signalled() ? (mono_ns() - t0) / 1e9 : marks[i];
				track_count(&t, r.pid, &r.w[r.nwindows]);
				r.nwindows++;
				if (live_signalled())
					break;
			}
		}
	}
	for (uint32_t i = 0; i < t.n; i++)
		free(t.r[i].present);
	free(t.r);
	if (t.pm >= 0)
		close(t.pm);
	if (cli->fmt == OUT_JSON)
		pr_json(stdout, &r);
	else
		pr_text(stdout, &r);
	return fflush(stdout) || ferror(stdout) ? 1 : 0;
}
