/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * forkdelay D1 D2 D3: copies at known times after a fork.
 *
 * The measured process populates 4 private anonymous pages and raw-forks;
 * the child writes page 0 at once, then sleeps D1 ms and writes page 1,
 * sleeps D2 ms and writes page 2, sleeps D3 ms and writes page 3, and exits
 * (one asm block: its sleeps read their timespecs from a MAP_SHARED page, so
 * the child writes nothing else).  The parent waits and exits.
 *
 *   TRUTH scenario=forkdelay parent=PID child=PID d1=D1 d2=D2 d3=D3
 *
 * Expected from the tracer: the child's 4 copies, and its fork_to_copy
 * histogram has one sample at or after D1, D1+D2 and D1+D2+D3 ms each
 * (plus scheduling), and one before D1.
 */
#include "common.h"

/* Child: for i in 0..3: write page i, then (i < 3) nanosleep(&ts[i]); exit.  Parent: wait4, exit. */
static inline __attribute__((always_inline, noreturn)) void
raw_fork_delays(char *base, long stride, struct timespec *ts, volatile long *pidslot)
{
	register long r12 __asm__("r12") = (long)base;
	register long r13 __asm__("r13") = stride;
	register long r14 __asm__("r14") = (long)ts;
	register long r15 __asm__("r15") = (long)pidslot;

	__asm__ volatile(
		"mov %[nr_fork], %%eax\n\t"
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"js 90f\n\t"
		"jnz 50f\n\t"
		"xor %%ebx, %%ebx\n"
		"10:\n\t"
		"movb $1, (%%r12)\n\t"
		"add %%r13, %%r12\n\t"
		"cmp $3, %%rbx\n\t"
		"je 20f\n\t"
		"mov %%rbx, %%rdi\n\t"
		"shl $4, %%rdi\n\t"
		"add %%r14, %%rdi\n\t"
		"xor %%esi, %%esi\n\t"
		"mov %[nr_sleep], %%eax\n\t"
		"syscall\n\t"
		"inc %%rbx\n\t"
		"jmp 10b\n"
		"20:\n\t"
		"xor %%edi, %%edi\n\t"
		"mov %[nr_exit], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		"50:\n\t"
		"mov %%rax, (%%r15)\n\t"
		"mov %%rax, %%rdi\n\t"
		"xor %%esi, %%esi\n\t"
		"xor %%edx, %%edx\n\t"
		"xor %%r10d, %%r10d\n\t"
		"mov %[nr_wait4], %%eax\n\t"
		"syscall\n\t"
		"xor %%edi, %%edi\n\t"
		"mov %[nr_exit], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		"90:\n\t"
		"mov $111, %%edi\n\t"
		"mov %[nr_exit], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		:
		: "r"(r12), "r"(r13), "r"(r14), "r"(r15), [nr_fork] "i"(SYS_fork),
		  [nr_sleep] "i"(SYS_nanosleep), [nr_exit] "i"(SYS_exit_group), [nr_wait4] "i"(SYS_wait4)
		: "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r10", "r11", "memory", "cc");
	__builtin_unreachable();
}

static int measured(int argc, char **argv)
{
	struct shared_page *sh = measured_attach(argc, argv);
	long ps = page_size();
	struct timespec *ts;
	char *p;

	if (argc != 6)
		die("measured: usage");
	/* the timespecs live in the shared page, after struct shared_page */
	ts = (struct timespec *)((char *)sh + 256);
	for (int i = 0; i < 3; i++) {
		long ms = parse_long(argv[3 + i], "D");

		ts[i].tv_sec = ms / 1000;
		ts[i].tv_nsec = (ms % 1000) * 1000000L;
	}
	pin_to_one_cpu();
	p = map_anon_pages(4);
	raw_write_pages(p, ps, 4);
	raw_fork_delays(p, ps, ts, &sh->child_pid);
}

int main(int argc, char **argv)
{
	struct orch o;
	struct timespec t0, t1;

	if (is_measured(argc, argv))
		return measured(argc, argv);
	if (argc != 4) {
		fprintf(stderr, "usage: %s D1 D2 D3   (milliseconds)\n", argv[0]);
		return 2;
	}
	for (int i = 1; i <= 3; i++)
		parse_long(argv[i], "D");
	orch_init(&o);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	orch_spawn(&o, (char *const[]){ argv[1], argv[2], argv[3], NULL });
	orch_wait(&o);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* total_us: the measured process's whole life, an upper bound on any copy's time after the fork */
	truth("scenario=forkdelay parent=%ld child=%ld d1=%s d2=%s d3=%s total_us=%ld", o.sh->measured_pid,
	      o.sh->child_pid, argv[1], argv[2], argv[3],
	      (long)((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000));
	return 0;
}
