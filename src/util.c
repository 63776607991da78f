// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "util.h"

/* Call cb for every line of /proc/kallsyms; 0 or -errno. */
static int kallsyms_foreach(void (*cb)(void *ctx, uint64_t addr, char type, const char *sym),
			    void *ctx)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512], sym[256], type;
	unsigned long long addr;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3)
			cb(ctx, addr, type, sym);
	fclose(f);
	return 0;
}

struct lookup_ctx {
	const char *const *names;
	int n;
	struct ksym_info *info;
	uint64_t *addrs;
};

static void lookup_func(void *ctx, uint64_t addr, char type, const char *sym)
{
	struct lookup_ctx *c = ctx;

	(void)addr;
	if (type != 't' && type != 'T')
		return;
	for (int i = 0; i < c->n; i++) {
		size_t len = strlen(c->names[i]);
		struct ksym_info *k = &c->info[i];

		if (strncmp(sym, c->names[i], len))
			continue;
		if (sym[len] == 0)
			k->exact = true;
		else if (!k->clone[0] && (!strncmp(sym + len, ".isra.", 6) ||
					  !strncmp(sym + len, ".constprop.", 11)))
			snprintf(k->clone, sizeof(k->clone), "%.95s", sym);
	}
}

int kallsyms_lookup(const char *const *names, int n, struct ksym_info *out)
{
	struct lookup_ctx c = { .names = names, .n = n, .info = out };

	memset(out, 0, sizeof(*out) * n);
	return kallsyms_foreach(lookup_func, &c);
}

static void lookup_addr(void *ctx, uint64_t addr, char type, const char *sym)
{
	struct lookup_ctx *c = ctx;

	(void)type;
	for (int i = 0; i < c->n; i++)
		if (!c->addrs[i] && !strcmp(sym, c->names[i]))
			c->addrs[i] = addr;
}

int kallsyms_addrs(const char *const *names, int n, uint64_t *out)
{
	struct lookup_ctx c = { .names = names, .n = n, .addrs = out };

	memset(out, 0, sizeof(*out) * n);
	return kallsyms_foreach(lookup_addr, &c);
}

int parse_uint(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1; /* strtoull would skip spaces and accept a sign */
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int preempt_model_parse(const char *line, char *model, size_t n)
{
	const char *a = line ? strchr(line, '(') : NULL, *b = a ? strchr(a, ')') : NULL;

	if (!b || b == a + 1 || (size_t)(b - a - 1) >= n)
		return -1;
	snprintf(model, n, "%.*s", (int)(b - a - 1), a + 1);
	return strcmp(model, "none") && strcmp(model, "voluntary");
}

int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > 0) || v > 1e7)
		return -1;
	*out = v;
	return 0;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int (*cg_cb)(void *ctx, uint64_t id, const char *path);
static void *cg_ctx;
static size_t cg_root_len;

static int cg_visit(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_D)
		return 0;
	/* A cgroup v2 id is its directory's inode number (kernfs node id). */
	return cg_cb(cg_ctx, sb->st_ino, fpath[cg_root_len] ? fpath + cg_root_len : "/");
}

int cgroup_walk(const char *root, int (*cb)(void *ctx, uint64_t id, const char *path), void *ctx)
{
	cg_cb = cb;
	cg_ctx = ctx;
	cg_root_len = strlen(root);
	while (cg_root_len > 1 && root[cg_root_len - 1] == '/')
		cg_root_len--;
	return nftw(root, cg_visit, 16, FTW_PHYS | FTW_MOUNT) < 0 ? -errno : 0;
}

int cgroup2_mount(char *buf, size_t n)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096], root[1024], mnt[1024], fstype[64];
	int found = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		/* id parent major:minor root mount-point options... - fstype source opts */
		if (!sep || sscanf(line, "%*s %*s %*s %1023s %1023s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		snprintf(buf, n, "%s", mnt);
		found = 0;
		if (!strcmp(root, "/"))
			break; /* the whole hierarchy: best */
	}
	fclose(f);
	return found;
}

int push(void **v, uint32_t *n, uint32_t *cap, const void *x, size_t size)
{
	if (*n == *cap) {
		uint32_t c = *cap ? *cap * 2 : 256;
		void *nv = realloc(*v, (size_t)c * size);

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	memcpy((char *)*v + (size_t)(*n)++ * size, x, size);
	return 0;
}

char *read_text_file(const char *path)
{
	FILE *f = fopen(path, "re");
	size_t len = 0, cap = 1 << 16;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len - 1, f);

		len += n;
		if (n == 0)
			break;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = 0;
	return buf;
}
