/* manyblocks: the block cache's stress guest. Writes argv[1] (default
 * 65536, at most 1 Mi) distinct code stubs, each "mov eax, imm32; ret" in
 * its own 8 bytes of an RWX region (the program's bss, made executable
 * with mprotect), then calls every stub in argv[2] (default 3) passes in
 * three orders (ascending, descending, strided) and checks each result.
 * Every stub is a block of its own, so an emulator decodes argv[1] blocks
 * per pass when its block cache cannot hold them all. */
#include "rt.h"

#ifdef __x86_64__
#define NR_mprotect 10
#else
#define NR_mprotect 125
#endif

#define MAXN (1 << 20)
#define STRIDE 8
static u8 code[MAXN * STRIDE] __attribute__((aligned(4096)));

typedef u32 (*stub)(void);

static u32 value(u32 i) { return i * 2654435761u ^ 0x5bd1e995u; }

int main(int argc, char **argv, char **envp)
{
	int n = argc > 1 ? atoi_(argv[1]) : 65536;
	int passes = argc > 2 ? atoi_(argv[2]) : 3;
	if (n < 1 || n > MAXN || passes < 1) {
		puts_("usage: manyblocks [COUNT (1..1048576) [PASSES]]\n");
		return 2;
	}
	long r = sys3(NR_mprotect, (long)code, sizeof code, 7 /* PROT_READ|PROT_WRITE|PROT_EXEC */);
	if (r != 0) {
		puts_("mprotect failed: "), putdec(r), nl();
		return 1;
	}
	for (u32 i = 0; i < (u32)n; i++) {
		u8 *p = code + i * STRIDE;
		u32 v = value(i);
		p[0] = 0xb8; /* mov eax, imm32 */
		p[1] = (u8)v, p[2] = (u8)(v >> 8), p[3] = (u8)(v >> 16), p[4] = (u8)(v >> 24);
		p[5] = 0xc3; /* ret */
		p[6] = p[7] = 0xcc;
	}
	int bad = 0;
	for (int pass = 0; pass < passes; pass++) {
		u32 sum = 0, wrong = 0;
		for (u32 k = 0; k < (u32)n; k++) {
			u32 i = k;
			if (pass % 3 == 1)
				i = (u32)n - 1 - k;
			else if (pass % 3 == 2)
				i = (u32)(((u64)k * 40503) % (u32)n);
			u32 got = ((stub)(code + i * STRIDE))();
			if (got != value(i))
				wrong++;
			sum = (sum << 5 | sum >> 27) ^ got;
		}
		puts_("pass "), putdec(pass), puts_(": "), putdec(n), puts_(" stubs, sum "), puthex(sum, 8);
		puts_(", wrong "), putdec(wrong), nl();
		bad += wrong != 0;
	}
	return bad ? 1 : 0;
}
