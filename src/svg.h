/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * SVG chart for `cowtrace report FILE --svg OUT.svg`: pages copied over time,
 * one cumulative line per process.  Pure userspace: no libbpf, no globals, no
 * files; the caller feeds events and hands over the FILE to write to.
 *
 * What is counted.  A "copy" is a CT_EV_WP event of a copy kind
 * (ct_wp_is_copy(): one page each), plus the pages fork copied
 * at once because they were pinned (CT_EV_PINNED, value pages): those are real
 * copies, charged to the parent at the fork time, so the parent's line jumps
 * at its fork marker.  The legend tells how many of a process's pages were
 * copied at fork ("N at fork").  Reuses, unshares, THP and uffd events are not
 * drawn.
 *
 * The chart.  x: seconds since the first event of the stream (any type), up
 * to the last one.  y: cumulative pages copied.  One polyline per charted
 * process (the 8 with the most copies), in a fixed palette, plus a grey
 * "other processes" line for everything else; it starts at the process's
 * first copy and ends at its exit (else at the end of the stream).  Grey
 * dashed vertical lines labelled "fork" mark the forks made or undergone by a
 * charted process.  The legend, right of the plot, reads "comm (pid)" and the
 * total; comm is the last one seen for the pid (it follows exec and
 * PR_SET_NAME), XML-escaped, with bytes that are not valid UTF-8 (and control
 * characters) shown as \xNN.  No copies at all: a valid SVG that says "no
 * copies recorded".
 *
 * Bounded memory, single pass.  Time is kept in at most 512 buckets; when an
 * event falls beyond the last one, the bucket width doubles (adjacent pairs
 * are merged), so the resolution is the stream's length / 256 to / 512 and
 * fork markers are drawn at the start of their bucket.  Per-process series
 * exist only for processes that copy, in a table of 32 candidates managed
 * with Space-Saving: a process not in a full table takes the place of the one
 * with the fewest copies (that one's series joins "other").  Any process with
 * more than 1/32 of all copies is guaranteed to be charted; with at most 32
 * copying processes every count is exact.  A process evicted and readmitted
 * is charted with the copies made since its last admission (the earlier ones
 * are in "other").  The 256 most recent forks are remembered so that a
 * process admitted after its fork still gets its marker.
 */
#ifndef COWTRACE_SVG_H
#define COWTRACE_SVG_H
#include <stdio.h>
#include "cowtrace.h"

#define SVG_BUCKETS    512 /* time buckets, a power of two */
#define SVG_CANDIDATES 32  /* processes with their own series */
#define SVG_LINES      8   /* processes charted as separate lines */
#define SVG_FORK_RING  256 /* recent forks remembered for late admissions */

struct ct_svg;

struct ct_svg *svg_new(void);
/* Feed every event of the stream, in order.  Returns 0 or -ENOMEM. */
int svg_add(struct ct_svg *s, const struct ct_event *e);
/*
 * Write a self-contained SVG (no external references, no scripts).  title may
 * be NULL.  Returns 0 or -errno.
 */
int svg_write(FILE *f, const struct ct_svg *s, const char *title);
void svg_free(struct ct_svg *s);

#endif
