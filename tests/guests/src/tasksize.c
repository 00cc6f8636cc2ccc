/* tasksize: the memory calls at the top of the user address space. A
 * 32-bit process on an x86-64 kernel has TASK_SIZE 0xffffe000, a 64-bit
 * one 0x7ffffffff000: nothing may be mapped at or above it, and each call
 * says so with its own errno. Prints one line per call. */
#include "rt.h"

#ifdef __x86_64__
#define NR_mmap 9
#define NR_munmap 11
#define NR_mprotect 10
#define NR_madvise 28
#define NR_mremap 25
#define TOP 0x7ffffffff000UL
#else
#define NR_mmap 192 /* mmap2 */
#define NR_munmap 91
#define NR_mprotect 125
#define NR_madvise 219
#define NR_mremap 163
#define TOP 0xffffe000UL
#endif

#define PROT_RW 3
#define MAP_PA 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */
#define MAP_FIXED 0x10
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
#ifdef __x86_64__
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
#else
	long blk[2] = {a, f};
	long *bp = blk;
	__asm__ volatile("push %%ebp\n\t"
			 "mov 4(%%ebx), %%ebp\n\t"
			 "mov 0(%%ebx), %%ebx\n\t"
			 "int $0x80\n\t"
			 "pop %%ebp"
			 : "=a"(r), "+b"(bp)
			 : "a"(n), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory");
#endif
	return r;
}

static long mmap_(ulong a, ulong len, int prot, int flags)
{
	return sys6(NR_mmap, (long)a, (long)len, prot, flags, -1, 0);
}

static void show(const char *what, long r)
{
	puts_(what), puts_(": ");
	if (r < 0 && r > -4096)
		puts_("-"), putdec(-r);
	else
		putdec(r);
	nl();
}

int main(int argc, char **argv, char **envp)
{
	show("mmap fixed at top", mmap_(TOP, 4096, PROT_RW, MAP_PA | MAP_FIXED));
	show("mmap fixed_noreplace at top", mmap_(TOP, 4096, PROT_RW, MAP_PA | MAP_FIXED_NOREPLACE));
	show("mmap fixed across top", mmap_(TOP - 4096, 8192, PROT_RW, MAP_PA | MAP_FIXED));
	show("mmap fixed_noreplace across top", mmap_(TOP - 4096, 8192, PROT_RW, MAP_PA | MAP_FIXED_NOREPLACE));
	show("mmap fixed last page", mmap_(TOP + 4096 * ((0UL - TOP) / 4096 - 1) , 4096, PROT_RW, MAP_PA | MAP_FIXED));
	long h = mmap_(TOP, 4096, PROT_RW, MAP_PA);
	show("mmap hint at top lands below it", h < 0 && h > -4096 ? h : (ulong)h + 4096 <= TOP);
	h = mmap_(TOP - 4096, 8192, PROT_RW, MAP_PA);
	show("mmap hint across top lands below it", h < 0 && h > -4096 ? h : (ulong)h + 8192 <= TOP);
	show("munmap at top", sys3(NR_munmap, (long)TOP, 4096, 0));
	show("munmap across top", sys3(NR_munmap, (long)(TOP - 4096), 8192, 0));
	show("mprotect at top", sys3(NR_mprotect, (long)TOP, 4096, 1));
	show("madvise at top", sys3(NR_madvise, (long)TOP, 4096, 4 /* MADV_DONTNEED */));
	long a = mmap_(0, 4096, PROT_RW, MAP_PA);
	show("mremap to top", sys6(NR_mremap, a, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, (long)TOP, 0));
	show("mremap across top", sys6(NR_mremap, a, 4096, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, (long)(TOP - 4096), 0));
	return 0;
}
