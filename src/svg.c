// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "svg.h"
#include "xml.h"

#define NS_PER_SEC   1000000000ULL
#define FIRST_WIDTH  1000ULL /* ns: initial bucket width */

/* Per-candidate time series, allocated on first admission. */
struct svg_series {
	uint64_t n[SVG_BUCKETS];   /* pages copied in each bucket */
	uint8_t fork[SVG_BUCKETS]; /* a fork of this process fell in the bucket */
};

struct svg_proc {
	bool used, exited;
	uint32_t pid;
	char comm[CT_COMM_LEN];
	uint64_t total;  /* pages copied since admission */
	uint64_t pinned; /* ... of which copied by fork (CT_EV_PINNED) */
	uint64_t err;    /* Space-Saving: count inherited at admission */
	uint64_t exit_ns;
	struct svg_series *ser;
};

struct svg_fork {
	uint64_t ts;
	uint32_t parent, child;
};

struct ct_svg {
	bool started;
	uint64_t t0, t_last;  /* first and last event */
	uint64_t width;       /* ns per bucket */
	uint32_t nb;          /* buckets in use */
	uint64_t copies, pinned;
	uint64_t other[SVG_BUCKETS]; /* evicted candidates */
	uint64_t other_total;
	uint32_t admitted, evicted;
	struct svg_proc proc[SVG_CANDIDATES];
	struct svg_fork forks[SVG_FORK_RING];
	uint32_t fork_next, nforks;
};

struct ct_svg *svg_new(void)
{
	struct ct_svg *s = calloc(1, sizeof(*s));

	if (s)
		s->width = FIRST_WIDTH;
	return s;
}

void svg_free(struct ct_svg *s)
{
	if (!s)
		return;
	for (int i = 0; i < SVG_CANDIDATES; i++)
		free(s->proc[i].ser);
	free(s);
}

/* Halve the resolution: bucket i becomes buckets 2i and 2i+1. */
static void merge_pairs(struct ct_svg *s)
{
	for (int p = 0; p < SVG_CANDIDATES; p++) {
		struct svg_series *r = s->proc[p].ser;

		if (!r)
			continue;
		for (int i = 0; i < SVG_BUCKETS / 2; i++) {
			r->n[i] = r->n[2 * i] + r->n[2 * i + 1];
			r->fork[i] = r->fork[2 * i] | r->fork[2 * i + 1];
		}
		memset(&r->n[SVG_BUCKETS / 2], 0, sizeof(r->n) / 2);
		memset(&r->fork[SVG_BUCKETS / 2], 0, sizeof(r->fork) / 2);
	}
	for (int i = 0; i < SVG_BUCKETS / 2; i++)
		s->other[i] = s->other[2 * i] + s->other[2 * i + 1];
	memset(&s->other[SVG_BUCKETS / 2], 0, sizeof(s->other) / 2);
	s->width *= 2;
	s->nb = (s->nb + 1) / 2;
}

/* Bucket of ts, widening the buckets until it fits.  Early events go to 0. */
static uint32_t bucket_of(struct ct_svg *s, uint64_t ts)
{
	uint64_t d = ts > s->t0 ? ts - s->t0 : 0;

	while (d / s->width >= SVG_BUCKETS)
		merge_pairs(s);
	if (d / s->width + 1 > s->nb)
		s->nb = (uint32_t)(d / s->width + 1);
	return (uint32_t)(d / s->width);
}

/* Bucket of ts when it is known to fit (ts <= t_last). */
static uint32_t bucket_in(const struct ct_svg *s, uint64_t ts)
{
	uint64_t b = (ts > s->t0 ? ts - s->t0 : 0) / s->width;

	return b < SVG_BUCKETS ? (uint32_t)b : SVG_BUCKETS - 1;
}

static struct svg_proc *find_live(struct ct_svg *s, uint32_t pid)
{
	for (int i = 0; i < SVG_CANDIDATES; i++)
		if (s->proc[i].used && !s->proc[i].exited && s->proc[i].pid == pid)
			return &s->proc[i];
	return NULL;
}

static void set_comm(struct svg_proc *p, const char *comm)
{
	memcpy(p->comm, comm, CT_COMM_LEN);
	p->comm[CT_COMM_LEN - 1] = 0;
}

/* Space-Saving: a free slot, else the one with the fewest (estimated) copies. */
static struct svg_proc *admit(struct ct_svg *s, const struct ct_event *e)
{
	struct svg_proc *p = NULL;
	struct svg_series *ser;
	uint64_t err = 0;

	for (int i = 0; i < SVG_CANDIDATES; i++) {
		struct svg_proc *c = &s->proc[i];

		if (!c->used) {
			p = c;
			break;
		}
		if (!p || c->total + c->err < p->total + p->err ||
		    (c->total + c->err == p->total + p->err && c->exited && !p->exited))
			p = c;
	}
	ser = p->ser;
	if (!ser) {
		ser = calloc(1, sizeof(*ser));
		if (!ser)
			return NULL;
	}
	if (p->used) {
		for (uint32_t i = 0; i < s->nb; i++)
			s->other[i] += ser->n[i];
		s->other_total += p->total;
		err = p->total + p->err;
		s->evicted++;
		memset(ser, 0, sizeof(*ser));
	}
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->pid = e->pid;
	p->err = err;
	p->ser = ser;
	set_comm(p, e->comm);
	s->admitted++;
	/* Forks it made or came from before it copied anything. */
	for (uint32_t i = 0; i < s->nforks; i++) {
		const struct svg_fork *f = &s->forks[i];

		if (f->parent == p->pid || f->child == p->pid)
			ser->fork[bucket_in(s, f->ts)] = 1;
	}
	return p;
}

static int add_copies(struct ct_svg *s, const struct ct_event *e, uint64_t pages, bool pinned)
{
	struct svg_proc *p;
	uint32_t b = bucket_of(s, e->ts_ns);

	if (!pages)
		return 0;
	p = find_live(s, e->pid);
	if (!p) {
		p = admit(s, e);
		if (!p)
			return -ENOMEM;
	}
	p->ser->n[b] += pages;
	p->total += pages;
	s->copies += pages;
	if (pinned) {
		p->pinned += pages;
		s->pinned += pages;
	}
	return 0;
}

static void add_fork(struct ct_svg *s, const struct ct_event *e)
{
	uint32_t b = bucket_of(s, e->ts_ns);
	struct svg_proc *p;

	s->forks[s->fork_next] = (struct svg_fork){ e->ts_ns, e->pid, e->aux };
	s->fork_next = (s->fork_next + 1) % SVG_FORK_RING;
	if (s->nforks < SVG_FORK_RING)
		s->nforks++;
	p = find_live(s, e->pid);
	if (p)
		p->ser->fork[b] = 1;
	/* A live candidate with the child's pid is an earlier process (exit lost). */
	p = find_live(s, e->aux);
	if (p && e->aux != e->pid) {
		p->exited = true;
		p->exit_ns = e->ts_ns;
	}
}

int svg_add(struct ct_svg *s, const struct ct_event *e)
{
	struct svg_proc *p;

	if (!s->started) {
		s->started = true;
		s->t0 = e->ts_ns;
	}
	if (e->ts_ns > s->t_last)
		s->t_last = e->ts_ns;
	bucket_of(s, e->ts_ns);
	p = find_live(s, e->pid);
	if (p)
		set_comm(p, e->comm); /* follows exec and prctl(PR_SET_NAME) */

	switch (e->type) {
	case CT_EV_WP:
		if (ct_wp_is_copy(e->kind))
			return add_copies(s, e, 1, false);
		break;
	case CT_EV_PINNED:
		return add_copies(s, e, e->value, true);
	case CT_EV_FORK:
		add_fork(s, e);
		break;
	case CT_EV_EXIT:
		if (p) {
			p->exited = true;
			p->exit_ns = e->ts_ns;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* ---- writing ---- */

/* Layout, in SVG user units (= CSS pixels). */
#define W        1000
#define H        540
#define PLOT_X   84
#define PLOT_Y   70
#define PLOT_W   636
#define PLOT_H   400
#define LEGEND_X 748

static const char *const palette[SVG_LINES] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
};
#define OTHER_COLOUR "#8a8a8a"

/* 1234567 -> "1,234,567" */
static char *fmt_count(char *buf, size_t len, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v), o = 0;

	for (int i = 0; i < n && o + 2 < (int)len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
	return buf;
}

static const char *pages(uint64_t n)
{
	return n == 1 ? "page" : "pages";
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

/* Smallest 1/2/5 x 10^k step giving at most 8 intervals up to max. */
static uint64_t nice_step(uint64_t max)
{
	static const unsigned m[] = { 1, 2, 5 };
	uint64_t p = 1;

	for (;;) {
		for (int i = 0; i < 3; i++)
			if (div_up(max, p * m[i]) <= 8)
				return p * m[i];
		if (p > UINT64_MAX / 100)
			return p * 10;
		p *= 10;
	}
}

/* max rounded up to a whole number of steps (unchanged if that overflows). */
static uint64_t nice_ceil(uint64_t max)
{
	uint64_t step = nice_step(max), q = div_up(max, step);

	return q > UINT64_MAX / step ? max : q * step;
}

/* ns -> seconds with just enough decimals for multiples of step. */
static char *fmt_secs(char *buf, size_t len, uint64_t ns, uint64_t step)
{
	uint64_t unit = NS_PER_SEC, v;
	char frac[10];
	int dec = 0;

	while (dec < 9 && step % unit) {
		unit /= 10;
		dec++;
	}
	v = ns % NS_PER_SEC / unit;
	for (int i = dec - 1; i >= 0; i--, v /= 10)
		frac[i] = (char)('0' + v % 10);
	frac[dec] = 0;
	snprintf(buf, len, "%llu%s%s", (unsigned long long)(ns / NS_PER_SEC), dec ? "." : "", frac);
	return buf;
}

struct line {
	const struct svg_proc *p; /* NULL: other processes */
	const uint64_t *n;
	uint64_t total;
	const char *colour;
};

struct frame {
	uint64_t xmax_ns, ymax;
	uint64_t width, span, t0;
};

static double px_x(const struct frame *fr, double ns)
{
	if (ns > (double)fr->xmax_ns)
		ns = (double)fr->xmax_ns;
	return PLOT_X + ns * PLOT_W / (double)fr->xmax_ns;
}

/* x of the start of bucket b (b * width may not fit in 64 bits). */
static double px_b(const struct frame *fr, uint32_t b)
{
	return px_x(fr, (double)b * (double)fr->width);
}

static double px_y(const struct frame *fr, uint64_t v)
{
	return PLOT_Y + PLOT_H - (double)v * PLOT_H / (double)fr->ymax;
}

static void header(FILE *f, const char *title, const char *sub)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Liberation Sans, Arial, sans-serif\" "
		"font-size=\"12\">\n<title>", W, H, W, H);
	xml_str(f, title, SIZE_MAX);
	fprintf(f, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W, H);
	fprintf(f, "<text x=\"%d\" y=\"30\" font-size=\"17\" font-weight=\"bold\" "
		"fill=\"#222222\">", PLOT_X);
	xml_str(f, title, SIZE_MAX);
	fputs("</text>\n", f);
	if (sub)
		fprintf(f, "<text x=\"%d\" y=\"50\" fill=\"#555555\">%s</text>\n", PLOT_X, sub);
}

static void plot_frame(FILE *f)
{
	fprintf(f, "<rect id=\"plot\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
		"stroke=\"#444444\" stroke-width=\"1\"/>\n", PLOT_X, PLOT_Y, PLOT_W, PLOT_H);
}

static void axes(FILE *f, const struct frame *fr)
{
	uint64_t xs = nice_step(fr->xmax_ns), ys = nice_step(fr->ymax);
	char buf[48];

	fputs("<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n", f);
	/* Counted loops: k * step never overflows, v += step could. */
	for (uint64_t k = 1; k <= (fr->ymax - 1) / ys; k++)
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n",
			PLOT_X, px_y(fr, k * ys), PLOT_X + PLOT_W, px_y(fr, k * ys));
	for (uint64_t k = 1; k <= (fr->xmax_ns - 1) / xs; k++)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n",
			px_x(fr, k * xs), PLOT_Y, px_x(fr, k * xs), PLOT_Y + PLOT_H);
	fputs("</g>\n<g class=\"ticks\" fill=\"#333333\">\n", f);
	for (uint64_t k = 0, v = 0; k <= fr->ymax / ys; k++, v = k * ys)
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#444444\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			PLOT_X - 5, px_y(fr, v), PLOT_X, px_y(fr, v), PLOT_X - 8, px_y(fr, v) + 4,
			fmt_count(buf, sizeof(buf), v));
	for (uint64_t k = 0, t = 0; k <= fr->xmax_ns / xs; k++, t = k * xs)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444444\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			px_x(fr, t), PLOT_Y + PLOT_H, px_x(fr, t), PLOT_Y + PLOT_H + 5,
			px_x(fr, t), PLOT_Y + PLOT_H + 19, fmt_secs(buf, sizeof(buf), t, xs));
	fputs("</g>\n", f);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#333333\">"
		"seconds since the first event</text>\n", PLOT_X + PLOT_W / 2, PLOT_Y + PLOT_H + 42);
	fprintf(f, "<text x=\"20\" y=\"%d\" text-anchor=\"middle\" fill=\"#333333\" "
		"transform=\"rotate(-90 20 %d)\">pages copied (cumulative)</text>\n",
		PLOT_Y + PLOT_H / 2, PLOT_Y + PLOT_H / 2);
}

/* Dashed markers at the buckets where a charted process forked or was born. */
static void fork_markers(FILE *f, const struct frame *fr, const struct line *l, int nl, uint32_t nb)
{
	double last_label = -1e9;

	fputs("<g class=\"forks\">\n", f);
	for (uint32_t b = 0; b < nb; b++) {
		bool hit = false;
		double x;

		for (int i = 0; i < nl && !hit; i++)
			hit = l[i].p && l[i].p->ser->fork[b];
		if (!hit)
			continue;
		x = px_b(fr, b);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#555555\" "
			"stroke-width=\"1\" stroke-dasharray=\"5 4\"/>\n", x, PLOT_Y, x, PLOT_Y + PLOT_H);
		if (x - last_label >= 40) {
			fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"#555555\">fork</text>\n",
				x + 3, PLOT_Y + 13);
			last_label = x;
		}
	}
	fputs("</g>\n", f);
}

static void legend_name(FILE *f, const struct line *l)
{
	if (!l->p) {
		fputs("other processes", f);
		return;
	}
	xml_str(f, l->p->comm, CT_COMM_LEN);
	fprintf(f, " (%u)", l->p->pid);
}

/*
 * Cumulative polyline: from (first copy's bucket start, 0) through each bucket
 * end where the count changes, then flat to the exit or the end of the stream.
 */
static void polyline(FILE *f, const struct frame *fr, const struct line *l, uint32_t nb)
{
	uint32_t first = 0, last = 0;
	uint64_t cum = 0, end;
	char buf[32];

	while (first < nb && !l->n[first])
		first++;
	for (uint32_t b = first; b < nb; b++)
		if (l->n[b])
			last = b;
	end = fr->span;
	if (l->p && l->p->exited) {
		uint64_t e = l->p->exit_ns > fr->t0 ? l->p->exit_ns - fr->t0 : 0;

		if (e < end)
			end = e;
	}
	fprintf(f, "<polyline class=\"line\" data-pid=\"%u\" data-total=\"%llu\" fill=\"none\" "
		"stroke=\"%s\" stroke-width=\"2.5\" stroke-linejoin=\"round\" stroke-linecap=\"round\" "
		"points=\"%.1f,%.1f", l->p ? l->p->pid : 0, (unsigned long long)l->total, l->colour,
		px_b(fr, first), px_y(fr, 0));
	for (uint32_t b = first; b <= last; b++) {
		cum += l->n[b];
		if (l->n[b] || (b + 1 <= last && l->n[b + 1]) || b == last)
			fprintf(f, " %.1f,%.1f", px_b(fr, b + 1), px_y(fr, cum));
	}
	if ((double)end > (double)(last + 1) * (double)fr->width)
		fprintf(f, " %.1f,%.1f", px_x(fr, (double)end), px_y(fr, cum));
	fputs("\"><title>", f);
	legend_name(f, l);
	fprintf(f, ": %s %s copied</title></polyline>\n", fmt_count(buf, sizeof(buf), l->total),
		pages(l->total));
}

static void legend(FILE *f, const struct line *l, int nl)
{
	char buf[32];

	fputs("<g class=\"legend\">\n", f);
	for (int i = 0; i < nl; i++) {
		int y = PLOT_Y + 8 + i * 38;

		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
			"stroke-width=\"4\"/>\n", LEGEND_X, y, LEGEND_X + 22, y, l[i].colour);
		fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#222222\">", LEGEND_X + 30, y + 4);
		legend_name(f, &l[i]);
		fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#666666\">%s %s",
			LEGEND_X + 30, y + 19, fmt_count(buf, sizeof(buf), l[i].total), pages(l[i].total));
		if (l[i].p && l[i].p->pinned)
			fprintf(f, " (%s at fork)", fmt_count(buf, sizeof(buf), l[i].p->pinned));
		if (l[i].p && l[i].p->exited)
			fputs(", exited", f);
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
}

static int finish(FILE *f)
{
	fputs("</svg>\n", f);
	if (fflush(f) || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

static int cmp_total(const void *a, const void *b)
{
	const struct svg_proc *x = *(const struct svg_proc *const *)a;
	const struct svg_proc *y = *(const struct svg_proc *const *)b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int svg_write(FILE *f, const struct ct_svg *s, const char *title)
{
	const struct svg_proc *order[SVG_CANDIDATES];
	struct line l[SVG_LINES + 1];
	uint64_t other[SVG_BUCKETS], other_total = s->other_total;
	uint32_t nb = s->nb ? s->nb : 1;
	char sub[256], b1[32], b2[32];
	struct frame fr = { 0 };
	int n = 0, nl = 0;

	if (!title)
		title = "cowtrace: pages copied over time";
	errno = 0;
	if (!s->copies) {
		header(f, title, NULL);
		plot_frame(f);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"16\" "
			"fill=\"#555555\">no copies recorded</text>\n",
			PLOT_X + PLOT_W / 2, PLOT_Y + PLOT_H / 2);
		return finish(f);
	}

	for (int i = 0; i < SVG_CANDIDATES; i++)
		if (s->proc[i].used && s->proc[i].total)
			order[n++] = &s->proc[i];
	qsort(order, n, sizeof(*order), cmp_total);
	memcpy(other, s->other, sizeof(other));
	for (int i = 0; i < n; i++) {
		if (i < SVG_LINES) {
			l[nl++] = (struct line){ order[i], order[i]->ser->n, order[i]->total, palette[i] };
			continue;
		}
		for (uint32_t b = 0; b < nb; b++)
			other[b] += order[i]->ser->n[b];
		other_total += order[i]->total;
	}
	if (other_total)
		l[nl++] = (struct line){ NULL, other, other_total, OTHER_COLOUR };

	fr.width = s->width;
	fr.t0 = s->t0;
	fr.span = s->t_last - s->t0;
	fr.xmax_ns = nice_ceil(fr.span > 1000 ? fr.span : 1000);
	for (int i = 0; i < nl; i++)
		if (l[i].total > fr.ymax)
			fr.ymax = l[i].total;
	/* Headroom: the top line does not run along the frame. */
	if (fr.ymax <= UINT64_MAX - fr.ymax / 20)
		fr.ymax += fr.ymax / 20;
	fr.ymax = nice_ceil(fr.ymax ? fr.ymax : 1);

	snprintf(sub, sizeof(sub), "%s %s copied", fmt_count(b1, sizeof(b1), s->copies),
		 pages(s->copies));
	if (s->pinned)
		snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), " (%s at fork)",
			 fmt_count(b2, sizeof(b2), s->pinned));
	if (s->evicted)
		snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), " by more than %d processes",
			 SVG_CANDIDATES);
	else
		snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), " by %u process%s",
			 s->admitted, s->admitted == 1 ? "" : "es");
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), " in %.3f s",
		 (double)fr.span / NS_PER_SEC);

	header(f, title, sub);
	axes(f, &fr);
	fork_markers(f, &fr, l, nl, nb);
	/* The biggest last, on top. */
	for (int i = nl - 1; i >= 0; i--)
		polyline(f, &fr, &l[i], nb);
	plot_frame(f);
	legend(f, l, nl);
	return finish(f);
}
