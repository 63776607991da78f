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

/* An executable mapping of /proc/PID/maps: what a return address must be in. */
struct code_map {
	uint64_t start, end, off;
	char *path;              /* the file, "[vdso]", or NULL (anonymous: JIT code) */
};

/* What was read of one address space: its Dwfl (modules from /proc/PID/maps), its mappings. */
struct space {
	Dwfl *dwfl;
	struct file_map *files;
	unsigned nfiles;
	struct code_map *code;   /* sorted by start */
	unsigned ncode;
	bool code_known;         /* its maps were read: an address in no code mapping is not code */
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

/* How many user frames of one file got a name: where most did not, say how to get them. */
struct module_use {
	char *path;
	char *debug;             /* where its debuginfo would be found: /usr/lib/debug/.build-id/xx/yyyy.debug */
	char pkg[256];           /* its Debian package ("" none), asked once: hints are made at every read */
	bool pkg_known;
	uint64_t named, unnamed;
};

struct ct_symbolizer {
	struct proc_syms *procs;
	struct module_use *mods;
	unsigned nmods;
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
		for (unsigned i = 0; i < sp->ncode; i++)
			free(sp->code[i].path);
		free(sp->code);
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
	for (unsigned i = 0; i < s->nmods; i++) {
		free(s->mods[i].path);
		free(s->mods[i].debug);
	}
	free(s->mods);
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

static void add_file(struct space *p, uint64_t ino, const char *file)
{
	struct file_map *n;

	for (unsigned i = 0; i < p->nfiles; i++)
		if (p->files[i].ino == ino)
			return;
	n = realloc(p->files, (p->nfiles + 1) * sizeof(*n));
	if (!n)
		return;
	p->files = n;
	p->files[p->nfiles].ino = ino;
	p->files[p->nfiles].path = strdup(file);
	if (p->files[p->nfiles].path)
		p->nfiles++;
}

static int cmp_code(const void *a, const void *b)
{
	const struct code_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The mappings of /proc/PID/maps: files (inode -> path, kept from earlier
 * reads: a file unmapped since still names the copies made in it) and the
 * executable mappings as they are now.
 */
static void read_files(struct space *p, uint32_t pid)
{
	char path[64], line[4608], perms[8];
	struct code_map *code = NULL;
	unsigned ncode = 0, cap = 0;
	bool ok = true;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		unsigned maj, min;
		int at = 0;
		char *file;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off, &maj, &min, &ino,
			   &at) < 7 || !at)
			continue;
		file = line + at;
		file[strcspn(file, "\n")] = 0;
		if (ino && *file)
			add_file(p, ct_file_key(ino, (maj << 20) | (min & 0xfffff)), file); /* as BPF names it */
		if (!strchr(perms, 'x'))
			continue;
		if (ncode == cap) {
			unsigned nc = cap ? cap * 2 : 32;
			struct code_map *n = realloc(code, nc * sizeof(*n));

			if (!n) {
				ok = false;
				break;
			}
			code = n;
			cap = nc;
		}
		code[ncode] = (struct code_map){ start, end, off, *file ? strdup(file) : NULL };
		ncode++;
	}
	fclose(f);
	if (!ok) { /* keep what was known */
		for (unsigned i = 0; i < ncode; i++)
			free(code[i].path);
		free(code);
		return;
	}
	for (unsigned i = 0; i < p->ncode; i++)
		free(p->code[i].path);
	free(p->code);
	if (ncode)
		qsort(code, ncode, sizeof(*code), cmp_code);
	p->code = code;
	p->ncode = ncode;
	p->code_known = ncode > 0;
}

/* The executable mapping holding ip, or NULL. */
static const struct code_map *code_at(const struct space *sp, uint64_t ip)
{
	unsigned lo = 0, hi = sp ? sp->ncode : 0;

	while (lo < hi) { /* the last mapping starting at or below ip */
		unsigned mid = (lo + hi) / 2;

		if (sp->code[mid].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && ip < sp->code[lo - 1].end ? &sp->code[lo - 1] : NULL;
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

/* The tally of one file's frames (NULL without memory). */
static struct module_use *module_use(struct ct_symbolizer *s, const char *path)
{
	struct module_use *n;

	for (unsigned i = 0; i < s->nmods; i++)
		if (!strcmp(s->mods[i].path, path))
			return &s->mods[i];
	n = realloc(s->mods, (s->nmods + 1) * sizeof(*n));
	if (!n)
		return NULL;
	s->mods = n;
	n = &s->mods[s->nmods];
	memset(n, 0, sizeof(*n));
	n->path = strdup(path);
	if (!n->path)
		return NULL;
	s->nmods++;
	return n;
}

/* Where libdwfl looks for the module's separate debuginfo: by its build id. */
static char *debug_path(Dwfl_Module *m)
{
	const unsigned char *id;
	GElf_Addr vaddr;
	int len = m ? dwfl_module_build_id(m, &id, &vaddr) : 0;
	char *d, *o;

	if (len < 2)
		return NULL;
	d = malloc(sizeof("/usr/lib/debug/.build-id//.debug") + 2 * len + 1);
	if (!d)
		return NULL;
	o = d + sprintf(d, "/usr/lib/debug/.build-id/%02x/", id[0]);
	for (int i = 1; i < len; i++)
		o += sprintf(o, "%02x", id[i]);
	strcpy(o, ".debug");
	return d;
}

/*
 * A user address's name: its function, from the module libdwfl has at the
 * address only when that module is the file mapped there and the symbol
 * spans the address (a stripped binary's nearest exported symbol is not
 * the function); else "file+0xOFFSET" (the offset in the file, as
 * addr2line takes it) from the mapping; else "[unknown]".
 */
static void user_name(struct ct_symbolizer *s, const struct proc_syms *p, uint64_t ip, char *buf, size_t n)
{
	const struct space *sp = p ? p->sp : NULL;
	const struct code_map *cm = code_at(sp, ip);
	Dwfl_Module *m = sp && sp->dwfl ? dwfl_addrmodule(sp->dwfl, ip) : NULL;
	const char *name = NULL, *mod = NULL;
	struct module_use *use = NULL;
	Dwarf_Addr start = 0;
	GElf_Off off = 0;
	GElf_Sym sym;

	if (m)
		mod = dwfl_module_info(m, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	if (m && sp->code_known && (!cm || (cm->path && cm->path[0] != '[' && (!mod || strcmp(mod, cm->path)))))
		m = NULL; /* libdwfl's module is not what is mapped there */
	if (m) {
		name = dwfl_module_addrinfo(m, ip, &off, &sym, NULL, NULL, NULL);
		if (name && sym.st_size && off >= sym.st_size)
			name = NULL;
	}
	if (cm && cm->path && cm->path[0] == '/' && (use = module_use(s, cm->path))) {
		if (name && *name)
			use->named++;
		else
			use->unnamed++;
		if (!use->debug && m)
			use->debug = debug_path(m);
	}
	if (name && *name)
		snprintf(buf, n, "%s", name);
	else if (cm)
		snprintf(buf, n, "%s+0x%" PRIx64, cm->path ? base_name(cm->path) : "[anon]", ip - cm->start + cm->off);
	else if (m)
		snprintf(buf, n, "%s+0x%" PRIx64, base_name(mod), ip - start);
	else
		snprintf(buf, n, "[unknown]");
}

/* The package holding path ("" if none is known), from dpkg's database. */
static void package_of(const char *path, char *pkg, size_t n)
{
	char cmd[4200], line[512];
	FILE *f;

	*pkg = 0;
	if (strchr(path, '\'') || strlen(path) > 4000)
		return;
	for (int alt = 0; alt < 2 && !*pkg; alt++) {
		/* merged /usr: dpkg may know /usr/lib/x/libc.so.6 as /lib/x/libc.so.6 */
		const char *q = alt ? (strncmp(path, "/usr/", 5) ? NULL : path + 4) : path;

		if (!q)
			break;
		snprintf(cmd, sizeof(cmd), "dpkg-query -S '%s' 2>/dev/null", q);
		f = popen(cmd, "re");
		if (!f)
			return;
		if (fgets(line, sizeof(line), f) && strchr(line, ':')) {
			line[strcspn(line, ":,")] = 0;
			snprintf(pkg, n, "%.*s", (int)(n - 1), line);
		}
		pclose(f);
	}
}

int sym_hints(struct ct_symbolizer *s, char ***out)
{
	char **v = NULL, how[512];
	int n = 0;

	for (unsigned i = 0; i < s->nmods; i++) {
		struct module_use *u = &s->mods[i];
		const char *pkg = u->pkg;
		char **nv;

		/* most of its frames unnamed, and enough of them to matter */
		if (u->unnamed < 4 || u->unnamed <= u->named)
			continue;
		if (!u->pkg_known) {
			package_of(u->path, u->pkg, sizeof(u->pkg));
			u->pkg_known = true;
		}
		if (*pkg)
			snprintf(how, sizeof(how), "install its debug symbols (package %s-dbgsym, from Debian's "
				 "debian-debug archive%s%s)", pkg, u->debug ? ", into " : "", u->debug ? u->debug : "");
		else
			snprintf(how, sizeof(how), "install its debug symbols%s%s", u->debug ? " as " : "",
				 u->debug ? u->debug : "");
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		if (asprintf(&v[n], "%" PRIu64 " of %" PRIu64 " frames in %s have no name: %s, or set "
			     "DEBUGINFOD_URLS=https://debuginfod.debian.net (libdebuginfod1) for libdw to fetch them",
			     u->unnamed, u->unnamed + u->named, u->path, how) < 0)
			break;
		n++;
	}
	*out = v;
	return n;
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
	bool had_kernel, stopped = false;

	if (nu <= 0)
		put_frame(&b, nu < 0 ? no_stack(nu) : "[no stack]", "");
	/*
	 * A frame-pointer walk through code built without frame pointers
	 * follows garbage: once a return address cannot be code (below the
	 * lowest mappable address, with its top byte set: not a user address
	 * on x86-64 or arm64, or in no executable mapping of the process), it
	 * and every frame past it are cut, and the stack says so.
	 */
	for (int i = 1; i < nu; i++)
		if (u[i] < 65536 || u[i] >> 56 || (p && p->sp && p->sp->code_known && !code_at(p->sp, u[i] - 1))) {
			nu = i;
			stopped = true;
			break;
		}
	/*
	 * A frame pointer that does not move repeats one return address until
	 * the walk's depth runs out: one of them is kept.
	 */
	if (nu == CT_STACK_DEPTH && nu > 2 && u[nu - 1] == u[nu - 2]) {
		while (nu > 1 && u[nu - 1] == u[nu - 2])
			nu--;
		stopped = true;
	}
	if (stopped)
		put_frame(&b, "[unwinding stopped]", "");
	for (int i = nu - 1; i >= 0; i--) {
		/* a caller's frame is a return address: the call is the byte before */
		user_name(s, p, i ? u[i] - 1 : u[i], name, sizeof(name));
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
