/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef COWTRACE_UTIL_H
#define COWTRACE_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What /proc/kallsyms has for a function name. */
struct ksym_info {
	bool exact;          /* "name" itself is a text symbol */
	char clone[96];      /* else a whole-function clone: name.isra.N / name.constprop.N */
};

/* Look up several names in one pass; returns 0 or -errno (kallsyms unreadable). */
int kallsyms_lookup(const char *const *names, int n, struct ksym_info *out);

/* Addresses of kernel data symbols (any type); 0 where absent.  0 or -errno. */
int kallsyms_addrs(const char *const *names, int n, uint64_t *out);

/* Parse a positive decimal integer in [min, max]; returns 0 or -1. */
int parse_uint(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out);
/* Parse seconds: a positive decimal (e.g. "0.5", "10"); returns 0 or -1. */
int parse_seconds(const char *s, double *out);

/*
 * The preemption model in force, from the line of
 * /sys/kernel/debug/sched/preempt ("none voluntary (full) lazy": the one in
 * parentheses), its name into model.  1: tasks can be preempted anywhere in
 * the kernel (full, lazy, rt), 0: only where they allow it (none,
 * voluntary), -1: no model named.
 */
int preempt_model_parse(const char *line, char *model, size_t n);

uint64_t now_ns(void);

/* Where the cgroup v2 hierarchy is mounted (e.g. /sys/fs/cgroup or .../unified); 0 or -errno. */
int cgroup2_mount(char *buf, size_t n);
/* Every cgroup directory under root (a cgroup2 mount): cb(ctx, id, path below root). */
int cgroup_walk(const char *root, int (*cb)(void *ctx, uint64_t id, const char *path), void *ctx); /* CLOCK_MONOTONIC, same clock as bpf_ktime_get_ns */

/* Append x (size bytes) to the array *v of *n, growing it (*cap) as needed; 0 or -ENOMEM. */
/* A whole text file, NUL-terminated, in a malloc()ed buffer; NULL (errno set) if it cannot be read. */
char *read_text_file(const char *path);
int push(void **v, uint32_t *n, uint32_t *cap, const void *x, size_t size);

#endif
