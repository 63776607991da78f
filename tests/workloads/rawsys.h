/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rawsys.h: raw x86-64 syscalls for the cowtrace test workloads.
 *
 * Why: the tracer counts write faults on read-only (COW) ptes per process over
 * the process's whole life.  glibc's fork() writes the TLS and the stack in
 * both processes after the fork, which would add copy/reuse events we did not
 * ask for.  Everything that runs after a fork in a measured process therefore
 * lives in ONE inline-asm block that uses registers only: no stack, no TLS, no
 * calls, no returns.
 *
 * All helpers are static inline always_inline; x86-64 only.
 */
#ifndef COWTRACE_RAWSYS_H
#define COWTRACE_RAWSYS_H

#if !defined(__x86_64__)
#error "rawsys.h: x86-64 only"
#endif

#include <sys/syscall.h>

static inline __attribute__((always_inline)) long raw_syscall1(long nr, long a1)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1)
			 : "rcx", "r11", "memory");
	return ret;
}

/* fork(2) without glibc: no TLS/stack writes by libc in either process. */
static inline __attribute__((always_inline)) long raw_fork(void)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"((long)SYS_fork)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline, noreturn)) void raw_exit_group(int code)
{
	__asm__ volatile("syscall" : : "a"((long)SYS_exit_group), "D"((long)code) : "rcx", "r11", "memory");
	__builtin_unreachable();
}

/* wait4(pid, NULL, 0, NULL) */
static inline __attribute__((always_inline)) long raw_wait4(long pid)
{
	long ret;
	register long r10 __asm__("r10") = 0;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"((long)SYS_wait4), "D"(pid), "S"(0L), "d"(0L), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Write one byte (1) at base + i*stride for i in [0, count).  Register-only. */
static inline __attribute__((always_inline)) void raw_write_pages(char *base, long stride, long count)
{
	__asm__ volatile("test %1, %1\n\t"
			 "jz 2f\n"
			 "1:\n\t"
			 "movb $1, (%0)\n\t"
			 "add %2, %0\n\t"
			 "dec %1\n\t"
			 "jnz 1b\n"
			 "2:\n"
			 : "+r"(base), "+r"(count)
			 : "r"(stride)
			 : "memory", "cc");
}

/* Read one byte at base + i*stride for i in [0, count).  Register-only. */
static inline __attribute__((always_inline)) void raw_read_pages(const char *base, long stride, long count)
{
	long tmp;
	__asm__ volatile("test %1, %1\n\t"
			 "jz 2f\n"
			 "1:\n\t"
			 "movzbl (%0), %k3\n\t"
			 "add %2, %0\n\t"
			 "dec %1\n\t"
			 "jnz 1b\n"
			 "2:\n"
			 : "+r"(base), "+r"(count), "+r"(stride), "=&r"(tmp)
			 :
			 : "memory", "cc");
}

/*
 * The whole post-fork life of a measured process pair, as ONE asm block (so
 * the compiler cannot put a spill, a call or a stack access in between):
 *
 *   pid = fork()
 *   child:  read  1 byte of each of the first child_reads  pages at base,
 *           write 1 byte of each of the first child_writes pages at base,
 *           exit_group(0)
 *   parent: *pidslot = pid      (pidslot must be in a MAP_SHARED mapping that
 *                                the parent already wrote before: its pte is
 *                                present and writable and fork keeps it so)
 *           wait4(pid, NULL, 0, NULL)
 *           write 1 byte of each of the first parent_writes pages at base,
 *           exit_group(0)
 *   fork failure: exit_group(111)
 *
 * Page i is at base + i*stride.  Never returns.
 */
static inline __attribute__((always_inline, noreturn)) void
raw_fork_and_touch(char *base, long stride, long child_reads, long child_writes, long parent_writes,
		   volatile long *pidslot)
{
	register long r12 __asm__("r12") = (long)base;
	register long r13 __asm__("r13") = stride;
	register long r14 __asm__("r14") = child_reads;
	register long r15 __asm__("r15") = child_writes;
	register long rbx __asm__("rbx") = parent_writes;
	register long r9 __asm__("r9") = (long)pidslot;

	__asm__ volatile(
		"mov %[nr_fork], %%eax\n\t"
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"js 90f\n\t"
		"jnz 50f\n\t"
		/* ---- child ---- */
		"mov %%r12, %%rdi\n\t"
		"mov %%r14, %%rcx\n\t"
		"test %%rcx, %%rcx\n\t"
		"jz 11f\n"
		"10:\n\t"
		"movzbl (%%rdi), %%edx\n\t"
		"add %%r13, %%rdi\n\t"
		"dec %%rcx\n\t"
		"jnz 10b\n"
		"11:\n\t"
		"mov %%r12, %%rdi\n\t"
		"mov %%r15, %%rcx\n\t"
		"test %%rcx, %%rcx\n\t"
		"jz 13f\n"
		"12:\n\t"
		"movb $1, (%%rdi)\n\t"
		"add %%r13, %%rdi\n\t"
		"dec %%rcx\n\t"
		"jnz 12b\n"
		"13:\n\t"
		"xor %%edi, %%edi\n\t"
		"mov %[nr_exit], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		/* ---- parent ---- */
		"50:\n\t"
		"mov %%rax, (%%r9)\n\t"
		"mov %%rax, %%rdi\n\t"
		"xor %%esi, %%esi\n\t"
		"xor %%edx, %%edx\n\t"
		"xor %%r10d, %%r10d\n\t"
		"mov %[nr_wait4], %%eax\n\t"
		"syscall\n\t"
		"mov %%r12, %%rdi\n\t"
		"mov %%rbx, %%rcx\n\t"
		"test %%rcx, %%rcx\n\t"
		"jz 52f\n"
		"51:\n\t"
		"movb $1, (%%rdi)\n\t"
		"add %%r13, %%rdi\n\t"
		"dec %%rcx\n\t"
		"jnz 51b\n"
		"52:\n\t"
		"xor %%edi, %%edi\n\t"
		"mov %[nr_exit], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		/* ---- fork failed ---- */
		"90:\n\t"
		"mov $111, %%edi\n\t"
		"mov %[nr_exit], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		:
		: "r"(r12), "r"(r13), "r"(r14), "r"(r15), "r"(rbx), "r"(r9),
		  [nr_fork] "i"(SYS_fork), [nr_exit] "i"(SYS_exit_group), [nr_wait4] "i"(SYS_wait4)
		: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r10", "r11", "memory", "cc");
	__builtin_unreachable();
}

#endif /* COWTRACE_RAWSYS_H */
