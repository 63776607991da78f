/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gupunshare N: a read-only GUP pin unshares pages still shared with a child.
 *
 * The measured process populates N private anonymous pages and raw-forks a
 * child that keeps them mapped (it blocks reading a pipe; it writes
 * nothing).  The parent then reads the N pages with process_vm_readv() on
 * itself: the kernel pins them read-only (pin_user_pages_remote without
 * FOLL_WRITE), and since the refcount-based COW work a pinned anonymous
 * page must be exclusive to its process, so each page still shared with
 * the child is unshared: copied into the parent by an unshare fault, not a
 * write.  /proc/PID/pagemap is the oracle: before, parent and child map the
 * same page frame for each page; after, the parent maps a different one.
 *
 *   TRUTH scenario=gupunshare pid=PID child=PID n=N shared_before=S unshared=U
 *
 * S: pages with the same frame in both before the pin (== N); U: pages whose
 * frame in the parent changed while the child's stayed (the pin unshared
 * them).  Expected from the tracer: the parent's unshare == U == N.
 * SKIP where the kernel did not unshare (U == 0: no FAULT_FLAG_UNSHARE) or
 * pagemap shows no frames (not root).
 */
#include "common.h"
#include <sys/uio.h>

/* Page frame numbers of count pages at addr in pid's pagemap (0: not present). */
static void frames(pid_t pid, const char *addr, long count, unsigned long long *pfn)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s", path);
	for (long i = 0; i < count; i++) {
		unsigned long long e = 0;
		off_t off = (off_t)(((unsigned long)addr / page_size() + i) * 8);

		if (pread(fd, &e, 8, off) != 8)
			die("pread %s", path);
		pfn[i] = (e >> 63) & 1 ? e & ((1ULL << 55) - 1) : 0;
	}
	close(fd);
}

/* The child: block on read(fd, buf, 1) (buf in a MAP_SHARED page), then exit.  Registers only. */
static inline __attribute__((always_inline)) long raw_fork_block(int fd, volatile char *buf)
{
	long ret;
	register long rdi __asm__("rdi") = fd;
	register long rsi __asm__("rsi") = (long)buf;

	__asm__ volatile(
		"mov %[nr_fork], %%eax\n\t"
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"jnz 1f\n\t"
		"mov $1, %%edx\n\t"
		"mov %[nr_read], %%eax\n\t"
		"syscall\n\t"
		"xor %%edi, %%edi\n\t"
		"mov %[nr_exit], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		"1:\n"
		: "=a"(ret)
		: "r"(rdi), "r"(rsi), [nr_fork] "i"(SYS_fork), [nr_read] "i"(SYS_read),
		  [nr_exit] "i"(SYS_exit_group)
		: "rcx", "rdx", "r11", "memory", "cc");
	return ret;
}

int main(int argc, char **argv)
{
	long n, ps = page_size(), same = 0, unshared = 0;
	unsigned long long *pp0, *pc0, *pp1, *pc1;
	volatile char *shared;
	char *p, *dst;
	int pipefd[2];
	long child;

	n = count_arg(argc, argv, "N");
	shared = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pp0 = calloc(n, 8), pc0 = calloc(n, 8), pp1 = calloc(n, 8), pc1 = calloc(n, 8);
	if (shared == MAP_FAILED || !pp0 || !pc0 || !pp1 || !pc1 || pipe(pipefd))
		die("setup");
	shared[0] = 0;
	p = map_anon_pages(n);
	dst = map_anon_pages(n);
	memset(p, 0x42, (size_t)n * ps);
	memset(dst, 0, (size_t)n * ps);
	child = raw_fork_block(pipefd[0], shared);
	if (child < 0)
		die("fork");
	frames(getpid(), p, n, pp0);
	frames((pid_t)child, p, n, pc0);
	for (long i = 0; i < n; i++)
		same += pp0[i] && pp0[i] == pc0[i];
	if (!pp0[0])
		skip("pagemap shows no page frames (needs CAP_SYS_ADMIN)");
	{
		struct iovec local = { dst, (size_t)n * ps }, remote = { p, (size_t)n * ps };

		if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)(n * ps))
			die("process_vm_readv");
	}
	frames(getpid(), p, n, pp1);
	frames((pid_t)child, p, n, pc1);
	for (long i = 0; i < n; i++)
		unshared += pp0[i] == pc0[i] && pc1[i] == pc0[i] && pp1[i] && pp1[i] != pp0[i];
	if (write(pipefd[1], "x", 1) != 1)
		die("release the child");
	waitpid((pid_t)child, NULL, 0);
	if (!unshared)
		skip("the read-only pin unshared nothing (%ld pages shared): no FAULT_FLAG_UNSHARE", same);
	truth("scenario=gupunshare pid=%d child=%ld n=%ld shared_before=%ld unshared=%ld", (int)getpid(),
	      child, n, same, unshared);
	return 0;
}
