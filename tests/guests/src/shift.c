/* shift: shl shr sar rol ror rcl rcr (count in CL and as 1) and shld shrd
 * at every operand size. Flags the instruction leaves undefined are masked:
 * OF unless the count is 1, AF whenever the count is nonzero. */
#include "rt.h"

static void rep(const char *op, int bits, u64 a, u64 b, int n, int cf, u64 r, ulong fl)
{
	int d = bits / 4;
	puts_(op);
	putudec(bits);
	putch(' ');
	puthex(a, d);
	putch(' ');
	puthex(b, d);
	puts_(" n=");
	putudec(n);
	puts_(cf ? " c1 -> " : " c0 -> ");
	puthex(r, d);
	putflags(fl);
	nl();
}

#define FIN(cf) ((ulong)((cf) ? 0x203 : 0x202))
#define PRE "push %[fl]\n\tpopf\n\t"
#define POST "\n\tpushf\n\tpop %[fl]"

/* mask of defined flags for a shift/rotate of masked count m. */
static ulong smask(int m, int rot)
{
	if (m == 0)
		return F_ALL; /* nothing changes */
	ulong f = rot ? (F_CF | F_OF) : (F_CF | F_PF | F_ZF | F_SF | F_OF);
	if (m != 1)
		f &= ~F_OF;
	return f;
}

#define SH(op, sfx, T, C, bits, rot)                                                 \
	static void op##_##bits(T a, u8 n, int cf)                                   \
	{                                                                            \
		T r = a;                                                             \
		ulong fl = FIN(cf);                                                  \
		__asm__ volatile(PRE #op sfx " %%cl, %[r]" POST                      \
				 : [r] "+" C(r), [fl] "+r"(fl)                       \
				 : "c"(n)                                            \
				 : "cc");                                            \
		int m = n & (bits == 64 ? 63 : 31);                                  \
		ulong mask = smask(m, rot);                                          \
		if (!rot && m >= bits) /* CF undefined */                           \
			mask &= ~F_CF;                                               \
		rep(#op, bits, a, 0, n, cf, r, fl & mask);                            \
		T s = a;                                                             \
		fl = FIN(cf);                                                        \
		__asm__ volatile(PRE #op sfx " $1, %[r]" POST : [r] "+" C(s), [fl] "+r"(fl) : : "cc"); \
		rep(#op "1_", bits, a, 0, 1, cf, s, fl & smask(1, rot));             \
	}

#define DSH(op, sfx, T, bits)                                                        \
	static void op##_##bits(T a, T b, u8 n)                                      \
	{                                                                            \
		T r = a;                                                             \
		ulong fl = FIN(0);                                                   \
		__asm__ volatile(PRE #op sfx " %%cl, %[b], %[r]" POST                \
				 : [r] "+r"(r), [fl] "+r"(fl)                        \
				 : [b] "r"(b), "c"(n)                                \
				 : "cc");                                            \
		int m = n & (bits == 64 ? 63 : 31);                                  \
		ulong mask = smask(m, 0);                                            \
		if (m > bits) /* result and flags undefined */                      \
			return;                                                      \
		rep(#op, bits, a, b, n, 0, r, fl & mask);                            \
	}

#define SIZE(T, C, bits, sfx)                                                        \
	SH(shl, sfx, T, C, bits, 0)                                                  \
	SH(shr, sfx, T, C, bits, 0)                                                  \
	SH(sar, sfx, T, C, bits, 0)                                                  \
	SH(rol, sfx, T, C, bits, 1)                                                  \
	SH(ror, sfx, T, C, bits, 1)                                                  \
	SH(rcl, sfx, T, C, bits, 2)                                                  \
	SH(rcr, sfx, T, C, bits, 2)                                                  \
	static void all_##bits(T a, u8 n)                                            \
	{                                                                            \
		for (int cf = 0; cf < 2; cf++) {                                     \
			shl_##bits(a, n, cf);                                        \
			shr_##bits(a, n, cf);                                        \
			sar_##bits(a, n, cf);                                        \
			rol_##bits(a, n, cf);                                        \
			ror_##bits(a, n, cf);                                        \
			rcl_##bits(a, n, cf);                                        \
			rcr_##bits(a, n, cf);                                        \
		}                                                                    \
	}

SIZE(u8, "q", 8, "b")
SIZE(u16, "r", 16, "w")
SIZE(u32, "r", 32, "l")
DSH(shld, "w", u16, 16)
DSH(shrd, "w", u16, 16)
DSH(shld, "l", u32, 32)
DSH(shrd, "l", u32, 32)
#ifdef __x86_64__
SIZE(u64, "r", 64, "q")
DSH(shld, "q", u64, 64)
DSH(shrd, "q", u64, 64)
#endif

static const u64 vals[] = {0, 1, 0x8000000000000001ull, 0xffffffffffffffffull, 0x5a5a5a5a5a5a5a5aull,
			   0x0123456789abcdefull};
static const u8 counts[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 255};

int main(int argc, char **argv, char **envp)
{
	for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		u64 v = vals[i];
		for (unsigned k = 0; k < sizeof counts; k++) {
			u8 n = counts[k];
			all_8((u8)v, n);
			all_16((u16)v, n);
			all_32((u32)v, n);
			shld_16((u16)v, (u16)~v, n);
			shrd_16((u16)v, (u16)~v, n);
			shld_32((u32)v, (u32)(v >> 7), n);
			shrd_32((u32)v, (u32)(v >> 7), n);
#ifdef __x86_64__
			all_64(v, n);
			shld_64(v, ~v >> 3, n);
			shrd_64(v, ~v >> 3, n);
#endif
		}
	}
	return 0;
}
