// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Text for SVG and XML: escaped, valid UTF-8 only. */
#include <stdint.h>
#include <string.h>
#include "xml.h"

/* Length of the valid UTF-8 sequence at s (that XML accepts), else 0. */
static int utf8_len(const unsigned char *s, size_t left)
{
	uint32_t cp;
	int n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if ((size_t)n > left)
		return 0;
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/*
 * Text or attribute value: the five XML specials as entities, valid UTF-8 as
 * is, anything else (controls, stray bytes) as a visible \xNN.
 */
void xml_str(FILE *f, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strnlen(str, max);

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		int n;

		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (c >= 0x20 && c < 0x7f) {
				fputc(c, f);
			} else if (c >= 0x80 && (n = utf8_len(s + i, len - i))) {
				fwrite(s + i, 1, n, f);
				i += n;
				continue;
			} else {
				fprintf(f, "\\x%02x", c);
			}
		}
		i++;
	}
}
