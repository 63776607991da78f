// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * benchprobe: load the bench's reference BPF programs on a set of hooks and
 * keep them attached until SIGINT/SIGTERM.
 *
 *   benchprobe SET[,SET...]
 *
 * Sets of empty programs (cowtrace's hooks):
 *   wp       fentry+fexit do_wp_page
 *   anon     fentry folio_add_new_anon_rmap (or page_add_new_anon_rmap)
 *   cpr      fentry+fexit copy_page_range
 *   thp      fentry+fexit do_huge_pmd_wp_page
 *   uffd     fentry+fexit handle_userfault
 *   zap      fentry+fexit unmap_page_range (or __zap_vma_range)
 *   sched    tp_btf sched_process_fork + sched_process_exit + sched_process_exec
 *   exact    all of the above (cowtrace's fentry rung)
 *   tpfault  tp_btf page_fault_user
 *   tpkfault tp_btf page_fault_kernel
 *   tpalloc  tp_btf mm_page_alloc
 *   tpfree   tp_btf mm_page_free
 *   tp       tpfault,tpkfault,tpalloc,tpfree,sched (cowtrace's tracepoint mode)
 *   tpsys    tp_btf sys_enter + sys_exit (what tracepoint mode hooked before
 *            it counted in the kernel; not part of "tp")
 * Count-only programs (hash map tgid -> count):
 *   count-fentry, count-kprobe (do_wp_page), count-tp (page_fault_user)
 *
 *   benchprobe --obj FILE.bpf.o PROG[,PROG...] [ASSIGNMENT ...]
 *
 * loads only the named programs of another BPF object (cowtrace's own, to
 * measure its handlers hook by hook): fentry/fexit targets from their section
 * names (folio_add_new_anon_rmap -> page_add_new_anon_rmap and
 * unmap_page_range -> __zap_vma_range where the kernel renamed them), a
 * program whose function or tracepoint the kernel lacks is skipped.
 * Assignments, applied before load:
 *   VAR=N, VAR.FIELD=N       an integer (4 or 8 bytes) in .rodata, found from
 *                            the object's BTF; N may be negative or 0x...
 *   VAR.FIELD=N,N,...        an array of integers (cfg.nr_fork=56,435,57,58)
 *   @MAP=N                   the map's max_entries
 *   @MAP=hash:N              make the map a hash of N entries (cowtrace's
 *                            thread_store where there is no task storage)
 * The rest of .rodata is left as compiled (zero: no filter).  Every ring
 * buffer map is drained every 10 ms (BENCHPROBE_DRAIN_US; -1: epoll, woken
 * by the kernel) with a callback that does nothing.  At exit it
 * prints "benchprobe: consumed N events, lost L, records R" (L from a per-CPU
 * array map "stats", index 0, if there is one; R: the entries of a map
 * "procs", cowtrace's per-process records, which without --events are what
 * its programs produce: -1 if there is none).
 *
 *   benchprobe --ct-cfg [tp]
 *
 * prints, on one line, the assignments cowtrace makes on the running kernel
 * for a system-wide run with its defaults and without --events (src/probes.c
 * set_config and open_skel; keep in step with them): map sizes (4 MiB
 * lifecycle ring, wakeups at 1/16 of it, a one-page per-fault ring, 131072
 * process records, one-entry stack maps); task_storage=1 and a one-entry
 * thread_hash where tracing programs have task-local storage (the same
 * probe as cowtrace's), else task_storage=0 and thread_store made a
 * one-entry hash; nr_fork from <sys/syscall.h>; kallsyms addresses (the
 * marker walk's on x86-64, shm_mnt).  With "tp", tracepoint mode: tp_mode=1,
 * gfp_user_movable and gfp_zero from tracefs' kmem/mm_page_alloc format
 * (src/tracefs.c: cowtrace's own code), find_vma=1 where bpf_find_vma()
 * exists.  An assignment the object has no variable or map for is reported
 * and ignored by --obj.
 *
 *   benchprobe --stats PID
 *
 * prints, for every BPF program process PID holds (a program or link fd in
 * /proc/PID/fdinfo), "prog id=I name=N type=T run_cnt=C run_ns=R misses=M"
 * (run_cnt and run_ns count only while kernel.bpf_stats_enabled=1), and
 * "lost L" and "nospace N" if it holds a per-CPU array map named "stats"
 * (cowtrace's: index 0 counts failed ring buffer reservations, index 1
 * faults or processes that found no room in a map).
 *
 * A hook the kernel does not have (not in BTF or kallsyms, or a struct
 * argument passed by value, which fentry cannot take on older kernels) is
 * skipped and named on stderr.  Prints "benchprobe: ready N" on stdout once
 * everything is attached; at exit, for count sets, "benchprobe: counted
 * KEYS pids TOTAL calls".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <sys/syscall.h>
#include "benchprobe.skel.h"
#include "tracefs.h" /* cowtrace's own (src/), linked in by bench/Makefile */

enum kind { K_FENTRY, K_KPROBE, K_TPBTF };

struct hook {
	const char *set;
	const char *prog;
	enum kind kind;
	const char *cands[2]; /* target function (or tracepoint), preferred first */
};

static const struct hook hooks[] = {
	{ "wp", "e_wp_fe", K_FENTRY, { "do_wp_page" } },
	{ "wp", "e_wp_fx", K_FENTRY, { "do_wp_page" } },
	{ "anon", "e_anon_fe", K_FENTRY, { "folio_add_new_anon_rmap", "page_add_new_anon_rmap" } },
	{ "cpr", "e_cpr_fe", K_FENTRY, { "copy_page_range" } },
	{ "cpr", "e_cpr_fx", K_FENTRY, { "copy_page_range" } },
	{ "thp", "e_thp_fe", K_FENTRY, { "do_huge_pmd_wp_page" } },
	{ "thp", "e_thp_fx", K_FENTRY, { "do_huge_pmd_wp_page" } },
	{ "uffd", "e_uffd_fe", K_FENTRY, { "handle_userfault" } },
	{ "uffd", "e_uffd_fx", K_FENTRY, { "handle_userfault" } },
	{ "zap", "e_zap_fe", K_FENTRY, { "unmap_page_range", "__zap_vma_range" } },
	{ "zap", "e_zap_fx", K_FENTRY, { "unmap_page_range", "__zap_vma_range" } },
	{ "sched", "e_fork", K_TPBTF, { "sched_process_fork" } },
	{ "sched", "e_exit", K_TPBTF, { "sched_process_exit" } },
	{ "sched", "e_exec", K_TPBTF, { "sched_process_exec" } },
	{ "tpfault", "e_tp_fault", K_TPBTF, { "page_fault_user" } },
	{ "tpkfault", "e_tp_kfault", K_TPBTF, { "page_fault_kernel" } },
	{ "tpalloc", "e_tp_alloc", K_TPBTF, { "mm_page_alloc" } },
	{ "tpfree", "e_tp_free", K_TPBTF, { "mm_page_free" } },
	{ "tpsys", "e_tp_sys_enter", K_TPBTF, { "sys_enter" } },
	{ "tpsys", "e_tp_sys_exit", K_TPBTF, { "sys_exit" } },
	{ "count-fentry", "c_wp_fe", K_FENTRY, { "do_wp_page" } },
	{ "count-kprobe", "c_wp_kp", K_KPROBE, { "do_wp_page" } },
	{ "count-tp", "c_tp_fault", K_TPBTF, { "page_fault_user" } },
};
#define NHOOKS (sizeof(hooks) / sizeof(hooks[0]))

static const struct {
	const char *name, *members;
} aliases[] = {
	{ "exact", "wp,anon,cpr,thp,uffd,zap,sched" },
	{ "tp", "tpfault,tpkfault,tpalloc,tpfree,sched" },
};

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

/* 1 if NAME is a text symbol in /proc/kallsyms (exactly, not a clone). */
static int ksym_has(const char *name)
{
	char line[512], sym[256], type;
	unsigned long long addr;
	int found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
		    (type == 't' || type == 'T') && !strcmp(sym, name))
			found = 1;
	fclose(f);
	return found;
}

static int func_struct_arg(const struct btf *btf, int id)
{
	const struct btf_type *proto = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	const struct btf_param *p = btf_params(proto);

	for (int i = 0; i < btf_vlen(proto); i++) {
		const struct btf_type *t = btf__type_by_id(btf, p[i].type);

		while (t && (btf_is_typedef(t) || btf_is_mod(t)))
			t = btf__type_by_id(btf, t->type);
		if (t && (btf_is_struct(t) || btf_is_union(t)))
			return 1;
	}
	return 0;
}

/* The target this kernel has for hook h, or NULL (reason in why). */
static const char *resolve(const struct btf *btf, const struct hook *h, char *why, size_t n)
{
	char tname[160];

	for (int i = 0; i < 2 && h->cands[i]; i++) {
		const char *c = h->cands[i];
		int id;

		switch (h->kind) {
		case K_TPBTF:
			snprintf(tname, sizeof(tname), "btf_trace_%s", c);
			if (btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF) >= 0)
				return c;
			snprintf(why, n, "no tracepoint %s", c);
			break;
		case K_KPROBE:
			if (ksym_has(c))
				return c;
			snprintf(why, n, "%s not in kallsyms", c);
			break;
		case K_FENTRY:
			id = btf__find_by_name_kind(btf, c, BTF_KIND_FUNC);
			if (id < 0 || !ksym_has(c)) {
				snprintf(why, n, "%s not in %s", c, id < 0 ? "BTF" : "kallsyms");
				break;
			}
			if (func_struct_arg(btf, id)) {
				snprintf(why, n, "%s takes a struct by value (no fentry)", c);
				break;
			}
			return c;
		}
	}
	return NULL;
}

static int in_list(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; (p = strstr(p, item)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

static const char *const renamed[][2] = {
	{ "folio_add_new_anon_rmap", "page_add_new_anon_rmap" },
	{ "unmap_page_range", "__zap_vma_range" },
};

static int count_event(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	(*(unsigned long long *)ctx)++;
	return 0;
}

/*
 * Parse "N[,N...]" into v (base 0: 0x allowed; negative values, and unsigned
 * ones up to 2^64-1 such as kernel addresses); count or -1.
 */
static int parse_values(const char *text, long long *v, int max)
{
	int n = 0;
	char *end;

	for (const char *p = text;; p = end + 1) {
		if (n == max)
			return -1;
		errno = 0;
		if (*p == '-')
			v[n] = strtoll(p, &end, 0);
		else
			v[n] = (long long)strtoull(p, &end, 0);
		if (end == p || errno)
			return -1;
		n++;
		if (*end == 0)
			return n;
		if (*end != ',')
			return -1;
	}
}

static void store_int(char *dst, size_t size, long long value)
{
	if (size == 8) {
		__u64 v64 = (__u64)value;
		memcpy(dst, &v64, 8);
	} else {
		__u32 v32 = (__u32)value;
		memcpy(dst, &v32, 4);
	}
}

static const struct btf_type *skip_mods(const struct btf *btf, __u32 id, __u32 *out_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (out_id)
		*out_id = id;
	return t;
}

/* @MAP=N (max_entries) or @MAP=hash:N (a hash of N entries); 0 on success. */
static int set_map(struct bpf_object *obj, const char *assign)
{
	char name[64];
	const char *eq = strchr(assign, '=');
	struct bpf_map *m;
	unsigned long long n;
	bool hash = false;
	char *end;

	if (!eq || (size_t)(eq - assign - 1) >= sizeof(name))
		goto bad;
	snprintf(name, sizeof(name), "%.*s", (int)(eq - assign - 1), assign + 1);
	eq++;
	if (!strncmp(eq, "hash:", 5)) {
		hash = true;
		eq += 5;
	}
	n = strtoull(eq, &end, 0);
	if (end == eq || *end || !n)
		goto bad;
	m = bpf_object__find_map_by_name(obj, name);
	if (!m) {
		fprintf(stderr, "benchprobe: not set: %s (no map %s)\n", assign, name);
		return 1;
	}
	if ((hash && bpf_map__set_type(m, BPF_MAP_TYPE_HASH)) || bpf_map__set_max_entries(m, n)) {
		fprintf(stderr, "benchprobe: %s: %s\n", assign, strerror(errno));
		return -1;
	}
	fprintf(stderr, "benchprobe: %s\n", assign);
	return 0;
bad:
	fprintf(stderr, "benchprobe: bad assignment '%s' (@MAP=N or @MAP=hash:N)\n", assign);
	return -1;
}

/*
 * Set VAR.FIELD (or VAR) in the object's .rodata to VALUE[,VALUE...] before
 * load, found from the object's BTF; 0 on success, 1 if there is no such
 * variable or field (said on stderr: the run goes on), -1 if malformed.
 */
static int set_rodata(struct bpf_object *obj, const char *assign)
{
	char var[64] = "", field[64] = "", vals[256] = "";
	long long value[64];
	int nval;
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m = bpf_object__find_map_by_name(obj, ".rodata");
	size_t sz;
	char *data;
	int id;

	if (assign[0] == '@')
		return set_map(obj, assign);
	if (sscanf(assign, "%63[^.=].%63[^=]=%255s", var, field, vals) != 3 &&
	    (field[0] = 0, sscanf(assign, "%63[^.=]=%255s", var, vals) != 2)) {
		fprintf(stderr, "benchprobe: bad assignment '%s' (VAR.FIELD=VALUE)\n", assign);
		return -1;
	}
	nval = parse_values(vals, value, 64);
	if (nval < 1) {
		fprintf(stderr, "benchprobe: bad value in '%s' (integers, comma-separated)\n", assign);
		return -1;
	}
	if (!btf || !m || !(data = (char *)bpf_map__initial_value(m, &sz)))
		goto missing;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		goto missing;
	const struct btf_type *ds = btf__type_by_id(btf, id);
	const struct btf_var_secinfo *vs = btf_var_secinfos(ds);

	for (int i = 0; i < btf_vlen(ds); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);
		const struct btf_type *t;
		size_t off = vs->offset, size = vs->size, esize, nelem = 1;
		__u32 tid;

		if (strcmp(btf__name_by_offset(btf, v->name_off), var))
			continue;
		t = skip_mods(btf, v->type, &tid);
		if (field[0]) {
			const struct btf_member *mb;
			int j;

			if (!t || !btf_is_struct(t))
				goto missing;
			mb = btf_members(t);
			for (j = 0; j < btf_vlen(t); j++, mb++)
				if (!strcmp(btf__name_by_offset(btf, mb->name_off), field))
					break;
			if (j == btf_vlen(t) || btf_member_bitfield_size(t, j))
				goto missing;
			off += btf_member_bit_offset(t, j) / 8;
			size = btf__resolve_size(btf, mb->type);
			t = skip_mods(btf, mb->type, &tid);
		}
		esize = size;
		if (t && btf_is_array(t)) {
			nelem = btf_array(t)->nelems;
			esize = nelem ? size / nelem : 0;
		}
		if (off + size > sz || (esize != 4 && esize != 8) || (size_t)nval > nelem)
			goto missing;
		for (int k = 0; k < nval; k++)
			store_int(data + off + k * esize, esize, value[k]);
		fprintf(stderr, "benchprobe: %s\n", assign);
		return 0;
	}
missing:
	fprintf(stderr, "benchprobe: not set: %s (no such .rodata variable/field of 4- or 8-byte integers, "
		"or too many values)\n", assign);
	return 1;
}

/* 1 if the kernel has tracepoint NAME for tp_btf (its btf_trace_NAME typedef). */
static int tp_btf_has(const struct btf *btf, const char *name)
{
	char tname[160];

	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	return btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF) >= 0;
}

/* Address of a kernel symbol of any type in /proc/kallsyms, 0 if absent (or hidden). */
static unsigned long long ksym_addr(const char *name)
{
	char line[512], sym[256], type;
	unsigned long long addr, found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 && !strcmp(sym, name))
			found = addr;
	fclose(f);
	return found;
}

/*
 * --ct-cfg [tp]: the assignments cowtrace makes before load on this kernel
 * (src/probes.c: set_config and open_skel, for a system-wide run with the
 * default 4 MiB ring and no --events), on one line.  tp: tracepoint mode too.
 */
static int ct_cfg(int tp)
{
	int ts;

	libbpf_set_print(quiet_print);
	ts = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_storage_get, NULL) == 1;
	/* the default 4 MiB lifecycle ring, wakeups at 1/16 of it; the per-fault
	 * ring one page (no --events); --max-procs 131072; --stacks off */
	printf("cfg.wakeup_bytes=%d @lifecycle=%d @events=%ld @procs=131072 @hists=%d", (4 << 20) / 16,
	       4 << 20, sysconf(_SC_PAGESIZE), 4 * 131072);
	printf(" @stack_traces=1 @stack_counts=1");
	/* per-thread state: task-local storage, else thread_store becomes a hash */
	printf(ts ? " cfg.task_storage=1 @thread_hash=1" : " cfg.task_storage=0 @thread_store=hash:1");
	printf(" cfg.nr_fork=%d", (int)SYS_clone);
#ifdef SYS_clone3
	printf(",%d", (int)SYS_clone3);
#else
	printf(",-1");
#endif
#ifdef SYS_fork
	printf(",%d,%d", (int)SYS_fork, (int)SYS_vfork);
#else
	printf(",-1,-1");
#endif
#if defined(__x86_64__)
	{
		unsigned long long pob = ksym_addr("page_offset_base"), pgs = ksym_addr("pgdir_shift");

		if (pob)
			printf(" cfg.page_offset_base_addr=0x%llx cfg.pgdir_shift_addr=0x%llx", pob, pgs);
	}
#endif
	{
		unsigned long long shm = ksym_addr("shm_mnt");

		if (shm)
			printf(" cfg.shm_mnt_addr=0x%llx", shm);
	}
	if (tp) {
		struct gfp_bits g;
		char err[256] = "";

		if (tracefs_gfp_bits(&g, err, sizeof(err))) {
			printf("\n");
			fprintf(stderr, "benchprobe: %s\n", err);
			return 1;
		}
		printf(" cfg.tp_mode=1 cfg.gfp_user_movable=%llu cfg.gfp_zero=%llu",
		       (unsigned long long)g.user_movable, (unsigned long long)g.zero);
		/* tracepoint mode names the VMA of a copy with bpf_find_vma() (5.17+) */
		if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACING, BPF_FUNC_find_vma, NULL) == 1 ||
		    libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_find_vma, NULL) == 1)
			printf(" cfg.find_vma=1");
	}
	printf("\n");
	return 0;
}

/* --stats PID: run time of the programs PID holds, and cowtrace's lost count. */
static int prog_stats(const char *pidarg)
{
	char dir[64], path[400], line[256];
	__u32 progs[256], maps[256];
	int nprog = 0, nmap = 0;
	unsigned long long lost = 0, nospace = 0;
	int have_lost = 0;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%s/fdinfo", pidarg);
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "benchprobe: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		FILE *f;
		unsigned id;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			__u32 *arr = NULL;
			int *n = NULL, dup = 0;

			if (sscanf(line, "prog_id: %u", &id) == 1)
				arr = progs, n = &nprog;
			else if (sscanf(line, "map_id: %u", &id) == 1)
				arr = maps, n = &nmap;
			if (!arr)
				continue;
			for (int i = 0; i < *n; i++)
				dup |= arr[i] == id;
			if (!dup && *n < 256)
				arr[(*n)++] = id;
		}
		fclose(f);
	}
	closedir(d);
	for (int i = 0; i < nprog; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(progs[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			printf("prog id=%u name=%s type=%u run_cnt=%llu run_ns=%llu misses=%llu\n", info.id,
			       info.name[0] ? info.name : "-", info.type, (unsigned long long)info.run_cnt,
			       (unsigned long long)info.run_time_ns, (unsigned long long)info.recursion_misses);
		close(fd);
	}
	for (int i = 0; i < nmap; i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info), key = 0;
		int fd = bpf_map_get_fd_by_id(maps[i]), ncpu = libbpf_num_possible_cpus();

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, "stats") &&
		    info.type == BPF_MAP_TYPE_PERCPU_ARRAY && info.value_size == 8 && ncpu > 0) {
			unsigned long long vals[ncpu];

			if (!bpf_map_lookup_elem(fd, &key, vals)) {
				have_lost = 1;
				for (int c = 0; c < ncpu; c++)
					lost += vals[c];
			}
			key = 1;
			if (info.max_entries > 1 && !bpf_map_lookup_elem(fd, &key, vals))
				for (int c = 0; c < ncpu; c++)
					nospace += vals[c];
		}
		close(fd);
	}
	if (have_lost)
		printf("lost %llu\nnospace %llu\n", lost, nospace);
	return 0;
}

static int run_obj(const char *path, char *list, char **assigns, int nassign)
{
	struct bpf_link *links[64];
	struct ring_buffer *rb = NULL;
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *m;
	struct btf *btf;
	unsigned long long consumed = 0, lost = 0;
	int nlinks = 0, nsel = 0, ret = 1, fd;

	libbpf_set_print(quiet_print);
	btf = btf__load_vmlinux_btf();
	obj = bpf_object__open_file(path, NULL);
	if (!btf || !obj) {
		fprintf(stderr, "benchprobe: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int i = 0; i < nassign; i++)
		if (set_rodata(obj, assigns[i]) < 0)
			goto out;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, false);
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		enum bpf_attach_type at;
		const char *sec, *target;
		size_t r;

		p = bpf_object__find_program_by_name(obj, tok);
		if (!p) {
			fprintf(stderr, "benchprobe: skipped %s: no such program in %s\n", tok, path);
			continue;
		}
		at = bpf_program__expected_attach_type(p);
		if (bpf_program__type(p) == BPF_PROG_TYPE_TRACING &&
		    (at == BPF_TRACE_FENTRY || at == BPF_TRACE_FEXIT)) {
			sec = bpf_program__section_name(p);
			target = strchr(sec, '/') ? strchr(sec, '/') + 1 : sec;
			if (btf__find_by_name_kind(btf, target, BTF_KIND_FUNC) < 0 || !ksym_has(target)) {
				for (r = 0; r < sizeof(renamed) / sizeof(renamed[0]); r++)
					if (!strcmp(target, renamed[r][0]) &&
					    btf__find_by_name_kind(btf, renamed[r][1], BTF_KIND_FUNC) >= 0) {
						target = renamed[r][1];
						break;
					}
			}
			if (btf__find_by_name_kind(btf, target, BTF_KIND_FUNC) < 0) {
				fprintf(stderr, "benchprobe: skipped %s: %s not in BTF\n", tok, target);
				continue;
			}
			bpf_program__set_attach_target(p, 0, target);
		} else if (bpf_program__type(p) == BPF_PROG_TYPE_TRACING && at == BPF_TRACE_RAW_TP) {
			sec = bpf_program__section_name(p);
			target = strchr(sec, '/') ? strchr(sec, '/') + 1 : sec;
			if (!tp_btf_has(btf, target)) {
				fprintf(stderr, "benchprobe: skipped %s: no tracepoint %s\n", tok, target);
				continue;
			}
		}
		bpf_program__set_autoload(p, true);
		nsel++;
	}
	if (!nsel) {
		fprintf(stderr, "benchprobe: no program to load\n");
		goto out;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "benchprobe: load %s: %s\n", path, strerror(errno));
		goto out;
	}
	bpf_object__for_each_program(p, obj) {
		struct bpf_link *l;

		if (!bpf_program__autoload(p))
			continue;
		l = bpf_program__attach(p);
		if (!l || nlinks >= 64) {
			fprintf(stderr, "benchprobe: attach %s: %s\n", bpf_program__name(p), strerror(errno));
			goto out;
		}
		links[nlinks++] = l;
		fprintf(stderr, "benchprobe: %s (%s)\n", bpf_program__name(p), bpf_program__section_name(p));
	}
	/* every ring buffer of the object (cowtrace: lifecycle, events) */
	bpf_object__for_each_map(m, obj) {
		if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF)
			continue;
		fd = bpf_map__fd(m);
		if (!rb)
			rb = ring_buffer__new(fd, count_event, &consumed, NULL);
		else if (ring_buffer__add(rb, fd, count_event, &consumed))
			rb = NULL, errno = EINVAL;
		if (!rb) {
			fprintf(stderr, "benchprobe: ring buffer %s: %s\n", bpf_map__name(m), strerror(errno));
			goto out;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("benchprobe: ready %d\n", nlinks);
	fflush(stdout);
	/*
	 * Drain every 10 ms instead of sleeping in epoll: a consumer that does
	 * nothing always catches up, so it would be woken (and, on one CPU,
	 * preempt the workload) for every single event.
	 */
	const char *drain = getenv("BENCHPROBE_DRAIN_US");
	long drain_us = drain ? atol(drain) : 10000;

	while (!stop) {
		if (rb && drain_us < 0) {
			ring_buffer__poll(rb, 100);
			continue;
		}
		if (rb)
			ring_buffer__consume(rb);
		usleep(drain_us);
	}
	while (nlinks > 0)
		bpf_link__destroy(links[--nlinks]);
	if (rb)
		ring_buffer__consume(rb);
	fd = bpf_object__find_map_fd_by_name(obj, "stats");
	if (fd >= 0) {
		int ncpu = libbpf_num_possible_cpus();
		unsigned long long vals[ncpu > 0 ? ncpu : 1];
		__u32 key = 0;

		if (ncpu > 0 && bpf_map_lookup_elem(fd, &key, vals) == 0)
			for (int i = 0; i < ncpu; i++)
				lost += vals[i];
	}
	/* cowtrace's per-process records: what its fault programs counted into */
	long long records = -1;

	fd = bpf_object__find_map_fd_by_name(obj, "procs");
	if (fd >= 0) {
		__u32 key, next, *prev = NULL;

		records = 0;
		while (bpf_map_get_next_key(fd, prev, &next) == 0) {
			key = next;
			prev = &key;
			records++;
		}
	}
	printf("benchprobe: consumed %llu events, lost %llu, records %lld\n", consumed, lost, records);
	ret = 0;
out:
	while (nlinks > 0)
		bpf_link__destroy(links[--nlinks]);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	btf__free(btf);
	return ret;
}

int main(int argc, char **argv)
{
	char sets[512] = "", why[256];
	const char *target[NHOOKS] = { 0 };
	struct bpf_link *links[NHOOKS] = { 0 };
	struct benchprobe_bpf *sk;
	struct btf *btf;
	int nsel = 0, nlinks = 0, counting = 0, ret = 1;

	if (argc >= 4 && !strcmp(argv[1], "--obj"))
		return run_obj(argv[2], argv[3], argv + 4, argc - 4);
	if ((argc == 2 || (argc == 3 && !strcmp(argv[2], "tp"))) && !strcmp(argv[1], "--ct-cfg"))
		return ct_cfg(argc == 3);
	if (argc == 3 && !strcmp(argv[1], "--stats"))
		return prog_stats(argv[2]);
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: benchprobe SET[,SET...] | --obj FILE.bpf.o PROG[,PROG...] [VAR.FIELD=N[,N...]|@MAP=[hash:]N ...]\n"
			"       benchprobe --ct-cfg [tp] | --stats PID\n");
		return 2;
	}
	/* expand aliases */
	for (char *tok = strtok(argv[1], ","); tok; tok = strtok(NULL, ",")) {
		const char *add = tok;

		for (size_t a = 0; a < sizeof(aliases) / sizeof(aliases[0]); a++)
			if (!strcmp(tok, aliases[a].name))
				add = aliases[a].members;
		snprintf(sets + strlen(sets), sizeof(sets) - strlen(sets), "%s%s", sets[0] ? "," : "", add);
	}
	libbpf_set_print(quiet_print);
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		fprintf(stderr, "benchprobe: no kernel BTF\n");
		return 1;
	}
	sk = benchprobe_bpf__open();
	if (!sk) {
		fprintf(stderr, "benchprobe: open: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < NHOOKS; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(sk->obj, hooks[i].prog);

		bpf_program__set_autoload(p, false);
		if (!in_list(sets, hooks[i].set))
			continue;
		nsel++;
		target[i] = resolve(btf, &hooks[i], why, sizeof(why));
		if (!target[i]) {
			fprintf(stderr, "benchprobe: skipped %s: %s\n", hooks[i].prog, why);
			continue;
		}
		bpf_program__set_autoload(p, true);
		if (hooks[i].kind == K_FENTRY)
			bpf_program__set_attach_target(p, 0, target[i]);
		counting |= hooks[i].prog[0] == 'c';
	}
	if (!nsel) {
		fprintf(stderr, "benchprobe: no hook in '%s'\n", sets);
		goto out;
	}
	if (benchprobe_bpf__load(sk)) {
		fprintf(stderr, "benchprobe: load: %s\n", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < NHOOKS; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(sk->obj, hooks[i].prog);
		struct bpf_link *l;

		if (!target[i])
			continue;
		l = hooks[i].kind == K_KPROBE ? bpf_program__attach_kprobe(p, false, target[i])
					      : bpf_program__attach(p);
		if (!l) {
			fprintf(stderr, "benchprobe: attach %s to %s: %s\n", hooks[i].prog, target[i],
				strerror(errno));
			goto out;
		}
		links[nlinks++] = l;
		fprintf(stderr, "benchprobe: %s -> %s%s\n", hooks[i].prog, target[i],
			hooks[i].kind == K_KPROBE ? " (kprobe)" : hooks[i].kind == K_TPBTF ? " (tp_btf)"
			: strstr(hooks[i].prog, "_fx") ? " (fexit)" : " (fentry)");
	}
	sigset_t block, none;

	sigemptyset(&none);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("benchprobe: ready %d\n", nlinks);
	fflush(stdout);
	while (!stop)
		sigsuspend(&none);
	if (counting) {
		int fd = bpf_map__fd(sk->maps.counts);
		__u32 key, next, *prev = NULL;
		__u64 v, total = 0, keys = 0;

		while (bpf_map_get_next_key(fd, prev, &next) == 0) {
			key = next;
			prev = &key;
			if (bpf_map_lookup_elem(fd, &key, &v) == 0) {
				total += v;
				keys++;
			}
		}
		printf("benchprobe: counted %llu pids %llu calls\n", (unsigned long long)keys,
		       (unsigned long long)total);
	}
	ret = 0;
out:
	while (nlinks > 0)
		bpf_link__destroy(links[--nlinks]);
	benchprobe_bpf__destroy(sk);
	btf__free(btf);
	return ret;
}
