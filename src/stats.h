/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The statistics cowtrace reports, in one table that every output, the
 * probe plan and the record format read: name (JSON field, plan and record
 * key), the counter it reads, its text column, its Prometheus family and
 * label value, its --events kind, the hooks that feed it and its tracepoint
 * mode.  The histograms have a table of their own (ct_hists).
 *
 * Adding a kind of copy touches its counter (include/cowtrace.h), its hook
 * (bpf/), and a row here; the outputs follow.
 */
#ifndef COWTRACE_STATS_H
#define COWTRACE_STATS_H
#include <stdbool.h>
#include <stdint.h>
#include "cowtrace.h"

enum ct_stat {
	ST_REUSE, ST_COPY, ST_COPY_ANON, ST_COPY_ZERO, ST_COPY_FILE, ST_COPY_KSM,
	ST_UNSHARE, ST_SHARED_REUSE, ST_THP_REUSE, ST_THP_SPLIT, ST_PINNED_COW,
	ST_UFFD_MISSING, ST_UFFD_WP, ST_UFFD_MINOR, ST_UFFD_SIGBUS, ST_MARKER_INSTALL,
	ST_COPIED_BYTES,
	/* copies by the memory they hit (enum ct_map_class) */
	ST_MAP_HEAP, ST_MAP_STACK, ST_MAP_ANON, ST_MAP_FILE, ST_MAP_SHMEM, ST_MAP_THP,
	/* forks (the parent's) and the page tables they copied */
	ST_FORKS, ST_PAGE_TABLE_BYTES,
	ST_WP_LATENCY, ST_UFFD_BLOCKED, ST_FORK_DURATION, ST_FORK_TO_COPY,
	ST_MAX,
};

/* A set of statistics: bit STAT_BIT(s) per enum ct_stat. */
typedef uint64_t ct_statmask;
#define STAT_BIT(s) ((ct_statmask)1 << (s))
#define STAT_ALL (ST_MAX >= 64 ? ~(ct_statmask)0 : STAT_BIT(ST_MAX) - 1)
_Static_assert(ST_MAX <= 64, "a ct_statmask has a bit per statistic: widen it");

enum ct_mode { MODE_NONE, MODE_FENTRY, MODE_KPROBE, MODE_TRACEPOINT };
enum ct_quality { Q_UNAVAILABLE, Q_DERIVED, Q_EXACT };

enum ct_stat_type {
	STAT_COUNTER,   /* one per-process counter */
	STAT_COPIES,    /* the sum of the copy kinds */
	STAT_BYTES,     /* (copies + unshare + pinned_cow) x page size */
	STAT_HIST,      /* histograms (ct_hists rows with this stat) */
};

/* Kernel hooks of the exact rungs (probes.c chooses and attaches them). */
enum ct_hook { HOOK_WP, HOOK_CPR, HOOK_ANON, HOOK_THP, HOOK_UFFD, HOOK_ZAP, HOOK_CLONE, HOOK_MAX };
#define HOOK_BIT(h) (1u << (h))

/* What a statistic needs beyond its hooks (exact rungs): of the kernel, or an option. */
enum ct_need { NEED_NOTHING, NEED_UNSHARE, NEED_UFFD_MINOR, NEED_LATENCY };

/* Prometheus counter families (a statistic is one label value of one). */
enum ct_prom_family {
	PF_NONE, PF_WRITE_FAULTS, PF_COW_COPIES, PF_THP_WRITE_FAULTS, PF_PINNED_COW,
	PF_UFFD_FAULTS, PF_MARKERS, PF_COPIED_BYTES, PF_COPIES_BY_MAPPING, PF_FORKS, PF_PAGE_TABLE_BYTES, PF_MAX,
};

struct ct_prom_family_desc {
	const char *name;        /* cowtrace_..._total */
	const char *help;
	const char *label;       /* the label telling members apart, NULL: one member */
};

/* The text report's per-process tables (a statistic's column is in one of them). */
enum ct_text_table {
	TT_NONE,                 /* no column (histograms) */
	TT_FAULTS,               /* PROCESSES: write faults, their copies, pinned COW, bytes */
	TT_OTHER,                /* OTHER EVENTS: THP, userfaultfd, markers (printed where any is non-zero) */
	TT_MAPS,                 /* COPIES BY MAPPING: pages copied by the memory they hit */
	TT_MAX,
};

struct ct_stat_desc {
	const char *name;        /* JSON field, plan key, record key */
	enum ct_stat_type type;
	int counter;             /* STAT_COUNTER: enum ct_counter */
	bool bytes;              /* a STAT_COUNTER of bytes: shown as "24.0K" in text */
	const char *column;      /* per-process text table's column */
	enum ct_text_table table;/* which text table has the column */
	bool always;             /* the column is printed even where every value is 0 */
	enum ct_prom_family family;
	const char *family_value;/* its label value in the family */
	const char *event_kind;  /* --events: "kind" of its counter's event, NULL: none */
	/* Exact rungs (fentry, kprobe): the hooks that feed it, and what else it needs. */
	unsigned hooks;
	enum ct_need needs;
	/* Fed by a tracepoint every rung loads (lifecycle.bpf.c): exact everywhere, this its hook. */
	const char *lifecycle;
	const char *note;        /* the plan's reason when it is available there */
	/* Tracepoint mode: quality, hook and reason as the plan states them. */
	enum ct_quality tp_quality;
	const char *tp_hook;
	const char *tp_reason;
};

extern const struct ct_stat_desc ct_stats[ST_MAX];
extern const struct ct_prom_family_desc ct_prom_families[PF_MAX];

/* Per-process histograms (enum ct_hist_id). */
enum ct_hist_family { HF_NONE, HF_WP_LATENCY, HF_UFFD_BLOCKED, HF_FORK_DURATION, HF_FORK_TO_COPY, HF_MAX };

struct ct_hist_desc {
	enum ct_stat stat;       /* the statistic whose availability it follows */
	const char *text;        /* text report title: "pid N (comm) TEXT:" */
	const char *unit;        /* hist_print unit, with divisor */
	unsigned divisor;
	enum ct_hist_family family; /* Prometheus histogram family */
	const char *family_value;   /* its label value (NULL: the family has one member, no label) */
};

struct ct_hist_family_desc {
	const char *name, *help, *label;
};

extern const struct ct_hist_desc ct_hists[CT_H_MAX];
extern const struct ct_hist_family_desc ct_hist_families[HF_MAX];

const char *ct_stat_name(enum ct_stat s);
/* A histogram's name (enum ct_hist_id), as JSON and record files give it: "wp_latency.copy". */
void ct_hist_name(int id, char *buf, size_t len);
int ct_stat_from_name(const char *name);
/* The mapping class (enum ct_map_class) a statistic counts copies of, or -1. */
int ct_stat_map(enum ct_stat s);
/* Whether a statistic counts bytes (copied_bytes, page_table_bytes): text shows it as "24.0K". */
bool ct_stat_is_bytes(enum ct_stat s);
/* The counter statistic of a counter (enum ct_counter), or -1. */
int ct_stat_of_counter(int counter);
/* A counter's name (its statistic's, or "forks"), as record files list them; NULL: none. */
const char *ct_counter_name(int counter);
/*
 * The event (enum ct_event_type) of which each one, of kind *kind, adds one to
 * statistic s; 0 if none does (a statistic counted from event values, or derived).
 */
unsigned ct_stat_event(enum ct_stat s, unsigned *kind);
/* Whether s is a kind of copy: "copy" is the sum of these. */
bool ct_stat_is_copy_kind(enum ct_stat s);
/* An event type (enum ct_event_type) as --events names it ("wp"); NULL if unknown. */
const char *ct_event_name(unsigned type);
/* A write fault's kind as --events, --stacks and JSON name it ("copy_anon"); "?" if unknown. */
const char *ct_wp_kind_name(unsigned kind);
/* A mapping class (enum ct_map_class): "heap", ...; "none" (CT_MAP_MAX: not a copy). */
const char *ct_map_name(unsigned map);
const char *ct_mode_name(enum ct_mode m);
const char *ct_quality_name(enum ct_quality q);

#endif
