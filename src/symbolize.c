// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Frame names for copies' stacks: libdwfl for user addresses, kallsyms for the kernel's. */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cowtrace.h"
#include "symbolize.h"

struct file_map {
	uint64_t ino;
	char *path;
};

/* What was read of one address space: its Dwfl (modules from /proc/PID/maps), its file mappings. */
struct space {
	Dwfl *dwfl;
	struct file_map *files;
	unsigned nfiles;
	unsigned refs;           /* processes naming their frames with it (a forked child: its parent's) */
	uint32_t pid;            /* whose maps were read */
};

struct proc_syms {
	uint32_t pid;
	uint64_t image;
	struct space *sp;
};

struct ksym {
	uint64_t addr;
	char *name;
};

struct ct_symbolizer {
	struct proc_syms *procs;
	unsigned nprocs, cap;
	struct ksym *ksyms;      /* sorted by address, loaded at the first kernel frame */
	size_t nksyms;
	bool ksyms_loaded;
	char err[128];           /* why the last sym_capture() failed */
};

static char *debuginfo_path;

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct ct_symbolizer *sym_new(void)
{
	return calloc(1, sizeof(struct ct_symbolizer));
}

static void proc_free(struct proc_syms *p)
{
	struct space *sp = p->sp;

	if (sp && !--sp->refs) {
		if (sp->dwfl)
			dwfl_end(sp->dwfl);
		for (unsigned i = 0; i < sp->nfiles; i++)
			free(sp->files[i].path);
		free(sp->files);
		free(sp);
	}
	memset(p, 0, sizeof(*p));
}

void sym_free(struct ct_symbolizer *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nprocs; i++)
		proc_free(&s->procs[i]);
	free(s->procs);
	for (size_t i = 0; i < s->nksyms; i++)
		free(s->ksyms[i].name);
	free(s->ksyms);
	free(s);
}

static struct proc_syms *find(struct ct_symbolizer *s, uint32_t pid, uint64_t image)
{
	for (unsigned i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid && s->procs[i].image == image)
			return &s->procs[i];
	return NULL;
}

/* Load every module's symbol table now: naming works after the process is gone. */
static int load_module(Dwfl_Module *m, void **userdata, const char *name, Dwarf_Addr base, void *arg)
{
	(void)userdata;
	(void)name;
	(void)base;
	(void)arg;
	dwfl_module_getsymtab(m);
	return DWARF_CB_OK;
}

/* The file mappings (inode -> path) of /proc/PID/maps. */
static void read_files(struct space *p, uint32_t pid)
{
	char path[64], line[4608];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long ino;
		unsigned maj, min;
		int off = 0;
		char *file;
		bool known = false;

		if (sscanf(line, "%*x-%*x %*s %*x %x:%x %llu %n", &maj, &min, &ino, &off) < 3 || !ino || !off)
			continue;
		ino = ct_file_key(ino, (maj << 20) | (min & 0xfffff)); /* as the BPF programs name it */
		file = line + off;
		file[strcspn(file, "\n")] = 0;
		for (unsigned i = 0; i < p->nfiles && !known; i++)
			known = p->files[i].ino == ino;
		if (known || !*file)
			continue;
		struct file_map *n = realloc(p->files, (p->nfiles + 1) * sizeof(*n));

		if (!n)
			break;
		p->files = n;
		p->files[p->nfiles].ino = ino;
		p->files[p->nfiles].path = strdup(file);
		if (p->files[p->nfiles].path)
			p->nfiles++;
	}
	fclose(f);
}

/* The entry for pid (an old one replaced), or NULL without memory. */
static struct proc_syms *entry_for(struct ct_symbolizer *s, uint32_t pid, uint64_t image)
{
	struct proc_syms *p = find(s, pid, image);

	if (p) {
		proc_free(p);
	} else {
		if (s->nprocs == s->cap) {
			unsigned cap = s->cap ? s->cap * 2 : 64;
			struct proc_syms *n = realloc(s->procs, cap * sizeof(*n));

			if (!n)
				return NULL;
			s->procs = n;
			s->cap = cap;
		}
		p = &s->procs[s->nprocs++];
		memset(p, 0, sizeof(*p));
	}
	p->pid = pid;
	p->image = image;
	return p;
}

bool sym_capture(struct ct_symbolizer *s, uint32_t pid, uint64_t image, bool refresh)
{
	struct proc_syms *p = find(s, pid, image);
	struct space *sp;
	Dwfl *d;
	int err;

	if (p && !refresh)
		return true;
	d = dwfl_begin(&proc_callbacks);
	if (!d) {
		snprintf(s->err, sizeof(s->err), "%s", dwfl_errmsg(-1));
		return false;
	}
	err = dwfl_linux_proc_report(d, (pid_t)pid);
	if (!err && dwfl_report_end(d, NULL, NULL))
		err = -1;
	if (err) { /* gone, mostly */
		snprintf(s->err, sizeof(s->err), "%s", err > 0 ? strerror(err) : dwfl_errmsg(-1));
		dwfl_end(d);
		return false;
	}
	dwfl_getmodules(d, load_module, NULL, 0);
	sp = calloc(1, sizeof(*sp));
	if (!sp || !(p = entry_for(s, pid, image))) {
		free(sp);
		dwfl_end(d);
		return false;
	}
	sp->dwfl = d;
	sp->refs = 1;
	sp->pid = pid;
	read_files(sp, pid);
	p->sp = sp;
	return true;
}

const char *sym_error(const struct ct_symbolizer *s)
{
	return s->err;
}

bool sym_share(struct ct_symbolizer *s, uint32_t pid, uint64_t image, uint32_t from_pid)
{
	struct proc_syms *from = NULL, *p;
	struct space *sp;

	for (unsigned i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == from_pid && s->procs[i].sp)
			from = &s->procs[i];
	if (!from || (from->pid == pid && from->image == image))
		return false;
	sp = from->sp;
	sp->refs++; /* before entry_for(): it may move the entries */
	p = entry_for(s, pid, image);
	if (!p) {
		sp->refs--;
		return false;
	}
	p->sp = sp;
	return true;
}

bool sym_known(struct ct_symbolizer *s, uint32_t pid, uint64_t image)
{
	return find(s, pid, image) != NULL;
}

void sym_forget(struct ct_symbolizer *s, uint32_t pid, uint64_t image)
{
	struct proc_syms *p = find(s, pid, image);

	if (!p)
		return;
	proc_free(p);
	*p = s->procs[--s->nprocs];
}

static const char *base_name(const char *path)
{
	const char *b = path ? strrchr(path, '/') : NULL;

	return b ? b + 1 : path ? path : "?";
}

static void user_name(const struct proc_syms *p, uint64_t ip, char *buf, size_t n)
{
	Dwfl_Module *m = p && p->sp && p->sp->dwfl ? dwfl_addrmodule(p->sp->dwfl, ip) : NULL;
	const char *name, *mod;
	Dwarf_Addr start = 0;
	GElf_Off off;
	GElf_Sym sym;

	if (!m) {
		snprintf(buf, n, "[unknown]+0x%" PRIx64, ip);
		return;
	}
	name = dwfl_module_addrinfo(m, ip, &off, &sym, NULL, NULL, NULL);
	if (name && *name) {
		snprintf(buf, n, "%s", name);
		return;
	}
	mod = dwfl_module_info(m, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	snprintf(buf, n, "%s+0x%" PRIx64, base_name(mod), ip - start);
}

static const char *file_path(const struct space *sp, uint64_t ino)
{
	for (unsigned i = 0; sp && i < sp->nfiles; i++)
		if (sp->files[i].ino == ino)
			return sp->files[i].path;
	return NULL;
}

const char *sym_file(struct ct_symbolizer *s, uint32_t pid, uint64_t image, uint64_t ino)
{
	struct proc_syms *p = find(s, pid, image);
	const char *path;

	if (!p || !p->sp)
		return NULL;
	path = file_path(p->sp, ino);
	/* mapped after its maps were read: read them again while their process lives */
	if (!path && !kill((pid_t)p->sp->pid, 0)) {
		read_files(p->sp, p->sp->pid);
		path = file_path(p->sp, ino);
	}
	return path;
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load_ksyms(struct ct_symbolizer *s)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], name[256], type;
	unsigned long long addr;
	size_t cap = 0;

	s->ksyms_loaded = true;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || !addr ||
		    (type != 't' && type != 'T'))
			continue;
		if (s->nksyms == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			struct ksym *k = realloc(s->ksyms, nc * sizeof(*k));

			if (!k)
				break;
			s->ksyms = k;
			cap = nc;
		}
		s->ksyms[s->nksyms].addr = addr;
		s->ksyms[s->nksyms].name = strdup(name);
		if (s->ksyms[s->nksyms].name)
			s->nksyms++;
	}
	fclose(f);
	qsort(s->ksyms, s->nksyms, sizeof(*s->ksyms), cmp_ksym);
}

void sym_load_kernel(struct ct_symbolizer *s)
{
	if (!s->ksyms_loaded)
		load_ksyms(s);
}

void sym_kernel(struct ct_symbolizer *s, uint64_t ip, char *buf, size_t n)
{
	size_t lo = 0, hi;

	if (!s->ksyms_loaded)
		load_ksyms(s);
	hi = s->nksyms;
	while (lo < hi) { /* the last symbol at or below ip */
		size_t mid = (lo + hi) / 2;

		if (s->ksyms[mid].addr <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo)
		snprintf(buf, n, "%s", s->ksyms[lo - 1].name);
	else
		snprintf(buf, n, "[kernel]+0x%" PRIx64, ip);
}

struct buf {
	char *s;
	size_t n, cap;
	bool oom;
};

/* Append a frame: ';' between frames, none inside one (nor newlines). */
static void put_frame(struct buf *b, const char *name, const char *suffix)
{
	size_t l = strlen(name), sl = strlen(suffix), need = b->n + l + sl + 2;

	if (b->oom)
		return;
	if (need > b->cap) {
		size_t cap = need * 2;
		char *n = realloc(b->s, cap);

		if (!n) {
			b->oom = true;
			return;
		}
		b->s = n;
		b->cap = cap;
	}
	if (b->n)
		b->s[b->n++] = ';';
	for (size_t i = 0; i < l; i++) {
		char c = name[i];

		b->s[b->n++] = c == ';' || (unsigned char)c < 0x20 || c == 0x7f ? '_' : c;
	}
	memcpy(b->s + b->n, suffix, sl);
	b->n += sl;
	b->s[b->n] = 0;
}

/* Why a stack has no frames (n: the stack id or lookup's error). */
static const char *no_stack(int n)
{
	switch (n) {
	case -1: return "[stack not taken: fault settled late]";
	case -EEXIST: return "[stack lost: stack map bucket taken]";
	case -EFAULT: return "[no stack]";
	case -ENOENT: return "[stack lost: trace gone]";
	default: return "[stack lost]";
	}
}

/*
 * The tracing machinery's own frames (BPF programs, trampolines, the
 * tracepoint and kprobe glue) at the inner end of a kernel stack: not the
 * workload's, dropped.
 */
static bool tracing_frame(const char *name)
{
	static const char *const prefixes[] = {
		"bpf_prog_", "bpf_trace_run", "__bpf_trace_", "__traceiter_", "bpf_trampoline_", "__bpf_prog_enter",
		"__bpf_prog_exit", "trace_call_bpf", "kprobe_perf_func", "kretprobe_perf_func", "kprobe_dispatcher",
		"kretprobe_dispatcher", "kprobe_ftrace_handler", "pre_handler_kretprobe", "__kretprobe_trampoline",
		"kretprobe_trampoline", "kretprobe_rethook_handler", "rethook_", "arch_rethook_", "fprobe_",
		"perf_trace_run_bpf_submit", "bpf_get_stackid", "bpf_get_stack", "[kernel]+",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

char *sym_frames(struct ct_symbolizer *s, uint32_t pid, uint64_t image, int nu, const uint64_t *u, int nk,
		 const uint64_t *k)
{
	const struct proc_syms *p = find(s, pid, image);
	struct buf b = { 0 };
	char name[512];
	bool had_kernel;

	if (nu <= 0)
		put_frame(&b, nu < 0 ? no_stack(nu) : "[no stack]", "");
	/*
	 * A frame-pointer walk through code built without frame pointers
	 * follows garbage: once a return address cannot be code (below the
	 * lowest mappable address, or with its top byte set: not a user
	 * address on x86-64 or arm64), it and every frame past it are cut.
	 */
	for (int i = 1; i < nu; i++)
		if (u[i] < 65536 || u[i] >> 56) {
			nu = i;
			break;
		}
	for (int i = nu - 1; i >= 0; i--) {
		/* a caller's frame is a return address: the call is the byte before */
		user_name(p, i ? u[i] - 1 : u[i], name, sizeof(name));
		put_frame(&b, name, "");
	}
	if (nk < 0)
		put_frame(&b, no_stack(nk), "_[k]");
	had_kernel = nk > 0;
	/*
	 * The innermost frames are the tracer's own: up to the outermost of
	 * them near the top (a program's own frame may have no name: cut too).
	 */
	for (int i = 0, last = -1; i < nk && i < 8; i++) {
		sym_kernel(s, k[i], name, sizeof(name));
		if (tracing_frame(name))
			last = i;
		if (i == nk - 1 || i == 7) {
			k += last + 1;
			nk -= last + 1;
			break;
		}
	}
	/* a kretprobe where the kernel cannot unwind past its trampoline */
	if (had_kernel && !nk)
		put_frame(&b, "[kernel stack ends in the tracer]", "_[k]");
	for (int i = nk - 1; i >= 0; i--) {
		sym_kernel(s, k[i], name, sizeof(name));
		put_frame(&b, name, "_[k]");
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
