// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util.h"

int kallsyms_lookup(const char *const *names, int n, struct ksym_info *out)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512];

	memset(out, 0, sizeof(*out) * n);
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char type, sym[256];
		unsigned long long addr;

		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) != 3)
			continue;
		if (type != 't' && type != 'T')
			continue;
		for (int i = 0; i < n; i++) {
			size_t len = strlen(names[i]);

			if (strncmp(sym, names[i], len))
				continue;
			if (sym[len] == 0)
				out[i].exact = true;
			else if (!out[i].clone[0] && (!strncmp(sym + len, ".isra.", 6) ||
						      !strncmp(sym + len, ".constprop.", 11)))
				snprintf(out[i].clone, sizeof(out[i].clone), "%.95s", sym);
		}
	}
	fclose(f);
	return 0;
}

int kallsyms_addrs(const char *const *names, int n, uint64_t *out)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[512];

	memset(out, 0, sizeof(*out) * n);
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char type, sym[256];
		unsigned long long addr;

		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) != 3)
			continue;
		for (int i = 0; i < n; i++)
			if (!out[i] && !strcmp(sym, names[i]))
				out[i] = addr;
	}
	fclose(f);
	return 0;
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
