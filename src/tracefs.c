// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tracefs.h"
#include "util.h"

/*
 * Value of flag NAME in a print_fmt __print_flags table: the text between the
 * '{' opening its entry and `"NAME"` is either `0x400u`-style (older kernels)
 * or `((1UL))) << (10)`-style (newer).  Returns 0 if absent.
 */
static uint64_t flag_value(const char *text, const char *name)
{
	char quoted[64];
	const char *q, *open, *p;

	snprintf(quoted, sizeof(quoted), "\"%s\"", name);
	q = strstr(text, quoted);
	if (!q)
		return 0;
	for (open = q; open > text && *open != '{'; open--)
		;
	for (p = q; p > open; p--) {
		if (p[0] == '<' && p[1] == '<') {
			const char *d = p + 2;

			while (*d == ' ' || *d == '(')
				d++;
			return 1ULL << strtoul(d, NULL, 10);
		}
	}
	p = strstr(open, "0x");
	if (p && p < q)
		return strtoull(p, NULL, 16);
	return 0;
}

int gfp_bits_from_format(const char *text, struct gfp_bits *out)
{
	static const char *const movable[] = { "__GFP_DIRECT_RECLAIM", "__GFP_KSWAPD_RECLAIM",
		"__GFP_IO", "__GFP_FS", "__GFP_HARDWALL", "__GFP_HIGHMEM", "__GFP_MOVABLE" };

	out->user_movable = 0;
	for (unsigned i = 0; i < sizeof(movable) / sizeof(movable[0]); i++) {
		uint64_t v = flag_value(text, movable[i]);

		if (!v)
			return -ENOENT;
		out->user_movable |= v;
	}
	out->zero = flag_value(text, "__GFP_ZERO");
	return out->zero ? 0 : -ENOENT;
}

bool tracefs_has_event(const char *event)
{
	static const char *const roots[] = { "/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events" };
	char path[256];

	for (int attempt = 0; attempt < 2; attempt++) {
		for (unsigned i = 0; i < 2; i++) {
			snprintf(path, sizeof(path), "%s/%s/id", roots[i], event);
			if (access(path, R_OK) == 0)
				return true;
		}
		if (attempt == 0 && access("/sys/kernel/tracing/events", F_OK) != 0)
			mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
		else
			break;
	}
	return false;
}

int tracefs_gfp_bits(struct gfp_bits *out, char *err, int errlen)
{
	static const char *const paths[] = {
		"/sys/kernel/tracing/events/kmem/mm_page_alloc/format",
		"/sys/kernel/debug/tracing/events/kmem/mm_page_alloc/format",
	};
	char *text = NULL;
	int ret;

	for (int attempt = 0; attempt < 2 && !text; attempt++) {
		for (unsigned i = 0; i < 2 && !text; i++)
			text = read_text_file(paths[i]);
		if (!text && attempt == 0)
			mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	}
	if (!text) {
		snprintf(err, errlen, "cannot read kmem/mm_page_alloc format from tracefs");
		return -ENOENT;
	}
	ret = gfp_bits_from_format(text, out);
	if (ret)
		snprintf(err, errlen, "no __GFP_* values in the kmem/mm_page_alloc format");
	free(text);
	return ret;
}
