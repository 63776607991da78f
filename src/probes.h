/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Choosing, loading and attaching the BPF programs; the only libbpf user besides main.c. */
#ifndef COWTRACE_PROBES_H
#define COWTRACE_PROBES_H
#include <stdbool.h>
#include <stdint.h>
#include "cowtrace.h"
#include "plan.h"

struct ct_opts {
	uint32_t pid;            /* -p */
	int cgroup_fd;           /* -c, or -1 */
	bool follow;             /* -- CMD: trace the frontend's children */
	bool follow_pid;         /* -p without --no-follow: pid and the processes it forks */
	enum ct_mode mode;       /* --mode, MODE_NONE = best available */
	bool load_only;          /* load (verify) without attaching */
	bool verbose;
	bool per_event;          /* --events, --record: one ring event per fault too */
	uint32_t ringbuf_bytes;
	uint32_t max_procs;      /* live processes the maps hold (histograms: 4 per process) */
	uint32_t stacks;         /* --stacks: the kinds (bits of enum ct_wp_kind) whose stacks are counted */
	bool kernel_stacks;      /* --kernel-stacks: and their kernel stacks */
	bool latency;            /* --latency: time write faults (exact rungs) */
};

struct cowtrace_bpf;
struct bpf_link;
struct bpf_program;

#define CT_MAX_LINKS 32

struct ct_link {
	struct bpf_link *link;
	struct bpf_program *prog;
	char target[64];         /* kernel function or tracepoint */
	bool kprobe;
};

struct ct_session {
	struct cowtrace_bpf *skel;
	struct ct_link links[CT_MAX_LINKS];
	int nlinks;
	bool detached;
	struct ct_misses final_misses; /* as they were when the programs were detached */
	struct ct_plan plan;
	char attempts[512];      /* what failed on the way down the ladder */
};

int probes_start(struct ct_session *s, const struct ct_opts *o, char *err, size_t errlen);
/* Stop new events (links gone); maps stay readable until probes_stop(). */
void probes_detach(struct ct_session *s);
void probes_stop(struct ct_session *s);
/* The rings: forks and processes' final records; one event per fault (--events, --record). */
int probes_lifecycle_fd(const struct ct_session *s);
int probes_events_fd(const struct ct_session *s);
/* Sum of the per-CPU BPF-side counter idx (enum ct_stat_idx). */
uint64_t probes_stat(const struct ct_session *s, int idx);
/*
 * Every process record and histogram in the kernel's maps (batch reads).  0
 * or -errno.  A record comes with its fork_to_copy histogram (NULL: empty),
 * which the histograms' read does not give again.
 */
int probes_read_procs(struct ct_session *s,
		      int (*cb)(void *ctx, const struct ct_proc_rec *r, const struct ct_hist_val *f2c), void *ctx);
int probes_read_hists(struct ct_session *s, int (*cb)(void *ctx, const struct ct_hist_rec *r), void *ctx);
/* --stacks: pages per (process, stack, kind, mapping) (batch reads), and a stack's addresses. */
int probes_read_stacks(struct ct_session *s, int (*cb)(void *ctx, const struct ct_stack_key *k, uint64_t pages),
		       void *ctx);
/* The addresses of stack id, innermost first: how many, or -errno (id < 0: id). */
int probes_stack_trace(struct ct_session *s, int32_t id, uint64_t ips[CT_STACK_DEPTH]);
/* Drop a counted stack once read for the last time, and a stack trace nothing else uses. */
/* A live process's record in the kernel now (start_ns 0: any): 0, or -ENOENT (gone, another process). */
int probes_proc_get(struct ct_session *s, uint32_t pid, uint64_t start_ns, struct ct_proc_rec *r);
void probes_forget_stack(struct ct_session *s, const struct ct_stack_key *k);
void probes_forget_trace(struct ct_session *s, int32_t id);
/* Drop a process's record and histograms from the maps (its exit was never seen). */
/* pid's final record (of the process that started at start_ns) waits in the map, marked exited. */
bool probes_final_waits(const struct ct_session *s, uint32_t pid, uint64_t start_ns);
void probes_forget(struct ct_session *s, uint32_t pid);
/*
 * A final record the kernel left in the map (ring full), read with the
 * histograms in hists (bit per enum ct_hist_id): delete them, if still that process's.
 */
void probes_forget_exited(struct ct_session *s, uint32_t pid, uint64_t start_ns, uint32_t hists);
/* Per attached program: the runs the kernel skipped, and what they feed. */
void probes_misses(const struct ct_session *s, struct ct_misses *m);

#endif
