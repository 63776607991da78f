/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * race N T: T threads copy the same N pages at once.
 *
 * The measured process populates A (N pages of private anonymous memory),
 * then, with its CPU affinity opened to every CPU:
 *   - raw-forks a child that keeps A mapped (every page of A is shared, so a
 *     write to it copies) and sleeps on a futex in the shared page;
 *   - starts T raw threads (clone with CLONE_VM|CLONE_THREAD) that wait at a
 *     gate, then each write one byte into every page of A, in the same order;
 *   - once the threads are done, wakes the child, reaps it and exits.
 * All of that is one register-only asm block (rawsys.h explains why): no
 * other write fault after the fork.
 *
 * The threads meet on the same pages: two of them fault on one page, both
 * find it shared and both set out to copy it; the first maps its copy, the
 * other finds the pte changed and throws its copy away (or, on newer kernels,
 * finds the pte cleared for a moment and throws away a zeroed page).  The
 * kernel copied each page once, whatever the race: a thrown-away copy is
 * neither a copy nor a reuse, and the kernel's pgreuse does not count it.
 *
 *   TRUTH scenario=race parent=PID child=PID n=N threads=T pgreuse_delta=D pre_fork_reuse=P
 *
 * Expected: parent copy == copy_anon == N, reuse == P; child copy 0,
 * reuse 0; parent + child reuse == D (pgreuse, a quiet system).
 */
#include "common.h"

#define CLONE_THREAD_FLAGS 0x50f00L /* VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

/* Shared page slots (value[]): the release word is a futex (an int). */
enum { V_PREFORK = 1, V_GO = 2, V_DONE = 3, V_RELEASE = 4, V_CHILD = 5 };

/* The post-fork life, one asm block. */
static inline __attribute__((always_inline, noreturn)) void
raw_race(char *a, long stride, long n, long nt, volatile long *v)
{
	register long r12 __asm__("r12") = (long)a;
	register long r13 __asm__("r13") = stride;
	register long r14 __asm__("r14") = nt;
	register long r15 __asm__("r15") = n;
	register long rbx __asm__("rbx") = (long)v;

	__asm__ volatile(
		"mov %[nr_fork], %%eax\n\t"
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"js 90f\n\t"
		"jz 20f\n\t"
		"mov %%rax, %c[child]*8(%%rbx)\n\t"
		"jmp 30f\n"
		/* child: sleep until released, then exit */
		"20:\n\t"
		"cmpl $0, %c[release]*8(%%rbx)\n\t"
		"jne 22f\n\t"
		"lea %c[release]*8(%%rbx), %%rdi\n\t"
		"mov %[futex_wait], %%esi\n\t"
		"xor %%edx, %%edx\n\t"
		"xor %%r10d, %%r10d\n\t"
		"mov %[nr_futex], %%eax\n\t"
		"syscall\n\t"
		"jmp 20b\n"
		"22:\n\t"
		"xor %%edi, %%edi\n\t"
		"mov %[nr_exit_group], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		/* ---- parent: T threads ---- */
		"30:\n\t"
		"xor %%r8d, %%r8d\n"
		"31:\n\t"
		"mov %[flags], %%rdi\n\t"
		"xor %%esi, %%esi\n\t" /* same stack pointer: the thread never touches the stack */
		"xor %%edx, %%edx\n\t"
		"xor %%r10d, %%r10d\n\t"
		"xor %%r9d, %%r9d\n\t"
		"mov %[nr_clone], %%eax\n\t"
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"js 90f\n\t"
		"jz 40f\n\t"
		"inc %%r8\n\t"
		"cmp %%r14, %%r8\n\t"
		"jb 31b\n\t"
		"movq $1, %c[go]*8(%%rbx)\n\t"
		"jmp 50f\n"
		/* a thread: wait at the gate, write every page of A, exit */
		"40:\n\t"
		"pause\n\t"
		"cmpq $0, %c[go]*8(%%rbx)\n\t"
		"je 40b\n\t"
		"mov %%r12, %%rdi\n\t"
		"mov %%r15, %%rcx\n\t"
		"test %%rcx, %%rcx\n\t"
		"jz 43f\n"
		"42:\n\t"
		"movb $1, (%%rdi)\n\t"
		"add %%r13, %%rdi\n\t"
		"dec %%rcx\n\t"
		"jnz 42b\n"
		"43:\n\t"
		"lock incq %c[done]*8(%%rbx)\n\t"
		"xor %%edi, %%edi\n\t"
		"mov %[nr_exit], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		/* ---- parent: wait for the threads, release and reap the child ---- */
		"50:\n\t"
		"cmpq %%r14, %c[done]*8(%%rbx)\n\t"
		"jae 51f\n\t"
		"mov %[nr_yield], %%eax\n\t"
		"syscall\n\t"
		"jmp 50b\n"
		"51:\n\t"
		"movl $1, %c[release]*8(%%rbx)\n\t"
		"lea %c[release]*8(%%rbx), %%rdi\n\t"
		"mov %[futex_wake], %%esi\n\t"
		"mov $1, %%edx\n\t"
		"mov %[nr_futex], %%eax\n\t"
		"syscall\n\t"
		"mov $-1, %%rdi\n\t"
		"xor %%esi, %%esi\n\t"
		"xor %%edx, %%edx\n\t"
		"xor %%r10d, %%r10d\n\t"
		"mov %[nr_wait4], %%eax\n\t"
		"syscall\n\t"
		"xor %%edi, %%edi\n\t"
		"mov %[nr_exit_group], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		/* ---- fork or clone failed ---- */
		"90:\n\t"
		"mov $111, %%edi\n\t"
		"mov %[nr_exit_group], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		:
		: "r"(r12), "r"(r13), "r"(r14), "r"(r15), "r"(rbx),
		  [nr_fork] "i"(SYS_fork), [nr_exit_group] "i"(SYS_exit_group), [nr_exit] "i"(SYS_exit),
		  [nr_wait4] "i"(SYS_wait4), [nr_yield] "i"(SYS_sched_yield), [nr_futex] "i"(SYS_futex),
		  [nr_clone] "i"(SYS_clone), [flags] "i"(CLONE_THREAD_FLAGS),
		  [futex_wait] "i"(FUTEX_WAIT), [futex_wake] "i"(FUTEX_WAKE),
		  [go] "i"(V_GO), [done] "i"(V_DONE), [release] "i"(V_RELEASE),
		  [child] "i"(V_CHILD)
		: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
	__builtin_unreachable();
}

static int measured(int argc, char **argv)
{
	struct shared_page *sh = measured_attach(argc, argv);
	long n, nt, ps = page_size();
	char *a, *d;

	if (argc != 5)
		die("measured: usage");
	n = parse_long(argv[3], "N");
	nt = parse_long(argv[4], "T");
	pin_to_one_cpu();
	a = map_anon_pages(n);
	d = map_anon_pages(64);
	raw_write_pages(a, ps, n);
	raw_write_pages(d, ps, 64); /* A's pages out of this CPU's LRU batch */
	unpin_all_cpus();
	sh->value[V_PREFORK] = vmstat_read("pgreuse");
	sh->child_pid = 1; /* the child's pid is in value[V_CHILD] */
	raw_race(a, ps, n, nt, sh->value);
}

int main(int argc, char **argv)
{
	struct orch o;
	long long before, after;
	long n, nt;

	if (is_measured(argc, argv))
		return measured(argc, argv);
	if (argc != 3) {
		fprintf(stderr, "usage: %s N T   (pages, threads; T from 2 to 16)\n", argv[0]);
		return 2;
	}
	n = parse_long(argv[1], "N");
	nt = parse_long(argv[2], "T");
	if (nt < 2 || nt > 16)
		die("T: from 2 to 16 threads");

	orch_init(&o);
	before = vmstat_read("pgreuse");
	orch_spawn(&o, (char *const[]){ argv[1], argv[2], NULL });
	orch_wait(&o);
	after = vmstat_read("pgreuse");
	if (o.sh->value[V_DONE] != nt) {
		errno = 0;
		die("measured process: %ld of %ld threads done", o.sh->value[V_DONE], nt);
	}
	truth("scenario=race parent=%ld child=%ld n=%ld threads=%ld pgreuse_delta=%lld pre_fork_reuse=%lld",
	      o.sh->measured_pid, o.sh->value[V_CHILD], n, nt, before < 0 || after < 0 ? -1LL : after - before,
	      before < 0 || o.sh->value[V_PREFORK] < 0 ? -1LL : o.sh->value[V_PREFORK] - before);
	return 0;
}
