// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * benchprobe: load the bench's reference BPF programs on a set of hooks and
 * keep them attached until SIGINT/SIGTERM.
 *
 *   benchprobe SET[,SET...]
 *
 * Sets of empty programs (cowtrace's hooks):
 *   wp     fentry+fexit do_wp_page
 *   anon   fentry folio_add_new_anon_rmap (or page_add_new_anon_rmap)
 *   cpr    fentry+fexit copy_page_range
 *   thp    fentry+fexit do_huge_pmd_wp_page
 *   uffd   fentry+fexit handle_userfault
 *   zap    fentry+fexit unmap_page_range (or __zap_vma_range)
 *   sched  tp_btf sched_process_fork + sched_process_exit
 *   exact  all of the above (cowtrace's fentry rung)
 *   tpfault, tpalloc, tpsys (sys_enter + sys_exit): tp_btf, cowtrace's
 *   tracepoint mode; tp = tpfault,tpalloc,tpsys,sched
 * Count-only programs (hash map tgid -> count):
 *   count-fentry, count-kprobe (do_wp_page), count-tp (page_fault_user)
 *
 *   benchprobe --obj FILE.bpf.o PROG[,PROG...] [VAR.FIELD=VALUE ...]
 *
 * loads only the named programs of another BPF object (cowtrace's own, to
 * measure its handlers hook by hook), fentry/fexit targets from their section
 * names (folio_add_new_anon_rmap -> page_add_new_anon_rmap and
 * unmap_page_range -> __zap_vma_range where the kernel renamed them), .rodata
 * left as compiled (zero: no filter) except for the VAR.FIELD=VALUE
 * assignments (integers in .rodata, found from the object's BTF), and drains
 * a ring buffer map named "events" every 10 ms (BENCHPROBE_DRAIN_US; -1:
 * epoll, woken by the kernel) with a callback that does nothing.  At exit it prints
 * "benchprobe: consumed N events, lost L" (L from a per-CPU array map "stats",
 * index 0, if there is one).
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
#include "benchprobe.skel.h"

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
	{ "tpfault", "e_tp_fault", K_TPBTF, { "page_fault_user" } },
	{ "tpalloc", "e_tp_alloc", K_TPBTF, { "mm_page_alloc" } },
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
	{ "tp", "tpfault,tpalloc,tpsys,sched" },
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
 * Set VAR.FIELD (or VAR) in the object's .rodata to VALUE before load, found
 * from the object's BTF; 0 on success.
 */
static int set_rodata(struct bpf_object *obj, const char *assign)
{
	char var[64] = "", field[64] = "";
	unsigned long long value;
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m = bpf_object__find_map_by_name(obj, ".rodata");
	size_t sz;
	char *data;
	int id;

	if (sscanf(assign, "%63[^.=].%63[^=]=%llu", var, field, &value) != 3 &&
	    (field[0] = 0, sscanf(assign, "%63[^.=]=%llu", var, &value) != 2)) {
		fprintf(stderr, "benchprobe: bad assignment '%s' (VAR.FIELD=VALUE)\n", assign);
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
		size_t off = vs->offset, size = vs->size;

		if (strcmp(btf__name_by_offset(btf, v->name_off), var))
			continue;
		t = btf__type_by_id(btf, v->type);
		while (t && (btf_is_typedef(t) || btf_is_mod(t)))
			t = btf__type_by_id(btf, t->type);
		if (field[0]) {
			const struct btf_member *mb;
			int j;

			if (!t || !btf_is_struct(t))
				goto missing;
			mb = btf_members(t);
			for (j = 0; j < btf_vlen(t); j++, mb++)
				if (!strcmp(btf__name_by_offset(btf, mb->name_off), field))
					break;
			if (j == btf_vlen(t))
				goto missing;
			off += btf_member_bit_offset(t, j) / 8;
			size = btf__resolve_size(btf, mb->type);
		}
		if (off + size > sz || (size != 4 && size != 8))
			goto missing;
		if (size == 8) {
			__u64 v64 = value;
			memcpy(data + off, &v64, 8);
		} else {
			__u32 v32 = (__u32)value;
			memcpy(data + off, &v32, 4);
		}
		fprintf(stderr, "benchprobe: %s\n", assign);
		return 0;
	}
missing:
	fprintf(stderr, "benchprobe: not set: %s (no such 4- or 8-byte .rodata variable/field)\n", assign);
	return 1;
}

static int run_obj(const char *path, char *list, char **assigns, int nassign)
{
	struct bpf_link *links[64];
	struct ring_buffer *rb = NULL;
	struct bpf_object *obj;
	struct bpf_program *p;
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
	fd = bpf_object__find_map_fd_by_name(obj, "events");
	if (fd >= 0) {
		rb = ring_buffer__new(fd, count_event, &consumed, NULL);
		if (!rb) {
			fprintf(stderr, "benchprobe: ring buffer: %s\n", strerror(errno));
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
	printf("benchprobe: consumed %llu events, lost %llu\n", consumed, lost);
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
	if (argc != 2) {
		fprintf(stderr, "usage: benchprobe SET[,SET...] | --obj FILE.bpf.o PROG[,PROG...] [VAR.FIELD=N...]\n");
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
