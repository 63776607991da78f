// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Naming user frames (symbolize.c) on this very process: a frame-pointer
 * walk through code without frame pointers returns garbage, which must be
 * cut and marked, never named after the nearest module.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "harness.h"
#include "symbolize.h"

__attribute__((noinline)) int sym_test_leaf(int x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) int sym_test_caller(int x)
{
	return sym_test_leaf(x) + 2;
}

static char *frames_of(struct ct_symbolizer *s, int nu, const uint64_t *u)
{
	return sym_frames(s, (uint32_t)getpid(), 1, nu, u, 0, NULL);
}

/*
 * An address a return address could not be: in data (mapped, not
 * executable; mmap'ed, as a heap under valgrind is executable).
 */
TEST(test_frames_cut_outside_code)
{
	struct ct_symbolizer *s = sym_new();
	uint64_t leaf = (uint64_t)(uintptr_t)sym_test_leaf + 2, caller = (uint64_t)(uintptr_t)sym_test_caller + 5;
	char *data = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *f;

	CHECK(data != MAP_FAILED, "mmap: %s", strerror(errno));
	CHECK(sym_capture(s, (uint32_t)getpid(), 1, false), "capture of this process: %s", sym_error(s));
	uint64_t u[] = { leaf, caller, (uint64_t)(uintptr_t)data + 16, caller };

	f = frames_of(s, 4, u);
	CHECK_STR(f, "[unwinding stopped];sym_test_caller;sym_test_leaf");
	free(f);
	/* an address in no mapping at all */
	u[2] = 0x10000;
	f = frames_of(s, 3, u);
	CHECK_STR(f, "[unwinding stopped];sym_test_caller;sym_test_leaf");
	free(f);
	munmap(data, 4096);
	sym_free(s);
}

/* One return address repeated to the walk's depth: a frame pointer that does not move. */
TEST(test_frames_cut_repeat)
{
	struct ct_symbolizer *s = sym_new();
	uint64_t u[CT_STACK_DEPTH];
	char *f;

	CHECK(sym_capture(s, (uint32_t)getpid(), 1, false), "capture: %s", sym_error(s));
	u[0] = (uint64_t)(uintptr_t)sym_test_leaf + 2;
	for (int i = 1; i < CT_STACK_DEPTH; i++)
		u[i] = (uint64_t)(uintptr_t)sym_test_caller + 5;
	f = frames_of(s, CT_STACK_DEPTH, u);
	CHECK_STR(f, "[unwinding stopped];sym_test_caller;sym_test_leaf");
	free(f);
	/* recursion that ends before the depth runs out is the program's: kept */
	f = frames_of(s, 4, u);
	CHECK_STR(f, "sym_test_caller;sym_test_caller;sym_test_caller;sym_test_leaf");
	free(f);
	sym_free(s);
}

/* Code in no file (a JIT's): named from its mapping, "[anon]+0xOFFSET", and walked through. */
TEST(test_frames_anon_code)
{
	struct ct_symbolizer *s = sym_new();
	void *jit = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *f;

	if (jit == MAP_FAILED)
		return; /* no executable anonymous memory here */
	CHECK(sym_capture(s, (uint32_t)getpid(), 1, false), "capture: %s", sym_error(s));
	uint64_t u[] = { (uint64_t)(uintptr_t)sym_test_leaf + 2, (uint64_t)(uintptr_t)jit + 0x41,
			 (uint64_t)(uintptr_t)sym_test_caller + 5 };

	f = frames_of(s, 3, u);
	CHECK_STR(f, "sym_test_caller;[anon]+0x40;sym_test_leaf");
	free(f);
	munmap(jit, 4096);
	sym_free(s);
}

