// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "outfile.h"

void outfile_split(const char *path, char *dir, size_t dn, char *base, size_t bn)
{
	char a[4096], b[4096];

	snprintf(a, sizeof(a), "%s", path);
	snprintf(b, sizeof(b), "%s", path);
	snprintf(dir, dn, "%s", dirname(a));
	snprintf(base, bn, "%s", basename(b));
}

int outfile_check(const char *opt, const char *path, char *err, size_t errlen)
{
	char dir[4096], base[1024], tmp[5200];
	struct stat sb;
	int fd;

	outfile_split(path, dir, sizeof(dir), base, sizeof(base));
	if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s '%s': directory '%s' does not exist", opt, path, dir);
		return -1;
	}
	if (!stat(path, &sb) && S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s '%s': is a directory", opt, path);
		return -1;
	}
	/*
	 * access() says yes to root almost everywhere (sysfs, a read-only
	 * bind mount may still say no): make the temp file a write makes, and
	 * remove it.
	 */
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base);
	fd = access(dir, W_OK) ? -1 : mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s '%s': directory '%s' is not writable: %s", opt, path, dir,
			 strerror(errno));
		return -1;
	}
	close(fd);
	unlink(tmp);
	return 0;
}

int outfile_write(const char *opt, const char *path, int (*fn)(FILE *f, void *ctx), void *ctx,
		  char *err, size_t errlen)
{
	char dir[4096], base[1024], tmp[5200];
	FILE *f;
	int fd, e;

	outfile_split(path, dir, sizeof(dir), base, sizeof(base));
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base);
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a temp file in '%s': %s", opt, dir, strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", opt, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	e = fn(f, ctx);
	if (e || fflush(f) || ferror(f) || fsync(fd) || fchmod(fd, 0644)) {
		snprintf(err, errlen, "%s: writing '%s': %s", opt, tmp, strerror(e ? -e : errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path)) {
		snprintf(err, errlen, "%s: rename to '%s': %s", opt, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
