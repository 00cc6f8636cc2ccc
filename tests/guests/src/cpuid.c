/* cpuid: facts that hold on every x86 CPU and under any honest emulator
 * (the vendor and feature bits themselves differ), and rdtsc. */
#include "rt.h"

static void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

int main(int argc, char **argv, char **envp)
{
	u32 a, b, c, d;
	cpuid(0, &a, &b, &c, &d);
	puts_("max-leaf>=1 "), putdec(a >= 1), nl();
	u32 v[3] = {b, d, c};
	int printable = 1;
	for (int i = 0; i < 12; i++) {
		u8 ch = (u8)(v[i / 4] >> (8 * (i % 4)));
		if (ch < 0x20 || ch > 0x7e)
			printable = 0;
	}
	puts_("vendor-printable "), putdec(printable), nl();
	cpuid(1, &a, &b, &c, &d);
	puts_("family>0 "), putdec(((a >> 8) & 15) != 0), nl();
	puts_("cx8 "), putdec((d >> 8) & 1), nl();
	u64 t0 = rdtsc(), t1 = rdtsc();
	puts_("rdtsc-nondecreasing "), putdec(t1 >= t0), nl();
	return 0;
}
