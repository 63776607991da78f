/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef COWTRACE_TRACEFS_H
#define COWTRACE_TRACEFS_H
#include <stdbool.h>
#include <stdint.h>

struct gfp_bits {
	uint64_t user_movable; /* GFP_HIGHUSER_MOVABLE */
	uint64_t zero;         /* __GFP_ZERO */
};

/*
 * Read the __GFP_* values that kmem:mm_page_alloc prints, from its tracefs
 * format file (mounting tracefs if needed).  Returns 0 or -errno.
 */
int tracefs_gfp_bits(struct gfp_bits *out, char *err, int errlen);
/* Whether tracefs has the event "system/name" (mounting tracefs if needed). */
bool tracefs_has_event(const char *event);
/* The same, from a format file's text (unit-testable). */
int gfp_bits_from_format(const char *text, struct gfp_bits *out);

#endif
