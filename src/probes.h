/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Choosing, loading and attaching the BPF programs; the only libbpf user besides main.c. */
#ifndef COWTRACE_PROBES_H
#define COWTRACE_PROBES_H
#include <stdbool.h>
#include <stdint.h>
#include "plan.h"

struct ct_opts {
	uint32_t pid;            /* -p */
	int cgroup_fd;           /* -c, or -1 */
	bool follow;             /* -- CMD: trace the frontend's children */
	enum ct_mode mode;       /* --mode, MODE_NONE = best available */
	bool load_only;          /* load (verify) without attaching */
	bool verbose;
	uint32_t ringbuf_bytes;
};

struct cowtrace_bpf;
struct bpf_link;

struct ct_session {
	struct cowtrace_bpf *skel;
	struct bpf_link *links[32];
	int nlinks;
	struct ct_plan plan;
	char attempts[512];      /* what failed on the way down the ladder */
};

int probes_start(struct ct_session *s, const struct ct_opts *o, char *err, size_t errlen);
/* Stop new events (links gone); maps stay readable until probes_stop(). */
void probes_detach(struct ct_session *s);
void probes_stop(struct ct_session *s);
int probes_events_fd(const struct ct_session *s);
/* Sum of the per-CPU BPF-side counter idx (enum ct_stat_idx). */
uint64_t probes_stat(const struct ct_session *s, int idx);
/* Tracepoint mode: turn faults still pending in the kernel into events. */
int probes_flush_pending(struct ct_session *s, int (*cb)(void *ctx, const void *ev), void *ctx);

#endif
