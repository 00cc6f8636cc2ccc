/* maplimit.c: a hostile guest that runs the process into the kernel's
 * mapping limit (vm.max_map_count, 65,530 by default). It maps 140,000
 * pages read-write and makes every other page read-only, which cuts the
 * mapping into one kernel area per page, until mprotect fails. Natively that is the kernel's limit; under minemu it comes a few
 * thousand mappings earlier (minemu keeps a reserve for itself), so the
 * output never says where: only that ENOMEM came, that everything after
 * it works (single-page mmaps fill the last slots until they are refused
 * with ENOMEM too; 65,536 functions never run before run at the limit,
 * which under an emulator means decoding and storing each; the cut
 * mapping still reads back; once it is unmapped,
 * fresh memory can be mapped and written), and the program exits 0.
 * Freestanding (src/rt.h).
 */
#include "rt.h"

#ifdef __x86_64__
#define NR_mmap 9
#define NR_mprotect 10
#define NR_munmap 11
#else
#define NR_mmap 90 /* old_mmap: one pointer to the six arguments */
#define NR_mprotect 125
#define NR_munmap 91
#endif

#define PAGE 4096L
#define PAGES 140000L /* more than two per allowed mapping */
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define JIT_FUNCS 65536L /* 16 bytes each */
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000
#define ENOMEM 12
#define FILL 8192 /* bound on the single pages that fill the last slots */

static long fill[FILL];

static long map(long len, long prot)
{
	long flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
#ifdef __x86_64__
	long r;
	register long r10 __asm__("r10") = flags;
	register long r8 __asm__("r8") = -1;
	register long r9 __asm__("r9") = 0;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(NR_mmap), "D"(0), "S"(len), "d"(prot), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
#else
	long args[6] = {0, len, prot, flags, -1, 0};
	return sys3(NR_mmap, (long)args, 0, 0);
#endif
}

static int failed(long r) { return r < 0 && r > -4096; }

int main(int argc, char **argv, char **envp)
{
	int fails = 0;
	long jit = map(JIT_FUNCS * 16, PROT_READ | PROT_WRITE | PROT_EXEC);
	long p = map(PAGES * PAGE, PROT_READ | PROT_WRITE);
	if (failed(p) || failed(jit)) {
		puts_("mmap of the big mappings failed\n");
		return 1;
	}
	long i, r = 0;
	for (i = 0; i < PAGES; i += 2) {
		r = sys3(NR_mprotect, p + i * PAGE, PAGE, PROT_READ);
		if (r != 0)
			break;
	}
	if (r == -ENOMEM && i > 20000) {
		puts_("mprotect: ENOMEM at the mapping limit\n");
	} else {
		puts_("mprotect: no ENOMEM at the limit: FAIL\n");
		fails++;
	}

	/* The last slots (a cut needs two) go to single pages, of alternating
	 * protection so that the kernel cannot merge them, until mmap is
	 * refused too. */
	long k, q = 0;
	for (k = 0; k < FILL; k++) {
		q = map(PAGE, k & 1 ? PROT_READ : PROT_READ | PROT_WRITE);
		if (failed(q))
			break;
		fill[k] = q;
	}
	if (q == -ENOMEM) {
		puts_("mmap at the limit: ENOMEM\n");
	} else {
		puts_("mmap at the limit: FAIL\n");
		fails++;
	}

	/* At the limit, run code never run before: 65,536 functions written
	 * into memory mapped beforehand. Natively that needs no mapping; an
	 * emulator decodes and stores every one of them, and must still find
	 * room for that. */
	unsigned long sum = 0;
	for (long f = 0; f < JIT_FUNCS; f++) {
		unsigned char *c = (unsigned char *)(jit + f * 16);
		c[0] = 0xb8; /* mov eax, f; ret */
		c[1] = f, c[2] = f >> 8, c[3] = f >> 16, c[4] = 0;
		c[5] = 0xc3;
	}
	for (long f = 0; f < JIT_FUNCS; f++)
		sum += (unsigned long)((int (*)(void))(jit + f * 16))();
	if (sum == (unsigned long)(JIT_FUNCS / 2) * (JIT_FUNCS - 1)) {
		puts_("new code at the limit: ok\n");
	} else {
		puts_("new code at the limit: FAIL\n");
		fails++;
	}

	for (long j = 0; j < k; j++)
		sys3(NR_munmap, fill[j], PAGE, 0);

	/* The pages still read back as written: the cut mapping is intact. */
	*(volatile char *)(p + PAGE) = 42;
	if (*(volatile char *)(p + PAGE) != 42 || *(volatile char *)p != 0) {
		puts_("the cut mapping reads back wrong: FAIL\n");
		fails++;
	}

	if (sys3(NR_munmap, p, PAGES * PAGE, 0) != 0) {
		puts_("munmap: FAIL\n");
		fails++;
	} else {
		puts_("munmap of the cut mapping: ok\n");
	}

	/* Room again: map, write and read back. */
	long s = map(64 * PAGE, PROT_READ | PROT_WRITE);
	if (failed(s)) {
		puts_("mmap after the unmap: FAIL\n");
		fails++;
	} else {
		for (long k = 0; k < 64; k++)
			((volatile char *)s)[k * PAGE] = (char)k;
		long sum = 0;
		for (long k = 0; k < 64; k++)
			sum += ((volatile char *)s)[k * PAGE];
		puts_(sum == 63 * 64 / 2 ? "mmap after the unmap: ok\n" : "mmap after the unmap: FAIL\n");
		fails += sum != 63 * 64 / 2;
	}
	puts_(fails ? "FAIL\n" : "PASS\n");
	return fails != 0;
}
