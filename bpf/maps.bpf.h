/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The configuration and the maps more than one BPF unit uses, each written
 * once.  Every unit sees them as extern; lifecycle.bpf.c, which every mode
 * loads, defines them (CT_DEFINE_MAPS before it includes this), and
 * `bpftool gen object` links the units into one object and one skeleton,
 * as selftests/bpf's linked_maps and linked_vars do.  A map only one unit
 * uses is defined in that unit.
 */
#ifndef COWTRACE_MAPS_BPF_H
#define COWTRACE_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "cowtrace.h"
#include "thread.bpf.h"

#ifdef CT_DEFINE_MAPS
#define CT_SHARED
#define CT_ZERO = {}
#else
#define CT_SHARED extern
#define CT_ZERO
#endif

/* Set by the frontend before load (.rodata). */
CT_SHARED const volatile struct ct_config cfg CT_ZERO;

/*
 * Two rings, so that a flood of per-fault events never crowds out a
 * process's final counts: `lifecycle` (forks, process records at a fork
 * and at exit, histograms at exit) and `events` (one event per fault, and
 * the fork and exit events in their order, for --events and --record;
 * a single page otherwise).
 */
CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by the frontend */
} lifecycle SEC(".maps");

CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by the frontend */
} events SEC(".maps");

/* BPF-side counters (enum ct_stat_idx): lost, settled, no space, ... */
CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CT_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Follow mode: tgid -> CT_TRACED_* */
CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/*
 * Per-process counts (tgid -> record and fork-to-copy histogram), updated
 * in place (count.bpf.h).  The code holds a value by its record (its first
 * member) and reaches the histogram with proc_f2c().
 */
CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 131072); /* resized by the frontend */
	__type(key, __u32);
	__type(value, struct ct_proc_val);
} procs SEC(".maps");

CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 262144); /* resized by the frontend */
	__type(key, struct ct_hist_key);
	__type(value, struct ct_hist_val);
} hists SEC(".maps");

/* --stacks: user (and kernel) stacks of copies, and pages per stack. */
CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384); /* one entry where --stacks is off */
	__type(key, __u32);
	__uint(value_size, CT_STACK_DEPTH * sizeof(__u64));
} stack_traces SEC(".maps");

CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* one entry where --stacks is off */
	__type(key, struct ct_stack_key);
	__type(value, __u64);
} stack_counts SEC(".maps");

/* When this CPU last woke the frontend (rb_wakeup()). */
CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} wakeup_ns SEC(".maps");

/* Scratch for building a new process record off the 512-byte stack. */
CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_proc_val);
} proc_scratch SEC(".maps");

/* Per-thread state (thread.bpf.h): task-local storage, or where the kernel has none for tracing programs, a hash. */
CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ct_thread);
} thread_store SEC(".maps"); /* a hash of one entry where the kernel has no task storage */

CT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* 1 where task storage is used */
	__type(key, __u64);
	__type(value, struct ct_thread);
} thread_hash SEC(".maps");

#endif /* COWTRACE_MAPS_BPF_H */
