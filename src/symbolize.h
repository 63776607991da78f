/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Naming the frames of copies' stacks: user addresses with elfutils'
 * libdwfl (what perf uses: ELF symbol tables, .gnu_debugdata, build-id
 * debuginfo under /usr/lib/debug), from what was read of the process's
 * mappings while it lived; kernel addresses from /proc/kallsyms.  An
 * address that cannot be named is "file+0xOFFSET" from the mapping that
 * holds it (or "[unknown]" when no mapping does): it never disappears.
 */
#ifndef COWTRACE_SYMBOLIZE_H
#define COWTRACE_SYMBOLIZE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ct_symbolizer;

/*
 * Processes are named by pid and image: what a process runs until its next
 * exec (its start time and how many times it exec'd since).
 */
static inline uint64_t sym_image(uint64_t start_ns, uint8_t execs)
{
	return start_ns ^ (uint64_t)execs << 56;
}

struct ct_symbolizer *sym_new(void);
void sym_free(struct ct_symbolizer *s);
/*
 * Read the mappings of process pid (image: sym_image()) while it lives:
 * its modules, loaded at once so that they can be named after it exits.
 * Again after an exec (refresh).  false: it is gone.
 */
bool sym_capture(struct ct_symbolizer *s, uint32_t pid, uint64_t image, bool refresh);
/* Read the kernel's symbols now (else at the first kernel frame named). */
void sym_load_kernel(struct ct_symbolizer *s);
/* Why the last sym_capture() failed. */
const char *sym_error(const struct ct_symbolizer *s);
/*
 * A forked child that did not exec has its parent's mappings: name its
 * frames with what was read of the parent (when the child was gone before
 * its maps could be read): from_pid's last capture.
 */
bool sym_share(struct ct_symbolizer *s, uint32_t pid, uint64_t image, uint32_t from_pid);
bool sym_known(struct ct_symbolizer *s, uint32_t pid, uint64_t image);
/* Forget a process (its mappings) once its stacks are named. */
void sym_forget(struct ct_symbolizer *s, uint32_t pid, uint64_t image);
/* The path of the file mapping with inode number ino in the process, or NULL. */
const char *sym_file(struct ct_symbolizer *s, uint32_t pid, uint64_t image, uint64_t ino);
/*
 * How to get names where most of a file's frames had none (its debuginfo
 * package, its build-id path, debuginfod): *out, n lines (caller frees each
 * and the array).
 */
int sym_hints(struct ct_symbolizer *s, char ***out);
/* A kernel address: "function" (kallsyms), else "[kernel]+0xADDR". */
void sym_kernel(struct ct_symbolizer *s, uint64_t ip, char *buf, size_t n);

/*
 * A stack's frames, outer to inner, ';'-separated (caller frees; NULL: no
 * memory): the user addresses u[0..nu) then the kernel's k[0..nk) (with
 * "_[k]"), both innermost first as the stack map holds them.  n < 0: the
 * stack is missing (the stack id's error: settled late, bucket taken, ...),
 * said in one frame; nk == 0: no kernel frames.
 */
char *sym_frames(struct ct_symbolizer *s, uint32_t pid, uint64_t image, int nu, const uint64_t *u, int nk,
		 const uint64_t *k);

#endif
