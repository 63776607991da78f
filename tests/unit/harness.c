// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for cowtrace's pure userspace core: aggregation (agg.c),
 * histograms (hist.c), the probe plan (plan.c), the text and JSON reports
 * (output_text.c, output_json.c), GFP values from tracefs formats
 * (tracefs.c) and argument parsing (util.c).  No root, no BPF.
 *
 * This file is the harness: the runner, golden comparison, the JSON parser
 * and main(); the tests are in tests/unit/test_*.c, one file per module,
 * the shared synthetic event streams in tests/unit/streams.c.
 *
 *     .output/test_core [GOLDEN_DIR [FIXTURES_DIR]]
 *
 * GOLDEN_DIR defaults to tests/golden, FIXTURES_DIR to GOLDEN_DIR/../fixtures.
 * Prints "ok - NAME" or "not ok - NAME: DETAIL" per test (further failed
 * checks of the same test follow as "#" lines), then "N passed, N failed";
 * exits 1 if anything failed.  UPDATE_GOLDEN=1 rewrites the golden files
 * instead of comparing (then review the diff by hand: every number in them was
 * checked against the hand computation next to golden_stream[] in streams.c).
 * The "usecs" histogram rows were once corrected by hand while hist_print()
 * rebinned one slot too high; that is fixed (hist_print_usecs_rebin guards it).
 *
 * JSON validity: besides the parser below, the golden JSON files were checked
 * once by hand with
 *     python3 -m json.tool tests/golden/report.json >/dev/null
 *     python3 -m json.tool tests/golden/report_tp.json >/dev/null
 */
#include <unistd.h>
#include "harness.h"

/* ------------------------------------------------------------------ runner */

static int n_passed, n_failed;
static int cur_fails;
static char cur_detail[1024];
static char cur_more[8192];
static size_t cur_more_len;
static const char *golden_dir = "tests/golden";
char fixtures_dir[4096];
static int update_golden;
const char *check_context;

void check_failed(int line, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	int at = check_context ? snprintf(msg, sizeof(msg), "[%s] ", check_context) : 0;

	va_start(ap, fmt);
	vsnprintf(msg + at, sizeof(msg) - at, fmt, ap);
	va_end(ap);
	if (cur_fails == 0) {
		snprintf(cur_detail, sizeof(cur_detail), "line %d: %s", line, msg);
	} else if (cur_fails < 12 && cur_more_len < sizeof(cur_more) - 1) {
		int n = snprintf(cur_more + cur_more_len, sizeof(cur_more) - cur_more_len,
				 "#   line %d: %s\n", line, msg);

		if (n > 0)
			cur_more_len += (size_t)n;
		if (cur_more_len >= sizeof(cur_more))
			cur_more_len = sizeof(cur_more) - 1;
	}
	cur_fails++;
}

/* Print text with every line starting with "#". */
static void print_commented(const char *s)
{
	while (*s) {
		size_t n = strcspn(s, "\n");

		printf("%s%.*s\n", s[0] == '#' ? "" : "#   ", (int)n, s);
		s += n;
		if (*s)
			s++;
	}
}

void run(const char *name, void (*fn)(void))
{
	cur_fails = 0;
	cur_detail[0] = 0;
	cur_more[0] = 0;
	cur_more_len = 0;
	fn();
	if (!cur_fails) {
		printf("ok - %s\n", name);
		n_passed++;
	} else {
		/* one "not ok" line; anything multi-line continues as "#" lines */
		const char *nl = strchr(cur_detail, '\n');

		printf("not ok - %s: %.*s", name, nl ? (int)(nl - cur_detail) : (int)strlen(cur_detail),
		       cur_detail);
		if (cur_fails > 1)
			printf(" (+%d more failed checks)", cur_fails - 1);
		printf("\n");
		if (nl)
			print_commented(nl + 1);
		print_commented(cur_more);
		n_failed++;
	}
	fflush(stdout);
}

/* --------------------------------------------------------------- helpers */

char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t r;

		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = (cap ? cap * 2 : 8192));

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

char *fixture(const char *name)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", fixtures_dir, name);
	return read_whole(path, NULL);
}

/* Render a report into memory. */
char *render(writer_fn w, const struct ct_report *r, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	w(f, r);
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

/* --------------------------------------------------------- golden files */

/* Compare got with GOLDEN_DIR/name, or rewrite it under UPDATE_GOLDEN=1. */
void golden_compare(const char *name, const char *got, size_t got_len)
{
	char path[4200];
	size_t want_len = 0;
	char *want;

	snprintf(path, sizeof(path), "%s/%s", golden_dir, name);
	if (update_golden) {
		FILE *f = fopen(path, "wb");

		CHECK(f != NULL, "cannot write %s: %s", path, strerror(errno));
		if (f) {
			fwrite(got, 1, got_len, f);
			fclose(f);
		}
		return;
	}
	want = read_whole(path, &want_len);
	CHECK(want != NULL, "cannot read %s (UPDATE_GOLDEN=1 creates it)", path);
	if (!want)
		return;
	if (want_len != got_len || memcmp(want, got, got_len)) {
		/* first differing line */
		const char *w = want, *g = got;
		int line = 1;

		while (*w && *g && *w == *g) {
			if (*w == '\n')
				line++;
			w++;
			g++;
		}
		while (w > want && w[-1] != '\n')
			w--;
		while (g > got && g[-1] != '\n')
			g--;
		CHECK(0, "%s differs at line %d (-expected +got)\n-%.*s\n+%.*s", name, line,
		      (int)strcspn(w, "\n"), w, (int)strcspn(g, "\n"), g);
	}
	free(want);
}

/* Build a stream, render it with one writer, compare with a golden file. */
void golden_check(void (*build)(struct ct_agg *, struct ct_plan *, struct ct_report *),
		  void (*writer)(FILE *, const struct ct_report *), const char *file,
		  uint32_t nprocs, uint32_t nforks)
{
	struct ct_agg a;
	struct ct_plan pl;
	struct ct_report r;
	size_t n;
	char *s;

	build(&a, &pl, &r);
	CHECK_EQ(a.t.nprocs, nprocs);
	CHECK_EQ(a.nforks, nforks);
	s = render(writer, &r, &n);
	CHECK(s != NULL, "render failed");
	if (s)
		golden_compare(file, s, n);
	free(s);
	agg_free(&a);
}

/* -------------------------------------------------------- a little JSON */
struct jp {
	const char *p;
	int depth;
};

void jfree(struct jv *j)
{
	for (size_t i = 0; i < j->n; i++) {
		jfree(&j->v[i]);
		if (j->k)
			free(j->k[i]);
	}
	free(j->v);
	free(j->k);
	free(j->s);
	memset(j, 0, sizeof(*j));
}

static void jws(struct jp *p)
{
	while (*p->p == ' ' || *p->p == '\t' || *p->p == '\n' || *p->p == '\r')
		p->p++;
}

static int jstring(struct jp *p, char **out)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap);

	if (!s || *p->p != '"')
		goto bad;
	p->p++;
	while (*p->p != '"') {
		unsigned char c = (unsigned char)*p->p++;

		if (c < 0x20)
			goto bad;
		if (c == '\\') {
			char e = *p->p++;

			switch (e) {
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case '/': c = '/'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned v = 0;

				for (int i = 0; i < 4; i++) {
					char h = *p->p++;

					v <<= 4;
					if (h >= '0' && h <= '9')
						v |= (unsigned)(h - '0');
					else if (h >= 'a' && h <= 'f')
						v |= (unsigned)(h - 'a' + 10);
					else if (h >= 'A' && h <= 'F')
						v |= (unsigned)(h - 'A' + 10);
					else
						goto bad;
				}
				c = v < 0x100 ? (unsigned char)v : '?';
				break;
			}
			default:
				goto bad;
			}
		}
		if (n + 2 > cap) {
			char *ns = realloc(s, cap *= 2);

			if (!ns)
				goto bad;
			s = ns;
		}
		s[n++] = (char)c;
	}
	p->p++;
	s[n] = 0;
	*out = s;
	return 0;
bad:
	free(s);
	return -1;
}

static int jvalue(struct jp *p, struct jv *out);

static int jpush(struct jv *o, struct jv *v, char *key)
{
	struct jv *nv = realloc(o->v, (o->n + 1) * sizeof(*nv));

	if (!nv)
		return -1;
	o->v = nv;
	if (o->t == 'o') {
		char **nk = realloc(o->k, (o->n + 1) * sizeof(*nk));

		if (!nk)
			return -1;
		o->k = nk;
		o->k[o->n] = key;
	}
	o->v[o->n++] = *v;
	return 0;
}

static int jvalue(struct jp *p, struct jv *out)
{
	memset(out, 0, sizeof(*out));
	jws(p);
	if (++p->depth > 64)
		return -1;
	switch (*p->p) {
	case '{':
	case '[': {
		char close = *p->p == '{' ? '}' : ']';

		out->t = *p->p == '{' ? 'o' : 'a';
		p->p++;
		jws(p);
		if (*p->p == close) {
			p->p++;
			break;
		}
		for (;;) {
			struct jv v;
			char *key = NULL;

			jws(p);
			if (out->t == 'o') {
				if (jstring(p, &key))
					return -1;
				jws(p);
				if (*p->p++ != ':') {
					free(key);
					return -1;
				}
			}
			if (jvalue(p, &v) || jpush(out, &v, key)) {
				jfree(&v);
				free(key);
				return -1;
			}
			jws(p);
			if (*p->p == ',') {
				p->p++;
				continue;
			}
			if (*p->p++ != close)
				return -1;
			break;
		}
		break;
	}
	case '"':
		out->t = 's';
		if (jstring(p, &out->s))
			return -1;
		break;
	case 't':
	case 'f':
	case 'n': {
		static const char *const lit[] = { "true", "false", "null" };

		for (int i = 0; i < 3; i++) {
			size_t l = strlen(lit[i]);

			if (!strncmp(p->p, lit[i], l)) {
				out->t = i == 2 ? 'n' : 'b';
				out->b = i == 0;
				p->p += l;
				goto done;
			}
		}
		return -1;
	}
	default: {
		/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
		const char *s = p->p, *q = s;

		if (*q == '-')
			q++;
		if (*q == '0')
			q++;
		else if (*q >= '1' && *q <= '9')
			while (*q >= '0' && *q <= '9')
				q++;
		else
			return -1;
		if (*q == '.') {
			q++;
			if (!(*q >= '0' && *q <= '9'))
				return -1;
			while (*q >= '0' && *q <= '9')
				q++;
		}
		if (*q == 'e' || *q == 'E') {
			q++;
			if (*q == '+' || *q == '-')
				q++;
			if (!(*q >= '0' && *q <= '9'))
				return -1;
			while (*q >= '0' && *q <= '9')
				q++;
		}
		out->t = 'd';
		out->num = strtod(s, NULL);
		p->p = q;
	}
	}
done:
	p->depth--;
	return 0;
}

/* Parse a whole document: one value, then only white space. */
int jparse(const char *text, struct jv *out)
{
	struct jp p = { text, 0 };

	if (jvalue(&p, out)) {
		jfree(out);
		return -1;
	}
	jws(&p);
	if (*p.p) {
		jfree(out);
		return -1;
	}
	return 0;
}

const struct jv *jget(const struct jv *o, const char *key)
{
	if (!o || o->t != 'o')
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->k[i], key))
			return &o->v[i];
	return NULL;
}

/* ------------------------------------------------------------------- main */

static const struct {
	const char *name;
	void (*fn)(void);
} all_tests[] = {
#define T(name) { #name, ut_##name },
#include "unit_tests.inc"
#undef T
};

static void usage(void)
{
	fprintf(stderr, "usage: test_core [-l] [-t NAME]... [GOLDEN_DIR [FIXTURES_DIR]]\n"
			"  -t NAME  run only the tests whose name contains NAME (repeatable)\n"
			"  -l       list the tests\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *ug = getenv("UPDATE_GOLDEN");
	const char *only[64];
	int n_only = 0, list = 0, opt;
	size_t i;

	while ((opt = getopt(argc, argv, "lt:")) != -1) {
		if (opt == 't' && n_only < (int)(sizeof(only) / sizeof(only[0])))
			only[n_only++] = optarg;
		else if (opt == 'l')
			list = 1;
		else
			usage();
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc > 1)
		golden_dir = argv[1];
	if (argc > 2)
		snprintf(fixtures_dir, sizeof(fixtures_dir), "%s", argv[2]);
	else
		snprintf(fixtures_dir, sizeof(fixtures_dir), "%s/../fixtures", golden_dir);
	update_golden = ug && !strcmp(ug, "1");

	int matched = 0;
	for (i = 0; i < sizeof(all_tests) / sizeof(all_tests[0]); i++) {
		int want = !n_only;
		for (int j = 0; j < n_only && !want; j++)
			want = strstr(all_tests[i].name, only[j]) != NULL;
		if (!want)
			continue;
		matched++;
		if (list)
			printf("%s\n", all_tests[i].name);
		else
			run(all_tests[i].name, all_tests[i].fn);
	}
	if (n_only && !matched) {
		fprintf(stderr, "test_core: no test matches");
		for (int j = 0; j < n_only; j++)
			fprintf(stderr, " '%s'", only[j]);
		fprintf(stderr, " (test_core -l lists them)\n");
		return 2;
	}
	if (list)
		return 0;
	printf("%d passed, %d failed\n", n_passed, n_failed);
	return n_failed ? 1 : 0;
}
