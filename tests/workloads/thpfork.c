/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * thpfork: a write fault on a COW-shared huge pmd.
 *
 * The measured process maps a 2 MiB-aligned anonymous region with
 * MADV_HUGEPAGE and writes to it; it checks in /proc/self/smaps that the
 * region is backed by a THP (AnonHugePages); raw-forks; the child writes one
 * byte and exits; the parent waits, writes one byte and exits.  The
 * orchestrator reads /proc/vmstat thp_split_pmd before spawning and after.
 *
 *   TRUTH scenario=thpfork parent=PID child=PID thp=1|0 split_pmd_delta=D
 *
 * thp=0: no THP could be had (THP disabled, no memory); nothing to check.
 * Expected with thp=1: the child's write splits the shared pmd
 * (child thp_split == 1) and then copies one 4 KiB page (child copy_anon == 1);
 * total thp_split over all processes == D.
 */
#include "common.h"

#define HPAGE (2UL << 20)

/* AnonHugePages (kB) of the mapping that starts at addr, -1 if not found. */
static long anon_huge_kb(unsigned long addr)
{
	char line[512];
	int in = 0;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		die("open /proc/self/smaps");
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = addr >= lo && addr < hi;
			continue;
		}
		if (in && !strncmp(line, "AnonHugePages:", 14)) {
			kb = atol(line + 14);
			break;
		}
	}
	fclose(f);
	return kb;
}

static int measured(int argc, char **argv)
{
	struct shared_page *sh = measured_attach(argc, argv);
	unsigned long a;
	char *raw, *p;

	(void)argc;
	pin_to_one_cpu();
	raw = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap 4 MiB");
	a = ((unsigned long)raw + HPAGE - 1) & ~(HPAGE - 1);
	p = (char *)a;
	if (madvise(p, HPAGE, MADV_HUGEPAGE))
		fprintf(stderr, "thpfork: madvise(MADV_HUGEPAGE): %s\n", strerror(errno));
	errno = 0;
	raw_write_pages(p, 1, 1);
	sh->value[0] = anon_huge_kb(a) >= (long)(HPAGE >> 10);
	raw_fork_and_touch(p, page_size(), 0, 1, 1, &sh->child_pid);
}

int main(int argc, char **argv)
{
	struct orch o;
	long long before, after;

	if (is_measured(argc, argv))
		return measured(argc, argv);
	if (argc != 1) {
		fprintf(stderr, "usage: %s\n", argv[0]);
		return 2;
	}
	orch_init(&o);
	before = vmstat_read("thp_split_pmd");
	orch_spawn(&o, (char *const[]){NULL});
	orch_wait(&o);
	after = vmstat_read("thp_split_pmd");
	truth("scenario=thpfork parent=%ld child=%ld thp=%ld split_pmd_delta=%lld", o.sh->measured_pid,
	      o.sh->child_pid, o.sh->value[0], before < 0 || after < 0 ? -1LL : after - before);
	return 0;
}
