/* bits: bt bts btr btc (register and memory forms, immediate and register
 * bit offsets, including offsets past the addressed word), bsf bsr tzcnt
 * lzcnt popcnt, bswap, setcc and cmovcc for all 16 conditions. */
#include "rt.h"

#define PRE "push %[fl]\n\tpopf\n\t"
#define POST "\n\tpushf\n\tpop %[fl]"
#define FIN ((ulong)0x202)

static void rep(const char *op, int bits, u64 a, u64 b, u64 r, ulong fl)
{
	int d = bits / 4;
	puts_(op);
	putudec(bits);
	putch(' ');
	puthex(a, d);
	putch(' ');
	puthex(b, d);
	puts_(" -> ");
	puthex(r, d);
	putflags(fl);
	nl();
}

#define BT(op, sfx, T, bits)                                                         \
	static void op##_##bits(T a, T n)                                            \
	{                                                                            \
		T r = a;                                                             \
		ulong fl = FIN;                                                      \
		__asm__ volatile(PRE #op sfx " %[n], %[r]" POST                      \
				 : [r] "+r"(r), [fl] "+r"(fl)                        \
				 : [n] "r"(n)                                        \
				 : "cc");                                            \
		rep(#op "r", bits, a, n, r, fl & F_CF);                              \
		r = a, fl = FIN;                                                     \
		__asm__ volatile(PRE #op sfx " $13, %[r]" POST : [r] "+r"(r), [fl] "+r"(fl) : : "cc"); \
		rep(#op "i", bits, a, 13, r, fl & F_CF);                             \
	}

#define SIZE(T, bits, sfx)                                                           \
	BT(bt, sfx, T, bits)                                                         \
	BT(bts, sfx, T, bits)                                                        \
	BT(btr, sfx, T, bits)                                                        \
	BT(btc, sfx, T, bits)                                                        \
	static void scan_##bits(T a)                                                 \
	{                                                                            \
		T r = 0x77;                                                          \
		ulong fl = FIN;                                                      \
		__asm__ volatile(PRE "bsf" sfx " %[a], %[r]" POST                    \
				 : [r] "+r"(r), [fl] "+r"(fl)                        \
				 : [a] "r"(a)                                        \
				 : "cc");                                            \
		rep("bsf", bits, a, 0, a ? r : 0, fl & F_ZF);                        \
		r = 0x77, fl = FIN;                                                  \
		__asm__ volatile(PRE "bsr" sfx " %[a], %[r]" POST                    \
				 : [r] "+r"(r), [fl] "+r"(fl)                        \
				 : [a] "r"(a)                                        \
				 : "cc");                                            \
		rep("bsr", bits, a, 0, a ? r : 0, fl & F_ZF);                        \
		r = 0x77, fl = FIN;                                                  \
		__asm__ volatile(PRE "tzcnt" sfx " %[a], %[r]" POST                  \
				 : [r] "+r"(r), [fl] "+r"(fl)                        \
				 : [a] "r"(a)                                        \
				 : "cc");                                            \
		rep("tzcnt", bits, a, 0, r, fl & (F_ZF | F_CF));                     \
		r = 0x77, fl = FIN;                                                  \
		__asm__ volatile(PRE "lzcnt" sfx " %[a], %[r]" POST                  \
				 : [r] "+r"(r), [fl] "+r"(fl)                        \
				 : [a] "r"(a)                                        \
				 : "cc");                                            \
		rep("lzcnt", bits, a, 0, r, fl & (F_ZF | F_CF));                     \
		r = 0x77, fl = FIN | F_ALL;                                          \
		__asm__ volatile(PRE "popcnt" sfx " %[a], %[r]" POST                 \
				 : [r] "+r"(r), [fl] "+r"(fl)                        \
				 : [a] "r"(a)                                        \
				 : "cc");                                            \
		rep("popcnt", bits, a, 0, r, fl & F_ALL);                            \
	}

SIZE(u16, 16, "w")
SIZE(u32, 32, "l")
#ifdef __x86_64__
SIZE(u64, 64, "q")
#endif

/* Memory bit strings: the register bit offset is signed and may address
 * any byte relative to the operand. */
static u32 mem[8];

static void btmem(void)
{
	static const int offs[] = {0, 5, 31, 32, 77, 255, -1, -33};
	for (unsigned i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		for (int k = 0; k < 8; k++)
			mem[k] = 0x5a5a5a5a ^ (k * 0x01010101u);
		long off = offs[i];
		ulong fl;
		u32 *base = &mem[4];
		fl = FIN;
		__asm__ volatile(PRE "btl %[n], %[m]" POST : [fl] "+r"(fl) : [n] "r"((int)off), [m] "m"(*base) : "cc", "memory");
		rep("btm", 32, (u64)(i64)off, 0, 0, fl & F_CF);
		fl = FIN;
		__asm__ volatile(PRE "btsl %[n], %[m]" POST : [fl] "+r"(fl), [m] "+m"(*base) : [n] "r"((int)off) : "cc", "memory");
		rep("btsm", 32, (u64)(i64)off, 0, 0, fl & F_CF);
		fl = FIN;
		__asm__ volatile(PRE "btrl %[n], %[m]" POST : [fl] "+r"(fl), [m] "+m"(*base) : [n] "r"((int)off) : "cc", "memory");
		rep("btrm", 32, (u64)(i64)off, 0, 0, fl & F_CF);
		fl = FIN;
		__asm__ volatile(PRE "btcw %[n], %[m]" POST : [fl] "+r"(fl), [m] "+m"(*(u16 *)base) : [n] "r"((short)off) : "cc", "memory");
		rep("btcm", 16, (u64)(i64)off, 0, 0, fl & F_CF);
		fl = FIN;
		__asm__ volatile(PRE "btsl $37, %[m]" POST : [fl] "+r"(fl), [m] "+m"(*base) : : "cc", "memory");
		rep("btsmi", 32, 37, 0, 0, fl & F_CF);
		for (int k = 0; k < 8; k++) {
			puthex(mem[k], 8);
			putch(k == 7 ? '\n' : ' ');
		}
	}
}

/* setcc and cmovcc after cmp a, b for every condition. */
#define CONDS(X) X(o) X(no) X(b) X(ae) X(e) X(ne) X(be) X(a) X(s) X(ns) X(p) X(np) X(l) X(ge) X(le) X(g)

#define SETCC(c)                                                                     \
	__asm__ volatile("cmp %[b], %[a]\n\tset" #c " %[r]" : [r] "=q"(r8) : [a] "r"(a), [b] "r"(b) : "cc"); \
	putch(r8 ? '1' : '0');
#define CMOVCC(c)                                                                    \
	rr = 0x11;                                                                   \
	__asm__ volatile("cmp %[b], %[a]\n\tcmov" #c " %[s], %[r]" : [r] "+r"(rr) : [a] "r"(a), [b] "r"(b), [s] "r"((ulong)0x22) : "cc"); \
	putch(rr == 0x22 ? '1' : '0');

static void conds(ulong a, ulong b)
{
	u8 r8;
	ulong rr;
	puts_("setcc ");
	puthex(a, sizeof(ulong) * 2);
	putch(' ');
	puthex(b, sizeof(ulong) * 2);
	putch(' ');
	CONDS(SETCC)
	puts_(" cmov ");
	CONDS(CMOVCC)
	nl();
}

static void bswaps(ulong v)
{
	u32 r = (u32)v;
	__asm__("bswap %0" : "+r"(r));
	rep("bswap", 32, (u32)v, 0, r, 0);
#ifdef __x86_64__
	u64 q = v;
	__asm__("bswap %0" : "+r"(q));
	rep("bswap", 64, v, 0, q, 0);
#endif
}

static const u64 vals[] = {0, 1, 2, 0x80, 0x8000, 0x80000000ull, 0x8000000000000000ull, 0xffffffffffffffffull,
			   0x0123456789abcdefull, 0x00f0000000000000ull};

int main(int argc, char **argv, char **envp)
{
	for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		u64 v = vals[i];
		scan_16((u16)v);
		scan_32((u32)v);
#ifdef __x86_64__
		scan_64(v);
#endif
		bswaps((ulong)v);
		for (unsigned j = 0; j < sizeof vals / sizeof vals[0]; j++) {
			u64 n = vals[j] & 0xffff;
			bt_16((u16)v, (u16)n);
			bts_16((u16)v, (u16)n);
			btr_16((u16)v, (u16)n);
			btc_16((u16)v, (u16)n);
			bt_32((u32)v, (u32)n);
			bts_32((u32)v, (u32)n);
			btr_32((u32)v, (u32)n);
			btc_32((u32)v, (u32)n);
#ifdef __x86_64__
			bt_64(v, n);
			bts_64(v, n);
			btr_64(v, n);
			btc_64(v, n);
#endif
			conds((ulong)v, (ulong)vals[j]);
		}
	}
	btmem();
	return 0;
}
