/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * forkcost ITEM...: what each fork cost its parent, by the parent's own
 * clock and the child's own /proc.  One fork per ITEM, in order:
 *
 *   N    N MiB of private anonymous memory in 4 KiB pages (MADV_NOHUGEPAGE),
 *        mapped and populated (a write per page), then a fork; the memory is
 *        unmapped once the child is gone, so every such fork sees the
 *        process's base plus N MiB;
 *   hN   the same with MADV_HUGEPAGE: huge pages need no page-table pages;
 *   xD   a fork whose child sleeps D ms, then execs this program (which
 *        exits at once).
 *
 * Just before an N/hN fork the parent reads its own VmRSS and counts its
 * VMAs (/proc/self/maps, less [vsyscall], which is not one of the mm's)
 * and its AnonHugePages (/proc/self/smaps_rollup).  The fork
 * is a raw syscall between two clock readings; the child, in one asm
 * block, reads its own /proc/self/status into a page of .bss the parent
 * touched and writes it to a pipe, then exits: it touches no memory whose
 * page tables were not copied (the binary is static, its text shares the
 * page table of its .data and .bss), so its VmPTE is the page tables fork
 * gave it.  Output:
 *
 *   TRUTH scenario=forkcost parent=PID n=K f0_kind=anon|thp|exec f0_mb=N
 *         f0_child=PID f0_vmpte_kb=KB f0_rss_kb=KB f0_vmas=V f0_user_ns=NS
 *         f0_huge_kb=KB f0_delay_ms=D ...
 *
 * (kb fields 0 for an exec item; user_ns is the parent's time around the
 * syscall, an upper bound on its time in the kernel.)
 */
/* cflags: -fno-pie -no-pie */
#include <stdbool.h>
#include "common.h"

#define STATUS_MAX 8192

static char status_buf[STATUS_MAX] __attribute__((aligned(4096)));
static const char status_path[] = "/proc/self/status";

/* fork; the child: read /proc/self/status into buf, write it to fd, exit.  The child's pid, or -errno. */
static long raw_fork_status(int fd)
{
	register long r12 __asm__("r12") = (long)status_path;
	register long r13 __asm__("r13") = (long)status_buf;
	register long r14 __asm__("r14") = fd;
	long ret;

	__asm__ volatile(
		"mov %[nr_fork], %%eax\n\t"
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"jnz 50f\n\t"
		/* child */
		"mov %%r12, %%rdi\n\t"
		"xor %%esi, %%esi\n\t"
		"xor %%edx, %%edx\n\t"
		"mov %[nr_open], %%eax\n\t"
		"syscall\n\t"
		"mov %%rax, %%rdi\n\t"
		"mov %%r13, %%rsi\n\t"
		"mov %[max], %%edx\n\t"
		"mov %[nr_read], %%eax\n\t"
		"syscall\n\t"
		"mov %%rax, %%rdx\n\t"
		"mov %%r14, %%rdi\n\t"
		"mov %%r13, %%rsi\n\t"
		"mov %[nr_write], %%eax\n\t"
		"syscall\n\t"
		"xor %%edi, %%edi\n\t"
		"mov %[nr_exit], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		"50:\n\t"
		: "=a"(ret)
		: "r"(r12), "r"(r13), "r"(r14), [nr_fork] "i"(SYS_fork), [nr_open] "i"(SYS_open),
		  [nr_read] "i"(SYS_read), [nr_write] "i"(SYS_write), [nr_exit] "i"(SYS_exit_group),
		  [max] "i"(STATUS_MAX - 1)
		: "rcx", "rdx", "rsi", "rdi", "r8", "r10", "r11", "memory", "cc");
	return ret;
}

/* "Key:   N kB" of a /proc text, or -1. */
static long kb_of(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static long file_kb(const char *path, const char *key)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	long n;

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		die("read %s: %s", path, strerror(errno));
	buf[n] = 0;
	return kb_of(buf, key);
}

/* The mm's VMAs: the lines of /proc/self/maps, less the [vsyscall] gate (not in mm->map_count). */
static long count_vmas(void)
{
	static char buf[1 << 16];
	long lines = 0, n, fd = open("/proc/self/maps", O_RDONLY);

	if (fd < 0)
		die("open /proc/self/maps: %s", strerror(errno));
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = 0;
		for (char *p = buf; (p = strchr(p, '\n')); p++)
			lines++;
		if (strstr(buf, "[vsyscall]"))
			lines--;
	}
	close(fd);
	return lines;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static char out[16384];

static void add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add(const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(out);

	va_start(ap, fmt);
	vsnprintf(out + n, sizeof(out) - n, fmt, ap);
	va_end(ap);
}

static void fork_memory(int i, long mb, bool huge)
{
	size_t len = (size_t)mb << 20;
	long ps = page_size(), child, vmpte, rss, vmas, huge_kb = 0;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long long t0, t1;
	int pfd[2], st;
	ssize_t n;

	if (m == MAP_FAILED)
		die("mmap %ld MiB: %s", mb, strerror(errno));
	/* 4 KiB pages unless asked: a kernel whose THP is "always" would map huge pages anyway */
	if (madvise(m, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		skip("madvise(%s): %s", huge ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE", strerror(errno));
	for (size_t off = 0; off < len; off += ps)
		m[off] = 1;
	if (pipe(pfd))
		die("pipe: %s", strerror(errno));
	memset(status_buf, 0, sizeof(status_buf)); /* present before the fork: the child's read copies it */
	huge_kb = file_kb("/proc/self/smaps_rollup", "AnonHugePages:");
	vmas = count_vmas();
	rss = file_kb("/proc/self/status", "VmRSS:");
	t0 = now_ns();
	child = raw_fork_status(pfd[1]);
	t1 = now_ns();
	if (child < 0)
		die("fork: %s", strerror((int)-child));
	close(pfd[1]);
	if (waitpid((pid_t)child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child %ld did not exit 0", child);
	n = read(pfd[0], status_buf, sizeof(status_buf) - 1);
	close(pfd[0]);
	if (n <= 0)
		die("the child wrote no status");
	status_buf[n] = 0;
	vmpte = kb_of(status_buf, "VmPTE:");
	if (vmpte < 0)
		die("no VmPTE in the child's status");
	munmap(m, len);
	add(" f%d_kind=%s f%d_mb=%ld f%d_child=%ld f%d_vmpte_kb=%ld f%d_rss_kb=%ld f%d_vmas=%ld f%d_user_ns=%lld"
	    " f%d_huge_kb=%ld f%d_delay_ms=0", i, huge ? "thp" : "anon", i, mb, i, child, i, vmpte, i, rss, i,
	    vmas, i, t1 - t0, i, huge_kb, i);
}

static void fork_exec(int i, long ms, char *self)
{
	long long t0, t1;
	pid_t child;
	int st;

	t0 = now_ns();
	child = fork();
	t1 = now_ns();
	if (child < 0)
		die("fork: %s", strerror(errno));
	if (child == 0) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		execv("/proc/self/exe", (char *[]){ self, "@exit", NULL });
		_exit(111);
	}
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		die("exec child %d did not exit 0", child);
	add(" f%d_kind=exec f%d_mb=0 f%d_child=%d f%d_vmpte_kb=0 f%d_rss_kb=0 f%d_vmas=0 f%d_user_ns=%lld"
	    " f%d_huge_kb=0 f%d_delay_ms=%ld", i, i, i, child, i, i, i, i, t1 - t0, i, i, ms);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "@exit"))
		return 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s ITEM...   (N: MiB, hN: MiB with MADV_HUGEPAGE, xD: fork+exec after D ms)\n",
			argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == 'h')
			fork_memory(i - 1, parse_long(a + 1, "hN"), true);
		else if (a[0] == 'x')
			fork_exec(i - 1, parse_long(a + 1, "xD"), argv[0]);
		else
			fork_memory(i - 1, parse_long(a, "N"), false);
	}
	truth("scenario=forkcost parent=%d n=%d%s", getpid(), argc - 1, out);
	return 0;
}
