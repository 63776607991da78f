// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fork call: how long the parent stood still in it.  Its entry and
 * return, on kernel_clone (fentry/fexit, or kprobes) on the exact rungs,
 * on the clone, clone3, fork and vfork system calls' tracepoints in
 * tracepoint mode (they run on those calls only).  sched_process_fork, in
 * between, notes the process it made (lifecycle.bpf.c); the return sends
 * the fork's record (fork.bpf.h).  A vfork's parent waits in the call
 * until its child execs or exits: that wait is in its time too.
 */
#include "cowtrace.bpf.h"
#include "fork.bpf.h"

static __always_inline int fork_enter(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ct_thread *t;

	if (!want_pid_cgroup(tgid)) /* follow mode: the filters decide at sched_process_fork */
		return 0;
	t = thread_get(true);
	if (!t) {
		stat_inc(CT_STAT_NOSPACE);
		return 0;
	}
	t->fork.fork_ns = 0;
	t->fork.cpr_ns = 0;
	t->fork.cpr = 0;
	t->fork.enter_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int fork_exit(void)
{
	struct ct_thread *t = thread_get(false);

	if (t && (t->fork.fork_ns || t->fork.enter_ns))
		fork_send(t, bpf_get_current_pid_tgid() >> 32, bpf_ktime_get_ns());
	return 0;
}

SEC("fentry/kernel_clone")
int BPF_PROG(fe_clone, struct kernel_clone_args *args)
{
	return fork_enter();
}

SEC("fexit/kernel_clone")
int BPF_PROG(fx_clone, struct kernel_clone_args *args, pid_t ret)
{
	return fork_exit();
}

SEC("kprobe/kernel_clone")
int BPF_KPROBE(kp_clone)
{
	return fork_enter();
}

SEC("kretprobe/kernel_clone")
int BPF_KRETPROBE(krp_clone)
{
	return fork_exit();
}

/* Tracepoint mode: the system calls that fork (x86-64 has all four). */
#define SYSCALL_PROGS(name)                                         \
	SEC("tracepoint/syscalls/sys_enter_" #name)                 \
	int tp_enter_##name(void *ctx) { return fork_enter(); }     \
	SEC("tracepoint/syscalls/sys_exit_" #name)                  \
	int tp_exit_##name(void *ctx) { return fork_exit(); }

SYSCALL_PROGS(clone)
SYSCALL_PROGS(clone3)
SYSCALL_PROGS(fork)
SYSCALL_PROGS(vfork)
