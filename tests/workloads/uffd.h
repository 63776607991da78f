/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* uffd.h: userfaultfd helpers shared by uffd.c and marker.c. */
#ifndef COWTRACE_WORKLOAD_UFFD_H
#define COWTRACE_WORKLOAD_UFFD_H

#include "common.h"
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>

/* A userfaultfd with the UFFDIO_API handshake done for `features`; SKIP if
 * userfaultfd or one of the features is not available. */
static inline int uffd_open(__u64 features, const char *what)
{
	struct uffdio_api api;
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd < 0 && errno == EPERM) {
		/* unprivileged_userfaultfd=0 and no CAP_SYS_PTRACE: try /dev/userfaultfd */
		int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
#ifdef USERFAULTFD_IOC_NEW
		if (dev >= 0)
			fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC);
#endif
		if (dev >= 0)
			close(dev);
	}
	if (fd < 0) {
		if (errno == ENOSYS || errno == EPERM || errno == ENOENT || errno == EACCES)
			skip("userfaultfd: %s", strerror(errno));
		die("userfaultfd");
	}
	memset(&api, 0, sizeof(api));
	api.api = UFFD_API;
	api.features = features;
	if (ioctl(fd, UFFDIO_API, &api)) {
		if (errno == EINVAL)
			skip("UFFDIO_API: %s not supported", what);
		die("UFFDIO_API");
	}
	if ((api.features & features) != features)
		skip("UFFDIO_API: %s not supported", what);
	return fd;
}

static inline void uffd_register(int fd, void *addr, size_t len, __u64 mode, const char *what)
{
	struct uffdio_register reg;
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)addr;
	reg.range.len = len;
	reg.mode = mode;
	if (ioctl(fd, UFFDIO_REGISTER, &reg)) {
		if (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP)
			skip("UFFDIO_REGISTER %s: %s", what, strerror(errno));
		die("UFFDIO_REGISTER %s", what);
	}
}

static inline void uffd_writeprotect(int fd, void *addr, size_t len, int protect)
{
	struct uffdio_writeprotect wp;
	memset(&wp, 0, sizeof(wp));
	wp.range.start = (unsigned long)addr;
	wp.range.len = len;
	wp.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0;
	if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp))
		die("UFFDIO_WRITEPROTECT(%s)", protect ? "wp" : "un-wp");
}

#endif
