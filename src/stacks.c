// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Copies per stack: the table, folded stacks, top stacks and the flame graph. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "plan.h"
#include "stacks.h"
#include "stats.h"
#include "xml.h"

#define DEFAULT_MAX 1000000u

void stacks_init(struct ct_stacks *st)
{
	memset(st, 0, sizeof(*st));
}

void stacks_free(struct ct_stacks *st)
{
	for (uint32_t i = 0; i < st->n; i++) {
		free(st->v[i].frames);
		free(st->v[i].file);
	}
	free(st->v);
	free(st->index);
	stacks_set_hints(st, NULL, 0);
	memset(st, 0, sizeof(*st));
}

void stacks_set_hints(struct ct_stacks *st, char **v, int n)
{
	for (int i = 0; i < st->nhints; i++)
		free(st->hints[i]);
	free(st->hints);
	st->hints = v;
	st->nhints = n;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static uint64_t id_hash(const struct ct_stack_id *id)
{
	uint64_t h = 0;

	h = mix(h, id->pid);
	h = mix(h, id->start_ns);
	h = mix(h, (uint32_t)id->ustack);
	h = mix(h, (uint32_t)id->kstack);
	h = mix(h, (uint64_t)id->kind << 16 | (uint64_t)id->execs << 8 | id->map);
	h = mix(h, id->ino);
	return h * 0xff51afd7ed558ccdull;
}

static bool id_eq(const struct ct_stack_id *a, const struct ct_stack_id *b)
{
	return a->pid == b->pid && a->start_ns == b->start_ns && a->ustack == b->ustack &&
	       a->kstack == b->kstack && a->kind == b->kind && a->map == b->map && a->execs == b->execs && a->ino == b->ino;
}

/* The slot of id in the index: its entry (value-1), or the empty slot it would take. */
static uint32_t *slot_of(const struct ct_stacks *st, const struct ct_stack_id *id)
{
	uint32_t mask = st->index_cap - 1, i = (uint32_t)id_hash(id) & mask;

	while (st->index[i] && !id_eq(&st->v[st->index[i] - 1].id, id))
		i = (i + 1) & mask;
	return &st->index[i];
}

static int grow_index(struct ct_stacks *st)
{
	uint32_t cap = st->index_cap ? st->index_cap * 2 : 1024;
	uint32_t *old = st->index, old_cap = st->index_cap;

	st->index = calloc(cap, sizeof(*st->index));
	if (!st->index) {
		st->index = old;
		return -ENOMEM;
	}
	st->index_cap = cap;
	for (uint32_t i = 0; i < old_cap; i++)
		if (old[i])
			*slot_of(st, &st->v[old[i] - 1].id) = old[i];
	free(old);
	return 0;
}

bool stacks_known(const struct ct_stacks *st, const struct ct_stack_id *id)
{
	return st->index_cap && *slot_of(st, id);
}

/* Copy of s with what folded stacks cannot hold (';', newlines, controls) as '_'. */
static char *clean_dup(const char *s)
{
	char *d = strdup(s ? s : "");

	for (char *p = d; p && *p; p++)
		if (*p == ';' || (unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	return d;
}

/* The comm is the first frame of a folded line: no ';' in it either. */
static void set_comm(struct ct_stack *s, const char *comm)
{
	snprintf(s->comm, sizeof(s->comm), "%s", comm);
	for (char *p = s->comm; *p; p++)
		if (*p == ';' || (unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
}

int stacks_set(struct ct_stacks *st, const struct ct_stack_id *id, const char *comm, const char *frames,
	       const char *file, uint64_t pages)
{
	struct ct_stack *s;
	uint32_t *slot;

	if (id->kind >= CT_WP_KIND_MAX)
		return -EINVAL;
	if (!st->index_cap || (st->n + 1) * 4 > st->index_cap * 3)
		if (grow_index(st))
			goto drop;
	slot = slot_of(st, id);
	if (*slot) {
		s = &st->v[*slot - 1];
		s->pages = pages;
		if (comm && !strcmp(s->comm, "?")) /* its process was not known yet when it was named */
			set_comm(s, comm);
		return 0;
	}
	if (st->n >= (st->max ? st->max : DEFAULT_MAX))
		goto drop;
	if (st->n == st->cap) {
		uint32_t cap = st->cap ? st->cap * 2 : 256;
		struct ct_stack *v = realloc(st->v, cap * sizeof(*v));

		if (!v)
			goto drop;
		st->v = v;
		st->cap = cap;
	}
	s = &st->v[st->n];
	memset(s, 0, sizeof(*s));
	s->id = *id;
	s->pages = pages;
	s->forked = -1;
	set_comm(s, comm ? comm : "?");
	s->frames = frames ? strdup(frames) : strdup("");
	s->file = file ? clean_dup(file) : NULL;
	if (!s->frames || (file && !s->file)) {
		free(s->frames);
		free(s->file);
		goto drop;
	}
	*slot = ++st->n;
	return 0;
drop:
	st->dropped += pages;
	return -ENOMEM;
}

const char *stacks_kind_name(const struct ct_stacks *st, unsigned kind)
{
	return kind < 32 && ((st->generic >> kind) & 1) ? "copy" : ct_wp_kind_name(kind);
}

/* The innermost pseudo-frame: what the copy was and the memory it hit. */
static void leaf_name(const struct ct_stacks *st, const struct ct_stack *s, char *buf, size_t n)
{
	const char *kind = stacks_kind_name(st, s->id.kind);

	/* "in": [copy in anon] is a copy (of a kind not told) in anonymous memory, not copy_anon */
	if (s->id.map >= CT_MAP_MAX || st->maps_unknown)
		snprintf(buf, n, "[%s]", kind);
	else if (s->file)
		snprintf(buf, n, "[%s in %s %s]", kind, ct_map_name(s->id.map), s->file);
	else
		snprintf(buf, n, "[%s in %s]", kind, ct_map_name(s->id.map));
}

void stacks_mark_forked(struct ct_stacks *st, const struct ct_agg *agg)
{
	for (uint32_t i = 0; i < st->n; i++) {
		struct ct_stack *s = &st->v[i];
		const struct ct_proc *p = agg_proc_lookup(agg, s->id.pid, s->id.start_ns);

		if (!p)
			p = agg_find(agg, s->id.pid); /* a record's stack names its process by pid and start */
		s->forked = !p ? -1 : p->birth_fork >= 0 && (uint32_t)p->birth_fork < agg->nforks &&
				     (agg->forks[p->birth_fork].traced & CT_FORK_PARENT_TRACED);
	}
}

/* The root frame of a folded line, as --folded-by says. */
static void root_name(const struct ct_stacks *st, const struct ct_stack *s, char *buf, size_t n)
{
	if (st->key == FOLD_BY_PID)
		snprintf(buf, n, "%s (pid %u)", s->comm, s->id.pid);
	else if (st->key == FOLD_BY_FORK && s->forked >= 0)
		snprintf(buf, n, "%s (%s)", s->comm, s->forked ? "child" : "parent");
	else
		snprintf(buf, n, "%s", s->comm);
}

/* A stack's folded line without the count: "comm;frames;[kind in map]" (caller frees). */
static char *folded_line(const struct ct_stacks *st, const struct ct_stack *s)
{
	char leaf[4200], root[64], *line;
	size_t n;

	leaf_name(st, s, leaf, sizeof(leaf));
	root_name(st, s, root, sizeof(root));
	n = strlen(root) + strlen(s->frames) + strlen(leaf) + 3;
	line = malloc(n);
	if (line)
		snprintf(line, n, "%s;%s%s%s", root, s->frames, *s->frames ? ";" : "", leaf);
	return line;
}

struct fline {
	char *line;
	uint64_t pages;
	uint16_t kind;
};

static int cmp_fline(const void *a, const void *b)
{
	return strcmp(((const struct fline *)a)->line, ((const struct fline *)b)->line);
}

/* Every stack's folded line, sorted, equal lines merged: how many (-ENOMEM). */
static int64_t fold(const struct ct_stacks *st, struct fline **out)
{
	struct fline *v = calloc(st->n ? st->n : 1, sizeof(*v));
	uint32_t n = 0, m = 0;

	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < st->n; i++) {
		if (!st->v[i].pages)
			continue;
		v[n].line = folded_line(st, &st->v[i]);
		if (!v[n].line) {
			for (uint32_t j = 0; j < n; j++)
				free(v[j].line);
			free(v);
			return -ENOMEM;
		}
		v[n].pages = st->v[i].pages;
		v[n].kind = st->v[i].id.kind;
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_fline);
	for (uint32_t i = 0; i < n; i++) {
		if (m && !strcmp(v[m - 1].line, v[i].line)) {
			v[m - 1].pages += v[i].pages;
			free(v[i].line);
		} else {
			v[m++] = v[i];
		}
	}
	*out = v;
	return m;
}

static void free_flines(struct fline *v, int64_t n)
{
	for (int64_t i = 0; i < n; i++)
		free(v[i].line);
	free(v);
}

int stacks_folded(FILE *f, const struct ct_stacks *st)
{
	struct fline *v;
	int64_t n = fold(st, &v);

	if (n < 0)
		return (int)n;
	for (int64_t i = 0; i < n; i++)
		fprintf(f, "%s %" PRIu64 "\n", v[i].line, v[i].pages);
	free_flines(v, n);
	return 0;
}

static int cmp_top(const void *a, const void *b)
{
	const struct ct_stack_top *x = a, *y = b;
	int c;

	if (x->pages != y->pages)
		return x->pages < y->pages ? 1 : -1;
	c = strcmp(x->s->frames, y->s->frames);
	return c ? c : (int)x->s->id.kind - (int)y->s->id.kind;
}

static bool same_stack(const struct ct_stack *a, const struct ct_stack *b)
{
	return a->id.kind == b->id.kind && a->id.map == b->id.map && a->id.ino == b->id.ino &&
	       !strcmp(a->frames, b->frames);
}

int64_t stacks_top(const struct ct_stacks *st, uint32_t pid, uint64_t start_ns, struct ct_stack_top **out)
{
	struct ct_stack_top *t = NULL;
	uint32_t n = 0, cap = 0;

	*out = NULL;
	for (uint32_t i = 0; i < st->n; i++) {
		const struct ct_stack *s = &st->v[i];
		uint32_t j;

		if (s->id.pid != pid || (start_ns && s->id.start_ns && s->id.start_ns != start_ns) || !s->pages)
			continue;
		for (j = 0; j < n && !same_stack(t[j].s, s); j++)
			;
		if (j < n) {
			t[j].pages += s->pages;
			continue;
		}
		if (n == cap) {
			struct ct_stack_top *nt = realloc(t, (cap = cap ? cap * 2 : 16) * sizeof(*nt));

			if (!nt) {
				free(t);
				return -ENOMEM;
			}
			t = nt;
		}
		t[n].s = s;
		t[n++].pages = s->pages;
	}
	if (n)
		qsort(t, n, sizeof(*t), cmp_top);
	*out = t;
	return n;
}

void stacks_leaf(const struct ct_stacks *st, const struct ct_stack *s, char *buf, size_t n)
{
	leaf_name(st, s, buf, n);
}

/* ---- the flame graph ---- */

/* One frame of the graph: a node of the tree of folded lines. */
struct node {
	const char *name;        /* into a folded line */
	size_t len;
	uint64_t pages;
	uint64_t kind_pages[CT_WP_KIND_MAX];
	uint32_t child, next, last; /* first child, next sibling, last child (0: none) */
	uint16_t depth;
};

struct tree {
	const struct ct_stacks *st;
	struct node *v;
	uint32_t n, cap;
	uint16_t max_depth;
};

static int64_t new_node(struct tree *t, const char *name, size_t len, uint16_t depth)
{
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 1024;
		struct node *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	t->v[t->n].name = name;
	t->v[t->n].len = len;
	t->v[t->n].depth = depth;
	if (depth > t->max_depth)
		t->max_depth = depth;
	return t->n++;
}

/*
 * Add a folded line below the root.  The lines come sorted, so a frame's
 * children are met in order and its last child is the only one to compare
 * with: one pass, siblings in name order (as flamegraph.pl draws them).
 */
static int tree_add(struct tree *t, const struct fline *l)
{
	uint32_t cur = 0;
	const char *p = l->line;
	uint16_t depth = 0;

	t->v[0].pages += l->pages;
	t->v[0].kind_pages[l->kind] += l->pages;
	while (*p) {
		const char *e = strchr(p, ';');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		uint32_t c = t->v[cur].last;

		depth++;
		if (!c || t->v[c].len != len || memcmp(t->v[c].name, p, len)) {
			int64_t nc = new_node(t, p, len, depth);

			if (nc < 0)
				return (int)nc;
			if (!t->v[cur].child)
				t->v[cur].child = (uint32_t)nc;
			else
				t->v[t->v[cur].last].next = (uint32_t)nc;
			c = t->v[cur].last = (uint32_t)nc;
		}
		t->v[c].pages += l->pages;
		t->v[c].kind_pages[l->kind] += l->pages;
		cur = c;
		p = e ? e + 1 : p + len;
	}
	return 0;
}

#define FG_WIDTH    1200
#define FG_PAD      10
#define FG_FRAME    16
#define FG_TOP      52
#define FG_BOTTOM   44
#define FG_FONT     11
#define FG_CHAR     6.6  /* px per character of 11px monospace */
#define STR(x)      #x
#define XSTR(x)     STR(x)
#define FG_MIN_W    0.1  /* narrower frames (and what is above them) are not drawn */

/* Base hue, saturation, lightness per kind: warm for copies, cool for the rest. */
static const struct { int h, s, l; } kind_hsl[CT_WP_KIND_MAX] = {
	[CT_WP_REUSE] = { 120, 45, 55 },        /* green */
	[CT_WP_COPY_ANON] = { 14, 85, 58 },     /* orange-red */
	[CT_WP_COPY_ZERO] = { 48, 90, 55 },     /* yellow */
	[CT_WP_COPY_FILE] = { 210, 70, 60 },    /* blue */
	[CT_WP_COPY_KSM] = { 280, 55, 62 },     /* purple */
	[CT_WP_UNSHARE] = { 30, 45, 45 },       /* brown */
	[CT_WP_SHARED_REUSE] = { 175, 55, 45 }, /* teal */
};

static void hsl_rgb(int h, int s, int l, int *r, int *g, int *b)
{
	double S = s / 100.0, L = l / 100.0, C = (1 - fabs(2 * L - 1)) * S, hp = fmod(h + 360, 360) / 60.0;
	double X = C * (1 - fabs(fmod(hp, 2) - 1)), m = L - C / 2, R = 0, G = 0, B = 0;

	switch ((int)hp) {
	case 0: R = C, G = X; break;
	case 1: R = X, G = C; break;
	case 2: G = C, B = X; break;
	case 3: G = X, B = C; break;
	case 4: R = X, B = C; break;
	default: R = C, B = X;
	}
	*r = (int)((R + m) * 255 + 0.5);
	*g = (int)((G + m) * 255 + 0.5);
	*b = (int)((B + m) * 255 + 0.5);
}

/* The kind most of a frame's pages were copied as. */
static unsigned dominant(const struct node *n)
{
	unsigned k = 0;

	for (unsigned i = 1; i < CT_WP_KIND_MAX; i++)
		if (n->kind_pages[i] > n->kind_pages[k])
			k = i;
	return k;
}

/* The frame's fill: its dominant kind's colour, lighter or darker by its name (neighbours differ). */
static void fill_of(const struct node *n, char *buf, size_t len)
{
	unsigned k = dominant(n), h = 2166136261u;
	int r, g, b;

	for (size_t i = 0; i < n->len; i++)
		h = (h ^ (unsigned char)n->name[i]) * 16777619u;
	hsl_rgb(kind_hsl[k].h + (int)(h % 11) - 5, kind_hsl[k].s, kind_hsl[k].l + (int)((h >> 8) % 13) - 6, &r, &g,
		&b);
	snprintf(buf, len, "#%02x%02x%02x", r, g, b);
}

static void fmt_pages(char *buf, size_t len, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v), o = 0;

	for (int i = 0; i < n && o + 2 < (int)len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = 0;
}

static void fg_frame(FILE *f, const struct tree *t, uint32_t i, double x, double w, double scale)
{
	const struct node *n = &t->v[i];
	double y = FG_TOP + (double)(t->max_depth - n->depth) * FG_FRAME, cx = x;
	uint64_t total = t->v[0].pages;
	/* characters that fit; a record whose page counts wrap can make w far wider than the image */
	double fit = w / FG_CHAR - 1;
	int chars = fit < 0 ? -1 : fit > FG_WIDTH ? FG_WIDTH : (int)fit;
	char fill[16], num[32];

	fill_of(n, fill, sizeof(fill));
	fmt_pages(num, sizeof(num), n->pages);
	fprintf(f, "<g class=\"f\" data-d=\"%u\" data-n=\"", n->depth);
	xml_str(f, n->name, n->len);
	fprintf(f, "\" onclick=\"zoom(this)\"><title>");
	xml_str(f, n->name, n->len);
	fprintf(f, ": %s page%s (%.2f%%)", num, n->pages == 1 ? "" : "s", total ? 100.0 * n->pages / total : 0);
	for (unsigned k = 0; k < CT_WP_KIND_MAX; k++)
		if (n->kind_pages[k] && n->kind_pages[k] != n->pages) {
			fmt_pages(num, sizeof(num), n->kind_pages[k]);
			fprintf(f, ", %s %s", stacks_kind_name(t->st, k), num);
		}
	fprintf(f, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" rx=\"2\" "
		   "data-x=\"%.2f\" data-w=\"%.2f\" data-c=\"%s\"/><text x=\"%.2f\" y=\"%.1f\">",
		x, y, w, FG_FRAME - 1, fill, x, w, fill, x + 3, y + FG_FRAME - 4.5);
	if (chars >= 3)
		xml_str(f, n->name, (size_t)chars >= n->len ? n->len : (size_t)chars - 2);
	if (chars >= 3 && (size_t)chars < n->len)
		fputs("..", f);
	fputs("</text></g>\n", f);
	for (uint32_t c = n->child; c; c = t->v[c].next) {
		double cw = t->v[c].pages * scale;

		if (cw >= FG_MIN_W)
			fg_frame(f, t, c, cx, cw, scale);
		cx += cw;
	}
}

static const char fg_script[] =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"var W=" XSTR(FG_WIDTH) ",P=" XSTR(FG_PAD) ",C=" XSTR(FG_CHAR) ";\n"
	"function fr(){return document.querySelectorAll('g.f');}\n"
	"function label(g,w){var t=g.querySelector('text'),n=g.getAttribute('data-n'),c=Math.floor(w/C)-1;\n"
	" t.textContent=c<3?'':(n.length<=c?n:n.substr(0,c-2)+'..');}\n"
	"function place(g,x,w,o){var r=g.querySelector('rect');r.setAttribute('x',x);r.setAttribute('width',w);\n"
	" g.querySelector('text').setAttribute('x',x+3);label(g,w);g.style.display='';g.style.opacity=o;}\n"
	"function zoom(z){var r=z.querySelector('rect'),x0=+r.getAttribute('data-x'),w0=+r.getAttribute('data-w'),\n"
	" d0=+z.getAttribute('data-d'),k=(W-2*P)/w0,e=1e-6;\n"
	" fr().forEach(function(g){var q=g.querySelector('rect'),x=+q.getAttribute('data-x'),\n"
	"  w=+q.getAttribute('data-w'),d=+g.getAttribute('data-d');\n"
	"  if(d<d0&&x<=x0+e&&x+w>=x0+w0-e)place(g,P,W-2*P,'0.6');\n"
	"  else if(d>=d0&&x>=x0-e&&x+w<=x0+w0+e)place(g,P+(x-x0)*k,w*k,'');\n"
	"  else g.style.display='none';});\n"
	" document.getElementById('unzoom').style.display='';}\n"
	"function unzoom(){fr().forEach(function(g){var q=g.querySelector('rect');\n"
	"  place(g,+q.getAttribute('data-x'),+q.getAttribute('data-w'),'');});\n"
	" document.getElementById('unzoom').style.display='none';}\n"
	"function search(){var s=prompt('Frames matching (regular expression):'),re,m=0;\n"
	" if(s===null)return;try{re=new RegExp(s);}catch(x){return;}\n"
	" fr().forEach(function(g){var q=g.querySelector('rect'),hit=s!==''&&re.test(g.getAttribute('data-n'));\n"
	"  q.setAttribute('fill',hit?'#e040fb':q.getAttribute('data-c'));if(hit)m++;});\n"
	" document.getElementById('matched').textContent=s===''?'':m+' frames match '+s;}\n"
	"]]></script>\n";

int stacks_flamegraph(FILE *f, const struct ct_stacks *st, const char *title)
{
	struct tree t = { .st = st };
	struct fline *l;
	int64_t n = fold(st, &l);
	uint64_t total;
	double scale;
	int err = 0, height, y;
	char num[32];
	bool seen[CT_WP_KIND_MAX] = { false };

	if (n < 0)
		return (int)n;
	if (new_node(&t, "all", 3, 0) < 0)
		err = -ENOMEM;
	for (int64_t i = 0; !err && i < n; i++) {
		err = tree_add(&t, &l[i]);
		seen[l[i].kind] = true;
	}
	if (err)
		goto out;
	total = t.v[0].pages;
	height = FG_TOP + (t.max_depth + 1) * FG_FRAME + FG_BOTTOM;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\">\n", FG_WIDTH, height, FG_WIDTH, height);
	fputs(fg_script, f);
	fprintf(f, "<style>text{font-family:monospace;font-size:%dpx;fill:#000}g.f text{pointer-events:none}"
		   "g.f:hover rect{stroke:#000;stroke-width:0.5}.b{cursor:pointer;fill:#1f5fa8}</style>\n",
		FG_FONT);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fdfdf8\"/>\n");
	fprintf(f, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" style=\"font-size:16px\">", FG_WIDTH / 2);
	xml_str(f, title && *title ? title : "Copy-on-write copies by stack", 200);
	fmt_pages(num, sizeof(num), total);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"38\" text-anchor=\"middle\">%s page%s; width: pages; "
		   "colour: the kind most of a frame's pages were; click a frame to zoom</text>\n",
		FG_WIDTH / 2, num, total == 1 ? "" : "s");
	fprintf(f, "<text id=\"unzoom\" class=\"b\" x=\"%d\" y=\"20\" style=\"display:none\" "
		   "onclick=\"unzoom()\">Reset zoom</text>\n", FG_PAD);
	fprintf(f, "<text class=\"b\" x=\"%d\" y=\"20\" text-anchor=\"end\" onclick=\"search()\">Search</text>\n",
		FG_WIDTH - FG_PAD);
	fprintf(f, "<text id=\"matched\" x=\"%d\" y=\"38\" text-anchor=\"end\"></text>\n", FG_WIDTH - FG_PAD);
	scale = total ? (double)(FG_WIDTH - 2 * FG_PAD) / total : 0;
	if (total)
		fg_frame(f, &t, 0, FG_PAD, total * scale, scale);
	else
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no stacks recorded</text>\n",
			FG_WIDTH / 2, FG_TOP + FG_FRAME);
	/* the legend: the kinds present */
	y = height - 16;
	for (unsigned k = 0, x = FG_PAD; k < CT_WP_KIND_MAX; k++) {
		int r, g, b;

		if (!seen[k])
			continue;
		hsl_rgb(kind_hsl[k].h, kind_hsl[k].s, kind_hsl[k].l, &r, &g, &b);
		fprintf(f, "<rect x=\"%u\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#%02x%02x%02x\"/>"
			   "<text x=\"%u\" y=\"%d\">%s</text>\n", x, y - 10, r, g, b, x + 16, y, stacks_kind_name(st, k));
		x += 16 + (unsigned)(strlen(stacks_kind_name(st, k)) * FG_CHAR) + 20;
	}
	fputs("</svg>\n", f);
	if (ferror(f))
		err = -EIO;
out:
	free(t.v);
	free_flines(l, n);
	return err;
}

void stacks_set_plan(struct ct_stacks *st, const struct ct_plan *plan)
{
	st->maps_unknown = !plan_available(plan, ST_MAP_HEAP);
	st->generic = plan_generic_copies(plan);
}
