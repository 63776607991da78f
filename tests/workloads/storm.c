/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * storm K1 K2 K3 NB: three children and two threads writing at once.
 *
 * The measured process populates A (max K pages) and B (NB pages) of private
 * anonymous memory, then, with its CPU affinity opened to every CPU:
 *   - raw-forks three children; child i unmaps B, says it is ready, writes one
 *     byte into each of the first Ki pages of A (Ki COW copies: the parent
 *     still maps them) and exits;
 *   - once all three have unmapped B, starts two raw threads (clone with
 *     CLONE_VM|CLONE_THREAD) that write one half of B each (NB reuses: B is
 *     the parent's alone again), while the children are still writing A;
 *   - reaps the children, waits for the threads, exits.
 * All of that is one register-only asm block (rawsys.h explains why), so the
 * processes make no other write faults after the fork.  On two CPUs the five
 * writers run at once: the workload the kernel's per-CPU recursion guard
 * skips BPF programs in when a tracer's program is preempted.
 *
 * B's pages are pushed out of the populating CPU's LRU batch (a page still in
 * a batch has an extra reference and would be copied, not reused) by
 * populating 64 more pages after it on the same CPU.
 *
 *   TRUTH scenario=storm parent=PID child1=PID child2=PID child3=PID k1=K1 k2=K2 k3=K3
 *         nb=NB pgreuse_delta=D pre_fork_reuse=P
 *
 * Expected: child i copy == copy_anon == Ki and reuse 0; parent reuse ==
 * NB + P and copy 0; the reuses of all four == D (pgreuse, a quiet system).
 */
#include "common.h"

#define NCHILD 3
#define CLONE_THREAD_FLAGS 0x50f00L /* VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */

/* Shared page slots (value[]). */
enum { V_PREFORK = 1, V_READY = 2, V_PID0 = 3, V_DONE = 6 };

/*
 * The post-fork life, one asm block.  k[] lives in the MAP_SHARED page so
 * that the children read it without touching the stack.
 */
static inline __attribute__((always_inline, noreturn)) void
raw_storm(char *a, char *b, long stride, long nb, volatile long *v, volatile long *k)
{
	register long r12 __asm__("r12") = (long)a;
	register long r13 __asm__("r13") = stride;
	register long r14 __asm__("r14") = (long)b;
	register long r15 __asm__("r15") = nb;
	register long rbx __asm__("rbx") = (long)v;
	register long rbp __asm__("rbp") = (long)k;

	__asm__ volatile(
		/* ---- three children: r8 = i ---- */
		"xor %%r8d, %%r8d\n"
		"1:\n\t"
		"mov %[nr_fork], %%eax\n\t"
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"js 90f\n\t"
		"jz 20f\n\t"
		"mov %%rax, %c[pid0]*8(%%rbx,%%r8,8)\n\t"
		"inc %%r8\n\t"
		"cmp $3, %%r8\n\t"
		"jb 1b\n\t"
		"jmp 30f\n"
		/* child: munmap(B), ready++, write k[i] pages of A, exit */
		"20:\n\t"
		"mov %%r14, %%rdi\n\t"
		"mov %%r15, %%rsi\n\t"
		"imul %%r13, %%rsi\n\t"
		"mov %[nr_munmap], %%eax\n\t"
		"syscall\n\t"
		"lock incq %c[ready]*8(%%rbx)\n\t"
		"mov (%%rbp,%%r8,8), %%rcx\n\t"
		"mov %%r12, %%rdi\n\t"
		"test %%rcx, %%rcx\n\t"
		"jz 22f\n"
		"21:\n\t"
		"movb $1, (%%rdi)\n\t"
		"add %%r13, %%rdi\n\t"
		"dec %%rcx\n\t"
		"jnz 21b\n"
		"22:\n\t"
		"xor %%edi, %%edi\n\t"
		"mov %[nr_exit_group], %%eax\n\t"
		"syscall\n\t"
		"ud2\n"
		/* ---- parent: wait until every child unmapped B ---- */
		"30:\n\t"
		"cmpq $3, %c[ready]*8(%%rbx)\n\t"
		"jae 31f\n\t"
		"mov %[nr_yield], %%eax\n\t"
		"syscall\n\t"
		"jmp 30b\n"
		/* two threads: r8 = 0, 1; thread r8 writes half r8 of B */
		"31:\n\t"
		"xor %%r8d, %%r8d\n"
		"32:\n\t"
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
		"cmp $2, %%r8\n\t"
		"jb 32b\n\t"
		"jmp 50f\n"
		/* thread 0: pages [0, nb/2); thread 1: [nb/2, nb) */
		"40:\n\t"
		"mov %%r15, %%rcx\n\t"
		"shr $1, %%rcx\n\t"          /* rcx = nb/2 */
		"mov %%r14, %%rdi\n\t"
		"test %%r8, %%r8\n\t"
		"jz 41f\n\t"
		"mov %%rcx, %%rax\n\t"
		"imul %%r13, %%rax\n\t"
		"add %%rax, %%rdi\n\t"       /* rdi = B + nb/2 pages */
		"mov %%r15, %%rax\n\t"
		"sub %%rcx, %%rax\n\t"
		"mov %%rax, %%rcx\n"          /* rcx = nb - nb/2 */
		"41:\n\t"
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
		/* ---- parent: reap the children, wait for the threads ---- */
		"50:\n\t"
		"mov $3, %%r8\n"
		"51:\n\t"
		"mov $-1, %%rdi\n\t"
		"xor %%esi, %%esi\n\t"
		"xor %%edx, %%edx\n\t"
		"xor %%r10d, %%r10d\n\t"
		"mov %[nr_wait4], %%eax\n\t"
		"syscall\n\t"
		"dec %%r8\n\t"
		"jnz 51b\n"
		"52:\n\t"
		"cmpq $2, %c[done]*8(%%rbx)\n\t"
		"jae 53f\n\t"
		"mov %[nr_yield], %%eax\n\t"
		"syscall\n\t"
		"jmp 52b\n"
		"53:\n\t"
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
		: "r"(r12), "r"(r13), "r"(r14), "r"(r15), "r"(rbx), "r"(rbp),
		  [nr_fork] "i"(SYS_fork), [nr_exit_group] "i"(SYS_exit_group), [nr_exit] "i"(SYS_exit),
		  [nr_wait4] "i"(SYS_wait4), [nr_munmap] "i"(SYS_munmap), [nr_yield] "i"(SYS_sched_yield),
		  [nr_clone] "i"(SYS_clone), [flags] "i"(CLONE_THREAD_FLAGS),
		  [ready] "i"(V_READY), [done] "i"(V_DONE), [pid0] "i"(V_PID0)
		: "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
	__builtin_unreachable();
}

static int measured(int argc, char **argv)
{
	struct shared_page *sh = measured_attach(argc, argv);
	long k[NCHILD], kmax = 1, nb, ps = page_size();
	volatile long *kslot;
	char *a, *b, *d;

	if (argc != 7)
		die("measured: usage");
	for (int i = 0; i < NCHILD; i++) {
		k[i] = parse_long(argv[3 + i], "K");
		if (k[i] > kmax)
			kmax = k[i];
	}
	nb = parse_long(argv[6], "NB");
	pin_to_one_cpu();
	a = map_anon_pages(kmax);
	b = map_anon_pages(nb);
	d = map_anon_pages(64);
	raw_write_pages(a, ps, kmax);
	raw_write_pages(b, ps, nb);
	raw_write_pages(d, ps, 64); /* B's pages out of this CPU's LRU batch */
	/* k[] where the children can read it without a stack: the shared page's tail */
	kslot = (volatile long *)((char *)sh + ps) - NCHILD;
	for (int i = 0; i < NCHILD; i++)
		kslot[i] = k[i];
	unpin_all_cpus();
	sh->value[V_PREFORK] = vmstat_read("pgreuse");
	sh->child_pid = 1; /* the children's pids are in value[V_PID0..] */
	raw_storm(a, b, ps, nb, sh->value, kslot);
}

int main(int argc, char **argv)
{
	struct orch o;
	long long before, after;
	long k[NCHILD], nb;

	if (is_measured(argc, argv))
		return measured(argc, argv);
	if (argc != 5) {
		fprintf(stderr, "usage: %s K1 K2 K3 NB   (pages; NB >= 2)\n", argv[0]);
		return 2;
	}
	for (int i = 0; i < NCHILD; i++)
		k[i] = parse_long(argv[1 + i], "K");
	nb = parse_long(argv[4], "NB");
	if (nb < 2)
		die("need NB >= 2");

	orch_init(&o);
	before = vmstat_read("pgreuse");
	orch_spawn(&o, (char *const[]){ argv[1], argv[2], argv[3], argv[4], NULL });
	orch_wait(&o);
	after = vmstat_read("pgreuse");
	if (o.sh->value[V_DONE] != 2 || o.sh->value[V_READY] != NCHILD) {
		errno = 0;
		die("measured process: %ld threads done, %ld children ready", o.sh->value[V_DONE],
		    o.sh->value[V_READY]);
	}
	truth("scenario=storm parent=%ld child1=%ld child2=%ld child3=%ld k1=%ld k2=%ld k3=%ld nb=%ld "
	      "pgreuse_delta=%lld pre_fork_reuse=%lld",
	      o.sh->measured_pid, o.sh->value[V_PID0], o.sh->value[V_PID0 + 1], o.sh->value[V_PID0 + 2],
	      k[0], k[1], k[2], nb, before < 0 || after < 0 ? -1LL : after - before,
	      before < 0 || o.sh->value[V_PREFORK] < 0 ? -1LL : o.sh->value[V_PREFORK] - before);
	return 0;
}
