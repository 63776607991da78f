/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stackfork H S F M: copies after a fork from four functions, into four
 * kinds of memory, for --stacks and the mapping breakdown.
 *
 * The measured process writes H pages of brk heap (sbrk), 256 pages of its
 * main stack (deep below its frame), M pages of a private anonymous mmap,
 * and reads F pages of a private mapping of a file (so the page cache pages
 * are mapped read-only) and writes one more page of it (the mapping gets an
 * anon_vma: fork copies its page table entries, so the child's writes are
 * write faults on the shared page cache pages, not new faults); then it forks.  The child, in functions built with
 * frame pointers and never inlined:
 *
 *   write_heap_pages()   writes each of the H heap pages      -> H copy_anon, heap
 *   write_stack_pages()  writes S pages of the stack          -> S copy_anon, stack
 *   write_file_pages()   writes each of the F file pages      -> F copy_file, file
 *   write_mmap_pages()   writes each of the M mmap pages      -> M copy_anon, anon
 *
 * then sleeps 300 ms (its maps can be read while it lives) and exits.  The
 * child's own frames (its first writes to the stack's top pages) are the
 * only other copies: a few stack pages, charged to settle_stack() and the
 * child's entry, never to the four functions (settle_stack() copies the top
 * pages first, and write_stack_pages() writes only pages far below them).
 *
 *   TRUTH scenario=stackfork parent=PID child=PID heap=H stack=S file=F mmap=M path=FILE
 *
 * path is the file mapping's path, $TMPDIR/cowtrace-stackfork-PARENT (removed
 * once the measured process exited).
 */
/* cflags: -fno-omit-frame-pointer -fno-optimize-sibling-calls -fno-inline -fno-ipa-icf */
#include "common.h"

#define STACK_PREFAULT 256 /* stack pages written before the fork */
#define STACK_SKIP 16      /* pages below the frame that the child's own frames may use */

static long ps;

static __attribute__((noinline)) void write_heap_pages(volatile char *p, long n)
{
	volatile long done = 0; /* a stack slot: gcc gives a leaf a frame only when it uses the stack */

	for (long i = 0; i < n; i++, done++)
		p[i * ps] = 2;
}

/* The pages STACK_SKIP..STACK_SKIP+n below the caller's frame (written before the fork: all of them). */
static __attribute__((noinline)) void write_stack_pages(long n, long from)
{
	volatile char *base = __builtin_alloca((size_t)(STACK_SKIP + STACK_PREFAULT + 1) * ps);

	/* base is the deepest byte: write upwards, skipping the top STACK_SKIP pages */
	for (long i = from; i < from + n; i++)
		base[(STACK_PREFAULT - 1 - i) * ps] = 2;
}

static __attribute__((noinline)) void write_file_pages(volatile char *p, long n)
{
	volatile long done = 0; /* a stack slot: gcc gives a leaf a frame only when it uses the stack */

	for (long i = 0; i < n; i++, done++)
		p[i * ps] = 3;
}

static __attribute__((noinline)) void write_mmap_pages(volatile char *p, long n)
{
	volatile long done = 0; /* a stack slot: gcc gives a leaf a frame only when it uses the stack */

	for (long i = 0; i < n; i++, done++)
		p[i * ps] = 4;
}

/* The child's first stack writes: copy the top pages its later frames use. */
static __attribute__((noinline)) void settle_stack(void)
{
	volatile char top[4 * 4096];

	for (unsigned i = 0; i < sizeof(top); i += 512)
		top[i] = 1;
}

static __attribute__((noinline)) void child_work(char *heap, long h, long s, char *file, long f, char *anon,
						 long m)
{
	struct timespec ts = { 0, 300 * 1000000L };

	settle_stack();
	write_heap_pages(heap, h);
	write_stack_pages(s, 0);
	write_file_pages(file, f);
	write_mmap_pages(anon, m);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	raw_exit_group(0);
}

static int measured(int argc, char **argv)
{
	struct shared_page *sh = measured_attach(argc, argv);
	long h, s, f, m, i, child;
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX], *heap, *file, *anon, *buf;
	volatile char sink = 0;
	int fd;

	if (argc != 7)
		die("measured: usage");
	ps = page_size();
	h = parse_long(argv[3], "H");
	s = parse_long(argv[4], "S");
	f = parse_long(argv[5], "F");
	m = parse_long(argv[6], "M");
	if (s > STACK_PREFAULT - STACK_SKIP)
		die("S at most %d", STACK_PREFAULT - STACK_SKIP);
	pin_to_one_cpu();
	/* the file: F pages, mapped privately and read (page cache pages mapped read-only) */
	snprintf(path, sizeof(path), "%s/cowtrace-stackfork-%d", dir && *dir ? dir : "/tmp", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		die("create %s", path);
	buf = calloc(1, ps);
	if (!buf)
		die("calloc");
	for (i = 0; i < f + 1; i++)
		if (write(fd, buf, ps) != ps)
			die("write %s", path);
	file = mmap(NULL, (size_t)(f + 1) * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (file == MAP_FAILED)
		die("mmap %s", path);
	madvise(file, (size_t)(f + 1) * ps, MADV_NOHUGEPAGE);
	close(fd);
	for (i = 0; i < f; i++)
		sink += file[i * ps];
	file[f * ps] = 1; /* its anon_vma: fork copies the read-only ptes of the F pages */
	/* the heap: H pages of brk, page aligned */
	heap = sbrk(0);
	if (sbrk((h + 1) * ps) == (void *)-1)
		die("sbrk");
	heap = (char *)(((unsigned long)heap + ps - 1) & ~(unsigned long)(ps - 1));
	for (i = 0; i < h; i++)
		heap[i * ps] = 1;
	/* an anonymous mapping */
	anon = map_anon_pages(m);
	for (i = 0; i < m; i++)
		anon[i * ps] = 1;
	/* the stack, from the depth the child's calls will use */
	write_stack_pages(STACK_PREFAULT - STACK_SKIP, 0);
	write_stack_pages(STACK_SKIP, STACK_PREFAULT - STACK_SKIP);
	child = raw_fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		child_work(heap, h, s, file, f, anon, m);
	sh->child_pid = child;
	raw_wait4(child);
	sh->value[0] = (long)sink;
	return 0;
}

int main(int argc, char **argv)
{
	struct orch o;
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];

	if (is_measured(argc, argv))
		return measured(argc, argv);
	if (argc != 5) {
		fprintf(stderr, "usage: %s H S F M\n", argv[0]);
		return 2;
	}
	orch_init(&o);
	orch_spawn(&o, (char *const[]){ argv[1], argv[2], argv[3], argv[4], NULL });
	orch_wait(&o);
	snprintf(path, sizeof(path), "%s/cowtrace-stackfork-%ld", dir && *dir ? dir : "/tmp", o.sh->measured_pid);
	unlink(path);
	truth("scenario=stackfork parent=%ld child=%ld heap=%s stack=%s file=%s mmap=%s path=%s", o.sh->measured_pid,
	      o.sh->child_pid, argv[1], argv[2], argv[3], argv[4], path);
	return 0;
}
