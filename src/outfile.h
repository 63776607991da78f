/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Output files (--prom, --record, --svg): checked early, written atomically. */
#ifndef COWTRACE_OUTFILE_H
#define COWTRACE_OUTFILE_H
#include <stddef.h>
#include <stdio.h>

/* The directory and base name of path, for temp files beside it. */
void outfile_split(const char *path, char *dir, size_t dn, char *base, size_t bn);
/*
 * Whether path can be created: its directory exists, a temp file can be
 * made in it (made and removed), and path is not a directory.  0, or -1 with "OPT 'PATH': why" in err.
 */
int outfile_check(const char *opt, const char *path, char *err, size_t errlen);
/*
 * Write path atomically: fn writes a temp file ".BASE.XXXXXX" in the same
 * directory (not matching *.prom, so a textfile collector never reads it),
 * then fsync, mode 0644, rename.  fn returns 0 or -errno.  0, or -1 with
 * "OPT: why" in err and no temp file left.
 */
int outfile_write(const char *opt, const char *path, int (*fn)(FILE *f, void *ctx), void *ctx,
		  char *err, size_t errlen);

#endif
