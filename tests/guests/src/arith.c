/* arith: add adc sub sbb cmp and or xor test inc dec neg not, mul, imul in
 * its three forms, div, idiv, and cbw/cwde/cdqe/cwd/cdq/cqo, at every
 * operand size, printing results and the flags each instruction defines
 * (undefined flags are masked out). */
#include "rt.h"

static void rep(const char *op, int bits, u64 a, u64 b, int cf, u64 r, u64 r2, ulong fl)
{
	int d = bits / 4;
	puts_(op);
	putudec(bits);
	putch(' ');
	puthex(a, d);
	putch(' ');
	puthex(b, d);
	puts_(cf ? " c1 -> " : " c0 -> ");
	puthex(r, d);
	putch(' ');
	puthex(r2, d);
	putflags(fl);
	nl();
}

#define FIN(cf) ((ulong)((cf) ? 0x203 : 0x202))
#define PRE "push %[fl]\n\tpopf\n\t"
#define POST "\n\tpushf\n\tpop %[fl]"

#define BIN(op, sfx, T, C, bits, mask)                                               \
	static void op##_##bits(T a, T b, int cf)                                    \
	{                                                                            \
		T r = a;                                                             \
		ulong fl = FIN(cf);                                                  \
		__asm__ volatile(PRE #op sfx " %[b], %[r]" POST                      \
				 : [r] "+" C(r), [fl] "+r"(fl)                       \
				 : [b] C(b)                                          \
				 : "cc");                                            \
		rep(#op, bits, a, b, cf, r, 0, fl & (mask));                         \
	}

#define UN(op, sfx, T, C, bits, mask)                                                \
	static void op##_##bits(T a, int cf)                                         \
	{                                                                            \
		T r = a;                                                             \
		ulong fl = FIN(cf);                                                  \
		__asm__ volatile(PRE #op sfx " %[r]" POST : [r] "+" C(r), [fl] "+r"(fl) : : "cc"); \
		rep(#op, bits, a, 0, cf, r, 0, fl & (mask));                         \
	}

#define NOAF (F_ALL & ~F_AF)
#define COF (F_CF | F_OF)

#define SIZE(T, C, bits, sfx)                                                        \
	BIN(add, sfx, T, C, bits, F_ALL)                                             \
	BIN(adc, sfx, T, C, bits, F_ALL)                                             \
	BIN(sub, sfx, T, C, bits, F_ALL)                                             \
	BIN(sbb, sfx, T, C, bits, F_ALL)                                             \
	BIN(cmp, sfx, T, C, bits, F_ALL)                                             \
	BIN(and, sfx, T, C, bits, NOAF)                                              \
	BIN(or, sfx, T, C, bits, NOAF)                                               \
	BIN(xor, sfx, T, C, bits, NOAF)                                              \
	BIN(test, sfx, T, C, bits, NOAF)                                             \
	UN(inc, sfx, T, C, bits, F_ALL)                                              \
	UN(dec, sfx, T, C, bits, F_ALL)                                              \
	UN(neg, sfx, T, C, bits, F_ALL)                                              \
	UN(not, sfx, T, C, bits, F_ALL)                                              \
	static void all_##bits(T a, T b)                                             \
	{                                                                            \
		add_##bits(a, b, 0);                                                 \
		adc_##bits(a, b, 0);                                                 \
		adc_##bits(a, b, 1);                                                 \
		sub_##bits(a, b, 0);                                                 \
		sbb_##bits(a, b, 0);                                                 \
		sbb_##bits(a, b, 1);                                                 \
		cmp_##bits(a, b, 0);                                                 \
		and_##bits(a, b, 1);                                                 \
		or_##bits(a, b, 1);                                                  \
		xor_##bits(a, b, 1);                                                 \
		test_##bits(a, b, 1);                                                \
	}                                                                            \
	static void un_##bits(T a)                                                   \
	{                                                                            \
		inc_##bits(a, 1);                                                    \
		inc_##bits(a, 0);                                                    \
		dec_##bits(a, 1);                                                    \
		neg_##bits(a, 0);                                                    \
		not_##bits(a, 1);                                                    \
	}

SIZE(u8, "q", 8, "b")
SIZE(u16, "r", 16, "w")
SIZE(u32, "r", 32, "l")
#ifdef __x86_64__
SIZE(u64, "r", 64, "q")
#endif

/* One-operand mul/imul: DX:AX = AX * b. */
static void mul_8(u8 a, u8 b, int sgn)
{
	u16 ax = a;
	ulong fl = FIN(0);
	if (sgn)
		__asm__ volatile(PRE "imulb %[b]" POST : "+a"(ax), [fl] "+r"(fl) : [b] "q"(b) : "cc");
	else
		__asm__ volatile(PRE "mulb %[b]" POST : "+a"(ax), [fl] "+r"(fl) : [b] "q"(b) : "cc");
	rep(sgn ? "imul1_" : "mul1_", 8, a, b, 0, ax & 0xff, ax >> 8, fl & COF);
}

#define MUL1(T, bits, sfx)                                                           \
	static void mul_##bits(T a, T b, int sgn)                                    \
	{                                                                            \
		T lo = a, hi = 0;                                                    \
		ulong fl = FIN(0);                                                   \
		if (sgn)                                                             \
			__asm__ volatile(PRE "imul" sfx " %[b]" POST                 \
					 : "+a"(lo), "+d"(hi), [fl] "+r"(fl)         \
					 : [b] "r"(b)                                \
					 : "cc");                                    \
		else                                                                 \
			__asm__ volatile(PRE "mul" sfx " %[b]" POST                  \
					 : "+a"(lo), "+d"(hi), [fl] "+r"(fl)         \
					 : [b] "r"(b)                                \
					 : "cc");                                    \
		rep(sgn ? "imul1_" : "mul1_", bits, a, b, 0, lo, hi, fl & COF);      \
	}                                                                            \
	static void imul2_##bits(T a, T b)                                           \
	{                                                                            \
		T r = a;                                                             \
		ulong fl = FIN(0);                                                   \
		__asm__ volatile(PRE "imul" sfx " %[b], %[r]" POST                   \
				 : [r] "+r"(r), [fl] "+r"(fl)                        \
				 : [b] "r"(b)                                        \
				 : "cc");                                            \
		rep("imul2_", bits, a, b, 0, r, 0, fl & COF);                        \
	}                                                                            \
	static void imul3_##bits(T a)                                                \
	{                                                                            \
		T r, s;                                                              \
		ulong fl = FIN(0), fl2 = FIN(0);                                     \
		__asm__ volatile(PRE "imul" sfx " $-3, %[a], %[r]" POST              \
				 : [r] "=&r"(r), [fl] "+r"(fl)                       \
				 : [a] "r"(a)                                        \
				 : "cc");                                            \
		rep("imul3_", bits, a, (T)-3, 0, r, 0, fl & COF);                    \
		__asm__ volatile("push %[fl]\n\tpopf\n\timul" sfx " $1000, %[a], %[r]\n\tpushf\n\tpop %[fl]" \
				 : [r] "=&r"(s), [fl] "+r"(fl2)                      \
				 : [a] "r"(a)                                        \
				 : "cc");                                            \
		rep("imul3_", bits, a, 1000, 0, s, 0, fl2 & COF);                    \
	}                                                                            \
	static void div_##bits(T a, T b)                                             \
	{                                                                            \
		T q = a, r = 0;                                                      \
		if (b == 0)                                                          \
			return;                                                      \
		__asm__ volatile("div" sfx " %[b]" : "+a"(q), "+d"(r) : [b] "r"(b) : "cc"); \
		rep("div", bits, a, b, 0, q, r, 0);                                  \
	}                                                                            \
	static void idiv_##bits(T a, T b)                                            \
	{                                                                            \
		T q = a, r = (T)((T)(a >> (bits - 1)) ? (T)-1 : 0);                  \
		if (b == 0 || (a == (T)((T)1 << (bits - 1)) && b == (T)-1))          \
			return;                                                      \
		__asm__ volatile("idiv" sfx " %[b]" : "+a"(q), "+d"(r) : [b] "r"(b) : "cc"); \
		rep("idiv", bits, a, b, 0, q, r, 0);                                 \
	}

MUL1(u16, 16, "w")
MUL1(u32, 32, "l")
#ifdef __x86_64__
MUL1(u64, 64, "q")
#endif

static void div_8(u8 a, u8 b, int sgn)
{
	u16 ax = sgn ? (u16)(i64)(signed char)a : a;
	if (b == 0 || (sgn && a == 0x80 && b == 0xff))
		return;
	if (sgn)
		__asm__ volatile("idivb %[b]" : "+a"(ax) : [b] "q"(b) : "cc");
	else
		__asm__ volatile("divb %[b]" : "+a"(ax) : [b] "q"(b) : "cc");
	rep(sgn ? "idiv" : "div", 8, a, b, 0, ax & 0xff, ax >> 8, 0);
}

static void conv(void)
{
	static const u32 vals[] = {0, 0x7f, 0x80, 0x7fff, 0x8000, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678};
	for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		ulong a = vals[i], d = 0x5555;
		ulong r = a;
		__asm__ volatile("cbw" : "+a"(r));
		rep("cbw", 16, a, 0, 0, r, 0, 0);
		r = a;
		__asm__ volatile("cwde" : "+a"(r));
		rep("cwde", 32, a, 0, 0, r, 0, 0);
		r = a, d = 0x5555;
		__asm__ volatile("cwd" : "+a"(r), "+d"(d));
		rep("cwd", 16, a, 0, 0, r, d, 0);
		r = a, d = 0x5555;
		__asm__ volatile("cltd" : "+a"(r), "+d"(d));
		rep("cdq", 32, a, 0, 0, r, d, 0);
#ifdef __x86_64__
		u64 q = a | 0xabcd000000000000ull, qd = 0;
		__asm__ volatile("cltq" : "+a"(q));
		rep("cdqe", 64, a, 0, 0, q, 0, 0);
		q = a * 0x100000001ull;
		__asm__ volatile("cqto" : "+a"(q), "=d"(qd));
		rep("cqo", 64, a, 0, 0, q, qd, 0);
#endif
	}
}

static const u64 vals[] = {0, 1, 3, 0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull,
			   0x5a5a5a5a5a5a5a5aull};
#define NV (sizeof vals / sizeof vals[0])

/* v narrowed to bits, keeping the interesting patterns at each size:
 * max positive and min negative are moved to the top bit of the size. */
static u64 narrow(u64 v, int bits)
{
	if (bits == 64)
		return v;
	u64 m = (1ull << bits) - 1;
	if (v == 0x7fffffffffffffffull)
		return m >> 1;
	if (v == 0x8000000000000000ull)
		return (m >> 1) + 1;
	return v & m;
}

int main(int argc, char **argv, char **envp)
{
	for (unsigned i = 0; i < NV; i++) {
		for (unsigned j = 0; j < NV; j++) {
			all_8(narrow(vals[i], 8), narrow(vals[j], 8));
			all_16(narrow(vals[i], 16), narrow(vals[j], 16));
			all_32(narrow(vals[i], 32), narrow(vals[j], 32));
#ifdef __x86_64__
			all_64(vals[i], vals[j]);
#endif
			for (int s = 0; s < 2; s++) {
				mul_8(narrow(vals[i], 8), narrow(vals[j], 8), s);
				mul_16(narrow(vals[i], 16), narrow(vals[j], 16), s);
				mul_32(narrow(vals[i], 32), narrow(vals[j], 32), s);
				div_8(narrow(vals[i], 8), narrow(vals[j], 8), s);
#ifdef __x86_64__
				mul_64(vals[i], vals[j], s);
#endif
			}
			imul2_16(narrow(vals[i], 16), narrow(vals[j], 16));
			imul2_32(narrow(vals[i], 32), narrow(vals[j], 32));
			div_16(narrow(vals[i], 16), narrow(vals[j], 16));
			div_32(narrow(vals[i], 32), narrow(vals[j], 32));
			idiv_16(narrow(vals[i], 16), narrow(vals[j], 16));
			idiv_32(narrow(vals[i], 32), narrow(vals[j], 32));
#ifdef __x86_64__
			imul2_64(vals[i], vals[j]);
			div_64(vals[i], vals[j]);
			idiv_64(vals[i], vals[j]);
#endif
		}
		un_8(narrow(vals[i], 8));
		un_16(narrow(vals[i], 16));
		un_32(narrow(vals[i], 32));
		imul3_16(narrow(vals[i], 16));
		imul3_32(narrow(vals[i], 32));
#ifdef __x86_64__
		un_64(vals[i]);
		imul3_64(vals[i]);
#endif
	}
	conv();
	return 0;
}
